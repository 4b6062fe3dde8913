/*
 * seqtest.c - owns the stopping rules of `--until decided` (see
 * seqtest.h) and their exact operating characteristics. The numbers
 * quoted in docs/STATISTICS.md come from seqtest_oc() via bench/seqsim.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "seqtest.h"
#include "util.h"

/*
 * Nominal one-sided level per look for a design of i + 1 looks, every
 * SEQTEST_STEP iterations per side: the largest level (on a 0.00025
 * grid) whose bare repeated Fisher test keeps a false regression at or
 * below 0.05 for every common rate p in 0.01..0.99
 * (seqtest_sup_alpha()), made non-increasing. Regenerate with
 * `bench/seqsim --calibrate`; tests/unit/test_seqtest.c re-checks some.
 */
static const double seqtest_levels[SEQTEST_MAX_LOOKS] = {
#include "seqtest_levels.h"
};

int seqtest_plain_decided(long failures, long runs)
{
	return stats_verdict(failures, runs) != STATS_UNDECIDED;
}

double seqtest_level(int looks)
{
	if (looks < 1)
		looks = 1;
	if (looks > SEQTEST_MAX_LOOKS)
		looks = SEQTEST_MAX_LOOKS;
	return seqtest_levels[looks - 1];
}

void seqtest_init(struct seqtest *s, double delta, long max)
{
	long looks;

	s->delta = delta > 0 && delta < 1 ? delta : SEQTEST_DEFAULT_DELTA;
	if (max <= 0)
		max = SEQTEST_DEFAULT_MAX;
	/* Longer caps look less often, so the level table still covers them. */
	s->step = SEQTEST_STEP;
	if (max > SEQTEST_STEP * SEQTEST_MAX_LOOKS)
		s->step = (max + SEQTEST_MAX_LOOKS - 1) / SEQTEST_MAX_LOOKS;
	looks = (max + s->step - 1) / s->step;
	s->max = looks * s->step;
	s->level = seqtest_level((int)looks);
}

const char *seqtest_decision_name(enum seqtest_decision d)
{
	switch (d) {
	case SEQTEST_REGRESSION:
		return "regression";
	case SEQTEST_IMPROVEMENT:
		return "improvement";
	case SEQTEST_NO_CHANGE:
		return "no change";
	case SEQTEST_UNDECIDED:
		return "undecided";
	case SEQTEST_CONTINUE:
	case SEQTEST_NR:
		break;
	}
	return "continue";
}

double seqtest_diff_upper(long k1, long n1, long k2, long n2, double z)
{
	double l1, u1, l2, u2, p1, p2;

	if (n1 <= 0 || n2 <= 0)
		return 1;
	p1 = (double)k1 / (double)n1;
	p2 = (double)k2 / (double)n2;
	stats_wilson(k1, n1, z, &l1, &u1);
	stats_wilson(k2, n2, z, &l2, &u2);
	return p2 - p1 + sqrt((u2 - p2) * (u2 - p2) + (p1 - l1) * (p1 - l1));
}

enum seqtest_decision seqtest_decide(const struct seqtest *s, long k1,
				     long n1, long k2, long n2)
{
	if (n1 < s->step || n2 < s->step)
		return SEQTEST_CONTINUE;
	if (stats_fisher_worse(k1, n1, k2, n2) <= s->level)
		return SEQTEST_REGRESSION;
	if (stats_fisher_better(k1, n1, k2, n2) <= s->level)
		return SEQTEST_IMPROVEMENT;
	if (seqtest_diff_upper(k1, n1, k2, n2, SEQTEST_FUTILITY_Z) < s->delta)
		return SEQTEST_NO_CHANGE;
	if (n1 >= s->max && n2 >= s->max)
		return SEQTEST_UNDECIDED;
	return SEQTEST_CONTINUE;
}

long seqtest_next_look(const struct seqtest *s, long n)
{
	long next = (n / s->step + 1) * s->step;

	return next < s->max ? next : s->max;
}

/* ---- exact operating characteristics ---- */

static double binom(long k, long n, double p)
{
	if (p <= 0)
		return k == 0;
	if (p >= 1)
		return k == n;
	return exp(lgamma((double)n + 1) - lgamma((double)k + 1) -
		   lgamma((double)(n - k) + 1) + (double)k * log(p) +
		   (double)(n - k) * log1p(-p));
}

/*
 * The joint distribution of (base failures, series failures) over paths
 * that have not stopped yet, advanced one look (step runs per side) at
 * a time. Adding step independent runs to each side is two 1-D
 * convolutions, which keeps a 40-look design cheap.
 */
struct grid {
	long w;		/* row width: max + 1 */
	double *cur, *tmp;
	double wp[SEQTEST_STEP * 64 + 1], wq[SEQTEST_STEP * 64 + 1];
};

static void grid_init(struct grid *g, long max, long step, double p, double q)
{
	long j;

	g->w = max + 1;
	g->cur = xcalloc((size_t)(g->w * g->w), sizeof(double));
	g->tmp = xcalloc((size_t)(g->w * g->w), sizeof(double));
	for (j = 0; j <= step; j++) {
		g->wp[j] = binom(j, step, p);
		g->wq[j] = binom(j, step, q);
	}
	g->cur[0] = 1;
}

/* From n - step to n runs per side. */
static void grid_advance(struct grid *g, long n, long step)
{
	long a, b, i, pn = n - step, w = g->w;

	memset(g->tmp, 0, (size_t)(w * w) * sizeof(double));
	for (a = 0; a <= pn; a++)
		for (b = 0; b <= pn; b++) {
			double v = g->cur[a * w + b];

			if (v < 1e-300)
				continue;
			for (i = 0; i <= step; i++)
				g->tmp[(a + i) * w + b] += v * g->wp[i];
		}
	memset(g->cur, 0, (size_t)(w * w) * sizeof(double));
	for (a = 0; a <= n; a++)
		for (b = 0; b <= pn; b++) {
			double v = g->tmp[a * w + b];

			if (v < 1e-300)
				continue;
			for (i = 0; i <= step; i++)
				g->cur[a * w + b + i] += v * g->wq[i];
		}
}

static void grid_release(struct grid *g)
{
	free(g->cur);
	free(g->tmp);
}

void seqtest_oc(const struct seqtest *s, double p, double q,
		double prob[SEQTEST_NR], double *expected_n)
{
	struct grid g;
	long n, a, b;

	memset(prob, 0, SEQTEST_NR * sizeof(double));
	*expected_n = 0;
	if (s->step > SEQTEST_STEP * 64)
		return;
	grid_init(&g, s->max, s->step, p, q);
	for (n = s->step; n <= s->max; n += s->step) {
		grid_advance(&g, n, s->step);
		for (a = 0; a <= n; a++)
			for (b = 0; b <= n; b++) {
				double *v = &g.cur[a * g.w + b];
				enum seqtest_decision d;

				if (*v <= 0)
					continue;
				d = seqtest_decide(s, a, n, b, n);
				if (d == SEQTEST_CONTINUE && n >= s->max)
					d = SEQTEST_UNDECIDED;
				if (d == SEQTEST_CONTINUE)
					continue;
				prob[d] += *v;
				*expected_n += *v * (double)n;
				*v = 0;
			}
	}
	grid_release(&g);
}

double seqtest_sup_alpha(double level, long step, int looks)
{
	long max = step * looks, n, a, b, w = max + 1;
	unsigned char *rej = xcalloc((size_t)(looks + 1) * (size_t)(w * w), 1);
	double sup = 0, p;
	int l;

	for (l = 1; l <= looks; l++) {
		n = l * step;
		for (a = 0; a <= n; a++) {
			/* Rejection is monotone in b: find the first. */
			for (b = 0; b <= n; b++)
				if (stats_fisher_worse(a, n, b, n) <= level)
					break;
			for (; b <= n; b++)
				rej[((size_t)l * w + a) * w + b] = 1;
		}
	}
	for (p = 0.01; p < 0.995; p += 0.01) {
		struct grid g;
		double alpha = 0;

		grid_init(&g, max, step, p, p);
		for (l = 1; l <= looks; l++) {
			n = l * step;
			grid_advance(&g, n, step);
			for (a = 0; a <= n; a++)
				for (b = 0; b <= n; b++) {
					double *v = &g.cur[a * w + b];

					if (*v > 0 && rej[((size_t)l * w + a) * w + b]) {
						alpha += *v;
						*v = 0;
					}
				}
		}
		grid_release(&g);
		if (alpha > sup)
			sup = alpha;
	}
	free(rej);
	return sup;
}
