/*
 * job.h - one run of tests on one kernel, start to finish: tree, config,
 * build, payload, the boot loop and the score. `run`, `check`, `series`
 * and `bisect` all drive their kernels through this.
 */
#ifndef KFLAKE_JOB_H
#define KFLAKE_JOB_H

#include <stddef.h>

#include "progress.h"

/* What a plan (or --until) adds to one test of a run. */
struct job_test {
	const char *name;	/* recorded name; NULL: the test's own */
	char *const *sysctls;	/* "key=value", set in the guest first */
	size_t nsysctls;
	int iterations;		/* 0: the run's */
	int until_decided;	/* stop at its first verdict (seqtest.h) */
	/* counted with this run's iterations for that verdict */
	long prior_failures, prior_runs;
};

struct job_opts {
	const char *tree;
	const char *ref;
	const char **tests;	/* a kselftest, a path, or a C source (.c) */
	size_t ntests, tests_alloc;
	const struct job_test *test_opts;	/* parallel to tests, or NULL */
	int until_decided;	/* every test; iterations is the cap */
	const char **kconfigs;
	size_t nkconfigs, kconfigs_alloc;
	int iterations;
	int iterations_set;	/* given on the command line */
	double timeout;		/* 0: from settings, capped */
	double idle;		/* with idle_set: 0 turns the watchdog off */
	int idle_set;
	int jobs;
	int cpus;
	int mem_mb;
	unsigned stress;	/* --stress: enum stress_mode bits */
	int vms;		/* guests at once; 0: as many as the host holds */
	const char *executor;	/* "local" or "slurm" */
	const char *partition;	/* Slurm: --partition */
	int tasks;		/* Slurm: array tasks, 0: one per 10 iterations */
	const char *shared;	/* Slurm: the directory every node sees */
	const char *db;
	enum progress_mode progress;
	int argc;
	const char *const *argv;
	const char *kind;	/* run, check, bisect */
	long long series_id;
	long long bisect_id;
	const char *series;	/* run --series SRC: see seriesrun.h */
	int allow_incomplete;
	unsigned fail_on;	/* run --fail-on: REPORT_FAIL_ON_* bits */
	int no_report;		/* callers that print their own summary */
	int no_sandbox;		/* --no-sandbox: build a local tree on the host */
	/*
	 * Called after every recorded iteration with the per-outcome counts
	 * of all tests so far (indexed by enum record_outcome); a non-zero
	 * return ends the run early as complete (sequential tests stop as
	 * soon as they can decide).
	 */
	int (*enough)(void *data, const long *counts);
	void *enough_data;
	/* Told the run's id as soon as its row exists (CI work items). */
	void (*started)(void *data, long long run_id);
	void *started_data;
};

struct job_result {
	long long run_id;
	long long kernel_id;
	int build_failed;
	int boot_failed;	/* no iteration got past the boot */
	char commit[41];
	char image_sha1[41];
	long counts[8];		/* per outcome, all tests */
};

#define JOB_DEFAULT_ITERATIONS 5
#define JOB_MAX_DEFAULT_TIMEOUT 180.0	/* without history */
#define JOB_HISTORY 200			/* passes looked at */
#define JOB_MIN_HISTORY 5		/* passes needed to learn limits */
#define JOB_TIMEOUT_FACTOR 3.0		/* limit = factor x p99 */
#define JOB_MIN_TIMEOUT 30.0
#define JOB_MIN_IDLE 15.0
#define JOB_MIN_FREE_MB 2048

/*
 * The options every command that runs a kernel shares (run, check), so
 * they are spelled, checked and explained the same way everywhere.
 */
enum job_option {
	JOB_OPT_TREE = 0x100, JOB_OPT_REF, JOB_OPT_TEST, JOB_OPT_ITER,
	JOB_OPT_KCONFIG, JOB_OPT_TIMEOUT, JOB_OPT_IDLE, JOB_OPT_JOBS,
	JOB_OPT_CPUS, JOB_OPT_MEM, JOB_OPT_DB, JOB_OPT_JSON, JOB_OPT_QUIET,
	JOB_OPT_STRESS,
	JOB_OPT_VMS, JOB_OPT_EXECUTOR, JOB_OPT_PARTITION, JOB_OPT_TASKS,
	JOB_OPT_SHARED, JOB_OPT_NO_SANDBOX, JOB_OPT_LAST,
};

#define JOB_LONG_OPTIONS						\
	{ "tree", required_argument, NULL, JOB_OPT_TREE },		\
	{ "ref", required_argument, NULL, JOB_OPT_REF },		\
	{ "test", required_argument, NULL, JOB_OPT_TEST },		\
	{ "iterations", required_argument, NULL, JOB_OPT_ITER },	\
	{ "kconfig", required_argument, NULL, JOB_OPT_KCONFIG },	\
	{ "timeout", required_argument, NULL, JOB_OPT_TIMEOUT },	\
	{ "idle", required_argument, NULL, JOB_OPT_IDLE },		\
	{ "jobs", required_argument, NULL, JOB_OPT_JOBS },		\
	{ "cpus", required_argument, NULL, JOB_OPT_CPUS },		\
	{ "mem", required_argument, NULL, JOB_OPT_MEM },		\
	{ "stress", required_argument, NULL, JOB_OPT_STRESS },		\
	{ "vms", required_argument, NULL, JOB_OPT_VMS },		\
	{ "executor", required_argument, NULL, JOB_OPT_EXECUTOR },	\
	{ "partition", required_argument, NULL, JOB_OPT_PARTITION },	\
	{ "tasks", required_argument, NULL, JOB_OPT_TASKS },		\
	{ "shared", required_argument, NULL, JOB_OPT_SHARED },		\
	{ "db", required_argument, NULL, JOB_OPT_DB },			\
	{ "json", no_argument, NULL, JOB_OPT_JSON },			\
	{ "quiet", no_argument, NULL, JOB_OPT_QUIET },			\
	{ "no-sandbox", no_argument, NULL, JOB_OPT_NO_SANDBOX }

/*
 * Apply one getopt_long result: 0 when it was a job option, 1 when it is
 * not one (the caller handles it), -1 on a bad value (error printed).
 * 'q' counts as JOB_OPT_QUIET.
 */
int job_opts_parse(struct job_opts *o, int opt, const char *arg);

/* The tests a run without --test runs. */
size_t job_default_count(void);
const char *job_default_test(size_t i);
/* The name a test's iterations are recorded under (x may be NULL). */
char *job_test_label(const char *arg, const struct job_test *x);
/* Its suite: the kselftest target, or "path" (paths and C sources). */
char *job_test_suite(const char *arg);

void job_opts_init(struct job_opts *o);
/* After parsing: options that only make sense together; -1 with an error. */
int job_opts_check(const struct job_opts *o);
void job_opts_release(struct job_opts *o);
/* The free-space floor in MB ($KFLAKE_MIN_FREE_MB, else JOB_MIN_FREE_MB). */
long job_min_free_mb(void);
/* Returns a process exit status: 0 done, 1 failed, 130 interrupted. */
int job_run(const struct job_opts *o, struct job_result *res);

#endif
