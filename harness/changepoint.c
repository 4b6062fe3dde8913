/*
 * changepoint.c - owns the change point arithmetic (see changepoint.h):
 * the beta-binomial segment likelihood, recursive segmentation, and the
 * posterior interval for a change's position. Counts go in, positions
 * come out; which history the counts describe is alert.c's business.
 */
#include <math.h>
#include <stdlib.h>

#include "changepoint.h"
#include "util.h"

void changepoint_params_default(struct changepoint_params *p)
{
	p->a = CHANGEPOINT_PRIOR_A;
	p->b = CHANGEPOINT_PRIOR_B;
	p->prior = CHANGEPOINT_PRIOR;
	p->tail = CHANGEPOINT_TAIL;
}

static double lbeta(double x, double y)
{
	int sign;

	return lgamma_r(x, &sign) + lgamma_r(y, &sign) - lgamma_r(x + y, &sign);
}

double changepoint_loglik(const struct changepoint_params *p, long k, long n)
{
	return lbeta(k + p->a, n - k + p->b) - lbeta(p->a, p->b);
}

/* Prefix sums: fails and runs of positions [0, i) at index i. */
struct prefix {
	long *k, *n;
};

static void prefix_init(struct prefix *s, const struct changepoint_count *v,
			size_t n)
{
	size_t i;

	s->k = xcalloc(n + 1, sizeof(*s->k));
	s->n = xcalloc(n + 1, sizeof(*s->n));
	for (i = 0; i < n; i++) {
		long runs = v[i].runs > 0 ? v[i].runs : 0;
		long fails = v[i].fails < 0 ? 0 :
			     v[i].fails > runs ? runs : v[i].fails;

		s->k[i + 1] = s->k[i] + fails;
		s->n[i + 1] = s->n[i] + runs;
	}
}

static void prefix_free(struct prefix *s)
{
	free(s->k);
	free(s->n);
}

static double seg_ll(const struct changepoint_params *p,
		     const struct prefix *s, size_t from, size_t to)
{
	return changepoint_loglik(p, s->k[to] - s->k[from],
				  s->n[to] - s->n[from]);
}

/*
 * A split at t puts [from, t) before and [t, to) after. Only positions
 * with runs start a segment, and the part before must have runs: a
 * change cannot be placed on a commit nothing ran on.
 */
static int can_split(const struct prefix *s, size_t from, size_t t)
{
	return s->n[t + 1] > s->n[t] && s->n[t] > s->n[from];
}

/* ln P(Y | change at t) over [from, to). */
static double split_ll(const struct changepoint_params *p,
		       const struct prefix *s, size_t from, size_t t, size_t to)
{
	return seg_ll(p, s, from, t) + seg_ll(p, s, t, to);
}

/* Best split of [from, to): its position (0 if none) and ln likelihood. */
static size_t best_split(const struct changepoint_params *p,
			 const struct prefix *s, size_t from, size_t to,
			 double *best_ll)
{
	size_t t, best = 0;

	*best_ll = -INFINITY;
	for (t = from + 1; t < to; t++) {
		double ll;

		if (!can_split(s, from, t))
			continue;
		ll = split_ll(p, s, from, t, to);
		if (ll > *best_ll) {
			*best_ll = ll;
			best = t;
		}
	}
	return best;
}

struct splits {
	size_t *at;
	size_t nr, alloc;
};

static void segment(const struct changepoint_params *p, const struct prefix *s,
		    size_t from, size_t to, struct splits *out)
{
	double ll;
	size_t t = best_split(p, s, from, to, &ll);

	if (!t || ll - seg_ll(p, s, from, to) + log(p->prior) <= 0)
		return;
	segment(p, s, from, t, out);
	ALLOC_GROW(out->at, out->nr, out->alloc);
	out->at[out->nr++] = t;
	segment(p, s, t, to, out);
}

/*
 * The posterior over the position of one change in [from, to), uniform
 * prior: [lo, hi] leaves at most p->tail of it on each side. *best is
 * the most probable position; *at_prob the probability of position at.
 */
static void interval(const struct changepoint_params *p,
		     const struct prefix *s, size_t from, size_t to,
		     size_t at, size_t *lo, size_t *hi, size_t *best,
		     double *at_prob)
{
	double *ll = xcalloc(to - from, sizeof(*ll)), max = -INFINITY;
	double total = 0, cum = 0;
	size_t t;

	for (t = from + 1; t < to; t++) {
		ll[t - from] = can_split(s, from, t) ?
			       split_ll(p, s, from, t, to) : -INFINITY;
		if (ll[t - from] > max) {
			max = ll[t - from];
			*best = t;
		}
	}
	*lo = *hi = *best;
	*at_prob = 0;
	if (max == -INFINITY)
		goto out;
	/* Posterior with a uniform prior over positions: exp(ll) / sum. */
	for (t = from + 1; t < to; t++) {
		ll[t - from] = exp(ll[t - from] - max);
		total += ll[t - from];
	}
	if (at > from && at < to)
		*at_prob = ll[at - from] / total;
	*lo = 0;
	for (t = from + 1; t < to; t++) {
		if (ll[t - from] == 0)
			continue;
		cum += ll[t - from] / total;
		if (!*lo && cum > p->tail)
			*lo = t;
		*hi = t;
		if (cum >= 1 - p->tail - 1e-12)
			break;
	}
out:
	free(ll);
}

void changepoint_interval(const struct changepoint_count *v, size_t start,
			  size_t end, const struct changepoint_params *p,
			  size_t *lo, size_t *hi, size_t *best,
			  double *best_prob)
{
	struct prefix s;

	prefix_init(&s, v, end);
	*best = start;
	interval(p, &s, start, end, start, lo, hi, best, best_prob);
	if (*best > start && *best < end)
		interval(p, &s, start, end, *best, lo, hi, best, best_prob);
	prefix_free(&s);
}

size_t changepoint_find(const struct changepoint_count *v, size_t n,
			const struct changepoint_params *p,
			struct changepoint **out)
{
	struct splits sp = { 0 };
	struct prefix s;
	struct changepoint *cp;
	size_t i;

	*out = NULL;
	if (n < 2)
		return 0;
	prefix_init(&s, v, n);
	segment(p, &s, 0, n, &sp);
	if (!sp.nr) {
		prefix_free(&s);
		return 0;
	}
	cp = xcalloc(sp.nr, sizeof(*cp));
	for (i = 0; i < sp.nr; i++) {
		struct changepoint *c = &cp[i];
		size_t best;

		c->pos = sp.at[i];
		c->start = i ? sp.at[i - 1] : 0;
		c->end = i + 1 < sp.nr ? sp.at[i + 1] : n;
		c->k0 = s.k[c->pos] - s.k[c->start];
		c->n0 = s.n[c->pos] - s.n[c->start];
		c->k1 = s.k[c->end] - s.k[c->pos];
		c->n1 = s.n[c->end] - s.n[c->pos];
		c->log_bf = split_ll(p, &s, c->start, c->pos, c->end) -
			    seg_ll(p, &s, c->start, c->end);
		interval(p, &s, c->start, c->end, c->pos, &c->lo, &c->hi,
			 &best, &c->prob);
		/* The interval always holds the change it describes. */
		if (c->lo > c->pos)
			c->lo = c->pos;
		if (c->hi < c->pos)
			c->hi = c->pos;
	}
	free(sp.at);
	prefix_free(&s);
	*out = cp;
	return sp.nr;
}
