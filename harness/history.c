/*
 * history.c - builds the ordered per-position counts change point
 * detection reads (see history.h): walks a branch's first-parent line
 * with libgit2, keeps the commits something ran on, and pools each
 * commit's iterations per test and pooling key (the counts through
 * record_position_counts, record_pool.c). Reads only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "history.h"
#include "record.h"
#include "tree.h"
#include "util.h"

struct id_index {
	const char *id;
	size_t pos;
};

static int id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct id_index *)a)->id,
		      ((const struct id_index *)b)->id);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The tested commits on ref's first-parent line, oldest first. */
static int walk(struct tree *t, const char *ref, char **tested, size_t ntested,
		struct history *h)
{
	git_revwalk *w = NULL;
	git_oid tip, oid;
	size_t walked = 0, alloc = 0, i;
	int ret = -1;

	if (tree_resolve(t, ref, &tip))
		return -1;
	if (git_revwalk_new(&w, t->repo) || git_revwalk_push(w, &tip) ||
	    git_revwalk_simplify_first_parent(w)) {
		error("%s: cannot walk %s: %s", t->source, ref,
		      tree_git_error());
		goto out;
	}
	while (h->npos < ntested && walked++ < HISTORY_MAX_WALK &&
	       !git_revwalk_next(&oid, w)) {
		const char *hex = tree_oid_hex(&oid);

		if (!bsearch(&hex, tested, ntested, sizeof(*tested), str_cmp))
			continue;
		ALLOC_GROW(h->pos, h->npos, alloc);
		h->pos[h->npos++] = xstrdup(hex);
	}
	for (i = 0; i < h->npos / 2; i++) {
		char *tmp = h->pos[i];

		h->pos[i] = h->pos[h->npos - 1 - i];
		h->pos[h->npos - 1 - i] = tmp;
	}
	ret = 0;
out:
	git_revwalk_free(w);
	return ret;
}

static struct history_series *series_for(struct history *h, const char *test,
					 const char *suite, const char *pool)
{
	struct history_series *s;
	size_t i;

	for (i = h->nseries; i > 0; i--) {
		s = &h->series[i - 1];
		if (!strcmp(s->test, test) && !strcmp(s->suite, suite) &&
		    !strcmp(s->pool, pool))
			return s;
	}
	ALLOC_GROW(h->series, h->nseries, h->series_alloc);
	s = &h->series[h->nseries++];
	memset(s, 0, sizeof(*s));
	s->test = xstrdup(test);
	s->suite = xstrdup(suite);
	s->pool = xstrdup(pool);
	s->v = xcalloc(h->npos ? h->npos : 1, sizeof(*s->v));
	return s;
}

/* Each series' latest run: how it was started and with what fragments. */
static void series_details(struct store *st, struct history *h)
{
	size_t i;

	for (i = 0; i < h->nseries; i++) {
		struct history_series *s = &h->series[i];
		sqlite3_stmt *stmt;

		stmt = store_prepare(st, "SELECT argv, fragments FROM runs "
				     "WHERE id = :id", ":id I", s->last_run);
		if (!stmt)
			continue;
		if (sqlite3_step(stmt) == SQLITE_ROW) {
			s->test_arg = history_test_arg(store_col_text(stmt, 0),
						       s->test, s->suite);
			if (sqlite3_column_type(stmt, 1) != SQLITE_NULL)
				s->fragments = xstrdup(store_col_text(stmt, 1));
		}
		sqlite3_finalize(stmt);
	}
}

/* Adds one position's counts (record_position_counts) to its series. */
struct count_ctx {
	struct history *h;
	struct id_index *idx;	/* git: positions by id, sorted */
	char *last;		/* NIPA: the previous branch ... */
	long pos;		/* ... and its position */
};

static void add_count(void *data, const struct record_position_count *c)
{
	struct count_ctx *x = data;
	struct history_series *s;
	long pos;

	if (x->idx) {
		struct id_index key = { c->position, 0 }, *hit;

		hit = bsearch(&key, x->idx, x->h->npos, sizeof(*x->idx),
			      id_cmp);
		pos = hit ? (long)hit->pos : -1;
	} else {
		if (!x->last || strcmp(x->last, c->position)) {
			x->pos = history_find(x->h, c->position);
			free(x->last);
			x->last = xstrdup(c->position);
		}
		pos = x->pos;
	}
	if (pos < 0 || !c->runs)
		return;
	s = series_for(x->h, c->test, c->suite, c->line);
	s->v[pos].fails += c->failures;
	s->v[pos].runs += c->runs;
	if (c->last_run > s->last_run)
		s->last_run = c->last_run;
}

static int load_counts(struct store *st, struct history *h, const char *test)
{
	struct record_position_query q = { .tree_id = h->tree_id,
					   .test = test };
	struct count_ctx x = { .h = h, .pos = -1 };
	size_t i;
	int ret;

	x.idx = xcalloc(h->npos ? h->npos : 1, sizeof(*x.idx));
	for (i = 0; i < h->npos; i++)
		x.idx[i] = (struct id_index){ h->pos[i], i };
	qsort(x.idx, h->npos, sizeof(*x.idx), id_cmp);
	ret = record_position_counts(st, &q, add_count, &x);
	free(x.idx);
	if (!ret)
		series_details(st, h);
	return ret;
}

int history_load_git(struct store *st, struct tree *t, long long tree_id,
		     const char *ref, const char *test, struct history *h)
{
	char **tested;
	int ntested, ret;

	memset(h, 0, sizeof(*h));
	h->axis = HISTORY_AXIS_GIT;
	h->tree_id = tree_id;
	h->branch = xstrdup(ref);
	ntested = record_tested_commits(st, tree_id, &tested);
	if (ntested < 0)
		return -1;
	ret = walk(t, ref, tested, (size_t)ntested, h);
	if (!ret)
		ret = load_counts(st, h, test);
	record_strings_release(tested, ntested);
	return ret;
}

/*
 * NIPA: the stream's branches in date order are the positions; each
 * (remote, executor) that ran them is a pool of its own (the runs'
 * executor, "nipa:REMOTE/EXECUTOR").
 */
int history_load_nipa(struct store *st, const char *stream, const char *test,
		      struct history *h)
{
	struct record_position_query q = { .nipa_stream = stream,
					   .test = test };
	struct count_ctx x = { .h = h, .pos = -1 };
	sqlite3_stmt *stmt;
	size_t alloc = 0;
	int ret;

	memset(h, 0, sizeof(*h));
	h->axis = HISTORY_AXIS_NIPA;
	h->branch = xstrdup(stream);
	stmt = store_prepare(st, "SELECT DISTINCT branch FROM imports WHERE "
			     "source = 'nipa' AND stream = :stream ORDER BY "
			     "branch_date, branch", ":stream s", stream);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(h->pos, h->npos, alloc);
		h->pos[h->npos++] = xstrdup(store_col_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	ret = record_position_counts(st, &q, add_count, &x);
	free(x.last);
	return ret;
}

long history_find(const struct history *h, const char *id)
{
	size_t i;

	if (!id)
		return -1;
	for (i = 0; i < h->npos; i++)
		if (!strcmp(h->pos[i], id))
			return (long)i;
	return -1;
}

void history_release(struct history *h)
{
	size_t i;

	for (i = 0; i < h->npos; i++)
		free(h->pos[i]);
	free(h->pos);
	for (i = 0; i < h->nseries; i++) {
		free(h->series[i].test);
		free(h->series[i].suite);
		free(h->series[i].pool);
		free(h->series[i].test_arg);
		free(h->series[i].fragments);
		free(h->series[i].v);
	}
	free(h->series);
	free(h->branch);
	memset(h, 0, sizeof(*h));
}

/* Does --test value arg name test (of suite)? */
static int arg_names(const char *arg, const char *test, const char *suite)
{
	const char *colon = strchr(arg, ':'), *slash = strrchr(arg, '/');

	if (!strcmp(suite, "path"))
		return slash && !strcmp(slash + 1, test);
	if (colon && !slash)
		return !strncmp(arg, suite, (size_t)(colon - arg)) &&
		       strlen(suite) == (size_t)(colon - arg) &&
		       !strcmp(colon + 1, test);
	return !strcmp(arg, test);
}

char *history_test_arg(const char *argv_json, const char *test,
		       const char *suite)
{
	json_t *argv = json_loads(argv_json ? argv_json : "", 0, NULL);
	char *found = NULL;
	size_t i;

	for (i = 0; json_is_array(argv) && i < json_array_size(argv); i++) {
		const char *a = json_string_value(json_array_get(argv, i));
		const char *v = NULL;

		if (!a)
			continue;
		if (!strcmp(a, "--test"))
			v = json_string_value(json_array_get(argv, i + 1));
		else if (!strncmp(a, "--test=", 7))
			v = a + 7;
		if (v && arg_names(v, test, suite)) {
			found = xstrdup(v);
			break;
		}
	}
	json_decref(argv);
	if (!found && strcmp(suite, "path"))
		found = xasprintf("%s:%s", suite, test);
	return found;
}
