/*
 * record_pool.c - reads of the run record by pooling key and by line
 * (pool.h): a pool's score and sub-case scores, its tests, sub-cases and
 * printed values, kernels built alike, and the per-position counts a
 * change-point history reads. The series comparison, the matrix and
 * alerts read through these (see the "Pools" part of record.h).
 */
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "util.h"

/* Iterations of key's pool: first attempts only, as every score. */
#define POOL_FROM \
	" FROM iterations i JOIN runs r ON r.id = i.run_id WHERE " \
	POOL_MATCH_TEST " AND " POOL_MATCH_KERNEL " AND i.retry = 0" \
	" AND (:finished = 0 OR r.state IN ('done', 'interrupted'))"

/*
 * Prepare sql and bind k's :pool_* parameters, :finished from flags and
 * the one extra parameter :name (text) or :max (int) when sql has it.
 */
static sqlite3_stmt *pool_stmt(struct store *st, const struct pool_key *k,
			       unsigned flags, const char *sql,
			       const char *name, int max)
{
	sqlite3_stmt *stmt = store_prepare(st, sql, "");
	int fin, nm, mx;

	if (!stmt)
		return NULL;
	fin = sqlite3_bind_parameter_index(stmt, ":finished");
	nm = sqlite3_bind_parameter_index(stmt, ":name");
	mx = sqlite3_bind_parameter_index(stmt, ":max");
	if (pool_bind(stmt, k) ||
	    (fin && sqlite3_bind_int(stmt, fin, !!(flags &
						   RECORD_POOL_FINISHED))) ||
	    (nm && sqlite3_bind_text(stmt, nm, name, -1, SQLITE_TRANSIENT)) ||
	    (mx && sqlite3_bind_int(stmt, mx, max))) {
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

int record_pool_score(struct store *st, const struct pool_key *k,
		      unsigned flags, struct score *s)
{
	sqlite3_stmt *stmt;

	memset(s, 0, sizeof(*s));
	stmt = pool_stmt(st, k, flags, "SELECT i.outcome, count(*)" POOL_FROM
			 " GROUP BY i.outcome", NULL, 0);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		int o = record_outcome_parse(store_col_text(stmt, 0));

		s->counts[o < 0 ? OUTCOME_ERROR : o] +=
			(long)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	score_finish(s);
	return 0;
}

int record_pool_subscore(struct store *st, const struct pool_key *k,
			 unsigned flags, const char *name, struct score *s)
{
	sqlite3_stmt *stmt;

	memset(s, 0, sizeof(*s));
	stmt = pool_stmt(st, k, flags,
		"SELECT coalesce(sum(s.outcome IN ('pass', 'xfail')), 0), "
		"coalesce(sum(s.outcome IN ('fail', 'error')), 0), "
		"coalesce(sum(s.outcome = 'skip'), 0), "
		"coalesce(sum(s.outcome = 'timeout'), 0), count(*)"
		" FROM subresults s JOIN iterations i ON i.id = s.iteration_id"
		" JOIN runs r ON r.id = i.run_id WHERE " POOL_MATCH_TEST " AND "
		POOL_MATCH_KERNEL " AND i.retry = 0 AND (:finished = 0 OR "
		"r.state IN ('done', 'interrupted')) AND s.name = :name", name, 0);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		long known = 0;
		int o;

		/* Sub-case outcomes as the kept sub-case tallies map them. */
		s->counts[OUTCOME_PASS] = (long)sqlite3_column_int64(stmt, 0);
		s->counts[OUTCOME_FAIL] = (long)sqlite3_column_int64(stmt, 1);
		s->counts[OUTCOME_SKIP] = (long)sqlite3_column_int64(stmt, 2);
		s->counts[OUTCOME_STALL] = (long)sqlite3_column_int64(stmt, 3);
		for (o = 0; o < OUTCOME_NR; o++)
			known += s->counts[o];
		s->counts[OUTCOME_ERROR] =
			(long)sqlite3_column_int64(stmt, 4) - known;
	}
	sqlite3_finalize(stmt);
	score_finish(s);
	return 0;
}

int record_pool_subcases(struct store *st, const struct pool_key *k,
			 int max, char ***names)
{
	sqlite3_stmt *stmt;
	char **v = NULL;
	size_t n = 0, alloc = 0;

	*names = NULL;
	stmt = pool_stmt(st, k, 0,
		"SELECT s.name FROM subresults s JOIN iterations i ON "
		"i.id = s.iteration_id JOIN runs r ON r.id = i.run_id WHERE "
		POOL_MATCH_TEST " AND " POOL_MATCH_KERNEL " AND i.retry = 0 "
		"GROUP BY s.name ORDER BY min(s.id) "
		"LIMIT :max", NULL, max);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		v[n++] = xstrdup(store_col_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	*names = v;
	return (int)n;
}

void record_strings_release(char **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int record_pool_tests(struct store *st, const struct pool_key *k, int max,
		      struct record_test_name **out)
{
	struct record_test_name *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = pool_stmt(st, k, 0,
		"SELECT i.test, i.suite FROM iterations i JOIN runs r ON "
		"r.id = i.run_id WHERE " POOL_MATCH_KERNEL " AND i.retry = 0 "
		"GROUP BY i.test, i.suite "
		"ORDER BY min(i.id) LIMIT :max", NULL, max);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		v[n].test = xstrdup(store_col_text(stmt, 0));
		v[n++].suite = xstrdup(store_col_text(stmt, 1));
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void record_test_names_release(struct record_test_name *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].test);
		free(v[i].suite);
	}
	free(v);
}

int record_pool_outputs(struct store *st, const struct pool_key *k,
			const char *needle,
			void (*fn)(void *data, const char *output), void *data)
{
	sqlite3_stmt *stmt;

	stmt = pool_stmt(st, k, 0, "SELECT i.output" POOL_FROM
			 " AND instr(i.output, :name) > 0 ORDER BY i.id",
			 needle, 0);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW)
		fn(data, store_col_text(stmt, 0));
	sqlite3_finalize(stmt);
	return 0;
}

long record_pool_runs(struct store *st, const struct pool_key *k)
{
	sqlite3_stmt *stmt;
	long n = -1;

	stmt = pool_stmt(st, k, 0, "SELECT count(*) FROM runs r WHERE "
			 POOL_MATCH_KERNEL, NULL, 0);
	if (stmt && sqlite3_step(stmt) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

int record_pools_latest(struct store *st, int max, struct pool_key **out)
{
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st, "SELECT * FROM (SELECT " POOL_RUN_COLUMNS
			     ", max(r.id) AS last FROM runs r WHERE "
			     "r.kernel_id IS NOT NULL GROUP BY "
			     POOL_RUN_COLUMNS " ORDER BY last DESC LIMIT :max) "
			     "ORDER BY last", ":max i", max);
	return pool_key_list_read(stmt, out);
}

void record_pool_keys_release(struct pool_key *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		pool_key_release(&v[i]);
	free(v);
}

/* Kernels --------------------------------------------------------------- */

char *record_kernel_commit(struct store *st, long long kernel_id)
{
	return store_query_str(st, "SELECT commit_id FROM kernels WHERE "
			       "id = :id", ":id I", kernel_id);
}

long long record_kernel_alike(struct store *st, long long kernel_id,
			      const char *commit)
{
	return store_query_int(st, 0,
		"SELECT b.id FROM kernels b JOIN kernels s ON s.id = :kernel "
		"WHERE b.commit_id = :commit AND b.tree_id = s.tree_id AND "
		"b.config_hash = s.config_hash AND b.compiler = s.compiler AND "
		"b.state = 'ok' ORDER BY b.id DESC LIMIT 1",
		":kernel I :commit s", kernel_id, commit);
}

long long record_series_base_kernel(struct store *st, long long kernel_id)
{
	return store_query_int(st, 0,
		"SELECT b.id FROM kernels s JOIN series x ON "
		"x.result_commit = s.commit_id JOIN kernels b ON "
		"b.commit_id = x.base_commit AND b.tree_id = s.tree_id "
		"AND b.config_hash = s.config_hash AND b.compiler = "
		"s.compiler AND b.state = 'ok' WHERE s.id = :k ORDER BY "
		"b.id DESC LIMIT 1", ":k I", kernel_id);
}

int record_kernels_differ_config(struct store *st, long long a, long long b)
{
	return store_query_int(st, 0, "SELECT count(DISTINCT config_hash) "
			       "FROM kernels WHERE id IN (:a, :b)",
			       ":a I :b I", a, b) > 1;
}

/* Histories ------------------------------------------------------------- */

int record_tested_commits(struct store *st, long long tree_id, char ***out)
{
	sqlite3_stmt *stmt;
	char **v = NULL;
	size_t n = 0, alloc = 0;

	*out = NULL;
	stmt = store_prepare(st, "SELECT DISTINCT commit_id FROM runs WHERE "
			     "tree_id = :tree AND commit_id IS NOT NULL "
			     "ORDER BY commit_id", ":tree I", tree_id);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		v[n++] = xstrdup(store_col_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

/*
 * Failures are fail + stall + crash; runs add the passes (skip and error
 * say nothing about the kernel); first attempts only.
 */
#define POSITION_COUNTS \
	POOL_LINE_JSON " AS line, " \
	"sum(i.outcome IN ('fail', 'stall', 'crash')), " \
	"sum(i.outcome IN ('pass', 'fail', 'stall', 'crash')), max(r.id)"

int record_position_counts(struct store *st,
			   const struct record_position_query *q,
			   void (*fn)(void *data,
				      const struct record_position_count *c),
			   void *data)
{
	sqlite3_stmt *stmt;

	if (q->nipa_stream)
		stmt = store_prepare(st,
			"SELECT m.branch, i.test, i.suite, " POSITION_COUNTS
			" FROM imports m JOIN runs r ON r.id = m.run_id "
			"JOIN iterations i ON i.run_id = r.id WHERE "
			"m.source = 'nipa' AND m.stream = :stream AND "
			"i.retry = 0 AND (:test IS NULL OR i.test = :test) "
			"GROUP BY m.branch, i.test, i.suite, line "
			"ORDER BY m.branch", ":stream s :test s",
			q->nipa_stream, q->test);
	else
		stmt = store_prepare(st,
			"SELECT r.commit_id, i.test, i.suite, " POSITION_COUNTS
			" FROM iterations i JOIN runs r ON r.id = i.run_id "
			"WHERE r.tree_id = :tree AND r.commit_id IS NOT NULL "
			"AND i.retry = 0 AND (:test IS NULL OR i.test = :test) "
			"GROUP BY r.commit_id, i.test, i.suite, line "
			"ORDER BY i.test, i.suite, line", ":tree I :test s",
			q->tree_id, q->test);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct record_position_count c = {
			.position = store_col_text(stmt, 0),
			.test = store_col_text(stmt, 1),
			.suite = store_col_text(stmt, 2),
			.line = store_col_text(stmt, 3),
			.failures = (long)sqlite3_column_int64(stmt, 4),
			.runs = (long)sqlite3_column_int64(stmt, 5),
			.last_run = sqlite3_column_int64(stmt, 6),
		};

		fn(data, &c);
	}
	sqlite3_finalize(stmt);
	return 0;
}
