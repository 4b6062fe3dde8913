/*
 * test_stats.c - unit tests for harness/stats.c. Expected values come
 * from the shared reference.md (Statistics), from hand arithmetic shown
 * beside them, or from scipy 1.10.1 (stats.fisher_exact, barnard_exact,
 * binom, norm and optimize.brentq), as each comment says.
 */
#include <math.h>

#include "../../harness/stats.h"
#include "test.h"

TEST(stats_wilson_reference)
{
	double lo, hi;

	/* reference.md, z = 1.96: 0/20 → [0, 0.161]. */
	stats_wilson(0, 20, 1.96, &lo, &hi);
	CHECK_NEAR(lo, 0, 1e-12);
	CHECK_NEAR(hi, 0.161, 5e-4);
	/* By hand for k = 0 the upper bound is z^2 / (n + z^2). */
	CHECK_NEAR(hi, 1.96 * 1.96 / (20 + 1.96 * 1.96), 1e-12);
	/* reference.md: 1/20 → [0.009, 0.236]; scipy brentq on
	 * (p̂ - p)^2 = z^2 p (1 - p) / n gives 0.0088812194, 0.2361358935. */
	stats_wilson(1, 20, 1.96, &lo, &hi);
	CHECK_NEAR(lo, 0.0088812194, 1e-9);
	CHECK_NEAR(hi, 0.2361358935, 1e-9);
	/* reference.md: 10/100 → [0.055, 0.174]; brentq: 0.0552285416,
	 * 0.1743673044. */
	stats_wilson(10, 100, 1.96, &lo, &hi);
	CHECK_NEAR(lo, 0.0552285416, 1e-9);
	CHECK_NEAR(hi, 0.1743673044, 1e-9);
}

TEST(stats_wilson_edges)
{
	double lo, hi;

	/* No runs: nothing is known. */
	stats_wilson(0, 0, STATS_Z95, &lo, &hi);
	CHECK_NEAR(lo, 0, 0);
	CHECK_NEAR(hi, 1, 0);
	/* k = n: the upper bound is exactly 1; by symmetry with 0/20 the
	 * lower bound is 1 - z^2 / (n + z^2) = 0.838874842 (brentq agrees). */
	stats_wilson(20, 20, STATS_Z95, &lo, &hi);
	CHECK_NEAR(hi, 1, 0);
	CHECK_NEAR(lo, 0.8388748419, 1e-9);
	/* Counts past n are clamped to n. */
	stats_wilson(25, 20, STATS_Z95, &lo, &hi);
	CHECK_NEAR(lo, 0.8388748419, 1e-9);
}

TEST(stats_normal_quantile)
{
	/* scipy.stats.norm.ppf(0.975), ppf(0.95), ppf(0.8). */
	CHECK_NEAR(stats_normal_quantile(0.975), 1.959963984540054, 1e-12);
	CHECK_NEAR(stats_normal_quantile(0.95), 1.6448536269514722, 1e-12);
	CHECK_NEAR(stats_normal_quantile(0.8), 0.8416212335729143, 1e-12);
	CHECK_NEAR(stats_normal_quantile(0.025), -1.959963984540054, 1e-12);
	CHECK_NEAR(stats_normal_quantile(0.5), 0, 1e-15);
	CHECK(isinf(stats_normal_quantile(0)));
	CHECK(isinf(stats_normal_quantile(1)));
}

TEST(stats_verdict)
{
	/* Wilson 95% bounds from scipy brentq, as in stats_wilson_reference. */
	/* 0/20: upper 0.1611 >= 0.10, no failure seen → undecided. */
	CHECK_INT(stats_verdict(0, 20), STATS_UNDECIDED);
	/* 0/35: upper 0.0989 < 0.10; 0/34: upper 0.1015 is not. */
	CHECK_INT(stats_verdict(0, 35), STATS_STABLE);
	CHECK_INT(stats_verdict(0, 34), STATS_UNDECIDED);
	/* 1/100: upper 0.0545 → a rare flake is still called stable. */
	CHECK_INT(stats_verdict(1, 100), STATS_FLAKY);
	/* 1/20 and 16/20: both outcomes, lower bound <= 0.80. */
	CHECK_INT(stats_verdict(1, 20), STATS_FLAKY);
	CHECK_INT(stats_verdict(16, 20), STATS_FLAKY);
	/* 19/20: lower 0.7639 <= 0.80 → flaky; 20/20: lower 0.8389. */
	CHECK_INT(stats_verdict(19, 20), STATS_FLAKY);
	CHECK_INT(stats_verdict(20, 20), STATS_FAILING);
	/* 99/100: lower 0.9455 → failing despite one pass. */
	CHECK_INT(stats_verdict(99, 100), STATS_FAILING);
	/* 3/3: lower 0.4385 → too few runs. */
	CHECK_INT(stats_verdict(3, 3), STATS_UNDECIDED);
	CHECK_INT(stats_verdict(0, 0), STATS_UNDECIDED);
	CHECK_INT(stats_verdict(5, 3), STATS_UNDECIDED);
	CHECK_STR(stats_verdict_name(STATS_FLAKY), "flaky");
	CHECK_STR(stats_verdict_name(STATS_STABLE), "stable");
	CHECK_STR(stats_verdict_name(STATS_FAILING), "failing");
	CHECK_STR(stats_verdict_name(STATS_UNDECIDED), "undecided");
}

TEST(stats_runs_to_stable)
{
	/*
	 * 0 failures: stable once z^2 / (n + z^2) < 0.1, n > 9 z^2 = 34.57
	 * → 35 runs (by hand). The rest: scipy brentq upper bound, adding
	 * passes one at a time until it drops below 0.10.
	 */
	CHECK_INT(stats_runs_to_stable(0, 0), 35);
	CHECK_INT(stats_runs_to_stable(0, 20), 15);
	CHECK_INT(stats_runs_to_stable(0, 35), 0);
	CHECK_INT(stats_runs_to_stable(1, 20), -1);
	CHECK_INT(stats_runs_to_stable(1, 100), -1);
	CHECK_INT(stats_runs_to_stable(2, 10), -1);
	CHECK_INT(stats_runs_to_stable(5, 5), -1);
	CHECK_INT(stats_verdict(5, 5 + 108), STATS_FLAKY);
	CHECK_INT(stats_runs_to_stable(3, 2), -1);
}

TEST(stats_runs_to_catch)
{
	/* reference.md: p = 0.05, beta = 0.05 → ln 0.05 / ln 0.95 = 58.4. */
	CHECK_INT(stats_runs_to_catch(0.05, 0.05), 59);
	/* 0.5^2 = 0.25 exactly: two runs, not three. */
	CHECK_INT(stats_runs_to_catch(0.5, 0.25), 2);
	/* ln 0.01 / ln 0.9 = 43.7. */
	CHECK_INT(stats_runs_to_catch(0.1, 0.01), 44);
	CHECK_INT(stats_runs_to_catch(1, 0.05), 1);
	CHECK_INT(stats_runs_to_catch(0, 0.05), -1);
}

static const struct stats_sprt example = { 0.02, 0.3, 0.01, 0.01 };

TEST(stats_sprt_thresholds)
{
	/* reference.md: ln(0.99 / 0.01) = 4.59511985. */
	CHECK_NEAR(stats_sprt_upper(&example), 4.59511985013459, 1e-12);
	CHECK_NEAR(stats_sprt_lower(&example), -4.59511985013459, 1e-12);
	/* A failure adds ln(0.3 / 0.02) = ln 15, a pass ln(0.7 / 0.98). */
	CHECK_NEAR(stats_sprt_llr(&example, 1, 1), log(15), 1e-12);
	CHECK_NEAR(stats_sprt_llr(&example, 0, 1), -0.3364722366212129, 1e-12);
	CHECK_NEAR(stats_sprt_llr(&example, 0, 0), 0, 0);
}

TEST(stats_sprt_example)
{
	/* Two failures: 2 ln 15 = 5.416 >= 4.595; one: 2.708. */
	CHECK_INT(stats_sprt_decide(&example, 1, 1), STATS_SPRT_CONTINUE);
	CHECK_INT(stats_sprt_decide(&example, 2, 2), STATS_SPRT_H1);
	/* Passes only: 4.59512 / 0.33647 = 13.66 → H0 at exactly 14. */
	CHECK_INT(stats_sprt_decide(&example, 0, 13), STATS_SPRT_CONTINUE);
	CHECK_INT(stats_sprt_decide(&example, 0, 14), STATS_SPRT_H0);
	/* One failure first: (2.70805 + 4.59512) / 0.33647 = 21.71 → 22. */
	CHECK_INT(stats_sprt_decide(&example, 1, 22), STATS_SPRT_CONTINUE);
	CHECK_INT(stats_sprt_decide(&example, 1, 23), STATS_SPRT_H0);
	CHECK_STR(stats_sprt_decision_name(STATS_SPRT_H1), "bad");
	CHECK_STR(stats_sprt_decision_name(STATS_SPRT_H0), "good");
}

TEST(stats_sprt_clamped)
{
	struct stats_sprt s = { 0, 0.3, 0.01, 0.01 };
	struct stats_sprt backwards = { 0.3, 0.02, 0.01, 0.01 };

	/* p0 = 0 is read as 1e-3: a failure adds ln 300 = 5.704, a pass
	 * ln(0.7 / 0.999) = -0.35567; 4.59512 / 0.35567 = 12.92 → 13. */
	CHECK_NEAR(stats_sprt_llr(&s, 1, 1), log(300), 1e-12);
	CHECK(isfinite(stats_sprt_llr(&s, 5, 5)));
	CHECK_INT(stats_sprt_decide(&s, 1, 1), STATS_SPRT_H1);
	CHECK_INT(stats_sprt_decide(&s, 0, 12), STATS_SPRT_CONTINUE);
	CHECK_INT(stats_sprt_decide(&s, 0, 13), STATS_SPRT_H0);
	/* p1 <= p0 never decides. */
	CHECK_INT(stats_sprt_decide(&backwards, 0, 1000), STATS_SPRT_CONTINUE);
}

TEST(stats_sprt_confidence)
{
	struct stats_sprt s = { 0.02, 0.3, 0.05, 0.1 };
	/* syzbot-like bisect: 0.95 * 0.9 * 0.95 = 0.81225 by hand. */
	double steps[] = { 0.95, 0.9, 0.95 };

	CHECK_NEAR(stats_sprt_confidence(&s, STATS_SPRT_H1), 0.95, 1e-15);
	CHECK_NEAR(stats_sprt_confidence(&s, STATS_SPRT_H0), 0.9, 1e-15);
	CHECK_NEAR(stats_sprt_confidence(&s, STATS_SPRT_CONTINUE), 0, 0);
	CHECK_NEAR(stats_confidence_product(steps, 3), 0.81225, 1e-12);
	CHECK_NEAR(stats_confidence_product(steps, 0), 1, 0);
	CHECK(stats_confidence_product(steps, 3) >=
	      STATS_MIN_REPORT_CONFIDENCE);
}

TEST(stats_fisher_known)
{
	/* R's fisher.test(matrix(c(3,1,1,3), 2)): 0.4857 (= 17/35). */
	CHECK_NEAR(stats_fisher_two_sided(3, 4, 1, 4), 17.0 / 35, 1e-12);
	/* R: [[10,0],[0,10]] → 1.0825e-05 (= 2 / C(20,10) = 2/184756). */
	CHECK_NEAR(stats_fisher_two_sided(10, 10, 0, 10), 2.0 / 184756, 1e-15);
	/* scipy fisher_exact([[2,9],[48,31]]): two-sided 0.01002317648,
	 * alternative='less' 0.00912535139, 'greater' 0.99892572633. */
	CHECK_NEAR(stats_fisher_two_sided(2, 50, 9, 40), 0.01002317648321145,
		   1e-12);
	CHECK_NEAR(stats_fisher_worse(2, 50, 9, 40), 0.009125351386157641,
		   1e-12);
	CHECK_NEAR(stats_fisher_better(2, 50, 9, 40), 0.9989257263280095,
		   1e-12);
}

TEST(stats_fisher_crossing)
{
	/*
	 * 0/20 against k/20, scipy fisher_exact: two-sided p is 0.10603 at
	 * k = 4 and 0.04712 at k = 5; one-sided 0.05301 and 0.02356. By hand
	 * one-sided = C(20,k) / C(40,k): k = 5 → 15504 / 658008.
	 */
	CHECK_NEAR(stats_fisher_two_sided(0, 20, 4, 20), 0.10602910602910603,
		   1e-12);
	CHECK_NEAR(stats_fisher_two_sided(0, 20, 5, 20), 0.04712404712404713,
		   1e-12);
	CHECK_NEAR(stats_fisher_worse(0, 20, 4, 20), 0.05301455301455302,
		   1e-12);
	CHECK_NEAR(stats_fisher_worse(0, 20, 5, 20), 15504.0 / 658008, 1e-12);
	CHECK_INT(stats_compare(0, 20, 4, 20, 0.05), STATS_NO_CHANGE);
	CHECK_INT(stats_compare(0, 20, 5, 20, 0.05), STATS_REGRESSION);
	CHECK_INT(stats_compare(5, 20, 0, 20, 0.05), STATS_IMPROVEMENT);
	CHECK_INT(stats_compare(4, 20, 0, 20, 0.05), STATS_NO_CHANGE);
	CHECK_STR(stats_change_name(STATS_REGRESSION), "regression");
	CHECK_STR(stats_change_name(STATS_NO_CHANGE), "no change");
}

TEST(stats_fisher_edges)
{
	/* One possible table when a side has no runs or no failures at
	 * all: p = 1. Junk counts give NAN, which never compares < alpha. */
	CHECK_NEAR(stats_fisher_two_sided(0, 0, 3, 10), 1, 1e-12);
	CHECK_NEAR(stats_fisher_two_sided(0, 10, 0, 10), 1, 1e-12);
	CHECK_NEAR(stats_fisher_two_sided(10, 10, 10, 10), 1, 1e-12);
	CHECK_NEAR(stats_fisher_worse(0, 20, 0, 20), 1, 1e-12);
	CHECK(isnan(stats_fisher_two_sided(11, 10, 0, 10)));
	CHECK(isnan(stats_fisher_worse(-1, 10, 0, 10)));
	CHECK_INT(stats_compare(11, 10, 0, 10, 0.05), STATS_NO_CHANGE);
}

/* Hypergeometric P(X = x) from products of integer binomials, no lgamma. */
static double brute_binom(int n, int k)
{
	double c = 1;
	int i;

	for (i = 1; i <= k; i++)
		c = c * (n - k + i) / i;
	return c;
}

static double brute_fisher(int k1, int n1, int k2, int n2)
{
	int K = k1 + k2, x;
	double total = brute_binom(n1 + n2, K), obs, p, sum = 0;

	obs = brute_binom(n1, k1) * brute_binom(n2, k2) / total;
	for (x = 0; x <= K; x++) {
		if (x > n1 || K - x > n2)
			continue;
		p = brute_binom(n1, x) * brute_binom(n2, K - x) / total;
		if (p <= obs * (1 + 1e-7))
			sum += p;
	}
	return sum;
}

TEST(stats_fisher_brute_force)
{
	int k1, k2, bad = 0;

	/* Every table with 9 base and 7 series runs. */
	for (k1 = 0; k1 <= 9; k1++)
		for (k2 = 0; k2 <= 7; k2++)
			if (fabs(stats_fisher_two_sided(k1, 9, k2, 7) -
				 brute_fisher(k1, 9, k2, 7)) > 1e-12)
				bad++;
	CHECK_INT(bad, 0);
}

TEST(stats_barnard)
{
	/*
	 * scipy.stats.barnard_exact (columns are the two kernels):
	 * [[0,4],[20,16]]: 'less' 0.019285114, two-sided 0.038570227;
	 * [[1,6],[9,6]]: 'less' 0.031397485, two-sided 0.061619939.
	 */
	CHECK_NEAR(stats_barnard_worse(0, 20, 4, 20), 0.019285113653617916,
		   1e-8);
	CHECK_NEAR(stats_barnard_two_sided(0, 20, 4, 20), 0.038570227307235666,
		   1e-8);
	CHECK_NEAR(stats_barnard_worse(1, 10, 6, 12), 0.031397485429688905,
		   1e-8);
	CHECK_NEAR(stats_barnard_two_sided(1, 10, 6, 12), 0.06161993877688096,
		   1e-8);
	/*
	 * [[7,12],[8,3]]: scipy says 'less' 0.034076716, two-sided 0.068153433,
	 * but drops the mirror table 3/15 vs 8/15, whose Wald statistic is
	 * exactly the observed one (difference -1/3, p(1-p) = 209/900 both)
	 * and comes out 4.4e-16 away in floating point. Counting that tie,
	 * scipy's own statistic array maximised over the nuisance rate with
	 * scipy.optimize.minimize_scalar gives 0.034109155 and 0.068218309
	 * (at rate 0.33655).
	 */
	CHECK_NEAR(stats_barnard_worse(7, 15, 12, 15), 0.03410915466159746,
		   1e-8);
	CHECK_NEAR(stats_barnard_two_sided(7, 15, 12, 15), 0.06821830932319495,
		   1e-8);
	/* Barnard catches 0/20 → 4/20 where Fisher (0.053) does not. */
	CHECK(stats_barnard_worse(0, 20, 4, 20) < 0.05);
	CHECK_NEAR(stats_barnard_two_sided(3, 10, 3, 10), 1, 1e-9);
	CHECK_NEAR(stats_barnard_two_sided(0, 0, 3, 10), 1, 0);
	CHECK(isnan(stats_barnard_worse(4, 3, 0, 3)));
}

TEST(stats_power)
{
	/*
	 * Brute force in scipy: sum over all (k1, k2) of binom.pmf(k1, n1,
	 * p) * binom.pmf(k2, n2, q) where fisher_exact(alternative='less')
	 * <= 0.05.
	 */
	CHECK_NEAR(stats_power(0.05, 0.4, 20, 20, 0.05), 0.8078753531115417,
		   1e-9);
	CHECK_NEAR(stats_power(0, 0.3, 20, 20, 0.05), 0.7624922211223986,
		   1e-9);
	CHECK_NEAR(stats_power(0.1, 0.5, 30, 25, 0.05), 0.9320492003886762,
		   1e-9);
	/* No change: power is at most the test's size. */
	CHECK(stats_power(0.1, 0.1, 30, 30, 0.05) <= 0.05);
	CHECK(isnan(stats_power(0.1, 0.5, 0, 25, 0.05)));
}

TEST(stats_detectable_rate)
{
	/* scipy brentq on the brute-force power above, target 0.8. */
	CHECK_NEAR(stats_detectable_rate(0, 20, 20, 0.05, 0.8),
		   0.3132998786374242, 1e-7);
	CHECK_NEAR(stats_detectable_rate(0.05, 20, 20, 0.05, 0.8),
		   0.39606155931321135, 1e-7);
	/* One run a side can never reach p <= 0.05 (best is 0.5). */
	CHECK_NEAR(stats_detectable_rate(0.1, 1, 1, 0.05, 0.8), -1, 0);
	CHECK_NEAR(stats_detectable_rate(0.1, 0, 10, 0.05, 0.8), -1, 0);
}

TEST(stats_runs_needed)
{
	/*
	 * Fleiss-Tytun-Ury, one-sided alpha = 0.05, power 0.8, evaluated in
	 * python with scipy's norm.ppf: 21.86, 22.61, 527.55, 176.04.
	 */
	CHECK_INT(stats_runs_needed(0.05, 0.4, 0.05, 0.8), 22);
	CHECK_INT(stats_runs_needed(0, 0.3, 0.05, 0.8), 23);
	CHECK_INT(stats_runs_needed(0.02, 0.05, 0.05, 0.8), 528);
	CHECK_INT(stats_runs_needed(0.1, 0.2, 0.05, 0.8), 177);
	/* And it errs towards enough runs: exact power at 22 a side is
	 * 0.854 (scipy brute force). */
	CHECK(stats_power(0.05, 0.4, 22, 22, 0.05) >= 0.8);
	CHECK_INT(stats_runs_needed(0.3, 0.3, 0.05, 0.8), -1);
}

TEST(stats_percentile)
{
	/* numpy: median 3.5, percentile 90 → 7.5, 25 → 2.25. */
	double v[] = { 5, 1, 4, 2, 3, 10 };
	double one[] = { 7 };
	double odd[] = { 9, 1, 5 };

	CHECK_NEAR(stats_median(v, 6), 3.5, 1e-12);
	CHECK_NEAR(v[0], 1, 0);
	CHECK_NEAR(v[5], 10, 0);
	CHECK_NEAR(stats_percentile(v, 6, 90), 7.5, 1e-12);
	CHECK_NEAR(stats_percentile(v, 6, 25), 2.25, 1e-12);
	CHECK_NEAR(stats_percentile(v, 6, 0), 1, 0);
	CHECK_NEAR(stats_percentile(v, 6, 100), 10, 0);
	CHECK_NEAR(stats_percentile(one, 1, 30), 7, 0);
	CHECK_NEAR(stats_median(odd, 3), 5, 0);
	CHECK(isnan(stats_median(v, 0)));
}
