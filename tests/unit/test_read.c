/*
 * test_read.c - the read model on a real SQLite database: the typed
 * loaders of runs, iterations, boots and sub-cases (filters, pages and
 * their "more" flag), the score and its one JSON shape, named SQL
 * parameters, and UTF-8 repair.
 */
#include <stdlib.h>
#include <string.h>

#include "../../harness/crashwatch.h"
#include "../../harness/record.h"
#include "../../harness/snapshot.h"
#include "../../harness/store.h"
#include "../../harness/utf8.h"
#include "../../harness/web_cache.h"
#include "../../harness/util.h"
#include "test.h"

#define COMMIT1 "1111111111111111111111111111111111111111"
#define COMMIT2 "2222222222222222222222222222222222222222"

/* A string the test owns until the next call. */
static const char *keep_str(char *s)
{
	static char *last;

	free(last);
	last = s;
	return s ? s : "(null)";
}

struct db {
	struct store st;
	long long run1, run2, boot, fail_iter;
};

static long long iter(struct db *d, long long run, const char *test, int seq,
		      enum record_outcome o, const char *output)
{
	struct record_iteration it = {
		.run_id = run, .boot_id = d->boot, .test = test,
		.suite = "net", .seq = seq, .outcome = o,
		.rc = o == OUTCOME_PASS ? 0 : 1, .reason = "why",
		.duration = 10 + seq, .guest_duration = 9 + seq,
		.max_silence = -1, .timeout = 60, .output = output,
		.console = "console\n", .started_at = 1.7e9 + seq,
		.finished_at = 1.7e9 + seq + 10,
	};
	long long id = record_iteration_add(&d->st, &it);

	CHECK(id > 0);
	CHECK_INT(record_subresults(&d->st, id, output), 0);
	return id;
}

static void db_setup(struct db *d)
{
	struct record_run r = {
		.kind = "run", .tree_id = 1, .ref = "HEAD", .commit_id = COMMIT1,
		.tests_json = "[\"a.sh\",\"b.sh\"]", .iterations = 4,
		.argv_json = "[\"kflake\",\"run\"]", .guest_cpus = 2,
		.guest_mem_mb = 2048, .kconfig_set = "[]",
	};
	static const char ktap[] = "TAP version 13\n1..2\nok 1 one\n"
				   "not ok 2 two\n";
	char *path = xasprintf("%s/read.db", test_tmpdir());
	int i;

	memset(d, 0, sizeof(*d));
	CHECK_INT(store_open(&d->st, path, 0), 0);
	free(path);
	CHECK_INT(store_exec(&d->st, "INSERT INTO trees(source, path, "
			     "created_at) VALUES ('linux', '/t', 'now')", ""), 0);
	d->run1 = record_run_create(&d->st, &r);
	d->boot = record_boot_create(&d->st, d->run1, 1, "tcg", "qemu",
				     "/nonexistent/console.log");
	for (i = 1; i <= 4; i++)
		iter(d, d->run1, "a.sh", i, i == 3 ? OUTCOME_STALL
						   : OUTCOME_PASS, ktap);
	d->fail_iter = iter(d, d->run1, "b.sh", 1, OUTCOME_FAIL, "");
	iter(d, d->run1, "b.sh", 2, OUTCOME_ERROR, "");
	record_run_finish(&d->st, d->run1, "done", NULL);
	r.commit_id = COMMIT2;
	d->boot = 0;
	d->run2 = record_run_create(&d->st, &r);
	iter(d, d->run2, "a.sh", 1, OUTCOME_PASS, "");
}

TEST(read_run_load_and_json)
{
	struct record_run_info r;
	struct db d;
	json_t *j;

	db_setup(&d);
	CHECK_INT(record_run_load(&d.st, d.run1, &r), 0);
	CHECK_STR(r.tree, "linux");
	CHECK_STR(r.commit_id, COMMIT1);
	CHECK_INT(json_array_size(r.tests), 2);
	CHECK_INT(record_run_planned(&r), 8);
	CHECK_INT(r.score.iterations, 6);
	CHECK_INT(r.score.failures, 2);
	/* a.sh is flaky, b.sh (one failure) undecided: the worse shows. */
	CHECK_STR(record_run_worst_verdict(&r), "flaky");
	CHECK_INT(r.pool.guest_cpus, 2);
	j = record_run_json(&r);
	/* The planned count and the iterations never share a name. */
	CHECK_INT(json_integer_value(json_object_get(j, "iterations_per_test")), 4);
	CHECK_INT(json_integer_value(json_object_get(j, "planned")), 8);
	CHECK_INT(json_integer_value(json_object_get(j, "done")), 6);
	CHECK(json_is_array(json_object_get(j, "tests")));
	CHECK(json_is_array(json_object_get(j, "argv")));
	CHECK(json_is_null(json_object_get(j, "kernel")));
	json_decref(j);
	record_run_info_release(&r);
	CHECK_INT(record_run_load(&d.st, 999, &r), 1);
	CHECK_INT(record_run_exists(&d.st, d.run2), 1);
	CHECK_INT(record_run_exists(&d.st, 999), 0);
	store_close(&d.st);
}

TEST(read_run_list_filters_and_pages)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_run_info *v;
	struct db d;
	int n, more;

	db_setup(&d);
	f.limit = 1;
	n = record_run_list(&d.st, &f, &v, &more);
	CHECK_INT(n, 1);
	CHECK_INT(v[0].id, d.run2);	/* newest first */
	CHECK_INT(more, 1);
	record_run_list_release(v, n);
	f.page = 2;
	n = record_run_list(&d.st, &f, &v, &more);
	CHECK_INT(n, 1);
	CHECK_INT(v[0].id, d.run1);
	CHECK_INT(more, 0);
	record_run_list_release(v, n);
	f = (struct record_filter)RECORD_FILTER_INIT;
	f.commit = "2222";
	n = record_run_list(&d.st, &f, &v, NULL);
	CHECK_INT(n, 1);
	record_run_list_release(v, n);
	/* Runs with a matching iteration: a substring of the test name. */
	f = (struct record_filter)RECORD_FILTER_INIT;
	f.test = "b.s";
	n = record_run_list(&d.st, &f, &v, NULL);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(v[0].id, d.run1);
	record_run_list_release(v, n);
	f.test = NULL;
	f.tree = "linux";
	n = record_run_list(&d.st, &f, &v, NULL);
	CHECK_INT(n, 2);
	record_run_list_release(v, n);
	store_close(&d.st);
}

TEST(read_iterations_of_a_run_and_of_a_test)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_iteration_info *v, it;
	struct db d;
	int n, more;
	json_t *j;

	db_setup(&d);
	f.run_id = d.run1;
	f.limit = 4;
	n = record_iteration_list(&d.st, &f, &v, &more);
	CHECK_INT(n, 4);
	CHECK_INT(more, 1);
	CHECK_INT(v[0].boot_seq, 1);
	CHECK(v[0].output == NULL);
	record_iteration_list_release(v, n);
	/* Every failure of the run, whatever page the table shows. */
	f.limit = 0;
	f.failed_only = 1;
	n = record_iteration_list(&d.st, &f, &v, &more);
	CHECK_INT(n, 3);
	CHECK_INT(more, 0);
	record_iteration_list_release(v, n);
	/* A test's history across runs, newest first, with its commit. */
	f = (struct record_filter)RECORD_FILTER_INIT;
	f.test_exact = "a.sh";
	f.limit = 10;
	n = record_iteration_list(&d.st, &f, &v, &more);
	CHECK_INT(n, 5);
	if (n == 5) {
		CHECK_STR(v[0].commit_id, COMMIT2);
		CHECK_INT(v[1].seq, 4);
	}
	record_iteration_list_release(v, n);
	f.outcome = OUTCOME_STALL;
	n = record_iteration_list(&d.st, &f, &v, &more);
	CHECK_INT(n, 1);
	record_iteration_list_release(v, n);
	/* A page past the end is empty, not an error. */
	f.outcome = -1;
	f.page = 9;
	n = record_iteration_list(&d.st, &f, &v, &more);
	CHECK_INT(n, 0);
	CHECK_INT(more, 0);
	record_iteration_list_release(v, n);

	CHECK_INT(record_iteration_load(&d.st, d.fail_iter, &it), 0);
	CHECK_STR(it.console, "console\n");
	CHECK_INT(it.outcome, OUTCOME_FAIL);
	CHECK_INT(it.has_rc, 1);
	j = record_iteration_json(&it);
	CHECK_STR(json_string_value(json_object_get(j, "outcome")), "fail");
	CHECK(json_is_null(json_object_get(j, "max_silence")));
	json_decref(j);
	record_iteration_info_release(&it);
	store_close(&d.st);
}

TEST(read_subcases_are_scored_per_pool)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_subtally *v;
	struct db d;
	int n;

	db_setup(&d);
	f.run_id = d.run1;
	n = record_subtally(&d.st, &f, &v);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(v[0].name, "one");
		CHECK_INT(v[0].score.counts[OUTCOME_PASS], 4);
		CHECK_STR(v[1].name, "two");
		CHECK_INT(v[1].score.failures, 4);
		CHECK_STR(score_verdict_name(&v[1].score), "undecided");
	}
	record_subtally_release(v, n);
	store_close(&d.st);
}

TEST(read_boots_snapshots_and_crashes_of_a_run)
{
	struct record_boot_info *b;
	struct snapshot_info *s;
	struct crash_info *c;
	struct db d;
	int n, more;

	db_setup(&d);
	n = record_boot_list(&d.st, d.run1, 10, &b, &more);
	CHECK_INT(n, 1);
	CHECK_INT(more, 0);
	if (n == 1)
		CHECK_STR(b[0].console_path, "/nonexistent/console.log");
	record_boot_list_release(b, n);
	CHECK_INT(store_exec(&d.st, "INSERT INTO snapshots(iteration_id, "
			     "label, content) VALUES (:it, 'x', 'ss')",
			     ":it I", d.fail_iter), 0);
	n = snapshot_list(&d.st, d.run1, 0, 10, &s, &more);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(s[0].test, "b.sh");
	snapshot_list_release(s, n);
	n = snapshot_list(&d.st, 0, d.fail_iter + 1, 10, &s, &more);
	CHECK_INT(n, 0);
	snapshot_list_release(s, n);
	n = crashwatch_run_list(&d.st, d.run1, &c);
	CHECK_INT(n, 0);
	crashwatch_list_release(c, n);
	store_close(&d.st);
}

TEST(score_is_one_shape)
{
	struct score s = { .counts = { [OUTCOME_PASS] = 8, [OUTCOME_FAIL] = 1,
				       [OUTCOME_STALL] = 1,
				       [OUTCOME_ERROR] = 5 } };
	struct score none = { 0 };
	json_t *j;

	score_finish(&s);
	CHECK_INT(s.iterations, 15);
	CHECK_INT(s.failures, 2);
	CHECK_INT(s.verdict_runs, 10);
	CHECK_NEAR(s.rate, 0.2, 1e-12);
	CHECK_STR(score_verdict_name(&s), "flaky");
	j = score_json(&s);
	CHECK_INT(json_integer_value(json_object_get(j, "iterations")), 15);
	CHECK_NEAR(json_real_value(json_object_get(j, "rate")), 0.2, 1e-12);
	CHECK_INT(json_array_size(json_object_get(j, "interval")), 2);
	json_decref(j);
	score_finish(&none);
	CHECK(score_verdict_name(&none) == NULL);
	j = score_json(&none);
	CHECK(json_is_null(json_object_get(j, "rate")));
	CHECK(json_is_null(json_object_get(j, "verdict")));
	json_decref(j);
}

TEST(store_named_parameters)
{
	struct store st;
	struct store_sql q;
	sqlite3_stmt *stmt;
	char *path = xasprintf("%s/named.db", test_tmpdir());

	CHECK_INT(store_open(&st, path, 0), 0);
	free(path);
	/* Any order, and a name used twice binds once. */
	CHECK_INT(store_query_int(&st, -1, "SELECT :a * 10 + :b + :a",
				  ":b I :a I", 2LL, 3LL), 35);
	CHECK_INT(store_query_int(&st, -1, "SELECT :a", ":nope I", 1LL), -1);
	store_sql_init(&q, "SELECT :x");
	store_sql_add(&q, " || :y");
	store_sql_text(&q, NULL, ":x", "left");
	store_sql_text(&q, NULL, ":y", "right");
	stmt = store_sql_prepare(&st, &q);
	store_sql_release(&q);
	CHECK(stmt && sqlite3_step(stmt) == SQLITE_ROW);
	if (stmt)
		CHECK_STR(store_col_text(stmt, 0), "leftright");
	sqlite3_finalize(stmt);
	store_close(&st);
}

TEST(utf8_repair)
{
	static const char bad[] = "a\xff" "b\xc3" "\xe2\x82" "c\xed\xa0\x80";
	struct strbuf sb = STRBUF_INIT;
	json_t *j;

	CHECK(utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10));
	CHECK(!utf8_valid(bad, strlen(bad)));
	CHECK(!utf8_valid("\xc0\xaf", 2));	/* overlong '/' */
	utf8_add_clean(&sb, "x\xc3\xa9y\xff", 5);
	CHECK_STR(sb.buf, "x\xc3\xa9y" UTF8_REPLACEMENT);
	strbuf_release(&sb);
	j = utf8_json_str(bad);
	CHECK(j != NULL && json_is_string(j));
	if (j)
		CHECK(strstr(json_string_value(j), UTF8_REPLACEMENT) &&
		      !strchr(json_string_value(j), '?'));
	json_decref(j);
	j = utf8_json_str("caf\xc3\xa9");
	CHECK_STR(json_string_value(j), "caf\xc3\xa9");
	json_decref(j);
}

/* The kept tallies agree with a recount, and rebuild after a deletion. */
TEST(read_kept_tallies_match_a_recount)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_tally *kept, *counted;
	struct record_subtally *sk, *sc;
	struct record_iteration retry = {
		.test = "a.sh", .suite = "net", .seq = 9, .outcome = OUTCOME_FAIL,
		.rc = 1, .reason = "retried", .duration = 1,
		.guest_duration = -1, .max_silence = -1, .retry = 1,
		.started_at = 1.8e9, .finished_at = 1.8e9 + 1,
	};
	struct db d;
	int n, m, i, j;

	db_setup(&d);
	retry.run_id = d.run1;
	CHECK(record_iteration_add(&d.st, &retry) > 0);
	CHECK_INT(record_tally_check(&d.st), 0);
	/* SQLite sorts the kept rows as tally_cmp() sorts recounted ones. */
	for (i = RECORD_SORT_RATE; i <= RECORD_SORT_ITERATIONS; i++) {
		f.since = NULL;
		n = record_tally_list(&d.st, &f, i, 0, &kept, NULL);
		f.since = "1970-01-01T00:00:00Z";
		m = record_tally_list(&d.st, &f, i, 0, &counted, NULL);
		CHECK_INT(m, n);
		for (j = 0; j < n && j < m; j++)
			if (kept[j].key.kernel_id != counted[j].key.kernel_id ||
			    strcmp(kept[j].test, counted[j].test))
				test_fail(__FILE__, __LINE__, "sort %d row %d "
					  "differs", i, j);
		record_tally_release(kept, n);
		record_tally_release(counted, m);
	}
	f.since = NULL;
	n = record_tally_list(&d.st, &f, RECORD_SORT_NAME, RECORD_TALLY_RECENT,
			      &kept, NULL);
	/* A date filter counts the iterations again. */
	f.since = "1970-01-01T00:00:00Z";
	m = record_tally_list(&d.st, &f, RECORD_SORT_NAME, RECORD_TALLY_RECENT,
			      &counted, NULL);
	CHECK_INT(n, 3);
	CHECK_INT(m, n);
	for (i = 0; i < n && i < m; i++) {
		CHECK_STR(kept[i].test, counted[i].test);
		CHECK_INT(kept[i].key.kernel_id, counted[i].key.kernel_id);
		CHECK_INT(kept[i].score.failures, counted[i].score.failures);
		CHECK_INT(kept[i].score.iterations, counted[i].score.iterations);
		CHECK_INT(kept[i].nrecent, counted[i].nrecent);
		CHECK(!memcmp(kept[i].recent, counted[i].recent,
			      (size_t)kept[i].nrecent));
		CHECK_NEAR(kept[i].stall_seconds, counted[i].stall_seconds,
			   1e-9);
	}
	/* The retry counts nowhere: a.sh on run 1 has 4 iterations. */
	for (i = 0; i < n; i++)
		if (!strcmp(kept[i].test, "a.sh") &&
		    kept[i].key.kernel_id == -d.run1)
			CHECK_INT(kept[i].score.iterations, 4);
	record_tally_release(kept, n);
	record_tally_release(counted, m);
	f = (struct record_filter)RECORD_FILTER_INIT;
	n = record_subtally(&d.st, &f, &sk);
	f.run_id = d.run1;
	m = record_subtally(&d.st, &f, &sc);
	CHECK_INT(n, 2);
	CHECK_INT(m, n);
	for (i = 0; i < n && i < m; i++) {
		CHECK_STR(sk[i].name, sc[i].name);
		CHECK_INT(sk[i].score.failures, sc[i].score.failures);
		CHECK_INT(sk[i].score.iterations, sc[i].score.iterations);
	}
	record_subtally_release(sk, n);
	record_subtally_release(sc, m);
	/* Rows lost (or deleted by hand) show in --check; --rebuild mends. */
	CHECK_INT(store_exec(&d.st, "DELETE FROM tallies WHERE test = 'b.sh'",
			     ""), 0);
	CHECK_INT(store_exec(&d.st, "UPDATE tallies SET pass = pass + 1 WHERE "
			     "test = 'a.sh'", ""), 0);
	/* b.sh missing, and both a.sh rows wrong both ways: 1 + 2 x 2. */
	CHECK_INT(record_tally_check(&d.st), 5);
	CHECK_INT(record_tally_rebuild(&d.st), 0);
	CHECK_INT(record_tally_check(&d.st), 0);
	CHECK_STR(keep_str(store_query_str(&d.st, "SELECT recent FROM tallies "
					   "WHERE test = 'a.sh' AND kernel_id = "
					   ":k", ":k I", -d.run1)), "0030");
	store_close(&d.st);
}

/* A kept reply is served until something commits to the database. */
TEST(web_cache_follows_data_version)
{
	struct strbuf body = STRBUF_INIT;
	const char *ctype = NULL;
	struct web_cache *c;
	long long v1, v2;
	int status = 0;
	struct db d;
	char *path;

	db_setup(&d);
	path = xstrdup(d.st.path);
	c = web_cache_new(path);
	CHECK(c != NULL);
	if (!c)
		goto out;
	v1 = web_cache_version(c);
	CHECK(v1 >= 0);
	strbuf_addstr(&body, "reply one");
	web_cache_put(c, "/flakes", v1, &body, "text/html", 200);
	strbuf_reset(&body);
	CHECK_INT(web_cache_get(c, "/flakes", v1, &body, &ctype, &status), 1);
	CHECK_STR(body.buf, "reply one");
	CHECK_STR(ctype, "text/html");
	CHECK_INT(status, 200);
	CHECK_INT(web_cache_get(c, "/flakes?page=2", v1, &body, &ctype,
				&status), 0);
	/* Nothing committed: the same version. */
	CHECK_INT(web_cache_version(c), v1);
	/* A commit by another connection changes it, and misses. */
	CHECK_INT(store_exec(&d.st, "UPDATE runs SET step = 'x' WHERE id = 1",
			     ""), 0);
	v2 = web_cache_version(c);
	CHECK(v2 != v1);
	strbuf_reset(&body);
	CHECK_INT(web_cache_get(c, "/flakes", v2, &body, &ctype, &status), 0);
	web_cache_free(c);
out:
	free(path);
	strbuf_release(&body);
	store_close(&d.st);
}
