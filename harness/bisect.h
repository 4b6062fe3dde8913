/*
 * bisect.h - the logic of a bisection, free of git, VMs and the database:
 * which commit of a commit DAG to test next (the way `git bisect` picks
 * it), how a step turns iterations into good, bad or skip with Wald's
 * SPRT, and the loop that narrows the range until one commit is left.
 * builtin/bisect.c feeds it commits from libgit2 and iterations from
 * job_run(); the unit tests feed it hand-made DAGs and counts.
 */
#ifndef KFLAKE_BISECT_H
#define KFLAKE_BISECT_H

#include <stddef.h>

#include "stats.h"

enum bisect_mark {
	BISECT_UNTESTED,
	BISECT_GOOD,
	BISECT_BAD,
	BISECT_SKIPPED,
};

const char *bisect_mark_name(enum bisect_mark m);

struct bisect_node {
	char *id;		/* commit id (hex), owned */
	size_t *parents;	/* indices into the graph; edges leaving it are dropped */
	size_t nparents, parents_alloc;
	enum bisect_mark mark;
};

/*
 * The commits reachable from the bad end and not from the good end, as
 * a revision walk lists them, with the parent edges that stay inside.
 * `bad` is the current bad commit: the bad end at first, then every
 * commit a step calls bad.
 */
struct bisect_graph {
	struct bisect_node *nodes;
	size_t n, alloc;
	size_t bad;
};

void bisect_graph_init(struct bisect_graph *g);
void bisect_graph_release(struct bisect_graph *g);
/* Appends a node (id copied) and returns its index. */
size_t bisect_graph_add(struct bisect_graph *g, const char *id);
void bisect_graph_add_parent(struct bisect_graph *g, size_t child,
			     size_t parent);
/* Index of id, or -1. Linear: for tests and small lookups. */
long bisect_graph_find(const struct bisect_graph *g, const char *id);
/* Marking a commit bad makes it the current bad commit. */
void bisect_graph_mark(struct bisect_graph *g, size_t i, enum bisect_mark m);

/*
 * Fills cand[i] (n bytes) with 1 for each commit still in the range:
 * ancestors of the current bad commit (itself included) that are not
 * ancestors of a good one. Returns how many there are.
 */
size_t bisect_candidates(const struct bisect_graph *g, unsigned char *cand);

enum bisect_next {
	BISECT_NEXT_TEST,	/* *idx is the commit to test */
	BISECT_NEXT_FOUND,	/* *idx is the first bad commit */
	BISECT_NEXT_SKIPPED,	/* only skipped commits are left besides *idx */
};

/*
 * The next commit to test: among the untested candidates other than the
 * bad commit, the one whose ancestors among the candidates (itself
 * included), w of the nr candidates, maximise min(w, nr - w): whichever
 * way its test goes, the range shrinks the most. Ties go to the first
 * in walk order (the newest). *left is the number of candidates.
 */
enum bisect_next bisect_next(const struct bisect_graph *g, size_t *idx,
			     size_t *left);

/*
 * What a bisect is allowed to spend and how it decides. Failures are
 * fail + stall + crash outcomes; error and skip outcomes are no evidence.
 */
struct bisect_params {
	double alpha;		/* P(calling a good commit bad) */
	double beta;		/* P(calling a bad commit good) */
	int cap;		/* evidence iterations per step before skipping */
	int end_iterations;	/* fixed batch on each end to estimate p0, p1 */
	double p0_floor;	/* a clean good end still tolerates rare noise */
	double p1_ceiling;	/* a solid bad end still tolerates a rare pass */
};

#define BISECT_DEFAULT_ALPHA 0.01
#define BISECT_DEFAULT_BETA 0.01
#define BISECT_DEFAULT_CAP 40
#define BISECT_DEFAULT_END_ITERATIONS 10
#define BISECT_P0_FLOOR 0.02
#define BISECT_P1_CEILING 0.95
/* A step with this many errors, and more errors than evidence, is skipped. */
#define BISECT_MAX_ERRORS 3

void bisect_params_init(struct bisect_params *p);

struct bisect_evidence {
	long runs;		/* iterations that count: pass + failures */
	long failures;
	long errors;
	long skips;
};

/* Evidence from per-outcome counts (indexed by enum record_outcome). */
void bisect_evidence_add(struct bisect_evidence *e, const long *counts);

/*
 * The SPRT of every step from the ends' batches: H0 p0 = max(k0/n0,
 * p0_floor) against H1 p1 = min(k1/n1, p1_ceiling). Returns 0, or -1
 * with *why (malloc'ed) when the bad end does not fail more often than
 * the good end, which leaves nothing to bisect.
 */
int bisect_sprt_from_ends(const struct bisect_params *p,
			  const struct bisect_evidence *good,
			  const struct bisect_evidence *bad,
			  struct stats_sprt *out, char **why);

enum bisect_verdict {
	BISECT_CONTINUE,
	BISECT_VERDICT_GOOD,
	BISECT_VERDICT_BAD,
	BISECT_VERDICT_SKIP,
};

const char *bisect_verdict_name(enum bisect_verdict v);

/*
 * A step's verdict from its evidence so far: the SPRT's call, or skip
 * when the cap is reached undecided, when the kernel mostly errors
 * (BISECT_MAX_ERRORS), or when `finished` (no iteration is coming) and
 * the SPRT has not decided. Never a guess.
 */
enum bisect_verdict bisect_step_verdict(const struct stats_sprt *s, int cap,
					const struct bisect_evidence *e,
					int finished);
/* 1 - alpha for bad, 1 - beta for good, 0 for skip and continue. */
double bisect_verdict_confidence(const struct stats_sprt *s,
				 enum bisect_verdict v);

/*
 * The loop. test() measures commit idx and returns its verdict (good,
 * bad or skip), or BISECT_CONTINUE to stop the bisect (interrupted,
 * harness fault). Returns the bisect_next result that ended it with
 * *idx set, or -1 when test() stopped it.
 */
struct bisect_ops {
	enum bisect_verdict (*test)(void *data, const struct bisect_graph *g,
				    size_t idx, size_t left);
	void *data;
};

int bisect_run(struct bisect_graph *g, const struct bisect_ops *ops,
	       size_t *idx);

#endif
