/*
 * classify.h - one outcome and a one-line reason for an iteration, from
 * what the guest reported and what the console showed meanwhile.
 */
#ifndef KFLAKE_CLASSIFY_H
#define KFLAKE_CLASSIFY_H

#include "record.h"

/* How long past a test's timeout the host waits for a silent guest. */
#define CLASSIFY_HOST_GRACE 60.0

struct classify_input {
	int ended;		/* the guest sent END for it */
	int rc;			/* test exit code (when ended) */
	const char *status;	/* exit, timeout, inactive */
	double timeout;
	double idle;
	int crash_fatal;	/* a panic/oops was seen; the kernel died */
	int crash_warn;		/* a non-fatal report (WARNING, KASAN, ...) */
	const char *crash_title;
	int vm_lost;		/* QEMU ended or stopped answering mid-test */
	int host_watchdog;	/* the host had to kill an unresponsive guest */
	int boot_failed;	/* the guest never reached the test runner */
};

enum record_outcome classify_iteration(const struct classify_input *in,
				       char **reason);

#endif
