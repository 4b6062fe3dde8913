/*
 * crashwatch.h - follows one boot's console for kernel crash reports,
 * answers "did the kernel die or warn during this iteration?", and files
 * the reports (grouped by fingerprint) and any stall snapshot with the
 * iteration in the database.
 */
#ifndef KFLAKE_CRASHWATCH_H
#define KFLAKE_CRASHWATCH_H

#include "store.h"

struct crashwatch;

/*
 * vmlinux and srcdir, when both are given, decode stored reports with the
 * tree's scripts/decode_stacktrace.sh (worth it only with debug info).
 */
struct crashwatch *crashwatch_new(const char *vmlinux, const char *srcdir);
void crashwatch_free(struct crashwatch *w);
void crashwatch_feed(struct crashwatch *w, const char *line);
/* A new iteration starts: forget the reports of the previous one. */
void crashwatch_reset(struct crashwatch *w);
/* The VM is gone: close reports still open. */
void crashwatch_finish(struct crashwatch *w);
/* What the current iteration's reports mean for its outcome. */
void crashwatch_verdict(struct crashwatch *w, int *fatal, int *warn,
			const char **title);
/*
 * Store the current iteration's reports (crashes, crash_hits, and
 * iterations.crash_id) and the snapshot outdir/<item>.snapshot, if any.
 * iteration_id 0 (and test NULL): reports printed outside any test,
 * stored against the run alone. Runs inside the caller's transaction.
 */
int crashwatch_store(struct store *st, struct crashwatch *w,
		     long long iteration_id, long long run_id,
		     long long kernel_id, const char *test, const char *outdir,
		     int item);

#endif
