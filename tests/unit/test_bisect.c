/*
 * test_bisect.c - unit tests for harness/bisect.c: candidate selection
 * on hand-made DAGs (linear, with merges, with skipped commits), whole
 * bisections against a simulated culprit, and the step decisions against
 * SPRT thresholds worked out by hand beside each check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../harness/bisect.h"
#include "../../harness/record.h"
#include "../../harness/util.h"
#include "test.h"

/*
 * A linear history good <- c1 <- ... <- cN = bad, added in walk order
 * (newest first, as git_revwalk lists it): index i holds c(N - i).
 */
static void linear(struct bisect_graph *g, int n)
{
	int i;

	bisect_graph_init(g);
	for (i = n; i >= 1; i--) {
		char id[16];

		snprintf(id, sizeof(id), "c%d", i);
		bisect_graph_add(g, id);
	}
	for (i = 0; i + 1 < n; i++)
		bisect_graph_add_parent(g, (size_t)i, (size_t)i + 1);
	g->bad = 0;
}

static const char *next_id(struct bisect_graph *g, enum bisect_next *r,
			   size_t *left)
{
	size_t idx;

	*r = bisect_next(g, &idx, left);
	return g->nodes[idx].id;
}

static void mark(struct bisect_graph *g, const char *id, enum bisect_mark m)
{
	long i = bisect_graph_find(g, id);

	CHECK(i >= 0);
	if (i >= 0)
		bisect_graph_mark(g, (size_t)i, m);
}

TEST(bisect_linear_halves)
{
	struct bisect_graph g;
	enum bisect_next r;
	size_t left;

	/*
	 * 8 candidates c1..c8; ci has i candidate ancestors, so
	 * min(i, 8 - i) peaks at c4 (4), as `git bisect` picks.
	 */
	linear(&g, 8);
	CHECK_STR(next_id(&g, &r, &left), "c4");
	CHECK_INT(r, BISECT_NEXT_TEST);
	CHECK_INT(left, 8);
	/* c4 good: c5..c8 left, weights 1, 2, 3 → c6. */
	mark(&g, "c4", BISECT_GOOD);
	CHECK_STR(next_id(&g, &r, &left), "c6");
	CHECK_INT(left, 4);
	/* c6 bad: c5, c6 left → c5. */
	mark(&g, "c6", BISECT_BAD);
	CHECK_STR(next_id(&g, &r, &left), "c5");
	CHECK_INT(left, 2);
	/* c5 bad: only c5 itself is left: the first bad commit. */
	mark(&g, "c5", BISECT_BAD);
	CHECK_STR(next_id(&g, &r, &left), "c5");
	CHECK_INT(r, BISECT_NEXT_FOUND);
	CHECK_INT(left, 1);
	bisect_graph_release(&g);
}

TEST(bisect_single_commit_range)
{
	struct bisect_graph g;
	enum bisect_next r;
	size_t left;

	/* bad is the good end's child: nothing to test, bad is the culprit. */
	linear(&g, 1);
	CHECK_STR(next_id(&g, &r, &left), "c1");
	CHECK_INT(r, BISECT_NEXT_FOUND);
	bisect_graph_release(&g);
}

/*
 *   good - a1 - a2 ----- M - b (bad)
 *           \           /
 *            s1 ---- s2
 *
 * Walk order b, M, s2, a2, s1, a1. Candidate ancestors (w) of the six:
 * a1 1, a2 2, s1 2, s2 3, M 5, b 6; min(w, 6 - w): a1 1, a2 2, s1 2,
 * s2 3, M 1 → s2.
 */
static void merge_graph(struct bisect_graph *g)
{
	const char *ids[] = { "b", "M", "s2", "a2", "s1", "a1" };
	size_t i;

	bisect_graph_init(g);
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		bisect_graph_add(g, ids[i]);
	bisect_graph_add_parent(g, 0, 1);	/* b -> M */
	bisect_graph_add_parent(g, 1, 3);	/* M -> a2 */
	bisect_graph_add_parent(g, 1, 2);	/* M -> s2 */
	bisect_graph_add_parent(g, 2, 4);	/* s2 -> s1 */
	bisect_graph_add_parent(g, 3, 5);	/* a2 -> a1 */
	bisect_graph_add_parent(g, 4, 5);	/* s1 -> a1 */
	g->bad = 0;
}

TEST(bisect_merge_good_side)
{
	struct bisect_graph g;
	enum bisect_next r;
	size_t left;

	merge_graph(&g);
	CHECK_STR(next_id(&g, &r, &left), "s2");
	CHECK_INT(left, 6);
	/*
	 * s2 good takes s2, s1, a1 out: b, M, a2 left (3). a2: w 1 → 1;
	 * M: w 2 (M, a2) → 1. Tie: M comes first in walk order.
	 */
	mark(&g, "s2", BISECT_GOOD);
	CHECK_STR(next_id(&g, &r, &left), "M");
	CHECK_INT(left, 3);
	/* M bad: M, a2 left → a2; a2 good → the merge is the first bad. */
	mark(&g, "M", BISECT_BAD);
	CHECK_STR(next_id(&g, &r, &left), "a2");
	mark(&g, "a2", BISECT_GOOD);
	CHECK_STR(next_id(&g, &r, &left), "M");
	CHECK_INT(r, BISECT_NEXT_FOUND);
	bisect_graph_release(&g);
}

TEST(bisect_merge_bad_side)
{
	struct bisect_graph g;
	enum bisect_next r;
	size_t left;

	merge_graph(&g);
	/* s2 bad: s2, s1, a1 left; s1 (w 2) and a1 (w 1) both score 1. */
	mark(&g, "s2", BISECT_BAD);
	CHECK_STR(next_id(&g, &r, &left), "s1");
	CHECK_INT(left, 3);
	mark(&g, "s1", BISECT_GOOD);
	CHECK_STR(next_id(&g, &r, &left), "s2");
	CHECK_INT(r, BISECT_NEXT_FOUND);
	bisect_graph_release(&g);
}

TEST(bisect_skipped_commits)
{
	struct bisect_graph g;
	enum bisect_next r;
	size_t left;

	/*
	 * c4 cannot be tested: c3 and c5 both score min(3, 5) = 3 and c5
	 * comes first in walk order. Skipped commits still count as
	 * candidates: they are in the range, just not testable.
	 */
	linear(&g, 8);
	mark(&g, "c4", BISECT_SKIPPED);
	CHECK_STR(next_id(&g, &r, &left), "c5");
	CHECK_INT(left, 8);
	/*
	 * c5 bad: c1..c5 left, c4 skipped; c2 and c3 both score 2, c3
	 * comes first in walk order.
	 */
	mark(&g, "c5", BISECT_BAD);
	CHECK_STR(next_id(&g, &r, &left), "c3");
	CHECK_INT(left, 5);
	mark(&g, "c3", BISECT_GOOD);
	/* c4 (skipped) and c5 left: the culprit is one of them. */
	CHECK_STR(next_id(&g, &r, &left), "c5");
	CHECK_INT(r, BISECT_NEXT_SKIPPED);
	CHECK_INT(left, 2);
	bisect_graph_release(&g);
}

struct oracle {
	const unsigned char *bad;	/* per node: at or after the culprit */
	const unsigned char *skip;	/* per node: does not build */
	int tests;
};

static enum bisect_verdict oracle_test(void *data,
				       const struct bisect_graph *g,
				       size_t idx, size_t left)
{
	struct oracle *o = data;

	(void)g;
	(void)left;
	o->tests++;
	if (o->skip && o->skip[idx])
		return BISECT_VERDICT_SKIP;
	return o->bad[idx] ? BISECT_VERDICT_BAD : BISECT_VERDICT_GOOD;
}

TEST(bisect_run_finds_every_culprit)
{
	int n = 16, culprit;

	/* Every possible culprit of a 16-commit range in at most 4 tests. */
	for (culprit = 1; culprit <= n; culprit++) {
		struct bisect_graph g;
		unsigned char bad[16];
		struct oracle o = { bad, NULL, 0 };
		struct bisect_ops ops = { oracle_test, &o };
		char want[16];
		size_t idx = 0;
		int i, r;

		linear(&g, n);
		for (i = 0; i < n; i++)
			bad[i] = n - i >= culprit;	/* index i is c(n - i) */
		r = bisect_run(&g, &ops, &idx);
		snprintf(want, sizeof(want), "c%d", culprit);
		CHECK_INT(r, BISECT_NEXT_FOUND);
		CHECK_STR(g.nodes[idx].id, want);
		CHECK(o.tests <= 4);
		bisect_graph_release(&g);
	}
}

TEST(bisect_run_merge_and_skip)
{
	struct bisect_graph g;
	/* Culprit s1: s1, s2, M, b fail. Walk order b, M, s2, a2, s1, a1. */
	unsigned char bad[6] = { 1, 1, 1, 0, 1, 0 };
	unsigned char skip[6] = { 0, 0, 1, 0, 0, 0 };
	struct oracle o = { bad, skip, 0 };
	struct bisect_ops ops = { oracle_test, &o };
	size_t idx = 0;

	merge_graph(&g);
	/*
	 * s2 (first pick) is skipped; then a2 or s1 (both score 2; a2
	 * first) is good, and so on until s1 alone is left.
	 */
	CHECK_INT(bisect_run(&g, &ops, &idx), BISECT_NEXT_FOUND);
	CHECK_STR(g.nodes[idx].id, "s1");
	CHECK_INT(g.nodes[2].mark, BISECT_SKIPPED);
	bisect_graph_release(&g);
}

static enum bisect_verdict stop_test(void *data, const struct bisect_graph *g,
				     size_t idx, size_t left)
{
	(void)data;
	(void)g;
	(void)idx;
	(void)left;
	return BISECT_CONTINUE;
}

TEST(bisect_run_stops_when_told)
{
	struct bisect_graph g;
	struct bisect_ops ops = { stop_test, NULL };
	size_t idx;

	linear(&g, 4);
	CHECK_INT(bisect_run(&g, &ops, &idx), -1);
	bisect_graph_release(&g);
}

static struct bisect_evidence ev(long failures, long passes, long errors)
{
	struct bisect_evidence e = { 0 };
	long counts[OUTCOME_NR] = { 0 };

	counts[OUTCOME_FAIL] = failures;
	counts[OUTCOME_PASS] = passes;
	counts[OUTCOME_ERROR] = errors;
	bisect_evidence_add(&e, counts);
	return e;
}

TEST(bisect_evidence_counts)
{
	struct bisect_evidence e = { 0 };
	long counts[OUTCOME_NR] = { 0 };

	counts[OUTCOME_PASS] = 5;
	counts[OUTCOME_FAIL] = 1;
	counts[OUTCOME_STALL] = 2;
	counts[OUTCOME_CRASH] = 3;
	counts[OUTCOME_SKIP] = 4;
	counts[OUTCOME_ERROR] = 6;
	bisect_evidence_add(&e, counts);
	/* Failures are fail + stall + crash; skip and error are no evidence. */
	CHECK_INT(e.failures, 6);
	CHECK_INT(e.runs, 11);
	CHECK_INT(e.skips, 4);
	CHECK_INT(e.errors, 6);
}

TEST(bisect_sprt_deterministic_ends)
{
	struct bisect_params p;
	struct bisect_evidence g0 = ev(0, 10, 0), b1 = ev(10, 0, 0), e;
	struct stats_sprt s;
	char *why = NULL;

	bisect_params_init(&p);
	CHECK_INT(bisect_sprt_from_ends(&p, &g0, &b1, &s, &why), 0);
	/*
	 * 0/10 clamps up to the floor; p1 is 10/10's lower 95% Wilson bound,
	 * 0.72247 (reference.md's formula; python: see docs/STATISTICS.md).
	 */
	CHECK_NEAR(s.p0, 0.02, 1e-12);
	CHECK_NEAR(s.p1, 0.722467, 1e-6);
	/*
	 * A = ln(0.99 / 0.01) = 4.5951. A failure adds ln(0.72247 / 0.02) =
	 * 3.5869, a pass ln(0.27753 / 0.98) = -1.2616: two failures decide
	 * bad, four passes good (-5.046), three do not (-3.785).
	 */
	CHECK_NEAR(stats_sprt_upper(&s), 4.59512, 1e-5);
	CHECK_NEAR(stats_sprt_llr(&s, 1, 1), 3.58694, 1e-5);
	CHECK_NEAR(stats_sprt_llr(&s, 0, 1), -1.26161, 1e-5);
	e = ev(1, 0, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_CONTINUE);
	e = ev(2, 0, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_VERDICT_BAD);
	e = ev(0, 3, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_CONTINUE);
	e = ev(0, 4, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_VERDICT_GOOD);
	/* One of each: 3.5869 - 1.2616 = 2.325, undecided. */
	e = ev(1, 1, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_CONTINUE);
	free(why);
}

TEST(bisect_sprt_flaky_ends)
{
	struct bisect_params p;
	struct bisect_evidence g0 = ev(1, 9, 0), b1 = ev(4, 6, 2), e;
	struct stats_sprt s;
	char *why = NULL;

	bisect_params_init(&p);
	CHECK_INT(bisect_sprt_from_ends(&p, &g0, &b1, &s, &why), 0);
	CHECK_NEAR(s.p0, 0.1, 1e-12);
	/*
	 * 4/10's lower Wilson bound (0.168) is below halfway from p0 to the
	 * measured 0.4, so p1 = (0.1 + 0.4) / 2 = 0.25.
	 */
	CHECK_NEAR(s.p1, 0.25, 1e-12);
	/*
	 * A failure adds ln 2.5 = 0.9163, a pass ln(0.75 / 0.9) = -0.1823.
	 * Bad: 6 failures (5.498 >= 4.595), not 5 (4.581). Good: 26 passes
	 * (-4.740 <= -4.595), not 25 (-4.558).
	 */
	e = ev(5, 0, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_CONTINUE);
	e = ev(6, 0, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_VERDICT_BAD);
	e = ev(0, 25, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_CONTINUE);
	e = ev(0, 26, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_VERDICT_GOOD);
	/* 6 failures, 2 passes: 5.498 - 0.365 = 5.133 -> bad. */
	e = ev(6, 2, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_VERDICT_BAD);
	/* Undecided at the cap is a skip, never a guess: 1/3 with cap 3. */
	e = ev(1, 2, 0);
	CHECK_INT(bisect_step_verdict(&s, 3, &e, 0), BISECT_VERDICT_SKIP);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_CONTINUE);
	/* ... and so is a run that ended undecided. */
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 1), BISECT_VERDICT_SKIP);
	/* A kernel that mostly errors (3 errors, no evidence) is skipped. */
	e = ev(0, 0, 2);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_CONTINUE);
	e = ev(0, 0, 3);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_VERDICT_SKIP);
	free(why);
}

TEST(bisect_sprt_paper_example)
{
	/* docs/STATISTICS.md: p0 = 0.02, p1 = 0.3, alpha = beta = 0.01. */
	struct stats_sprt s = { 0.02, 0.3, 0.01, 0.01 };
	struct bisect_evidence e;

	e = ev(2, 0, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_VERDICT_BAD);
	e = ev(0, 13, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_CONTINUE);
	e = ev(0, 14, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_VERDICT_GOOD);
	/* 2.708 - 21 * 0.3365 = -4.358 (continue); 22 passes: -4.694. */
	e = ev(1, 21, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_CONTINUE);
	e = ev(1, 22, 0);
	CHECK_INT(bisect_step_verdict(&s, 40, &e, 0), BISECT_VERDICT_GOOD);
}

TEST(bisect_ends_that_do_not_differ)
{
	struct bisect_params p;
	struct bisect_evidence g0 = ev(3, 7, 0), b1 = ev(3, 7, 0);
	struct bisect_evidence none = ev(0, 0, 5);
	struct stats_sprt s;
	char *why = NULL;

	bisect_params_init(&p);
	CHECK_INT(bisect_sprt_from_ends(&p, &g0, &b1, &s, &why), -1);
	CHECK(why && strstr(why, "does not fail more often"));
	free(why);
	CHECK_INT(bisect_sprt_from_ends(&p, &g0, &none, &s, &why), -1);
	CHECK(why && strstr(why, "bad end gave no usable"));
	free(why);
	/* 0/10 against 1/100: 0.01 is above 0 but below the 0.02 floor. */
	g0 = ev(0, 10, 0);
	b1 = ev(1, 99, 0);
	CHECK_INT(bisect_sprt_from_ends(&p, &g0, &b1, &s, &why), -1);
	CHECK(why && strstr(why, "could never decide"));
	free(why);
}

TEST(bisect_confidence)
{
	struct stats_sprt s = { 0.02, 0.95, 0.01, 0.05 };
	double c[4];

	CHECK_NEAR(bisect_verdict_confidence(&s, BISECT_VERDICT_BAD), 0.99,
		   1e-12);
	CHECK_NEAR(bisect_verdict_confidence(&s, BISECT_VERDICT_GOOD), 0.95,
		   1e-12);
	CHECK_NEAR(bisect_verdict_confidence(&s, BISECT_VERDICT_SKIP), 0,
		   1e-12);
	/* Two bad and two good steps: 0.99^2 * 0.95^2 = 0.884540. */
	c[0] = c[1] = 0.99;
	c[2] = c[3] = 0.95;
	CHECK_NEAR(stats_confidence_product(c, 4), 0.88454025, 1e-9);
	/* Ten steps at 0.96 fall under syzbot's 0.66: 0.96^10 = 0.6648. */
	{
		double ten[10];
		int i;

		for (i = 0; i < 10; i++)
			ten[i] = 0.96;
		CHECK_NEAR(stats_confidence_product(ten, 10), 0.66483263, 1e-8);
		CHECK(stats_confidence_product(ten, 10) >=
		      STATS_MIN_REPORT_CONFIDENCE);
		ten[9] = 0.95;
		CHECK(stats_confidence_product(ten, 10) <
		      STATS_MIN_REPORT_CONFIDENCE);
	}
}
