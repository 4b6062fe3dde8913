/*
 * test_web_history.c - the Alerts and Stalls pages and the export
 * endpoints of `kflake serve` (web_history.c), through the real server
 * and libcurl: figures as alert.c stores them, names strangers chose
 * escaped, bad parameters refused, the exports' content types.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/record.h"
#include "../../harness/store.h"
#include "../../harness/util.h"
#include "../../harness/web.h"
#include "test.h"

#define EVIL "<script>x()</script>.sh"

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	strbuf_add(arg, p, size * n);
	return size * n;
}

static long get(int port, const char *path, struct strbuf *body,
		char *ctype, size_t ctlen)
{
	CURL *c = curl_easy_init();
	char *url = xasprintf("http://127.0.0.1:%d%s", port, path);
	long status = -1;
	char *ct = NULL;

	strbuf_reset(body);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (ctype)
			snprintf(ctype, ctlen, "%s", ct ? ct : "");
	}
	curl_easy_cleanup(c);
	free(url);
	return status;
}

#define HAS(sb, s) CHECK(strstr(strbuf_str(sb), (s)) != NULL)
#define LACKS(sb, s) CHECK(strstr(strbuf_str(sb), (s)) == NULL)

static void fill(struct store *st)
{
	struct record_run r = { .kind = "run", .commit_id = "c0ffee",
				.tests_json = "[]", .iterations = 1 };
	struct record_iteration it = {
		.test = EVIL, .suite = "path", .seq = 1,
		.outcome = OUTCOME_STALL, .rc = -1, .reason = "no output",
		.duration = 12, .guest_duration = -1, .max_silence = -1,
		.started_at = 1.7e9, .finished_at = 1.7e9 + 12,
	};
	long long iter;

	it.run_id = record_run_create(st, &r);
	iter = record_iteration_add(st, &it);
	CHECK(!store_exec(st, "INSERT INTO snapshots(iteration_id, label, "
			  "summary, content) VALUES (?, 'tcp-zero-window', ?, "
			  "'x')", "Is", iter, "a -> b tcp-zero-window: <b>"));
	CHECK(!store_exec(st, "INSERT INTO alerts(axis, branch, test, suite, "
			  "pool, direction, good, first, nominal, last, "
			  "positions, k0, n0, k1, n1, log_bf, prob, fisher_p, "
			  "created_at, updated_at) VALUES ('git', ?, ?, 'path', "
			  "'[\"[]\",2,2048,\"\",\"local\"]', 'worse', 'aaaa', "
			  "'bbbb', 'bbbb', 'cccc', 2, 0, 16, 15, 16, 20.5, 0.9, "
			  "1e-8, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
			  "ss", "refs/<i>evil</i>", EVIL));
}

TEST(web_alerts_and_stalls)
{
	struct web_config cfg = { .host = "127.0.0.1", .threads = 2 };
	struct strbuf sb = STRBUF_INIT;
	struct web_server *srv;
	struct store st;
	char *db = xasprintf("%s/w.db", test_tmpdir()), ct[128];
	json_t *v;
	int port;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	CHECK_INT(store_open(&st, db, 0), 0);
	fill(&st);
	cfg.db_path = db;
	srv = web_start(&cfg);
	CHECK(srv != NULL);
	if (!srv)
		goto out;
	port = web_port(srv);
	CHECK_INT(get(port, "/alerts", &sb, NULL, 0), 200);
	HAS(&sb, "<tr id=\"alert-1\"><td><a href=\"/alert/1\">1</a>");
	HAS(&sb, "&lt;script&gt;x()&lt;/script&gt;.sh");
	HAS(&sb, "refs/&lt;i&gt;evil&lt;/i&gt;");
	HAS(&sb, "<td class=\"num\">0/16</td><td class=\"num\">0.0% [0.0, 19.4]</td>");
	HAS(&sb, "10<sup>8.9</sup>");
	LACKS(&sb, "<script>");
	CHECK_INT(get(port, "/alert/1", &sb, NULL, 0), 200);
	HAS(&sb, "<dt>Pool</dt><dd>2 vCPUs, 2048 MiB,");
	HAS(&sb, "kflake bisect --alert 1");
	CHECK_INT(get(port, "/alert/7", &sb, NULL, 0), 404);
	CHECK_INT(get(port, "/api/alerts?state=bogus", &sb, NULL, 0), 400);
	CHECK_INT(get(port, "/api/alerts?state=fixed", &sb, NULL, 0), 200);
	HAS(&sb, "{\"items\":[],");
	CHECK_INT(get(port, "/api/alerts", &sb, NULL, 0), 200);
	v = json_loads(sb.buf, 0, NULL);
	CHECK(v && json_array_size(json_object_get(v, "items")) == 1);
	CHECK(json_is_false(json_object_get(v, "more")));
	CHECK_STR(json_string_value(json_object_get(json_array_get(
		json_object_get(v, "items"), 0), "test")), EVIL);
	json_decref(v);
	CHECK_INT(get(port, "/stalls", &sb, NULL, 0), 200);
	HAS(&sb, "<td>tcp-zero-window</td><td class=\"num\">1</td>");
	HAS(&sb, "a -&gt; b tcp-zero-window: &lt;b&gt;");
	CHECK_INT(get(port, "/api/stalls", &sb, NULL, 0), 200);
	HAS(&sb, "\"class\":\"tcp-zero-window\"");
	CHECK_INT(get(port, "/api/export/junit?run=1", &sb, ct, sizeof(ct)), 200);
	CHECK_STR(ct, "application/xml; charset=utf-8");
	HAS(&sb, "<error message=\"1 of 1 iteration(s) stalled (tcp-zero-window): no output\" "
		 "type=\"stall\">");
	HAS(&sb, "name=\"&lt;script&gt;x()&lt;/script&gt;.sh\"");
	CHECK_INT(get(port, "/api/export/kcidb", &sb, ct, sizeof(ct)), 200);
	CHECK_STR(ct, "application/json");
	HAS(&sb, "\"path\": \"path._script_x____script__sh\"");
	CHECK_INT(get(port, "/api/export/kcidb?run=99", &sb, NULL, 0), 404);
	CHECK_INT(get(port, "/api/export/junit?since=soon", &sb, NULL, 0), 400);
	CHECK_INT(get(port, "/api/export/junit?run=1&since=2024-01-01", &sb,
		      NULL, 0), 400);
	web_stop(srv);
out:
	strbuf_release(&sb);
	store_close(&st);
	free(db);
	curl_global_cleanup();
}
