/*
 * record.h - typed writes of runs, boots and iterations into the store,
 * and the reads that score them. Everything a run learns goes through
 * here, so a killed run leaves complete rows or none.
 */
#ifndef KFLAKE_RECORD_H
#define KFLAKE_RECORD_H

#include "pool.h"
#include "score.h"
#include "store.h"

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
	const char *attempt;	/* spool attempt id, or NULL (local) */
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
	const char *artefact_error;	/* guest files refused or cut, or NULL */
	double started_at;	/* wall clock */
	double finished_at;
	int retry;		/* a retry after a failure (imports); rates skip it */
};

/* A kernel build's row: one per image cache key (build.h). */
struct record_kernel {
	long long tree_id;
	const char *commit_id, *config_hash, *compiler, *cache_key;
	const char *fragments_json, *config, *config_warnings;
	int ok;			/* state ok, else failed */
	const char *image_path, *image_sha1;	/* NULL unless ok */
	double build_seconds;	/* 0: a reuse, which keeps the old time */
	const char *build_log, *error;
};
/* Insert or update by cache key; returns the row's id (0 on failure). */
long long record_kernel_save(struct store *st, const struct record_kernel *k);

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

/*
 * Retention (`kflake ci`): for runs finished before `before` (wall-clock
 * seconds), drop the bulky artefacts, the run's artefact directory
 * (consoles, outputs) and the output and console text kept with each
 * iteration, and keep every row and count. Returns how many runs lost
 * something (-1 on error).
 */
int record_prune_artefacts(struct store *st, double before);

struct record_boot {
	long long run_id;
	int seq;		/* 0: the run's next */
	int guest;		/* slot 1..vms, 0: NULL */
	const char *accel;
	const char *cmdline;
	const char *console_path;
	const char *host;	/* NULL: this host */
	const char *attempt;	/* spool id of a Slurm task's boot, or NULL */
};
/* The boot's id; for an attempt already stored, that row's id. */
long long record_boot_add(struct store *st, const struct record_boot *b);
long long record_boot_create(struct store *st, long long run_id, int seq,
			     const char *accel, const char *cmdline,
			     const char *console_path);
int record_boot_finish(struct store *st, long long boot_id,
		       double ready_seconds, const char *end_reason);

/*
 * The new iteration's id; 0 when it->attempt is set and that attempt, or
 * another attempt of the same test and k in the run, is already stored.
 */
long long record_iteration_add(struct store *st,
			       const struct record_iteration *it);
/* The crash (crashes row) an iteration's first report was. */
int record_iteration_set_crash(struct store *st, long long iteration_id,
			       long long crash_id);

/*
 * Recount the tallies and subtallies tables from the iterations (in one
 * transaction), e.g. after rows were deleted by hand; `kflake tally`.
 */
int record_tally_rebuild(struct store *st);
/* How many tally rows a recount would change (0: they agree), or -1. */
long record_tally_check(struct store *st);

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

struct record_tally;

/* Reads ------------------------------------------------------------------
 * The typed loaders every reader uses: `kflake show`, `runs`, `report`,
 * the pages and the API. Strings are malloc'ed ("" rather than NULL
 * unless said); *_release() frees them. Lists take a record_filter and
 * say in *more whether a next page exists.
 */

/* What a list shows: every member is optional (0, NULL, -1: any). */
struct record_filter {
	long long run_id;
	long long series_id;
	const char *test;	/* substring of the test name */
	const char *test_exact;	/* exactly this test */
	const char *tree;	/* a tree's source, or its id */
	const char *commit;	/* commit prefix (4 to 40 lowercase hex) */
	int outcome;		/* -1: any */
	int failed_only;	/* fail, stall, crash and error only */
	const char *since;	/* ISO 8601, inclusive */
	const char *until;
	long page;		/* from 1 */
	long limit;		/* rows per page; 0: no paging */
	int with_text;		/* iterations: load output and console too */
	int with_metrics;	/* sub-case tallies: their metrics' medians */
};
#define RECORD_FILTER_INIT { .outcome = -1, .page = 1 }

/* A run as readers see it, with its kernel and its score so far. */
struct record_run_info {
	long long id;
	char *kind, *state;
	long long tree_id;
	char *tree;		/* the tree's source, NULL if none */
	char *ref, *commit_id;	/* NULL when unknown */
	long long kernel_id, series_id, bisect_id;	/* 0: none */
	json_t *tests;		/* array of test names */
	int iterations;		/* planned per test */
	char *accel, *qemu_cmdline, *host;	/* NULL when unknown */
	json_t *argv;		/* array, NULL when unknown */
	json_t *fragments;	/* array of paths, NULL when unknown */
	long long pid;
	char *step;		/* NULL unless running */
	json_t *progress;	/* object, NULL unless running */
	char *error;
	char *started_at, *finished_at;
	struct pool_key pool;
	/* The kernel (NULL/0 until built). */
	char *image_path, *config_hash, *compiler;
	char *kernel_key, *kernel_state, *kernel_error, *kernel_created_at;
	char *image_sha1;
	double build_seconds;
	char *build_sandbox;	/* bwrap, bwrap-untrusted, none; NULL: older */
	/* Counted: every test of the run together, and the worst verdict. */
	struct score score;
	int worst_decided;
	enum stats_verdict worst;	/* failing > flaky > undecided > stable */
};
/* 0, 1 when there is no such run, -1 on error. */
int record_run_load(struct store *st, long long id,
		    struct record_run_info *r);
/*
 * Outcome counts of the iterations of one bisect's runs on one commit
 * (every attempt: a step killed half-way keeps its evidence).
 */
int record_bisect_counts(struct store *st, long long bisect_id,
			 const char *commit, long counts[OUTCOME_NR]);

/*
 * Ids of the runs that have iterations: started at or after since, in id
 * order; with since NULL, the newest such run alone. Returns how many.
 */
int record_runs_with_iterations(struct store *st, const char *since,
				long long **ids);

/* 1 when the run exists, 0 when not, -1 on error. */
int record_run_exists(struct store *st, long long id);
/* Newest first; f: tree, commit, series, since/until, test/outcome. */
int record_run_list(struct store *st, const struct record_filter *f,
		    struct record_run_info **out, int *more);
/* The running ones, newest first (at most limit). */
int record_run_running(struct store *st, int limit,
		       struct record_run_info **out);
void record_run_info_release(struct record_run_info *r);
void record_run_list_release(struct record_run_info *v, int n);
const char *record_run_worst_verdict(const struct record_run_info *r);
/* Planned iterations: tests x iterations. */
long record_run_planned(const struct record_run_info *r);
/* Is the process of a running run still there (always 1 off this host)? */
int record_run_alive(const struct record_run_info *r);
/*
 * The run as JSON: every column, "tests", "argv", "fragments" and
 * "progress" as JSON values, "planned", "pool", "kernel" and the score.
 */
json_t *record_run_json(const struct record_run_info *r);

/* What the database holds (for the overview): iterations scored. */
struct record_totals {
	long long runs, iterations, tests;
};
int record_totals(struct store *st, struct record_totals *t);

/*
 * The command that runs one test again the way run r did: its tree and
 * commit, the test, the fragments it added (--kconfig), its guest size,
 * its --stress, and enough iterations to see a failure at s's rate with 95% chance
 * (10 when s saw none; at most 1000). Shell-quoted; malloc'ed.
 */
char *record_reproduce(const struct record_run_info *r, const char *suite,
		       const char *test, const struct score *s);

struct record_iteration_info {
	long long id, run_id;
	long long boot_id, crash_id;	/* 0: none */
	int boot_seq;			/* 0: none */
	char *test, *suite;
	int seq;
	int outcome;			/* enum record_outcome */
	int has_rc;
	int rc;
	char *reason;
	double duration, guest_duration, timeout, max_silence; /* < 0: NULL */
	char *output, *console;		/* record_iteration_load() only */
	char *started_at, *finished_at;
	char *commit_id;		/* of its run */
	int retry;			/* a retry (imports): not scored */
	char *artefact_error;		/* guest files refused or cut, NULL */
};
int record_iteration_load(struct store *st, long long id,
			  struct record_iteration_info *it);
/*
 * Iterations in id order (f->run_id's, or a test's across runs when
 * f->test_exact is set, newest first then). Output and console only
 * with f->with_text.
 */
int record_iteration_list(struct store *st, const struct record_filter *f,
			  struct record_iteration_info **out, int *more);
void record_iteration_info_release(struct record_iteration_info *it);
void record_iteration_list_release(struct record_iteration_info *v, int n);
json_t *record_iteration_json(const struct record_iteration_info *it);

struct record_boot_info {
	long long id, run_id;
	int seq;
	char *accel, *cmdline, *console_path, *end_reason;
	double ready_seconds;		/* < 0: NULL */
	char *started_at, *finished_at;
};
int record_boot_load(struct store *st, long long id,
		     struct record_boot_info *b);
int record_boot_list(struct store *st, long long run_id, long limit,
		     struct record_boot_info **out, int *more);
void record_boot_info_release(struct record_boot_info *b);
void record_boot_list_release(struct record_boot_info *v, int n);
json_t *record_boot_json(const struct record_boot_info *b);

struct record_subresult_info {
	char *name, *outcome, *detail;
};
struct record_metric_info {
	char *subcase, *name, *unit;
	double value;
};
int record_subresult_list(struct store *st, long long iteration_id,
			  long limit, struct record_subresult_info **out,
			  int *more);
int record_metric_list(struct store *st, long long iteration_id, long limit,
		       struct record_metric_info **out, int *more);
void record_subresult_list_release(struct record_subresult_info *v, int n);

/*
 * Sub-cases (KTAP results, udpgro blocks) scored like tests, per test,
 * pool and sub-case name: pass and xfail pass, fail and error fail,
 * timeout stalls. Each carries the medians of its metrics. f: run_id,
 * commit, test_exact. Ordered by test, pool, then first appearance.
 */
struct record_metric_median {
	char *name, *unit;
	double median;
	long samples;
};
struct record_subtally {
	struct pool_key key;	/* test and suite set */
	char *commit_id;
	char *name;
	struct score score;
	struct record_metric_median *metrics;
	size_t nmetrics;
};
#define RECORD_MAX_SUBCASES 1000
int record_subtally(struct store *st, const struct record_filter *f,
		    struct record_subtally **out);
/* The kept sub-case tallies of the pools of rows t[0..n) (one query). */
int record_subtally_of(struct store *st, const struct record_tally *t, int n,
		       struct record_subtally **out);
void record_subtally_release(struct record_subtally *v, int n);
json_t *record_subtally_json(const struct record_subtally *s);
void record_metric_list_release(struct record_metric_info *v, int n);

/*
 * The values of each metric of test over its newest `last` iterations,
 * oldest first, with the commit each ran on: one series per sub-case
 * and metric name (at most max series).
 */
struct record_metric_series {
	char *subcase, *name, *unit;
	double *values;
	char **commits;
	size_t n;
};
int record_metric_series(struct store *st, const char *test, int last,
			 int max, struct record_metric_series **out);
void record_metric_series_release(struct record_metric_series *v, int n);

/*
 * Tallies for scoring: one row per test and pool (pool.h). A run is one
 * pool, so a run's tallies are one row per test; without a run, each
 * kernel (and guest size, kconfig set, ...) a test ran on is its own row:
 * iterations of different kernels never count together. Retries
 * (imports) do not count.
 */
#define RECORD_RECENT 30
struct record_tally {
	char *test;		/* == key.test */
	struct pool_key key;
	char *commit_id;	/* the key's kernel's commit, "" if none */
	struct score score;
	double stall_seconds;	/* time lost to stalls */
	char *first_at, *last_at;	/* first and last iteration started */
	char *last_failure_at;	/* NULL when none failed */
	/* With RECORD_TALLY_DURATIONS: of the iterations that did not error. */
	double median_duration;
	double max_duration;
	/* With RECORD_TALLY_RECENT: outcomes, oldest first. */
	char recent[RECORD_RECENT];
	int nrecent;
};
enum record_tally_sort {
	RECORD_SORT_NAME,	/* test, suite, kernel, the rest of the key */
	RECORD_SORT_RATE,	/* highest failure rate first (then its lo) */
	RECORD_SORT_COST,	/* most time lost to stalls first */
	RECORD_SORT_ITERATIONS,	/* most iterations first */
};
#define RECORD_TALLY_DURATIONS 1u
#define RECORD_TALLY_RECENT 2u
/*
 * Rows matching f (run_id; commit prefix; tree; test substring or
 * test_exact; since/until on iteration start; outcome: rows with at
 * least one), sorted, a page of f->limit (0: all) with *more.
 */
int record_tally_list(struct store *st, const struct record_filter *f,
		      enum record_tally_sort sort, unsigned flags,
		      struct record_tally **out, int *more);
/*
 * run_id > 0: that run's tests (commit_id, when set, must be its commit).
 * run_id 0: every pool, or those of commit_id's kernels. Ordered by test,
 * then kernel, with durations. Returns the number of rows, or -1.
 */
int record_tally(struct store *st, long long run_id, const char *commit_id,
		 struct record_tally **out);
void record_tally_release(struct record_tally *t, int n);
/*
 * A tally row as JSON: {"test", "suite", "pool": pool_key_json() plus
 * "commit", score_json() members, "stall_seconds", "first_at",
 * "last_at", "last_failure_at", and "median_duration", "max_duration",
 * "recent" when loaded}.
 */
json_t *record_tally_json(const struct record_tally *t);

/*
 * A test along one line of kernels (pool.h: its key without the kernel),
 * kernels oldest first (by their first iteration). The onset is the
 * first kernel it failed on; before and after pool the kernels on each
 * side of it (said so wherever shown). The trend compares the newest
 * kernel with the kernels since the onset before it; the change, the
 * newest kernel with the one before.
 */
enum record_trend {
	RECORD_TREND_NONE,	/* not enough kernels since the onset */
	RECORD_TREND_STEADY,
	RECORD_TREND_WORSE,
	RECORD_TREND_BETTER,
};
enum record_change {
	RECORD_CHANGE_NONE,
	RECORD_CHANGE_WORSE,		/* Fisher: fails more than before */
	RECORD_CHANGE_NEW_FAILURES,	/* fails, where the last kernel did not */
	RECORD_CHANGE_NEW_TEST,		/* its first kernel on this line */
	RECORD_CHANGE_BETTER,		/* Fisher: fails less than before */
};
struct record_line {
	struct pool_key key;		/* kernel_id 0 */
	struct record_tally *kernels;	/* oldest first */
	int n;
	int onset;			/* index into kernels; -1: never failed */
	struct score before, after;	/* pooled over the kernels */
	enum record_trend trend;
	double trend_p;			/* one-sided Fisher, or -1 */
	enum record_change change;
	double change_p;
};
/* f: test, test_exact, commit..., as record_tally_list (kept tallies). */
int record_lines(struct store *st, const struct record_filter *f,
		 struct record_line **out);
void record_lines_release(struct record_line *v, int n);
const char *record_trend_name(enum record_trend t);
const char *record_change_name(enum record_change c);
json_t *record_line_json(const struct record_line *l);

/*
 * Pools (record_pool.c): reads by pooling key (pool.h), first attempts
 * only. With RECORD_POOL_FINISHED only runs that ended (done,
 * interrupted) count: a comparison reads a side when its round is over.
 */
#define RECORD_POOL_FINISHED 1
/* The score of k's pool (its test and suite must be set). */
int record_pool_score(struct store *st, const struct pool_key *k,
		      unsigned flags, struct score *s);
/*
 * The score of sub-case name in k's pool, its outcomes mapped as the kept
 * sub-case tallies map them: pass+xfail pass, fail+error fail, timeout
 * stall, anything else error.
 */
int record_pool_subscore(struct store *st, const struct pool_key *k,
			 unsigned flags, const char *name, struct score *s);
/* The sub-cases k's pool ran, first seen first (at most max). */
int record_pool_subcases(struct store *st, const struct pool_key *k,
			 int max, char ***names);
void record_strings_release(char **v, int n);
struct record_test_name {
	char *test, *suite;
};
/* The tests run in k's kernel pool (k's test ignored), first seen first. */
int record_pool_tests(struct store *st, const struct pool_key *k, int max,
		      struct record_test_name **out);
void record_test_names_release(struct record_test_name *v, int n);
/* fn(data, output) for each iteration of k's pool whose output has needle. */
int record_pool_outputs(struct store *st, const struct pool_key *k,
			const char *needle,
			void (*fn)(void *data, const char *output), void *data);
/* How many runs k's kernel pool has (-1 on error). */
long record_pool_runs(struct store *st, const struct pool_key *k);
/* The kernel pools of the newest runs with a kernel, oldest first. */
int record_pools_latest(struct store *st, int max, struct pool_key **out);
void record_pool_keys_release(struct pool_key *v, int n);
/* A kernel's commit (NULL if none). */
char *record_kernel_commit(struct store *st, long long kernel_id);
/*
 * The newest good kernel of commit built like kernel_id (same tree,
 * .config and compiler); 0: none.
 */
long long record_kernel_alike(struct store *st, long long kernel_id,
			      const char *commit);
/* Of a series' kernel: its base's kernel built alike (0: none). */
long long record_series_base_kernel(struct store *st, long long kernel_id);
/* Whether kernels a and b were built from different .config files. */
int record_kernels_differ_config(struct store *st, long long a, long long b);

/*
 * Change-point histories: the commits runs of a tree were made on
 * (sorted), and each position's counts per (test, suite, line).
 */
int record_tested_commits(struct store *st, long long tree_id, char ***out);
struct record_position_query {
	long long tree_id;		/* positions are this tree's commits */
	const char *nipa_stream;	/* else: this NIPA stream's branches */
	const char *test;		/* NULL: every test */
};
struct record_position_count {
	const char *position;		/* commit id or NIPA branch */
	const char *test, *suite;
	const char *line;		/* POOL_LINE_JSON */
	long failures, runs;		/* runs: fail, stall, crash, pass */
	long long last_run;
};
int record_position_counts(struct store *st,
			   const struct record_position_query *q,
			   void (*fn)(void *data,
				      const struct record_position_count *c),
			   void *data);

#endif
