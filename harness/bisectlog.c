/*
 * bisectlog.c - typed reads of the bisects and bisect_steps tables (see
 * bisectlog.h).
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

void bisectlog_steps_release(struct bisectlog_step *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].commit_id);
		free(v[i].role);
		free(v[i].decision);
		free(v[i].image_sha1);
		free(v[i].created_at);
	}
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
