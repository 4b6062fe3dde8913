/*
 * test_web.c - `kflake serve` end to end in one process: a database
 * written through store/record (plus bound INSERTs for the tables no
 * module writes yet), the real server on a free loopback port, and
 * libcurl as the client. Checks figures, escaping, filters, pages and
 * their "more" flags, the error replies, keep-alive, the Host allow-list
 * and the limits.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness/artefact.h"
#include "../../harness/record.h"
#include "../../harness/stats.h"
#include "../../harness/store.h"
#include "../../harness/utf8.h"
#include "../../harness/util.h"
#include "../../harness/web.h"
#include "../../harness/web_html.h"
#include "test.h"

#define QUOTED "it's \"quoted\".sh"
#define SCRIPT "<script>alert(1)</script>"
#define COMMIT "0123456789abcdef0123456789abcdef01234567"
#define BADUTF "bad\xff\xfe-utf8.sh"

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
		.max_silence = -1,
		.output = "# output\n", .console = console,
		.started_at = 1700000000 + seq * 20 + (run == 1 ? 0 : 5000),
		.finished_at = 1700000010 + seq * 20,
	};

	return record_iteration_add(&fx->st, &it);
}

/* A console log in the run's artefact directory, CRLF lines and a crash. */
static char *write_console(struct fixture *fx, long long run)
{
	static const char console[] = "boot ok\r\nBUG: kernel NULL pointer "
		"dereference\r\nCall Trace:\r\n  <TASK>\r\n  udp_gro+0x1a/0x40"
		"\r\n  </TASK>\r\nafter the crash\r\n";
	char *dir = artefact_run_dir(&fx->st, run);
	char *log = xasprintf("%s/boot-1/console.log", dir);
	char *bdir = xasprintf("%s/boot-1", dir);

	CHECK_INT(util_mkdir_p(bdir), 0);
	CHECK(!util_write_file(log, console, strlen(console)));
	free(dir);
	free(bdir);
	return log;
}

/* The kernel a build of commit would record, and the run on it. */
static void set_kernel(struct fixture *fx, long long run, const char *commit)
{
	struct record_kernel k = {
		.tree_id = 1, .commit_id = commit, .config_hash = "cfg",
		.compiler = "gcc", .cache_key = commit, .fragments_json = "[]",
		.ok = 1, .image_path = "/k/bzImage", .image_sha1 = commit,
		.build_seconds = 60,
	};

	CHECK_INT(record_run_set_kernel(&fx->st, run,
					record_kernel_save(&fx->st, &k)), 0);
}

static void fill_runs(struct fixture *fx)
{
	struct record_run r = {
		.kind = "run", .tree_id = 1, .ref = "HEAD", .commit_id = COMMIT,
		.tests_json = "[\"udpgro_bench.sh\"]", .iterations = 10,
		.argv_json = "[\"kflake\",\"run\"]", .guest_cpus = 2,
		.guest_mem_mb = 2048,
	};
	static const enum record_outcome outcomes[10] = {
		OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_PASS, OUTCOME_PASS,
		OUTCOME_STALL, OUTCOME_PASS, OUTCOME_PASS, OUTCOME_FAIL,
		OUTCOME_PASS, OUTCOME_PASS,
	};
	static const char console[] = "boot ok\nBUG: kernel NULL pointer "
		"dereference\nCall Trace:\n  <TASK>\n  udp_gro+0x1a/0x40\n"
		"  </TASK>\nafter\n";
	char *log;
	int i;

	CHECK(!store_exec(&fx->st, "INSERT INTO trees(source, path, created_at)"
			  " VALUES (?, ?, ?)", "sss", "linux-source-6.1",
			  "/tmp/x", "2024-01-01T00:00:00Z"));
	fx->run = record_run_create(&fx->st, &r);
	CHECK_INT(fx->run, 1);
	set_kernel(fx, fx->run, r.commit_id);
	log = write_console(fx, fx->run);
	fx->boot = record_boot_create(&fx->st, fx->run, 1, "kvm", "qemu -m 2G",
				      log);
	for (i = 0; i < 10; i++)
		add_iter(fx, fx->run, "udpgro_bench.sh", i + 1, outcomes[i],
			 "plain line\n");
	add_iter(fx, fx->run, QUOTED, 1, OUTCOME_PASS, "");
	fx->quoted_iter = add_iter(fx, fx->run, QUOTED, 2, OUTCOME_FAIL, "");
	fx->crash_iter = add_iter(fx, fx->run, "crashy.sh", 1, OUTCOME_CRASH,
				  console);
	add_iter(fx, fx->run, BADUTF, 1, OUTCOME_PASS, "");
	record_run_finish(&fx->st, fx->run, "done", NULL);
	r.commit_id = "fedcba9876543210fedcba9876543210fedcba98";
	fx->running = record_run_create(&fx->st, &r);
	set_kernel(fx, fx->running, r.commit_id);
	add_iter(fx, fx->running, "udpgro_bench.sh", 1, OUTCOME_PASS, "");
	record_run_progress(&fx->st, fx->running, "run",
		"{\"done\":3,\"total\":10,\"eta\":123.4,\"test\":"
		"\"udpgro_bench.sh\",\"k\":2,\"n\":5}");
	free(log);
}

static void fill_others(struct fixture *fx)
{
	CHECK(!store_exec(&fx->st, "INSERT INTO series(source, kind, subject, "
			  "submitter, patch_count, state, created_at, msgid, "
			  "pw_id) VALUES (?, 'patchwork', ?, ?, 1, 'tested', ?, "
			  "?, 42)", "sssss",
			  "pw:https://patchwork.example.org/42", SCRIPT,
			  "Mallory <m@example.org>", "2024-01-02T00:00:00Z",
			  "<1.git.m@example.org>"));
	CHECK(!store_exec(&fx->st, "INSERT INTO patches(series_id, seq, "
			  "subject, msgid) VALUES (1, 1, ?, ?)", "ss",
			  "[PATCH 1/1] net: <img src=x onerror=alert(2)>",
			  "<2.git.m@example.org>"));
	/* The verdict `run --series` stores (seriesrun.c's columns). */
	CHECK(!store_exec(&fx->st, "INSERT INTO series_verdicts(series_id, "
			  "series_run, base_run, test, subcase, base_failures, "
			  "base_runs, series_failures, series_runs, p_value, "
			  "change, verdict, created_at) VALUES (1, 1, NULL, "
			  "'udpgro_bench.sh', NULL, 0, 20, 6, 20, 0.02, "
			  "'regression', 'regression', 'now')", ""));
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

static int setup_with(struct fixture *fx, const char *const *hosts,
		      size_t nhosts)
{
	struct web_config cfg = {
		.host = "127.0.0.1", .threads = 2, .allow_hosts = hosts,
		.nallow_hosts = nhosts,
	};

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

static int setup(struct fixture *fx)
{
	return setup_with(fx, NULL, 0);
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

/* Request path on c; returns the status, the body in *body. */
static long fetch_on(CURL *c, struct fixture *fx, const char *method,
		     const char *path, const char *host, struct strbuf *body)
{
	char *url = xasprintf("http://127.0.0.1:%d%s", web_port(fx->srv), path);
	struct curl_slist *hdr = NULL;
	long status = -1;

	strbuf_reset(body);
	if (host) {
		char *h = xasprintf("Host: %s", host);

		hdr = curl_slist_append(NULL, h);
		free(h);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* "GET+BODY": a GET that carries a body. */
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
			 strcmp(method, "GET+BODY") ? method : "GET");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (!strcmp(method, "POST") || !strcmp(method, "GET+BODY"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	free(url);
	return status;
}

static long fetch(struct fixture *fx, const char *method, const char *path,
		  struct strbuf *body)
{
	CURL *c = curl_easy_init();
	long status = fetch_on(c, fx, method, path, NULL, body);

	curl_easy_cleanup(c);
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
	if (!v)
		test_fail(__FILE__, __LINE__, "GET %s: no JSON", path);
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

/* A list reply has one shape everywhere. */
static json_t *items(json_t *list, long page, long limit, int more)
{
	CHECK(json_is_array(json_object_get(list, "items")));
	CHECK_INT(json_integer_value(json_object_get(list, "page")), page);
	CHECK_INT(json_integer_value(json_object_get(list, "limit")), limit);
	CHECK(json_is_boolean(json_object_get(list, "more")));
	CHECK_INT(json_is_true(json_object_get(list, "more")), more);
	return json_object_get(list, "items");
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

	/* udpgro_bench.sh: 2 fail + 1 stall of 10, on one kernel. */
	CHECK_INT(get(&fx, "/flakes", &sb), 200);
	HAS(&sb, "30.0% <small>(3/10)</small>");
	interval_text(3, 10, ci, sizeof(ci));
	HAS(&sb, ci);
	HAS(&sb, "<span class=\"o o-stall\">stall 1</span>");
	HAS(&sb, "<span class=\"o o-pass\">pass 7</span>");
	HAS(&sb, "<svg class=\"spark\"");
	HAS(&sb, "<a class=\"name\" href=\"/test/udpgro_bench.sh\">"
		 "udpgro_bench.sh</a>");
	/* The other kernel's iteration is its own row, never pooled. */
	HAS(&sb, "0.0% <small>(0/1)</small>");
	HAS(&sb, "never counted together");
	HAS(&sb, ">Iterations</a></th>");

	CHECK_INT(get(&fx, "/run/1", &sb), 200);
	HAS(&sb, "<dt>Iterations</dt><dd>14 (5 failed)</dd>");
	/* Reproduce: the guest size and enough iterations for the rate. */
	HAS(&sb, "kflake run --tree linux-source-6.1 --ref " COMMIT
		 " --test net:udpgro_bench.sh --cpus 2 --mem 2048 --iterations 9");
	HAS(&sb, "exit 1 &lt;b&gt;bold&lt;/b&gt;");
	HAS(&sb, "<span class=\"crash\">BUG: kernel NULL pointer");
	HAS(&sb, "tcp-sender-stuck");
	HAS(&sb, "<a href=\"/boot/1\">log</a>");

	CHECK_INT(get(&fx, "/test/udpgro_bench.sh", &sb), 200);
	HAS(&sb, "<figure class=\"plot\"><figcaption>Duration per iteration");
	HAS(&sb, "class=\"ytick\"");
	HAS(&sb, "class=\"boundary\"");
	HAS(&sb, "class=\"limit\"");
	HAS(&sb, "<g class=\"legend\">");
	HAS(&sb, "<code title=\"" COMMIT "\">0123456789ab</code>");
	CHECK_INT(get(&fx, "/crashes", &sb), 200);
	HAS(&sb, "BUG: kernel NULL pointer dereference in udp_gro");
	CHECK_INT(get(&fx, "/crash/1", &sb), 200);
	HAS(&sb, "<a class=\"name\" href=\"/test/crashy.sh\">crashy.sh</a>");
	CHECK_INT(get(&fx, "/bisects", &sb), 200);
	/* The series page: the stored verdict, lore and patchwork links. */
	CHECK_INT(get(&fx, "/series/1", &sb), 200);
	HAS(&sb, "<h2>Verdict</h2>");
	HAS(&sb, "earlier base iterations (reused)");
	HAS(&sb, "<span class=\"badge change-regression\">regression</span>");
	HAS(&sb, "30.0% <small>(6/20)</small>");
	HAS(&sb, "href=\"https://lore.kernel.org/all/1.git.m%40example.org/\"");
	HAS(&sb, "href=\"https://lore.kernel.org/all/2.git.m%40example.org/\"");
	HAS(&sb, "href=\"https://patchwork.example.org/api/series/42/\"");
	/* The overview says what is new or worse, not a badge per run. */
	CHECK_INT(get(&fx, "/", &sb), 200);
	HAS(&sb, "<h2>Since the previous kernel</h2>");
	HAS(&sb, "<span class=\"badge change-new-test\">new test</span>");
	LACKS(&sb, "badge v-flaky");
	/* The test page: onset, before and since, trend. */
	CHECK_INT(get(&fx, "/test/udpgro_bench.sh", &sb), 200);
	HAS(&sb, "<dt>Onset</dt><dd class=\"onset\">first failed on <code "
		 "title=\"" COMMIT "\">");
	HAS(&sb, "<dt>Since</dt><dd>27.3% (3/11)");
	HAS(&sb, "2 kernels pooled");
	HAS(&sb, "<dt>Trend</dt>");
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

	CHECK_INT(get(&fx, "/flakes?sort=name", &sb), 200);
	HAS(&sb, "<a class=\"name\" href=\"/test/it%27s%20%22quoted%22.sh\">"
		 "it&#39;s &quot;quoted&quot;.sh</a>");
	LACKS(&sb, QUOTED);
	/* Invalid UTF-8 shows as U+FFFD, never raw. */
	HAS(&sb, "bad" UTF8_REPLACEMENT UTF8_REPLACEMENT "-utf8.sh");
	LACKS(&sb, "\xff");
	CHECK_INT(get(&fx, "/test/it%27s%20%22quoted%22.sh", &sb), 200);
	HAS(&sb, "<h1>it&#39;s &quot;quoted&quot;.sh ");

	/* The reproduce command is shell-quoted, then HTML-escaped. */
	snprintf(path, sizeof(path), "/iteration/%lld", fx.quoted_iter);
	CHECK_INT(get(&fx, path, &sb), 200);
	web_html_escape(&want, "--test 'net:it'\\''s \"quoted\".sh' ");
	HAS(&sb, want.buf);

	/* JSON carries the data as it is: escaping is the page's job. */
	v = get_json(&fx, "/api/series");
	CHECK_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(v, "items"), 0), "subject")), SCRIPT);
	json_decref(v);
	/* ...but invalid UTF-8 becomes U+FFFD there too, not '?'. */
	v = get_json(&fx, "/api/tests?test=utf8");
	CHECK_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(v, "items"), 0), "test")),
		  "bad" UTF8_REPLACEMENT UTF8_REPLACEMENT "-utf8.sh");
	json_decref(v);
	teardown(&fx);
	strbuf_release(&want);
	strbuf_release(&sb);
}

static json_t *find_test(json_t *tests, const char *name, const char *commit)
{
	size_t i;
	json_t *t;

	json_array_foreach(tests, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "test")), name)
		    && !strncmp(json_string_value(json_object_get(json_object_get(
				t, "pool"), "commit")), commit, strlen(commit)))
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
	t = find_test(items(v, 1, 100, 0), "udpgro_bench.sh", COMMIT);
	CHECK(t != NULL);
	CHECK_INT(json_integer_value(json_object_get(t, "iterations")), 10);
	CHECK_INT(json_integer_value(json_object_get(t, "failures")), 3);
	CHECK_NEAR(json_real_value(json_object_get(t, "rate")), 0.3, 1e-9);
	stats_wilson(3, 10, STATS_Z95, &lo, &hi);
	CHECK_NEAR(json_real_value(json_array_get(json_object_get(t,
		"interval"), 0)), lo, 1e-9);
	CHECK_NEAR(json_real_value(json_object_get(t, "stall_seconds")), 15,
		   1e-9);
	CHECK_INT(json_array_size(json_object_get(t, "recent")), 10);
	json_decref(v);

	/* Pages of /api/tests say when there is more. */
	v = get_json(&fx, "/api/tests?limit=2");
	CHECK_INT(json_array_size(items(v, 1, 2, 1)), 2);
	json_decref(v);
	v = get_json(&fx, "/api/tests?test=bench");
	CHECK_INT(json_array_size(items(v, 1, 100, 0)), 2);
	json_decref(v);

	/* commit prefix: only the finished run's kernel. */
	v = get_json(&fx, "/api/tests?commit=0123456789");
	t = find_test(json_object_get(v, "items"), "udpgro_bench.sh", COMMIT);
	CHECK(t != NULL);
	CHECK_INT(json_array_size(json_object_get(v, "items")), 4);
	json_decref(v);

	v = get_json(&fx, "/api/runs?outcome=stall");
	CHECK_INT(json_array_size(items(v, 1, 50, 0)), 1);
	/* tests is an array here as on /api/run/ID. */
	CHECK(json_is_array(json_object_get(json_array_get(
		json_object_get(v, "items"), 0), "tests")));
	json_decref(v);
	v = get_json(&fx, "/api/runs?test=nothing.sh");
	CHECK_INT(json_array_size(items(v, 1, 50, 0)), 0);
	json_decref(v);

	v = get_json(&fx, "/api/run/1?limit=5&page=3");
	CHECK_INT(json_array_size(items(json_object_get(v, "iterations"), 3,
					5, 0)), 4);
	/* The planned count is not overwritten by the iteration list. */
	CHECK_INT(json_integer_value(json_object_get(v, "iterations_per_test")),
		  10);
	CHECK(json_is_array(json_object_get(v, "tests")));
	CHECK_INT(json_array_size(json_object_get(v, "results")), 4);
	CHECK_INT(json_array_size(items(json_object_get(v, "boots"), 1, 1000,
					0)), 1);
	json_decref(v);
	v = get_json(&fx, "/api/run/1?limit=5");
	items(json_object_get(v, "iterations"), 1, 5, 1);
	json_decref(v);

	/* A test's page past its end, or an outcome it never had: empty. */
	v = get_json(&fx, "/api/test/udpgro_bench.sh?page=2");
	CHECK_INT(json_array_size(items(json_object_get(v, "iterations"), 2,
					100, 0)), 0);
	CHECK_INT(json_array_size(json_object_get(v, "kernels")), 2);
	json_decref(v);
	v = get_json(&fx, "/api/test/udpgro_bench.sh?outcome=crash");
	CHECK_INT(json_array_size(items(json_object_get(v, "iterations"), 1,
					100, 0)), 0);
	json_decref(v);

	v = get_json(&fx, "/api/running");
	t = json_array_get(items(v, 1, 50, 0), 0);
	CHECK_INT(json_integer_value(json_object_get(t, "id")), 2);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(t,
		"progress"), "done")), 3);
	CHECK_STR(json_string_value(json_object_get(t, "step")), "run");
	json_decref(v);

	v = get_json(&fx, "/api/crash/1");
	CHECK_INT(json_array_size(items(json_object_get(v, "hits"), 1, 500,
					0)), 1);
	json_decref(v);
	v = get_json(&fx, "/api/series/1");
	items(json_object_get(v, "patches"), 1, 1000, 0);
	items(json_object_get(v, "runs"), 1, 200, 0);
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
	/* Pages answer errors with a page that has the navigation. */
	CHECK_INT(get(&fx, "/run/999", &sb), 404);
	HAS(&sb, "<nav>");
	HAS(&sb, "no run 999");
	CHECK_INT(get(&fx, "/flakes?limit=0", &sb), 400);
	HAS(&sb, "<nav>");
	HAS(&sb, "<h1 class=\"error\">400 Bad request</h1>");
	longurl = xasprintf("/flakes?test=%03000d", 1);
	CHECK(get(&fx, longurl, &sb) >= 400);
	free(longurl);

	/* The console is read from the path the database names, by boot id. */
	CHECK_INT(get(&fx, "/boot/1/console", &sb), 200);
	HAS(&sb, "BUG: kernel NULL pointer dereference\r\nCall Trace:");
	LACKS(&sb, "<span");
	teardown(&fx);
	strbuf_release(&sb);
}

/* issue 13: errors under /api/ are JSON, whatever the status. */
TEST(web_api_errors_are_json)
{
	static const struct {
		const char *method, *path;
		long status;
	} cases[] = {
		{ "GET", "/api/nothing", 404 },
		{ "GET", "/api/runs?bogus=1", 400 },
		{ "GET+BODY", "/api/runs", 413 },
		{ "POST", "/api/runs", 405 },
		{ "PUT", "/api/runs", 405 },
		{ "DELETE", "/api/runs", 405 },
	};
	struct strbuf sb = STRBUF_INIT;
	struct fixture fx;
	char *longurl;
	json_t *v;
	size_t i;

	if (setup(&fx))
		return;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		long got = fetch(&fx, cases[i].method, cases[i].path, &sb);

		if (got != cases[i].status)
			test_fail(__FILE__, __LINE__, "%s %s: %ld, expected %ld",
				  cases[i].method, cases[i].path, got,
				  cases[i].status);
		v = json_loads(strbuf_str(&sb), 0, NULL);
		if (!json_is_string(json_object_get(v, "error")) ||
		    json_integer_value(json_object_get(v, "status")) != got)
			test_fail(__FILE__, __LINE__, "%s %s: not a JSON error: "
				  "%.80s", cases[i].method, cases[i].path,
				  strbuf_str(&sb));
		json_decref(v);
	}
	longurl = xasprintf("/api/runs?test=%03000d", 1);
	CHECK_INT(get(&fx, longurl, &sb), 414);
	free(longurl);
	v = json_loads(strbuf_str(&sb), 0, NULL);
	CHECK(json_is_string(json_object_get(v, "error")));
	json_decref(v);
	teardown(&fx);
	strbuf_release(&sb);
}

/* issue 13: too many parameters are refused at once, not after 30 s. */
TEST(web_too_many_parameters_400_at_once)
{
	struct strbuf sb = STRBUF_INIT, url = STRBUF_INIT;
	struct fixture fx;
	double t0;
	int i;

	if (setup(&fx))
		return;
	strbuf_addstr(&url, "/api/runs?");
	for (i = 0; i < 500; i++)
		strbuf_addf(&url, "%sa=%d", i ? "&" : "", i);
	t0 = util_now();
	CHECK_INT(get(&fx, url.buf, &sb), 400);
	CHECK(util_now() - t0 < 5);
	HAS(&sb, "too many parameters");
	strbuf_reset(&url);
	strbuf_addstr(&url, "/flakes?");
	for (i = 0; i < 17; i++)
		strbuf_addf(&url, "%spage=1", i ? "&" : "");
	CHECK_INT(get(&fx, url.buf, &sb), 400);
	teardown(&fx);
	strbuf_release(&url);
	strbuf_release(&sb);
}

/* issue 13: a Host that is not this server gets 421 (DNS rebinding). */
TEST(web_host_allow_list)
{
	static const char *const hosts[] = { "kflake.example.org" };
	struct strbuf sb = STRBUF_INIT;
	struct fixture fx;
	CURL *c;

	if (setup_with(&fx, hosts, 1))
		return;
	c = curl_easy_init();
	CHECK_INT(fetch_on(c, &fx, "GET", "/api/runs", "evil.example.com",
			   &sb), 421);
	HAS(&sb, "\"error\"");
	CHECK_INT(fetch_on(c, &fx, "GET", "/", "evil.example.com:8080", &sb),
		  421);
	LACKS(&sb, "run 2");
	CHECK_INT(fetch_on(c, &fx, "GET", "/", "localhost:1234", &sb), 200);
	CHECK_INT(fetch_on(c, &fx, "GET", "/", "127.0.0.1", &sb), 200);
	CHECK_INT(fetch_on(c, &fx, "GET", "/", "[::1]:80", &sb), 200);
	CHECK_INT(fetch_on(c, &fx, "GET", "/", "KFLAKE.example.org:80", &sb),
		  200);
	CHECK_INT(fetch_on(c, &fx, "GET", "/", "example.org", &sb), 421);
	curl_easy_cleanup(c);
	teardown(&fx);
	strbuf_release(&sb);
}

/* issue 13: replies keep the connection open for the next request. */
TEST(web_keeps_connections_alive)
{
	struct strbuf sb = STRBUF_INIT;
	struct fixture fx;
	long conns = -1;
	CURL *c;
	int i;

	if (setup(&fx))
		return;
	c = curl_easy_init();
	for (i = 0; i < 5; i++) {
		CHECK_INT(fetch_on(c, &fx, "GET", i % 2 ? "/api/runs" : "/flakes",
				   NULL, &sb), 200);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns);
		/* The first request connects; the others reuse it. */
		CHECK_INT(conns, i ? 0 : 1);
	}
	/* An error reply does not cost the connection either. */
	CHECK_INT(fetch_on(c, &fx, "GET", "/nope", NULL, &sb), 404);
	CHECK_INT(fetch_on(c, &fx, "GET", "/", NULL, &sb), 200);
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns);
	CHECK_INT(conns, 0);
	curl_easy_cleanup(c);
	teardown(&fx);
	strbuf_release(&sb);
}

/* issue 13: /boot/ID reads only inside this database's artefacts. */
TEST(web_boot_log_stays_in_the_artefact_dir)
{
	struct strbuf sb = STRBUF_INIT;
	struct fixture fx;
	char *outside = xasprintf("%s/secret.txt", test_tmpdir());
	char *link;
	long long b;

	if (setup(&fx))
		return;
	CHECK(!util_write_file(outside, "SECRET\n", 7));
	b = record_boot_create(&fx.st, fx.run, 2, "tcg", "qemu", outside);
	link = xasprintf("/boot/%lld/console", b);
	CHECK_INT(get(&fx, link, &sb), 404);
	LACKS(&sb, "SECRET");
	free(link);
	/* A link inside the directory pointing out is refused as well. */
	{
		char *dir = artefact_run_dir(&fx.st, fx.run);
		char *sym = xasprintf("%s/boot-1/evil.log", dir);

		CHECK_INT(symlink(outside, sym), 0);
		b = record_boot_create(&fx.st, fx.run, 3, "tcg", "qemu", sym);
		link = xasprintf("/boot/%lld/console", b);
		CHECK_INT(get(&fx, link, &sb), 404);
		LACKS(&sb, "SECRET");
		free(link);
		free(sym);
		free(dir);
	}
	teardown(&fx);
	free(outside);
	strbuf_release(&sb);
}

/* The bugs of issue 14, each with the page it broke. */
TEST(web_fixed_bugs)
{
	struct strbuf sb = STRBUF_INIT, name = STRBUF_INIT;
	struct fixture fx;
	int i;

	if (setup(&fx))
		return;
	/* CRLF consoles: one line break, no U+FFFD at every line end. */
	CHECK_INT(get(&fx, "/boot/1", &sb), 200);
	LACKS(&sb, UTF8_REPLACEMENT);
	HAS(&sb, "boot ok\n<span class=\"crash\">BUG: kernel NULL pointer "
		 "dereference</span>\n<span class=\"crash\">Call Trace:</span>");
	/* ...and the line after the report is a plain line of its own. */
	HAS(&sb, "</span>\nafter the crash");
	/* The Failures section lists every failure, not this page's. */
	CHECK_INT(get(&fx, "/run/1?limit=2", &sb), 200);
	HAS(&sb, "<h2>Failures (5 failed, 0 errors)</h2>");
	for (i = 0; i < 5; i++)
		CHECK(strstr(sb.buf, "<details class=\"failure\"") != NULL);
	{
		const char *p = sb.buf;
		int n = 0;

		while ((p = strstr(p, "<details class=\"failure\"")))
			n++, p++;
		CHECK_INT(n, 5);
	}
	/* The next link of /runs?limit=1 keeps the limit. */
	CHECK_INT(get(&fx, "/runs?limit=1", &sb), 200);
	HAS(&sb, "href=\"/runs?limit=1&amp;page=2\"");
	/* /flakes pages. */
	CHECK_INT(get(&fx, "/flakes?limit=2", &sb), 200);
	HAS(&sb, "href=\"/flakes?limit=2&amp;page=2\"");
	CHECK_INT(get(&fx, "/flakes?limit=2&page=3", &sb), 200);
	HAS(&sb, "rel=\"prev\"");
	/* A 100 KB test name is cut on the page; the table keeps its width. */
	strbuf_addstr(&name, "long-");
	for (i = 0; i < 100000; i++)
		strbuf_addch(&name, 'a' + i % 26);
	add_iter(&fx, fx.run, name.buf, 1, OUTCOME_FAIL, "");
	CHECK_INT(get(&fx, "/flakes?sort=name", &sb), 200);
	CHECK(sb.len < 60000);
	HAS(&sb, "<span class=\"name\">long-abcdefg");
	teardown(&fx);
	strbuf_release(&name);
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
	t = find_test(json_object_get(v, "items"), "late.sh", "fedcba");
	CHECK(t != NULL);
	CHECK_INT(json_integer_value(json_object_get(t, "failures")), 5);
	json_decref(v);
	teardown(&fx);
}

TEST(web_html_builder_escapes_by_construction)
{
	struct strbuf sb = STRBUF_INIT;

	web_htmlf(&sb, "<a href=\"/t/%u\" title=\"%h\">%.*h</a> %d %ld %lld "
		  "%.1f %zu %% %R", "a b/c", "\"<x>&'", 3, "ab\xc3\xa9", 1, 2L,
		  3LL, 0.25, (size_t)7, "<b>ok</b>");
	CHECK_STR(sb.buf, "<a href=\"/t/a%20b%2Fc\" title=\"&quot;&lt;x&gt;"
		  "&amp;&#39;\">ab</a> 1 2 3 0.2 7 % <b>ok</b>");
	strbuf_reset(&sb);
	web_htmlf(&sb, "%h|%h", NULL, "a\x1b[31mb\r\nc\rd");
	CHECK_STR(sb.buf, "|a" UTF8_REPLACEMENT "[31mb\nc\nd");
	strbuf_release(&sb);
	curl_global_cleanup();
}
