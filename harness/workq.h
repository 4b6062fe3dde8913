/*
 * workq.h - the CI work queue (table ci_items, db/009-ci.sql): patch
 * series and commits of tracked refs waiting to be tested, with their
 * state, so a killed `kflake ci` resumes where it stopped and never
 * redoes finished work.
 *
 *   queued -> running -> done | failed
 *      ^         |
 *      +---------+  SIGTERM, a transient failure, or a kill (recovered
 *                   on the next start; failed after WORKQ_MAX_ATTEMPTS)
 */
#ifndef KFLAKE_WORKQ_H
#define KFLAKE_WORKQ_H

#include "pool.h"
#include "store.h"

#define WORKQ_MAX_ATTEMPTS 3
#define WORKQ_PRIO_SERIES 0
#define WORKQ_PRIO_REF 1

struct workq_item {
	long long id;
	char *plan;
	char *key;		/* "series:<id>" or "ref:<tree>#<ref>@<commit>" */
	char *kconfig_set;
	char *kind;		/* series, ref */
	long long series_id;
	char *tree;		/* NULL: the default tree */
	char *ref;
	char *commit;
	char *state;
	int attempts;
};

void workq_item_release(struct workq_item *it);

/* Queue it unless (plan, key, kconfig set) is known: 1 queued, 0 known, -1. */
int workq_add(struct store *st, const struct workq_item *it);
/*
 * Items left 'running' by a ci that is gone (we hold the lock): back to
 * 'queued', or 'failed' once started WORKQ_MAX_ATTEMPTS times. Returns
 * how many were requeued (-1 on error).
 */
int workq_recover(struct store *st);
/*
 * The next queued item of plan (series before refs, oldest first),
 * marked running by this process: 1 with *it filled, 0 none, -1 error.
 */
int workq_claim(struct store *st, const char *plan, struct workq_item *it);
/* state: done or failed; result (JSON) and error may be NULL. */
int workq_finish(struct store *st, long long id, const char *state,
		 const char *result, const char *error);
/*
 * Back to the queue: a transient failure (counted against
 * WORKQ_MAX_ATTEMPTS), or a stop asked for (SIGTERM: not counted).
 * why may be NULL.
 */
int workq_requeue(struct store *st, long long id, const char *why,
		  int count_attempt);
/* Remember that run_id belongs to item id. */
int workq_link_run(struct store *st, long long id, long long run_id);

/* What an item's runs recorded for one test (a resumed item's prior). */
struct workq_count {
	char *test;
	long iterations;	/* every recorded iteration */
	long failures;		/* fail + stall + crash */
	long runs;		/* iterations with a verdict (not error, skip) */
};
/* Per test, over the item's runs; returns how many tests (-1 on error). */
int workq_counts(struct store *st, long long id, struct workq_count **out);
void workq_counts_release(struct workq_count *c, int n);
/* The item's latest run on commit (0: none). */
long long workq_last_run(struct store *st, long long id, const char *commit);
/* The commit of the newest kernel of item id's runs that did not build. */
char *workq_failed_build(struct store *st, long long id);
/* How many items of plan (NULL: all) are in state. */
long long workq_count_state(struct store *st, const char *plan,
			    const char *state);

/* How many items there are, of every plan and state. */
long long workq_count_all(struct store *st);
/*
 * The kernel pools (pool.h, run parts) of the runs of plan's items (NULL:
 * of every plan), first run first, at most max; returns how many.
 */
int workq_pools(struct store *st, const char *plan, int max,
		struct pool_key **out);
/*
 * What the items call commit: "TREE REF@0123456789ab", "series 3 'x'",
 * "base of series 3", joined by " / " (NULL: nothing does).
 */
char *workq_commit_label(struct store *st, const char *commit);

/* `kflake ci --status`: the queue, newest first, as a table or JSON. */
int workq_print(struct store *st, const char *plan, int json, int limit);

#endif
