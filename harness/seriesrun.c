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
#include "record.h"
#include "report.h"
#include "series.h"
#include "seriesrun.h"
#include "stats.h"
#include "store.h"
#include "util.h"

#define SERIESRUN_MAX_SUBCASES 200

struct side {
	long fails, runs;
};

/*
 * Iterations that count: those of finished runs in the side's pool
 * (pool.h: same kernel, kconfig set, guest size, stress, executor).
 */
#define SIDE_FROM \
	"FROM iterations i JOIN runs r ON r.id = i.run_id WHERE " \
	POOL_MATCH_TEST " AND " POOL_MATCH_KERNEL \
	" AND r.state IN ('done', 'interrupted')"

static struct side side_read(sqlite3_stmt *stmt, const struct pool_key *k)
{
	struct side s = { 0, 0 };

	if (stmt && !pool_bind(stmt, k) && sqlite3_step(stmt) == SQLITE_ROW) {
		s.fails = (long)sqlite3_column_int64(stmt, 0);
		s.runs = (long)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return s;
}

static struct side test_side(struct store *st, const struct pool_key *k)
{
	if (k->kernel_id <= 0 || !k->suite)
		return (struct side){ 0, 0 };
	return side_read(store_prepare(st,
		"SELECT coalesce(sum(i.outcome IN ('fail', 'stall', 'crash')), 0), "
		"coalesce(sum(i.outcome NOT IN ('error', 'skip')), 0) " SIDE_FROM,
		""), k);
}

static struct side subcase_side(struct store *st, const struct pool_key *k,
				const char *name)
{
	if (k->kernel_id <= 0 || !k->suite)
		return (struct side){ 0, 0 };
	return side_read(store_prepare(st,
		"SELECT coalesce(sum(s.outcome IN ('fail', 'timeout', 'error')), 0), "
		"coalesce(sum(s.outcome <> 'skip'), 0) FROM subresults s "
		"JOIN iterations i ON i.id = s.iteration_id "
		"JOIN runs r ON r.id = i.run_id WHERE " POOL_MATCH_TEST " AND "
		POOL_MATCH_KERNEL " AND r.state IN ('done', 'interrupted') "
		"AND s.name = :name", ":name s", name), k);
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

/*
 * Compare one test or sub-case: prints the figures and the verdict and
 * returns them as JSON. indent is the text output's left margin.
 */
static json_t *compare(const char *what, struct side b, struct side s,
		       int indent, int text)
{
	double blo, bhi, slo, shi, p, q = -1, lo, hi;
	enum stats_change c;
	long needed = -1, more = 0;
	struct strbuf v = STRBUF_INIT;
	json_t *j;

	stats_wilson(b.fails, b.runs, STATS_Z95, &blo, &bhi);
	stats_wilson(s.fails, s.runs, STATS_Z95, &slo, &shi);
	p = stats_fisher_two_sided(b.fails, b.runs, s.fails, s.runs);
	c = stats_compare(b.fails, b.runs, s.fails, s.runs, SERIESRUN_ALPHA);
	if (!b.runs || !s.runs) {
		strbuf_addstr(&v, "undecided (no counted runs on one side)");
	} else if (c == STATS_REGRESSION) {
		strbuf_addstr(&v, "regression");
	} else if (c == STATS_IMPROVEMENT) {
		strbuf_addstr(&v, "improvement");
	} else {
		q = stats_detectable_rate(rate(b), b.runs, s.runs,
					  SERIESRUN_ALPHA, SERIESRUN_POWER);
		strbuf_addstr(&v, "no change detected (with ");
		if (b.runs == s.runs)
			strbuf_addf(&v, "%ld runs", b.runs);
		else
			strbuf_addf(&v, "%ld base and %ld series runs", b.runs,
				    s.runs);
		if (rate(b) >= 1.0)
			strbuf_addstr(&v, ", but the base always fails: no "
				      "regression could show)");
		else if (q < 0)
			strbuf_addf(&v, " not even a change from %.0f%% to "
				    "100%% would show)", 100 * rate(b));
		else
			strbuf_addf(&v, " we would detect a change from %.0f%% "
				    "to %.0f%%)", 100 * rate(b), 100 * q);
		/*
		 * What would decide it: the difference seen, if any;
		 * else a 10-point rise over the base's rate.
		 */
		lo = fmin(rate(b), rate(s));
		hi = fmax(rate(b), rate(s));
		if (hi <= lo)
			hi = fmin(1.0, lo + 0.10);
		needed = hi > lo ? stats_runs_needed(lo, hi, SERIESRUN_ALPHA,
						     SERIESRUN_POWER) : -1;
		more = needed - (b.runs < s.runs ? b.runs : s.runs);
	}
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
	j = json_pack("{s:s,s:o,s:o,s:f,s:o,s:s,s:s}", "name", what,
		      "base", side_json(b), "series", side_json(s),
		      "difference", rate(s) - rate(b),
		      "p_value", isnan(p) ? json_null() : json_real(p),
		      "change", stats_change_name(c), "verdict", v.buf);
	if (q >= 0)
		json_object_set_new(j, "detectable_rate", json_real(q));
	if (needed > 0 && more > 0)
		json_object_set_new(j, "more_iterations", json_integer(more));
	strbuf_release(&v);
	return j;
}

static json_t *compare_subcases(struct store *st, const struct pool_key *b,
				const struct pool_key *s, int text)
{
	json_t *a = json_array();
	sqlite3_stmt *stmt;

	/* The sub-cases the series ran, in the order they first appeared. */
	stmt = store_prepare(st,
		"SELECT s.name FROM subresults s JOIN iterations i ON "
		"i.id = s.iteration_id JOIN runs r ON r.id = i.run_id WHERE "
		POOL_MATCH_TEST " AND " POOL_MATCH_KERNEL " GROUP BY s.name "
		"ORDER BY min(s.id) LIMIT :max", ":max i",
		SERIESRUN_MAX_SUBCASES);
	if (stmt && pool_bind(stmt, s)) {
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
	while (stmt && s->suite && sqlite3_step(stmt) == SQLITE_ROW) {
		const char *name = store_col_text(stmt, 0);

		json_array_append_new(a, compare(name, subcase_side(st, b, name),
						 subcase_side(st, s, name), 4,
						 text));
	}
	sqlite3_finalize(stmt);
	return a;
}

/* The tests the series run planned (names as iterations record them). */
static json_t *run_tests(struct store *st, long long run_id)
{
	char *s = store_query_str(st, "SELECT tests FROM runs WHERE id = ?",
				  "I", run_id);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;

	free(s);
	if (!json_is_array(j)) {
		json_decref(j);
		j = json_array();
	}
	return j;
}

/*
 * The pool key of test in run: the run's key with the test and the
 * suite its iterations recorded (NULL suite when it has none).
 */
static void test_key(struct store *st, const struct pool_key *run,
		     long long run_id, const char *test, struct pool_key *k)
{
	pool_key_copy(k, run);
	free(k->test);
	k->test = xstrdup(test);
	free(k->suite);
	k->suite = store_query_str(st, "SELECT suite FROM iterations WHERE "
				   "run_id = :run AND test = :test LIMIT 1",
				   ":run I :test s", run_id, test);
}

/*
 * The base's pool before it runs: the series run's key on the base's
 * kernel built with the series kernel's .config and compiler, if that
 * kernel was ever built (0 otherwise).
 */
static long long base_kernel(struct store *st, const char *base,
			     long long series_kernel)
{
	return store_query_int(st, 0,
		"SELECT b.id FROM kernels b JOIN kernels s ON s.id = :series "
		"WHERE b.commit_id = :base AND b.tree_id = s.tree_id AND "
		"b.config_hash = s.config_hash AND b.compiler = s.compiler AND "
		"b.state = 'ok' ORDER BY b.id DESC LIMIT 1",
		":series I :base s", series_kernel, base);
}

/*
 * Whether every test has at least iterations counted runs in the base's
 * pool (base: the base key, with the series run's tests' suites).
 */
static int base_enough(struct store *st, const struct pool_key *base,
		       const struct pool_key *series, long long series_run,
		       json_t *tests, int iterations, long *have)
{
	size_t i;
	int enough = json_array_size(tests) > 0 && base->kernel_id > 0;

	*have = -1;
	for (i = 0; i < json_array_size(tests) && enough; i++) {
		const char *t = json_string_value(json_array_get(tests, i));
		struct pool_key k;
		struct side b;

		test_key(st, series, series_run, t ? t : "", &k);
		k.kernel_id = base->kernel_id;
		b = test_side(st, &k);
		pool_key_release(&k);
		if (*have < 0 || b.runs < *have)
			*have = b.runs;
		if (b.runs < iterations)
			enough = 0;
	}
	return enough;
}

int seriesrun_run(const struct job_opts *o)
{
	struct series_opts so = { 0 };
	struct series_result sr;
	struct strbuf err = STRBUF_INIT;
	struct job_opts jo;
	struct job_result res_s, res_b;
	struct store st;
	struct pool_key skey = { 0 }, bkey = { 0 };
	json_t *tests = NULL, *out = NULL, *arr;
	int text = o->progress != PROGRESS_JSON, rc, reused = 0, hits = 0;
	long have;
	size_t i;

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

	/* The series side. */
	jo = *o;
	jo.ref = sr.result;
	jo.series_id = sr.id;
	jo.no_report = 1;
	rc = job_run(&jo, &res_s);
	if (rc) {
		if (res_s.build_failed)
			error("series %lld: verdict: the series does not build "
			      "(run %lld)", sr.id, res_s.run_id);
		goto out;
	}
	tests = run_tests(&st, res_s.run_id);
	if (pool_key_of_run(&st, res_s.run_id, &skey) || skey.kernel_id <= 0) {
		error("series %lld: no kernel on record for run %lld", sr.id,
		      res_s.run_id);
		rc = KFLAKE_EXIT_FAULT;
		goto out;
	}

	/* The base side, unless enough iterations are on record in its pool. */
	pool_key_copy(&bkey, &skey);
	bkey.kernel_id = base_kernel(&st, sr.base, skey.kernel_id);
	if (base_enough(&st, &bkey, &skey, res_s.run_id, tests, o->iterations,
			&have)) {
		reused = 1;
		progress_step("base", "%.12s: reusing %ld or more earlier "
			      "iterations per test on the same kernel, guest "
			      "and kconfig set; not running the base again",
			      sr.base, have);
	} else {
		jo = *o;
		jo.ref = sr.base;
		jo.series_id = 0;
		jo.no_report = 1;
		rc = job_run(&jo, &res_b);
		if (rc) {
			if (res_b.build_failed)
				error("series %lld: the base %.12s does not "
				      "build (run %lld)", sr.id, sr.base,
				      res_b.run_id);
			goto out;
		}
		pool_key_release(&bkey);
		if (pool_key_of_run(&st, res_b.run_id, &bkey) ||
		    bkey.kernel_id <= 0) {
			error("series %lld: no kernel on record for run %lld",
			      sr.id, res_b.run_id);
			rc = KFLAKE_EXIT_FAULT;
			goto out;
		}
	}
	if (text && store_query_int(&st, 0, "SELECT count(DISTINCT "
				    "config_hash) FROM kernels WHERE id IN "
				    "(:s, :b)", ":s I :b I", skey.kernel_id,
				    bkey.kernel_id) > 1)
		warning("series %lld: its kernel and the base's have different "
			".config files (the series changes Kconfig, or the "
			"fragments changed between the builds)", sr.id);

	out = json_pack("{s:o,s:I,s:b}", "series", series_result_json(&sr),
			"series_run", (json_int_t)res_s.run_id, "base_reused",
			reused);
	if (!reused)
		json_object_set_new(out, "base_run", json_integer(res_b.run_id));
	arr = json_array();
	json_object_set_new(out, "tests", arr);
	if (text)
		printf("series %lld '%s': base %.12s against series %.12s "
		       "(%zu patch(es))\n", sr.id, sr.subject, sr.base,
		       sr.result, sr.npatches);
	for (i = 0; i < json_array_size(tests); i++) {
		const char *t = json_string_value(json_array_get(tests, i));
		struct pool_key sk, bk;
		struct side b, s;
		json_t *j;

		if (!t)
			continue;
		test_key(&st, &skey, res_s.run_id, t, &sk);
		test_key(&st, &bkey, res_s.run_id, t, &bk);
		b = test_side(&st, &bk);
		s = test_side(&st, &sk);
		j = compare(t, b, s, 2, text);
		if ((o->fail_on & REPORT_FAIL_ON_REGRESSION) &&
		    !strcmp(json_string_value(json_object_get(j, "change")),
			    "regression")) {
			fprintf(stderr, "kflake: series %lld: %s regressed "
				"(--fail-on)\n", sr.id, t);
			hits++;
		}
		json_object_set_new(j, "subcases",
				    compare_subcases(&st, &bk, &sk, text));
		json_array_append_new(arr, j);
		pool_key_release(&sk);
		pool_key_release(&bk);
	}
	if (!text) {
		char *s = json_dumps(out, JSON_COMPACT);

		puts(s);
		free(s);
	}
	store_exec(&st, "UPDATE series SET state = 'tested' WHERE id = ?", "I",
		   sr.id);
	if (o->fail_on)
		hits += report_fail_on(&st, res_s.run_id, o->fail_on);
	rc = hits ? KFLAKE_EXIT_VERDICT : 0;
out:
	json_decref(out);
	json_decref(tests);
	pool_key_release(&skey);
	pool_key_release(&bkey);
	series_result_release(&sr);
out_store:
	strbuf_release(&err);
	store_close(&st);
	return rc;
}
