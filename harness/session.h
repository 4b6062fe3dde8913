/*
 * session.h - executes a run's plan: N iterations of each test across as
 * many QEMU boots as it takes (a fresh VM after every crash, stall or lost
 * VM), on up to `vms` guests at once, classifying and storing every
 * iteration as it finishes.
 */
#ifndef KFLAKE_SESSION_H
#define KFLAKE_SESSION_H

#include <signal.h>

#include "record.h"
#include "selftest.h"
#include "store.h"
#include "strbuf.h"

struct session_test {
	const struct selftest *t;
	char *run_dir;		/* directory the guest runs it in */
	char *inner_dir;	/* a wrapped test's own directory, or NULL */
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
	int handed;		/* iterations handed out (the last k) */
	long counts[OUTCOME_NR];
	double seconds;		/* sum of durations, for the ETA */
	int done;
};

struct guest;
struct spool;

/* One iteration of the plan: test, its k, and (Slurm) its plan position. */
struct session_item {
	int test;		/* index into session.tests */
	int k;			/* 1-based iteration number of that test */
	int plan;		/* position in the run's plan; -1: local run */
};

struct session {
	struct store *st;	/* NULL when results go to a spool */
	struct spool *spool;	/* a Slurm worker's output (spool.h) */
	long long run_id;
	long long kernel_id;
	struct session_test *tests;
	size_t ntests;
	int iterations;
	/*
	 * The iterations to run (a Slurm worker's slice); NULL: each test's
	 * target, round-robin over the tests (iteration 1 of each, then 2,
	 * ...), handed out as guests ask, so --until decided can stop a
	 * test at any point.
	 */
	const struct session_item *items;
	size_t nitems;
	int vms;		/* guests at once (0: 1) */
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
	char *workdir;		/* artefact_run_dir(): <db>.artefacts/runs/<id> */
	int (*enough)(void *data, const long *counts);	/* see job.h */
	void *enough_data;
	/* filled while running */
	struct guest *guests;	/* vms slots */
	size_t next;		/* items[next] is the next to hand out */
	size_t rr;		/* the test whose turn it is (round-robin) */
	struct session_item *issued;	/* what each item id handed out is */
	size_t nissued, issued_alloc;
	struct session_item *requeue;	/* handed out, never begun: first */
	size_t nrequeue, requeue_alloc;
	int boots;
	int failed_boot;	/* the last boot that never got ready */
	int emulator_crashes;	/* boots QEMU itself crashed (not charged) */
	int errors_in_a_row;
	int items_done;
	int items_total;
	int decided;		/* enough() said stop */
	double started;
	char *first_cmdline;
	char *abort_reason;	/* set: the run stops (returns -1) */
	char *abort_log;	/* QEMU's log when it could not start */
	struct strbuf missing;	/* "test k=N, ..." begun but never finished */
	int disk_full;		/* ... because the disk is full */
};

/* Below this much free space (MB) under the database or artefacts, stop. */
#define SESSION_DISK_FLOOR_MB 2.0

extern volatile sig_atomic_t session_interrupted;
/* SIGINT/SIGTERM set session_interrupted (no SA_RESTART: polls wake up). */
void session_catch_signals(void);

/*
 * Guests to run at once when the user did not say: as many as the host's
 * CPUs hold without sharing (host_cpus / guest_cpus) and its available
 * memory holds (guest memory plus QEMU's own, keeping 1 GiB for the
 * host), never more than there are iterations, at least 1.
 */
int session_auto_vms(int host_cpus, long host_avail_mb, int guest_cpus,
		     int guest_mem_mb, int items);
/* The same from this host's /proc/meminfo and online CPUs. */
int session_auto_vms_here(int guest_cpus, int guest_mem_mb, int items);

/*
 * The whole plan in hand-out order (each test's target, round-robin),
 * for executors that split it up front (Slurm). Returns how many.
 */
size_t session_plan(struct session *s, struct session_item **out);

/* Returns 0 when every planned iteration ran, 1 when interrupted, -1 on abort. */
int session_execute(struct session *s);
void session_release(struct session *s);

#endif
