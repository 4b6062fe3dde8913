/*
 * bisect.c - candidate selection over a commit DAG and the decisions of
 * a flaky-signal bisect (see bisect.h). Pure: no git, no VM, no SQL.
 */
#include <stdlib.h>
#include <string.h>

#include "bisect.h"
#include "record.h"
#include "util.h"

const char *bisect_mark_name(enum bisect_mark m)
{
	static const char *const names[] = { "untested", "good", "bad",
					     "skip" };

	return (unsigned)m < ARRAY_SIZE(names) ? names[m] : "?";
}

const char *bisect_verdict_name(enum bisect_verdict v)
{
	static const char *const names[] = { "undecided", "good", "bad",
					     "skip" };

	return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "?";
}

void bisect_graph_init(struct bisect_graph *g)
{
	memset(g, 0, sizeof(*g));
}

void bisect_graph_release(struct bisect_graph *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->nodes[i].id);
		free(g->nodes[i].parents);
	}
	free(g->nodes);
	memset(g, 0, sizeof(*g));
}

size_t bisect_graph_add(struct bisect_graph *g, const char *id)
{
	struct bisect_node *nd;

	ALLOC_GROW(g->nodes, g->n, g->alloc);
	nd = &g->nodes[g->n];
	memset(nd, 0, sizeof(*nd));
	nd->id = xstrdup(id);
	return g->n++;
}

void bisect_graph_add_parent(struct bisect_graph *g, size_t child,
			     size_t parent)
{
	struct bisect_node *nd = &g->nodes[child];

	ALLOC_GROW(nd->parents, nd->nparents, nd->parents_alloc);
	nd->parents[nd->nparents++] = parent;
}

long bisect_graph_find(const struct bisect_graph *g, const char *id)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->nodes[i].id, id))
			return (long)i;
	return -1;
}

void bisect_graph_mark(struct bisect_graph *g, size_t i, enum bisect_mark m)
{
	g->nodes[i].mark = m;
	if (m == BISECT_BAD)
		g->bad = i;
}

/*
 * Mark (with `val`) every ancestor of `from`, itself included, whose
 * seen[] is not already val. Iterative: a kernel range can be deeper
 * than the stack.
 */
static size_t mark_ancestors(const struct bisect_graph *g, size_t from,
			     unsigned *seen, unsigned val,
			     const unsigned char *within, size_t *stack)
{
	size_t sp = 0, count = 0;

	if (seen[from] == val || (within && !within[from]))
		return 0;
	seen[from] = val;
	stack[sp++] = from;
	while (sp) {
		const struct bisect_node *nd = &g->nodes[stack[--sp]];
		size_t k;

		count++;
		for (k = 0; k < nd->nparents; k++) {
			size_t p = nd->parents[k];

			if (seen[p] == val || (within && !within[p]))
				continue;
			seen[p] = val;
			stack[sp++] = p;
		}
	}
	return count;
}

size_t bisect_candidates(const struct bisect_graph *g, unsigned char *cand)
{
	unsigned *seen;
	size_t *stack, i, nr = 0;

	memset(cand, 0, g->n);
	if (!g->n)
		return 0;
	seen = xcalloc(g->n, sizeof(*seen));
	/* Each node is pushed once per walk, so n slots always suffice. */
	stack = xcalloc(g->n, sizeof(*stack));
	/* 1: ancestors of a good commit; 2: ancestors of the bad one. */
	for (i = 0; i < g->n; i++)
		if (g->nodes[i].mark == BISECT_GOOD)
			mark_ancestors(g, i, seen, 1, NULL, stack);
	/* The bad commit's ancestors, stopping at good territory. */
	if (!seen[g->bad]) {
		size_t sp = 0;

		seen[g->bad] = 2;
		stack[sp++] = g->bad;
		while (sp) {
			const struct bisect_node *nd = &g->nodes[stack[--sp]];
			size_t k;

			for (k = 0; k < nd->nparents; k++) {
				size_t p = nd->parents[k];

				if (seen[p])
					continue;
				seen[p] = 2;
				stack[sp++] = p;
			}
		}
	}
	for (i = 0; i < g->n; i++) {
		cand[i] = seen[i] == 2;
		nr += cand[i];
	}
	free(seen);
	free(stack);
	return nr;
}

enum bisect_next bisect_next(const struct bisect_graph *g, size_t *idx,
			     size_t *left)
{
	unsigned char *cand = xmalloc(g->n ? g->n : 1);
	unsigned *seen = NULL;
	size_t *stack = NULL, nr, i, best = g->bad, best_score = 0;
	int found = 0;

	nr = bisect_candidates(g, cand);
	*left = nr;
	*idx = g->bad;
	if (nr <= 1)
		goto out;
	seen = xcalloc(g->n, sizeof(*seen));
	stack = xcalloc(g->n, sizeof(*stack));
	for (i = 0; i < g->n; i++) {
		size_t w, score;

		if (!cand[i] || i == g->bad ||
		    g->nodes[i].mark != BISECT_UNTESTED)
			continue;
		/* A fresh stamp per walk: no clearing between candidates. */
		w = mark_ancestors(g, i, seen, (unsigned)i + 1, cand, stack);
		score = w < nr - w ? w : nr - w;
		if (!found || score > best_score) {
			best = i;
			best_score = score;
			found = 1;
		}
	}
	*idx = best;
out:
	free(cand);
	free(seen);
	free(stack);
	if (nr <= 1)
		return BISECT_NEXT_FOUND;
	return found ? BISECT_NEXT_TEST : BISECT_NEXT_SKIPPED;
}

void bisect_params_init(struct bisect_params *p)
{
	p->alpha = BISECT_DEFAULT_ALPHA;
	p->beta = BISECT_DEFAULT_BETA;
	p->cap = BISECT_DEFAULT_CAP;
	p->end_iterations = BISECT_DEFAULT_END_ITERATIONS;
	p->p0_floor = BISECT_P0_FLOOR;
	p->p1_ceiling = BISECT_P1_CEILING;
}

void bisect_evidence_add(struct bisect_evidence *e, const long *counts)
{
	long failures = counts[OUTCOME_FAIL] + counts[OUTCOME_STALL] +
			counts[OUTCOME_CRASH];

	e->failures += failures;
	e->runs += counts[OUTCOME_PASS] + failures;
	e->errors += counts[OUTCOME_ERROR];
	e->skips += counts[OUTCOME_SKIP];
}

int bisect_sprt_from_ends(const struct bisect_params *p,
			  const struct bisect_evidence *good,
			  const struct bisect_evidence *bad,
			  struct stats_sprt *out, char **why)
{
	double r0, r1, lo, hi;

	*why = NULL;
	if (!good->runs || !bad->runs) {
		*why = xasprintf("the %s end gave no usable iteration "
				 "(%ld errors, %ld skips)",
				 !good->runs ? "good" : "bad",
				 !good->runs ? good->errors : bad->errors,
				 !good->runs ? good->skips : bad->skips);
		return -1;
	}
	r0 = (double)good->failures / good->runs;
	r1 = (double)bad->failures / bad->runs;
	if (r1 <= r0) {
		*why = xasprintf("the bad end does not fail more often than "
				 "the good end (%ld/%ld against %ld/%ld): "
				 "nothing to bisect", bad->failures, bad->runs,
				 good->failures, good->runs);
		return -1;
	}
	out->p0 = r0 > p->p0_floor ? r0 : p->p0_floor;
	/*
	 * The bad end's rate from a dozen iterations is noisy, and an
	 * overestimated p1 lets a lucky streak on a bad commit reach "good"
	 * (seen: an end at 8/12 against a true rate of 0.45 sent a 1/9 step
	 * to good). So p1 is the lower bound of the end's 95% interval, but
	 * never below halfway from p0 to the measured rate, so that small,
	 * weakly separated ends still give a test that can decide.
	 */
	stats_wilson(bad->failures, bad->runs, STATS_Z95, &lo, &hi);
	if (lo < (out->p0 + r1) / 2)
		lo = (out->p0 + r1) / 2;
	out->p1 = lo < p->p1_ceiling ? lo : p->p1_ceiling;
	out->alpha = p->alpha;
	out->beta = p->beta;
	if (out->p1 <= out->p0) {
		*why = xasprintf("the bad end fails at %.2f, not clearly above "
				 "the good end's %.2f (floor %.2f): a step "
				 "could never decide", r1, r0, p->p0_floor);
		return -1;
	}
	return 0;
}

enum bisect_verdict bisect_step_verdict(const struct stats_sprt *s, int cap,
					const struct bisect_evidence *e,
					int finished)
{
	switch (stats_sprt_decide(s, e->failures, e->runs)) {
	case STATS_SPRT_H0:
		return BISECT_VERDICT_GOOD;
	case STATS_SPRT_H1:
		return BISECT_VERDICT_BAD;
	case STATS_SPRT_CONTINUE:
		break;
	}
	if (e->runs >= cap || finished)
		return BISECT_VERDICT_SKIP;
	if (e->errors >= BISECT_MAX_ERRORS && e->errors > e->runs)
		return BISECT_VERDICT_SKIP;
	return BISECT_CONTINUE;
}

double bisect_verdict_confidence(const struct stats_sprt *s,
				 enum bisect_verdict v)
{
	switch (v) {
	case BISECT_VERDICT_GOOD:
		return stats_sprt_confidence(s, STATS_SPRT_H0);
	case BISECT_VERDICT_BAD:
		return stats_sprt_confidence(s, STATS_SPRT_H1);
	default:
		return 0;
	}
}

int bisect_run(struct bisect_graph *g, const struct bisect_ops *ops,
	       size_t *idx)
{
	for (;;) {
		size_t left;
		enum bisect_next next = bisect_next(g, idx, &left);
		enum bisect_verdict v;

		if (next != BISECT_NEXT_TEST)
			return next;
		v = ops->test(ops->data, g, *idx, left);
		switch (v) {
		case BISECT_VERDICT_GOOD:
			bisect_graph_mark(g, *idx, BISECT_GOOD);
			break;
		case BISECT_VERDICT_BAD:
			bisect_graph_mark(g, *idx, BISECT_BAD);
			break;
		case BISECT_VERDICT_SKIP:
			bisect_graph_mark(g, *idx, BISECT_SKIPPED);
			break;
		case BISECT_CONTINUE:
			return -1;
		}
	}
}
