/*
 * score.h - outcomes and the one score every reader shows: counts per
 * outcome, the failure rate over the iterations that gave a verdict, its
 * 95% Wilson interval and the flakiness verdict, with one JSON shape.
 * The CLI, the pages and the API all print a struct score.
 */
#ifndef KFLAKE_SCORE_H
#define KFLAKE_SCORE_H

#include <jansson.h>

#include "stats.h"

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
/* -1 for a word that is not an outcome. */
int record_outcome_parse(const char *s);
/* fail, stall and crash: what counts against the kernel. */
int record_outcome_failed(int o);

/*
 * Failures are fail + stall + crash; the iterations that give a verdict
 * are those plus passes (skip says nothing about the kernel and error is
 * our infrastructure failing; both are counted, neither is scored).
 */
struct score {
	long counts[OUTCOME_NR];
	long iterations;	/* every outcome */
	long failures;
	long verdict_runs;
	double rate;		/* failures / verdict_runs; 0 with none */
	double lo, hi;		/* 95% Wilson interval; [0, 1] with none */
	int decided;		/* verdict_runs > 0 */
	enum stats_verdict verdict;
};

/* Derive everything from counts[] (after filling or adding to them). */
void score_finish(struct score *s);
void score_add(struct score *dst, const struct score *src);
/* The verdict's name, or NULL when no iteration gave a verdict. */
const char *score_verdict_name(const struct score *s);

/*
 * The score as JSON, the same object everywhere:
 *   {"iterations": N, "counts": {"pass": N, ...}, "failures": N,
 *    "verdict_runs": N, "rate": x|null, "interval": [lo, hi],
 *    "verdict": "flaky"|...|null}
 */
json_t *score_json(const struct score *s);
/* Adds the same members to an existing object (for rows that own more). */
void score_json_into(json_t *o, const struct score *s);

#endif
