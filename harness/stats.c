/*
 * stats.c - owns the numbers behind kflake's verdicts: Wilson intervals,
 * the stable/flaky/failing call, Wald's SPRT for bisect steps, Fisher's
 * and Barnard's exact tests with their power, and order statistics.
 * See docs/STATISTICS.md for the methods and the choice of thresholds.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "stats.h"
#include "util.h"

/* R's fisher.test tolerance: tables this close to the observed one tie. */
#define FISHER_REL_TOL 1e-7
/* Nuisance rates Barnard's test tries: i / BARNARD_GRID, 0 < i < GRID. */
#define BARNARD_GRID 1000
/* Rejection sets ignore base outcomes rarer than this; they move power by
 * less than n1 * 1e-15 and would each cost a binary search. */
#define POWER_NEGLIGIBLE 1e-15

void stats_wilson(long k, long n, double z, double *lo, double *hi)
{
	double p, z2n, denom, centre, half;

	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	if (k < 0)
		k = 0;
	if (k > n)
		k = n;
	p = (double)k / n;
	z2n = z * z / n;
	denom = 1 + z2n;
	centre = (p + z2n / 2) / denom;
	half = z * sqrt(p * (1 - p) / n + z2n / (4.0 * n)) / denom;
	/* The bounds are exactly 0 and 1 at the edges; keep rounding out. */
	*lo = k == 0 ? 0 : fmax(0, centre - half);
	*hi = k == n ? 1 : fmin(1, centre + half);
}

double stats_normal_quantile(double p)
{
	double lo = -40, hi = 0, mid;
	int i;

	if (isnan(p))
		return NAN;
	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	/* Search the lower tail only: erfc keeps its precision there, and
	 * 1 - p is exact for p >= 0.5. */
	if (p > 0.5)
		return -stats_normal_quantile(1 - p);
	for (i = 0; i < 200; i++) {
		mid = (lo + hi) / 2;
		if (mid == lo || mid == hi)
			break;
		if (0.5 * erfc(-mid / M_SQRT2) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

const char *stats_verdict_name(enum stats_verdict v)
{
	switch (v) {
	case STATS_STABLE:
		return "stable";
	case STATS_FLAKY:
		return "flaky";
	case STATS_FAILING:
		return "failing";
	case STATS_UNDECIDED:
		break;
	}
	return "undecided";
}

static int counts_ok(long k, long n)
{
	return k >= 0 && n >= k;
}

static int is_stable(long failures, long runs)
{
	double lo, hi;

	/* A test that failed even once is not stable: it is a flake. */
	if (failures)
		return 0;
	stats_wilson(failures, runs, STATS_Z95, &lo, &hi);
	return runs > 0 && hi < STATS_STABLE_FLOOR;
}

enum stats_verdict stats_verdict(long failures, long runs)
{
	double lo, hi;

	if (runs <= 0 || !counts_ok(failures, runs))
		return STATS_UNDECIDED;
	stats_wilson(failures, runs, STATS_Z95, &lo, &hi);
	if (lo > STATS_FAILING_CEILING)
		return STATS_FAILING;
	if (failures > 0 && failures < runs)
		return STATS_FLAKY;
	if (is_stable(failures, runs))
		return STATS_STABLE;
	return STATS_UNDECIDED;
}

long stats_runs_to_stable(long failures, long runs)
{
	long lo = 0, hi = 1, mid;

	if (!counts_ok(failures, runs) || failures)
		return -1;
	if (is_stable(failures, runs))
		return 0;
	/* The upper bound falls as passes accumulate: gallop, then bisect
	 * with lo never stable and hi stable. */
	while (!is_stable(failures, runs + hi)) {
		if (hi > (LONG_MAX - runs) / 4)
			return -1;
		lo = hi;
		hi *= 2;
	}
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (is_stable(failures, runs + mid))
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

long stats_runs_to_catch(double p, double beta)
{
	double n;

	if (!(p > 0) || !(beta > 0))
		return -1;
	if (beta >= 1)
		return 0;
	if (p >= 1)
		return 1;
	n = log(beta) / log1p(-p);
	if (n >= (double)(LONG_MAX / 2))
		return LONG_MAX;
	/* An exact integer (p = 0.5, beta = 0.25 → 2) must not round up. */
	return (long)ceil(n * (1 - 1e-12));
}

static double clamp_rate(double p)
{
	return fmin(fmax(p, STATS_SPRT_PMIN), 1 - STATS_SPRT_PMIN);
}

double stats_sprt_llr(const struct stats_sprt *s, long k, long n)
{
	double p0 = clamp_rate(s->p0), p1 = clamp_rate(s->p1);

	if (!counts_ok(k, n))
		return 0;
	return k * log(p1 / p0) + (n - k) * log((1 - p1) / (1 - p0));
}

double stats_sprt_upper(const struct stats_sprt *s)
{
	return log((1 - s->beta) / s->alpha);
}

double stats_sprt_lower(const struct stats_sprt *s)
{
	return log(s->beta / (1 - s->alpha));
}

enum stats_sprt_decision stats_sprt_decide(const struct stats_sprt *s,
					   long k, long n)
{
	double llr;

	/* With p1 <= p0 the ratio points the wrong way: never decide. */
	if (clamp_rate(s->p1) <= clamp_rate(s->p0))
		return STATS_SPRT_CONTINUE;
	llr = stats_sprt_llr(s, k, n);
	if (llr >= stats_sprt_upper(s))
		return STATS_SPRT_H1;
	if (llr <= stats_sprt_lower(s))
		return STATS_SPRT_H0;
	return STATS_SPRT_CONTINUE;
}

const char *stats_sprt_decision_name(enum stats_sprt_decision d)
{
	switch (d) {
	case STATS_SPRT_H0:
		return "good";
	case STATS_SPRT_H1:
		return "bad";
	case STATS_SPRT_CONTINUE:
		break;
	}
	return "continue";
}

double stats_sprt_confidence(const struct stats_sprt *s,
			     enum stats_sprt_decision d)
{
	switch (d) {
	case STATS_SPRT_H1:
		return 1 - s->alpha;
	case STATS_SPRT_H0:
		return 1 - s->beta;
	case STATS_SPRT_CONTINUE:
		break;
	}
	return 0;
}

double stats_confidence_product(const double *c, size_t n)
{
	double prod = 1;
	size_t i;

	for (i = 0; i < n; i++)
		prod *= c[i];
	return prod;
}

static double log_choose(long n, long k)
{
	int sign;

	/* lgamma() writes the global signgam; lgamma_r keeps us reentrant. */
	return lgamma_r(n + 1.0, &sign) - lgamma_r(k + 1.0, &sign) -
	       lgamma_r(n - k + 1.0, &sign);
}

/* log P(base has x of the K failures) with both margins fixed. */
static double hyper_log_pmf(long x, long n1, long n2, long K)
{
	return log_choose(n1, x) + log_choose(n2, K - x) -
	       log_choose(n1 + n2, K);
}

static int tables_ok(long k1, long n1, long k2, long n2)
{
	return counts_ok(k1, n1) && counts_ok(k2, n2);
}

double stats_fisher_two_sided(long k1, long n1, long k2, long n2)
{
	long K = k1 + k2, x, lo, hi;
	double obs, lp, sum = 0;

	if (!tables_ok(k1, n1, k2, n2))
		return NAN;
	lo = K > n2 ? K - n2 : 0;
	hi = K < n1 ? K : n1;
	obs = hyper_log_pmf(k1, n1, n2, K) + log1p(FISHER_REL_TOL);
	for (x = lo; x <= hi; x++) {
		lp = hyper_log_pmf(x, n1, n2, K);
		if (lp <= obs)
			sum += exp(lp);
	}
	return fmin(sum, 1);
}

/* P(base has between from and to of the K failures), margins fixed. */
static double hyper_range(long from, long to, long n1, long n2, long K)
{
	long x, lo = K > n2 ? K - n2 : 0, hi = K < n1 ? K : n1;
	double sum = 0;

	if (from < lo)
		from = lo;
	if (to > hi)
		to = hi;
	for (x = from; x <= to; x++)
		sum += exp(hyper_log_pmf(x, n1, n2, K));
	return fmin(sum, 1);
}

double stats_fisher_worse(long k1, long n1, long k2, long n2)
{
	if (!tables_ok(k1, n1, k2, n2))
		return NAN;
	/* The series is worse when the base holds few of the failures. */
	return hyper_range(0, k1, n1, n2, k1 + k2);
}

double stats_fisher_better(long k1, long n1, long k2, long n2)
{
	if (!tables_ok(k1, n1, k2, n2))
		return NAN;
	return hyper_range(k1, n1, n1, n2, k1 + k2);
}

/* Pooled Wald statistic of series rate minus base rate; 0 on equal rates
 * (which also covers the 0/0 of no or all failures), as scipy does. */
static double wald(long x1, long n1, long x2, long n2)
{
	double p1 = (double)x1 / n1, p2 = (double)x2 / n2;
	double p = (double)(x1 + x2) / (n1 + n2);

	if (x1 * n2 == x2 * n1)
		return 0;
	return (p2 - p1) / sqrt(p * (1 - p) * (1.0 / n1 + 1.0 / n2));
}

struct barnard {
	long n1, n2;
	char *reject; /* (n1 + 1) x (n2 + 1): table at least as extreme */
	double *lc1, *lc2, *b1, *b2;
};

/* P(a table in the rejection set) when both sides fail at rate pi. */
static double barnard_tail(struct barnard *b, double pi)
{
	double lp = log(pi), lq = log1p(-pi), sum = 0, row;
	long x1, x2;

	for (x1 = 0; x1 <= b->n1; x1++)
		b->b1[x1] = exp(b->lc1[x1] + x1 * lp + (b->n1 - x1) * lq);
	for (x2 = 0; x2 <= b->n2; x2++)
		b->b2[x2] = exp(b->lc2[x2] + x2 * lp + (b->n2 - x2) * lq);
	for (x1 = 0; x1 <= b->n1; x1++) {
		row = 0;
		for (x2 = 0; x2 <= b->n2; x2++)
			if (b->reject[x1 * (b->n2 + 1) + x2])
				row += b->b2[x2];
		sum += b->b1[x1] * row;
	}
	return sum;
}

/* Sup over the nuisance rate: a grid, then a ternary search around the
 * best grid point so a narrow peak between grid points is not missed. */
static double barnard_sup(struct barnard *b)
{
	double best = 0, best_pi = 0.5, lo, hi, m1, m2, t;
	int i;

	for (i = 1; i < BARNARD_GRID; i++) {
		t = barnard_tail(b, (double)i / BARNARD_GRID);
		if (t > best) {
			best = t;
			best_pi = (double)i / BARNARD_GRID;
		}
	}
	lo = fmax(best_pi - 1.0 / BARNARD_GRID, 1e-9);
	hi = fmin(best_pi + 1.0 / BARNARD_GRID, 1 - 1e-9);
	for (i = 0; i < 60; i++) {
		m1 = lo + (hi - lo) / 3;
		m2 = hi - (hi - lo) / 3;
		if (barnard_tail(b, m1) < barnard_tail(b, m2))
			lo = m1;
		else
			hi = m2;
	}
	return fmax(best, barnard_tail(b, (lo + hi) / 2));
}

static double barnard(long k1, long n1, long k2, long n2, int two_sided)
{
	struct barnard b = { n1, n2, NULL, NULL, NULL, NULL, NULL };
	double obs, t, p;
	long x1, x2;

	if (!tables_ok(k1, n1, k2, n2))
		return NAN;
	if (!n1 || !n2)
		return 1;
	b.reject = xmalloc((n1 + 1) * (n2 + 1));
	b.lc1 = xmalloc((n1 + 1) * sizeof(double));
	b.b1 = xmalloc((n1 + 1) * sizeof(double));
	b.lc2 = xmalloc((n2 + 1) * sizeof(double));
	b.b2 = xmalloc((n2 + 1) * sizeof(double));
	obs = wald(k1, n1, k2, n2);
	if (two_sided)
		obs = fabs(obs);
	for (x1 = 0; x1 <= n1; x1++) {
		b.lc1[x1] = log_choose(n1, x1);
		for (x2 = 0; x2 <= n2; x2++) {
			t = wald(x1, n1, x2, n2);
			if (two_sided)
				t = fabs(t);
			/* Mirror tables tie in exact arithmetic, not always
			 * in floating point. */
			b.reject[x1 * (n2 + 1) + x2] = t >= obs - 1e-9;
		}
	}
	for (x2 = 0; x2 <= n2; x2++)
		b.lc2[x2] = log_choose(n2, x2);
	p = fmin(barnard_sup(&b), 1);
	free(b.reject);
	free(b.lc1);
	free(b.lc2);
	free(b.b1);
	free(b.b2);
	return p;
}

double stats_barnard_two_sided(long k1, long n1, long k2, long n2)
{
	return barnard(k1, n1, k2, n2, 1);
}

double stats_barnard_worse(long k1, long n1, long k2, long n2)
{
	return barnard(k1, n1, k2, n2, 0);
}

const char *stats_change_name(enum stats_change c)
{
	switch (c) {
	case STATS_REGRESSION:
		return "regression";
	case STATS_IMPROVEMENT:
		return "improvement";
	case STATS_NO_CHANGE:
		break;
	}
	return "no change";
}

enum stats_change stats_compare(long k1, long n1, long k2, long n2,
				double alpha)
{
	if (stats_fisher_worse(k1, n1, k2, n2) <= alpha)
		return STATS_REGRESSION;
	if (stats_fisher_better(k1, n1, k2, n2) <= alpha)
		return STATS_IMPROVEMENT;
	return STATS_NO_CHANGE;
}

static double binom_pmf(long k, long n, double p)
{
	if (p <= 0)
		return k == 0;
	if (p >= 1)
		return k == n;
	return exp(log_choose(n, k) + k * log(p) + (n - k) * log1p(-p));
}

/*
 * The regression test's rejection set does not depend on the true rate:
 * for each base count k1 it is every series count from crit[k1] up
 * (more series failures only lower the one-sided p-value).
 */
struct power {
	long n1, n2;
	double *w1;   /* P(base count = k1) */
	long *crit;   /* smallest rejected series count, n2 + 1 if none */
	double *tail; /* scratch: P(series count >= c) */
};

static long critical_k2(long k1, long n1, long n2, double alpha)
{
	long lo = 0, hi = n2 + 1, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (stats_fisher_worse(k1, n1, mid, n2) <= alpha)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void power_init(struct power *pw, double p_base, long n1, long n2,
		       double alpha)
{
	long k1;

	pw->n1 = n1;
	pw->n2 = n2;
	pw->w1 = xmalloc((n1 + 1) * sizeof(double));
	pw->crit = xmalloc((n1 + 1) * sizeof(long));
	pw->tail = xmalloc((n2 + 2) * sizeof(double));
	for (k1 = 0; k1 <= n1; k1++) {
		pw->w1[k1] = binom_pmf(k1, n1, p_base);
		pw->crit[k1] = pw->w1[k1] < POWER_NEGLIGIBLE ?
				       n2 + 1 :
				       critical_k2(k1, n1, n2, alpha);
	}
}

static double power_at(struct power *pw, double q)
{
	double sum = 0;
	long c, k1;

	pw->tail[pw->n2 + 1] = 0;
	for (c = pw->n2; c >= 0; c--)
		pw->tail[c] = pw->tail[c + 1] + binom_pmf(c, pw->n2, q);
	for (k1 = 0; k1 <= pw->n1; k1++)
		sum += pw->w1[k1] * pw->tail[pw->crit[k1]];
	return fmin(sum, 1);
}

static void power_release(struct power *pw)
{
	free(pw->w1);
	free(pw->crit);
	free(pw->tail);
}

static int power_args_ok(double p_base, long n1, long n2, double alpha)
{
	return n1 > 0 && n2 > 0 && p_base >= 0 && p_base < 1 && alpha > 0 &&
	       alpha < 1;
}

double stats_power(double p_base, double q, long n1, long n2, double alpha)
{
	struct power pw;
	double p;

	if (!power_args_ok(p_base, n1, n2, alpha) || !(q >= 0 && q <= 1))
		return NAN;
	power_init(&pw, p_base, n1, n2, alpha);
	p = power_at(&pw, q);
	power_release(&pw);
	return p;
}

double stats_detectable_rate(double p_base, long n1, long n2, double alpha,
			     double power)
{
	struct power pw;
	double lo = p_base, hi = 1, mid;
	int i;

	if (!power_args_ok(p_base, n1, n2, alpha) ||
	    !(power > 0 && power < 1))
		return -1;
	power_init(&pw, p_base, n1, n2, alpha);
	if (power_at(&pw, 1) < power) {
		hi = -1;
		goto out;
	}
	/* Power rises with q: the rejection set is an upper set in the
	 * series count, whose distribution shifts up with q. */
	for (i = 0; i < 60 && hi - lo > 1e-9; i++) {
		mid = (lo + hi) / 2;
		if (power_at(&pw, mid) >= power)
			hi = mid;
		else
			lo = mid;
	}
out:
	power_release(&pw);
	return hi;
}

long stats_runs_needed(double p_base, double q, double alpha, double power)
{
	double za, zb, pbar, d, n0, n;

	if (!(p_base >= 0 && p_base < q && q <= 1) ||
	    !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
		return -1;
	/* Fleiss, Tytun & Ury (1980): the uncorrected normal sample size,
	 * then the continuity correction that makes it track Fisher's test. */
	za = stats_normal_quantile(1 - alpha);
	zb = stats_normal_quantile(power);
	pbar = (p_base + q) / 2;
	d = q - p_base;
	n0 = za * sqrt(2 * pbar * (1 - pbar)) +
	     zb * sqrt(p_base * (1 - p_base) + q * (1 - q));
	n0 = n0 * n0 / (d * d);
	n = n0 / 4 * pow(1 + sqrt(1 + 4 / (n0 * d)), 2);
	if (n >= (double)(LONG_MAX / 2))
		return LONG_MAX;
	return (long)ceil(n * (1 - 1e-12));
}

/* NaNs sort last so that they only ever reach the top percentiles. */
static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return (a > b) - (a < b);
}

double stats_percentile(double *v, size_t n, double pct)
{
	double rank, frac;
	size_t i;

	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	if (!(pct > 0))
		pct = 0;
	if (pct > 100)
		pct = 100;
	rank = pct / 100 * (n - 1);
	i = (size_t)rank;
	frac = rank - i;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + frac * (v[i + 1] - v[i]);
}

double stats_median(double *v, size_t n)
{
	return stats_percentile(v, n, 50);
}
