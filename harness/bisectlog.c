/*
 * bisectlog.c - the bisects and bisect_steps tables: their one writer
 * and their typed reads (see bisectlog.h).
 */
#include <stdlib.h>
#include <string.h>

#include "bisectlog.h"
#include "utf8.h"
#include "util.h"

static char *dup_col(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return NULL;
	return xstrdup(store_col_text(stmt, col));
}

#define BISECT_SELECT \
	"SELECT b.id, b.good, b.bad, b.test, b.state, b.note, b.params, " \
	"b.p0, b.p1, b.culprit, b.confidence, coalesce(b.alert_id, 0), " \
	"b.started_at, b.finished_at, (SELECT count(*) FROM bisect_steps t " \
	"WHERE t.bisect_id = b.id AND t.role = 'step') FROM bisects b"

static void bisect_read(sqlite3_stmt *stmt, struct bisectlog_info *b)
{
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(stmt, 0);
	b->good = dup_col(stmt, 1);
	b->bad = dup_col(stmt, 2);
	b->test = dup_col(stmt, 3);
	b->state = dup_col(stmt, 4);
	b->note = dup_col(stmt, 5);
	if (sqlite3_column_type(stmt, 6) != SQLITE_NULL)
		b->params = json_loads(store_col_text(stmt, 6), 0, NULL);
	if (!json_is_object(b->params)) {
		json_decref(b->params);
		b->params = json_object();
	}
	b->has_p = sqlite3_column_type(stmt, 7) != SQLITE_NULL;
	b->p0 = sqlite3_column_double(stmt, 7);
	b->p1 = sqlite3_column_double(stmt, 8);
	b->culprit = dup_col(stmt, 9);
	b->has_confidence = sqlite3_column_type(stmt, 10) != SQLITE_NULL;
	b->confidence = sqlite3_column_double(stmt, 10);
	b->alert_id = sqlite3_column_int64(stmt, 11);
	b->started_at = dup_col(stmt, 12);
	b->finished_at = dup_col(stmt, 13);
	b->steps = (long)sqlite3_column_int64(stmt, 14);
}

int bisectlog_load(struct store *st, long long id, struct bisectlog_info *b)
{
	sqlite3_stmt *stmt;
	int ret = 1;

	memset(b, 0, sizeof(*b));
	stmt = store_prepare(st, BISECT_SELECT " WHERE b.id = :id", ":id I",
			     id);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		bisect_read(stmt, b);
		ret = 0;
	}
	sqlite3_finalize(stmt);
	return ret;
}

int bisectlog_list(struct store *st, long page, long limit,
		   struct bisectlog_info **out, int *more)
{
	struct bisectlog_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	if (more)
		*more = 0;
	stmt = store_prepare(st, BISECT_SELECT " ORDER BY b.id DESC "
			     "LIMIT :limit OFFSET :offset", ":limit I :offset I",
			     limit > 0 ? (long long)limit + 1 : -1LL,
			     limit > 0 ? (long long)(page - 1) * limit : 0LL);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (limit > 0 && (long)n == limit) {
			if (more)
				*more = 1;
			break;
		}
		ALLOC_GROW(v, n, alloc);
		bisect_read(stmt, &v[n++]);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

int bisectlog_steps(struct store *st, long long bisect_id,
		    struct bisectlog_step **out)
{
	struct bisectlog_step *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st,
		"SELECT s.id, s.commit_id, s.role, coalesce(s.run_id, 0), "
		"s.runs, s.failures, s.errors, s.decision, s.confidence, "
		"k.image_sha1, s.created_at FROM bisect_steps s LEFT JOIN runs r "
		"ON r.id = s.run_id LEFT JOIN kernels k ON k.id = r.kernel_id "
		"WHERE s.bisect_id = :id ORDER BY s.id", ":id I", bisect_id);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct bisectlog_step *s;

		ALLOC_GROW(v, n, alloc);
		s = &v[n++];
		memset(s, 0, sizeof(*s));
		s->id = sqlite3_column_int64(stmt, 0);
		s->commit_id = dup_col(stmt, 1);
		s->role = dup_col(stmt, 2);
		s->run_id = sqlite3_column_int64(stmt, 3);
		s->runs = sqlite3_column_int(stmt, 4);
		s->failures = sqlite3_column_int(stmt, 5);
		s->errors = sqlite3_column_int(stmt, 6);
		s->decision = dup_col(stmt, 7);
		s->has_confidence = sqlite3_column_type(stmt, 8) != SQLITE_NULL;
		s->confidence = sqlite3_column_double(stmt, 8);
		s->image_sha1 = dup_col(stmt, 9);
		s->created_at = dup_col(stmt, 10);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void bisectlog_info_release(struct bisectlog_info *b)
{
	free(b->good);
	free(b->bad);
	free(b->test);
	free(b->state);
	free(b->note);
	json_decref(b->params);
	free(b->culprit);
	free(b->started_at);
	free(b->finished_at);
	memset(b, 0, sizeof(*b));
}

void bisectlog_list_release(struct bisectlog_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		bisectlog_info_release(&v[i]);
	free(v);
}

void bisectlog_step_release(struct bisectlog_step *s)
{
	free(s->commit_id);
	free(s->role);
	free(s->decision);
	free(s->image_sha1);
	free(s->created_at);
	memset(s, 0, sizeof(*s));
}

void bisectlog_steps_release(struct bisectlog_step *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		bisectlog_step_release(&v[i]);
	free(v);
}

static json_t *num_or_null(int has, double v)
{
	return has ? json_real(v) : json_null();
}

json_t *bisectlog_json(const struct bisectlog_info *b)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(b->id));
	json_object_set_new(o, "state", utf8_json_str(b->state));
	json_object_set_new(o, "test", utf8_json_str(b->test));
	json_object_set_new(o, "good", utf8_json_str(b->good));
	json_object_set_new(o, "bad", utf8_json_str(b->bad));
	json_object_set_new(o, "params", json_incref(b->params));
	json_object_set_new(o, "p0", num_or_null(b->has_p, b->p0));
	json_object_set_new(o, "p1", num_or_null(b->has_p, b->p1));
	json_object_set_new(o, "culprit", utf8_json_str(b->culprit));
	json_object_set_new(o, "confidence", num_or_null(b->has_confidence,
							 b->confidence));
	json_object_set_new(o, "note", utf8_json_str(b->note ? b->note : ""));
	json_object_set_new(o, "alert_id", b->alert_id ?
			    json_integer(b->alert_id) : json_null());
	json_object_set_new(o, "steps", json_integer(b->steps));
	json_object_set_new(o, "started_at", utf8_json_str(b->started_at));
	json_object_set_new(o, "finished_at", utf8_json_str(b->finished_at));
	return o;
}

json_t *bisectlog_step_json(const struct bisectlog_step *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "role", utf8_json_str(s->role));
	json_object_set_new(o, "commit", utf8_json_str(s->commit_id));
	json_object_set_new(o, "iterations", json_integer(s->runs));
	json_object_set_new(o, "failures", json_integer(s->failures));
	json_object_set_new(o, "errors", json_integer(s->errors));
	json_object_set_new(o, "decision", utf8_json_str(s->decision));
	json_object_set_new(o, "confidence", num_or_null(s->has_confidence,
							 s->confidence));
	json_object_set_new(o, "run_id", json_integer(s->run_id));
	json_object_set_new(o, "image_sha1", utf8_json_str(s->image_sha1));
	return o;
}

/* Writes ---------------------------------------------------------------------- */

static const char *now(char ts[32])
{
	return util_iso8601(util_wallclock(), ts);
}

long long bisectlog_create(struct store *st, const struct bisectlog_new *b)
{
	char ts[32];

	if (store_exec(st,
		"INSERT INTO bisects(tree_id, good, bad, test, state, params, "
		"started_at, alert_id) VALUES (:tree, :good, :bad, :test, "
		"'running', :params, :now, nullif(:alert, 0))",
		":tree I :good s :bad s :test s :params s :now s :alert I",
		b->tree_id, b->good, b->bad, b->test, b->params_json, now(ts),
		b->alert_id))
		return -1;
	return store_last_id(st);
}

int bisectlog_set_state(struct store *st, long long id, const char *state,
			const char *culprit, double confidence,
			const char *note)
{
	char ts[32];

	return store_exec(st,
		"UPDATE bisects SET state = :state, culprit = :culprit, "
		"confidence = :conf, note = :note, finished_at = :at "
		"WHERE id = :id",
		":state s :culprit s :conf d :note s :at s :id I", state,
		culprit, confidence, note,
		strcmp(state, "running") ? now(ts) : NULL, id);
}

int bisectlog_set_rates(struct store *st, long long id, double p0, double p1)
{
	return store_exec(st, "UPDATE bisects SET p0 = :p0, p1 = :p1 WHERE "
			  "id = :id", ":p0 d :p1 d :id I", p0, p1, id);
}

long long bisectlog_step_open(struct store *st, long long bisect_id,
			      const char *commit, const char *role)
{
	char ts[32];
	long long id;

	id = store_query_int(st, 0,
		"SELECT id FROM bisect_steps WHERE bisect_id = :b AND "
		"commit_id = :c AND role = :role AND decision IS NULL "
		"ORDER BY id DESC LIMIT 1", ":b I :c s :role s", bisect_id,
		commit, role);
	if (id > 0)
		return id;
	if (store_exec(st, "INSERT INTO bisect_steps(bisect_id, commit_id, "
		       "role, created_at) VALUES (:b, :c, :role, :now)",
		       ":b I :c s :role s :now s", bisect_id, commit, role,
		       now(ts)))
		return -1;
	return store_last_id(st);
}

int bisectlog_step_run(struct store *st, long long step_id, long long run_id)
{
	return store_exec(st, "UPDATE bisect_steps SET run_id = :run WHERE "
			  "id = :id", ":run I :id I", run_id, step_id);
}

int bisectlog_step_finish(struct store *st, long long step_id, long runs,
			  long failures, long errors, const char *decision,
			  int has_confidence, double confidence)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_prepare(st,
		"UPDATE bisect_steps SET runs = :runs, failures = :fails, "
		"errors = :errs, decision = :decision, confidence = :conf "
		"WHERE id = :id", ":runs I :fails I :errs I :decision s :id I",
		(long long)runs, (long long)failures, (long long)errors,
		decision, step_id);
	if (!stmt)
		return -1;
	if (has_confidence)
		sqlite3_bind_double(stmt, sqlite3_bind_parameter_index(stmt,
				    ":conf"), confidence);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : error("%s: %s", st->path,
					     sqlite3_errmsg(st->db));
}

/* Reads for a running bisect ----------------------------------------------------- */

int bisectlog_step_decided(struct store *st, long long bisect_id,
			   const char *commit, const char *role,
			   struct bisectlog_step *s)
{
	sqlite3_stmt *stmt;
	int found = 0;

	memset(s, 0, sizeof(*s));
	stmt = store_prepare(st,
		"SELECT id, runs, failures, errors, decision, confidence "
		"FROM bisect_steps WHERE bisect_id = :b AND commit_id = :c AND "
		"(:role IS NULL OR role = :role) AND decision IS NOT NULL "
		"ORDER BY id DESC LIMIT 1", ":b I :c s :role s", bisect_id,
		commit, role);
	if (!stmt)
		return 0;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		s->id = sqlite3_column_int64(stmt, 0);
		s->runs = sqlite3_column_int(stmt, 1);
		s->failures = sqlite3_column_int(stmt, 2);
		s->errors = sqlite3_column_int(stmt, 3);
		s->decision = dup_col(stmt, 4);
		s->has_confidence = sqlite3_column_type(stmt, 5) != SQLITE_NULL;
		s->confidence = sqlite3_column_double(stmt, 5);
		found = 1;
	}
	sqlite3_finalize(stmt);
	return found;
}

size_t bisectlog_confidences(struct store *st, long long bisect_id,
			     double **out)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT confidence FROM bisect_steps WHERE bisect_id = :b AND "
		"role IN ('step', 'confirm') AND decision IN ('good', 'bad') "
		"ORDER BY id", ":b I", bisect_id);

	*out = NULL;
	return stmt ? store_collect_doubles(stmt, out) : 0;
}

char *bisectlog_image_sha1(struct store *st, long long bisect_id,
			   const char *commit)
{
	return store_query_str(st,
		"SELECT k.image_sha1 FROM runs r JOIN kernels k ON "
		"k.id = r.kernel_id WHERE r.bisect_id = :b AND r.commit_id = :c "
		"AND k.image_sha1 IS NOT NULL ORDER BY r.id DESC LIMIT 1",
		":b I :c s", bisect_id, commit);
}
