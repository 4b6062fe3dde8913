/*
 * test_web.c - `kflake serve` end to end in one process: a database
 * written through store/record (plus bound INSERTs for the tables no
 * module writes yet), the real server on a free loopback port, and
 * libcurl as the client. Checks figures, escaping, filters, limits.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/record.h"
#include "../../harness/stats.h"
#include "../../harness/store.h"
#include "../../harness/util.h"
#include "../../harness/web.h"
#include "test.h"

#define QUOTED "it's \"quoted\".sh"
#define SCRIPT "<script>alert(1)</script>"
#define COMMIT "0123456789abcdef0123456789abcdef01234567"

struct fixture {
	struct store st;
	struct web_server *srv;
	char *db;
	long long run, running, quoted_iter, crash_iter, boot;
};

static long long add_iter(struct fixture *fx, long long run, const char *test,
			  int seq, enum record_outcome o, const char *console)
{
	struct record_iteration it = {
		.run_id = run, .boot_id = fx->boot, .test = test,
		.suite = "net", .seq = seq, .outcome = o, .rc = o != OUTCOME_PASS,
		.reason = o == OUTCOME_PASS ? "exit 0" : "exit 1 <b>bold</b>",
		.duration = 10 + seq, .guest_duration = -1, .timeout = 60,
		.output = "# output\n", .console = console,
		.started_at = 1700000000 + seq * 20 + (run == 1 ? 0 : 5000),
		.finished_at = 1700000010 + seq * 20,
	};

	return record_iteration_add(&fx->st, &it);
}

static void fill_runs(struct fixture *fx)
{
	struct record_run r = {
		.kind = "run", .tree_id = 1, .ref = "HEAD", .commit_id = COMMIT,
		.tests_json = "[\"udpgro_bench.sh\"]", .iterations = 10,
		.argv_json = "[\"kflake\",\"run\"]",
	};
	static const enum record_outcome outcomes[10] = {
		OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_PASS, OUTCOME_PASS,
		OUTCOME_STALL, OUTCOME_PASS, OUTCOME_PASS, OUTCOME_FAIL,
		OUTCOME_PASS, OUTCOME_PASS,
	};
	char *log = xasprintf("%s/console.log", test_tmpdir());
	static const char console[] = "boot ok\nBUG: kernel NULL pointer "
		"dereference\nCall Trace:\n  <TASK>\n  udp_gro+0x1a/0x40\n"
		"  </TASK>\nafter\n";
	int i;

	CHECK(!store_exec(&fx->st, "INSERT INTO trees(source, path, created_at)"
			  " VALUES (?, ?, ?)", "sss", "linux-source-6.1",
			  "/tmp/x", "2024-01-01T00:00:00Z"));
	fx->run = record_run_create(&fx->st, &r);
	CHECK_INT(fx->run, 1);
	CHECK(!util_write_file(log, console, strlen(console)));
	fx->boot = record_boot_create(&fx->st, fx->run, 1, "kvm", "qemu -m 2G",
				      log);
	for (i = 0; i < 10; i++)
		add_iter(fx, fx->run, "udpgro_bench.sh", i + 1, outcomes[i],
			 "plain line\n");
	add_iter(fx, fx->run, QUOTED, 1, OUTCOME_PASS, "");
	fx->quoted_iter = add_iter(fx, fx->run, QUOTED, 2, OUTCOME_FAIL, "");
	fx->crash_iter = add_iter(fx, fx->run, "crashy.sh", 1, OUTCOME_CRASH,
				  console);
	record_run_finish(&fx->st, fx->run, "done", NULL);
	r.commit_id = "fedcba9876543210fedcba9876543210fedcba98";
	fx->running = record_run_create(&fx->st, &r);
	add_iter(fx, fx->running, "udpgro_bench.sh", 1, OUTCOME_PASS, "");
	record_run_progress(&fx->st, fx->running, "run",
		"{\"done\":3,\"total\":10,\"eta\":123.4,\"test\":"
		"\"udpgro_bench.sh\",\"k\":2,\"n\":5}");
	free(log);
}

static void fill_others(struct fixture *fx)
{
	CHECK(!store_exec(&fx->st, "INSERT INTO series(source, kind, subject, "
			  "submitter, patch_count, state, created_at) VALUES "
			  "(?, 'mbox', ?, ?, 1, 'tested', ?)", "ssss",
			  "/tmp/s.mbox", SCRIPT, "Mallory <m@example.org>",
			  "2024-01-02T00:00:00Z"));
	CHECK(!store_exec(&fx->st, "INSERT INTO patches(series_id, seq, "
			  "subject) VALUES (1, 1, ?)", "s",
			  "[PATCH 1/1] net: <img src=x onerror=alert(2)>"));
	CHECK(!store_exec(&fx->st, "INSERT INTO crashes(fingerprint, kind, "
			  "title, frames, report, first_seen, last_seen, count) "
			  "VALUES ('fp1', 'bug', ?, 'udp_gro', ?, ?, ?, 1)",
			  "ssss", "BUG: kernel NULL pointer dereference in udp_gro",
			  "BUG: kernel NULL pointer dereference\n",
			  "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"));
	CHECK(!store_exec(&fx->st, "INSERT INTO crash_hits(crash_id, "
			  "iteration_id, run_id, test, report, seen_at) VALUES "
			  "(1, ?, ?, 'crashy.sh', 'BUG', ?)", "IIs",
			  fx->crash_iter, fx->run, "2024-01-01T00:00:00Z"));
	CHECK(!store_exec(&fx->st, "INSERT INTO snapshots(iteration_id, label, "
			  "summary, content) VALUES (?, 'tcp-sender-stuck', "
			  "'sender waits', 'ss -tin output')", "I",
			  fx->crash_iter));
}

static int setup(struct fixture *fx)
{
	struct web_config cfg = { "127.0.0.1", 0, NULL, 2 };

	memset(fx, 0, sizeof(*fx));
	fx->db = xasprintf("%s/kflake.db", test_tmpdir());
	if (store_open(&fx->st, fx->db, 0))
		return -1;
	fill_runs(fx);
	fill_others(fx);
	cfg.db_path = fx->db;
	fx->srv = web_start(&cfg);
	CHECK(fx->srv != NULL);
	return fx->srv ? 0 : -1;
}

static void teardown(struct fixture *fx)
{
	web_stop(fx->srv);
	store_close(&fx->st);
	free(fx->db);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	strbuf_add(arg, p, size * n);
	return size * n;
}

/* GETs (or another method) path; returns the status, body in *body. */
static long fetch(struct fixture *fx, const char *method, const char *path,
		  struct strbuf *body)
{
	CURL *c = curl_easy_init();
	char *url = xasprintf("http://127.0.0.1:%d%s", web_port(fx->srv), path);
	long status = -1;

	strbuf_reset(body);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	free(url);
	return status;
}

static long get(struct fixture *fx, const char *path, struct strbuf *body)
{
	return fetch(fx, "GET", path, body);
}

static json_t *get_json(struct fixture *fx, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *v = NULL;

	if (get(fx, path, &sb) == 200)
		v = json_loads(sb.buf, 0, NULL);
	strbuf_release(&sb);
	CHECK(v != NULL);
	return v;
}

#define HAS(sb, s) CHECK(strstr(strbuf_str(sb), (s)) != NULL)
#define LACKS(sb, s) CHECK(strstr(strbuf_str(sb), (s)) == NULL)

static void interval_text(long k, long n, char *buf, size_t len)
{
	double lo, hi;

	stats_wilson(k, n, STATS_Z95, &lo, &hi);
	snprintf(buf, len, "%.1f-%.1f%%", lo * 100, hi * 100);
}

TEST(web_pages_show_the_figures)
{
	struct strbuf sb = STRBUF_INIT;
	struct fixture fx;
	char ci[64];

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (setup(&fx))
		return;
	CHECK_INT(get(&fx, "/", &sb), 200);
	HAS(&sb, "<a href=\"/run/2\">run 2</a>");
	HAS(&sb, "3/10 done");
	HAS(&sb, "iteration 2/5");
	HAS(&sb, "ETA 2m 03s");
	HAS(&sb, "<a href=\"/run/1\">1</a>");

	/* udpgro_bench.sh: 2 fail + 1 stall of 11 iterations, 3/11 verdict runs. */
	CHECK_INT(get(&fx, "/flakes", &sb), 200);
	HAS(&sb, "27.3% <small>(3/11)</small>");
	interval_text(3, 11, ci, sizeof(ci));
	HAS(&sb, ci);
	HAS(&sb, "<span class=\"o o-stall\">stall 1</span>");
	HAS(&sb, "<span class=\"o o-pass\">pass 8</span>");
	HAS(&sb, "<svg class=\"spark\"");
	HAS(&sb, "<a href=\"/test/udpgro_bench.sh\">udpgro_bench.sh</a>");

	CHECK_INT(get(&fx, "/run/1", &sb), 200);
	HAS(&sb, "<dt>Iterations</dt><dd>13 (5 failed)</dd>");
	HAS(&sb, "kflake run --tree linux-source-6.1 --ref " COMMIT
		 " --test net:udpgro_bench.sh --iterations 1");
	HAS(&sb, "exit 1 &lt;b&gt;bold&lt;/b&gt;");
	HAS(&sb, "<span class=\"crash\">BUG: kernel NULL pointer");
	HAS(&sb, "tcp-sender-stuck");
	HAS(&sb, "<a href=\"/boot/1\">log</a>");

	CHECK_INT(get(&fx, "/test/udpgro_bench.sh", &sb), 200);
	HAS(&sb, "<figure class=\"plot\"><figcaption>Duration per iteration");
	HAS(&sb, "<code title=\"" COMMIT "\">0123456789ab</code>");
	CHECK_INT(get(&fx, "/crashes", &sb), 200);
	HAS(&sb, "BUG: kernel NULL pointer dereference in udp_gro");
	CHECK_INT(get(&fx, "/crash/1", &sb), 200);
	HAS(&sb, "<a href=\"/test/crashy.sh\">crashy.sh</a>");
	CHECK_INT(get(&fx, "/static/style.css", &sb), 200);
	HAS(&sb, "body");
	teardown(&fx);
	strbuf_release(&sb);
}

TEST(web_escapes_what_strangers_wrote)
{
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
	struct fixture fx;
	char path[64];
	json_t *v;

	if (setup(&fx))
		return;
	CHECK_INT(get(&fx, "/series", &sb), 200);
	HAS(&sb, "&lt;script&gt;alert(1)&lt;/script&gt;");
	LACKS(&sb, SCRIPT);
	CHECK_INT(get(&fx, "/series/1", &sb), 200);
	HAS(&sb, "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>");
	HAS(&sb, "&lt;img src=x onerror=alert(2)&gt;");
	LACKS(&sb, "<script>");
	LACKS(&sb, "<img");

	CHECK_INT(get(&fx, "/flakes", &sb), 200);
	HAS(&sb, "<a href=\"/test/it%27s%20%22quoted%22.sh\">"
		 "it&#39;s &quot;quoted&quot;.sh</a>");
	LACKS(&sb, QUOTED);
	CHECK_INT(get(&fx, "/test/it%27s%20%22quoted%22.sh", &sb), 200);
	HAS(&sb, "<h1>it&#39;s &quot;quoted&quot;.sh ");

	/* The reproduce command is shell-quoted, then HTML-escaped. */
	snprintf(path, sizeof(path), "/iteration/%lld", fx.quoted_iter);
	CHECK_INT(get(&fx, path, &sb), 200);
	web_html_escape(&want, "--test 'net:it'\\''s \"quoted\".sh' "
			"--iterations 1");
	HAS(&sb, want.buf);

	/* JSON carries the data as it is: escaping is the page's job. */
	v = get_json(&fx, "/api/series");
	CHECK_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(v, "series"), 0), "subject")), SCRIPT);
	json_decref(v);
	teardown(&fx);
	strbuf_release(&want);
	strbuf_release(&sb);
}

static json_t *find_test(json_t *tests, const char *name)
{
	size_t i;
	json_t *t;

	json_array_foreach(tests, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "test")), name))
			return t;
	return NULL;
}

TEST(web_api_figures_filters_and_pages)
{
	struct fixture fx;
	json_t *v, *t;
	double lo, hi;

	if (setup(&fx))
		return;
	v = get_json(&fx, "/api/tests");
	t = find_test(json_object_get(v, "tests"), "udpgro_bench.sh");
	CHECK(t != NULL);
	CHECK_INT(json_integer_value(json_object_get(t, "runs")), 11);
	CHECK_INT(json_integer_value(json_object_get(t, "failures")), 3);
	CHECK_NEAR(json_real_value(json_object_get(t, "rate")), 3.0 / 11, 1e-9);
	stats_wilson(3, 11, STATS_Z95, &lo, &hi);
	CHECK_NEAR(json_real_value(json_array_get(json_object_get(t,
		"interval"), 0)), lo, 1e-9);
	CHECK_NEAR(json_real_value(json_object_get(t, "stall_seconds")), 15,
		   1e-9);
	json_decref(v);

	/* commit prefix: only the finished run's iterations. */
	v = get_json(&fx, "/api/tests?commit=0123456789");
	t = find_test(json_object_get(v, "tests"), "udpgro_bench.sh");
	CHECK_INT(json_integer_value(json_object_get(t, "runs")), 10);
	json_decref(v);

	v = get_json(&fx, "/api/runs?outcome=stall");
	CHECK_INT(json_array_size(json_object_get(v, "runs")), 1);
	json_decref(v);
	v = get_json(&fx, "/api/runs?test=nothing.sh");
	CHECK_INT(json_array_size(json_object_get(v, "runs")), 0);
	json_decref(v);

	v = get_json(&fx, "/api/run/1?limit=5&page=3");
	CHECK_INT(json_array_size(json_object_get(v, "iterations")), 3);
	CHECK(json_is_false(json_object_get(json_object_get(v, "page"),
					    "more")));
	CHECK_INT(json_array_size(json_object_get(v, "results")), 3);
	json_decref(v);
	v = get_json(&fx, "/api/run/1?limit=5");
	CHECK(json_is_true(json_object_get(json_object_get(v, "page"),
					   "more")));
	json_decref(v);

	v = get_json(&fx, "/api/running");
	t = json_array_get(json_object_get(v, "running"), 0);
	CHECK_INT(json_integer_value(json_object_get(t, "id")), 2);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(t,
		"progress"), "done")), 3);
	CHECK_STR(json_string_value(json_object_get(t, "step")), "run");
	json_decref(v);
	teardown(&fx);
}

TEST(web_rejects_bad_requests)
{
	static const struct {
		const char *method, *path;
		long status;
	} cases[] = {
		{ "GET", "/nope", 404 },
		{ "GET", "/run/999", 404 },
		{ "GET", "/run/1/x", 404 },
		{ "GET", "/run/abc", 404 },
		{ "GET", "/api/run/999", 404 },
		{ "GET", "/test/nothing.sh", 404 },
		{ "GET", "/boot/1/../../etc/passwd", 404 },
		{ "GET", "/flakes?limit=0", 400 },
		{ "GET", "/flakes?limit=100000", 400 },
		{ "GET", "/flakes?bogus=1", 400 },
		{ "GET", "/flakes?outcome=weird", 400 },
		{ "GET", "/flakes?sort=evil", 400 },
		{ "GET", "/api/runs?commit=ZZZZ", 400 },
		{ "GET", "/api/runs?since=2024-13-45", 400 },
		{ "GET", "/api/runs?since=2024-02-01&until=2024-01-01", 400 },
		{ "GET", "/api/runs?since=2024-01-01&until=2024-02-01", 200 },
		{ "POST", "/", 405 },
		{ "DELETE", "/run/1", 405 },
	};
	struct strbuf sb = STRBUF_INIT;
	struct fixture fx;
	char *longurl;
	size_t i;

	if (setup(&fx))
		return;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		long got = fetch(&fx, cases[i].method, cases[i].path, &sb);

		if (got != cases[i].status)
			test_fail(__FILE__, __LINE__, "%s %s: %ld, expected %ld",
				  cases[i].method, cases[i].path, got,
				  cases[i].status);
	}
	CHECK_INT(get(&fx, "/api/runs?commit=ZZZZ", &sb), 400);
	HAS(&sb, "\"error\"");
	HAS(&sb, "commit");
	longurl = xasprintf("/flakes?test=%03000d", 1);
	CHECK(get(&fx, longurl, &sb) >= 400);
	free(longurl);

	/* The console is read from the path the database names, by boot id. */
	CHECK_INT(get(&fx, "/boot/1/console", &sb), 200);
	HAS(&sb, "BUG: kernel NULL pointer dereference\nCall Trace:");
	LACKS(&sb, "<span");
	teardown(&fx);
	strbuf_release(&sb);
}

TEST(web_sees_what_a_run_writes_meanwhile)
{
	struct fixture fx;
	json_t *v, *t;
	int i;

	if (setup(&fx))
		return;
	v = get_json(&fx, "/api/tests");
	json_decref(v);
	for (i = 0; i < 5; i++)
		add_iter(&fx, fx.running, "late.sh", i + 1, OUTCOME_FAIL, "");
	v = get_json(&fx, "/api/tests");
	t = find_test(json_object_get(v, "tests"), "late.sh");
	CHECK(t != NULL);
	CHECK_INT(json_integer_value(json_object_get(t, "failures")), 5);
	json_decref(v);
	teardown(&fx);
	curl_global_cleanup();
}
