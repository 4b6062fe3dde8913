/*
 * session.h - executes a run's plan: N iterations of each test across as
 * many QEMU boots as it takes (a fresh VM after every crash, stall or lost
 * VM), classifying and storing every iteration as it finishes.
 */
#ifndef KFLAKE_SESSION_H
#define KFLAKE_SESSION_H

#include <signal.h>

#include "record.h"
#include "selftest.h"
#include "store.h"

struct session_test {
	const struct selftest *t;
	char *run_dir;		/* directory the guest runs it in */
	char *cmd;		/* ./script */
	double timeout;		/* hard stall limit, seconds */
	double idle;		/* stall when silent this long (0: off) */
	int target;		/* iterations of this test; 0: s->iterations */
	/*
	 * --until decided: stop this test at its first verdict (seqtest.h),
	 * counting prior_failures of prior_runs recorded before this run
	 * (a resumed CI item) with its own.
	 */
	int until_decided;
	long prior_failures, prior_runs;
	int stopped;		/* decided: no more iterations */
	long counts[OUTCOME_NR];
	double seconds;		/* sum of durations, for the ETA */
	int done;
};

struct session {
	struct store *st;
	long long run_id;
	long long kernel_id;
	struct session_test *tests;
	size_t ntests;
	int iterations;
	const char *kernel;	/* bzImage */
	/*
	 * The payload root: the guest must see all of it, not only each
	 * test's directory (scripts call ../bpf/X.o, source ../lib.sh).
	 */
	const char *payload;
	const char *vmlinux;	/* set (with srcdir) to decode crash reports */
	const char *srcdir;
	const char *accel;
	int cpus;
	int mem_mb;
	unsigned stress;	/* --stress modes (stress.h), applied per boot */
	char *workdir;		/* <data>/runs/<id> */
	int (*enough)(void *data, const long *counts);	/* see job.h */
	void *enough_data;
	/* filled while running */
	int *sched;		/* item -> test index (interleaved) */
	int replan;		/* a test stopped: next boot gets a new plan */
	int boots;
	int errors_in_a_row;
	int items_done;
	int items_total;
	int decided;		/* enough() said stop */
	double started;
	char *first_cmdline;
	char *abort_reason;
	char *abort_log;	/* QEMU's log when it could not start */
};

extern volatile sig_atomic_t session_interrupted;
/* SIGINT/SIGTERM set session_interrupted (no SA_RESTART: polls wake up). */
void session_catch_signals(void);

/* Returns 0 when every planned iteration ran, 1 when interrupted, -1 on abort. */
int session_execute(struct session *s);
void session_release(struct session *s);

#endif
