/*
 * builtin/bisect.c - `kflake bisect` and `kflake bisects`: find the
 * commit that made a test fail, or fail more often, when the signal is
 * flaky. This file owns the git side (the revision walk that becomes a
 * bisect_graph), the measurements (each one a job_run() whose enough()
 * callback stops as soon as the SPRT decides), the bisect's rows in the
 * database (bisects, bisect_steps: every decision is stored as it is
 * made, so --resume replays them instead of re-running), and the report.
 * The choice of commits and the decisions themselves are bisect.c's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "alert.h"
#include "bisect.h"
#include "bisectlog.h"
#include "builtin.h"
#include "doctor.h"
#include "job.h"
#include "pool.h"
#include "progress.h"
#include "record.h"
#include "session.h"
#include "stats.h"
#include "store.h"
#include "stress.h"
#include "tree.h"
#include "util.h"

static const char bisect_usage[] =
"usage: kflake bisect --good G --bad B --test T [options]\n"
"       kflake bisect --alert ID [options]\n"
"       kflake bisect --resume ID [--db PATH]\n"
"       kflake bisect --show ID [--db PATH] [--json]\n"
"\n"
"Find the first commit between G and B where test T fails, or fails more\n"
"often, even when T is flaky. The ends are measured first (a fixed batch\n"
"each: the failure rates p0 of G and p1 of B); then every step builds a\n"
"candidate (chosen as `git bisect` does, merges included) and runs T until\n"
"Wald's SPRT (H0: p0, H1: p1) calls it good or bad. A kernel that does\n"
"not build or boot, or a step that reaches the cap undecided, is skipped,\n"
"never guessed. The culprit is reported with the evidence of every step\n"
"and the product of their confidences, and checked against its parents.\n"
"State lives in the database: a killed bisect resumes where it stopped.\n"
"\n"
"  --good REF, --bad REF  the ends (branch, tag or commit of --tree)\n"
"  --alert ID          bisect change-point alert ID (kflake alert): its\n"
"                      last good commit and the end of its interval are\n"
"                      the ends, its test, tree, kconfig set and guest\n"
"                      size are the bisect's, and p0, p1 come from its\n"
"                      counts before and after the change (the ends are\n"
"                      still measured)\n"
"  --test T            the test (a kselftest name or a path)\n"
"  --tree PATH|URL     kernel tree (default: linux-source-6.1)\n"
"  --kconfig FILE      extra config fragment for every kernel (repeatable)\n"
"  --alpha A           P(calling a good commit bad) per step (default 0.01)\n"
"  --beta B            P(calling a bad commit good) per step (default 0.01)\n"
"  --cap N             iterations per step before it is skipped (default 40)\n"
"  --ends N            iterations on each end (default 10)\n"
"  --timeout DUR       stall limit per iteration\n"
"  --idle DUR          stall when the test prints nothing and starts no\n"
"                      process this long (0: off)\n"
"  --jobs N, --cpus N, --mem MB  build jobs, guest CPUs and memory\n"
"  --stress MODES      run every step under this stress (see kflake run\n"
"                      --help): a race too rare to bisect plain may not be\n"
"  --resume ID         continue bisect ID, reusing its finished steps\n"
"  --show ID           print bisect ID's state and evidence\n"
"  --db PATH           database\n"
"  -q, --quiet         only errors and the result\n"
"  --json              JSON events, then the result as one JSON object\n"
"\n"
"--tree, --test, --kconfig, --timeout, --idle and --stress are part of\n"
"the bisect: --resume takes them from the database.\n"
"\n"
"Exit status: 0 when a culprit was found and reported, 1 when the bisect\n"
"ended without one (or could not start), 2 on bad usage, 130 when\n"
"interrupted (resume it with --resume).\n";

static const char bisects_usage[] =
"usage: kflake bisects [--db PATH] [--json]\n"
"\n"
"List bisects, newest first: state, test, ends, culprit, confidence.\n";

enum {
	OPT_GOOD = JOB_OPT_LAST, OPT_BAD, OPT_ALPHA, OPT_BETA, OPT_CAP,
	OPT_ENDS, OPT_RESUME, OPT_SHOW, OPT_ALERT,
};

static const struct option bisect_options[] = {
	JOB_LONG_OPTIONS,
	{ "good", required_argument, NULL, OPT_GOOD },
	{ "bad", required_argument, NULL, OPT_BAD },
	{ "alpha", required_argument, NULL, OPT_ALPHA },
	{ "beta", required_argument, NULL, OPT_BETA },
	{ "cap", required_argument, NULL, OPT_CAP },
	{ "ends", required_argument, NULL, OPT_ENDS },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "show", required_argument, NULL, OPT_SHOW },
	{ "alert", required_argument, NULL, OPT_ALERT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct bisect_ctx {
	struct store st;
	struct tree tree;
	long long id;
	/*
	 * What every step's job shares: tree, test, fragments, limits,
	 * database and progress. Its strings point into argv or, after
	 * --resume, into params.
	 */
	struct job_opts o;
	json_t *params;			/* the stored parameters (resume) */
	char *test;			/* the stored test (resume) */
	char *good, *bad;		/* full commit ids */
	struct bisect_params p;
	struct stats_sprt sprt;
	int stop_rc;			/* non-zero: interrupted or a fault */
	int steps;
	/*
	 * --alert: the alert, and its counts before and after the change,
	 * which set p0 and p1 instead of the ends' batches.
	 */
	long long alert_id;
	struct bisect_evidence alert_before, alert_after;
	json_t *alert_frags;
};

/* One measurement: a commit in a role, with its evidence and verdict. */
struct measure {
	struct bisect_evidence ev;
	enum bisect_verdict verdict;
	double confidence;
	long long row;
	int reused;
};

/* What enough() needs while job_run() iterates on one commit. */
struct enough_ctx {
	const struct bisect_ctx *c;
	const struct bisect_evidence *prior;
	int sprt;			/* 0: fixed batch (the ends) */
};

static int step_enough(void *data, const long *counts)
{
	const struct enough_ctx *e = data;
	struct bisect_evidence ev = *e->prior;

	bisect_evidence_add(&ev, counts);
	if (!e->sprt)
		return ev.errors >= BISECT_MAX_ERRORS && ev.errors > ev.runs;
	return bisect_step_verdict(&e->c->sprt, e->c->p.cap, &ev, 0) !=
	       BISECT_CONTINUE;
}

/*
 * Every iteration this bisect already ran on commit, in any run (a step
 * killed half-way keeps its evidence: the SPRT just goes on from it).
 */
static int prior_evidence(struct bisect_ctx *c, const char *commit,
			  struct bisect_evidence *ev)
{
	long counts[OUTCOME_NR];

	memset(ev, 0, sizeof(*ev));
	if (record_bisect_counts(&c->st, c->id, commit, counts))
		return -1;
	bisect_evidence_add(ev, counts);
	return 0;
}

static enum bisect_verdict verdict_parse(const char *s)
{
	if (!strcmp(s, "good"))
		return BISECT_VERDICT_GOOD;
	if (!strcmp(s, "bad"))
		return BISECT_VERDICT_BAD;
	if (!strcmp(s, "skip"))
		return BISECT_VERDICT_SKIP;
	return BISECT_CONTINUE;
}

/* A finished row for commit in role (any role when role is NULL). */
static int finished_row(struct bisect_ctx *c, const char *commit,
			const char *role, struct measure *m)
{
	struct bisectlog_step s;

	if (!bisectlog_step_decided(&c->st, c->id, commit, role, &s))
		return 0;
	memset(m, 0, sizeof(*m));
	m->row = s.id;
	m->ev.runs = s.runs;
	m->ev.failures = s.failures;
	m->ev.errors = s.errors;
	m->verdict = verdict_parse(s.decision ? s.decision : "");
	m->confidence = s.has_confidence ? s.confidence : 0;
	m->reused = 1;
	bisectlog_step_release(&s);
	return 1;
}

static void describe(const char *role, const char *commit,
		     const struct measure *m, size_t left)
{
	char where[64] = "";

	if (left)
		snprintf(where, sizeof(where), " (%zu candidates)", left);
	progress_step("bisect", "%s%s %.12s: %s, %ld failure(s) in %ld "
		      "iteration(s), %ld error(s)%s", role, where, commit,
		      bisect_verdict_name(m->verdict), m->ev.failures,
		      m->ev.runs, m->ev.errors,
		      m->reused ? " (from the database)" : "");
	if (m->confidence > 0)
		progress_step("bisect", "  confidence %.3f", m->confidence);
}

/*
 * Measure commit in role: reuse a finished row, else run the test (a
 * fixed batch of p.end_iterations for the ends, the SPRT up to the cap
 * otherwise) on top of whatever evidence earlier attempts left.
 */
static int measure(struct bisect_ctx *c, const char *commit,
		   const char *role, size_t left, struct measure *m)
{
	int sprt = strcmp(role, "good-end") && strcmp(role, "bad-end");
	struct bisect_evidence prior;
	struct enough_ctx ec = { c, &prior, sprt };
	struct job_opts o;
	struct job_result res;
	int want, rc = 0, finished = 0;

	if (finished_row(c, commit, role, m)) {
		describe(role, commit, m, left);
		return 0;
	}
	memset(m, 0, sizeof(*m));
	m->row = bisectlog_step_open(&c->st, c->id, commit, role);
	if (m->row < 0 || prior_evidence(c, commit, &prior))
		return -1;
	want = sprt ? c->p.cap : c->p.end_iterations;
	if (prior.runs || prior.errors)
		progress_step("bisect", "%.12s: going on from %ld earlier "
			      "iteration(s)", commit, prior.runs + prior.errors);
	m->ev = prior;
	if (sprt && bisect_step_verdict(&c->sprt, c->p.cap, &prior, 0) !=
	    BISECT_CONTINUE)
		goto decide;
	if (!sprt && (prior.runs >= want || step_enough(&ec, (long[OUTCOME_NR]){ 0 })))
		goto decide;
	/* A shallow copy: its arrays stay c->o's. */
	o = c->o;
	o.ref = commit;
	/* Room for error/skip iterations on top of the evidence wanted. */
	o.iterations = (int)(want - prior.runs) + (sprt ? want / 4 + 2 : 0);
	o.kind = "bisect";
	o.bisect_id = c->id;
	o.no_report = 1;
	o.enough = step_enough;
	o.enough_data = &ec;
	rc = job_run(&o, &res);
	if (res.run_id > 0)
		bisectlog_step_run(&c->st, m->row, res.run_id);
	if (rc == 130 || session_interrupted) {
		c->stop_rc = 130;
		return -1;
	}
	if (rc == KFLAKE_EXIT_USAGE || rc >= KFLAKE_EXIT_FAULT) {
		c->stop_rc = rc;
		return -1;
	}
	bisect_evidence_add(&m->ev, res.counts);
	finished = 1;
	if (res.build_failed) {
		m->verdict = BISECT_VERDICT_SKIP;
		progress_step("bisect", "%.12s does not build: skipped", commit);
		goto store;
	}
decide:
	if (sprt) {
		m->verdict = bisect_step_verdict(&c->sprt, c->p.cap, &m->ev,
						 finished);
		if (m->verdict == BISECT_CONTINUE)
			m->verdict = BISECT_VERDICT_SKIP;
		m->confidence = bisect_verdict_confidence(&c->sprt, m->verdict);
	} else if (!m->ev.runs || step_enough(&ec, (long[OUTCOME_NR]){ 0 })) {
		m->verdict = BISECT_VERDICT_SKIP;
	} else {
		m->verdict = strcmp(role, "good-end") ? BISECT_VERDICT_BAD
						      : BISECT_VERDICT_GOOD;
	}
store:
	if (bisectlog_step_finish(&c->st, m->row, m->ev.runs, m->ev.failures,
				  m->ev.errors, bisect_verdict_name(m->verdict),
				  sprt, m->confidence))
		return -1;
	describe(role, commit, m, left);
	return 0;
}

static enum bisect_verdict step_test(void *data, const struct bisect_graph *g,
				     size_t idx, size_t left)
{
	struct bisect_ctx *c = data;
	struct measure m;

	c->steps++;
	progress_step("bisect", "step %d: testing %.12s, %zu candidate(s) "
		      "left (about %d more step(s))", c->steps,
		      g->nodes[idx].id, left,
		      left > 1 ? (int)(31 - __builtin_clz((unsigned)left)) : 0);
	if (measure(c, g->nodes[idx].id, "step", left, &m))
		return BISECT_CONTINUE;
	return m.verdict;
}

struct oid_slot {
	git_oid oid;
	size_t idx;
};

static int oid_slot_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&((const struct oid_slot *)a)->oid,
			   &((const struct oid_slot *)b)->oid);
}

/*
 * The range as `git bisect` sees it: commits reachable from bad and not
 * from good, newest first, with their parent edges inside the range.
 */
static int load_graph(struct bisect_ctx *c, struct bisect_graph *g)
{
	git_repository *repo = c->tree.repo;
	git_revwalk *walk = NULL;
	struct oid_slot *slots = NULL;
	size_t n = 0, alloc = 0, i;
	git_oid oid, good, bad;
	int ret = -1;

	bisect_graph_init(g);
	if (git_oid_fromstr(&good, c->good) || git_oid_fromstr(&bad, c->bad) ||
	    git_revwalk_new(&walk, repo) ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) ||
	    git_revwalk_push(walk, &bad) || git_revwalk_hide(walk, &good)) {
		error("cannot walk %.12s..%.12s: %s", c->good, c->bad,
		      tree_git_error());
		goto out;
	}
	while (!git_revwalk_next(&oid, walk)) {
		ALLOC_GROW(slots, n, alloc);
		git_oid_cpy(&slots[n].oid, &oid);
		slots[n].idx = bisect_graph_add(g, tree_oid_hex(&oid));
		n++;
	}
	if (!n) {
		error("%.12s is not an ancestor-free descendant of %.12s: no "
		      "commit to bisect", c->bad, c->good);
		goto out;
	}
	qsort(slots, n, sizeof(*slots), oid_slot_cmp);
	for (i = 0; i < g->n; i++) {
		git_commit *commit = NULL;
		unsigned k;

		git_oid_fromstr(&oid, g->nodes[i].id);
		if (git_commit_lookup(&commit, repo, &oid)) {
			error("%s: %s", g->nodes[i].id, tree_git_error());
			goto out;
		}
		for (k = 0; k < git_commit_parentcount(commit); k++) {
			struct oid_slot key, *hit;

			git_oid_cpy(&key.oid, git_commit_parent_id(commit, k));
			hit = bsearch(&key, slots, n, sizeof(*slots),
				      oid_slot_cmp);
			if (hit)
				bisect_graph_add_parent(g, i, hit->idx);
		}
		git_commit_free(commit);
	}
	/* The walk lists the bad end first. */
	g->bad = 0;
	ret = 0;
out:
	free(slots);
	git_revwalk_free(walk);
	return ret;
}

static char *commit_subject(struct bisect_ctx *c, const char *id)
{
	git_commit *commit = NULL;
	git_oid oid;
	char *s;

	if (git_oid_fromstr(&oid, id) ||
	    git_commit_lookup(&commit, c->tree.repo, &oid))
		return xstrdup("");
	s = xstrdup(git_commit_summary(commit) ? git_commit_summary(commit)
					       : "");
	git_commit_free(commit);
	return s;
}

static char *image_sha1(struct bisect_ctx *c, const char *commit)
{
	return bisectlog_image_sha1(&c->st, c->id, commit);
}

static int set_state(struct bisect_ctx *c, const char *state,
		     const char *culprit, double confidence, const char *note)
{
	return bisectlog_set_state(&c->st, c->id, state, culprit, confidence,
				   note);
}

/* The product of the decided steps' confidences (confirmations included). */
static double overall_confidence(struct bisect_ctx *c, int *nsteps)
{
	double *v = NULL, prod;
	size_t n = bisectlog_confidences(&c->st, c->id, &v);

	prod = stats_confidence_product(v, n);
	*nsteps = (int)n;
	free(v);
	return prod;
}

/*
 * The culprit fails at about p1 and its parents pass at about p0: each
 * already measured if it was a step or an end, else measured now.
 * Appends what it found to note; returns 1 when confirmed, 0 when not,
 * -1 when stopped.
 */
static int confirm(struct bisect_ctx *c, const char *culprit,
		   struct strbuf *note)
{
	git_commit *commit = NULL;
	struct measure m;
	double lo, hi;
	char *mine = NULL;
	git_oid oid;
	unsigned k, np;
	int ok = 1;

	if (!finished_row(c, culprit, NULL, &m))
		return 0;
	stats_wilson(m.ev.failures, m.ev.runs, STATS_Z95, &lo, &hi);
	strbuf_addf(note, "culprit %.12s fails %ld/%ld [%.2f, %.2f] (p1 "
		    "%.2f)", culprit, m.ev.failures, m.ev.runs, lo, hi,
		    c->sprt.p1);
	if (m.verdict != BISECT_VERDICT_BAD)
		ok = 0;
	if (git_oid_fromstr(&oid, culprit) ||
	    git_commit_lookup(&commit, c->tree.repo, &oid))
		return 0;
	mine = image_sha1(c, culprit);
	np = git_commit_parentcount(commit);
	for (k = 0; k < np; k++) {
		const char *parent = tree_oid_hex(git_commit_parent_id(commit, k));
		char pid[41], *theirs;

		snprintf(pid, sizeof(pid), "%s", parent);
		if (!finished_row(c, pid, NULL, &m)) {
			progress_step("bisect", "confirm: measuring parent "
				      "%.12s", pid);
			if (measure(c, pid, "confirm", 0, &m)) {
				ok = -1;
				break;
			}
		}
		stats_wilson(m.ev.failures, m.ev.runs, STATS_Z95, &lo, &hi);
		strbuf_addf(note, "; parent %.12s fails %ld/%ld [%.2f, %.2f] "
			    "(p0 %.2f)", pid, m.ev.failures, m.ev.runs, lo, hi,
			    c->sprt.p0);
		if (m.verdict != BISECT_VERDICT_GOOD) {
			strbuf_addf(note, " but was not called good (%s)",
				    bisect_verdict_name(m.verdict));
			ok = 0;
		}
		theirs = image_sha1(c, pid);
		if (mine && theirs && !strcmp(mine, theirs)) {
			strbuf_addf(note, "; WARNING: its kernel image is "
				    "identical to parent %.12s's (%.12s): the "
				    "commit cannot change the kernel, the "
				    "difference is noise", pid, mine);
			ok = 0;
		}
		free(theirs);
	}
	free(mine);
	git_commit_free(commit);
	return ok;
}

static int finish_found(struct bisect_ctx *c, const char *culprit)
{
	struct strbuf note = STRBUF_INIT;
	char *subject = commit_subject(c, culprit);
	double conf;
	int ok, nsteps, ret;

	ok = confirm(c, culprit, &note);
	if (ok < 0) {
		strbuf_release(&note);
		free(subject);
		return -1;
	}
	conf = overall_confidence(c, &nsteps);
	if (ok && conf >= STATS_MIN_REPORT_CONFIDENCE) {
		strbuf_addf(&note, "; first bad commit %.12s (\"%s\") at "
			    "confidence %.3f over %d decided step(s)", culprit,
			    subject, conf, nsteps);
		ret = set_state(c, "done", culprit, conf, note.buf);
		progress_step("bisect", "first bad commit: %s %s", culprit,
			      subject);
	} else {
		strbuf_addf(&note, "; candidate %.12s (\"%s\") NOT reported: "
			    "%s (confidence %.3f over %d step(s), reporting "
			    "needs %.2f)", culprit, subject,
			    ok ? "confidence too low" : "not confirmed", conf,
			    nsteps, STATS_MIN_REPORT_CONFIDENCE);
		ret = set_state(c, "done", NULL, conf, note.buf);
		progress_step("bisect", "no culprit reported (see the note)");
		ret = ret ? -1 : 1;
	}
	strbuf_release(&note);
	free(subject);
	return ret;
}

static int finish_skipped(struct bisect_ctx *c, const struct bisect_graph *g)
{
	unsigned char *cand = xmalloc(g->n);
	struct strbuf note = STRBUF_INIT;
	size_t i;
	int nsteps;
	double conf = overall_confidence(c, &nsteps);

	bisect_candidates(g, cand);
	strbuf_addstr(&note, "only skipped commits are left: the first bad "
		      "commit is one of");
	for (i = 0; i < g->n; i++)
		if (cand[i])
			strbuf_addf(&note, " %.12s", g->nodes[i].id);
	progress_step("bisect", "%s", note.buf);
	set_state(c, "done", NULL, conf, note.buf);
	strbuf_release(&note);
	free(cand);
	return 1;
}

/*
 * Fragments are stored by absolute path, so --resume from another
 * directory builds the same kernels.
 */
static char *params_json(const struct bisect_ctx *c)
{
	json_t *kc = json_array(), *o;
	size_t i;
	char *s;

	for (i = 0; i < c->o.nkconfigs; i++) {
		char *abs = util_realpath(c->o.kconfigs[i]);

		json_array_append_new(kc, json_string(abs));
		free(abs);
	}
	o = json_pack("{s:f, s:f, s:i, s:i, s:f, s:f, s:s, s:f, s:o}",
		      "alpha", c->p.alpha, "beta", c->p.beta, "cap", c->p.cap,
		      "ends", c->p.end_iterations, "p0_floor", c->p.p0_floor,
		      "p1_ceiling", c->p.p1_ceiling, "tree", c->o.tree,
		      "timeout", c->o.timeout, "kconfigs", kc);
	if (c->o.idle_set)
		json_object_set_new(o, "idle", json_real(c->o.idle));
	if (c->alert_id)
		json_object_set_new(o, "alert", json_pack("{s:I, s:I, s:I, "
			"s:I, s:I}", "id", (json_int_t)c->alert_id, "k0",
			(json_int_t)c->alert_before.failures, "n0",
			(json_int_t)c->alert_before.runs, "k1",
			(json_int_t)c->alert_after.failures, "n1",
			(json_int_t)c->alert_after.runs));
	if (c->o.stress) {
		char *st = stress_name(c->o.stress);

		json_object_set_new(o, "stress", json_string(st));
		free(st);
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Bisects stored before "kconfigs", "idle" and "stress" existed load too. */
static int load_params(struct bisect_ctx *c, const char *text)
{
	json_t *kc = NULL, *idle = NULL, *alert = NULL, *stress = NULL, *v;
	json_int_t id = 0, k0 = 0, n0 = 0, k1 = 0, n1 = 0;
	size_t i;

	c->params = json_loads(text ? text : "", 0, NULL);
	if (!c->params ||
	    json_unpack(c->params, "{s:F, s:F, s:i, s:i, s:F, s:F, s:s, s:F, "
			"s?o, s?o, s?o, s?o}", "alpha", &c->p.alpha, "beta",
			&c->p.beta, "cap", &c->p.cap, "ends",
			&c->p.end_iterations, "p0_floor", &c->p.p0_floor,
			"p1_ceiling", &c->p.p1_ceiling, "tree", &c->o.tree,
			"timeout", &c->o.timeout, "kconfigs", &kc, "idle",
			&idle, "alert", &alert, "stress", &stress))
		return -1;
	if (json_is_string(stress) &&
	    stress_parse(json_string_value(stress), &c->o.stress))
		return -1;
	if (alert) {
		if (json_unpack(alert, "{s:I, s:I, s:I, s:I, s:I}", "id", &id,
				"k0", &k0, "n0", &n0, "k1", &k1, "n1", &n1))
			return -1;
		c->alert_id = id;
		c->alert_before = (struct bisect_evidence){ .runs = n0,
							    .failures = k0 };
		c->alert_after = (struct bisect_evidence){ .runs = n1,
							   .failures = k1 };
	}
	json_array_foreach(kc, i, v) {
		if (!json_is_string(v))
			return -1;
		ALLOC_GROW(c->o.kconfigs, c->o.nkconfigs, c->o.kconfigs_alloc);
		c->o.kconfigs[c->o.nkconfigs++] = json_string_value(v);
	}
	if (json_is_number(idle)) {
		c->o.idle = json_number_value(idle);
		c->o.idle_set = 1;
	}
	return 0;
}

static int create_bisect(struct bisect_ctx *c, const char *good_ref,
			 const char *bad_ref)
{
	struct bisectlog_new b = { 0 };
	git_oid good, bad;
	char *params;

	if (tree_resolve(&c->tree, good_ref, &good) ||
	    tree_resolve(&c->tree, bad_ref, &bad))
		return -1;
	c->good = xstrdup(tree_oid_hex(&good));
	c->bad = xstrdup(tree_oid_hex(&bad));
	if (git_oid_equal(&good, &bad))
		return error("--good and --bad are the same commit");
	params = params_json(c);
	b.tree_id = record_tree_id(&c->st, c->tree.source, c->tree.path);
	b.good = c->good;
	b.bad = c->bad;
	b.test = c->o.tests[0];
	b.params_json = params;
	b.alert_id = c->alert_id;
	c->id = bisectlog_create(&c->st, &b);
	free(params);
	return c->id > 0 ? 0 : -1;
}

static int load_bisect(struct bisect_ctx *c, long long id)
{
	struct bisectlog_info b;
	char *params;
	int found = bisectlog_load(&c->st, id, &b), ret = -1;

	if (found) {
		if (found > 0)
			error("no bisect %lld", id);
		return -1;
	}
	params = json_dumps(b.params, JSON_COMPACT);
	if (load_params(c, params)) {
		error("bisect %lld: unreadable parameters", id);
	} else {
		c->id = id;
		c->good = xstrdup(b.good);
		c->bad = xstrdup(b.bad);
		c->test = xstrdup(b.test);
		ALLOC_GROW(c->o.tests, c->o.ntests, c->o.tests_alloc);
		c->o.tests[c->o.ntests++] = c->test;
		if (!strcmp(b.state, "running"))
			warning("bisect %lld is marked running: resuming it "
				"(a second kflake on it would repeat work)", id);
		ret = 0;
	}
	free(params);
	bisectlog_info_release(&b);
	return ret;
}

/* Both ends, then the SPRT every step uses. */
static int measure_ends(struct bisect_ctx *c)
{
	struct measure good, bad;
	char *why = NULL;

	progress_step("bisect", "measuring the ends: %d iteration(s) each",
		      c->p.end_iterations);
	if (measure(c, c->good, "good-end", 0, &good) ||
	    measure(c, c->bad, "bad-end", 0, &bad))
		return -1;
	if (good.verdict == BISECT_VERDICT_SKIP ||
	    bad.verdict == BISECT_VERDICT_SKIP) {
		why = xasprintf("the %s end %.12s could not be tested (build, "
				"boot or errors)",
				good.verdict == BISECT_VERDICT_SKIP ? "good"
								    : "bad",
				good.verdict == BISECT_VERDICT_SKIP ? c->good
								    : c->bad);
	} else if (c->alert_id) {
		/*
		 * The alert's counts are the better estimate: every iteration
		 * of the segments before and after its change. The ends just
		 * measured are evidence too, printed beside them.
		 */
		if (!bisect_sprt_from_ends(&c->p, &c->alert_before,
					   &c->alert_after, &c->sprt, &why))
			progress_step("bisect", "p0 and p1 from alert %lld: "
				      "%ld/%ld before the change, %ld/%ld "
				      "after", c->alert_id,
				      c->alert_before.failures,
				      c->alert_before.runs,
				      c->alert_after.failures,
				      c->alert_after.runs);
	} else if (bisect_sprt_from_ends(&c->p, &good.ev, &bad.ev, &c->sprt,
					 &why)) {
		;
	}
	if (why) {
		error("bisect %lld: %s", c->id, why);
		set_state(c, "failed", NULL, 0, why);
		free(why);
		c->stop_rc = KFLAKE_EXIT_FAIL;
		return -1;
	}
	bisectlog_set_rates(&c->st, c->id, c->sprt.p0, c->sprt.p1);
	progress_step("bisect", "good end %ld/%ld, bad end %ld/%ld: SPRT "
		      "p0 %.3f against p1 %.3f (alpha %.3g, beta %.3g, "
		      "cap %d)", good.ev.failures, good.ev.runs,
		      bad.ev.failures, bad.ev.runs, c->sprt.p0, c->sprt.p1,
		      c->p.alpha, c->p.beta, c->p.cap);
	return 0;
}

static int run_bisect(struct bisect_ctx *c)
{
	struct bisect_graph g;
	struct bisect_ops ops = { step_test, c };
	double t0 = util_now();
	size_t idx = 0;
	int r, ret = KFLAKE_EXIT_FAIL;

	bisect_graph_init(&g);
	progress_step("bisect", "bisect %lld: %s between good %.12s and bad "
		      "%.12s", c->id, c->o.tests[0], c->good, c->bad);
	set_state(c, "running", NULL, 0, NULL);
	if (load_graph(c, &g)) {
		set_state(c, "failed", NULL, 0, "cannot walk the range");
		goto out;
	}
	progress_step("bisect", "%zu commit(s) in the range", g.n);
	if (measure_ends(c))
		goto stopped;
	r = bisect_run(&g, &ops, &idx);
	if (r == BISECT_NEXT_FOUND)
		r = finish_found(c, g.nodes[idx].id);
	else if (r == BISECT_NEXT_SKIPPED)
		r = finish_skipped(c, &g);
	if (r < 0)
		goto stopped;
	ret = r ? KFLAKE_EXIT_FAIL : 0;
	progress_step("bisect", "bisect %lld finished in %.0f s", c->id,
		      util_now() - t0);
	goto out;
stopped:
	if (c->stop_rc == 130) {
		set_state(c, "interrupted", NULL, 0, "interrupted; resume with "
			  "kflake bisect --resume");
		progress_step("bisect", "interrupted: kflake bisect --resume "
			      "%lld continues", c->id);
		ret = 130;
	} else if (c->stop_rc && c->stop_rc != KFLAKE_EXIT_FAIL) {
		set_state(c, "failed", NULL, 0, "harness fault");
		ret = c->stop_rc;
	}
out:
	bisect_graph_release(&g);
	return ret;
}

static void print_bisect_text(const struct bisectlog_info *b,
			      const struct bisectlog_step *s, int n)
{
	char *params = json_dumps(b->params, JSON_COMPACT);
	int i;

	printf("bisect %lld (%s): %s\n", b->id, b->state, b->test);
	printf("  good %s\n  bad  %s\n", b->good, b->bad);
	if (b->has_p)
		printf("  p0 %.3f, p1 %.3f, %s\n", b->p0, b->p1,
		       params ? params : "");
	free(params);
	printf("\n  %-3s %-9s %-12s %5s %5s %4s %-8s %5s %5s  %s\n", "#", "role",
	       "commit", "iters", "fails", "errs", "decision", "conf", "run",
	       "image");
	for (i = 0; i < n; i++) {
		char conf[16] = "-";

		if (s[i].has_confidence)
			snprintf(conf, sizeof(conf), "%.3f", s[i].confidence);
		printf("  %-3d %-9s %-12.12s %5ld %5ld %4ld %-8s %5s %5lld  %.12s\n",
		       i + 1, s[i].role, s[i].commit_id, s[i].runs,
		       s[i].failures, s[i].errors,
		       s[i].decision ? s[i].decision : "running", conf,
		       s[i].run_id, s[i].image_sha1 ? s[i].image_sha1 : "");
	}
	printf("\n");
	if (b->culprit)
		printf("first bad commit: %s\n", b->culprit);
	else
		printf("first bad commit: none reported\n");
	if (b->has_confidence)
		printf("confidence: %.3f (reporting needs %.2f)\n",
		       b->confidence, STATS_MIN_REPORT_CONFIDENCE);
	if (b->note && *b->note)
		printf("note: %s\n", b->note);
}

/* bisectlog_json() with its steps in full (not only their count). */
static void print_bisect_json(const struct bisectlog_info *b,
			      const struct bisectlog_step *s, int n)
{
	json_t *o = bisectlog_json(b), *steps = json_array();
	char *text;
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(steps, bisectlog_step_json(&s[i]));
	json_object_set_new(o, "steps", steps);
	text = json_dumps(o, JSON_INDENT(2));
	printf("%s\n", text);
	free(text);
	json_decref(o);
}

static int print_bisect(struct store *st, long long id, int json)
{
	struct bisectlog_info b;
	struct bisectlog_step *s;
	int n, found = bisectlog_load(st, id, &b);

	if (found) {
		if (found > 0)
			error("no bisect %lld", id);
		return KFLAKE_EXIT_FAIL;
	}
	n = bisectlog_steps(st, id, &s);
	if (n < 0)
		n = 0;
	if (json)
		print_bisect_json(&b, s, n);
	else
		print_bisect_text(&b, s, n);
	bisectlog_steps_release(s, n);
	bisectlog_info_release(&b);
	return 0;
}

static int parse_prob(const char *opt, const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (!*arg || *end || !(v > 0 && v < 0.5)) {
		error("%s %s: expected a probability between 0 and 0.5", opt,
		      arg);
		return -1;
	}
	*out = v;
	return 0;
}

/* The options a resumed bisect takes from the database instead. */
static int stored_option_given(const struct job_opts *o)
{
	return o->tree || o->ntests || o->nkconfigs || o->timeout ||
	       o->idle_set || o->stress;
}

static int bisect_parse(struct bisect_ctx *c, int argc, char **argv,
			const char **good, const char **bad, long *resume,
			long *show, long *alert)
{
	long v;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", bisect_options, NULL)) != -1) {
		rc = ch == '?' ? -1 : job_opts_parse(&c->o, ch, optarg);
		if (rc < 0)
			return -1;
		if (!rc)
			continue;
		switch (ch) {
		case OPT_GOOD:
			*good = optarg;
			break;
		case OPT_BAD:
			*bad = optarg;
			break;
		case OPT_ALPHA:
			if (parse_prob("--alpha", optarg, &c->p.alpha))
				return -1;
			break;
		case OPT_BETA:
			if (parse_prob("--beta", optarg, &c->p.beta))
				return -1;
			break;
		case OPT_CAP:
			if (util_parse_int(optarg, 2, 10000, &v))
				return error("--cap %s: expected 2 to 10000",
					     optarg);
			c->p.cap = (int)v;
			break;
		case OPT_ENDS:
			if (util_parse_int(optarg, 1, 10000, &v))
				return error("--ends %s: expected 1 to 10000",
					     optarg);
			c->p.end_iterations = (int)v;
			break;
		case OPT_RESUME:
		case OPT_SHOW:
			if (util_parse_int(optarg, 1, 1L << 40, &v))
				return error("bisect id %s: expected a number",
					     optarg);
			*(ch == OPT_RESUME ? resume : show) = v;
			break;
		case OPT_ALERT:
			if (util_parse_int(optarg, 1, 1L << 40, &v))
				return error("--alert %s: expected an alert id",
					     optarg);
			*alert = v;
			break;
		case 'h':
			fputs(bisect_usage, stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc)
		return error("bisect: unexpected argument '%s'", argv[optind]);
	if (c->o.ref || c->o.iterations_set)
		return error("bisect: --ref and --iterations do not apply "
			     "(--good/--bad, --ends and --cap do)");
	if (*alert) {
		if (*good || *bad || *show || *resume || c->o.tree ||
		    c->o.ntests > 1)
			return error("bisect --alert: the alert gives --good, "
				     "--bad and --tree (--test only for a path "
				     "test it cannot name)");
		return 0;
	}
	if (*show || *resume) {
		if (*resume && stored_option_given(&c->o))
			return error("bisect --resume: --tree, --test, "
				     "--kconfig, --timeout and --idle come "
				     "from bisect %ld", *resume);
		return 0;
	}
	if (!*good || !*bad || c->o.ntests != 1)
		return error("bisect: --good, --bad and one --test are "
			     "required");
	if (!c->o.tree)
		c->o.tree = TREE_DEFAULT_SOURCE;
	return 0;
}

/*
 * --alert: the bisect's ends, test, tree and kconfig set come from the
 * alert (its strings stay in *a until the bisect ends).
 */
static int from_alert(struct bisect_ctx *c, long id, struct alert *a,
		      const char **good, const char **bad)
{
	struct pool_key k;
	json_t *v;
	size_t i;

	if (alert_load(&c->st, id, a))
		return -1;
	if (strcmp(a->axis, HISTORY_AXIS_GIT))
		return error("alert %ld is over imported %s results: there "
			     "are no commits of ours to bisect", id, a->axis);
	if (strcmp(a->direction, "worse"))
		return error("alert %ld is an improvement; bisect looks for "
			     "where a test got worse", id);
	if (!a->good)
		return error("alert %ld has no good commit before its "
			     "interval", id);
	if (!c->o.ntests) {
		if (!a->test_arg)
			return error("alert %ld: the runs do not say how %s was "
				     "given; name it with --test PATH", id,
				     a->test);
		ALLOC_GROW(c->o.tests, c->o.ntests, c->o.tests_alloc);
		c->o.tests[c->o.ntests++] = a->test_arg;
	}
	c->o.tree = a->tree ? a->tree : TREE_DEFAULT_SOURCE;
	/* The guest size of the alert's pool: the same line of runs. */
	if (!alert_pool_key(a, &k)) {
		if (k.guest_cpus > 0)
			c->o.cpus = k.guest_cpus;
		if (k.guest_mem_mb > 0)
			c->o.mem_mb = k.guest_mem_mb;
		pool_key_release(&k);
	}
	c->alert_frags = json_loads(a->fragments ? a->fragments : "[]", 0,
				    NULL);
	json_array_foreach(c->alert_frags, i, v) {
		if (!json_is_string(v))
			continue;
		ALLOC_GROW(c->o.kconfigs, c->o.nkconfigs, c->o.kconfigs_alloc);
		c->o.kconfigs[c->o.nkconfigs++] = json_string_value(v);
	}
	c->alert_id = id;
	c->alert_before = (struct bisect_evidence){ .runs = a->n0,
						    .failures = a->k0 };
	c->alert_after = (struct bisect_evidence){ .runs = a->n1,
						   .failures = a->k1 };
	*good = a->good;
	*bad = a->last;
	progress_step("bisect", "alert %ld: %s/%s on %s, %ld/%ld before, "
		      "%ld/%ld after; bisecting %.12s..%.12s", id, a->suite,
		      a->test, a->branch, a->k0, a->n0, a->k1, a->n1, a->good,
		      a->last);
	return 0;
}

int cmd_bisect(int argc, char **argv)
{
	struct bisect_ctx c;
	const char *good = NULL, *bad = NULL;
	long resume = 0, show = 0, alert = 0;
	struct alert al = { 0 };
	int ret = KFLAKE_EXIT_FAIL;

	memset(&c, 0, sizeof(c));
	bisect_params_init(&c.p);
	job_opts_init(&c.o);
	ret = bisect_parse(&c, argc, argv, &good, &bad, &resume, &show,
			   &alert);
	if (ret) {
		ret = ret < 0 ? util_usage_error("bisect") : 0;
		goto out;
	}
	ret = KFLAKE_EXIT_FAIL;
	if (show) {
		if (store_open(&c.st, c.o.db, STORE_READONLY))
			goto out;
		ret = print_bisect(&c.st, show,
				   c.o.progress == PROGRESS_JSON);
		goto out;
	}
	progress_init(c.o.progress);
	c.o.argc = argc;
	c.o.argv = (const char *const *)argv;
	/* Ctrl-C between steps too ends the bisect as interrupted. */
	session_catch_signals();
	if (store_open(&c.st, c.o.db, 0))
		goto out;
	if (resume && load_bisect(&c, resume))
		goto out;
	if (alert && from_alert(&c, alert, &al, &good, &bad))
		goto out;
	if (doctor_preflight(c.o.tree, c.o.db))
		goto out;
	if (tree_open(&c.tree, c.o.tree))
		goto out;
	if (!resume && create_bisect(&c, good, bad))
		goto out;
	ret = run_bisect(&c);
	if (ret != 130 && c.id)
		print_bisect(&c.st, c.id, c.o.progress == PROGRESS_JSON);
out:
	tree_close(&c.tree);
	if (c.st.db)
		store_close(&c.st);
	job_opts_release(&c.o);
	json_decref(c.params);
	json_decref(c.alert_frags);
	alert_release(&al);
	free(c.test);
	free(c.good);
	free(c.bad);
	return ret;
}

int cmd_bisects(int argc, char **argv)
{
	struct bisectlog_info *v;
	const char *db = NULL;
	int json = 0, ch, i, n;
	struct store st;
	json_t *arr;
	char *text;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", bisect_options, NULL)) != -1) {
		if (ch == JOB_OPT_DB) {
			db = optarg;
		} else if (ch == JOB_OPT_JSON) {
			json = 1;
		} else if (ch == 'h') {
			fputs(bisects_usage, stdout);
			return 0;
		} else {
			return util_usage_error("bisects");
		}
	}
	if (store_open(&st, db, STORE_READONLY))
		return KFLAKE_EXIT_FAIL;
	n = bisectlog_list(&st, 1, 0, &v, NULL);
	if (n < 0) {
		store_close(&st);
		return KFLAKE_EXIT_FAIL;
	}
	if (json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, bisectlog_json(&v[i]));
		text = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
		json_decref(arr);
	} else {
		printf("%5s  %-11s %-12s %-12s %-12s %5s %5s  %s\n", "id",
		       "state", "good", "bad", "culprit", "conf", "steps",
		       "test");
	}
	for (i = 0; !json && i < n; i++) {
		char conf[16] = "-";

		if (v[i].has_confidence)
			snprintf(conf, sizeof(conf), "%.3f", v[i].confidence);
		printf("%5lld  %-11s %-12.12s %-12.12s %-12.12s %5s %5ld  %s\n",
		       v[i].id, v[i].state, v[i].good, v[i].bad,
		       v[i].culprit ? v[i].culprit : "-", conf, v[i].steps,
		       v[i].test);
	}
	bisectlog_list_release(v, n);
	store_close(&st);
	return 0;
}
