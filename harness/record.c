/*
 * record.c - writes runs, boots and iterations, and tallies iterations
 * per test for scoring. Each write is a single statement (atomic on its
 * own); callers group related writes in store_begin/store_commit.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ktap.h"
#include "artefact.h"
#include "pool.h"
#include "record.h"
#include "stats.h"
#include "utf8.h"
#include "util.h"

static const char *now_iso(char buf[32])
{
	return util_iso8601(util_wallclock(), buf);
}

/* Binds 0 ids as NULL so foreign keys stay valid. */
static int bind_id(sqlite3_stmt *stmt, int col, long long id)
{
	return id ? sqlite3_bind_int64(stmt, col, id)
		  : sqlite3_bind_null(stmt, col);
}

long long record_tree_id(struct store *st, const char *source,
			 const char *path)
{
	char ts[32];

	store_exec(st, "INSERT OR IGNORE INTO trees(source, path, created_at) "
		   "VALUES (?, ?, ?)", "sss", source, path, now_iso(ts));
	return store_query_int(st, 0, "SELECT id FROM trees WHERE source = ?",
			       "s", source);
}

long long record_kernel_save(struct store *st, const struct record_kernel *k)
{
	char ts[32];

	/* A reuse (0 s) keeps the time of the build that made the image. */
	store_exec(st,
		"INSERT INTO kernels(tree_id, commit_id, config_hash, compiler, "
		"cache_key, fragments, config, config_warnings, state, "
		"image_path, image_sha1, build_seconds, build_log, error, "
		"created_at) VALUES (:tree, :commit, :config_hash, :compiler, "
		":key, :fragments, :config, :warnings, :state, :image, :sha1, "
		":seconds, :log, :error, :now) "
		"ON CONFLICT(cache_key) DO UPDATE SET state = excluded.state, "
		"image_path = excluded.image_path, image_sha1 = "
		"excluded.image_sha1, error = excluded.error, build_seconds = "
		"CASE WHEN excluded.build_seconds > 0 THEN "
		"excluded.build_seconds ELSE build_seconds END, build_log = "
		"excluded.build_log",
		":tree I :commit s :config_hash s :compiler s :key s "
		":fragments s :config s :warnings s :state s :image s :sha1 s "
		":seconds d :log s :error s :now s",
		k->tree_id, k->commit_id, k->config_hash,
		k->compiler ? k->compiler : "", k->cache_key,
		k->fragments_json, k->config ? k->config : "",
		k->config_warnings, k->ok ? "ok" : "failed", k->image_path,
		k->image_sha1, k->build_seconds, k->build_log, k->error,
		now_iso(ts));
	return store_query_int(st, 0, "SELECT id FROM kernels WHERE "
			       "cache_key = :key", ":key s", k->cache_key);
}

char *record_json_strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;
	char *s;

	for (i = 0; i < n; i++)
		json_array_append_new(a, utf8_json_str(v[i] ? v[i] : ""));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

long long record_run_create(struct store *st, const struct record_run *r)
{
	char host[256] = "", ts[32];
	sqlite3_stmt *stmt;
	long long id = -1;

	gethostname(host, sizeof(host) - 1);
	stmt = store_prepare(st,
		"INSERT INTO runs(kind, state, ref, commit_id, tests, "
		"iterations, argv, host, pid, started_at, tree_id, kernel_id, "
		"series_id, bisect_id, guest_cpus, guest_mem_mb, kconfig_set, "
		"stress, executor) VALUES (:kind, 'running', :ref, :commit, "
		":tests, :iterations, :argv, :host, :pid, :started, :tree, "
		":kernel, :series, :bisect, :cpus, :mem, :kconfig_set, :stress, "
		":executor)",
		":kind s :ref s :commit s :tests s :iterations i :argv s "
		":host s :pid i :started s :cpus i :mem i :kconfig_set s "
		":stress s :executor s",
		r->kind ? r->kind : "run", r->ref, r->commit_id,
		r->tests_json ? r->tests_json : "[]", r->iterations,
		r->argv_json, host, (int)getpid(), now_iso(ts), r->guest_cpus,
		r->guest_mem_mb, r->kconfig_set ? r->kconfig_set : "",
		r->stress ? r->stress : "",
		r->executor ? r->executor : POOL_EXECUTOR_LOCAL);
	if (!stmt)
		return -1;
	bind_id(stmt, sqlite3_bind_parameter_index(stmt, ":tree"), r->tree_id);
	bind_id(stmt, sqlite3_bind_parameter_index(stmt, ":kernel"),
		r->kernel_id);
	bind_id(stmt, sqlite3_bind_parameter_index(stmt, ":series"),
		r->series_id);
	bind_id(stmt, sqlite3_bind_parameter_index(stmt, ":bisect"),
		r->bisect_id);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		id = store_last_id(st);
	else
		error("%s: cannot create run: %s", st->path,
		      sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return id;
}

int record_run_set_kernel(struct store *st, long long run_id,
			  long long kernel_id)
{
	return store_exec(st, "UPDATE runs SET kernel_id = :kernel "
			  "WHERE id = :run", ":kernel I :run I", kernel_id,
			  run_id);
}

int record_run_set(struct store *st, long long run_id, const char *column,
		   const char *value)
{
	/* Column names are ours, never the user's; still, allow-list them. */
	static const char *const ok[] = {
		"accel", "qemu_cmdline", "commit_id", "ref", "error", "step",
		"fragments", "started_at", "finished_at", "vms", "build_sandbox",
	};
	char *sql;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(ok[i], column))
			break;
	if (i == ARRAY_SIZE(ok))
		return error("record: no settable run column '%s'", column);
	sql = xasprintf("UPDATE runs SET %s = ? WHERE id = ?", ok[i]);
	ret = store_exec(st, sql, "sI", value, run_id);
	free(sql);
	return ret;
}

int record_run_progress(struct store *st, long long run_id, const char *step,
			const char *progress_json)
{
	return store_exec(st, "UPDATE runs SET step = ?, progress = ? "
			  "WHERE id = ?", "ssI", step, progress_json, run_id);
}

int record_run_finish(struct store *st, long long run_id, const char *state,
		      const char *err)
{
	char ts[32];

	return store_exec(st, "UPDATE runs SET state = ?, error = ?, "
			  "finished_at = ?, step = NULL WHERE id = ?", "sssI",
			  state, err, now_iso(ts), run_id);
}

int record_reap_stale(struct store *st)
{
	char host[256] = "";
	sqlite3_stmt *stmt;
	long long ids[64];
	int n = 0, i;

	gethostname(host, sizeof(host) - 1);
	stmt = store_prepare(st, "SELECT id, pid FROM runs WHERE state = "
			     "'running' AND host = ? LIMIT 64", "s", host);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW && n < 64) {
		pid_t pid = (pid_t)sqlite3_column_int(stmt, 1);

		if (pid > 0 && kill(pid, 0) && errno == ESRCH)
			ids[n++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++)
		record_run_finish(st, ids[i], "interrupted",
				  "the kflake process ended without closing "
				  "the run (killed?)");
	return n;
}

long long record_boot_add(struct store *st, const struct record_boot *b)
{
	char ts[32], host[256] = "";
	long long id;

	if (b->attempt) {
		id = store_query_int(st, 0, "SELECT id FROM boots WHERE "
				     "attempt = ?", "s", b->attempt);
		if (id)
			return id;
	}
	if (!b->host)
		gethostname(host, sizeof(host) - 1);
	if (store_exec(st, "INSERT INTO boots(run_id, seq, accel, cmdline, "
		       "console_path, started_at, guest, host, attempt) "
		       "VALUES (?1, CASE WHEN ?2 > 0 THEN ?2 ELSE (SELECT "
		       "coalesce(max(seq), 0) + 1 FROM boots WHERE run_id = ?1) "
		       "END, ?3, ?4, ?5, ?6, nullif(?7, 0), ?8, ?9)",
		       "Iisss" "sis" "s", b->run_id, b->seq, b->accel,
		       b->cmdline, b->console_path, now_iso(ts), b->guest,
		       b->host ? b->host : host, b->attempt))
		return -1;
	return store_last_id(st);
}

long long record_boot_create(struct store *st, long long run_id, int seq,
			     const char *accel, const char *cmdline,
			     const char *console_path)
{
	struct record_boot b = { .run_id = run_id, .seq = seq, .accel = accel,
				 .cmdline = cmdline,
				 .console_path = console_path };

	return record_boot_add(st, &b);
}

int record_boot_finish(struct store *st, long long boot_id,
		       double ready_seconds, const char *end_reason)
{
	char ts[32];
	sqlite3_stmt *stmt;
	int rc;

	stmt = store_prepare(st, "UPDATE boots SET ready_seconds = ?, "
			     "end_reason = ?, finished_at = ? WHERE id = ?",
			     "dssI", ready_seconds, end_reason, now_iso(ts),
			     boot_id);
	if (!stmt)
		return -1;
	if (ready_seconds < 0)
		sqlite3_bind_null(stmt, 1);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The iteration's row in tallies (db/010-tallies.sql), created or added
 * to, in the caller's transaction: the page never re-counts.
 */
static const char tally_add_sql[] =
	"INSERT INTO tallies(test, suite, kernel_id, kconfig_set, "
	"guest_cpus, guest_mem_mb, stress, executor, tree_id, commit_id, "
	"pass, fail, skip, stall, crash, error, stall_seconds, recent, "
	"first_at, last_at, last_failure_at) "
	"SELECT :test, :suite, " POOL_RUN_COLUMNS ", r.tree_id, "
	"coalesce(k.commit_id, r.commit_id, ''), :o = 0, :o = 1, "
	":o = 2, :o = 3, :o = 4, :o = 5, CASE WHEN :o = 3 THEN "
	":duration ELSE 0 END, :digit, :at, :at, CASE WHEN :failed "
	"THEN :at END FROM runs r LEFT JOIN kernels k ON "
	"k.id = r.kernel_id WHERE r.id = :run "
	"ON CONFLICT(test, suite, kernel_id, kconfig_set, guest_cpus, "
	"guest_mem_mb, stress, executor) DO UPDATE SET "
	"pass = pass + excluded.pass, fail = fail + excluded.fail, "
	"skip = skip + excluded.skip, stall = stall + excluded.stall, "
	"crash = crash + excluded.crash, error = error + excluded.error, "
	"stall_seconds = stall_seconds + excluded.stall_seconds, "
	"recent = substr(recent || excluded.recent, -30), "
	"first_at = min(first_at, excluded.first_at), "
	"last_at = max(last_at, excluded.last_at), "
	"last_failure_at = coalesce(excluded.last_failure_at, "
		"last_failure_at), commit_id = excluded.commit_id";

static int tally_add(struct store *st, const struct record_iteration *it,
		     const char *started)
{
	char digit[2] = { (char)('0' + (it->outcome < OUTCOME_NR ?
					it->outcome : OUTCOME_ERROR)), 0 };
	int failed = record_outcome_failed(it->outcome);

	return store_exec_cached(st, tally_add_sql,
		":test s :suite s :o i :duration d :digit s :at s :failed i "
		":run I", it->test, it->suite ? it->suite : "net",
		(int)it->outcome, it->duration, digit, started, failed,
		it->run_id);
}

long long record_iteration_add(struct store *st,
			       const struct record_iteration *it)
{
	char t1[32], t2[32];
	sqlite3_stmt *stmt;
	long long id = -1;

	/*
	 * OR IGNORE: the unique indexes on attempt (and, for attempts, on
	 * run, test and k) make a spool ingested twice, or an item two
	 * Slurm tasks both finished, count once.
	 */
	stmt = store_prepare(st,
		"INSERT OR IGNORE INTO iterations(run_id, test, suite, seq, "
		"outcome, reason, duration, timeout, output, console, "
		"started_at, finished_at, boot_id, rc, guest_duration, crash_id, "
		"max_silence, retry, attempt, artefact_error) VALUES (:run, :test, "
		":suite, :seq, "
		":outcome, :reason, :duration, :timeout, :output, :console, "
		":started, :finished, nullif(:boot, 0), :rc, :guest, "
		"nullif(:crash, 0), :silence, :retry, :attempt, :artefact)",
		":run I :test s :suite s :seq i :outcome s :reason s "
		":duration d :timeout d :output s :console s :started s "
		":finished s :boot I :crash I :retry i :attempt s :artefact s",
		it->run_id, it->test,
		it->suite ? it->suite : "net", it->seq,
		record_outcome_name(it->outcome), it->reason, it->duration,
		it->timeout, it->output, it->console,
		util_iso8601(it->started_at, t1),
		util_iso8601(it->finished_at, t2), it->boot_id, it->crash_id,
		it->retry ? 1 : 0, it->attempt, it->artefact_error);
	if (!stmt)
		return -1;
	/* Unknown values stay NULL: rc < 0 (no exit), durations < 0. */
	if (it->rc >= 0)
		sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":rc"),
				 it->rc);
	if (it->guest_duration >= 0)
		sqlite3_bind_double(stmt, sqlite3_bind_parameter_index(stmt,
				    ":guest"), it->guest_duration);
	if (it->max_silence >= 0)
		sqlite3_bind_double(stmt, sqlite3_bind_parameter_index(stmt,
				    ":silence"), it->max_silence);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		id = sqlite3_changes(st->db) ? store_last_id(st) : 0;
	else
		error("%s: cannot record iteration: %s", st->path,
		      sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	/* Retries are not scored: first attempts only (db/009-nipa.sql). */
	if (id > 0 && !it->retry && tally_add(st, it, t1))
		return -1;
	return id;
}

int record_iteration_set_crash(struct store *st, long long iteration_id,
			       long long crash_id)
{
	return store_exec(st, "UPDATE iterations SET crash_id = :crash WHERE "
			  "id = :id", ":crash I :id I", crash_id, iteration_id);
}

size_t record_pass_history(struct store *st, const struct pool_key *key,
			   enum pool_scope scope,
			   enum record_pass_column column, int limit,
			   double **out)
{
	/* Four fixed texts: the column and the scope are never input. */
#define PASS_SQL(col, match) \
	"SELECT i." col " FROM iterations i JOIN runs r ON r.id = i.run_id " \
	"WHERE " POOL_MATCH_TEST " AND i.outcome = 'pass' AND i." col \
	" IS NOT NULL AND " match " ORDER BY i.id DESC LIMIT :limit"
	static const char *const sql[2][2] = {
		{ PASS_SQL("guest_duration", POOL_MATCH_KERNEL),
		  PASS_SQL("guest_duration", POOL_MATCH_LINE) },
		{ PASS_SQL("max_silence", POOL_MATCH_KERNEL),
		  PASS_SQL("max_silence", POOL_MATCH_LINE) },
	};
#undef PASS_SQL
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st, sql[column == RECORD_MAX_SILENCE]
				    [scope == POOL_LINE], ":limit i", limit);
	if (!stmt)
		return 0;
	if (pool_bind(stmt, key)) {
		sqlite3_finalize(stmt);
		return 0;
	}
	return store_collect_doubles(stmt, out);
}

/* The sub-case's row in subtallies, unless its iteration is a retry. */
static int subtally_add(struct store *st, long long iteration_id,
			long long subresult_id, const char *name,
			const char *outcome)
{
	return store_exec(st,
		"INSERT INTO subtallies(test, suite, kernel_id, kconfig_set, "
		"guest_cpus, guest_mem_mb, stress, executor, name, pass, fail, "
		"skip, stall, other, first_id) "
		"SELECT i.test, i.suite, " POOL_RUN_COLUMNS ", :name, "
		":o IN ('pass', 'xfail'), :o IN ('fail', 'error'), :o = 'skip', "
		":o = 'timeout', :o NOT IN ('pass', 'xfail', 'fail', 'error', "
		"'skip', 'timeout'), :sid FROM iterations i JOIN runs r ON "
		"r.id = i.run_id WHERE i.id = :it AND i.retry = 0 "
		"ON CONFLICT(test, suite, kernel_id, kconfig_set, guest_cpus, "
		"guest_mem_mb, stress, executor, name) DO UPDATE SET "
		"pass = pass + excluded.pass, fail = fail + excluded.fail, "
		"skip = skip + excluded.skip, stall = stall + excluded.stall, "
		"other = other + excluded.other",
		":name s :o s :sid I :it I", name, outcome, subresult_id,
		iteration_id);
}

int record_subresult_add(struct store *st, long long iteration_id,
			 const char *name, const char *outcome,
			 const char *detail)
{
	if (store_exec(st, "INSERT INTO subresults(iteration_id, name, "
		       "outcome, detail) VALUES (?, ?, ?, ?)", "Isss",
		       iteration_id, name, outcome, detail))
		return -1;
	return subtally_add(st, iteration_id, store_last_id(st), name,
			    outcome);
}

int record_subresults(struct store *st, long long iteration_id,
		      const char *output)
{
	struct ktap_results res = { 0 };
	size_t i;
	int ret = 0;

	if (!output || !*output)
		return 0;
	ktap_extract(output, strlen(output), &res);
	for (i = 0; i < res.nr && !ret; i++)
		ret = record_subresult_add(st, iteration_id, res.cases[i].name,
					   ktap_result_name(res.cases[i].result),
					   res.cases[i].reason);
	for (i = 0; i < res.nmetrics && !ret; i++)
		ret = store_exec(st, "INSERT INTO metrics(iteration_id, subcase, "
				 "name, value, unit) VALUES (?, ?, ?, ?, ?)",
				 "Issds", iteration_id, res.metrics[i].subcase,
				 res.metrics[i].name, res.metrics[i].value,
				 res.metrics[i].unit);
	ktap_results_release(&res);
	return ret;
}

/*
 * Recounting tallies and subtallies: the same statements as
 * db/010-tallies.sql, which filled them when the table was made.
 */
static const char tally_fill[] =
	"INSERT INTO tallies(test, suite, kernel_id, kconfig_set, guest_cpus, "
	"guest_mem_mb, stress, executor, tree_id, commit_id, pass, fail, skip, "
	"stall, crash, error, stall_seconds, first_at, last_at, "
	"last_failure_at) "
	"SELECT i.test, i.suite, " POOL_RUN_COLUMNS ", max(r.tree_id), "
	"coalesce(max(k.commit_id), max(r.commit_id), ''), "
	"sum(i.outcome = 'pass'), sum(i.outcome = 'fail'), "
	"sum(i.outcome = 'skip'), sum(i.outcome = 'stall'), "
	"sum(i.outcome = 'crash'), sum(i.outcome = 'error'), "
	"total(CASE WHEN i.outcome = 'stall' THEN i.duration END), "
	"min(i.started_at), max(i.started_at), max(CASE WHEN i.outcome IN "
	"('fail', 'stall', 'crash') THEN i.started_at END) "
	"FROM iterations i JOIN runs r ON r.id = i.run_id "
	"LEFT JOIN kernels k ON k.id = r.kernel_id WHERE i.retry = 0 "
	"GROUP BY i.test, i.suite, " POOL_RUN_COLUMNS;

static const char tally_fill_recent[] =
	"UPDATE tallies SET recent = coalesce(("
	"SELECT group_concat(o, '') FROM (SELECT o FROM ("
	"SELECT i.id, CASE i.outcome WHEN 'pass' THEN '0' WHEN 'fail' THEN '1' "
	"WHEN 'skip' THEN '2' WHEN 'stall' THEN '3' WHEN 'crash' THEN '4' "
	"ELSE '5' END AS o FROM runs r JOIN iterations i ON i.run_id = r.id "
	"WHERE (r.kernel_id = tallies.kernel_id OR (r.kernel_id IS NULL AND "
	"r.id = -tallies.kernel_id)) AND r.kconfig_set = tallies.kconfig_set "
	"AND r.guest_cpus = tallies.guest_cpus AND r.guest_mem_mb = "
	"tallies.guest_mem_mb AND r.stress = tallies.stress AND r.executor = "
	"tallies.executor AND i.test = tallies.test AND i.suite = tallies.suite "
	"AND i.retry = 0 ORDER BY i.id DESC LIMIT 30) ORDER BY id)), '')";

static const char subtally_fill[] =
	"INSERT INTO subtallies(test, suite, kernel_id, kconfig_set, "
	"guest_cpus, guest_mem_mb, stress, executor, name, pass, fail, skip, "
	"stall, other, first_id) "
	"SELECT i.test, i.suite, " POOL_RUN_COLUMNS ", s.name, "
	"sum(s.outcome IN ('pass', 'xfail')), sum(s.outcome IN ('fail', "
	"'error')), sum(s.outcome = 'skip'), sum(s.outcome = 'timeout'), "
	"sum(s.outcome NOT IN ('pass', 'xfail', 'fail', 'error', 'skip', "
	"'timeout')), min(s.id) FROM subresults s JOIN iterations i ON "
	"i.id = s.iteration_id JOIN runs r ON r.id = i.run_id "
	"WHERE i.retry = 0 GROUP BY i.test, i.suite, " POOL_RUN_COLUMNS
	", s.name";

int record_tally_rebuild(struct store *st)
{
	if (store_begin(st))
		return -1;
	if (store_exec(st, "DELETE FROM tallies", "") ||
	    store_exec(st, "DELETE FROM subtallies", "") ||
	    store_exec(st, tally_fill, "") ||
	    store_exec(st, tally_fill_recent, "") ||
	    store_exec(st, subtally_fill, "")) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

long record_tally_check(struct store *st)
{
	/* Rows a recount would write that the tables lack, and the reverse. */
	return (long)store_query_int(st, -1,
		"WITH fresh AS (SELECT i.test, i.suite, " POOL_RUN_COLUMNS
		", sum(i.outcome = 'pass'), sum(i.outcome = 'fail'), "
		"sum(i.outcome = 'skip'), sum(i.outcome = 'stall'), "
		"sum(i.outcome = 'crash'), sum(i.outcome = 'error') FROM "
		"iterations i JOIN runs r ON r.id = i.run_id WHERE i.retry = 0 "
		"GROUP BY i.test, i.suite, " POOL_RUN_COLUMNS "), "
		"kept AS (SELECT test, suite, kernel_id, kconfig_set, guest_cpus, "
		"guest_mem_mb, stress, executor, pass, fail, skip, stall, crash, "
		"error FROM tallies) "
		"SELECT (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT "
		"SELECT * FROM kept)) + (SELECT count(*) FROM (SELECT * FROM "
		"kept EXCEPT SELECT * FROM fresh))", "");
}
int record_prune_artefacts(struct store *st, double before)
{
	char ts[32];
	sqlite3_stmt *stmt;
	long long *ids = NULL;
	size_t n = 0, alloc = 0, i;
	int pruned = 0;

	util_iso8601(before, ts);
	stmt = store_prepare(st, "SELECT id FROM runs WHERE state <> 'running' "
			     "AND finished_at < :before AND (EXISTS (SELECT 1 "
			     "FROM iterations i WHERE i.run_id = runs.id AND "
			     "(i.output IS NOT NULL OR i.console IS NOT NULL)) "
			     "OR EXISTS (SELECT 1 FROM boots b WHERE b.run_id = "
			     "runs.id AND b.console_path IS NOT NULL))",
			     ":before s", ts);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(ids, n, alloc);
		ids[n++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++) {
		char *dir = artefact_run_dir(st, ids[i]);

		util_rm_rf(dir);
		free(dir);
		if (store_begin(st))
			break;
		if (store_exec(st, "UPDATE iterations SET output = NULL, "
			       "console = NULL WHERE run_id = :id", ":id I",
			       ids[i]) ||
		    store_exec(st, "UPDATE boots SET console_path = NULL "
			       "WHERE run_id = :id", ":id I", ids[i])) {
			store_rollback(st);
			break;
		}
		if (!store_commit(st))
			pruned++;
	}
	free(ids);
	return pruned;
}
