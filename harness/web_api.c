/*
 * web_api.c - the JSON API under /api/ and the data it shares with the
 * pages: flake scores per test and sub-case, run verdicts, reproduce
 * commands and the list statements. A page shows nothing the API lacks.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"
#include "utf8.h"
#include "util.h"
#include "web.h"

void web_rate(long failures, long runs, double *rate, double *lo,
	      double *hi)
{
	if (runs <= 0) {
		*rate = *lo = 0;
		*hi = 1;
		return;
	}
	*rate = (double)failures / (double)runs;
	stats_wilson(failures, runs, STATS_Z95, lo, hi);
}

json_t *web_json_str(const char *s)
{
	return utf8_json_str(s);
}

static json_t *col_json(sqlite3_stmt *stmt, int col)
{
	switch (sqlite3_column_type(stmt, col)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(stmt, col));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(stmt, col));
	case SQLITE_NULL:
		return json_null();
	default:
		return web_json_str(store_col_text(stmt, col));
	}
}

json_t *web_json_row(sqlite3_stmt *stmt)
{
	json_t *o = json_object();
	int i, n = sqlite3_column_count(stmt);

	for (i = 0; i < n; i++)
		json_object_set_new(o, sqlite3_column_name(stmt, i),
				    col_json(stmt, i));
	return o;
}

int web_send_json(struct web_req *r, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	strbuf_reset(&r->body);
	r->ctype = "application/json";
	if (!s)
		return web_error(r, 500, "cannot encode JSON");
	strbuf_addstr(&r->body, s);
	strbuf_addch(&r->body, '\n');
	free(s);
	return 0;
}

/* Rows of stmt as an array, at most limit; *more tells if one was left. */
static json_t *json_rows(sqlite3_stmt *stmt, long limit, int *more)
{
	json_t *a = json_array();
	long n = 0;

	if (more)
		*more = 0;
	if (!stmt)
		return a;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (n++ == limit) {
			if (more)
				*more = 1;
			break;
		}
		json_array_append_new(a, web_json_row(stmt));
	}
	sqlite3_finalize(stmt);
	return a;
}

static json_t *page_json(const struct web_filter *f, int more)
{
	return json_pack("{s:i,s:i,s:b}", "page", (json_int_t)f->page,
			 "limit", (json_int_t)f->limit, "more", more);
}

/* Replace a JSON-text field by the value it holds (progress, tests). */
static void inline_json(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	json_t *parsed;

	if (!json_is_string(v))
		return;
	parsed = json_loads(json_string_value(v), 0, NULL);
	json_object_set_new(o, key, parsed ? parsed : json_null());
}

int web_run_alive(const char *host, long long pid)
{
	char me[256] = "";

	gethostname(me, sizeof(me) - 1);
	if (!host || strcmp(host, me) || pid <= 0)
		return 1;	/* cannot tell from here: trust the row */
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* How bad a verdict is when a run sums up its tests: any doubt shows. */
static int verdict_rank(enum stats_verdict v)
{
	switch (v) {
	case STATS_FAILING:
		return 3;
	case STATS_FLAKY:
		return 2;
	case STATS_UNDECIDED:
		return 1;
	default:
		return 0;
	}
}

const char *web_run_verdict(struct web_req *r, long long run_id,
			    long *failures, long *total)
{
	enum stats_verdict worst = STATS_STABLE, v;
	sqlite3_stmt *stmt;
	int any = 0;

	*failures = *total = 0;
	stmt = store_prepare(r->st,
		"SELECT sum(outcome IN ('fail', 'stall', 'crash')), "
		"sum(outcome = 'pass'), count(*) FROM iterations "
		"WHERE run_id = ? GROUP BY test", "I", run_id);
	if (!stmt)
		return NULL;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		long k = sqlite3_column_int64(stmt, 0);
		long n = k + sqlite3_column_int64(stmt, 1);

		*failures += k;
		*total += sqlite3_column_int64(stmt, 2);
		if (!n)
			continue;
		v = stats_verdict(k, n);
		if (!any++ || verdict_rank(v) > verdict_rank(worst))
			worst = v;
	}
	sqlite3_finalize(stmt);
	return any ? stats_verdict_name(worst) : NULL;
}

static void shell_quote(struct strbuf *sb, const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_./:=@%+,-", *p))
			break;
	if (*s && !*p) {
		strbuf_addstr(sb, s);
		return;
	}
	strbuf_addch(sb, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '\'');
}

char *web_reproduce(struct web_req *r, long long iteration_id)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *stmt;
	char *test;

	stmt = store_prepare(r->st,
		"SELECT t.source, coalesce(ru.commit_id, ru.ref), i.suite, "
		"i.test FROM iterations i JOIN runs ru ON ru.id = i.run_id "
		"LEFT JOIN trees t ON t.id = ru.tree_id WHERE i.id = ?",
		"I", iteration_id);
	if (!stmt)
		return NULL;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return NULL;
	}
	strbuf_addstr(&sb, "kflake run");
	if (sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
		strbuf_addstr(&sb, " --tree ");
		shell_quote(&sb, store_col_text(stmt, 0));
	}
	if (sqlite3_column_type(stmt, 1) != SQLITE_NULL) {
		strbuf_addstr(&sb, " --ref ");
		shell_quote(&sb, store_col_text(stmt, 1));
	}
	test = xasprintf("%s:%s", store_col_text(stmt, 2),
			 store_col_text(stmt, 3));
	strbuf_addstr(&sb, " --test ");
	shell_quote(&sb, test);
	strbuf_addstr(&sb, " --iterations 1");
	free(test);
	sqlite3_finalize(stmt);
	return strbuf_detach(&sb);
}

/*
 * Columns: id, kind, state, tree, ref, commit_id, planned, step,
 * progress, started_at, finished_at, error, host, pid, series_id, tests.
 */
sqlite3_stmt *web_runs_stmt(struct web_req *r, const struct web_filter *f)
{
	struct web_sql q;
	sqlite3_stmt *stmt;

	web_sql_init(&q, "SELECT r.id, r.kind, r.state, t.source AS tree, "
		     "r.ref, r.commit_id, r.iterations AS planned, r.step, "
		     "r.progress, r.started_at, r.finished_at, r.error, r.host, "
		     "r.pid, r.series_id, r.tests FROM runs r LEFT JOIN trees t "
		     "ON t.id = r.tree_id WHERE 1");
	web_sql_filters(&q, f, WEB_F_RUN | WEB_F_RUN_DATE | WEB_F_RUN_HAS);
	web_sql_add(&q, " ORDER BY r.id DESC");
	web_sql_page(&q, f);
	stmt = web_sql_prepare(r, &q);
	web_sql_release(&q);
	return stmt;
}

/*
 * Columns: id, seq, test, suite, outcome, rc, reason, duration,
 * guest_duration, timeout, boot_id, crash_id, started_at.
 */
sqlite3_stmt *web_run_iters_stmt(struct web_req *r,
				 const struct web_filter *f, long long run)
{
	struct web_sql q;
	sqlite3_stmt *stmt;

	web_sql_init(&q, "SELECT i.id, i.seq, i.test, i.suite, i.outcome, "
		     "i.rc, i.reason, i.duration, i.guest_duration, i.timeout, "
		     "i.boot_id, i.crash_id, i.started_at FROM iterations i "
		     "WHERE");
	web_sql_int(&q, " i.run_id = ?", run);
	web_sql_filters(&q, f, WEB_F_TEST | WEB_F_OUTCOME);
	web_sql_add(&q, " ORDER BY i.id");
	web_sql_page(&q, f);
	stmt = web_sql_prepare(r, &q);
	web_sql_release(&q);
	return stmt;
}

/*
 * Columns: commit_id, tree, first_seen, last_seen, pass, fail, skip,
 * stall, crash, error, runs. Newest kernels first, 100 at most.
 */
sqlite3_stmt *web_test_commits_stmt(struct web_req *r,
				    const struct web_filter *f,
				    const char *test)
{
	struct web_sql q;
	sqlite3_stmt *stmt;

	web_sql_init(&q, "SELECT r.commit_id, t.source AS tree, "
		     "min(i.started_at) AS first_seen, "
		     "max(i.started_at) AS last_seen, "
		     "sum(i.outcome = 'pass') AS pass, "
		     "sum(i.outcome = 'fail') AS fail, "
		     "sum(i.outcome = 'skip') AS skip, "
		     "sum(i.outcome = 'stall') AS stall, "
		     "sum(i.outcome = 'crash') AS crash, "
		     "sum(i.outcome = 'error') AS error, "
		     "count(DISTINCT r.id) AS runs "
		     "FROM iterations i JOIN runs r ON r.id = i.run_id "
		     "LEFT JOIN trees t ON t.id = r.tree_id WHERE");
	web_sql_text(&q, " i.test = ?", test);
	web_sql_filters(&q, f, WEB_F_RUN | WEB_F_ITER_DATE);
	web_sql_add(&q, " GROUP BY r.commit_id, r.tree_id "
		    "ORDER BY last_seen DESC LIMIT 100");
	stmt = web_sql_prepare(r, &q);
	web_sql_release(&q);
	return stmt;
}

/*
 * Columns: id, run_id, commit_id, outcome, duration, guest_duration,
 * reason, started_at. Newest first.
 */
sqlite3_stmt *web_test_history_stmt(struct web_req *r,
				    const struct web_filter *f,
				    const char *test, long limit)
{
	struct web_sql q;
	sqlite3_stmt *stmt;

	web_sql_init(&q, "SELECT i.id, i.run_id, r.commit_id, i.outcome, "
		     "i.duration, i.guest_duration, i.reason, i.started_at "
		     "FROM iterations i JOIN runs r ON r.id = i.run_id WHERE");
	web_sql_text(&q, " i.test = ?", test);
	web_sql_filters(&q, f, WEB_F_OUTCOME | WEB_F_RUN | WEB_F_ITER_DATE);
	web_sql_add(&q, " ORDER BY i.id DESC");
	web_sql_int(&q, " LIMIT ?", limit + 1);
	web_sql_int(&q, " OFFSET ?", (f->page - 1) * limit);
	stmt = web_sql_prepare(r, &q);
	web_sql_release(&q);
	return stmt;
}

/* Flake rows ------------------------------------------------------------ */

struct flake_set {
	struct web_flake *v;
	size_t n, alloc;
};

static struct web_flake *flake_add(struct flake_set *s, const char *test,
				   const char *subcase)
{
	struct web_flake *fl;

	ALLOC_GROW(s->v, s->n, s->alloc);
	fl = &s->v[s->n++];
	memset(fl, 0, sizeof(*fl));
	fl->test = xstrdup(test);
	fl->subcase = subcase ? xstrdup(subcase) : NULL;
	return fl;
}

static void flake_score(struct web_flake *fl)
{
	fl->failures = fl->counts[OUTCOME_FAIL] + fl->counts[OUTCOME_STALL] +
		       fl->counts[OUTCOME_CRASH];
	fl->verdict_runs = fl->failures + fl->counts[OUTCOME_PASS];
	web_rate(fl->failures, fl->verdict_runs, &fl->rate, &fl->lo, &fl->hi);
	fl->verdict = fl->verdict_runs ?
		stats_verdict_name(stats_verdict(fl->failures,
						 fl->verdict_runs)) : NULL;
}

static int need_runs(const struct web_filter *f)
{
	return f->tree || f->commit;
}

/*
 * Newest failing iteration of one outcome: max(id) comes straight from
 * the (test, outcome) index. Stall time reads the stalled rows only.
 */
static long long load_failure_facts(struct web_req *r,
				    const struct web_filter *f,
				    struct web_flake *fl, int o)
{
	long long last = 0;
	sqlite3_stmt *stmt;
	struct web_sql q;

	web_sql_init(&q, o == OUTCOME_STALL ?
		     "SELECT max(i.id), total(i.duration) FROM iterations i" :
		     "SELECT max(i.id) FROM iterations i");
	if (need_runs(f))
		web_sql_add(&q, " JOIN runs r ON r.id = i.run_id");
	web_sql_text(&q, " WHERE i.test = ?", fl->test);
	web_sql_text(&q, " AND i.outcome = ?", record_outcome_name(o));
	web_sql_filters(&q, f, WEB_F_RUN | WEB_F_ITER_DATE);
	stmt = web_sql_prepare(r, &q);
	web_sql_release(&q);
	if (!stmt)
		return 0;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		last = sqlite3_column_int64(stmt, 0);
		if (o == OUTCOME_STALL)
			fl->stall_cost = sqlite3_column_double(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return last;
}

static void load_failures(struct web_req *r, const struct web_filter *f,
			  struct web_flake *fl)
{
	static const int failing[] = { OUTCOME_FAIL, OUTCOME_STALL,
				       OUTCOME_CRASH };
	long long last = 0, id;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(failing); k++) {
		if (!fl->counts[failing[k]])
			continue;
		id = load_failure_facts(r, f, fl, failing[k]);
		if (id > last)
			last = id;
	}
	if (last)
		fl->last_failure = store_query_str(r->st, "SELECT started_at "
			"FROM iterations WHERE id = ?", "I", last);
}

/*
 * Counts come from the (test, outcome) index alone; only the failing
 * rows, a small minority, are read for stall time and last failure.
 */
static int load_tests(struct web_req *r, const struct web_filter *f,
		      struct flake_set *s)
{
	struct web_flake *fl = NULL;
	sqlite3_stmt *stmt;
	struct web_sql q;
	size_t i;

	web_sql_init(&q, "SELECT i.test, i.outcome, count(*) FROM iterations i");
	if (need_runs(f))
		web_sql_add(&q, " JOIN runs r ON r.id = i.run_id");
	web_sql_add(&q, " WHERE 1");
	web_sql_filters(&q, f, WEB_F_TEST | WEB_F_RUN | WEB_F_ITER_DATE);
	web_sql_add(&q, " GROUP BY i.test, i.outcome ORDER BY i.test");
	stmt = web_sql_prepare(r, &q);
	web_sql_release(&q);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *test = store_col_text(stmt, 0);
		int o = record_outcome_parse(store_col_text(stmt, 1));
		long c = sqlite3_column_int64(stmt, 2);

		if (!fl || strcmp(fl->test, test))
			fl = flake_add(s, test, NULL);
		fl->runs += c;
		fl->counts[o < 0 ? OUTCOME_ERROR : o] += c;
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < s->n; i++)
		load_failures(r, f, &s->v[i]);
	return 0;
}

/* KTAP and udpgro sub-results use their own outcome words. */
static int subresult_outcome(const char *s)
{
	if (!strcmp(s, "xfail"))
		return OUTCOME_PASS;
	if (!strcmp(s, "timeout"))
		return OUTCOME_STALL;
	return record_outcome_parse(s);
}

static int load_subcases(struct web_req *r, const struct web_filter *f,
			 struct flake_set *s)
{
	struct web_flake *fl = NULL;
	sqlite3_stmt *stmt;
	struct web_sql q;

	web_sql_init(&q, "SELECT i.test, sr.name, sr.outcome, count(*) "
		     "FROM subresults sr JOIN iterations i "
		     "ON i.id = sr.iteration_id");
	if (need_runs(f))
		web_sql_add(&q, " JOIN runs r ON r.id = i.run_id");
	web_sql_add(&q, " WHERE 1");
	web_sql_filters(&q, f, WEB_F_TEST | WEB_F_RUN | WEB_F_ITER_DATE);
	web_sql_add(&q, " GROUP BY i.test, sr.name, sr.outcome "
		    "ORDER BY i.test, sr.name LIMIT 5000");
	stmt = web_sql_prepare(r, &q);
	web_sql_release(&q);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *test = store_col_text(stmt, 0);
		const char *name = store_col_text(stmt, 1);
		int o = subresult_outcome(store_col_text(stmt, 2));
		long c = sqlite3_column_int64(stmt, 3);

		if (!fl || strcmp(fl->test, test) || strcmp(fl->subcase, name))
			fl = flake_add(s, test, name);
		fl->runs += c;
		fl->counts[o < 0 ? OUTCOME_ERROR : o] += c;
	}
	sqlite3_finalize(stmt);
	return 0;
}

static void load_recent_one(struct web_req *r, const struct web_filter *f,
			    struct web_flake *fl)
{
	sqlite3_stmt *stmt;
	struct web_sql q;

	web_sql_init(&q, "SELECT i.outcome FROM iterations i");
	if (need_runs(f))
		web_sql_add(&q, " JOIN runs r ON r.id = i.run_id");
	web_sql_text(&q, " WHERE i.test = ?", fl->test);
	web_sql_filters(&q, f, WEB_F_RUN | WEB_F_ITER_DATE);
	web_sql_int(&q, " ORDER BY i.id DESC LIMIT ?", WEB_SPARK_MAX);
	stmt = web_sql_prepare(r, &q);
	web_sql_release(&q);
	fl->nrecent = 0;
	while (stmt && fl->nrecent < WEB_SPARK_MAX &&
	       sqlite3_step(stmt) == SQLITE_ROW)
		fl->recent[fl->nrecent++] =
			(char)record_outcome_parse(store_col_text(stmt, 0));
	sqlite3_finalize(stmt);
}

static struct web_flake *find_flake(struct web_flake **v, size_t n,
				    const char *test)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i]->test, test))
			return v[i];
	return NULL;
}

/*
 * Sparklines, newest first while collecting: one walk back from the
 * newest iteration fills the busy tests at once (the per-test index
 * would sort all of a test's rows); rare tests fall back to it.
 */
#define RECENT_SCAN 20000

static void load_recent(struct web_req *r, const struct web_filter *f,
			struct web_flake **v, size_t n)
{
	size_t i, open = n, rows = 0;
	struct web_flake *fl;
	sqlite3_stmt *stmt;
	struct web_sql q;

	web_sql_init(&q, "SELECT i.test, i.outcome FROM iterations i "
		     "NOT INDEXED");
	if (need_runs(f))
		web_sql_add(&q, " JOIN runs r ON r.id = i.run_id");
	web_sql_add(&q, " WHERE 1");
	web_sql_filters(&q, f, WEB_F_RUN | WEB_F_ITER_DATE);
	web_sql_add(&q, " ORDER BY i.id DESC");
	stmt = web_sql_prepare(r, &q);
	web_sql_release(&q);
	while (stmt && open && rows++ < RECENT_SCAN &&
	       sqlite3_step(stmt) == SQLITE_ROW) {
		fl = find_flake(v, n, store_col_text(stmt, 0));
		if (!fl || fl->nrecent == WEB_SPARK_MAX)
			continue;
		fl->recent[fl->nrecent++] =
			(char)record_outcome_parse(store_col_text(stmt, 1));
		if (fl->nrecent == WEB_SPARK_MAX)
			open--;
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		fl = v[i];
		if (open && fl->nrecent < WEB_SPARK_MAX &&
		    fl->nrecent < fl->runs)
			load_recent_one(r, f, fl);
	}
}

static void reverse_recent(struct web_flake *fl)
{
	int i;
	char c;

	for (i = 0; i < fl->nrecent / 2; i++) {
		c = fl->recent[i];
		fl->recent[i] = fl->recent[fl->nrecent - 1 - i];
		fl->recent[fl->nrecent - 1 - i] = c;
	}
}

static int flake_cmp(const void *a, const void *b, void *arg)
{
	const struct web_flake *x = a, *y = b;
	const char *sort = arg;

	if (!strcmp(sort, "cost") && x->stall_cost != y->stall_cost)
		return x->stall_cost < y->stall_cost ? 1 : -1;
	if (!strcmp(sort, "runs") && x->runs != y->runs)
		return x->runs < y->runs ? 1 : -1;
	if (!strcmp(sort, "rate") && x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	/* Equal rates: the better-established failure first. */
	if (!strcmp(sort, "rate") && x->lo != y->lo)
		return x->lo < y->lo ? 1 : -1;
	return strcmp(x->test, y->test);
}

/* Appends the sub-cases of test, in name order, after their test row. */
static void merge_subcases(struct flake_set *out, struct flake_set *sub,
			   const char *test)
{
	size_t i;

	for (i = 0; i < sub->n; i++) {
		if (!sub->v[i].test || strcmp(sub->v[i].test, test))
			continue;
		ALLOC_GROW(out->v, out->n, out->alloc);
		out->v[out->n++] = sub->v[i];
		/* moved: out owns its strings now */
		sub->v[i].test = NULL;
		sub->v[i].subcase = NULL;
		sub->v[i].last_failure = NULL;
	}
}

static void flakes_finish(struct web_req *r, const struct web_filter *f,
			  struct flake_set *tests, struct flake_set *sub,
			  struct flake_set *out)
{
	size_t i, npage = 0, first = (size_t)((f->page - 1) * f->limit);
	struct web_flake **page = xcalloc(tests->n + 1, sizeof(*page));

	for (i = 0; i < tests->n; i++) {
		struct web_flake *fl = &tests->v[i];

		if (i < first || i >= first + (size_t)f->limit ||
		    (f->outcome >= 0 && !fl->counts[f->outcome])) {
			free(fl->test);
			free(fl->last_failure);
			fl->test = NULL;
			continue;
		}
		page[npage++] = fl;
	}
	load_recent(r, f, page, npage);
	for (i = 0; i < npage; i++) {
		reverse_recent(page[i]);
		ALLOC_GROW(out->v, out->n, out->alloc);
		out->v[out->n++] = *page[i];
		merge_subcases(out, sub, page[i]->test);
	}
	for (i = 0; i < sub->n; i++) {
		free(sub->v[i].test);
		free(sub->v[i].subcase);
		free(sub->v[i].last_failure);
	}
	free(page);
}

int web_flakes_load(struct web_req *r, const struct web_filter *f,
		    struct web_flake **out)
{
	struct flake_set tests = { 0 }, sub = { 0 }, all = { 0 };
	size_t i;

	if (load_tests(r, f, &tests) || load_subcases(r, f, &sub)) {
		web_flakes_release(tests.v, (int)tests.n);
		web_flakes_release(sub.v, (int)sub.n);
		return -1;
	}
	for (i = 0; i < tests.n; i++)
		flake_score(&tests.v[i]);
	for (i = 0; i < sub.n; i++)
		flake_score(&sub.v[i]);
	if (tests.n > 1)
		qsort_r(tests.v, tests.n, sizeof(*tests.v), flake_cmp,
			(void *)(f->sort ? f->sort : "rate"));
	flakes_finish(r, f, &tests, &sub, &all);
	free(tests.v);
	free(sub.v);
	*out = all.v;
	return (int)all.n;
}

void web_flakes_release(struct web_flake *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].test);
		free(v[i].subcase);
		free(v[i].last_failure);
	}
	free(v);
}

static json_t *flake_json(const struct web_flake *fl)
{
	json_t *o = json_object(), *counts = json_object(), *recent;
	int i;

	json_object_set_new(o, "test", web_json_str(fl->test));
	json_object_set_new(o, "subcase", web_json_str(fl->subcase));
	for (i = 0; i < OUTCOME_NR; i++)
		json_object_set_new(counts, record_outcome_name(i),
				    json_integer(fl->counts[i]));
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "runs", json_integer(fl->runs));
	json_object_set_new(o, "failures", json_integer(fl->failures));
	json_object_set_new(o, "verdict_runs", json_integer(fl->verdict_runs));
	json_object_set_new(o, "rate", json_real(fl->rate));
	json_object_set_new(o, "interval", json_pack("[f,f]", fl->lo, fl->hi));
	json_object_set_new(o, "verdict", web_json_str(fl->verdict));
	json_object_set_new(o, "stall_seconds", json_real(fl->stall_cost));
	json_object_set_new(o, "last_failure", web_json_str(fl->last_failure));
	recent = json_array();
	for (i = 0; i < fl->nrecent; i++)
		json_array_append_new(recent, json_string(
			record_outcome_name(fl->recent[i])));
	if (!fl->subcase)
		json_object_set_new(o, "recent", recent);
	else
		json_decref(recent);
	return o;
}

/* Endpoints -------------------------------------------------------------- */

static json_t *run_json(struct web_req *r, sqlite3_stmt *stmt)
{
	json_t *o = web_json_row(stmt);
	long failures, total;
	const char *verdict;

	inline_json(o, "progress");
	verdict = web_run_verdict(r, sqlite3_column_int64(stmt, 0), &failures,
				  &total);
	json_object_set_new(o, "verdict", web_json_str(verdict));
	json_object_set_new(o, "failures", json_integer(failures));
	json_object_set_new(o, "done", json_integer(total));
	if (!strcmp(store_col_text(stmt, 2), "running"))
		json_object_set_new(o, "alive", json_boolean(web_run_alive(
			store_col_text(stmt, 12), sqlite3_column_int64(stmt, 13))));
	return o;
}

int web_api_running(struct web_req *r)
{
	json_t *a = json_array();
	sqlite3_stmt *stmt;

	stmt = store_prepare(r->st,
		"SELECT r.id, r.kind, r.state, t.source AS tree, r.ref, "
		"r.commit_id, r.iterations AS planned, r.step, r.progress, "
		"r.started_at, r.finished_at, r.error, r.host, r.pid, "
		"r.series_id FROM runs r LEFT JOIN trees t ON t.id = r.tree_id "
		"WHERE r.state = 'running' ORDER BY r.id DESC LIMIT 50", "");
	if (!stmt)
		return web_error(r, 500, "query failed");
	while (sqlite3_step(stmt) == SQLITE_ROW)
		json_array_append_new(a, run_json(r, stmt));
	sqlite3_finalize(stmt);
	return web_send_json(r, json_pack("{s:o}", "running", a));
}

int web_api_runs(struct web_req *r)
{
	struct web_filter f;
	sqlite3_stmt *stmt;
	json_t *a, *o;
	long n = 0;
	int more = 0;

	if (web_filter_parse(r, &f, 50))
		return -1;
	stmt = web_runs_stmt(r, &f);
	if (!stmt)
		return web_error(r, 500, "query failed");
	a = json_array();
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (n++ == f.limit) {
			more = 1;
			break;
		}
		json_array_append_new(a, run_json(r, stmt));
	}
	sqlite3_finalize(stmt);
	o = page_json(&f, more);
	json_object_set_new(o, "runs", a);
	return web_send_json(r, o);
}

static json_t *tallies_json(struct web_req *r, long long run_id)
{
	struct record_tally *t;
	json_t *a = json_array();
	int i, n = record_tally(r->st, run_id, NULL, &t);

	for (i = 0; i < n; i++)
		json_array_append_new(a, record_tally_json(&t[i]));
	if (n > 0)
		record_tally_release(t, n);
	return a;
}

/*
 * The one row sql selects for r->id, as a JSON object. NULL when there is
 * none or the query failed; *ret is then what sending the 404 (naming
 * what) or the 500 returned.
 */
static json_t *row_by_id(struct web_req *r, const char *what,
			 const char *sql, int *ret)
{
	sqlite3_stmt *stmt = store_prepare(r->st, sql, "I", r->id);
	json_t *o = NULL;

	if (!stmt)
		*ret = web_error(r, 500, "query failed");
	else if (sqlite3_step(stmt) != SQLITE_ROW)
		*ret = web_error(r, 404, "no %s %lld", what, r->id);
	else
		o = web_json_row(stmt);
	sqlite3_finalize(stmt);
	return o;
}

/* A list page: sql ends in "LIMIT ? OFFSET ?"; the rows go under key. */
static int send_list(struct web_req *r, const char *key, const char *sql)
{
	struct web_filter f;
	json_t *o;
	int more;

	if (web_filter_parse(r, &f, 100))
		return -1;
	o = json_rows(store_prepare(r->st, sql, "II", (long long)f.limit + 1,
				    (long long)((f.page - 1) * f.limit)),
		      f.limit, &more);
	return web_send_json(r, json_pack("{s:o,s:o}", "page",
					  page_json(&f, more), key, o));
}

int web_api_run(struct web_req *r)
{
	struct web_filter f;
	json_t *o;
	int more, ret;

	if (web_filter_parse(r, &f, 200))
		return -1;
	o = row_by_id(r, "run", "SELECT r.*, t.source AS tree FROM runs r "
		"LEFT JOIN trees t ON t.id = r.tree_id "
		"WHERE r.id = ?", &ret);
	if (!o)
		return ret;
	inline_json(o, "progress");
	inline_json(o, "tests");
	inline_json(o, "argv");
	json_object_set_new(o, "results", tallies_json(r, r->id));
	json_object_set_new(o, "boots", json_rows(store_prepare(r->st,
		"SELECT id, seq, accel, cmdline, ready_seconds, end_reason, "
		"started_at, finished_at, console_path IS NOT NULL AS has_log "
		"FROM boots WHERE run_id = ? ORDER BY seq LIMIT 1000", "I",
		r->id), 1000, NULL));
	json_object_set_new(o, "iterations",
		json_rows(web_run_iters_stmt(r, &f, r->id), f.limit, &more));
	json_object_set_new(o, "page", page_json(&f, more));
	return web_send_json(r, o);
}

int web_api_iteration(struct web_req *r)
{
	int ret;
	char *repro;
	json_t *o;

	o = row_by_id(r, "iteration", "SELECT * FROM iterations WHERE id = ?", &ret);
	if (!o)
		return ret;
	repro = web_reproduce(r, r->id);
	json_object_set_new(o, "reproduce", web_json_str(repro));
	free(repro);
	json_object_set_new(o, "subresults", json_rows(store_prepare(r->st,
		"SELECT name, outcome, detail FROM subresults "
		"WHERE iteration_id = ? ORDER BY id LIMIT 2000", "I", r->id),
		2000, NULL));
	json_object_set_new(o, "metrics", json_rows(store_prepare(r->st,
		"SELECT subcase, name, value, unit FROM metrics "
		"WHERE iteration_id = ? ORDER BY id LIMIT 2000", "I", r->id),
		2000, NULL));
	json_object_set_new(o, "snapshots", json_rows(store_prepare(r->st,
		"SELECT id, label, summary, content FROM snapshots "
		"WHERE iteration_id = ? ORDER BY id LIMIT 100", "I", r->id),
		100, NULL));
	return web_send_json(r, o);
}

int web_api_tests(struct web_req *r)
{
	struct web_flake *v;
	struct web_filter f;
	json_t *a, *o;
	int i, n;

	if (web_filter_parse(r, &f, 500))
		return -1;
	n = web_flakes_load(r, &f, &v);
	if (n < 0)
		return web_error(r, 500, "query failed");
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, flake_json(&v[i]));
	web_flakes_release(v, n);
	o = page_json(&f, 0);
	json_object_set_new(o, "tests", a);
	return web_send_json(r, o);
}

int web_api_test(struct web_req *r)
{
	struct web_filter f;
	struct web_flake *v;
	json_t *o;
	int n, more;

	if (web_filter_parse(r, &f, 100))
		return -1;
	f.test = r->name;
	n = web_flakes_load(r, &f, &v);
	if (n < 0)
		return web_error(r, 500, "query failed");
	if (!n) {
		web_flakes_release(v, n);
		return web_error(r, 404, "no iterations of that test");
	}
	o = flake_json(&v[0]);
	web_flakes_release(v, n);
	json_object_set_new(o, "by_commit", json_rows(
		web_test_commits_stmt(r, &f, r->name), 100, NULL));
	json_object_set_new(o, "history", json_rows(
		web_test_history_stmt(r, &f, r->name, f.limit), f.limit,
		&more));
	json_object_set_new(o, "page", page_json(&f, more));
	return web_send_json(r, o);
}

int web_api_crashes(struct web_req *r)
{
	return send_list(r, "crashes",
		"SELECT id, fingerprint, kind, title, first_seen, last_seen, "
		"count FROM crashes ORDER BY last_seen DESC, id DESC "
		"LIMIT ? OFFSET ?");
}

int web_api_crash(struct web_req *r)
{
	int ret;
	json_t *o;

	o = row_by_id(r, "crash", "SELECT * FROM crashes WHERE id = ?", &ret);
	if (!o)
		return ret;
	json_object_set_new(o, "hits", json_rows(store_prepare(r->st,
		"SELECT h.id, h.run_id, h.iteration_id, h.kernel_id, h.test, "
		"h.seen_at, ru.commit_id FROM crash_hits h "
		"JOIN runs ru ON ru.id = h.run_id WHERE h.crash_id = ? "
		"ORDER BY h.id DESC LIMIT 500", "I", r->id), 500, NULL));
	return web_send_json(r, o);
}

int web_api_series_list(struct web_req *r)
{
	return send_list(r, "series",
		"SELECT id, source, kind, msgid, version, subject, submitter, "
		"patch_count, state, error, base_commit, result_commit, pw_id, "
		"created_at FROM series ORDER BY id DESC LIMIT ? OFFSET ?");
}

int web_api_series(struct web_req *r)
{
	int ret;
	json_t *o;

	o = row_by_id(r, "series", "SELECT * FROM series WHERE id = ?", &ret);
	if (!o)
		return ret;
	json_object_set_new(o, "patches", json_rows(store_prepare(r->st,
		"SELECT seq, subject, author, date, msgid, commit_id "
		"FROM patches WHERE series_id = ? ORDER BY seq LIMIT 1000",
		"I", r->id), 1000, NULL));
	json_object_set_new(o, "runs", json_rows(store_prepare(r->st,
		"SELECT id, state, commit_id, started_at, finished_at "
		"FROM runs WHERE series_id = ? ORDER BY id DESC LIMIT 200",
		"I", r->id), 200, NULL));
	return web_send_json(r, o);
}
