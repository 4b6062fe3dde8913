/*
 * alert.h - change-point alerts: the alerts table's one writer and its
 * typed reads. A scan runs changepoint_find() over every pool of a
 * history and keeps one alert per change, found again by later scans
 * (same pool and direction, overlapping interval) so its state
 * (new, acknowledged, fixed) survives; a change a scan no longer finds
 * stays, marked withdrawn. State changes come from `kflake alert`.
 */
#ifndef KFLAKE_ALERT_H
#define KFLAKE_ALERT_H

#include <stdio.h>

#include <jansson.h>

#include "history.h"
#include "store.h"

struct alert {
	long long id;
	char *axis;		/* HISTORY_AXIS_* */
	long long tree_id;
	char *tree;		/* the tree's source, when known */
	char *branch;
	char *test, *suite, *pool;
	char *test_arg;		/* --test that runs it again, or NULL */
	char *fragments;	/* JSON array, or NULL */
	char *direction;	/* worse or better */
	char *good;		/* last position before the interval */
	char *first, *nominal, *last;
	long positions;
	long k0, n0, k1, n1;
	double log_bf, prob, fisher_p;
	char *state;		/* new, acknowledged, fixed */
	char *state_note, *state_at;
	int current;
	char *created_at, *updated_at;
};

struct alert_scan_result {
	int found;		/* changes in the history */
	int created, updated, withdrawn;
	size_t positions;
	size_t series;
};

/*
 * Detect the changes of every pool of h and reconcile them with the
 * stored alerts of the same history, in one transaction.
 */
int alert_scan(struct store *st, const struct history *h,
	       struct alert_scan_result *res);

/*
 * Scan ref of tree (its source; NULL: the default tree): open it, load
 * the history (of test only, when given) and alert_scan() it.
 */
int alert_scan_ref(struct store *st, const char *tree, const char *ref,
		   const char *test, struct alert_scan_result *res);

/* Scan an imported NIPA stream (e.g. net-next) the same way. */
int alert_scan_nipa(struct store *st, const char *stream, const char *test,
		    struct alert_scan_result *res);

/* "WHAT: N tested position(s), ...: N change(s), N new alert(s), ..." */
void alert_scan_print(FILE *f, const char *what,
		      const struct alert_scan_result *r);

/*
 * Scan again every history scanned before (what `kflake alert scan` does
 * with no history named, and what a CI pass calls): one line per history
 * on f unless f is NULL. Returns 0, or -1 if any scan failed.
 */
int alert_scan_all(struct store *st, FILE *f);

/* Filters for alert_list: NULL/0 members match everything. */
struct alert_filter {
	const char *state;	/* one state */
	int open_only;		/* current and not fixed */
	const char *test;	/* substring of the test name */
	long limit;		/* 0: no limit */
};

int alert_load(struct store *st, long long id, struct alert *a);
/* Newest first. Returns the count, or -1. */
int alert_list(struct store *st, const struct alert_filter *f,
	       struct alert **out);
void alert_release(struct alert *a);
void alert_list_release(struct alert *v, int n);

/* state: acknowledged or fixed (or new, to reopen); note may be NULL. */
int alert_set_state(struct store *st, long long id, const char *state,
		    const char *note);

/* The histories scanned before (axis, tree source, branch), for rescans. */
struct alert_history_ref {
	char *axis;
	char *tree;		/* tree source, NULL for imports */
	char *branch;
};
int alert_histories(struct store *st, struct alert_history_ref **out);
void alert_histories_release(struct alert_history_ref *v, int n);

struct pool_key;
struct score;

/* The counts before and after the change, scored (score.h). */
void alert_scores(const struct alert *a, struct score *before,
		  struct score *after);

/*
 * The alert's pool line (kconfig set, guest size, stress, executor; no
 * test, no kernel) as a key, and as pool_describe() words.
 */
int alert_pool_key(const struct alert *a, struct pool_key *k);
char *alert_pool_describe(const struct alert *a);

/* Rates, with 95% Wilson intervals, and the evidence, as JSON. */
json_t *alert_json(const struct alert *a);
/* One alert, several lines; a list, one block per alert. */
void alert_print(FILE *f, const struct alert *a);
/* The open alerts (text or JSON array) for report --alerts and ci. */
int alert_report(struct store *st, FILE *f, int json);

/* "worse: net/udpgro.sh on net-next, 2/100 -> 30/100 at abcdef012345". */
char *alert_summary(const struct alert *a);

#endif
