/*
 * seqsim.c - what `--until decided` saves, computed exactly (no random
 * draws): expected iterations and the chance of each verdict for the
 * stopping rules in harness/seqtest.c against a fixed number of runs at
 * the same error.
 *
 *   seqsim [--max N] [--delta D]   the tables (bench/run prints them)
 *   seqsim --calibrate             regenerate harness/seqtest_levels.h
 *
 * Plain runs: a test stops at its first verdict (seqtest_plain_decided)
 * or at N; the fixed design always runs N.
 * Base/series pairs: the group-sequential design of seqtest.h with cap N
 * per side, against the fixed design of docs/STATISTICS.md (one-sided
 * Fisher at 0.05 after n runs per side). "Equal error": the fixed n is the
 * smallest with at least the sequential design's power at that pair (for
 * p = q, at the design's alternative p -> p + delta); both designs keep a
 * false regression at or below 0.05.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqtest.h"
#include "stats.h"
#include "util.h"

/* Verdict distribution and expected length of a plain run. */
static void plain_oc(double p, long cap, int sequential, double v[4],
		     double *expected)
{
	double *cur = xcalloc((size_t)cap + 2, sizeof(double));
	double *nx = xcalloc((size_t)cap + 2, sizeof(double));
	long n, k;

	memset(v, 0, 4 * sizeof(double));
	*expected = 0;
	cur[0] = 1;
	for (n = 1; n <= cap; n++) {
		memset(nx, 0, ((size_t)cap + 2) * sizeof(double));
		for (k = 0; k < n; k++) {
			nx[k] += cur[k] * (1 - p);
			nx[k + 1] += cur[k] * p;
		}
		for (k = 0; k <= n; k++) {
			if (nx[k] <= 0)
				continue;
			if ((sequential && seqtest_plain_decided(k, n)) ||
			    n == cap) {
				v[stats_verdict(k, n)] += nx[k];
				*expected += nx[k] * (double)n;
				nx[k] = 0;
			}
		}
		memcpy(cur, nx, ((size_t)cap + 2) * sizeof(double));
	}
	free(cur);
	free(nx);
}

static void plain_table(long cap)
{
	static const double ps[] = { 0, 0.02, 0.1, 0.5, 1 };
	size_t i;

	printf("== plain runs: until decided (cap %ld) against fixed %ld\n", cap,
	       cap);
	printf("%6s  %8s %8s  %-33s  %-33s\n", "p", "E[n]", "fixed",
	       "until decided: stable/flaky/fail/und",
	       "fixed: stable/flaky/fail/und");
	for (i = 0; i < ARRAY_SIZE(ps); i++) {
		double vs[4], vf[4], es, ef;

		plain_oc(ps[i], cap, 1, vs, &es);
		plain_oc(ps[i], cap, 0, vf, &ef);
		printf("%6.2f  %8.1f %8.0f  %.3f/%.3f/%.3f/%.3f       "
		       "      %.3f/%.3f/%.3f/%.3f  (%.0f%% fewer)\n", ps[i], es,
		       ef, vs[STATS_STABLE], vs[STATS_FLAKY], vs[STATS_FAILING],
		       vs[STATS_UNDECIDED], vf[STATS_STABLE], vf[STATS_FLAKY],
		       vf[STATS_FAILING], vf[STATS_UNDECIDED],
		       100 * (1 - es / ef));
	}
}

/* Smallest n per side whose fixed Fisher test has at least `power`. */
static long fixed_n(double p, double q, double power)
{
	long n;

	for (n = 2; n < 5000; n++)
		if (stats_power(p, q, n, n, SEQTEST_ALPHA) >= power)
			return n;
	return -1;
}

static void pair_table(long max, double delta)
{
	static const double pairs[][2] = {
		{ 0.02, 0.02 }, { 0.02, 0.2 }, { 0.1, 0.3 }, { 0, 0.5 },
	};
	struct seqtest s;
	double pr[SEQTEST_NR], en, sup_a = 0, sup_b = 0, p, worst = 1e9;
	size_t i;

	seqtest_init(&s, delta, max);
	printf("\n== base/series pairs: sequential (cap %ld per side, look "
	       "every %ld, level %.4f per look, delta %.2f) against fixed n\n",
	       s.max, s.step, s.level, s.delta);
	printf("%5s %5s  %9s  %7s %7s %7s  %7s %6s  %7s %7s  %s\n", "base",
	       "series", "E[n]/side", "P(reg)", "P(noch)", "P(und)", "power",
	       "fixed", "E[tot]", "fixtot", "saving");
	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		double b = pairs[i][0], q = pairs[i][1], power, alt = q;
		long nf;

		seqtest_oc(&s, b, q, pr, &en);
		if (q <= b) {
			double pa[SEQTEST_NR], ea;

			alt = fmin(1, b + s.delta);
			seqtest_oc(&s, b, alt, pa, &ea);
			power = pa[SEQTEST_REGRESSION];
		} else {
			power = pr[SEQTEST_REGRESSION];
		}
		/* A power of 1 - 1e-9 is "certain": no fixed n chases it. */
		nf = fixed_n(b, alt, fmin(power, 1 - 1e-6));
		printf("%5.2f %5.2f  %9.1f  %7.4f %7.4f %7.4f  %7.4f %6ld  "
		       "%7.1f %7ld  %5.0f%%%s\n", b, q, en,
		       pr[SEQTEST_REGRESSION], pr[SEQTEST_NO_CHANGE],
		       pr[SEQTEST_UNDECIDED], power, nf, 2 * en, 2 * nf,
		       100 * (1 - en / (double)nf),
		       q <= b ? " (power at +delta)" : "");
		if (1 - en / (double)nf < worst)
			worst = 1 - en / (double)nf;
	}
	for (p = 0; p <= 0.99; p += 0.01) {
		seqtest_oc(&s, p, p, pr, &en);
		sup_a = fmax(sup_a, pr[SEQTEST_REGRESSION]);
		if (p + s.delta <= 1) {
			seqtest_oc(&s, p, p + s.delta, pr, &en);
			sup_b = fmax(sup_b, pr[SEQTEST_NO_CHANGE]);
		}
	}
	printf("smallest saving over these pairs: %.0f%%\n", 100 * worst);
	printf("error rates over p = 0, 0.01, ..., 0.99: false regression "
	       "(series = base) at most %.4f; false \"no change\" when the "
	       "series fails delta = %.2f more at most %.4f\n", sup_a, s.delta,
	       sup_b);
}

/*
 * A reused base: n1 runs on record (rate p), only the series runs, with
 * its looks every step. Exact: a 1-D walk over the series' count for
 * each base count.
 */
static void reused_oc(const struct seqtest *s, long n1, double p, double q,
		      double prob[SEQTEST_NR], double *expected)
{
	double *cur = xcalloc((size_t)s->max + 2, sizeof(double));
	double *nx = xcalloc((size_t)s->max + 2, sizeof(double));
	long k1, n, k, j;

	memset(prob, 0, SEQTEST_NR * sizeof(double));
	*expected = 0;
	for (k1 = 0; k1 <= n1; k1++) {
		double w = exp(lgamma(n1 + 1.0) - lgamma(k1 + 1.0) -
			       lgamma(n1 - k1 + 1.0)) *
			   (p > 0 ? pow(p, (double)k1) : k1 == 0) *
			   (p < 1 ? pow(1 - p, (double)(n1 - k1)) : k1 == n1);

		if (w < 1e-15)
			continue;
		memset(cur, 0, ((size_t)s->max + 2) * sizeof(double));
		cur[0] = w;
		for (n = s->step; n <= s->max; n += s->step) {
			/* step more series runs */
			for (j = 0; j < s->step; j++) {
				memset(nx, 0, ((size_t)s->max + 2) * sizeof(double));
				for (k = 0; k <= n - s->step + j; k++) {
					nx[k] += cur[k] * (1 - q);
					nx[k + 1] += cur[k] * q;
				}
				memcpy(cur, nx, ((size_t)s->max + 2) * sizeof(double));
			}
			for (k = 0; k <= n; k++) {
				enum seqtest_decision d;

				if (cur[k] <= 0)
					continue;
				d = seqtest_decide(s, k1, n1, k, n);
				if (d == SEQTEST_CONTINUE && n >= s->max)
					d = SEQTEST_UNDECIDED;
				if (d == SEQTEST_CONTINUE)
					continue;
				prob[d] += cur[k];
				*expected += cur[k] * (double)n;
				cur[k] = 0;
			}
		}
	}
	free(cur);
	free(nx);
}

static void reused_table(long max, double delta)
{
	static const double pairs[][2] = {
		{ 0.02, 0.02 }, { 0.02, 0.2 }, { 0.1, 0.3 }, { 0, 0.5 },
	};
	struct seqtest s;
	double pr[SEQTEST_NR], en, sup = 0, p;
	size_t i;

	seqtest_init(&s, delta, max);
	printf("\n== a reused base (100 runs on record), only the series "
	       "runs (cap %ld)\n", s.max);
	printf("%5s %5s  %14s  %7s %7s %7s\n", "base", "series",
	       "E[series runs]", "P(reg)", "P(noch)", "P(und)");
	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		reused_oc(&s, 100, pairs[i][0], pairs[i][1], pr, &en);
		printf("%5.2f %5.2f  %14.1f  %7.4f %7.4f %7.4f\n", pairs[i][0],
		       pairs[i][1], en, pr[SEQTEST_REGRESSION],
		       pr[SEQTEST_NO_CHANGE], pr[SEQTEST_UNDECIDED]);
	}
	for (p = 0; p <= 0.99; p += 0.03) {
		reused_oc(&s, 100, p, p, pr, &en);
		sup = fmax(sup, pr[SEQTEST_REGRESSION]);
	}
	printf("false regression with a reused base of 100, p = 0, 0.03, ..., "
	       "0.99: at most %.4f\n", sup);
}

/* The largest level on a 0.00025 grid whose sup false regression <= alpha. */
static void calibrate(void)
{
	double prev = 1;
	int looks;

	printf("/* seqtest_levels.h - generated by `bench/seqsim "
	       "--calibrate`; see seqtest.c. */\n");
	for (looks = 1; looks <= SEQTEST_MAX_LOOKS; looks++) {
		long lo = 1, hi = 200, mid;	/* level = i * 0.00025 */

		while (lo < hi) {
			mid = (lo + hi + 1) / 2;
			if (seqtest_sup_alpha(mid * 0.00025, SEQTEST_STEP,
					      looks) <= SEQTEST_ALPHA)
				lo = mid;
			else
				hi = mid - 1;
		}
		prev = fmin(prev, lo * 0.00025);
		printf("\t%.5f,\t/* %d look(s), cap %d */\n", prev, looks,
		       looks * SEQTEST_STEP);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max", required_argument, NULL, 'm' },
		{ "delta", required_argument, NULL, 'd' },
		{ "calibrate", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	long max = SEQTEST_DEFAULT_MAX, plain_cap = 50;
	double delta = SEQTEST_DEFAULT_DELTA;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			max = atol(optarg);
			plain_cap = max;
			break;
		case 'd':
			delta = atof(optarg);
			break;
		case 'c':
			calibrate();
			return 0;
		default:
			fprintf(stderr, "usage: seqsim [--max N] [--delta D] "
				"[--calibrate]\n");
			return 2;
		}
	}
	if (max < 1 || !(delta > 0 && delta < 1)) {
		fprintf(stderr, "seqsim: --max >= 1 and 0 < --delta < 1\n");
		return 2;
	}
	plain_table(plain_cap);
	pair_table(max, delta);
	reused_table(max, delta);
	return 0;
}
