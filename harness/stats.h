/*
 * stats.h - the statistics behind every verdict kflake prints: failure
 * rate intervals, flaky/stable calls, the sequential test a bisect step
 * runs, and the exact tests that compare two kernels' failure counts.
 * Pure functions of counts; nothing here touches the database or a VM.
 * docs/STATISTICS.md explains each method and why its thresholds are set.
 */
#ifndef KFLAKE_STATS_H
#define KFLAKE_STATS_H

#include <stddef.h>

/* Two-sided 95% normal quantile, the z of every interval kflake prints. */
#define STATS_Z95 1.959963984540054

/*
 * Wilson score interval for k failures in n runs. n == 0 gives [0, 1];
 * k outside [0, n] is clamped into it.
 */
void stats_wilson(long k, long n, double z, double *lo, double *hi);

/* Quantile of the standard normal distribution; p outside (0, 1) → ±inf. */
double stats_normal_quantile(double p);

/*
 * Flakiness verdict from a test's failures in runs, read off the 95%
 * Wilson interval: FAILING when its lower bound is above
 * STATS_FAILING_CEILING, FLAKY when both outcomes were seen, STABLE when
 * no run failed and the upper bound is below STATS_STABLE_FLOOR (a rate
 * of 10% or more is ruled out), otherwise UNDECIDED (too few runs).
 */
#define STATS_STABLE_FLOOR 0.10
#define STATS_FAILING_CEILING 0.80

enum stats_verdict {
	STATS_UNDECIDED,
	STATS_STABLE,
	STATS_FLAKY,
	STATS_FAILING,
};

const char *stats_verdict_name(enum stats_verdict v);
enum stats_verdict stats_verdict(long failures, long runs);
/* More passes needed for STABLE: 0 if already, -1 once a run failed. */
long stats_runs_to_stable(long failures, long runs);
/*
 * Runs needed to see at least one failure of a flake failing with rate p,
 * with probability 1 - beta: ceil(ln beta / ln(1 - p)). p <= 0 → -1 (never).
 */
long stats_runs_to_catch(double p, double beta);

/*
 * Wald's sequential probability ratio test, H0: p = p0 (good) against
 * H1: p = p1 (bad), p1 > p0. p0 and p1 are clamped to [1e-3, 1 - 1e-3]
 * so that p0 == 0 or p1 == 1 do not make one outcome infinitely decisive.
 */
#define STATS_SPRT_PMIN 1e-3

struct stats_sprt {
	double p0, p1, alpha, beta;
};

enum stats_sprt_decision {
	STATS_SPRT_CONTINUE,
	STATS_SPRT_H0, /* good: failure rate is p0 */
	STATS_SPRT_H1, /* bad: failure rate is p1 */
};

/* Log-likelihood ratio ln(L(p1)/L(p0)) of k failures in n runs. */
double stats_sprt_llr(const struct stats_sprt *s, long k, long n);
/* Accept H1 at or above upper = ln((1-beta)/alpha). */
double stats_sprt_upper(const struct stats_sprt *s);
/* Accept H0 at or below lower = ln(beta/(1-alpha)). */
double stats_sprt_lower(const struct stats_sprt *s);
enum stats_sprt_decision stats_sprt_decide(const struct stats_sprt *s,
					   long k, long n);
const char *stats_sprt_decision_name(enum stats_sprt_decision d);
/*
 * Confidence in a decision: 1 - alpha for H1, 1 - beta for H0 (the error
 * bounds the thresholds were built from), 0 for CONTINUE.
 */
double stats_sprt_confidence(const struct stats_sprt *s,
			     enum stats_sprt_decision d);

/*
 * A bisect's overall confidence: the product of its steps' (1.0 for no
 * steps). Below STATS_MIN_REPORT_CONFIDENCE a culprit is not reported
 * (syzbot's cut-off).
 */
#define STATS_MIN_REPORT_CONFIDENCE 0.66
double stats_confidence_product(const double *c, size_t n);

/*
 * Exact tests on base (k1 failures in n1 runs) against series (k2 in n2).
 * All return a p-value in [0, 1], or NAN for counts outside 0 <= k <= n
 * (so `p < alpha` is false and no change is ever claimed on junk).
 */
double stats_fisher_two_sided(long k1, long n1, long k2, long n2);
/* One-sided: evidence that the series fails more often than the base. */
double stats_fisher_worse(long k1, long n1, long k2, long n2);
/* One-sided: evidence that the series fails less often than the base. */
double stats_fisher_better(long k1, long n1, long k2, long n2);
/*
 * Barnard's unconditional test (pooled Wald statistic), maximised over
 * the nuisance rate on a grid. O(n1 * n2 * grid): meant for the small
 * counts where it beats Fisher, not for thousands of runs.
 */
double stats_barnard_two_sided(long k1, long n1, long k2, long n2);
double stats_barnard_worse(long k1, long n1, long k2, long n2);

enum stats_change {
	STATS_NO_CHANGE,
	STATS_REGRESSION,
	STATS_IMPROVEMENT,
};

const char *stats_change_name(enum stats_change c);
/*
 * REGRESSION when one-sided Fisher says the series fails more often than
 * the base at level alpha, IMPROVEMENT when it says less often.
 */
enum stats_change stats_compare(long k1, long n1, long k2, long n2,
				double alpha);
/*
 * Smallest failure rate q > p_base that stats_compare() would call a
 * regression with probability >= power, given n1 base and n2 series runs
 * (exact power of the one-sided Fisher test). -1 if even q = 1 is not.
 */
double stats_detectable_rate(double p_base, long n1, long n2, double alpha,
			     double power);
/* Exact power of stats_compare() finding a p_base → q regression. */
double stats_power(double p_base, double q, long n1, long n2, double alpha);
/*
 * Runs per side to detect p_base → q with the given power (normal
 * approximation with continuity correction, which tracks the exact
 * test); -1 unless 0 <= p_base < q <= 1.
 */
long stats_runs_needed(double p_base, double q, double alpha, double power);

/*
 * Median and percentile (0..100, linear interpolation between order
 * statistics, as numpy and R's type 7). Both sort v in place; n == 0
 * gives NAN.
 */
double stats_median(double *v, size_t n);
double stats_percentile(double *v, size_t n, double pct);

#endif
