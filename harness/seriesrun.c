/*
 * seriesrun.c - base against series (see seriesrun.h). The series kernel
 * runs first: if it does not build there is nothing to compare, and its
 * kernel's config hash tells which earlier base runs are comparable
 * (same commit, same final .config, same test). Both sides count every
 * finished iteration on record for their commit and config, so running
 * the same series again adds evidence instead of starting over.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pool.h"
#include "progress.h"
#include "seqtest.h"
#include "record.h"
#include "report.h"
#include "series.h"
#include "seriesrun.h"
#include "stats.h"
#include "store.h"
#include "utf8.h"
#include "util.h"

#define SERIESRUN_MAX_SUBCASES 200

struct side {
	long fails, runs;	/* runs: with a verdict (not error, skip) */
	long iterations;	/* all of them: what a count asks for */
};

/*
 * Iterations that count: those of finished runs in the side's pool
 * (pool.h: same kernel, kconfig set, guest size, stress, executor).
 */
static struct side side_of(int err, const struct score *sc)
{
	if (err)
		return (struct side){ 0, 0, 0 };
	return (struct side){ sc->failures, sc->verdict_runs, sc->iterations };
}

static struct side test_side(struct store *st, const struct pool_key *k)
{
	struct score sc;

	if (k->kernel_id <= 0 || !k->suite)
		return (struct side){ 0, 0, 0 };
	return side_of(record_pool_score(st, k, RECORD_POOL_FINISHED, &sc),
		       &sc);
}

static struct side subcase_side(struct store *st, const struct pool_key *k,
				const char *name)
{
	struct score sc;

	if (k->kernel_id <= 0 || !k->suite)
		return (struct side){ 0, 0, 0 };
	return side_of(record_pool_subscore(st, k, RECORD_POOL_FINISHED, name,
					    &sc), &sc);
}

static double rate(struct side s)
{
	return s.runs ? (double)s.fails / (double)s.runs : 0.0;
}

static json_t *side_json(struct side s)
{
	double lo, hi;

	stats_wilson(s.fails, s.runs, STATS_Z95, &lo, &hi);
	return json_pack("{s:I,s:I,s:f,s:f,s:f}", "failures",
			 (json_int_t)s.fails, "runs", (json_int_t)s.runs,
			 "rate", rate(s), "low", lo, "high", hi);
}

/* What the verdict rests on: a fixed count, or the sequential design. */
struct rule {
	const struct seqtest *seq;	/* NULL: fixed count */
	enum seqtest_decision d;	/* with seq */
	double delta;			/* the rise that matters */
};

/* "no change" with or without the power to see a rise of delta. */
static int fixed_decided(struct side b, struct side s, enum stats_change c,
			 double q, double delta)
{
	if (!b.runs || !s.runs)
		return 0;
	if (c != STATS_NO_CHANGE)
		return 1;
	return q > 0 && q <= rate(b) + delta + 1e-9;
}

static void power_statement(struct strbuf *v, struct side b, struct side s,
			    double q)
{
	if (b.runs == s.runs)
		strbuf_addf(v, "%ld runs", b.runs);
	else
		strbuf_addf(v, "%ld base and %ld series runs", b.runs, s.runs);
	if (rate(b) >= 1.0)
		strbuf_addstr(v, ", but the base always fails: no regression "
			      "could show)");
	else if (q < 0)
		strbuf_addf(v, " not even a change from %.0f%% to 100%% would "
			    "show)", 100 * rate(b));
	else
		strbuf_addf(v, " we would detect a change from %.0f%% to "
			    "%.0f%%)", 100 * rate(b), 100 * q);
}

/*
 * Compare one test or sub-case: prints the figures and the verdict and
 * returns them as JSON. indent is the text output's left margin.
 */
static json_t *compare(const char *what, struct side b, struct side s,
		       int indent, int text, const struct rule *r)
{
	double blo, bhi, slo, shi, p, q = -1, lo, hi;
	enum stats_change c;
	long needed = -1, more = 0;
	struct strbuf v = STRBUF_INIT;
	int decided;
	json_t *j;

	stats_wilson(b.fails, b.runs, STATS_Z95, &blo, &bhi);
	stats_wilson(s.fails, s.runs, STATS_Z95, &slo, &shi);
	p = stats_fisher_two_sided(b.fails, b.runs, s.fails, s.runs);
	c = stats_compare(b.fails, b.runs, s.fails, s.runs, SERIESRUN_ALPHA);
	if (r->seq) {
		/* The sequential design's own verdict, at its own level. */
		c = r->d == SEQTEST_REGRESSION ? STATS_REGRESSION :
		    r->d == SEQTEST_IMPROVEMENT ? STATS_IMPROVEMENT :
						  STATS_NO_CHANGE;
	}
	if (c == STATS_NO_CHANGE)
		q = stats_detectable_rate(rate(b), b.runs, s.runs,
					  SERIESRUN_ALPHA, SERIESRUN_POWER);
	decided = r->seq ? r->d == SEQTEST_REGRESSION ||
			   r->d == SEQTEST_IMPROVEMENT ||
			   r->d == SEQTEST_NO_CHANGE
			 : fixed_decided(b, s, c, q, r->delta);
	if (!b.runs || !s.runs) {
		strbuf_addstr(&v, "undecided (no counted runs on one side)");
	} else if (c == STATS_REGRESSION) {
		strbuf_addstr(&v, "regression");
	} else if (c == STATS_IMPROVEMENT) {
		strbuf_addstr(&v, "improvement");
	} else if (r->seq && r->d == SEQTEST_NO_CHANGE) {
		strbuf_addf(&v, "no change: a rise of %.0f points is ruled out "
			    "(the difference is below %+.0f points at 99%%, "
			    "after ", 100 * r->delta,
			    100 * seqtest_diff_upper(b.fails, b.runs, s.fails,
						     s.runs, SEQTEST_FUTILITY_Z));
		if (b.runs == s.runs)
			strbuf_addf(&v, "%ld runs per side)", b.runs);
		else
			strbuf_addf(&v, "%ld base and %ld series runs)", b.runs,
				    s.runs);
	} else {
		strbuf_addstr(&v, decided ? "no change detected (with "
					  : "undecided: no change detected "
					    "(with ");
		power_statement(&v, b, s, q);
		/*
		 * What would decide it: the difference seen, if any;
		 * else a rise of delta (10 points without one).
		 */
		lo = fmin(rate(b), rate(s));
		hi = fmax(rate(b), rate(s));
		if (hi <= lo)
			hi = fmin(1.0, lo + (r->delta > 0 ? r->delta : 0.10));
		needed = hi > lo ? stats_runs_needed(lo, hi, SERIESRUN_ALPHA,
						     SERIESRUN_POWER) : -1;
		more = needed - (b.runs < s.runs ? b.runs : s.runs);
	}
	if (r->seq && b.runs && s.runs && c != STATS_NO_CHANGE)
		strbuf_addf(&v, " (sequential test at %.4f per look, after %ld "
			    "base and %ld series runs)", r->seq->level, b.runs,
			    s.runs);
	if (text) {
		printf("%*s%s: base %ld/%ld failed (%.0f%%, 95%% CI %.0f-%.0f%%), "
		       "series %ld/%ld (%.0f%%, %.0f-%.0f%%), difference %+.0f "
		       "points, Fisher p = %.3f\n", indent, "", what, b.fails,
		       b.runs, 100 * rate(b), 100 * blo, 100 * bhi, s.fails,
		       s.runs, 100 * rate(s), 100 * slo, 100 * shi,
		       100 * (rate(s) - rate(b)), isnan(p) ? 1.0 : p);
		printf("%*s  verdict: %s\n", indent, "", v.buf);
		if (needed > 0 && more > 0)
			printf("%*s  ~%ld more iterations per side would tell "
			       "%.0f%% from %.0f%% (%ld per side in all)\n",
			       indent, "", more, 100 * lo, 100 * hi, needed);
	}
	j = json_pack("{s:s,s:o,s:o,s:f,s:o,s:s,s:s,s:b,s:s}", "name", what,
		      "base", side_json(b), "series", side_json(s),
		      "difference", rate(s) - rate(b),
		      "p_value", isnan(p) ? json_null() : json_real(p),
		      "change", stats_change_name(c), "verdict", v.buf,
		      "decided", decided, "rule", r->seq ? "sequential"
							 : "fixed");
	if (q >= 0)
		json_object_set_new(j, "detectable_rate", json_real(q));
	if (needed > 0 && more > 0)
		json_object_set_new(j, "more_iterations", json_integer(more));
	strbuf_release(&v);
	return j;
}

static json_t *compare_subcases(struct store *st, const struct pool_key *b,
				const struct pool_key *s, int text,
				const struct rule *r)
{
	json_t *a = json_array();
	char **names = NULL;
	int n = 0, i;

	/* The sub-cases the series ran, in the order they first appeared. */
	if (s->suite)
		n = record_pool_subcases(st, s, SERIESRUN_MAX_SUBCASES, &names);
	for (i = 0; i < n; i++)
		json_array_append_new(a, compare(names[i],
						 subcase_side(st, b, names[i]),
						 subcase_side(st, s, names[i]),
						 4, text, r));
	record_strings_release(names, n);
	return a;
}

/*
 * The base's pool before it runs: the series run's key on the base's
 * kernel built with the series kernel's .config and compiler, if that
 * kernel was ever built (0 otherwise).
 */
static long long base_kernel(struct store *st, const char *base,
			     long long series_kernel)
{
	return record_kernel_alike(st, series_kernel, base);
}

/* One test of the comparison and where it stands. */
struct sr_test {
	const char *arg;	/* as --test (or the plan) gave it */
	char *label;		/* the name its iterations are recorded under */
	struct job_test x;	/* what the jobs get; iterations set per round */
	int until;		/* sequential; else a fixed count per side */
	struct seqtest seq;
	long target;		/* per side, at the next look */
	char *suite;		/* its iterations' suite */
	struct side b, s;
	enum seqtest_decision d;
	int done;
	int stuck;		/* rounds that added no counted run */
};

struct sr {
	struct store *st;
	const struct job_opts *o;
	const struct series_result *sr;
	struct sr_test *t;
	size_t n;
	/* run parts of each side's pool key; kernel_id 0 until known */
	struct pool_key skey, bkey;
	int base_ran;		/* bkey is a base run's own key */
	long long last_series_run, last_base_run;
	int rounds;
};

/* A test's pool on one side: the side's run key with test and suite. */
static void test_key(const struct pool_key *side, const struct sr_test *t,
		     struct pool_key *k)
{
	pool_key_copy(k, side);
	free(k->test);
	free(k->suite);
	k->test = xstrdup(t->label);
	k->suite = xstrdup(t->suite);
}

static struct side count_side(struct store *st, const struct pool_key *side,
			      const struct sr_test *t)
{
	struct pool_key k;
	struct side s;

	if (side->kernel_id <= 0)
		return (struct side){ 0, 0, 0 };
	test_key(side, t, &k);
	s = test_side(st, &k);
	pool_key_release(&k);
	return s;
}

static void count_sides(struct sr *x)
{
	size_t i;

	/* Until the base runs, its pool is the series' on the base kernel. */
	if (!x->base_ran && x->skey.kernel_id > 0) {
		pool_key_release(&x->bkey);
		pool_key_copy(&x->bkey, &x->skey);
		x->bkey.kernel_id = base_kernel(x->st, x->sr->base,
						x->skey.kernel_id);
	}
	for (i = 0; i < x->n; i++) {
		x->t[i].s = count_side(x->st, &x->skey, &x->t[i]);
		x->t[i].b = count_side(x->st, &x->bkey, &x->t[i]);
	}
}

/*
 * Run one side for the tests that need more on it: a job of just those
 * tests, each for what its next look still lacks.
 */
static int run_side(struct sr *x, int series, struct job_result *res,
		    int *ran)
{
	const char **args = xcalloc(x->n, sizeof(*args));
	struct job_test *xs = xcalloc(x->n, sizeof(*xs));
	struct job_opts jo = *x->o;
	size_t i, k = 0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	*ran = 0;
	for (i = 0; i < x->n; i++) {
		struct sr_test *t = &x->t[i];
		/* A count is of iterations: a skip or an error was run too. */
		long have = series ? t->s.iterations : t->b.iterations;

		if (t->done || have >= t->target)
			continue;
		args[k] = t->arg;
		xs[k] = t->x;
		xs[k].iterations = (int)(t->target - have);
		xs[k].until_decided = 0;
		k++;
	}
	if (!k)
		goto out;
	*ran = 1;
	jo.tests = args;
	jo.ntests = k;
	jo.test_opts = xs;
	jo.until_decided = 0;
	jo.iterations = xs[0].iterations;
	jo.ref = series ? x->sr->result : x->sr->base;
	jo.series_id = series ? x->sr->id : 0;
	jo.no_report = 1;
	progress_step(series ? "series" : "base", "%.12s: %zu test(s), round "
		      "%d", jo.ref, k, x->rounds);
	rc = job_run(&jo, res);
	if (rc && res->build_failed)
		error(series ? "series %lld: verdict: the series does not "
			       "build (run %lld)"
			     : "series %lld: the base does not build (run %lld)",
		      x->sr->id, res->run_id);
	if (!rc || res->run_id > 0) {
		if (series)
			x->last_series_run = res->run_id;
		else
			x->last_base_run = res->run_id;
	}
	if (!rc) {
		struct pool_key *key = series ? &x->skey : &x->bkey;

		pool_key_release(key);
		if (pool_key_of_run(x->st, res->run_id, key) || key->kernel_id <= 0)
			rc = error("series %lld: no kernel on record for run "
				   "%lld", x->sr->id, res->run_id);
		if (!series)
			x->base_ran = 1;
	}
out:
	free(args);
	free(xs);
	return rc;
}

/* After a round: which tests are decided, and the next look of the rest. */
static int next_round(struct sr *x, const struct side *before_b,
		      const struct side *before_s)
{
	size_t i;
	int more = 0;

	for (i = 0; i < x->n; i++) {
		struct sr_test *t = &x->t[i];

		if (t->done)
			continue;
		if (!t->until) {
			t->done = 1;
			continue;
		}
		t->d = seqtest_decide(&t->seq, t->b.fails, t->b.runs,
				      t->s.fails, t->s.runs);
		/* Errors and skips only: more of the same will not decide. */
		if (t->b.runs == before_b[i].runs &&
		    t->s.runs == before_s[i].runs && ++t->stuck >= 2)
			t->d = SEQTEST_UNDECIDED;
		if (t->d == SEQTEST_CONTINUE && t->b.iterations >= t->seq.max &&
		    t->s.iterations >= t->seq.max)
			t->d = SEQTEST_UNDECIDED;
		if (t->d != SEQTEST_CONTINUE) {
			t->done = 1;
			progress_step("series", "%s: %s after %ld base and %ld "
				      "series run(s)", t->label,
				      seqtest_decision_name(t->d), t->b.runs,
				      t->s.runs);
			continue;
		}
		t->target = seqtest_next_look(&t->seq,
					      t->b.iterations < t->s.iterations
						      ? t->b.iterations
						      : t->s.iterations);
		more = 1;
	}
	return more;
}

static int execute(struct sr *x)
{
	struct side *bb = xcalloc(x->n, sizeof(*bb));
	struct side *bs = xcalloc(x->n, sizeof(*bs));
	struct job_result res;
	size_t i;
	int rc = 0, more = 1, ran;

	count_sides(x);
	while (more) {
		x->rounds++;
		for (i = 0; i < x->n; i++) {
			bb[i] = x->t[i].b;
			bs[i] = x->t[i].s;
		}
		rc = run_side(x, 1, &res, &ran);
		if (rc)
			break;
		count_sides(x);
		/* The base's runs count only with the series' config. */
		rc = run_side(x, 0, &res, &ran);
		if (rc)
			break;
		if (!ran && !x->base_ran && x->rounds == 1)
			progress_step("base", "%.12s: reusing earlier iterations "
				      "on the same kernel, guest and kconfig set; "
				      "not running the base again", x->sr->base);
		count_sides(x);
		more = next_round(x, bb, bs);
	}
	free(bb);
	free(bs);
	return rc;
}

static int fail_on_series(const struct job_opts *o, const struct sr *x)
{
	size_t i;
	int hits = 0;

	for (i = 0; i < x->n; i++) {
		enum stats_verdict v = stats_verdict(x->t[i].s.fails,
						     x->t[i].s.runs);

		if (!(o->fail_on & (1u << v)))
			continue;
		fprintf(stderr, "kflake: series %lld: %s is %s on the series "
			"(%ld of %ld failed; --fail-on)\n", x->sr->id,
			x->t[i].label, stats_verdict_name(v), x->t[i].s.fails,
			x->t[i].s.runs);
		hits++;
	}
	return hits;
}

static void sr_init(struct sr *x, struct store *st, const struct job_opts *o,
		    const struct series_result *r, double delta)
{
	size_t i, n = o->ntests ? o->ntests : job_default_count();

	memset(x, 0, sizeof(*x));
	x->st = st;
	x->o = o;
	x->sr = r;
	x->n = n;
	x->t = xcalloc(n, sizeof(*x->t));
	for (i = 0; i < n; i++) {
		struct sr_test *t = &x->t[i];
		long cap;

		t->arg = o->ntests ? o->tests[i] : job_default_test(i);
		if (o->test_opts)
			t->x = o->test_opts[i];
		t->label = job_test_label(t->arg, o->test_opts ?
					  &o->test_opts[i] : NULL);
		t->suite = job_test_suite(t->arg);
		t->until = o->until_decided || t->x.until_decided;
		cap = t->x.iterations ? t->x.iterations : o->iterations;
		if (t->until) {
			seqtest_init(&t->seq, delta, cap);
			t->target = t->seq.step;
		} else {
			t->target = cap;
		}
	}
}

static void sr_release(struct sr *x)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		free(x->t[i].label);
		free(x->t[i].suite);
	}
	free(x->t);
	pool_key_release(&x->skey);
	pool_key_release(&x->bkey);
}

/* One compare() object as a series_verdicts row. */
static int store_verdict(struct store *st, long long series_id,
			 long long series_run, long long base_run,
			 const char *test, const char *subcase, json_t *j)
{
	json_t *b = json_object_get(j, "base"), *s = json_object_get(j, "series");
	json_t *p = json_object_get(j, "p_value");
	json_t *q = json_object_get(j, "detectable_rate");
	json_t *more = json_object_get(j, "more_iterations");
	char ts[32];
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_prepare(st,
		"INSERT INTO series_verdicts(series_id, series_run, base_run, "
		"test, subcase, base_failures, base_runs, series_failures, "
		"series_runs, p_value, change, verdict, detectable_rate, "
		"more_iterations, created_at) VALUES (:series, :srun, "
		"nullif(:brun, 0), :test, :subcase, :bf, :bn, :sf, :sn, :p, "
		":change, :verdict, :q, :more, :now)",
		":series I :srun I :brun I :test s :subcase s :bf I :bn I "
		":sf I :sn I :change s :verdict s :now s", series_id,
		series_run, base_run, test, subcase,
		(long long)json_integer_value(json_object_get(b, "failures")),
		(long long)json_integer_value(json_object_get(b, "runs")),
		(long long)json_integer_value(json_object_get(s, "failures")),
		(long long)json_integer_value(json_object_get(s, "runs")),
		json_string_value(json_object_get(j, "change")),
		json_string_value(json_object_get(j, "verdict")),
		util_iso8601(util_wallclock(), ts));
	if (!stmt)
		return -1;
	if (json_is_number(p))
		sqlite3_bind_double(stmt, sqlite3_bind_parameter_index(stmt,
				    ":p"), json_number_value(p));
	if (json_is_number(q))
		sqlite3_bind_double(stmt, sqlite3_bind_parameter_index(stmt,
				    ":q"), json_number_value(q));
	if (json_is_integer(more))
		sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt,
				   ":more"), json_integer_value(more));
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : error("%s: %s", st->path,
					     sqlite3_errmsg(st->db));
}

/* The verdicts just printed, kept for the series page, in one go. */
static int store_verdicts(struct store *st, long long series_id,
			  long long series_run, long long base_run,
			  json_t *tests)
{
	json_t *t, *sub;
	size_t i, k;
	int rc = 0;

	if (store_begin(st))
		return -1;
	json_array_foreach(tests, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));

		rc = store_verdict(st, series_id, series_run, base_run, name,
				   NULL, t);
		json_array_foreach(json_object_get(t, "subcases"), k, sub)
			if (!rc)
				rc = store_verdict(st, series_id, series_run,
						   base_run, name,
						   json_string_value(json_object_get(
							sub, "name")), sub);
		if (rc)
			break;
	}
	if (rc) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

static char *dup_col(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return NULL;
	return xstrdup(store_col_text(stmt, col));
}

int seriesrun_verdicts(struct store *st, long long series_id,
		       struct seriesrun_verdict **out)
{
	struct seriesrun_verdict *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st,
		"SELECT series_run, coalesce(base_run, 0), test, subcase, "
		"base_failures, base_runs, series_failures, series_runs, "
		"p_value, change, verdict, created_at FROM series_verdicts "
		"WHERE series_id = :s AND series_run = (SELECT max(series_run) "
		"FROM series_verdicts WHERE series_id = :s) ORDER BY id LIMIT "
		"5000", ":s I", series_id);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct seriesrun_verdict *r;

		ALLOC_GROW(v, n, alloc);
		r = &v[n++];
		memset(r, 0, sizeof(*r));
		r->series_run = sqlite3_column_int64(stmt, 0);
		r->base_run = sqlite3_column_int64(stmt, 1);
		r->test = dup_col(stmt, 2);
		r->subcase = dup_col(stmt, 3);
		r->base_failures = (long)sqlite3_column_int64(stmt, 4);
		r->base_runs = (long)sqlite3_column_int64(stmt, 5);
		r->series_failures = (long)sqlite3_column_int64(stmt, 6);
		r->series_runs = (long)sqlite3_column_int64(stmt, 7);
		r->has_p = sqlite3_column_type(stmt, 8) != SQLITE_NULL;
		r->p_value = sqlite3_column_double(stmt, 8);
		r->change = dup_col(stmt, 9);
		r->verdict = dup_col(stmt, 10);
		r->created_at = dup_col(stmt, 11);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void seriesrun_verdicts_release(struct seriesrun_verdict *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].test);
		free(v[i].subcase);
		free(v[i].change);
		free(v[i].verdict);
		free(v[i].created_at);
	}
	free(v);
}

static json_t *side(long k, long n)
{
	double lo, hi;

	stats_wilson(k, n, STATS_Z95, &lo, &hi);
	return json_pack("{s:I, s:I, s:o, s:[f, f]}", "failures", (json_int_t)k,
			 "runs", (json_int_t)n, "rate", n ?
			 json_real((double)k / n) : json_null(), "interval",
			 lo, hi);
}

json_t *seriesrun_verdict_json(const struct seriesrun_verdict *v)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "series_run", (json_int_t)v->series_run,
			 "base_run", v->base_run ? json_integer(v->base_run)
						 : json_null(),
			 "test", utf8_json_str(v->test),
			 "subcase", utf8_json_str(v->subcase),
			 "base", side(v->base_failures, v->base_runs),
			 "series", side(v->series_failures, v->series_runs),
			 "p_value", v->has_p ? json_real(v->p_value) : json_null(),
			 "change", utf8_json_str(v->change),
			 "verdict", utf8_json_str(v->verdict),
			 "created_at", utf8_json_str(v->created_at));
}

int seriesrun_execute(struct store *st, const struct job_opts *o,
		      const struct series_result *sr, double delta,
		      long long series_run, json_t **out, int text)
{
	struct rule fixed = { NULL, SEQTEST_CONTINUE, delta };
	struct sr x;
	json_t *arr;
	size_t i;
	int rc;

	*out = NULL;
	sr_init(&x, st, o, sr, delta);
	if (series_run > 0 && pool_key_of_run(st, series_run, &x.skey))
		memset(&x.skey, 0, sizeof(x.skey));
	rc = execute(&x);
	if (rc)
		goto out;
	if (x.skey.kernel_id <= 0 || x.bkey.kernel_id <= 0) {
		error("series %lld: no kernel on record for a run", sr->id);
		rc = KFLAKE_EXIT_FAULT;
		goto out;
	}
	if (text && record_kernels_differ_config(st, x.skey.kernel_id,
						 x.bkey.kernel_id))
		warning("series %lld: its kernel and the base's have different "
			".config files (the series changes Kconfig, or the "
			"fragments changed between the builds)", sr->id);
	*out = json_pack("{s:o,s:I,s:I,s:i,s:f}", "series",
			 series_result_json(sr), "series_run",
			 (json_int_t)x.last_series_run, "base_run",
			 (json_int_t)x.last_base_run, "rounds", x.rounds,
			 "delta", delta);
	json_object_set_new(*out, "base_reused", json_boolean(!x.last_base_run));
	arr = json_array();
	json_object_set_new(*out, "tests", arr);
	if (text)
		printf("series %lld '%s': base %.12s against series %.12s "
		       "(%zu patch(es))\n", sr->id, sr->subject, sr->base,
		       sr->result, sr->npatches);
	for (i = 0; i < x.n; i++) {
		struct sr_test *t = &x.t[i];
		struct rule r = { t->until ? &t->seq : NULL, t->d, delta };
		json_t *j = compare(t->label, t->b, t->s, 2, text, &r);
		struct pool_key sk, bk;

		test_key(&x.skey, t, &sk);
		test_key(&x.bkey, t, &bk);
		json_object_set_new(j, "subcases",
				    compare_subcases(st, &bk, &sk, text, &fixed));
		json_array_append_new(arr, j);
		pool_key_release(&sk);
		pool_key_release(&bk);
	}
	if (store_verdicts(st, sr->id, x.last_series_run, x.last_base_run,
			   arr) || series_set_state(st, sr->id, "tested"))
		warning("series %lld: the verdict could not be stored", sr->id);
	if (o->fail_on) {
		int hits = fail_on_series(o, &x);

		for (i = 0; i < json_array_size(arr); i++) {
			json_t *j = json_array_get(arr, i);

			if (!(o->fail_on & REPORT_FAIL_ON_REGRESSION) ||
			    strcmp(json_string_value(json_object_get(j, "change")),
				   "regression"))
				continue;
			fprintf(stderr, "kflake: series %lld: %s regressed "
				"(--fail-on)\n", sr->id,
				json_string_value(json_object_get(j, "name")));
			hits++;
		}
		json_object_set_new(*out, "fail_on_hits", json_integer(hits));
	}
out:
	sr_release(&x);
	return rc;
}

int seriesrun_run(const struct job_opts *o)
{
	struct series_opts so = { 0 };
	struct series_result sr;
	struct strbuf err = STRBUF_INIT;
	struct store st;
	json_t *out = NULL;
	int text = o->progress != PROGRESS_JSON, rc;

	if (store_open(&st, o->db, 0))
		return KFLAKE_EXIT_FAIL;
	so.source = o->series;
	so.tree = o->tree;
	so.ref = o->ref;
	so.allow_incomplete = o->allow_incomplete;
	progress_step("series", "%s", o->series);
	rc = series_fetch(&st, &so, &sr, &err);
	if (rc < 0) {
		error("%s", strbuf_str(&err));
		rc = KFLAKE_EXIT_FAIL;
		goto out_store;
	}
	if (sr.notes) {
		char *p = sr.notes;

		for (p = strtok(p, "\n"); p; p = strtok(NULL, "\n"))
			warning("%s: %s", o->series, p);
	}
	if (rc > 0) {
		error("series %lld: %s", sr.id, sr.error);
		rc = KFLAKE_EXIT_FAIL;
		goto out;
	}
	progress_step("series", "series %lld: '%s' v%d, %zu patch(es) on %.12s "
		      "-> %.12s", sr.id, sr.subject, sr.version, sr.npatches,
		      sr.base, sr.result);
	rc = seriesrun_execute(&st, o, &sr, SEQTEST_DEFAULT_DELTA, 0, &out,
			       text);
	if (rc)
		goto out;
	if (!text) {
		char *s = json_dumps(out, JSON_COMPACT);

		puts(s);
		free(s);
	}
	rc = json_integer_value(json_object_get(out, "fail_on_hits")) ?
		     KFLAKE_EXIT_VERDICT : 0;
out:
	json_decref(out);
	series_result_release(&sr);
out_store:
	strbuf_release(&err);
	store_close(&st);
	return rc;
}
