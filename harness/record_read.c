/*
 * record_read.c - the typed reads of the run record (runs, boots,
 * iterations, sub-results, metrics) and their one JSON form each: the
 * loaders behind `kflake show`, `runs`, the pages and the API (see the
 * "Reads" part of record.h). record.c writes the same tables.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "stats.h"
#include "utf8.h"
#include "util.h"

/* Column helpers ---------------------------------------------------------- */

static char *col_str(sqlite3_stmt *stmt, int col)
{
	return xstrdup(store_col_text(stmt, col));
}

static char *col_str_null(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return NULL;
	return col_str(stmt, col);
}

static double col_double(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return -1;
	return sqlite3_column_double(stmt, col);
}

static json_t *col_json(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return NULL;
	return json_loads(store_col_text(stmt, col), 0, NULL);
}

static json_t *jstr(const char *s)
{
	return utf8_json_str(s);
}

static json_t *jnum(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

static json_t *jid(long long id)
{
	return id ? json_integer(id) : json_null();
}

/* LIMIT one more than the page, so the reader knows if a next one exists. */
static void sql_page(struct store_sql *q, const struct record_filter *f)
{
	if (f->limit <= 0)
		return;
	store_sql_int(q, " LIMIT :limit", ":limit", f->limit + 1);
	store_sql_int(q, " OFFSET :offset", ":offset",
		      (f->page > 1 ? f->page - 1 : 0) * f->limit);
}

/* Whether row n (from 0) is past the page: then there is a next one. */
static int past_page(const struct record_filter *f, long n, int *more)
{
	if (f->limit > 0 && n >= f->limit) {
		if (more)
			*more = 1;
		return 1;
	}
	return 0;
}

/* Filters on iterations `i` (test, outcome, dates). */
static void sql_iteration_filters(struct store_sql *q,
				  const struct record_filter *f, int dates)
{
	if (f->test_exact)
		store_sql_text(q, " AND i.test = :test_exact", ":test_exact",
			       f->test_exact);
	if (f->test)
		store_sql_text(q, " AND instr(i.test, :test) > 0", ":test",
			       f->test);
	if (f->outcome >= 0)
		store_sql_text(q, " AND i.outcome = :outcome", ":outcome",
			       record_outcome_name(f->outcome));
	if (f->failed_only)
		store_sql_add(q, " AND i.outcome IN ('fail', 'stall', 'crash', "
			      "'error')");
	if (dates && f->since)
		store_sql_text(q, " AND i.started_at >= :since", ":since",
			       f->since);
	if (dates && f->until)
		store_sql_text(q, " AND i.started_at <= :until", ":until",
			       f->until);
}

/* Filters on runs `r` (tree, series, commit). */
static void sql_run_filters(struct store_sql *q, const struct record_filter *f)
{
	long id = 0;

	if (f->tree) {
		util_parse_int(f->tree, 1, 1L << 40, &id);
		store_sql_text(q, " AND r.tree_id IN (SELECT id FROM trees "
			       "WHERE source = :tree", ":tree", f->tree);
		store_sql_int(q, " OR id = :tree_id)", ":tree_id", id);
	}
	if (f->series_id)
		store_sql_int(q, " AND r.series_id = :series", ":series",
			      f->series_id);
	if (f->commit)
		store_sql_text(q, " AND r.commit_id LIKE :commit || '%'",
			       ":commit", f->commit);
}

/* Runs ----------------------------------------------------------------------- */

enum {
	RC_ID, RC_KIND, RC_STATE, RC_TREE_ID, RC_TREE, RC_REF, RC_COMMIT,
	RC_KERNEL, RC_SERIES, RC_BISECT, RC_TESTS, RC_ITERATIONS, RC_ACCEL,
	RC_QEMU, RC_HOST, RC_ARGV, RC_FRAGMENTS, RC_PID, RC_STEP, RC_PROGRESS,
	RC_ERROR, RC_STARTED, RC_FINISHED, RC_IMAGE, RC_CONFIG, RC_COMPILER,
	RC_BUILD_SECONDS, RC_KEY, RC_KSTATE, RC_KERROR, RC_KCREATED, RC_SHA1,
	RC_SANDBOX, RC_POOL,
};

#define RUN_SELECT \
	"SELECT r.id, r.kind, r.state, r.tree_id, t.source, r.ref, " \
	"r.commit_id, r.kernel_id, r.series_id, r.bisect_id, r.tests, " \
	"r.iterations, r.accel, r.qemu_cmdline, r.host, r.argv, r.fragments, " \
	"r.pid, r.step, r.progress, r.error, r.started_at, r.finished_at, " \
	"k.image_path, k.config_hash, k.compiler, k.build_seconds, " \
	"k.cache_key, k.state, k.error, k.created_at, k.image_sha1, " \
	"r.build_sandbox, " POOL_RUN_COLUMNS " FROM runs r LEFT JOIN trees t ON t.id = r.tree_id " \
	"LEFT JOIN kernels k ON k.id = r.kernel_id"

static void run_read(sqlite3_stmt *stmt, struct record_run_info *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, RC_ID);
	r->kind = col_str(stmt, RC_KIND);
	r->state = col_str(stmt, RC_STATE);
	r->tree_id = sqlite3_column_int64(stmt, RC_TREE_ID);
	r->tree = col_str_null(stmt, RC_TREE);
	r->ref = col_str_null(stmt, RC_REF);
	r->commit_id = col_str_null(stmt, RC_COMMIT);
	r->kernel_id = sqlite3_column_int64(stmt, RC_KERNEL);
	r->series_id = sqlite3_column_int64(stmt, RC_SERIES);
	r->bisect_id = sqlite3_column_int64(stmt, RC_BISECT);
	r->tests = col_json(stmt, RC_TESTS);
	if (!json_is_array(r->tests)) {
		json_decref(r->tests);
		r->tests = json_array();
	}
	r->iterations = sqlite3_column_int(stmt, RC_ITERATIONS);
	r->accel = col_str_null(stmt, RC_ACCEL);
	r->qemu_cmdline = col_str_null(stmt, RC_QEMU);
	r->host = col_str_null(stmt, RC_HOST);
	r->argv = col_json(stmt, RC_ARGV);
	r->fragments = col_json(stmt, RC_FRAGMENTS);
	r->pid = sqlite3_column_int64(stmt, RC_PID);
	r->step = col_str_null(stmt, RC_STEP);
	r->progress = col_json(stmt, RC_PROGRESS);
	r->error = col_str_null(stmt, RC_ERROR);
	r->started_at = col_str(stmt, RC_STARTED);
	r->finished_at = col_str_null(stmt, RC_FINISHED);
	r->image_path = col_str_null(stmt, RC_IMAGE);
	r->config_hash = col_str_null(stmt, RC_CONFIG);
	r->compiler = col_str_null(stmt, RC_COMPILER);
	r->build_seconds = col_double(stmt, RC_BUILD_SECONDS);
	r->kernel_key = col_str_null(stmt, RC_KEY);
	r->kernel_state = col_str_null(stmt, RC_KSTATE);
	r->kernel_error = col_str_null(stmt, RC_KERROR);
	r->kernel_created_at = col_str_null(stmt, RC_KCREATED);
	r->image_sha1 = col_str_null(stmt, RC_SHA1);
	r->build_sandbox = col_str_null(stmt, RC_SANDBOX);
	pool_key_from_row(stmt, RC_POOL, &r->pool);
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

static struct record_run_info *find_run(struct record_run_info *v, size_t n,
					long long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

/* One test's counts into its run: the sum, and the worst verdict. */
static void add_test(struct record_run_info *r, struct score *t)
{
	score_finish(t);
	score_add(&r->score, t);
	if (t->decided && (!r->worst_decided++ ||
			   verdict_rank(t->verdict) > verdict_rank(r->worst)))
		r->worst = t->verdict;
}

/*
 * The runs' scores over all their tests, and each run's worst test
 * verdict: one query for the lot, through the run_id index.
 */
static int run_counts(struct store *st, struct record_run_info *v, size_t n)
{
	char *cur_test = NULL, *cur_suite = NULL, *ids;
	struct record_run_info *r;
	long long cur_run = 0;
	struct score t;
	json_t *a = json_array();
	sqlite3_stmt *stmt;
	size_t i;
	int have = 0;

	for (i = 0; i < n; i++) {
		json_array_append_new(a, json_integer(v[i].id));
		memset(&v[i].score, 0, sizeof(v[i].score));
		v[i].worst_decided = 0;
	}
	ids = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	stmt = store_prepare(st, "SELECT run_id, test, suite, outcome, count(*) "
			     "FROM iterations WHERE run_id IN (SELECT value FROM "
			     "json_each(:ids)) AND retry = 0 GROUP BY run_id, "
			     "test, suite, outcome", ":ids s", ids);
	free(ids);
	if (!stmt)
		return -1;
	memset(&t, 0, sizeof(t));
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		long long run = sqlite3_column_int64(stmt, 0);
		const char *test = store_col_text(stmt, 1);
		const char *suite = store_col_text(stmt, 2);
		int o = record_outcome_parse(store_col_text(stmt, 3));

		if (have && (run != cur_run || strcmp(test, cur_test) ||
			     strcmp(suite, cur_suite))) {
			if ((r = find_run(v, n, cur_run)))
				add_test(r, &t);
			memset(&t, 0, sizeof(t));
			have = 0;
		}
		if (!have) {
			free(cur_test);
			free(cur_suite);
			cur_run = run;
			cur_test = xstrdup(test);
			cur_suite = xstrdup(suite);
			have = 1;
		}
		t.counts[o < 0 ? OUTCOME_ERROR : o] +=
			(long)sqlite3_column_int64(stmt, 4);
	}
	if (have && (r = find_run(v, n, cur_run)))
		add_test(r, &t);
	sqlite3_finalize(stmt);
	free(cur_test);
	free(cur_suite);
	for (i = 0; i < n; i++)
		score_finish(&v[i].score);
	return 0;
}

int record_run_load(struct store *st, long long id, struct record_run_info *r)
{
	sqlite3_stmt *stmt;
	int ret = 1;

	memset(r, 0, sizeof(*r));
	stmt = store_prepare(st, RUN_SELECT " WHERE r.id = :id", ":id I", id);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		run_read(stmt, r);
		ret = 0;
	}
	sqlite3_finalize(stmt);
	if (!ret && run_counts(st, r, 1)) {
		record_run_info_release(r);
		ret = -1;
	}
	return ret;
}

int record_runs_with_iterations(struct store *st, const char *since,
				long long **ids)
{
	long long *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*ids = NULL;
	stmt = since ? store_prepare(st, "SELECT r.id FROM runs r WHERE "
				     "r.started_at >= :since AND EXISTS (SELECT "
				     "1 FROM iterations i WHERE i.run_id = r.id) "
				     "ORDER BY r.id", ":since s", since)
		     : store_prepare(st, "SELECT max(run_id) FROM iterations "
				     "HAVING count(*) > 0", "");
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		v[n++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	*ids = v;
	return (int)n;
}

int record_bisect_counts(struct store *st, long long bisect_id,
			 const char *commit, long counts[OUTCOME_NR])
{
	sqlite3_stmt *stmt;

	memset(counts, 0, OUTCOME_NR * sizeof(*counts));
	stmt = store_prepare(st,
		"SELECT i.outcome, count(*) FROM iterations i JOIN runs r ON "
		"r.id = i.run_id WHERE r.bisect_id = :b AND r.commit_id = :c "
		"AND i.retry = 0 GROUP BY i.outcome", ":b I :c s", bisect_id,
		commit);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		int o = record_outcome_parse(store_col_text(stmt, 0));

		if (o >= 0)
			counts[o] = (long)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return 0;
}

int record_run_exists(struct store *st, long long id)
{
	return (int)store_query_int(st, -1, "SELECT count(*) FROM runs "
				    "WHERE id = :id", ":id I", id);
}

static int run_rows(struct store *st, sqlite3_stmt *stmt,
		    const struct record_filter *f, struct record_run_info **out,
		    int *more)
{
	struct record_run_info *v = NULL;
	size_t n = 0, alloc = 0;

	if (more)
		*more = 0;
	*out = NULL;
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (past_page(f, (long)n, more))
			break;
		ALLOC_GROW(v, n, alloc);
		run_read(stmt, &v[n++]);
	}
	sqlite3_finalize(stmt);
	run_counts(st, v, n);
	*out = v;
	return (int)n;
}

int record_run_list(struct store *st, const struct record_filter *f,
		    struct record_run_info **out, int *more)
{
	struct store_sql q;
	sqlite3_stmt *stmt;

	store_sql_init(&q, RUN_SELECT " WHERE 1");
	sql_run_filters(&q, f);
	if (f->since)
		store_sql_text(&q, " AND r.started_at >= :since", ":since",
			       f->since);
	if (f->until)
		store_sql_text(&q, " AND r.started_at <= :until", ":until",
			       f->until);
	if (f->test || f->test_exact || f->outcome >= 0 || f->failed_only) {
		store_sql_add(&q, " AND EXISTS (SELECT 1 FROM iterations i "
			      "WHERE i.run_id = r.id");
		sql_iteration_filters(&q, f, 0);
		store_sql_add(&q, ")");
	}
	store_sql_add(&q, " ORDER BY r.id DESC");
	sql_page(&q, f);
	stmt = store_sql_prepare(st, &q);
	store_sql_release(&q);
	return run_rows(st, stmt, f, out, more);
}

int record_run_running(struct store *st, int limit,
		       struct record_run_info **out)
{
	struct record_filter f = RECORD_FILTER_INIT;

	f.limit = limit;
	return run_rows(st, store_prepare(st, RUN_SELECT " WHERE r.state = "
					  "'running' ORDER BY r.id DESC "
					  "LIMIT :limit", ":limit i", limit),
			&f, out, NULL);
}

void record_run_info_release(struct record_run_info *r)
{
	free(r->kind);
	free(r->state);
	free(r->tree);
	free(r->ref);
	free(r->commit_id);
	json_decref(r->tests);
	free(r->accel);
	free(r->qemu_cmdline);
	free(r->host);
	json_decref(r->argv);
	json_decref(r->fragments);
	free(r->step);
	json_decref(r->progress);
	free(r->error);
	free(r->started_at);
	free(r->finished_at);
	free(r->image_path);
	free(r->config_hash);
	free(r->compiler);
	free(r->kernel_key);
	free(r->kernel_state);
	free(r->kernel_error);
	free(r->kernel_created_at);
	free(r->image_sha1);
	free(r->build_sandbox);
	pool_key_release(&r->pool);
	memset(r, 0, sizeof(*r));
}

void record_run_list_release(struct record_run_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		record_run_info_release(&v[i]);
	free(v);
}

const char *record_run_worst_verdict(const struct record_run_info *r)
{
	return r->worst_decided ? stats_verdict_name(r->worst) : NULL;
}

long record_run_planned(const struct record_run_info *r)
{
	return (long)json_array_size(r->tests) * r->iterations;
}

int record_run_alive(const struct record_run_info *r)
{
	char me[256] = "";

	gethostname(me, sizeof(me) - 1);
	if (!r->host || strcmp(r->host, me) || r->pid <= 0)
		return 1;	/* cannot tell from here: trust the row */
	return kill((pid_t)r->pid, 0) == 0 || errno == EPERM;
}

static json_t *json_or_null(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

json_t *record_run_json(const struct record_run_info *r)
{
	json_t *o = json_object(), *k = json_null();

	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "kind", jstr(r->kind));
	json_object_set_new(o, "state", jstr(r->state));
	json_object_set_new(o, "tree_id", jid(r->tree_id));
	json_object_set_new(o, "tree", jstr(r->tree));
	json_object_set_new(o, "ref", jstr(r->ref));
	json_object_set_new(o, "commit_id", jstr(r->commit_id));
	json_object_set_new(o, "kernel_id", jid(r->kernel_id));
	json_object_set_new(o, "series_id", jid(r->series_id));
	json_object_set_new(o, "bisect_id", jid(r->bisect_id));
	json_object_set_new(o, "tests", json_incref(r->tests));
	json_object_set_new(o, "iterations_per_test",
			    json_integer(r->iterations));
	json_object_set_new(o, "planned", json_integer(record_run_planned(r)));
	json_object_set_new(o, "done", json_integer(r->score.iterations));
	json_object_set_new(o, "failures", json_integer(r->score.failures));
	json_object_set_new(o, "verdict", jstr(record_run_worst_verdict(r)));
	json_object_set_new(o, "accel", jstr(r->accel));
	json_object_set_new(o, "qemu_cmdline", jstr(r->qemu_cmdline));
	json_object_set_new(o, "host", jstr(r->host));
	json_object_set_new(o, "pid", r->pid ? json_integer(r->pid)
					    : json_null());
	json_object_set_new(o, "argv", json_or_null(r->argv));
	json_object_set_new(o, "fragments", json_or_null(r->fragments));
	json_object_set_new(o, "step", jstr(r->step));
	json_object_set_new(o, "progress", json_or_null(r->progress));
	json_object_set_new(o, "error", jstr(r->error));
	json_object_set_new(o, "started_at", jstr(r->started_at));
	json_object_set_new(o, "finished_at", jstr(r->finished_at));
	json_object_set_new(o, "pool", pool_key_json(&r->pool));
	if (r->kernel_id)
		k = json_pack("{s:o, s:o, s:o, s:o}", "image_path",
			      jstr(r->image_path), "config_hash",
			      jstr(r->config_hash), "compiler",
			      jstr(r->compiler), "build_seconds",
			      jnum(r->build_seconds));
	json_object_set_new(o, "kernel", k);
	json_object_set_new(o, "build_sandbox", jstr(r->build_sandbox));
	if (!strcmp(r->state, "running"))
		json_object_set_new(o, "alive",
				    json_boolean(record_run_alive(r)));
	return o;
}

int record_totals(struct store *st, struct record_totals *t)
{
	sqlite3_stmt *stmt;

	memset(t, 0, sizeof(*t));
	/* From the kept tallies: counting a million iterations takes long. */
	stmt = store_prepare(st, "SELECT (SELECT count(*) FROM runs), "
			     "(SELECT total(pass + fail + skip + stall + crash + "
			     "error) FROM tallies), (SELECT count(DISTINCT test) "
			     "FROM tallies)", "");
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		t->runs = sqlite3_column_int64(stmt, 0);
		t->iterations = sqlite3_column_int64(stmt, 1);
		t->tests = sqlite3_column_int64(stmt, 2);
	}
	sqlite3_finalize(stmt);
	return 0;
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

/* The run's own fragments: those its kconfig set names as plain files. */
/* The run's --stress, without what kflake adds itself (overcommit). */
static void reproduce_stress(struct strbuf *sb, const char *stress)
{
	char *copy, *w, *save = NULL;
	int n = 0;

	if (!stress || !*stress)
		return;
	copy = xstrdup(stress);
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "overcommit"))
			continue;
		strbuf_addstr(sb, n++ ? "," : " --stress ");
		shell_quote(sb, w);
	}
	free(copy);
}

static void reproduce_kconfigs(struct strbuf *sb, const struct record_run_info *r)
{
	json_t *set = json_loads(r->pool.kconfig_set ? r->pool.kconfig_set : "",
				 0, NULL);
	size_t i;

	for (i = 0; r->fragments && i < json_array_size(r->fragments); i++) {
		const char *id = json_string_value(json_array_get(set, i));
		const char *path = json_string_value(json_array_get(r->fragments,
								    i));

		if (!path || !id || !util_starts_with(id, "file:"))
			continue;
		strbuf_addstr(sb, " --kconfig ");
		shell_quote(sb, path);
	}
	json_decref(set);
}

char *record_reproduce(const struct record_run_info *r, const char *suite,
		       const char *test, const struct score *s)
{
	struct strbuf sb = STRBUF_INIT;
	long n = 10;
	char *t;

	strbuf_addstr(&sb, "kflake run");
	if (r->tree) {
		strbuf_addstr(&sb, " --tree ");
		shell_quote(&sb, r->tree);
	}
	if (r->commit_id || r->ref) {
		strbuf_addstr(&sb, " --ref ");
		shell_quote(&sb, r->commit_id ? r->commit_id : r->ref);
	}
	t = xasprintf("%s:%s", suite, test);
	strbuf_addstr(&sb, " --test ");
	shell_quote(&sb, t);
	free(t);
	reproduce_kconfigs(&sb, r);
	if (r->pool.guest_cpus > 0)
		strbuf_addf(&sb, " --cpus %d", r->pool.guest_cpus);
	if (r->pool.guest_mem_mb > 0)
		strbuf_addf(&sb, " --mem %d", r->pool.guest_mem_mb);
	reproduce_stress(&sb, r->pool.stress);
	if (s && s->failures > 0 && s->rate > 0)
		n = stats_runs_to_catch(s->rate, 0.05);
	if (n < 1)
		n = 1;
	if (n > 1000)
		n = 1000;
	strbuf_addf(&sb, " --iterations %ld", n);
	return strbuf_detach(&sb);
}

/* Tallies ---------------------------------------------------------------------- */

static void record_tally_release_one(struct record_tally *t);

#define TALLY_KEY "i.test, i.suite, " POOL_RUN_COLUMNS
#define TALLY_NKEY (2 + POOL_NCOLUMNS)
#define TALLY_FROM \
	" FROM iterations i JOIN runs r ON r.id = i.run_id" \
	" LEFT JOIN kernels k ON k.id = r.kernel_id"

enum {
	TC_COMMIT = TALLY_NKEY, TC_COUNTS, TC_STALL = TC_COUNTS + OUTCOME_NR,
	TC_LAST_FAILURE, TC_FIRST, TC_LAST,
};

/* WHERE for f; the outcome filter is a HAVING on the counts. */
static void tally_where(struct store_sql *q, const struct record_filter *f)
{
	struct record_filter g = *f;

	g.outcome = -1;
	/* Retries (imported from NIPA) do not count: first attempts only. */
	store_sql_add(q, " WHERE i.retry = 0");
	if (f->run_id)
		store_sql_int(q, " AND i.run_id = :run", ":run", f->run_id);
	sql_iteration_filters(q, &g, 1);
	sql_run_filters(q, f);
}

static void tally_key_read(sqlite3_stmt *stmt, struct pool_key *k)
{
	memset(k, 0, sizeof(*k));
	k->test = col_str(stmt, 0);
	k->suite = col_str(stmt, 1);
	pool_key_from_row(stmt, 2, k);
}

static void tally_read(sqlite3_stmt *stmt, struct record_tally *t)
{
	int o;

	memset(t, 0, sizeof(*t));
	tally_key_read(stmt, &t->key);
	t->test = t->key.test;
	t->commit_id = col_str(stmt, TC_COMMIT);
	for (o = 0; o < OUTCOME_NR; o++)
		t->score.counts[o] = (long)sqlite3_column_int64(stmt,
								TC_COUNTS + o);
	score_finish(&t->score);
	t->stall_seconds = sqlite3_column_double(stmt, TC_STALL);
	t->last_failure_at = col_str_null(stmt, TC_LAST_FAILURE);
	t->first_at = col_str(stmt, TC_FIRST);
	t->last_at = col_str(stmt, TC_LAST);
	t->median_duration = t->max_duration = 0;
}

/* The row of v holding key, looked for from *cur on (rows come in order). */
static struct record_tally *tally_find(struct record_tally *v, size_t n,
				       size_t *cur, const struct pool_key *k)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t j = (*cur + i) % n;

		if (pool_key_same(&v[j].key, k, POOL_KERNEL)) {
			*cur = j;
			return &v[j];
		}
	}
	return NULL;
}

static void tally_set_durations(struct record_tally *t, double *d, size_t n)
{
	if (!t || !n)
		return;
	t->median_duration = stats_median(d, n);
	t->max_duration = d[n - 1];	/* stats_median sorts */
}

static void tally_durations(struct store *st, const struct record_filter *f,
			    struct record_tally *v, size_t n)
{
	struct record_tally *t = NULL;
	struct pool_key k;
	double *d = NULL;
	size_t nd = 0, alloc = 0, cur = 0;
	struct store_sql q;
	sqlite3_stmt *stmt;

	if (!n)
		return;
	store_sql_init(&q, "SELECT " TALLY_KEY ", i.duration" TALLY_FROM);
	tally_where(&q, f);
	store_sql_add(&q, " AND i.duration IS NOT NULL AND "
		      "i.outcome != 'error' ORDER BY " TALLY_KEY);
	stmt = store_sql_prepare(st, &q);
	store_sql_release(&q);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		tally_key_read(stmt, &k);
		if (!t || !pool_key_same(&t->key, &k, POOL_KERNEL)) {
			tally_set_durations(t, d, nd);
			nd = 0;
			t = tally_find(v, n, &cur, &k);
		}
		pool_key_release(&k);
		ALLOC_GROW(d, nd, alloc);
		d[nd++] = sqlite3_column_double(stmt, TALLY_NKEY);
	}
	tally_set_durations(t, d, nd);
	sqlite3_finalize(stmt);
	free(d);
}

/* The newest outcomes of one row's pool, oldest first. */
static void tally_recent(struct store *st, struct record_tally *t)
{
	sqlite3_stmt *stmt;
	int i;

	t->nrecent = 0;
	stmt = store_prepare(st, "SELECT i.outcome FROM runs r JOIN iterations "
			     "i ON i.run_id = r.id WHERE " POOL_MATCH_TEST
			     " AND " POOL_MATCH_KERNEL " AND i.retry = 0 "
			     "ORDER BY i.id DESC LIMIT :n", ":n i",
			     RECORD_RECENT);
	if (stmt && pool_bind(stmt, &t->key)) {
		sqlite3_finalize(stmt);
		return;
	}
	while (stmt && t->nrecent < RECORD_RECENT &&
	       sqlite3_step(stmt) == SQLITE_ROW) {
		int o = record_outcome_parse(store_col_text(stmt, 0));

		t->recent[t->nrecent++] = (char)(o < 0 ? OUTCOME_ERROR : o);
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < t->nrecent / 2; i++) {
		char c = t->recent[i];

		t->recent[i] = t->recent[t->nrecent - 1 - i];
		t->recent[t->nrecent - 1 - i] = c;
	}
}

static int key_cmp(const struct pool_key *a, const struct pool_key *b)
{
	int c;

	if ((c = strcmp(a->test, b->test)) || (c = strcmp(a->suite, b->suite)))
		return c;
	if (a->kernel_id != b->kernel_id)
		return a->kernel_id < b->kernel_id ? -1 : 1;
	if ((c = strcmp(a->kconfig_set, b->kconfig_set)))
		return c;
	if (a->guest_cpus != b->guest_cpus)
		return a->guest_cpus < b->guest_cpus ? -1 : 1;
	if (a->guest_mem_mb != b->guest_mem_mb)
		return a->guest_mem_mb < b->guest_mem_mb ? -1 : 1;
	if ((c = strcmp(a->stress, b->stress)))
		return c;
	return strcmp(a->executor, b->executor);
}

static int tally_cmp(const void *pa, const void *pb, void *arg)
{
	const struct record_tally *x = pa, *y = pb;
	enum record_tally_sort sort = *(const enum record_tally_sort *)arg;

	if (sort == RECORD_SORT_COST && x->stall_seconds != y->stall_seconds)
		return x->stall_seconds < y->stall_seconds ? 1 : -1;
	if (sort == RECORD_SORT_ITERATIONS &&
	    x->score.iterations != y->score.iterations)
		return x->score.iterations < y->score.iterations ? 1 : -1;
	if (sort == RECORD_SORT_RATE && x->score.rate != y->score.rate)
		return x->score.rate < y->score.rate ? 1 : -1;
	/* Equal rates: the better-established failure first. */
	if (sort == RECORD_SORT_RATE && x->score.lo != y->score.lo)
		return x->score.lo < y->score.lo ? 1 : -1;
	return key_cmp(&x->key, &y->key);
}

/*
 * The kept tallies (db/010-tallies.sql) answer every filter but a run,
 * dates and failed_only: those re-count the iterations.
 */
static int tally_kept(const struct record_filter *f)
{
	return !f->run_id && !f->since && !f->until && !f->failed_only;
}

/*
 * The orders of tally_cmp(), in SQL: the kept tallies are sorted and
 * paged by SQLite, and only the page's rows are read.
 */
#define KEPT_KEY_ORDER "t.test, t.suite, t.kernel_id, t.kconfig_set, " \
	"t.guest_cpus, t.guest_mem_mb, t.stress, t.executor"
#define KEPT_FAILS "(t.fail + t.stall + t.crash)"
#define KEPT_VERDICT_RUNS "(t.pass + t.fail + t.stall + t.crash)"
static const char *const kept_order[] = {
	[RECORD_SORT_NAME] = " ORDER BY " KEPT_KEY_ORDER,
	/* Equal rates: more evidence first (a higher interval floor). */
	[RECORD_SORT_RATE] = " ORDER BY CASE WHEN " KEPT_VERDICT_RUNS " > 0 "
		"THEN " KEPT_FAILS " * 1.0 / " KEPT_VERDICT_RUNS " ELSE 0 END "
		"DESC, CASE WHEN " KEPT_FAILS " > 0 THEN " KEPT_VERDICT_RUNS
		" ELSE 0 END DESC, " KEPT_KEY_ORDER,
	[RECORD_SORT_COST] = " ORDER BY t.stall_seconds DESC, " KEPT_KEY_ORDER,
	[RECORD_SORT_ITERATIONS] = " ORDER BY t.pass + t.fail + t.skip + "
		"t.stall + t.crash + t.error DESC, " KEPT_KEY_ORDER,
};

static sqlite3_stmt *tally_kept_stmt(struct store *st,
				     const struct record_filter *f,
				     enum record_tally_sort sort)
{
	static const char *const having[OUTCOME_NR] = {
		" AND t.pass > 0", " AND t.fail > 0", " AND t.skip > 0",
		" AND t.stall > 0", " AND t.crash > 0", " AND t.error > 0",
	};
	struct store_sql q;
	sqlite3_stmt *stmt;
	long id = 0;

	store_sql_init(&q, "SELECT t.test, t.suite, t.kernel_id, "
		       "t.kconfig_set, t.guest_cpus, t.guest_mem_mb, t.stress, "
		       "t.executor, t.commit_id, t.pass, t.fail, t.skip, "
		       "t.stall, t.crash, t.error, t.stall_seconds, "
		       "t.last_failure_at, t.first_at, t.last_at, t.recent "
		       "FROM tallies t WHERE 1");
	if (f->test_exact)
		store_sql_text(&q, " AND t.test = :test_exact", ":test_exact",
			       f->test_exact);
	if (f->test)
		store_sql_text(&q, " AND instr(t.test, :test) > 0", ":test",
			       f->test);
	if (f->commit)
		store_sql_text(&q, " AND t.commit_id LIKE :commit || '%'",
			       ":commit", f->commit);
	if (f->tree) {
		util_parse_int(f->tree, 1, 1L << 40, &id);
		store_sql_text(&q, " AND t.tree_id IN (SELECT id FROM trees "
			       "WHERE source = :tree", ":tree", f->tree);
		store_sql_int(&q, " OR id = :tree_id)", ":tree_id", id);
	}
	if (f->outcome >= 0 && f->outcome < OUTCOME_NR)
		store_sql_add(&q, having[f->outcome]);
	store_sql_add(&q, kept_order[(unsigned)sort < ARRAY_SIZE(kept_order)
				     ? sort : RECORD_SORT_NAME]);
	sql_page(&q, f);
	stmt = store_sql_prepare(st, &q);
	store_sql_release(&q);
	return stmt;
}

static void tally_recent_kept(struct record_tally *t, const char *digits)
{
	size_t n = strlen(digits), i;

	if (n > RECORD_RECENT)
		digits += n - RECORD_RECENT;
	t->nrecent = 0;
	for (i = 0; digits[i]; i++)
		if (digits[i] >= '0' && digits[i] < '0' + OUTCOME_NR)
			t->recent[t->nrecent++] = (char)(digits[i] - '0');
}

int record_tally_list(struct store *st, const struct record_filter *f,
		      enum record_tally_sort sort, unsigned flags,
		      struct record_tally **out, int *more)
{
	struct record_tally *v = NULL;
	size_t n = 0, alloc = 0, first, i, keep;
	struct store_sql q;
	sqlite3_stmt *stmt;
	int kept = tally_kept(f);

	*out = NULL;
	if (more)
		*more = 0;
	if (kept) {
		stmt = tally_kept_stmt(st, f, sort);
		goto read;
	}
	store_sql_init(&q, "SELECT " TALLY_KEY ", coalesce(k.commit_id, "
		       "r.commit_id, ''), sum(i.outcome = 'pass'), "
		       "sum(i.outcome = 'fail'), sum(i.outcome = 'skip'), "
		       "sum(i.outcome = 'stall'), sum(i.outcome = 'crash'), "
		       "sum(i.outcome = 'error'), total(CASE WHEN i.outcome = "
		       "'stall' THEN i.duration END), max(CASE WHEN i.outcome "
		       "IN ('fail', 'stall', 'crash') THEN i.started_at END), "
		       "min(i.started_at), max(i.started_at)" TALLY_FROM);
	tally_where(&q, f);
	store_sql_add(&q, " GROUP BY " TALLY_KEY);
	if (f->outcome >= 0)
		store_sql_text(&q, " HAVING sum(i.outcome = :outcome) > 0",
			       ":outcome", record_outcome_name(f->outcome));
	stmt = store_sql_prepare(st, &q);
	store_sql_release(&q);
read:
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		/* Kept rows come sorted and paged, one more than the page. */
		if (kept && past_page(f, (long)n, more))
			break;
		ALLOC_GROW(v, n, alloc);
		tally_read(stmt, &v[n]);
		if (kept && (flags & RECORD_TALLY_RECENT))
			tally_recent_kept(&v[n], store_col_text(stmt,
								TC_LAST + 1));
		n++;
	}
	sqlite3_finalize(stmt);
	if (kept)
		goto page_done;
	if (n > 1)
		qsort_r(v, n, sizeof(*v), tally_cmp, &sort);
	/* The page: drop the rows before and after it. */
	first = f->limit > 0 ? (size_t)((f->page > 1 ? f->page - 1 : 0) *
					f->limit) : 0;
	keep = f->limit > 0 ? (size_t)f->limit : n;
	if (more)
		*more = n > first + keep;
	for (i = 0; i < n; i++)
		if (i < first || i >= first + keep)
			record_tally_release_one(&v[i]);
	if (first >= n) {
		n = 0;
	} else {
		n = n - first < keep ? n - first : keep;
		memmove(v, v + first, n * sizeof(*v));
	}
page_done:
	if (flags & RECORD_TALLY_DURATIONS)
		tally_durations(st, f, v, n);
	for (i = 0; !kept && (flags & RECORD_TALLY_RECENT) && i < n; i++)
		tally_recent(st, &v[i]);
	*out = v;
	return (int)n;
}

int record_tally(struct store *st, long long run_id, const char *commit,
		 struct record_tally **out)
{
	struct record_filter f = RECORD_FILTER_INIT;

	f.run_id = run_id;
	f.commit = commit;
	return record_tally_list(st, &f, RECORD_SORT_NAME,
				 RECORD_TALLY_DURATIONS, out, NULL);
}

static void record_tally_release_one(struct record_tally *t)
{
	pool_key_release(&t->key);
	free(t->commit_id);
	free(t->first_at);
	free(t->last_at);
	free(t->last_failure_at);
	memset(t, 0, sizeof(*t));
}

void record_tally_release(struct record_tally *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		record_tally_release_one(&t[i]);
	free(t);
}

json_t *record_tally_json(const struct record_tally *t)
{
	json_t *o = json_object(), *pool = pool_key_json(&t->key);
	int i;

	json_object_set_new(pool, "commit", jstr(t->commit_id));
	json_object_set_new(o, "test", jstr(t->key.test));
	json_object_set_new(o, "suite", jstr(t->key.suite));
	json_object_set_new(o, "pool", pool);
	score_json_into(o, &t->score);
	json_object_set_new(o, "stall_seconds", json_real(t->stall_seconds));
	json_object_set_new(o, "first_at", jstr(t->first_at));
	json_object_set_new(o, "last_at", jstr(t->last_at));
	json_object_set_new(o, "last_failure_at", jstr(t->last_failure_at));
	json_object_set_new(o, "median_duration", json_real(t->median_duration));
	json_object_set_new(o, "max_duration", json_real(t->max_duration));
	if (t->nrecent) {
		json_t *a = json_array();

		for (i = 0; i < t->nrecent; i++)
			json_array_append_new(a, json_string(
				record_outcome_name(t->recent[i])));
		json_object_set_new(o, "recent", a);
	}
	return o;
}

/* Iterations ------------------------------------------------------------------ */

enum {
	IC_ID, IC_RUN, IC_BOOT, IC_CRASH, IC_BOOT_SEQ, IC_TEST, IC_SUITE,
	IC_SEQ, IC_OUTCOME, IC_RC, IC_REASON, IC_DURATION, IC_GUEST,
	IC_TIMEOUT, IC_SILENCE, IC_STARTED, IC_FINISHED, IC_COMMIT, IC_RETRY,
	IC_ARTEFACT, IC_OUTPUT, IC_CONSOLE,
};

#define ITER_COLUMNS \
	"i.id, i.run_id, i.boot_id, i.crash_id, b.seq, i.test, i.suite, " \
	"i.seq, i.outcome, i.rc, i.reason, i.duration, i.guest_duration, " \
	"i.timeout, i.max_silence, i.started_at, i.finished_at, r.commit_id, " \
	"i.retry, i.artefact_error"
#define ITER_FROM \
	" FROM iterations i JOIN runs r ON r.id = i.run_id " \
	"LEFT JOIN boots b ON b.id = i.boot_id"

static void iteration_read(sqlite3_stmt *stmt,
			   struct record_iteration_info *it, int full)
{
	int o;

	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(stmt, IC_ID);
	it->run_id = sqlite3_column_int64(stmt, IC_RUN);
	it->boot_id = sqlite3_column_int64(stmt, IC_BOOT);
	it->crash_id = sqlite3_column_int64(stmt, IC_CRASH);
	it->boot_seq = sqlite3_column_int(stmt, IC_BOOT_SEQ);
	it->test = col_str(stmt, IC_TEST);
	it->suite = col_str(stmt, IC_SUITE);
	it->seq = sqlite3_column_int(stmt, IC_SEQ);
	o = record_outcome_parse(store_col_text(stmt, IC_OUTCOME));
	it->outcome = o < 0 ? OUTCOME_ERROR : o;
	it->has_rc = sqlite3_column_type(stmt, IC_RC) != SQLITE_NULL;
	it->rc = sqlite3_column_int(stmt, IC_RC);
	it->reason = col_str(stmt, IC_REASON);
	it->duration = col_double(stmt, IC_DURATION);
	it->guest_duration = col_double(stmt, IC_GUEST);
	it->timeout = col_double(stmt, IC_TIMEOUT);
	it->max_silence = col_double(stmt, IC_SILENCE);
	it->started_at = col_str(stmt, IC_STARTED);
	it->finished_at = col_str_null(stmt, IC_FINISHED);
	it->commit_id = col_str(stmt, IC_COMMIT);
	it->retry = sqlite3_column_int(stmt, IC_RETRY);
	it->artefact_error = col_str_null(stmt, IC_ARTEFACT);
	if (full) {
		it->output = col_str(stmt, IC_OUTPUT);
		it->console = col_str(stmt, IC_CONSOLE);
	}
}

int record_iteration_load(struct store *st, long long id,
			  struct record_iteration_info *it)
{
	sqlite3_stmt *stmt;
	int ret = 1;

	memset(it, 0, sizeof(*it));
	stmt = store_prepare(st, "SELECT " ITER_COLUMNS ", i.output, "
			     "i.console" ITER_FROM " WHERE i.id = :id", ":id I",
			     id);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		iteration_read(stmt, it, 1);
		ret = 0;
	}
	sqlite3_finalize(stmt);
	return ret;
}

int record_iteration_list(struct store *st, const struct record_filter *f,
			  struct record_iteration_info **out, int *more)
{
	struct record_iteration_info *v = NULL;
	size_t n = 0, alloc = 0;
	struct store_sql q;
	sqlite3_stmt *stmt;

	if (more)
		*more = 0;
	*out = NULL;
	store_sql_init(&q, f->with_text ?
		       "SELECT " ITER_COLUMNS ", i.output, i.console" ITER_FROM
		       " WHERE 1" : "SELECT " ITER_COLUMNS ITER_FROM " WHERE 1");
	if (f->run_id)
		store_sql_int(&q, " AND i.run_id = :run", ":run", f->run_id);
	sql_iteration_filters(&q, f, 1);
	sql_run_filters(&q, f);
	/* One run reads in order; a test's history reads newest first. */
	store_sql_add(&q, f->run_id ? " ORDER BY i.id" : " ORDER BY i.id DESC");
	sql_page(&q, f);
	stmt = store_sql_prepare(st, &q);
	store_sql_release(&q);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (past_page(f, (long)n, more))
			break;
		ALLOC_GROW(v, n, alloc);
		iteration_read(stmt, &v[n++], f->with_text);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void record_iteration_info_release(struct record_iteration_info *it)
{
	free(it->test);
	free(it->suite);
	free(it->reason);
	free(it->output);
	free(it->console);
	free(it->started_at);
	free(it->finished_at);
	free(it->commit_id);
	free(it->artefact_error);
	memset(it, 0, sizeof(*it));
}

void record_iteration_list_release(struct record_iteration_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		record_iteration_info_release(&v[i]);
	free(v);
}

json_t *record_iteration_json(const struct record_iteration_info *it)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(it->id));
	json_object_set_new(o, "run_id", json_integer(it->run_id));
	json_object_set_new(o, "commit_id", jstr(it->commit_id));
	json_object_set_new(o, "boot_id", jid(it->boot_id));
	json_object_set_new(o, "boot_seq", it->boot_seq ?
			    json_integer(it->boot_seq) : json_null());
	json_object_set_new(o, "test", jstr(it->test));
	json_object_set_new(o, "suite", jstr(it->suite));
	json_object_set_new(o, "seq", json_integer(it->seq));
	json_object_set_new(o, "retry", json_boolean(it->retry));
	json_object_set_new(o, "outcome",
			    json_string(record_outcome_name(it->outcome)));
	json_object_set_new(o, "rc", it->has_rc ? json_integer(it->rc)
						: json_null());
	json_object_set_new(o, "reason", jstr(it->reason));
	json_object_set_new(o, "duration", jnum(it->duration));
	json_object_set_new(o, "guest_duration", jnum(it->guest_duration));
	json_object_set_new(o, "timeout", jnum(it->timeout));
	json_object_set_new(o, "max_silence", jnum(it->max_silence));
	json_object_set_new(o, "crash_id", jid(it->crash_id));
	json_object_set_new(o, "artefact_error", jstr(it->artefact_error));
	json_object_set_new(o, "started_at", jstr(it->started_at));
	json_object_set_new(o, "finished_at", jstr(it->finished_at));
	if (it->output)
		json_object_set_new(o, "output", jstr(it->output));
	if (it->console)
		json_object_set_new(o, "console", jstr(it->console));
	return o;
}

/* Boots ------------------------------------------------------------------------ */

#define BOOT_SELECT \
	"SELECT id, run_id, seq, accel, cmdline, console_path, end_reason, " \
	"ready_seconds, started_at, finished_at FROM boots"

static void boot_read(sqlite3_stmt *stmt, struct record_boot_info *b)
{
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(stmt, 0);
	b->run_id = sqlite3_column_int64(stmt, 1);
	b->seq = sqlite3_column_int(stmt, 2);
	b->accel = col_str(stmt, 3);
	b->cmdline = col_str(stmt, 4);
	b->console_path = col_str_null(stmt, 5);
	b->end_reason = col_str_null(stmt, 6);
	b->ready_seconds = col_double(stmt, 7);
	b->started_at = col_str(stmt, 8);
	b->finished_at = col_str_null(stmt, 9);
}

int record_boot_load(struct store *st, long long id,
		     struct record_boot_info *b)
{
	sqlite3_stmt *stmt;
	int ret = 1;

	memset(b, 0, sizeof(*b));
	stmt = store_prepare(st, BOOT_SELECT " WHERE id = :id", ":id I", id);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		boot_read(stmt, b);
		ret = 0;
	}
	sqlite3_finalize(stmt);
	return ret;
}

int record_boot_list(struct store *st, long long run_id, long limit,
		     struct record_boot_info **out, int *more)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_boot_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	if (more)
		*more = 0;
	*out = NULL;
	f.limit = limit;
	stmt = store_prepare(st, BOOT_SELECT " WHERE run_id = :run ORDER BY "
			     "seq, id LIMIT :limit", ":run I :limit I", run_id,
			     (long long)limit + 1);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (past_page(&f, (long)n, more))
			break;
		ALLOC_GROW(v, n, alloc);
		boot_read(stmt, &v[n++]);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void record_boot_info_release(struct record_boot_info *b)
{
	free(b->accel);
	free(b->cmdline);
	free(b->console_path);
	free(b->end_reason);
	free(b->started_at);
	free(b->finished_at);
	memset(b, 0, sizeof(*b));
}

void record_boot_list_release(struct record_boot_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		record_boot_info_release(&v[i]);
	free(v);
}

json_t *record_boot_json(const struct record_boot_info *b)
{
	return json_pack("{s:I, s:I, s:i, s:o, s:o, s:o, s:o, s:b, s:o, s:o}",
			 "id", (json_int_t)b->id, "run_id", (json_int_t)b->run_id,
			 "seq", b->seq, "accel", jstr(b->accel),
			 "cmdline", jstr(b->cmdline),
			 "ready_seconds", jnum(b->ready_seconds),
			 "end_reason", jstr(b->end_reason),
			 "has_log", b->console_path != NULL,
			 "started_at", jstr(b->started_at),
			 "finished_at", jstr(b->finished_at));
}

/* Sub-results and metrics of one iteration ------------------------------------ */

int record_subresult_list(struct store *st, long long iteration_id,
			  long limit, struct record_subresult_info **out,
			  int *more)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_subresult_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	if (more)
		*more = 0;
	*out = NULL;
	f.limit = limit;
	stmt = store_prepare(st, "SELECT name, outcome, detail FROM subresults "
			     "WHERE iteration_id = :it ORDER BY id "
			     "LIMIT :limit", ":it I :limit I", iteration_id,
			     (long long)limit + 1);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (past_page(&f, (long)n, more))
			break;
		ALLOC_GROW(v, n, alloc);
		v[n].name = col_str(stmt, 0);
		v[n].outcome = col_str(stmt, 1);
		v[n++].detail = col_str_null(stmt, 2);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

int record_metric_list(struct store *st, long long iteration_id, long limit,
		       struct record_metric_info **out, int *more)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_metric_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	if (more)
		*more = 0;
	*out = NULL;
	f.limit = limit;
	stmt = store_prepare(st, "SELECT subcase, name, value, unit FROM "
			     "metrics WHERE iteration_id = :it ORDER BY id "
			     "LIMIT :limit", ":it I :limit I", iteration_id,
			     (long long)limit + 1);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (past_page(&f, (long)n, more))
			break;
		ALLOC_GROW(v, n, alloc);
		v[n].subcase = col_str(stmt, 0);
		v[n].name = col_str(stmt, 1);
		v[n].value = sqlite3_column_double(stmt, 2);
		v[n++].unit = col_str(stmt, 3);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void record_subresult_list_release(struct record_subresult_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].outcome);
		free(v[i].detail);
	}
	free(v);
}

void record_metric_list_release(struct record_metric_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].subcase);
		free(v[i].name);
		free(v[i].unit);
	}
	free(v);
}

/* Sub-case tallies ------------------------------------------------------------- */

#define SUB_KEY "i.test, i.suite, " POOL_RUN_COLUMNS
#define SUB_NKEY (2 + POOL_NCOLUMNS)
#define SUB_FROM \
	" FROM subresults s JOIN iterations i ON i.id = s.iteration_id " \
	"JOIN runs r ON r.id = i.run_id"

static void sub_where(struct store_sql *q, const struct record_filter *f)
{
	/* Retries (imported from NIPA) do not count: first attempts only. */
	store_sql_add(q, " WHERE i.retry = 0");
	if (f->run_id)
		store_sql_int(q, " AND i.run_id = :run", ":run", f->run_id);
	if (f->test_exact)
		store_sql_text(q, " AND i.test = :test", ":test", f->test_exact);
	if (f->commit)
		store_sql_text(q, " AND r.commit_id = :commit", ":commit",
			       f->commit);
}

static void sub_key_read(sqlite3_stmt *stmt, struct pool_key *k)
{
	memset(k, 0, sizeof(*k));
	k->test = col_str(stmt, 0);
	k->suite = col_str(stmt, 1);
	pool_key_from_row(stmt, 2, k);
}

static struct record_subtally *sub_find(struct record_subtally *v, size_t n,
					const struct pool_key *k,
					const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name) &&
		    pool_key_same(&v[i].key, k, POOL_KERNEL))
			return &v[i];
	return NULL;
}

static void sub_add_median(struct record_subtally *t, const char *name,
			   const char *unit, double *vals, size_t n)
{
	struct record_metric_median *m;

	if (!t || !n)
		return;
	t->metrics = xrealloc(t->metrics, (t->nmetrics + 1) *
			      sizeof(*t->metrics));
	m = &t->metrics[t->nmetrics++];
	m->name = xstrdup(name);
	m->unit = xstrdup(unit);
	m->median = stats_median(vals, n);
	m->samples = (long)n;
}

/* Medians of every metric of the sub-cases in v, in name order. */
static void sub_metrics(struct store *st, const struct record_filter *f,
			struct record_subtally *v, size_t n)
{
	struct record_subtally *t = NULL;
	char *name = NULL, *unit = NULL, *sub = NULL;
	double *vals = NULL;
	size_t nv = 0, alloc = 0;
	struct store_sql q;
	sqlite3_stmt *stmt;
	struct pool_key k;

	store_sql_init(&q, "SELECT " SUB_KEY ", m.subcase, m.name, "
		       "coalesce(m.unit, ''), m.value FROM metrics m JOIN "
		       "iterations i ON i.id = m.iteration_id JOIN runs r ON "
		       "r.id = i.run_id");
	sub_where(&q, f);
	store_sql_add(&q, " ORDER BY " SUB_KEY ", m.subcase, m.name "
		      "LIMIT 200000");
	stmt = store_sql_prepare(st, &q);
	store_sql_release(&q);
	while (stmt) {
		int row = sqlite3_step(stmt) == SQLITE_ROW;
		const char *s = row ? store_col_text(stmt, SUB_NKEY) : "";
		const char *m = row ? store_col_text(stmt, SUB_NKEY + 1) : "";

		if (row)
			sub_key_read(stmt, &k);
		if (name && (!row || strcmp(sub, s) || strcmp(name, m) ||
			     !t || !pool_key_same(&t->key, &k, POOL_KERNEL))) {
			sub_add_median(t, name, unit, vals, nv);
			nv = 0;
			free(name);
			free(unit);
			free(sub);
			name = unit = sub = NULL;
		}
		if (!row)
			break;
		if (!name) {
			t = sub_find(v, n, &k, s);
			name = xstrdup(m);
			unit = xstrdup(store_col_text(stmt, SUB_NKEY + 2));
			sub = xstrdup(s);
		}
		pool_key_release(&k);
		ALLOC_GROW(vals, nv, alloc);
		vals[nv++] = sqlite3_column_double(stmt, SUB_NKEY + 3);
	}
	sqlite3_finalize(stmt);
	free(vals);
}

/* The kept sub-case tallies, in the column order of the count below. */
static sqlite3_stmt *subtally_kept_stmt(struct store *st,
					const struct record_filter *f)
{
	struct store_sql q;
	sqlite3_stmt *stmt;

	store_sql_init(&q, "SELECT t.test, t.suite, t.kernel_id, "
		       "t.kconfig_set, t.guest_cpus, t.guest_mem_mb, t.stress, "
		       "t.executor, coalesce(k.commit_id, r.commit_id, ''), "
		       "t.name, t.pass, t.fail, t.skip, t.stall, t.pass + t.fail "
		       "+ t.skip + t.stall + t.other FROM subtallies t LEFT JOIN "
		       "kernels k ON k.id = t.kernel_id LEFT JOIN runs r ON "
		       "r.id = -t.kernel_id WHERE 1");
	if (f->test_exact)
		store_sql_text(&q, " AND t.test = :test", ":test", f->test_exact);
	if (f->commit)
		store_sql_text(&q, " AND coalesce(k.commit_id, r.commit_id) = "
			       ":commit", ":commit", f->commit);
	store_sql_int(&q, " ORDER BY t.test, t.suite, t.kernel_id, "
		      "t.kconfig_set, t.guest_cpus, t.guest_mem_mb, t.stress, "
		      "t.executor, t.first_id LIMIT :max", ":max",
		      RECORD_MAX_SUBCASES);
	stmt = store_sql_prepare(st, &q);
	store_sql_release(&q);
	return stmt;
}

static int subtally_rows(sqlite3_stmt *stmt, struct record_subtally **out);

int record_subtally_of(struct store *st, const struct record_tally *t, int n,
		       struct record_subtally **out)
{
	json_t *kernels = json_array(), *tests = json_array();
	char *ks, *ts;
	sqlite3_stmt *stmt;
	int i;

	*out = NULL;
	if (n <= 0) {
		json_decref(kernels);
		json_decref(tests);
		return 0;
	}
	for (i = 0; i < n; i++) {
		json_array_append_new(kernels, json_integer(t[i].key.kernel_id));
		json_array_append_new(tests, utf8_json_str(t[i].key.test));
	}
	ks = json_dumps(kernels, JSON_COMPACT);
	ts = json_dumps(tests, JSON_COMPACT);
	json_decref(kernels);
	json_decref(tests);
	/* The rows' kernels and tests; the caller matches the whole key. */
	stmt = store_prepare(st, "SELECT t.test, t.suite, t.kernel_id, "
		"t.kconfig_set, t.guest_cpus, t.guest_mem_mb, t.stress, "
		"t.executor, coalesce(k.commit_id, r.commit_id, ''), t.name, "
		"t.pass, t.fail, t.skip, t.stall, t.pass + t.fail + t.skip + "
		"t.stall + t.other FROM subtallies t LEFT JOIN kernels k ON "
		"k.id = t.kernel_id LEFT JOIN runs r ON r.id = -t.kernel_id "
		"WHERE t.kernel_id IN (SELECT value FROM json_each(:kernels)) "
		"AND t.test IN (SELECT value FROM json_each(:tests)) ORDER BY "
		"t.test, t.suite, t.kernel_id, t.first_id LIMIT :max",
		":kernels s :tests s :max i", ks, ts, RECORD_MAX_SUBCASES);
	free(ks);
	free(ts);
	return subtally_rows(stmt, out);
}

int record_subtally(struct store *st, const struct record_filter *f,
		    struct record_subtally **out)
{
	struct record_subtally *v = NULL;
	struct store_sql q;
	sqlite3_stmt *stmt;
	int n;

	*out = NULL;
	if (!f->run_id) {
		stmt = subtally_kept_stmt(st, f);
		goto read;
	}
	store_sql_init(&q, "SELECT " SUB_KEY ", coalesce(k.commit_id, "
		       "r.commit_id, ''), s.name, "
		       "sum(s.outcome IN ('pass', 'xfail')), "
		       "sum(s.outcome IN ('fail', 'error')), "
		       "sum(s.outcome = 'skip'), sum(s.outcome = 'timeout'), "
		       "count(*)" SUB_FROM
		       " LEFT JOIN kernels k ON k.id = r.kernel_id");
	sub_where(&q, f);
	store_sql_int(&q, " GROUP BY " SUB_KEY ", s.name ORDER BY " SUB_KEY
		      ", min(s.id) LIMIT :max", ":max", RECORD_MAX_SUBCASES);
	stmt = store_sql_prepare(st, &q);
	store_sql_release(&q);
read:
	n = subtally_rows(stmt, &v);
	if (n > 0 && f->with_metrics)
		sub_metrics(st, f, v, (size_t)n);
	*out = v;
	return n;
}

/* Rows of a sub-case count (key, commit, name, counts), then finalized. */
static int subtally_rows(sqlite3_stmt *stmt, struct record_subtally **out)
{
	struct record_subtally *v = NULL;
	size_t n = 0, alloc = 0;

	*out = NULL;
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct record_subtally *t;
		long known;

		ALLOC_GROW(v, n, alloc);
		t = &v[n++];
		memset(t, 0, sizeof(*t));
		sub_key_read(stmt, &t->key);
		t->commit_id = col_str(stmt, SUB_NKEY);
		t->name = col_str(stmt, SUB_NKEY + 1);
		t->score.counts[OUTCOME_PASS] = sqlite3_column_int64(stmt,
								     SUB_NKEY + 2);
		t->score.counts[OUTCOME_FAIL] = sqlite3_column_int64(stmt,
								     SUB_NKEY + 3);
		t->score.counts[OUTCOME_SKIP] = sqlite3_column_int64(stmt,
								     SUB_NKEY + 4);
		t->score.counts[OUTCOME_STALL] = sqlite3_column_int64(stmt,
								      SUB_NKEY + 5);
		known = t->score.counts[OUTCOME_PASS] +
			t->score.counts[OUTCOME_FAIL] +
			t->score.counts[OUTCOME_SKIP] +
			t->score.counts[OUTCOME_STALL];
		t->score.counts[OUTCOME_ERROR] =
			sqlite3_column_int64(stmt, SUB_NKEY + 6) - known;
		score_finish(&t->score);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void record_subtally_release(struct record_subtally *v, int n)
{
	size_t j;
	int i;

	for (i = 0; i < n; i++) {
		pool_key_release(&v[i].key);
		free(v[i].commit_id);
		free(v[i].name);
		for (j = 0; j < v[i].nmetrics; j++) {
			free(v[i].metrics[j].name);
			free(v[i].metrics[j].unit);
		}
		free(v[i].metrics);
	}
	free(v);
}

json_t *record_subtally_json(const struct record_subtally *t)
{
	json_t *o = json_object(), *m = json_object(), *pool;
	size_t i;

	pool = pool_key_json(&t->key);
	json_object_set_new(pool, "commit", jstr(t->commit_id));
	json_object_set_new(o, "test", jstr(t->key.test));
	json_object_set_new(o, "suite", jstr(t->key.suite));
	json_object_set_new(o, "name", jstr(t->name));
	json_object_set_new(o, "pool", pool);
	score_json_into(o, &t->score);
	for (i = 0; i < t->nmetrics; i++) {
		struct strbuf key = STRBUF_INIT;

		utf8_add_clean(&key, t->metrics[i].name,
			       strlen(t->metrics[i].name));
		json_object_set_new(m, key.buf ? key.buf : "", json_pack(
			"{s:f, s:o, s:I}", "median", t->metrics[i].median,
			"unit", jstr(t->metrics[i].unit), "samples",
			(json_int_t)t->metrics[i].samples));
		strbuf_release(&key);
	}
	json_object_set_new(o, "metrics", m);
	return o;
}

/* Metric series --------------------------------------------------------------- */

int record_metric_series(struct store *st, const char *test, int last,
			 int max, struct record_metric_series **out)
{
	struct record_metric_series *v = NULL, *cur = NULL;
	size_t n = 0, alloc = 0, vals_alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st,
		"SELECT m.subcase, m.name, coalesce(m.unit, ''), m.value, "
		"r.commit_id FROM metrics m JOIN iterations i ON "
		"i.id = m.iteration_id JOIN runs r ON r.id = i.run_id WHERE "
		"i.id IN (SELECT id FROM iterations WHERE test = :test AND "
		"retry = 0 ORDER BY id DESC LIMIT :last) ORDER BY m.subcase, "
		"m.name, i.id", ":test s :last i", test, last);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *sub = store_col_text(stmt, 0);
		const char *name = store_col_text(stmt, 1);

		if (!cur || strcmp(cur->subcase, sub) || strcmp(cur->name, name)) {
			if ((int)n == max)
				break;
			ALLOC_GROW(v, n, alloc);
			cur = &v[n++];
			memset(cur, 0, sizeof(*cur));
			cur->subcase = xstrdup(sub);
			cur->name = xstrdup(name);
			cur->unit = col_str(stmt, 2);
			vals_alloc = 0;
		}
		if (cur->n >= vals_alloc) {
			vals_alloc = vals_alloc ? 2 * vals_alloc : 64;
			cur->values = xrealloc(cur->values, vals_alloc *
					       sizeof(*cur->values));
			cur->commits = xrealloc(cur->commits, vals_alloc *
						sizeof(*cur->commits));
		}
		cur->values[cur->n] = sqlite3_column_double(stmt, 3);
		cur->commits[cur->n++] = col_str(stmt, 4);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void record_metric_series_release(struct record_metric_series *v, int n)
{
	size_t j;
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].subcase);
		free(v[i].name);
		free(v[i].unit);
		for (j = 0; j < v[i].n; j++)
			free(v[i].commits[j]);
		free(v[i].commits);
		free(v[i].values);
	}
	free(v);
}

/* Lines: a test across kernels ---------------------------------------------- */

static int line_cmp(const void *pa, const void *pb)
{
	const struct record_tally *x = pa, *y = pb;
	struct pool_key a = x->key, b = y->key;
	int c;

	a.kernel_id = b.kernel_id = 0;
	if ((c = key_cmp(&a, &b)))
		return c;
	if ((c = strcmp(x->first_at, y->first_at)))
		return c;
	return x->key.kernel_id < y->key.kernel_id ? -1 :
	       x->key.kernel_id > y->key.kernel_id;
}

static void pool_into(struct score *dst, const struct record_tally *t, int from,
		      int to)
{
	int i, o;

	memset(dst, 0, sizeof(*dst));
	for (i = from; i < to; i++)
		for (o = 0; o < OUTCOME_NR; o++)
			dst->counts[o] += t[i].score.counts[o];
	score_finish(dst);
}

/* One-sided: did b fail more (worse) or less (better) than a? */
static enum stats_change judge(const struct score *a, const struct score *b,
			       double *p)
{
	enum stats_change c = stats_compare(a->failures, a->verdict_runs,
					    b->failures, b->verdict_runs, 0.05);

	*p = stats_fisher_two_sided(a->failures, a->verdict_runs, b->failures,
				    b->verdict_runs);
	if (isnan(*p))
		*p = -1;
	return c;
}

static void line_finish(struct record_line *l)
{
	struct score prev, *newest;
	int i;

	l->onset = -1;
	for (i = 0; i < l->n && l->onset < 0; i++)
		if (l->kernels[i].score.failures > 0)
			l->onset = i;
	pool_into(&l->before, l->kernels, 0, l->onset < 0 ? l->n : l->onset);
	pool_into(&l->after, l->kernels, l->onset < 0 ? l->n : l->onset, l->n);
	l->trend = RECORD_TREND_NONE;
	l->trend_p = l->change_p = -1;
	newest = &l->kernels[l->n - 1].score;
	if (l->onset >= 0 && l->n - 1 > l->onset) {
		pool_into(&prev, l->kernels, l->onset, l->n - 1);
		switch (judge(&prev, newest, &l->trend_p)) {
		case STATS_REGRESSION:
			l->trend = RECORD_TREND_WORSE;
			break;
		case STATS_IMPROVEMENT:
			l->trend = RECORD_TREND_BETTER;
			break;
		default:
			l->trend = RECORD_TREND_STEADY;
		}
	}
	l->change = RECORD_CHANGE_NONE;
	if (l->n == 1) {
		l->change = RECORD_CHANGE_NEW_TEST;
		return;
	}
	prev = l->kernels[l->n - 2].score;
	switch (judge(&prev, newest, &l->change_p)) {
	case STATS_REGRESSION:
		l->change = RECORD_CHANGE_WORSE;
		break;
	case STATS_IMPROVEMENT:
		l->change = RECORD_CHANGE_BETTER;
		break;
	default:
		if (!prev.failures && newest->failures)
			l->change = RECORD_CHANGE_NEW_FAILURES;
	}
}

int record_lines(struct store *st, const struct record_filter *f,
		 struct record_line **out)
{
	struct record_filter g = *f;
	struct record_tally *t;
	struct record_line *v = NULL;
	size_t nl = 0, alloc = 0;
	int i, n;

	*out = NULL;
	g.page = 1;
	g.limit = 0;
	n = record_tally_list(st, &g, RECORD_SORT_NAME, RECORD_TALLY_RECENT,
			      &t, NULL);
	if (n < 0)
		return -1;
	if (n > 1)
		qsort(t, (size_t)n, sizeof(*t), line_cmp);
	for (i = 0; i < n; ) {
		struct pool_key a = t[i].key;
		struct record_line *l;
		int j = i + 1;

		a.kernel_id = 0;
		while (j < n && pool_key_same(&t[j].key, &t[i].key, POOL_LINE))
			j++;
		ALLOC_GROW(v, nl, alloc);
		l = &v[nl++];
		memset(l, 0, sizeof(*l));
		pool_key_copy(&l->key, &a);
		l->key.kernel_id = 0;
		l->n = j - i;
		l->kernels = xcalloc((size_t)l->n, sizeof(*l->kernels));
		memcpy(l->kernels, t + i, (size_t)l->n * sizeof(*t));
		line_finish(l);
		i = j;
	}
	free(t);	/* the rows moved into the lines */
	*out = v;
	return (int)nl;
}

void record_lines_release(struct record_line *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		pool_key_release(&v[i].key);
		record_tally_release(v[i].kernels, v[i].n);
	}
	free(v);
}

const char *record_trend_name(enum record_trend t)
{
	static const char *const names[] = { "none", "steady", "worse",
					     "better" };

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "none";
}

const char *record_change_name(enum record_change c)
{
	static const char *const names[] = { "none", "worse", "new failures",
					     "new test", "better" };

	return (unsigned)c < ARRAY_SIZE(names) ? names[c] : "none";
}

json_t *record_line_json(const struct record_line *l)
{
	json_t *o = json_object(), *k = json_array();
	int i;

	json_object_set_new(o, "test", jstr(l->key.test));
	json_object_set_new(o, "suite", jstr(l->key.suite));
	json_object_set_new(o, "line", pool_key_json(&l->key));
	for (i = 0; i < l->n; i++)
		json_array_append_new(k, record_tally_json(&l->kernels[i]));
	json_object_set_new(o, "kernels", k);
	json_object_set_new(o, "onset", l->onset < 0 ? json_null() :
		json_pack("{s:I, s:o, s:o}", "kernel_id",
			  (json_int_t)l->kernels[l->onset].key.kernel_id,
			  "commit", jstr(l->kernels[l->onset].commit_id),
			  "first_at", jstr(l->kernels[l->onset].first_at)));
	json_object_set_new(o, "before", score_json(&l->before));
	json_object_set_new(o, "after", score_json(&l->after));
	json_object_set_new(o, "trend", json_string(record_trend_name(l->trend)));
	json_object_set_new(o, "trend_p", l->trend_p < 0 ? json_null()
							  : json_real(l->trend_p));
	json_object_set_new(o, "change",
			    json_string(record_change_name(l->change)));
	json_object_set_new(o, "change_p", l->change_p < 0 ? json_null()
							    : json_real(l->change_p));
	return o;
}
