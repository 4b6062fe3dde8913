/*
 * classify.c - the rules that turn an iteration into pass, fail, skip,
 * stall, crash or error. Kept apart from the VM loop so they can be
 * tested exhaustively and read in one place:
 *
 *  - a guest that never came up is an error (ours or the kernel's, but not
 *    the test's), with the panic that stopped it, if any, as the reason;
 *  - a fatal kernel report (panic, oops) is a crash, whatever the test said;
 *  - the guest's watchdog (timeout or no output) is a stall, as is kselftest's
 *    own timeout code 124;
 *  - a guest that stopped answering is a stall if a test was running and the
 *    console shows no crash; a QEMU that vanished is an error (ours);
 *  - otherwise the kselftest exit code: 0 pass, 4 skip, anything else fail;
 *  - a non-fatal report (WARNING, KASAN, ...) turns a pass into a fail.
 */
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "util.h"

#define KSFT_SKIP 4
#define KSFT_TIMEOUT 124

enum record_outcome classify_iteration(const struct classify_input *in,
				       char **reason)
{
	const char *title = in->crash_title ? in->crash_title : "kernel crash";

	if (in->boot_failed) {
		*reason = xasprintf("guest did not boot: %s", in->crash_title ?
				    in->crash_title : "no kernel report");
		return OUTCOME_ERROR;
	}
	if (in->crash_fatal) {
		*reason = xasprintf("kernel died: %s", title);
		return OUTCOME_CRASH;
	}
	if (in->host_watchdog) {
		*reason = xasprintf("guest stopped responding (no result %.0f s "
				    "after the test's timeout)", CLASSIFY_HOST_GRACE);
		return OUTCOME_STALL;
	}
	if (in->vm_lost || !in->ended) {
		*reason = xstrdup("VM exited while the test was running, with "
				  "no crash on the console");
		return OUTCOME_ERROR;
	}
	if (in->status && !strcmp(in->status, "timeout")) {
		*reason = xasprintf("no result after %.0f s (timeout)",
				    in->timeout);
		return OUTCOME_STALL;
	}
	if (in->status && !strcmp(in->status, "inactive")) {
		*reason = xasprintf("no output for %.0f s and no new process "
				    "(stall watchdog)",
				    in->idle);
		return OUTCOME_STALL;
	}
	if (in->rc == KSFT_TIMEOUT) {
		*reason = xstrdup("test reported a timeout (exit 124)");
		return OUTCOME_STALL;
	}
	if (in->crash_warn) {
		*reason = xasprintf("kernel warning: %s", title);
		return OUTCOME_FAIL;
	}
	if (in->rc == 0) {
		*reason = NULL;
		return OUTCOME_PASS;
	}
	if (in->rc == KSFT_SKIP) {
		*reason = xstrdup("test skipped itself (exit 4)");
		return OUTCOME_SKIP;
	}
	*reason = xasprintf("exit code %d", in->rc);
	return OUTCOME_FAIL;
}
