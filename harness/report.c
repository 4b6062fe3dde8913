/*
 * report.c - prints the score table (or its JSON form). The failure rate
 * counts fail, stall and crash over the runs that produced a verdict:
 * `error` is our infrastructure failing and `skip` says nothing about the
 * kernel, so both are left out of the rate (but shown). A run where most
 * iterations are `error` says so loudly: its table cannot be trusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pool.h"
#include "record.h"
#include "report.h"
#include "stats.h"
#include "util.h"

static json_t *pool_json(const struct record_tally *t)
{
	json_t *set = json_loads(t->key.kconfig_set, 0, NULL);

	return json_pack("{s:I, s:s, s:o, s:i, s:i, s:s, s:s}", "kernel_id",
			 (json_int_t)t->key.kernel_id, "commit", t->commit_id,
			 "kconfig_set", set ? set : json_array(), "guest_cpus",
			 t->key.guest_cpus, "guest_mem_mb", t->key.guest_mem_mb,
			 "stress", t->key.stress, "executor", t->key.executor);
}

static json_t *tally_json(const struct record_tally *t)
{
	long k = record_tally_failures(t), n = record_tally_verdict_runs(t);
	json_t *o = json_object(), *c = json_object();
	double lo, hi;
	int i;

	stats_wilson(k, n, STATS_Z95, &lo, &hi);
	for (i = 0; i < OUTCOME_NR; i++)
		json_object_set_new(c, record_outcome_name(i),
				    json_integer(t->counts[i]));
	json_object_set_new(o, "test", json_string(t->test));
	json_object_set_new(o, "suite", json_string(t->key.suite));
	json_object_set_new(o, "pool", pool_json(t));
	json_object_set_new(o, "runs", json_integer(t->runs));
	json_object_set_new(o, "counts", c);
	json_object_set_new(o, "failures", json_integer(k));
	json_object_set_new(o, "verdict_runs", json_integer(n));
	json_object_set_new(o, "failure_rate", n ? json_real((double)k / n)
						 : json_null());
	json_object_set_new(o, "ci95", json_pack("[f, f]", lo, hi));
	json_object_set_new(o, "median_duration", json_real(t->median_duration));
	json_object_set_new(o, "max_duration", json_real(t->max_duration));
	json_object_set_new(o, "verdict",
			    json_string(stats_verdict_name(stats_verdict(k, n))));
	return o;
}

static void print_row(const struct record_tally *t, int pool)
{
	long k = record_tally_failures(t), n = record_tally_verdict_runs(t);
	double lo, hi;
	char rate[40];

	if (pool)
		printf("%-4d ", pool);

	stats_wilson(k, n, STATS_Z95, &lo, &hi);
	if (n)
		snprintf(rate, sizeof(rate), "%5.1f%% [%4.1f, %5.1f]",
			 100.0 * k / n, 100 * lo, 100 * hi);
	else
		snprintf(rate, sizeof(rate), "   -  [no verdicts]");
	printf("%-24.24s %4ld %4ld %4ld %4ld %5ld %5ld %5ld  %-21s %7.1f %7.1f  %s\n",
	       t->test, t->runs, t->counts[OUTCOME_PASS],
	       t->counts[OUTCOME_FAIL], t->counts[OUTCOME_SKIP],
	       t->counts[OUTCOME_STALL], t->counts[OUTCOME_CRASH],
	       t->counts[OUTCOME_ERROR], rate, t->median_duration,
	       t->max_duration, stats_verdict_name(stats_verdict(k, n)));
}

static void print_hint(const struct record_tally *t)
{
	long k = record_tally_failures(t), n = record_tally_verdict_runs(t);
	long more = stats_runs_to_stable(k, n);

	if (stats_verdict(k, n) == STATS_UNDECIDED && more > 0)
		printf("  %s: %ld more clean run(s) would call it stable "
		       "(failure rate below %.0f%% at 95%% confidence)\n",
		       t->test, more, 100 * STATS_STABLE_FLOOR);
}

struct subcase {
	char *test;
	char *name;
	long pass, fail, skip, runs;
	struct strbuf metrics;
	json_t *mjson;
};

/* Medians of every metric of one sub-case, appended to sc. */
static void subcase_metrics(struct store *st, long long run_id,
			    const char *commit, struct subcase *sc)
{
	sqlite3_stmt *stmt;
	double *v = NULL;
	size_t n = 0, alloc = 0;
	char *name = NULL, *unit = NULL;

	stmt = store_prepare(st,
		"SELECT m.name, coalesce(m.unit, ''), m.value FROM metrics m "
		"JOIN iterations i ON i.id = m.iteration_id JOIN runs r "
		"ON r.id = i.run_id WHERE i.test = ? AND m.subcase = ? AND "
		"(? = 0 OR i.run_id = ?) AND (? IS NULL OR r.commit_id = ?) "
		"ORDER BY m.name LIMIT 100000", "ssIIss", sc->test, sc->name,
		run_id, run_id, commit, commit);
	if (!stmt)
		return;
	for (;;) {
		int more = sqlite3_step(stmt) == SQLITE_ROW;

		if (name && (!more || strcmp(name, store_col_text(stmt, 0)))) {
			double med = stats_median(v, n);

			strbuf_addf(&sc->metrics, "%s%s %.0f", sc->metrics.len ?
				    ", " : "", name, med);
			json_object_set_new(sc->mjson, name, json_pack(
				"{s:f, s:s, s:i}", "median", med, "unit", unit,
				"samples", (int)n));
			free(name);
			free(unit);
			name = unit = NULL;
			n = 0;
		}
		if (!more)
			break;
		if (!name) {
			name = xstrdup(store_col_text(stmt, 0));
			unit = xstrdup(store_col_text(stmt, 1));
		}
		ALLOC_GROW(v, n, alloc);
		v[n++] = sqlite3_column_double(stmt, 2);
	}
	sqlite3_finalize(stmt);
	free(v);
}

static int load_subcases(struct store *st, long long run_id,
			 const char *commit, struct subcase **out)
{
	struct subcase *v = NULL;
	size_t n = 0, alloc = 0, i;
	sqlite3_stmt *stmt;

	stmt = store_prepare(st,
		"SELECT i.test, s.name, sum(s.outcome IN ('pass', 'xfail')), "
		"sum(s.outcome IN ('fail', 'timeout', 'error')), "
		"sum(s.outcome = 'skip'), count(*) FROM subresults s "
		"JOIN iterations i ON i.id = s.iteration_id JOIN runs r "
		"ON r.id = i.run_id WHERE (? = 0 OR i.run_id = ?) AND "
		"(? IS NULL OR r.commit_id = ?) AND i.retry = 0 "
		"GROUP BY i.test, s.name "
		"ORDER BY i.test, min(s.id) LIMIT 1000", "IIss", run_id, run_id,
		commit, commit);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		memset(&v[n], 0, sizeof(v[n]));
		v[n].test = xstrdup(store_col_text(stmt, 0));
		v[n].name = xstrdup(store_col_text(stmt, 1));
		v[n].pass = sqlite3_column_int(stmt, 2);
		v[n].fail = sqlite3_column_int(stmt, 3);
		v[n].skip = sqlite3_column_int(stmt, 4);
		v[n].runs = sqlite3_column_int(stmt, 5);
		v[n].mjson = json_object();
		n++;
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++)
		subcase_metrics(st, run_id, commit, &v[i]);
	*out = v;
	return (int)n;
}

static void free_subcases(struct subcase *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].test);
		free(v[i].name);
		strbuf_release(&v[i].metrics);
		json_decref(v[i].mjson);
	}
	free(v);
}

static void print_subcases(const struct subcase *v, int n)
{
	int i;

	if (!n)
		return;
	printf("\nsub-cases:\n");
	for (i = 0; i < n; i++) {
		double lo, hi;
		long verdicts = v[i].pass + v[i].fail;

		stats_wilson(v[i].fail, verdicts, STATS_Z95, &lo, &hi);
		printf("  %s: %s\n    %ld run(s): %ld pass, %ld fail, %ld skip",
		       v[i].test, v[i].name, v[i].runs, v[i].pass, v[i].fail,
		       v[i].skip);
		if (verdicts)
			printf("; fail-rate %.1f%% [%.1f, %.1f]",
			       100.0 * v[i].fail / verdicts, 100 * lo, 100 * hi);
		putchar('\n');
		if (v[i].metrics.len)
			printf("    median: %s\n", v[i].metrics.buf);
	}
}

static json_t *subcases_json(const struct subcase *v, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:i, s:i, s:i, s:i, s:O}", "test", v[i].test,
			"name", v[i].name, "runs", (int)v[i].runs,
			"pass", (int)v[i].pass, "fail", (int)v[i].fail,
			"skip", (int)v[i].skip, "metrics", v[i].mjson));
	return a;
}

/*
 * Without a run, rows come per test and pool: number the pools (kernel,
 * guest size, kconfig set, stress, executor) and say what each is, so
 * nobody reads two kernels' rows as one. Returns each row's pool number.
 */
static int *print_pools(const struct record_tally *t, int n)
{
	int *num = xcalloc((size_t)n + 1, sizeof(*num));
	int i, j, npool = 0;

	for (i = 0; i < n; i++) {
		/* Rows of different tests share a pool: match the run parts. */
		for (j = 0; j < i; j++) {
			struct pool_key a = t[j].key, b = t[i].key;

			a.test = b.test = NULL;
			if (pool_key_same(&a, &b, POOL_KERNEL))
				break;
		}
		if (j < i) {
			num[i] = num[j];
			continue;
		}
		num[i] = ++npool;
	}
	printf("pooled per kernel and run setup (iterations count together "
	       "only within one pool):\n");
	for (i = 0; i < n; i++) {
		char *d;

		for (j = 0; j < i; j++)
			if (num[j] == num[i])
				break;
		if (j < i)
			continue;
		d = pool_describe(&t[i].key);
		printf("  pool %d: kernel %lld (commit %.12s), %s\n", num[i],
		       t[i].key.kernel_id, t[i].commit_id, d);
		free(d);
	}
	putchar('\n');
	return num;
}

int report_print(struct store *st, long long run_id, const char *commit,
		 enum report_format fmt)
{
	struct subcase *sub = NULL;
	int nsub;
	struct record_tally *t = NULL;
	long errors = 0, total = 0;
	int n, i, *pools;

	n = record_tally(st, run_id, commit, &t);
	if (n < 0)
		return -1;
	nsub = load_subcases(st, run_id, commit, &sub);
	if (nsub < 0)
		nsub = 0;
	for (i = 0; i < n; i++) {
		errors += t[i].counts[OUTCOME_ERROR];
		total += t[i].runs;
	}
	if (fmt == REPORT_JSON) {
		json_t *a = json_array(), *o;
		char *s;

		for (i = 0; i < n; i++)
			json_array_append_new(a, tally_json(&t[i]));
		o = json_pack("{s:s, s:I, s:o, s:o, s:b}", "event", "report",
			      "run", (json_int_t)run_id, "tests", a,
			      "subcases", subcases_json(sub, nsub),
			      "mostly_errors", total && 2 * errors > total);
		s = json_dumps(o, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(o);
		record_tally_release(t, n);
		free_subcases(sub, nsub);
		return 0;
	}
	pools = run_id ? NULL : print_pools(t, n);
	if (pools)
		printf("%-4s ", "pool");
	printf("%-24s %4s %4s %4s %4s %5s %5s %5s  %-21s %7s %7s  %s\n", "test",
	       "iter", "pass", "fail", "skip", "stall", "crash", "error",
	       "fail-rate [95% CI]", "median", "max", "verdict");
	for (i = 0; i < n; i++)
		print_row(&t[i], pools ? pools[i] : 0);
	free(pools);
	if (!n)
		printf("(no iterations)\n");
	for (i = 0; i < n; i++)
		print_hint(&t[i]);
	print_subcases(sub, nsub);
	free_subcases(sub, nsub);
	if (total && 2 * errors > total)
		printf("WARNING: %ld of %ld iterations are infrastructure errors "
		       "(boot failures, lost VMs): these results say little "
		       "about the kernel.\n", errors, total);
	record_tally_release(t, n);
	return 0;
}

int report_run(struct store *st, long long run_id, enum report_format fmt)
{
	if (fmt == REPORT_TABLE)
		printf("\nrun %lld:\n", run_id);
	return report_print(st, run_id, NULL, fmt);
}

int report_fail_on_parse(const char *list, unsigned *mask)
{
	char *copy = xstrdup(list), *save = NULL, *w;
	int v, ret = 0;

	*mask = 0;
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (v = STATS_UNDECIDED; v <= STATS_FAILING; v++)
			if (!strcmp(w, stats_verdict_name(v)))
				break;
		if (v <= STATS_FAILING) {
			*mask |= 1u << v;
		} else if (!strcmp(w, "regression")) {
			*mask |= REPORT_FAIL_ON_REGRESSION;
		} else {
			ret = error("--fail-on %s: '%s' is not one of failing, "
				    "flaky, undecided, stable, regression",
				    list, w);
			break;
		}
	}
	if (!ret && !*mask)
		ret = error("--fail-on '%s': no verdict named", list);
	free(copy);
	return ret;
}

int report_fail_on(struct store *st, long long run_id, unsigned mask)
{
	struct record_tally *t;
	int i, n = record_tally(st, run_id, NULL, &t), hits = 0;

	for (i = 0; i < n; i++) {
		long k = record_tally_failures(&t[i]);
		long m = record_tally_verdict_runs(&t[i]);
		enum stats_verdict v = stats_verdict(k, m);

		if (!(mask & (1u << v)))
			continue;
		hits++;
		fprintf(stderr, "kflake: run %lld: %s is %s (%ld of %ld "
			"failed; --fail-on)\n", run_id, t[i].test,
			stats_verdict_name(v), k, m);
	}
	if (n > 0)
		record_tally_release(t, n);
	return hits;
}
