/*
 * test_core.c - unit tests of the run pipeline's pure parts: kconfig
 * merging, outcome rules, the store (migrations,
 * records, tallies), argv quoting, build error extraction and parsers.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "classify.h"
#include "crashwatch.h"
#include "kconfig.h"
#include "record.h"
#include "report.h"
#include "stats.h"
#include "runcmd.h"
#include "store.h"
#include "util.h"
#include "test.h"

TEST(kconfig_merge_overrides)
{
	struct kconfig kc = { 0 };
	struct strbuf notes = STRBUF_INIT, out = STRBUF_INIT;

	CHECK_INT(kconfig_merge_text(&kc, "CONFIG_A=y\n# CONFIG_B is not set\n"
				     "# a comment\n\nCONFIG_C=\"x y\"\n", "base",
				     &notes), 0);
	CHECK_INT(kconfig_merge_text(&kc, "CONFIG_A=m\nCONFIG_B=y\nCONFIG_C=\"x y\"\n",
				     "net", &notes), 0);
	CHECK_STR(kconfig_get(&kc, "CONFIG_A")->value, "m");
	CHECK_STR(kconfig_get(&kc, "CONFIG_B")->value, "y");
	CHECK_STR(kconfig_get(&kc, "CONFIG_A")->origin, "net");
	/* Two overrides noted; re-setting C to the same value is not one. */
	CHECK(strstr(notes.buf, "CONFIG_A=y (from base) overridden by m"));
	CHECK(strstr(notes.buf, "CONFIG_B=n (from base) overridden by y"));
	CHECK(!strstr(notes.buf, "CONFIG_C"));
	kconfig_format(&kc, &out);
	CHECK_STR(out.buf, "CONFIG_A=m\nCONFIG_B=y\nCONFIG_C=\"x y\"\n");
	CHECK_INT(kconfig_merge_text(&kc, "CONFIG_D=y\nnonsense\n", "bad", NULL),
		  -1);
	CHECK_INT(kconfig_merge_text(&kc, "FOO=y\n", "bad", NULL), -1);
	CHECK_INT(kconfig_merge_text(&kc, "CONFIG_E=\n", "bad", NULL), -1);
	kconfig_release(&kc);
	strbuf_release(&notes);
	strbuf_release(&out);
}

TEST(kconfig_verify_modules_off)
{
	struct kconfig want = { 0 };
	struct strbuf w = STRBUF_INIT;
	const char *final = "# CONFIG_MODULES is not set\nCONFIG_VETH=y\n"
			    "CONFIG_IPV6=y\n# CONFIG_NET_VRF is not set\n";

	kconfig_merge_text(&want, "CONFIG_VETH=m\nCONFIG_IPV6=y\nCONFIG_NET_VRF=y\n"
			   "# CONFIG_BLOCK is not set\nCONFIG_TEST_BPF=m\n",
			   "frag", NULL);
	/* VETH=m is satisfied by y without modules; VRF and TEST_BPF are lost. */
	CHECK_INT(kconfig_verify(&want, final, &w), 2);
	CHECK(strstr(w.buf, "CONFIG_NET_VRF=y requested by frag, final .config has n"));
	CHECK(strstr(w.buf, "CONFIG_TEST_BPF=m"));
	CHECK(!strstr(w.buf, "CONFIG_VETH"));
	kconfig_release(&want);
	strbuf_release(&w);
}

static enum record_outcome classify(struct classify_input in, char **reason)
{
	if (!in.timeout)
		in.timeout = 30;
	return classify_iteration(&in, reason);
}

TEST(classify_rules)
{
	char *r = NULL;

	CHECK_INT(classify((struct classify_input){ .ended = 1, .rc = 0,
						    .status = "exit" }, &r),
		  OUTCOME_PASS);
	CHECK(r == NULL);
	CHECK_INT(classify((struct classify_input){ .ended = 1, .rc = 4,
						    .status = "exit" }, &r),
		  OUTCOME_SKIP);
	free(r);
	CHECK_INT(classify((struct classify_input){ .ended = 1, .rc = 1,
						    .status = "exit" }, &r),
		  OUTCOME_FAIL);
	CHECK_STR(r, "exit code 1");
	free(r);
	/* 255: a script's `exit -1`, as udpgro_frglist.sh does. */
	CHECK_INT(classify((struct classify_input){ .ended = 1, .rc = 255,
						    .status = "exit" }, &r),
		  OUTCOME_FAIL);
	free(r);
	CHECK_INT(classify((struct classify_input){ .ended = 1, .rc = 124,
						    .status = "timeout" }, &r),
		  OUTCOME_STALL);
	CHECK(strstr(r, "timeout"));
	free(r);
	CHECK_INT(classify((struct classify_input){ .ended = 1, .rc = 124,
						    .status = "inactive",
						    .idle = 10 }, &r),
		  OUTCOME_STALL);
	CHECK(strstr(r, "no output for 10 s"));
	free(r);
	CHECK_INT(classify((struct classify_input){ .ended = 1, .rc = 124,
						    .status = "exit" }, &r),
		  OUTCOME_STALL);
	free(r);
	/* A warning turns a pass into a failure and names the report. */
	CHECK_INT(classify((struct classify_input){ .ended = 1, .rc = 0,
						    .status = "exit", .crash_warn = 1,
						    .crash_title = "warning: WARNING in x" }, &r),
		  OUTCOME_FAIL);
	CHECK_STR(r, "kernel warning: warning: WARNING in x");
	free(r);
	/* Death beats everything the test said. */
	CHECK_INT(classify((struct classify_input){ .ended = 1, .rc = 0,
						    .status = "exit", .crash_fatal = 1 }, &r),
		  OUTCOME_CRASH);
	free(r);
	CHECK_INT(classify((struct classify_input){ .vm_lost = 1, .crash_fatal = 1 }, &r),
		  OUTCOME_CRASH);
	free(r);
	CHECK_INT(classify((struct classify_input){ .vm_lost = 1 }, &r),
		  OUTCOME_ERROR);
	free(r);
	/* A kernel that cannot reach init is not the test's failure. */
	CHECK_INT(classify((struct classify_input){ .vm_lost = 1, .boot_failed = 1,
						    .crash_fatal = 1,
						    .crash_title = "panic: init failed" }, &r),
		  OUTCOME_ERROR);
	CHECK_STR(r, "guest did not boot: panic: init failed");
	free(r);
	CHECK_INT(classify((struct classify_input){ .host_watchdog = 1 }, &r),
		  OUTCOME_STALL);
	CHECK(strstr(r, "stopped responding"));
	free(r);
}

/* A query's text result, kept until the next call (so checks don't leak). */
static const char *keep(char *s)
{
	static char *last;

	free(last);
	last = s;
	return s;
}

static void open_tmp_store(struct store *st, const char *name)
{
	char *path = xasprintf("%s/%s", test_tmpdir(), name);

	if (store_open(st, path, 0))
		test_fail(__FILE__, __LINE__, "cannot open %s", path);
	free(path);
}

/* A database as a kflake whose last migration was version made it. */
static int make_old_db(const char *path, int version)
{
	const struct store_migration *m;
	sqlite3 *db;
	char pragma[64];
	int rc = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	for (m = store_migrations; m->sql && !rc; m++)
		if (m->version <= version)
			rc = sqlite3_exec(db, m->sql, NULL, NULL, NULL);
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
	rc |= sqlite3_exec(db, pragma, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc ? -1 : 0;
}

TEST(store_migrations)
{
	struct store st, ro;
	char *path = xasprintf("%s/m.db", test_tmpdir());

	CHECK_INT(store_open(&st, path, 0), 0);
	CHECK_INT(store_schema_version(&st), store_latest_version());
	CHECK(store_latest_version() >= 1);
	CHECK_STR(keep(store_query_str(&st, "PRAGMA journal_mode", "")), "wal");
	store_close(&st);
	/* Reopening applies nothing and keeps the data. */
	CHECK_INT(store_open(&st, path, 0), 0);
	CHECK_INT(store_state_set(&st, "k", "v1"), 0);
	CHECK_INT(store_state_set(&st, "k", "v2"), 0);
	store_close(&st);
	CHECK_INT(store_open(&ro, path, STORE_READONLY), 0);
	CHECK_STR(keep(store_state_get(&ro, "k")), "v2");
	store_close(&ro);
	/*
	 * A reader meeting an older database migrates it first: a database
	 * made by migrations up to 004 only, opened read-only.
	 */
	free(path);
	path = xasprintf("%s/m4.db", test_tmpdir());
	CHECK_INT(make_old_db(path, 4), 0);
	CHECK_INT(store_open(&ro, path, STORE_READONLY), 0);
	CHECK_INT(store_schema_version(&ro), store_latest_version());
	CHECK_INT(store_query_int(&ro, -1, "SELECT count(fragments) FROM runs",
				  ""), 0);
	store_close(&ro);
	/* A database from a newer kflake is refused, not mangled. */
	CHECK_INT(store_open(&st, path, 0), 0);
	store_exec(&st, "PRAGMA user_version = 9999", "");
	store_close(&st);
	CHECK_INT(store_open(&st, path, 0), -1);
	CHECK_INT(store_open(&ro, path, STORE_READONLY), -1);
	free(path);
	path = xasprintf("%s/missing.db", test_tmpdir());
	CHECK_INT(store_open(&ro, path, STORE_READONLY), -1);
	free(path);
}

/*
 * Migration 008 fills the pooling key of earlier runs from their argv
 * and fragments (pool.h): a database made up to 007, then opened.
 */
TEST(store_migration_pool_backfill)
{
	char *path = xasprintf("%s/m7.db", test_tmpdir());
	struct store ro;
	sqlite3 *db;

	CHECK_INT(make_old_db(path, 7), 0);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "INSERT INTO trees(source, path, created_at) "
			       "VALUES ('t', '/c/trees/t', 'now');"
			       "INSERT INTO runs(state, tree_id, tests, "
			       "iterations, started_at, argv, fragments) VALUES "
			       "('done', 1, '[]', 1, 'now', '[\"kflake\",\"run\","
			       "\"--cpus\",\"4\",\"--mem=1024\"]', "
			       "'[\"/k/kconfigs/base.config\",\"/c/trees/t/tools/"
			       "testing/selftests/net/config\",\"/tmp/x.config\"]');"
			       "INSERT INTO runs(state, tests, iterations, "
			       "started_at, argv) VALUES ('done', '[]', 1, 'now', "
			       "'not json');", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(store_open(&ro, path, STORE_READONLY), 0);
	CHECK_STR(keep(store_query_str(&ro, "SELECT guest_cpus || ' ' || "
				       "guest_mem_mb || ' ' || stress || '|' || "
				       "executor FROM runs WHERE id = 1", "")),
		  "4 1024 |local");
	CHECK_STR(keep(store_query_str(&ro, "SELECT kconfig_set FROM runs "
				       "WHERE id = 1", "")),
		  "[\"kflake:kconfigs/base.config\",\"tree:tools/testing/"
		  "selftests/net/config\",\"file:/tmp/x.config\"]");
	CHECK_STR(keep(store_query_str(&ro, "SELECT guest_cpus || ' ' || "
				       "guest_mem_mb || ' ' || kconfig_set "
				       "FROM runs WHERE id = 2", "")),
		  "2 2048 ");
	store_close(&ro);
	free(path);
}

static void add_iter(struct store *st, long long run, const char *test,
		     int seq, enum record_outcome o, double dur)
{
	struct record_iteration it = {
		.run_id = run, .test = test, .suite = "net", .seq = seq,
		.outcome = o, .rc = o == OUTCOME_PASS ? 0 : 1,
		.duration = dur, .guest_duration = dur - 1, .timeout = 60,
		.output = "out", .started_at = 1.7e9, .finished_at = 1.7e9 + dur,
	};

	if (record_iteration_add(st, &it) <= 0)
		test_fail(__FILE__, __LINE__, "iteration not stored");
}

TEST(record_tally_counts)
{
	struct store st;
	struct record_run r = { .kind = "run", .commit_id = "abc",
				.tests_json = "[\"a.sh\",\"b.sh\"]",
				.iterations = 3 };
	struct record_tally *t = NULL;
	long long run;
	int n;

	open_tmp_store(&st, "t.db");
	run = record_run_create(&st, &r);
	CHECK(run > 0);
	add_iter(&st, run, "a.sh", 1, OUTCOME_PASS, 10);
	add_iter(&st, run, "a.sh", 2, OUTCOME_STALL, 60);
	add_iter(&st, run, "a.sh", 3, OUTCOME_ERROR, 5);
	add_iter(&st, run, "b.sh", 1, OUTCOME_SKIP, 2);
	add_iter(&st, run, "b.sh", 2, OUTCOME_CRASH, 4);
	add_iter(&st, run, "b.sh", 3, OUTCOME_FAIL, 6);
	n = record_tally(&st, run, NULL, &t);
	CHECK_INT(n, 2);
	CHECK_STR(t[0].test, "a.sh");
	CHECK_INT(t[0].score.iterations, 3);
	CHECK_INT(t[0].score.failures, 1);
	CHECK_INT(t[0].score.verdict_runs, 2);
	/* error iterations do not count towards durations either */
	CHECK_NEAR(t[0].median_duration, 35, 1e-9);
	CHECK_NEAR(t[0].max_duration, 60, 1e-9);
	CHECK_INT(t[1].score.failures, 2);
	CHECK_INT(t[1].score.verdict_runs, 2);
	CHECK_INT(t[1].score.counts[OUTCOME_SKIP], 1);
	record_tally_release(t, n);
	/* By commit: same rows; another commit: none. */
	n = record_tally(&st, 0, "abc", &t);
	CHECK_INT(n, 2);
	record_tally_release(t, n);
	n = record_tally(&st, 0, "def", &t);
	CHECK_INT(n, 0);
	record_tally_release(t, n);
	CHECK_INT(record_run_finish(&st, run, "done", NULL), 0);
	CHECK_STR(keep(store_query_str(&st, "SELECT state FROM runs WHERE id = ?",
				  "I", run)), "done");
	/* The schema refuses an outcome that is not one of the six. */
	CHECK_INT(store_exec(&st, "UPDATE iterations SET outcome = 'maybe'", ""),
		  -1);
	store_close(&st);
}

TEST(report_fail_on_verdicts)
{
	struct store st;
	struct record_run r = { .kind = "run", .commit_id = "abc",
				.tests_json = "[\"f.sh\",\"p.sh\"]",
				.iterations = 20 };
	unsigned mask;
	long long run;
	int i;

	CHECK_INT(report_fail_on_parse("failing,regression", &mask), 0);
	CHECK_INT(mask, (1u << STATS_FAILING) | REPORT_FAIL_ON_REGRESSION);
	CHECK_INT(report_fail_on_parse("flaky,bogus", &mask), -1);
	CHECK_INT(report_fail_on_parse(",", &mask), -1);
	open_tmp_store(&st, "f.db");
	run = record_run_create(&st, &r);
	/* f.sh: 20 of 20 failed (failing); p.sh: 10 of 20 (flaky). */
	for (i = 1; i <= 20; i++) {
		add_iter(&st, run, "f.sh", i, OUTCOME_FAIL, 3);
		add_iter(&st, run, "p.sh", i, i % 2 ? OUTCOME_PASS
						    : OUTCOME_STALL, 3);
	}
	CHECK_INT(report_fail_on(&st, run, 1u << STATS_FAILING), 1);
	CHECK_INT(report_fail_on(&st, run, (1u << STATS_FAILING) |
				 (1u << STATS_FLAKY)), 2);
	CHECK_INT(report_fail_on(&st, run, 1u << STATS_STABLE), 0);
	store_close(&st);
}

static const char *const stray_warning[] = {
	"[   12.000001][    T1] ------------[ cut here ]------------",
	"[   12.000002][    T1] WARNING: CPU: 0 PID: 1 at net/core/dev.c:10329 netdev_run_todo+0x1f0/0x200",
	"[   12.000003][    T1] Modules linked in:",
	"[   12.000004][    T1] Call Trace:",
	"[   12.000005][    T1]  <TASK>",
	"[   12.000006][    T1]  netdev_run_todo+0x1f0/0x200",
	"[   12.000007][    T1]  rtnl_unlock+0x9/0x10",
	"[   12.000008][    T1]  </TASK>",
	"[   12.000009][    T1] ---[ end trace 0000000000000000 ]---",
};

static void feed_stray(struct crashwatch *w)
{
	size_t i;

	crashwatch_reset(w);
	for (i = 0; i < ARRAY_SIZE(stray_warning); i++)
		crashwatch_feed(w, stray_warning[i]);
	crashwatch_finish(w);
}

/*
 * A report printed outside any test is kept against the run alone; the
 * same report inside an iteration marks that iteration.
 */
TEST(crashwatch_store_outside_tests)
{
	struct store st;
	struct record_run r = { .kind = "run", .tests_json = "[\"a.sh\"]",
				.iterations = 1 };
	struct crashwatch *w = crashwatch_new(NULL, NULL);
	struct crash_list l;
	const char *title;
	long long run, it;
	int fatal, warn;

	open_tmp_store(&st, "c.db");
	run = record_run_create(&st, &r);
	add_iter(&st, run, "a.sh", 1, OUTCOME_PASS, 3);
	it = store_query_int(&st, 0, "SELECT max(id) FROM iterations", "");
	feed_stray(w);
	crashwatch_verdict(w, &fatal, &warn, &title);
	CHECK_INT(warn, 1);
	CHECK_INT(fatal, 0);
	crashwatch_take(w, &l);
	CHECK_INT((int)l.nr, 1);
	CHECK_INT(store_begin(&st), 0);
	CHECK_INT(crashwatch_store(&st, &l, 0, run, 0, NULL), 0);
	CHECK_INT(store_commit(&st), 0);
	crash_list_release(&l);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM crash_hits "
				  "WHERE iteration_id IS NULL AND test IS NULL "
				  "AND run_id = ?", "I", run), 1);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM iterations "
				  "WHERE crash_id IS NOT NULL", ""), 0);
	feed_stray(w);
	crashwatch_take(w, &l);
	CHECK_INT(store_begin(&st), 0);
	CHECK_INT(crashwatch_store(&st, &l, it, run, 0, "a.sh"), 0);
	CHECK_INT(store_commit(&st), 0);
	crash_list_release(&l);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM iterations "
				  "WHERE crash_id IS NOT NULL AND id = ?", "I",
				  it), 1);
	CHECK_INT(store_query_int(&st, -1, "SELECT count FROM crashes", ""), 2);
	crashwatch_free(w);
	store_close(&st);
}

TEST(record_reap_stale_runs)
{
	struct store st;
	struct record_run r = { .kind = "run", .tests_json = "[]", .iterations = 1 };
	long long live, dead;
	pid_t pid;

	open_tmp_store(&st, "s.db");
	live = record_run_create(&st, &r);
	dead = record_run_create(&st, &r);
	pid = fork();
	if (!pid)
		_exit(0);
	waitpid(pid, NULL, 0);
	/* `dead` claims a process that has exited; `live` is this one. */
	store_exec(&st, "UPDATE runs SET pid = ? WHERE id = ?", "iI", (int)pid,
		   dead);
	CHECK_INT(record_reap_stale(&st), 1);
	CHECK_STR(keep(store_query_str(&st, "SELECT state FROM runs WHERE id = ?",
				  "I", dead)), "interrupted");
	CHECK_STR(keep(store_query_str(&st, "SELECT state FROM runs WHERE id = ?",
				  "I", live)), "running");
	store_close(&st);
}

TEST(runcmd_quote_and_capture)
{
	const char *argv[] = { "echo", "plain", "with space", "it's", "", NULL };
	const char *sh[] = { "printf", "%s|", "a b", "$(reboot)", NULL };
	struct strbuf sb = STRBUF_INIT;

	runcmd_quote(argv, &sb);
	CHECK_STR(sb.buf, "echo plain 'with space' 'it'\\''s' ''");
	strbuf_reset(&sb);
	/* Arguments reach the program verbatim: no shell ever sees them. */
	CHECK_INT(runcmd_capture(sh, &sb, 100), 0);
	CHECK_STR(sb.buf, "a b|$(reboot)|");
	strbuf_release(&sb);
}

TEST(build_first_error_line)
{
	char *e = build_first_error(
		"  CC      init/main.o\n"
		"init/version.c:22:1: error: unknown type name 'this'\n"
		"   22 | this is not C;\n"
		"make[2]: *** [scripts/Makefile.build:250: init/version.o] Error 1\n");

	CHECK_STR(e, "init/version.c:22:1: error: unknown type name 'this'");
	free(e);
	e = build_first_error("ld: vmlinux.o: in function `f':\n"
			      "x.c:(.text+0x1): undefined reference to `g'\n");
	CHECK_STR(e, "x.c:(.text+0x1): undefined reference to `g'");
	free(e);
	CHECK(build_first_error("all good\n") == NULL);
}

TEST(util_parsers)
{
	double d;
	long v;

	CHECK(util_path_under("/a/b/c", "/a/b"));
	CHECK(util_path_under("/a/b", "/a/b/"));
	CHECK(!util_path_under("/a/bc", "/a/b"));
	CHECK(!util_path_under("/a", "/a/b"));
	CHECK(util_starts_with("KFLAKE END 1", "KFLAKE "));
	CHECK(!util_starts_with("KFL", "KFLAKE"));

	CHECK_INT(util_parse_duration("90", &d), 0);
	CHECK_NEAR(d, 90, 1e-9);
	CHECK_INT(util_parse_duration("1.5m", &d), 0);
	CHECK_NEAR(d, 90, 1e-9);
	CHECK_INT(util_parse_duration("2h", &d), 0);
	CHECK_NEAR(d, 7200, 1e-9);
	CHECK_INT(util_parse_duration("5 min", &d), -1);
	CHECK_INT(util_parse_duration("-3", &d), -1);
	CHECK_INT(util_parse_duration("", &d), -1);
	CHECK_INT(util_parse_int("12", 1, 100, &v), 0);
	CHECK_INT(v, 12);
	CHECK_INT(util_parse_int("0", 1, 100, &v), -1);
	CHECK_INT(util_parse_int("12x", 1, 100, &v), -1);
	CHECK_INT(util_parse_int("99999999999999999999", 1, 100, &v), -1);
}
