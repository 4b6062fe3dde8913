/*
 * workq.c - owns the ci_items and ci_item_runs tables (see workq.h).
 * Every state change is one statement, so a kill leaves an item in a
 * state the next start understands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "strbuf.h"
#include "workq.h"
#include "util.h"

void workq_item_release(struct workq_item *it)
{
	free(it->plan);
	free(it->key);
	free(it->kconfig_set);
	free(it->kind);
	free(it->tree);
	free(it->ref);
	free(it->commit);
	free(it->state);
	memset(it, 0, sizeof(*it));
}

int workq_add(struct store *st, const struct workq_item *it)
{
	char ts[32];
	int before = sqlite3_total_changes(st->db);

	if (store_exec(st,
		"INSERT INTO ci_items(plan, key, kconfig_set, kind, priority, "
		"series_id, tree, ref, commit_id, state, created_at) VALUES "
		"(:plan, :key, :kset, :kind, :prio, NULLIF(:series, 0), :tree, "
		":ref, :commit, 'queued', :now) ON CONFLICT(plan, key, "
		"kconfig_set) DO NOTHING",
		":plan s :key s :kset s :kind s :prio i :series I :tree s "
		":ref s :commit s :now s", it->plan, it->key, it->kconfig_set,
		it->kind, strcmp(it->kind, "series") ? WORKQ_PRIO_REF
						     : WORKQ_PRIO_SERIES,
		it->series_id, it->tree, it->ref, it->commit,
		util_iso8601(util_wallclock(), ts)))
		return -1;
	return sqlite3_total_changes(st->db) != before;
}

int workq_recover(struct store *st)
{
	long long n;

	if (store_begin(st))
		return -1;
	store_exec(st, "UPDATE ci_items SET state = 'failed', pid = NULL, "
		   "error = printf('interrupted %d times; not retried', "
		   "attempts), finished_at = :now WHERE state = 'running' AND "
		   "attempts >= :max", ":now s :max i",
		   util_iso8601(util_wallclock(), (char[32]){ 0 }),
		   WORKQ_MAX_ATTEMPTS);
	n = store_query_int(st, 0, "SELECT count(*) FROM ci_items WHERE "
			    "state = 'running'", "");
	store_exec(st, "UPDATE ci_items SET state = 'queued', pid = NULL, "
		   "error = 'interrupted (the ci running it is gone); resumed' "
		   "WHERE state = 'running'", "");
	if (store_commit(st)) {
		store_rollback(st);
		return -1;
	}
	return (int)n;
}

static char *col_dup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return s ? xstrdup((const char *)s) : NULL;
}

int workq_claim(struct store *st, const char *plan, struct workq_item *it)
{
	char host[256] = "";
	sqlite3_stmt *stmt;
	char ts[32];
	int found = 0;

	memset(it, 0, sizeof(*it));
	stmt = store_prepare(st,
		"SELECT id, plan, key, kconfig_set, kind, coalesce(series_id, 0), "
		"tree, ref, commit_id, attempts FROM ci_items WHERE plan = :plan "
		"AND state = 'queued' ORDER BY priority, id LIMIT 1",
		":plan s", plan);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		it->id = sqlite3_column_int64(stmt, 0);
		it->plan = col_dup(stmt, 1);
		it->key = col_dup(stmt, 2);
		it->kconfig_set = col_dup(stmt, 3);
		it->kind = col_dup(stmt, 4);
		it->series_id = sqlite3_column_int64(stmt, 5);
		it->tree = col_dup(stmt, 6);
		it->ref = col_dup(stmt, 7);
		it->commit = col_dup(stmt, 8);
		it->attempts = sqlite3_column_int(stmt, 9) + 1;
		it->state = xstrdup("running");
		found = 1;
	}
	sqlite3_finalize(stmt);
	if (!found)
		return 0;
	gethostname(host, sizeof(host) - 1);
	if (store_exec(st, "UPDATE ci_items SET state = 'running', attempts = "
		       "attempts + 1, pid = :pid, host = :host, started_at = "
		       ":now, finished_at = NULL WHERE id = :id",
		       ":pid i :host s :now s :id I", (int)getpid(), host,
		       util_iso8601(util_wallclock(), ts), it->id)) {
		workq_item_release(it);
		return -1;
	}
	return 1;
}

int workq_finish(struct store *st, long long id, const char *state,
		 const char *result, const char *error)
{
	char ts[32];

	return store_exec(st, "UPDATE ci_items SET state = :state, result = "
			  "coalesce(:result, result), error = :error, pid = "
			  "NULL, finished_at = :now WHERE id = :id",
			  ":state s :result s :error s :now s :id I", state,
			  result, error, util_iso8601(util_wallclock(), ts), id);
}

int workq_requeue(struct store *st, long long id, const char *why,
		  int count_attempt)
{
	return store_exec(st, "UPDATE ci_items SET state = 'queued', pid = "
			  "NULL, error = :why, attempts = max(attempts - "
			  ":uncount, 0) WHERE id = :id", ":why s :uncount i "
			  ":id I", why, count_attempt ? 0 : 1, id);
}

int workq_link_run(struct store *st, long long id, long long run_id)
{
	return store_exec(st, "INSERT OR IGNORE INTO ci_item_runs(item_id, "
			  "run_id) VALUES (:item, :run)", ":item I :run I", id,
			  run_id);
}

int workq_counts(struct store *st, long long id, struct workq_count **out)
{
	sqlite3_stmt *stmt;
	size_t n = 0, alloc = 0;

	*out = NULL;
	stmt = store_prepare(st,
		"SELECT i.test, count(*), "
		"sum(i.outcome IN ('fail', 'stall', 'crash')), "
		"sum(i.outcome NOT IN ('error', 'skip')) FROM iterations i "
		"JOIN ci_item_runs l ON l.run_id = i.run_id WHERE "
		"l.item_id = :id GROUP BY i.test ORDER BY i.test", ":id I", id);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct workq_count *c;

		ALLOC_GROW(*out, n, alloc);
		c = &(*out)[n++];
		c->test = col_dup(stmt, 0);
		c->iterations = (long)sqlite3_column_int64(stmt, 1);
		c->failures = (long)sqlite3_column_int64(stmt, 2);
		c->runs = (long)sqlite3_column_int64(stmt, 3);
	}
	sqlite3_finalize(stmt);
	return (int)n;
}

void workq_counts_release(struct workq_count *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(c[i].test);
	free(c);
}

long long workq_last_run(struct store *st, long long id, const char *commit)
{
	return store_query_int(st, 0, "SELECT max(r.id) FROM ci_item_runs l "
			       "JOIN runs r ON r.id = l.run_id WHERE l.item_id "
			       "= :id AND r.commit_id = :commit AND r.kernel_id "
			       "IS NOT NULL", ":id I :commit s", id, commit);
}

long long workq_count_all(struct store *st)
{
	return store_query_int(st, 0, "SELECT count(*) FROM ci_items", "");
}

int workq_pools(struct store *st, const char *plan, int max,
		struct pool_key **out)
{
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st, "SELECT " POOL_RUN_COLUMNS " FROM "
		"runs r JOIN ci_item_runs l ON l.run_id = r.id JOIN "
		"ci_items c ON c.id = l.item_id WHERE (:plan IS NULL OR "
		"c.plan = :plan) AND r.kernel_id IS NOT NULL GROUP BY "
		POOL_RUN_COLUMNS " ORDER BY min(r.id) LIMIT :max",
		":plan s :max i", plan, max);
	return pool_key_list_read(stmt, out);
}

char *workq_commit_label(struct store *st, const char *commit)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *stmt;

	stmt = store_prepare(st,
		"SELECT DISTINCT coalesce(tree || ' ', '') || ref || '@' || "
		"substr(commit_id, 1, 12) FROM ci_items WHERE kind = 'ref' AND "
		"commit_id = :c UNION ALL SELECT DISTINCT printf('series %d "
		"''%.40s''', id, coalesce(subject, '')) FROM series WHERE "
		"result_commit = :c UNION ALL SELECT DISTINCT printf('base of "
		"series %d', id) FROM series WHERE base_commit = :c AND "
		"result_commit IS NOT NULL AND id IN (SELECT series_id FROM "
		"ci_items) LIMIT 4", ":c s", commit);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW)
		strbuf_addf(&sb, "%s%s", sb.len ? " / " : "",
			    store_col_text(stmt, 0));
	sqlite3_finalize(stmt);
	if (!sb.len) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

long long workq_count_state(struct store *st, const char *plan,
			    const char *state)
{
	return store_query_int(st, 0, "SELECT count(*) FROM ci_items WHERE "
			       "(:plan IS NULL OR plan = :plan) AND state = "
			       ":state", ":plan s :state s", plan, state);
}

/* "series 12 'net: fix x' v2" or "linux-source-6.1 master@0123456789ab". */
static char *describe(sqlite3_stmt *stmt)
{
	const char *kind = store_col_text(stmt, 1);

	if (!strcmp(kind, "series"))
		return xasprintf("series %lld '%.50s'",
				 (long long)sqlite3_column_int64(stmt, 2),
				 store_col_text(stmt, 3));
	return xasprintf("%s %s@%.12s", sqlite3_column_type(stmt, 4) ==
			 SQLITE_NULL ? "default" : store_col_text(stmt, 4),
			 store_col_text(stmt, 5), store_col_text(stmt, 6));
}

int workq_print(struct store *st, const char *plan, int json, int limit)
{
	json_t *arr = json_array();
	sqlite3_stmt *stmt;
	int n = 0;

	stmt = store_prepare(st,
		"SELECT c.id, c.kind, coalesce(c.series_id, 0), "
		"coalesce(s.subject, ''), c.tree, c.ref, c.commit_id, "
		"c.kconfig_set, c.state, c.attempts, coalesce(c.started_at, ''), "
		"coalesce(c.finished_at, ''), coalesce(c.error, ''), c.plan, "
		"c.created_at, c.pid FROM ci_items c LEFT JOIN series s ON "
		"s.id = c.series_id WHERE (:plan IS NULL OR c.plan = :plan) "
		"ORDER BY c.state = 'running' DESC, c.state = 'queued' DESC, "
		"c.priority, c.id DESC LIMIT :limit", ":plan s :limit i", plan,
		limit);
	if (!stmt) {
		json_decref(arr);
		return -1;
	}
	if (!json)
		printf("%5s  %-8s %-46s %-8s %-7s %3s  %-20s  %s\n", "ITEM",
		       "PLAN", "WHAT", "KCONFIG", "STATE", "TRY", "FINISHED",
		       "NOTE");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		char *what = describe(stmt);

		n++;
		if (json) {
			json_array_append_new(arr, json_pack(
				"{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s}",
				"id", (json_int_t)sqlite3_column_int64(stmt, 0),
				"plan", store_col_text(stmt, 13),
				"kind", store_col_text(stmt, 1), "what", what,
				"kconfig_set", store_col_text(stmt, 7),
				"state", store_col_text(stmt, 8),
				"attempts", sqlite3_column_int(stmt, 9),
				"created_at", store_col_text(stmt, 14),
				"started_at", store_col_text(stmt, 10),
				"finished_at", store_col_text(stmt, 11),
				"error", store_col_text(stmt, 12)));
		} else {
			printf("%5lld  %-8.8s %-46.46s %-8.8s %-7s %3d  %-20s  "
			       "%.60s\n", (long long)sqlite3_column_int64(stmt, 0),
			       store_col_text(stmt, 13), what,
			       store_col_text(stmt, 7), store_col_text(stmt, 8),
			       sqlite3_column_int(stmt, 9),
			       store_col_text(stmt, 11), store_col_text(stmt, 12));
		}
		free(what);
	}
	sqlite3_finalize(stmt);
	if (json) {
		char *s = json_dumps(arr, JSON_COMPACT);

		puts(s);
		free(s);
	} else if (!n) {
		printf("(the queue is empty)\n");
	}
	json_decref(arr);
	return 0;
}

char *workq_failed_build(struct store *st, long long id)
{
	return store_query_str(st, "SELECT k.commit_id FROM runs r JOIN "
		"ci_item_runs l ON l.run_id = r.id JOIN kernels k ON "
		"k.id = r.kernel_id WHERE l.item_id = :id AND k.state = "
		"'failed' ORDER BY r.id DESC LIMIT 1", ":id I", id);
}
