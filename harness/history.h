/*
 * history.h - a test's iterations laid out along a tracked history, the
 * input of change point detection: the tested commits of a branch in
 * first-parent order (oldest first), or the branches of an imported NIPA
 * stream in date order, with each pool's (failures, runs) at every one.
 * Iterations of one position pool together; retries do not count.
 */
#ifndef KFLAKE_HISTORY_H
#define KFLAKE_HISTORY_H

#include <stddef.h>

#include "changepoint.h"
#include "store.h"

struct tree;

#define HISTORY_AXIS_GIT "git"
#define HISTORY_AXIS_NIPA "nipa"
/* First-parent commits walked from a branch tip before giving up. */
#define HISTORY_MAX_WALK 200000

/* One pool's counts at every position (v[i] for position i). */
struct history_series {
	char *test;
	char *suite;
	char *pool;		/* the rest of the pooling key, as text */
	char *test_arg;		/* the --test that ran it (NULL: unknown) */
	char *fragments;	/* JSON array: its latest run's fragments */
	long long last_run;	/* the latest run that counts */
	struct changepoint_count *v;
};

struct history {
	const char *axis;	/* HISTORY_AXIS_* */
	long long tree_id;	/* git: the tree's row; 0 for imports */
	char *branch;		/* the ref, or the NIPA stream */
	char **pos;		/* position ids (commits, branches), oldest first */
	size_t npos;
	struct history_series *series;
	size_t nseries, series_alloc;
};

/*
 * The tested commits on ref's first-parent line in tree t (row tree_id),
 * with the iterations of every pool on them (of test only, when given).
 * An untested branch gives an empty history, not an error.
 */
int history_load_git(struct store *st, struct tree *t, long long tree_id,
		     const char *ref, const char *test, struct history *h);

/*
 * The branches of an imported NIPA stream (e.g. net-next) in date order,
 * with the iterations of every (test, remote/executor) on them.
 */
int history_load_nipa(struct store *st, const char *stream, const char *test,
		      struct history *h);

/* Position index of id, or -1. */
long history_find(const struct history *h, const char *id);
void history_release(struct history *h);

/*
 * The --test argument that runs `test` (of `suite`) again, from a run's
 * argv (JSON array): "suite:test" for kselftests, the path for path
 * tests. NULL when a path test's argv does not say. malloc'ed.
 */
char *history_test_arg(const char *argv_json, const char *test,
		       const char *suite);

#endif
