/*
 * seqtest.h - the stopping rules of `--until decided`: when a plain run
 * has seen enough of a test to call it, and when a base/series pair has
 * seen enough to say regression, improvement or no change. Pure
 * functions of counts, like stats.h; docs/STATISTICS.md states each
 * rule's error rates and bench/seqsim prints them.
 */
#ifndef KFLAKE_SEQTEST_H
#define KFLAKE_SEQTEST_H

#include "stats.h"

/*
 * Plain runs: a test stops as soon as stats_verdict() is no longer
 * UNDECIDED (stable after 35 clean runs, failing after 20 failures in a
 * row, flaky once both outcomes showed), or at the cap. The verdict at
 * the stop is the one a fixed run of that length would print.
 */
int seqtest_plain_decided(long failures, long runs);

/*
 * Base against series, a group-sequential design: both sides grow by
 * SEQTEST_STEP iterations between looks, up to max per side. At a look:
 *   regression   one-sided Fisher "worse" p <= level(looks);
 *   improvement  one-sided Fisher "better" p <= level(looks);
 *   no change    the upper one-sided 99% bound of (series - base) rate,
 *                Newcombe's hybrid score interval, is below delta: a
 *                rise of delta is ruled out;
 *   undecided    none of these by the cap.
 * level() is the nominal per-look level that keeps the chance of a
 * false regression at or below SEQTEST_ALPHA over all looks, for any
 * common failure rate (Pocock's idea, computed exactly for Fisher's
 * test; seqtest_levels[] and bench/seqsim --calibrate).
 */
#define SEQTEST_ALPHA 0.05
#define SEQTEST_STEP 5
#define SEQTEST_MAX_LOOKS 40
#define SEQTEST_DEFAULT_MAX 80		/* per side */
#define SEQTEST_DEFAULT_DELTA 0.20
#define SEQTEST_FUTILITY_Z 2.326347874	/* one-sided 99% */

enum seqtest_decision {
	SEQTEST_CONTINUE,
	SEQTEST_REGRESSION,
	SEQTEST_IMPROVEMENT,
	SEQTEST_NO_CHANGE,	/* a rise of delta is ruled out */
	SEQTEST_UNDECIDED,	/* the cap came first */
	SEQTEST_NR
};

struct seqtest {
	double delta;	/* the rise in failure rate that matters */
	long max;	/* cap per side, a multiple of step */
	long step;	/* per side between looks */
	double level;	/* nominal one-sided level at each look */
};

/* A design for a cap (rounded up to whole looks) and delta. */
void seqtest_init(struct seqtest *s, double delta, long max);
const char *seqtest_decision_name(enum seqtest_decision d);
/* The nominal level for a design of `looks` looks (1..SEQTEST_MAX_LOOKS). */
double seqtest_level(int looks);

/*
 * The decision at a look with k1 of n1 base runs failed and k2 of n2
 * series runs. With either side under one step, CONTINUE. UNDECIDED once
 * both sides reached max.
 */
enum seqtest_decision seqtest_decide(const struct seqtest *s, long k1,
				     long n1, long k2, long n2);
/* The per-side count of the next look after n (never above max). */
long seqtest_next_look(const struct seqtest *s, long n);

/*
 * Upper one-sided bound (normal quantile z) of the difference of rates
 * k2/n2 - k1/n1: Newcombe's method 10 (Wilson limits combined by the
 * square-and-add rule). 1 when a side has no runs.
 */
double seqtest_diff_upper(long k1, long n1, long k2, long n2, double z);

/*
 * Exact operating characteristic of the design when the base fails at
 * rate p and the series at q, both sides in lock-step: the probability
 * of each decision (indexed by enum seqtest_decision) and the expected
 * iterations per side. For the bench and the tests.
 */
void seqtest_oc(const struct seqtest *s, double p, double q,
		double prob[SEQTEST_NR], double *expected_n);
/*
 * Exact chance of a false regression (p = q) of a bare repeated Fisher
 * test at `level`, with looks every step up to looks * step and no
 * futility stop, maximised over p in 0.01, 0.02, ..., 0.99. The
 * calibration behind seqtest_level().
 */
double seqtest_sup_alpha(double level, long step, int looks);

#endif
