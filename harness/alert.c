/*
 * alert.c - owns the alerts and alert_histories tables (see alert.h):
 * turning a history's change points into alerts that keep their state
 * across scans, the state changes `kflake alert` makes, and the reads
 * and renderings (text, JSON) every reader of alerts shares.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "changepoint.h"
#include "pool.h"
#include "record.h"
#include "score.h"
#include "stats.h"
#include "tree.h"
#include "util.h"

static int rising(long k0, long n0, long k1, long n1)
{
	return (double)k1 * n0 > (double)k0 * n1;
}

/* The last position before lo the series has runs on (lo itself if none). */
static size_t good_pos(const struct history_series *s, size_t lo)
{
	size_t i;

	for (i = lo; i > 0; i--)
		if (s->v[i - 1].runs > 0)
			return i - 1;
	return lo;
}

static long tested_in(const struct history_series *s, size_t lo, size_t hi)
{
	long n = 0;
	size_t i;

	for (i = lo; i <= hi; i++)
		n += s->v[i].runs > 0;
	return n;
}

/* A stored alert of the series being scanned, placed on today's history. */
struct known {
	long long id;
	int worse;
	long first, last;	/* positions, -1 when off the history */
	int current;
	int matched;
};

static int load_known(struct store *st, const struct history *h,
		      const struct history_series *s, struct known **out)
{
	sqlite3_stmt *stmt;
	struct known *v = NULL;
	size_t n = 0, alloc = 0;

	stmt = store_prepare(st, "SELECT id, direction, first, last, current "
			     "FROM alerts WHERE axis = :axis AND "
			     "coalesce(tree_id, 0) = :tree AND branch = :branch "
			     "AND test = :test AND suite = :suite AND pool = "
			     ":pool ORDER BY id", ":axis s :tree I :branch s "
			     ":test s :suite s :pool s", h->axis, h->tree_id,
			     h->branch, s->test, s->suite, s->pool);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		v[n] = (struct known){
			.id = sqlite3_column_int64(stmt, 0),
			.worse = !strcmp(store_col_text(stmt, 1), "worse"),
			.first = history_find(h, store_col_text(stmt, 2)),
			.last = history_find(h, store_col_text(stmt, 3)),
			.current = sqlite3_column_int(stmt, 4),
		};
		n++;
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

/* The stored alert this change is, if any: same direction, overlapping. */
static struct known *match(struct known *k, int nk, const struct changepoint *c,
			   int worse)
{
	int i;

	for (i = 0; i < nk; i++) {
		if (k[i].matched || k[i].worse != worse || k[i].first < 0 ||
		    k[i].last < 0)
			continue;
		if ((size_t)k[i].first <= c->hi && c->lo <= (size_t)k[i].last)
			return &k[i];
	}
	return NULL;
}

/*
 * One statement for a new alert and for one found again (known): a
 * known alert keeps its id, state and creation time, and takes the
 * change's interval, counts and evidence as this scan sees them.
 */
static const char upsert_sql[] =
	"INSERT INTO alerts(id, axis, tree_id, branch, test, suite, pool, "
	"test_arg, fragments, direction, good, first, nominal, last, "
	"positions, k0, n0, k1, n1, log_bf, prob, fisher_p, current, "
	"created_at, updated_at) VALUES (:id, :axis, nullif(:tree, 0), "
	":branch, :test, :suite, :pool, :test_arg, :fragments, :direction, "
	":good, :first, :nominal, :last, :positions, :k0, :n0, :k1, :n1, "
	":log_bf, :prob, :fisher_p, 1, :now, :now) "
	"ON CONFLICT(id) DO UPDATE SET good = excluded.good, first = "
	"excluded.first, nominal = excluded.nominal, last = excluded.last, "
	"positions = excluded.positions, k0 = excluded.k0, n0 = excluded.n0, "
	"k1 = excluded.k1, n1 = excluded.n1, log_bf = excluded.log_bf, "
	"prob = excluded.prob, fisher_p = excluded.fisher_p, "
	"test_arg = coalesce(excluded.test_arg, test_arg), "
	"fragments = coalesce(excluded.fragments, fragments), current = 1, "
	"updated_at = excluded.updated_at";

static int store_change(struct store *st, const struct history *h,
			const struct history_series *s,
			const struct changepoint *c, const struct known *known,
			const char *now)
{
	int worse = rising(c->k0, c->n0, c->k1, c->n1);
	double fisher = worse ? stats_fisher_worse(c->k0, c->n0, c->k1, c->n1)
			      : stats_fisher_better(c->k0, c->n0, c->k1, c->n1);
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_prepare(st, upsert_sql,
		":axis s :tree I :branch s :test s :suite s :pool s "
		":test_arg s :fragments s :direction s :good s :first s "
		":nominal s :last s :positions I :k0 I :n0 I :k1 I :n1 I "
		":log_bf d :prob d :fisher_p d :now s",
		h->axis, h->tree_id, h->branch, s->test, s->suite, s->pool,
		s->test_arg, s->fragments, worse ? "worse" : "better",
		h->pos[good_pos(s, c->lo)], h->pos[c->lo], h->pos[c->pos],
		h->pos[c->hi], (long long)tested_in(s, c->lo, c->hi),
		(long long)c->k0, (long long)c->n0, (long long)c->k1,
		(long long)c->n1, c->log_bf, c->prob, fisher, now);
	if (!stmt)
		return -1;
	/* :id stays NULL (a new row) unless the alert is known. */
	if (known)
		sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt,
				   ":id"), known->id);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return error("%s: cannot store an alert: %s", st->path,
			     sqlite3_errmsg(st->db));
	return 0;
}

static int scan_series(struct store *st, const struct history *h,
		       const struct history_series *s,
		       const struct changepoint_params *p, const char *now,
		       struct alert_scan_result *res)
{
	struct changepoint *cp = NULL;
	struct known *known = NULL;
	size_t ncp, i;
	int nk, j, ret = 0;

	ncp = changepoint_find(s->v, h->npos, p, &cp);
	nk = load_known(st, h, s, &known);
	if (nk < 0) {
		free(cp);
		return -1;
	}
	for (i = 0; i < ncp && !ret; i++) {
		int worse = rising(cp[i].k0, cp[i].n0, cp[i].k1, cp[i].n1);
		struct known *k = match(known, nk, &cp[i], worse);

		ret = store_change(st, h, s, &cp[i], k, now);
		if (k) {
			k->matched = 1;
			res->updated++;
		} else {
			res->created++;
		}
		res->found++;
	}
	for (j = 0; j < nk && !ret; j++) {
		if (known[j].matched || !known[j].current)
			continue;
		ret = store_exec(st, "UPDATE alerts SET current = 0, "
				 "updated_at = :now WHERE id = :id",
				 ":now s :id I", now, known[j].id);
		res->withdrawn++;
	}
	free(known);
	free(cp);
	return ret;
}

int alert_scan(struct store *st, const struct history *h,
	       struct alert_scan_result *res)
{
	struct changepoint_params p;
	char now[32];
	size_t i;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	res->positions = h->npos;
	res->series = h->nseries;
	changepoint_params_default(&p);
	util_iso8601(util_wallclock(), now);
	if (store_begin(st))
		return -1;
	for (i = 0; i < h->nseries && !ret; i++)
		ret = scan_series(st, h, &h->series[i], &p, now, res);
	if (!ret)
		ret = store_exec(st,
			"INSERT INTO alert_histories(axis, tree_id, branch, "
			"positions, scanned_at) VALUES (:axis, :tree, :branch, "
			":positions, :now) ON CONFLICT(axis, tree_id, branch) "
			"DO UPDATE SET positions = excluded.positions, "
			"scanned_at = excluded.scanned_at", ":axis s :tree I "
			":branch s :positions I :now s", h->axis, h->tree_id,
			h->branch, (long long)h->npos, now);
	if (ret) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

int alert_scan_ref(struct store *st, const char *tree, const char *ref,
		   const char *test, struct alert_scan_result *res)
{
	struct history h;
	struct tree t;
	int ret = -1;

	if (tree_open(&t, tree))
		return -1;
	if (!history_load_git(st, &t, record_tree_id(st, t.source, t.path),
			      ref, test, &h))
		ret = alert_scan(st, &h, res);
	history_release(&h);
	tree_close(&t);
	return ret;
}

void alert_scan_print(FILE *f, const char *what,
		      const struct alert_scan_result *r)
{
	if (!f)
		return;
	fprintf(f, "%s: %zu tested position(s), %zu pool(s): %d change(s), "
		"%d new alert(s), %d updated, %d withdrawn\n", what,
		r->positions, r->series, r->found, r->created, r->updated,
		r->withdrawn);
}

int alert_scan_nipa(struct store *st, const char *stream, const char *test,
		    struct alert_scan_result *res)
{
	struct history h;
	int ret = -1;

	if (!history_load_nipa(st, stream, test, &h))
		ret = alert_scan(st, &h, res);
	history_release(&h);
	return ret;
}

int alert_scan_all(struct store *st, FILE *f)
{
	struct alert_history_ref *v;
	int n = alert_histories(st, &v), i, ret = 0;

	if (n < 0)
		return -1;
	if (!n && f)
		fprintf(f, "no history scanned yet: name one with --ref REF "
			"(or import NIPA results)\n");
	for (i = 0; i < n; i++) {
		struct alert_scan_result r;
		char *what;

		int git = !strcmp(v[i].axis, HISTORY_AXIS_GIT);

		what = xasprintf("%s %s", git ? (v[i].tree ? v[i].tree : "?") :
				 v[i].axis, v[i].branch);
		if (git ? alert_scan_ref(st, v[i].tree, v[i].branch, NULL, &r)
			: alert_scan_nipa(st, v[i].branch, NULL, &r))
			ret = -1;
		else
			alert_scan_print(f, what, &r);
		free(what);
	}
	alert_histories_release(v, n);
	return ret;
}

#define ALERT_COLUMNS \
	"a.id, a.axis, coalesce(a.tree_id, 0), t.source, a.branch, a.test, " \
	"a.suite, a.pool, a.test_arg, a.fragments, a.direction, a.good, " \
	"a.first, a.nominal, a.last, a.positions, a.k0, a.n0, a.k1, a.n1, " \
	"a.log_bf, a.prob, a.fisher_p, a.state, a.state_note, a.state_at, " \
	"a.current, a.created_at, a.updated_at FROM alerts a LEFT JOIN " \
	"trees t ON t.id = a.tree_id"

static char *col_dup(sqlite3_stmt *stmt, int col)
{
	return sqlite3_column_type(stmt, col) == SQLITE_NULL ? NULL :
	       xstrdup(store_col_text(stmt, col));
}

static void row_load(sqlite3_stmt *s, struct alert *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->axis = col_dup(s, 1);
	a->tree_id = sqlite3_column_int64(s, 2);
	a->tree = col_dup(s, 3);
	a->branch = col_dup(s, 4);
	a->test = col_dup(s, 5);
	a->suite = col_dup(s, 6);
	a->pool = col_dup(s, 7);
	a->test_arg = col_dup(s, 8);
	a->fragments = col_dup(s, 9);
	a->direction = col_dup(s, 10);
	a->good = col_dup(s, 11);
	a->first = col_dup(s, 12);
	a->nominal = col_dup(s, 13);
	a->last = col_dup(s, 14);
	a->positions = (long)sqlite3_column_int64(s, 15);
	a->k0 = (long)sqlite3_column_int64(s, 16);
	a->n0 = (long)sqlite3_column_int64(s, 17);
	a->k1 = (long)sqlite3_column_int64(s, 18);
	a->n1 = (long)sqlite3_column_int64(s, 19);
	a->log_bf = sqlite3_column_double(s, 20);
	a->prob = sqlite3_column_double(s, 21);
	a->fisher_p = sqlite3_column_type(s, 22) == SQLITE_NULL ? NAN :
		      sqlite3_column_double(s, 22);
	a->state = col_dup(s, 23);
	a->state_note = col_dup(s, 24);
	a->state_at = col_dup(s, 25);
	a->current = sqlite3_column_int(s, 26);
	a->created_at = col_dup(s, 27);
	a->updated_at = col_dup(s, 28);
}

int alert_load(struct store *st, long long id, struct alert *a)
{
	sqlite3_stmt *stmt;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	stmt = store_prepare(st, "SELECT " ALERT_COLUMNS " WHERE a.id = ?",
			     "I", id);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		row_load(stmt, a);
		ret = 0;
	} else {
		error("no alert %lld", id);
	}
	sqlite3_finalize(stmt);
	return ret;
}

int alert_list(struct store *st, const struct alert_filter *f,
	       struct alert **out)
{
	struct alert *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st, "SELECT " ALERT_COLUMNS " WHERE "
			     "(?1 IS NULL OR a.state = ?1) AND "
			     "(?2 = 0 OR (a.current = 1 AND a.state != 'fixed')) "
			     "AND (?3 IS NULL OR instr(a.test, ?3) > 0) "
			     "ORDER BY a.id DESC LIMIT ?4", "sisI", f->state,
			     f->open_only, f->test,
			     f->limit > 0 ? (long long)f->limit : -1LL);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		row_load(stmt, &v[n++]);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void alert_release(struct alert *a)
{
	char **strs[] = {
		&a->axis, &a->tree, &a->branch, &a->test, &a->suite, &a->pool,
		&a->test_arg, &a->fragments, &a->direction, &a->good,
		&a->first, &a->nominal, &a->last, &a->state, &a->state_note,
		&a->state_at, &a->created_at, &a->updated_at,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(strs); i++)
		free(*strs[i]);
	memset(a, 0, sizeof(*a));
}

void alert_list_release(struct alert *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		alert_release(&v[i]);
	free(v);
}

int alert_set_state(struct store *st, long long id, const char *state,
		    const char *note)
{
	char now[32];

	if (strcmp(state, "new") && strcmp(state, "acknowledged") &&
	    strcmp(state, "fixed"))
		return error("alert state %s: expected new, acknowledged or "
			     "fixed", state);
	if (!store_query_int(st, 0, "SELECT count(*) FROM alerts WHERE id = "
			     ":id", ":id I", id))
		return error("no alert %lld", id);
	return store_exec(st, "UPDATE alerts SET state = :state, state_note = "
			  ":note, state_at = :now WHERE id = :id", ":state s "
			  ":note s :now s :id I", state, note,
			  util_iso8601(util_wallclock(), now), id);
}

int alert_histories(struct store *st, struct alert_history_ref **out)
{
	struct alert_history_ref *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st, "SELECT h.axis, t.source, h.branch FROM "
			     "alert_histories h LEFT JOIN trees t ON t.id = "
			     "h.tree_id ORDER BY h.id", "");
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		v[n].axis = col_dup(stmt, 0);
		v[n].tree = col_dup(stmt, 1);
		v[n].branch = col_dup(stmt, 2);
		n++;
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void alert_histories_release(struct alert_history_ref *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].axis);
		free(v[i].tree);
		free(v[i].branch);
	}
	free(v);
}

/*
 * A segment's k failures in n runs as a score: what an alert counts is
 * failures over the iterations that give a verdict, so those are the
 * counts (fail standing for fail + stall + crash).
 */
static void segment_score(long k, long n, struct score *s)
{
	memset(s, 0, sizeof(*s));
	s->counts[OUTCOME_FAIL] = k;
	s->counts[OUTCOME_PASS] = n - k;
	score_finish(s);
}

void alert_scores(const struct alert *a, struct score *before,
		  struct score *after)
{
	segment_score(a->k0, a->n0, before);
	segment_score(a->k1, a->n1, after);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *alert_json(const struct alert *a)
{
	json_t *o = json_object();
	struct score before, after;

	json_object_set_new(o, "id", json_integer(a->id));
	json_object_set_new(o, "state", json_string(a->state));
	json_object_set_new(o, "current", json_boolean(a->current));
	json_object_set_new(o, "direction", json_string(a->direction));
	json_object_set_new(o, "axis", json_string(a->axis));
	json_object_set_new(o, "tree", str_or_null(a->tree));
	json_object_set_new(o, "branch", json_string(a->branch));
	json_object_set_new(o, "test", json_string(a->test));
	json_object_set_new(o, "suite", json_string(a->suite));
	{
		char *d = alert_pool_describe(a);
		json_t *p = json_loads(a->pool ? a->pool : "", 0, NULL);

		json_object_set_new(o, "pool", p ? p : json_string(a->pool));
		json_object_set_new(o, "pool_description", json_string(d));
		free(d);
	}
	json_object_set_new(o, "test_arg", str_or_null(a->test_arg));
	json_object_set_new(o, "change", json_pack("{s:o, s:s, s:s, s:s, s:I}",
		"good", str_or_null(a->good), "first", a->first, "nominal",
		a->nominal, "last", a->last, "positions",
		(json_int_t)a->positions));
	alert_scores(a, &before, &after);
	json_object_set_new(o, "before", score_json(&before));
	json_object_set_new(o, "after", score_json(&after));
	json_object_set_new(o, "evidence", json_pack("{s:f, s:f, s:o}",
		"log10_bayes_factor", a->log_bf / M_LN10,
		"position_probability", a->prob, "fisher_p",
		isnan(a->fisher_p) ? json_null() : json_real(a->fisher_p)));
	json_object_set_new(o, "state_note", str_or_null(a->state_note));
	json_object_set_new(o, "state_at", str_or_null(a->state_at));
	json_object_set_new(o, "created_at", json_string(a->created_at));
	json_object_set_new(o, "updated_at", json_string(a->updated_at));
	return o;
}

/* Commit ids print as 12 characters; NIPA branch names whole. */
static int idlen(const struct alert *a)
{
	return strcmp(a->axis, HISTORY_AXIS_GIT) ? 200 : 12;
}

static void rate_text(struct strbuf *sb, const struct score *s)
{
	strbuf_addf(sb, "%ld/%ld = %.1f%% [%.1f%%, %.1f%%]", s->failures,
		    s->verdict_runs, 100 * s->rate, 100 * s->lo, 100 * s->hi);
}

int alert_pool_key(const struct alert *a, struct pool_key *k)
{
	return pool_line_parse(a->pool, k);
}

char *alert_pool_describe(const struct alert *a)
{
	struct pool_key k;
	char *s;

	if (alert_pool_key(a, &k))
		return xstrdup(a->pool ? a->pool : "");
	/* An imported history: the executor is all there is to the line. */
	if (!k.guest_cpus && k.executor && strcmp(k.executor,
						  POOL_EXECUTOR_LOCAL))
		s = xstrdup(k.executor);
	else
		s = pool_describe(&k);
	pool_key_release(&k);
	return s;
}

void alert_print(FILE *f, const struct alert *a)
{
	struct strbuf sb = STRBUF_INIT;
	struct score before, after;
	int w = idlen(a);
	char *pool;

	fprintf(f, "alert %lld [%s%s] %s: %s/%s on %s\n", a->id, a->state,
		a->current ? "" : ", withdrawn", a->direction, a->suite,
		a->test, a->branch);
	fprintf(f, "  change at %.*s; 99%% interval %.*s .. %.*s (%ld tested), "
		"last good %.*s\n", w, a->nominal, w, a->first, w, a->last,
		a->positions, w, a->good ? a->good : "-");
	alert_scores(a, &before, &after);
	rate_text(&sb, &before);
	strbuf_addstr(&sb, "   after ");
	rate_text(&sb, &after);
	fprintf(f, "  before %s\n", sb.buf);
	fprintf(f, "  evidence: Bayes factor 10^%.1f for this change against "
		"none; P(change at %.*s) %.2f; Fisher p %.2g\n",
		a->log_bf / M_LN10, w, a->nominal, a->prob, a->fisher_p);
	pool = alert_pool_describe(a);
	fprintf(f, "  pool: %s\n", pool);
	free(pool);
	if (a->state_at)
		fprintf(f, "  %s at %s%s%s\n", a->state, a->state_at,
			a->state_note ? ": " : "",
			a->state_note ? a->state_note : "");
	if (!strcmp(a->axis, HISTORY_AXIS_GIT) && !strcmp(a->direction, "worse"))
		fprintf(f, "  bisect it: kflake bisect --alert %lld\n", a->id);
	strbuf_release(&sb);
}

char *alert_summary(const struct alert *a)
{
	return xasprintf("alert %lld %s: %s/%s on %s, %ld/%ld -> %ld/%ld at "
			 "%.*s", a->id, a->direction, a->suite, a->test,
			 a->branch, a->k0, a->n0, a->k1, a->n1, idlen(a),
			 a->nominal);
}

int alert_report(struct store *st, FILE *f, int json)
{
	struct alert_filter flt = { .open_only = 1 };
	struct alert *v;
	int n = alert_list(st, &flt, &v), i;

	if (n < 0)
		return -1;
	if (json) {
		json_t *arr = json_array();
		char *s;

		for (i = 0; i < n; i++)
			json_array_append_new(arr, alert_json(&v[i]));
		s = json_dumps(arr, JSON_INDENT(2));
		fprintf(f, "%s\n", s);
		free(s);
		json_decref(arr);
	} else if (!n) {
		fprintf(f, "no open alerts\n");
	} else {
		for (i = 0; i < n; i++) {
			if (i)
				fputc('\n', f);
			alert_print(f, &v[i]);
		}
	}
	alert_list_release(v, n);
	return 0;
}
