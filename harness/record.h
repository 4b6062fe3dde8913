/*
 * record.h - typed writes of runs, boots and iterations into the store,
 * and the reads that score them. Everything a run learns goes through
 * here, so a killed run leaves complete rows or none.
 */
#ifndef KFLAKE_RECORD_H
#define KFLAKE_RECORD_H

#include "pool.h"
#include "store.h"

/* Outcomes in display order; the strings are what the database holds. */
enum record_outcome {
	OUTCOME_PASS,
	OUTCOME_FAIL,
	OUTCOME_SKIP,
	OUTCOME_STALL,
	OUTCOME_CRASH,
	OUTCOME_ERROR,
	OUTCOME_NR
};
const char *record_outcome_name(enum record_outcome o);
int record_outcome_parse(const char *s);

struct record_run {
	const char *kind;	/* run, check, bisect */
	long long tree_id;	/* 0: NULL */
	const char *ref;
	const char *commit_id;
	long long kernel_id;
	long long series_id;
	long long bisect_id;
	const char *tests_json;
	int iterations;
	const char *argv_json;
	/* The run's part of the pooling key (pool.h). */
	int guest_cpus;
	int guest_mem_mb;
	const char *kconfig_set;	/* pool_kconfig_set(); NULL: "" */
	const char *stress;		/* pool_stress_canonical(); NULL: "" */
	const char *executor;		/* NULL: "local" */
};

struct record_iteration {
	long long run_id;
	long long boot_id;	/* 0: NULL */
	const char *test;
	const char *suite;
	int seq;
	enum record_outcome outcome;
	int rc;			/* < 0: the test did not exit by itself */
	const char *reason;
	double duration;
	double guest_duration;	/* < 0: unknown */
	double timeout;
	double max_silence;	/* longest output gap, s; < 0: unknown */
	const char *output;
	const char *console;
	long long crash_id;	/* 0: NULL */
	double started_at;	/* wall clock */
	double finished_at;
	int retry;		/* a retry after a failure (imports); rates skip it */
};

/* The id of a tree row, created on first use. */
long long record_tree_id(struct store *st, const char *source,
			 const char *path);
/* A JSON array of strings, as text (for runs.tests, runs.argv, ...). */
char *record_json_strings(const char *const *v, size_t n);

long long record_run_create(struct store *st, const struct record_run *r);
int record_run_set(struct store *st, long long run_id, const char *column,
		   const char *value);
int record_run_progress(struct store *st, long long run_id, const char *step,
			const char *progress_json);
/* The kernel a run's image came from, once it is built or found. */
int record_run_set_kernel(struct store *st, long long run_id,
			  long long kernel_id);
/* state: done, interrupted or failed; error may be NULL. */
int record_run_finish(struct store *st, long long run_id, const char *state,
		      const char *error);

/*
 * Runs left 'running' by a process that no longer exists on this host
 * (SIGKILL, power loss) are marked interrupted. Returns how many.
 */
int record_reap_stale(struct store *st);

long long record_boot_create(struct store *st, long long run_id, int seq,
			     const char *accel, const char *cmdline,
			     const char *console_path);
int record_boot_finish(struct store *st, long long boot_id,
		       double ready_seconds, const char *end_reason);

long long record_iteration_add(struct store *st,
			       const struct record_iteration *it);

/* One sub-result as its source reported it (imports). */
int record_subresult_add(struct store *st, long long iteration_id,
			 const char *name, const char *outcome,
			 const char *detail);

/*
 * The newest passing iterations of key's test in its pool (scope: this
 * kernel, or every kernel of its line): up to limit values of column,
 * newest first, malloc'ed into *out. Returns how many.
 */
enum record_pass_column { RECORD_GUEST_DURATION, RECORD_MAX_SILENCE };
size_t record_pass_history(struct store *st, const struct pool_key *key,
			   enum pool_scope scope,
			   enum record_pass_column column, int limit,
			   double **out);

/*
 * Parse an iteration's output (KTAP, or the udpgro scripts' sub-case
 * blocks and throughput lines) into subresults and metrics rows.
 */
int record_subresults(struct store *st, long long iteration_id,
		      const char *output);

/*
 * Tallies for scoring: one row per test and pool (pool.h). A run is one
 * pool, so a run's tallies are one row per test; without a run, each
 * kernel (and guest size, kconfig set, ...) a test ran on is its own row:
 * iterations of different kernels never count together.
 */
struct record_tally {
	char *test;		/* == key.test */
	struct pool_key key;
	char *commit_id;	/* the key's kernel's commit, "" if none */
	long counts[OUTCOME_NR];
	long runs;		/* iterations, all outcomes */
	double median_duration;
	double max_duration;
};
/*
 * run_id > 0: that run's tests (commit_id, when set, must be its commit).
 * run_id 0: every pool, or those of commit_id's kernels. Ordered by test,
 * then kernel. Returns the number of rows, or -1.
 */
int record_tally(struct store *st, long long run_id, const char *commit_id,
		 struct record_tally **out);
void record_tally_release(struct record_tally *t, int n);
/* Failures = fail + stall + crash; verdict runs exclude error and skip. */
long record_tally_failures(const struct record_tally *t);
long record_tally_verdict_runs(const struct record_tally *t);

#endif
