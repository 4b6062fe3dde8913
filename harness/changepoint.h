/*
 * changepoint.h - where a test's failure rate changed along a history:
 * Bayesian segmentation of per-commit (failures, runs) counts under a
 * beta-binomial model, the method LUCI Analysis uses, with a 99%
 * interval for each change's position. Pure functions of counts; the
 * alerts built on them live in alert.c. docs/STATISTICS.md has the
 * formulas and the reasons for the priors.
 */
#ifndef KFLAKE_CHANGEPOINT_H
#define KFLAKE_CHANGEPOINT_H

#include <stddef.h>

/* One position of the history (a commit): its iterations pooled. */
struct changepoint_count {
	long fails;
	long runs;
};

struct changepoint_params {
	double a, b;		/* Beta(a, b) prior of a segment's rate */
	double prior;		/* prior probability of a change point */
	double tail;		/* each tail of the position interval */
};

/* LUCI Analysis's change point likelihood and prior family; see STATISTICS.md. */
#define CHANGEPOINT_PRIOR_A 0.05
#define CHANGEPOINT_PRIOR_B 0.5
#define CHANGEPOINT_PRIOR 1e-4
#define CHANGEPOINT_TAIL 0.005	/* a 99% interval */

void changepoint_params_default(struct changepoint_params *p);

/*
 * One change: the segment before is positions [start, pos), the one
 * after [pos, end); pos is the first position of the new rate, and the
 * 99% interval for it is [lo, hi] (start < lo <= pos <= hi < end).
 */
struct changepoint {
	size_t pos, lo, hi;
	size_t start, end;
	long k0, n0;		/* failures and runs before */
	long k1, n1;		/* failures and runs after */
	double log_bf;		/* ln Bayes factor: this change vs none */
	double prob;		/* posterior probability of pos itself */
};

/*
 * ln P(k failures in n runs, in a given order | one rate ~ Beta(a, b)):
 * lnB(k + a, n - k + b) - lnB(a, b).
 */
double changepoint_loglik(const struct changepoint_params *p, long k, long n);

/*
 * Segment v[0..n) (oldest first) recursively: split where the split
 * likelihood is highest, when its Bayes factor against no split times
 * the prior odds exceeds 1, then segment each side the same way.
 * Positions with no runs are allowed (they never hold a change alone).
 * Returns the number of changes, *out (malloc'ed, by position) holding
 * them; 0 and NULL when the rate never changed.
 */
size_t changepoint_find(const struct changepoint_count *v, size_t n,
			const struct changepoint_params *p,
			struct changepoint **out);

/*
 * The (1 - 2 tail) interval for a single change inside v[start, end):
 * the posterior over positions with a uniform prior, each tail cut at
 * tail. Sets *lo and *hi; *best gets the most probable position.
 */
void changepoint_interval(const struct changepoint_count *v, size_t start,
			  size_t end, const struct changepoint_params *p,
			  size_t *lo, size_t *hi, size_t *best,
			  double *best_prob);

#endif
