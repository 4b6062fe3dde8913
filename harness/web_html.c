/*
 * web_html.c - the server-rendered pages of `kflake serve`. Every string
 * that comes from the database (test names, patch subjects, test output,
 * console logs) goes through web_html_escape: they come from strangers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "stats.h"
#include "util.h"
#include "web.h"

#define CONSOLE_EXCERPT 8192
#define OUTPUT_CAP (256 << 10)
#define DETAILS_MAX 20
#define PLOT_POINTS 500

void web_html_escape_len(struct strbuf *sb, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&': strbuf_addstr(sb, "&amp;"); break;
		case '<': strbuf_addstr(sb, "&lt;"); break;
		case '>': strbuf_addstr(sb, "&gt;"); break;
		case '"': strbuf_addstr(sb, "&quot;"); break;
		case '\'': strbuf_addstr(sb, "&#39;"); break;
		case '\n':
		case '\t':
			strbuf_addch(sb, c);
			break;
		default:
			/* Terminal escapes in console logs: show, don't obey. */
			if (c < 0x20 || c == 0x7f)
				strbuf_addstr(sb, "\xef\xbf\xbd");
			else
				strbuf_addch(sb, c);
		}
	}
}

void web_html_escape(struct strbuf *sb, const char *s)
{
	if (s)
		web_html_escape_len(sb, s, strlen(s));
}

void web_url_escape(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c)) {
			strbuf_addch(sb, c);
			continue;
		}
		strbuf_addch(sb, '%');
		strbuf_addch(sb, hex[c >> 4]);
		strbuf_addch(sb, hex[c & 15]);
	}
}

#define esc web_html_escape

static void col_esc(struct strbuf *sb, sqlite3_stmt *stmt, int col)
{
	esc(sb, store_col_text(stmt, col));
}

static const char *const nav[][2] = {
	{ "/", "Overview" }, { "/runs", "Runs" }, { "/flakes", "Flakes" },
	{ "/crashes", "Crashes" }, { "/stalls", "Stalls" },
	{ "/alerts", "Alerts" }, { "/series", "Series" },
};

static void page_start(struct web_req *r, const char *title)
{
	struct strbuf *sb = &r->body;
	size_t i;

	strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		      "<meta charset=\"utf-8\"><meta name=\"viewport\" "
		      "content=\"width=device-width, initial-scale=1\">"
		      "<title>");
	esc(sb, title);
	strbuf_addstr(sb, " - kflake</title><link rel=\"stylesheet\" "
		      "href=\"/static/style.css\"></head><body><header><nav>"
		      "<span class=\"brand\">kflake</span>");
	for (i = 0; i < ARRAY_SIZE(nav); i++)
		strbuf_addf(sb, "<a href=\"%s\">%s</a>", nav[i][0], nav[i][1]);
	strbuf_addstr(sb, "</nav></header><main>");
}

static int page_end(struct web_req *r)
{
	strbuf_addstr(&r->body, "</main><footer>Data as JSON under "
		      "<a href=\"/api/runs\">/api/</a>.</footer></body></html>\n");
	return 0;
}

void web_html_page_start(struct web_req *r, const char *title)
{
	page_start(r, title);
}

int web_html_page_end(struct web_req *r)
{
	return page_end(r);
}

void web_html_not_found(struct web_req *r)
{
	r->status = 404;
	r->ctype = "text/html; charset=utf-8";
	page_start(r, "Not found");
	strbuf_addstr(&r->body, "<h1>Not found</h1><p>No such page. Links "
		      "look like <code>/run/42</code> or "
		      "<code>/test/udpgro_bench.sh</code>.</p>");
	page_end(r);
}

static void outcome_badge(struct strbuf *sb, const char *outcome)
{
	int o = record_outcome_parse(outcome);
	const char *name = o < 0 ? "error" : record_outcome_name(o);

	strbuf_addf(sb, "<span class=\"o o-%s\">%s</span>", name, name);
}

static void verdict_badge(struct strbuf *sb, const char *verdict)
{
	const char *p;

	if (!verdict) {
		strbuf_addstr(sb, "<span class=\"badge\">no data</span>");
		return;
	}
	strbuf_addstr(sb, "<span class=\"badge v-");
	/* The class must stay a class name whatever stats calls a verdict. */
	for (p = verdict; *p; p++)
		strbuf_addch(sb, (*p >= 'a' && *p <= 'z') ? *p : '-');
	strbuf_addstr(sb, "\">");
	esc(sb, verdict);
	strbuf_addstr(sb, "</span>");
}

static void duration(struct strbuf *sb, double s)
{
	long t = (long)(s + 0.5);

	if (s < 0)
		strbuf_addstr(sb, "-");
	else if (s < 60)
		strbuf_addf(sb, "%.1f s", s);
	else if (t < 3600)
		strbuf_addf(sb, "%ldm %02lds", t / 60, t % 60);
	else
		strbuf_addf(sb, "%ldh %02ldm", t / 3600, t % 3600 / 60);
}

static void col_duration(struct strbuf *sb, sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		strbuf_addstr(sb, "-");
	else
		duration(sb, sqlite3_column_double(stmt, col));
}

static void test_link(struct strbuf *sb, const char *test)
{
	strbuf_addstr(sb, "<a href=\"/test/");
	web_url_escape(sb, test);
	strbuf_addstr(sb, "\">");
	esc(sb, test);
	strbuf_addstr(sb, "</a>");
}

static void short_commit(struct strbuf *sb, const char *commit)
{
	if (!*commit) {
		strbuf_addstr(sb, "-");
		return;
	}
	strbuf_addstr(sb, "<code title=\"");
	esc(sb, commit);
	strbuf_addstr(sb, "\">");
	web_html_escape_len(sb, commit, strnlen(commit, 12));
	strbuf_addstr(sb, "</code>");
}

static void rate_cell(struct strbuf *sb, long k, long n)
{
	double rate, lo, hi;

	web_rate(k, n, &rate, &lo, &hi);
	strbuf_addf(sb, "<td class=\"num\">%.1f%% <small>(%ld/%ld)</small>"
		    "</td><td class=\"ci\">", rate * 100, k, n);
	web_svg_interval(sb, rate, lo, hi);
	strbuf_addf(sb, " <small>%.1f-%.1f%%</small></td>", lo * 100,
		    hi * 100);
}

static const char *tail_of(const char *s, size_t cap)
{
	size_t n = strlen(s);
	const char *nl;

	if (n <= cap)
		return s;
	s += n - cap;
	nl = strchr(s, '\n');
	return nl ? nl + 1 : s;
}

/* Console logs, with the kernel's crash reports marked. */
static const char *const crash_start[] = {
	"BUG: ", "WARNING: CPU:", "Oops: ", "Kernel panic", "KASAN:",
	"UBSAN:", "INFO: task ", "soft lockup", "rcu: INFO:",
	"general protection fault", "unreferenced object 0x", "ref_tracker:",
	"Call Trace:",
};
static const char *const crash_end[] = {
	"---[ end trace", "</TASK>", "---[ end Kernel panic",
};

static int line_has(const char *line, size_t len,
		    const char *const *pats, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memmem(line, len, pats[i], strlen(pats[i])))
			return 1;
	return 0;
}

static void console_html(struct strbuf *sb, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	int in = 0, lines = 0;

	strbuf_addstr(sb, "<pre class=\"console\">");
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (!in && line_has(p, (size_t)(nl - p), crash_start,
				    ARRAY_SIZE(crash_start))) {
			strbuf_addstr(sb, "<span class=\"crash\">");
			in = 1;
			lines = 0;
		}
		web_html_escape_len(sb, p, (size_t)(nl - p));
		strbuf_addch(sb, '\n');
		if (in && (line_has(p, (size_t)(nl - p), crash_end,
				    ARRAY_SIZE(crash_end)) || ++lines > 300)) {
			strbuf_addstr(sb, "</span>");
			in = 0;
		}
		if (nl == end)
			break;
	}
	if (in)
		strbuf_addstr(sb, "</span>");
	strbuf_addstr(sb, "</pre>");
}

/* Filters and pages ------------------------------------------------------ */

static void filter_query(struct strbuf *sb, const struct web_filter *f,
			 const char *sort, long page)
{
	const char *sep = "?";

#define QARG(name, val)                                        \
	do {                                                   \
		if ((val) && *(val)) {                         \
			strbuf_addf(sb, "%s%s=", sep, name);   \
			web_url_escape(sb, val);               \
			sep = "&amp;";                         \
		}                                              \
	} while (0)
	QARG("test", f->test);
	QARG("tree", f->tree);
	QARG("commit", f->commit);
	QARG("outcome", f->outcome >= 0 ? record_outcome_name(f->outcome)
					: NULL);
	QARG("since", f->since);
	QARG("until", f->until);
	QARG("sort", sort);
#undef QARG
	if (page > 1)
		strbuf_addf(sb, "%spage=%ld", sep, page);
}

static void pager(struct strbuf *sb, const char *base,
		  const struct web_filter *f, int more)
{
	if (f->page <= 1 && !more)
		return;
	strbuf_addstr(sb, "<p class=\"pager\">");
	if (f->page > 1) {
		strbuf_addf(sb, "<a href=\"%s", base);
		filter_query(sb, f, f->sort, f->page - 1);
		strbuf_addstr(sb, "\">&larr; newer</a> ");
	}
	strbuf_addf(sb, "page %ld", f->page);
	if (more) {
		strbuf_addf(sb, " <a href=\"%s", base);
		filter_query(sb, f, f->sort, f->page + 1);
		strbuf_addstr(sb, "\">older &rarr;</a>");
	}
	strbuf_addstr(sb, "</p>");
}

static void input(struct strbuf *sb, const char *name, const char *type,
		  const char *value, size_t maxlen)
{
	strbuf_addf(sb, "<input name=\"%s\" type=\"%s\" placeholder=\"%s\" "
		    "value=\"", name, type, name);
	if (value)
		web_html_escape_len(sb, value, strnlen(value, maxlen));
	strbuf_addstr(sb, "\">");
}

static void filter_form(struct strbuf *sb, const char *action,
			const struct web_filter *f, int with_test)
{
	int i;

	strbuf_addf(sb, "<form class=\"filters\" method=\"get\" "
		    "action=\"%s\">", action);
	if (with_test)
		input(sb, "test", "text", f->test, WEB_MAX_ARG_LEN);
	input(sb, "tree", "text", f->tree, WEB_MAX_ARG_LEN);
	input(sb, "commit", "text", f->commit, 40);
	strbuf_addstr(sb, "<select name=\"outcome\"><option value=\"\">"
		      "any outcome</option>");
	for (i = 0; i < OUTCOME_NR; i++)
		strbuf_addf(sb, "<option%s>%s</option>",
			    i == f->outcome ? " selected" : "",
			    record_outcome_name(i));
	strbuf_addstr(sb, "</select>");
	input(sb, "since", "date", f->since, 10);
	input(sb, "until", "date", f->until, 10);
	if (f->sort)
		strbuf_addf(sb, "<input type=\"hidden\" name=\"sort\" "
			    "value=\"%s\">", f->sort);	/* validated word */
	strbuf_addstr(sb, "<button>Filter</button></form>");
}

/* Overview and runs -------------------------------------------------------- */

static void progress_block(struct strbuf *sb, const char *step,
			   const char *progress)
{
	json_t *p = json_loads(progress, 0, NULL);
	long done, total, k, n;
	const char *test;
	double eta;

	strbuf_addstr(sb, "<span class=\"step\">");
	esc(sb, *step ? step : "starting");
	strbuf_addstr(sb, "</span> ");
	if (!json_is_object(p)) {
		json_decref(p);
		return;
	}
	done = (long)json_integer_value(json_object_get(p, "done"));
	total = (long)json_integer_value(json_object_get(p, "total"));
	k = (long)json_integer_value(json_object_get(p, "k"));
	n = (long)json_integer_value(json_object_get(p, "n"));
	eta = json_number_value(json_object_get(p, "eta"));
	test = json_string_value(json_object_get(p, "test"));
	web_svg_progress(sb, done, total);
	strbuf_addf(sb, " <span class=\"done\">%ld/%ld done</span>", done,
		    total);
	if (test) {
		strbuf_addstr(sb, " &middot; ");
		test_link(sb, test);
		strbuf_addf(sb, " iteration %ld/%ld", k, n);
	}
	if (json_object_get(p, "eta")) {
		strbuf_addstr(sb, " &middot; ETA ");
		duration(sb, eta);
	}
	json_decref(p);
}

static long planned(sqlite3_stmt *stmt, int tests_col, int iter_col)
{
	json_t *t = json_loads(store_col_text(stmt, tests_col), 0, NULL);
	long n = json_is_array(t) ? (long)json_array_size(t) : 0;

	json_decref(t);
	return n * sqlite3_column_int64(stmt, iter_col);
}

static void running_section(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;
	int n = 0;

	strbuf_addstr(sb, "<section><h2>Running now</h2>");
	stmt = store_prepare(r->st, "SELECT id, step, progress, host, pid, "
			     "commit_id, started_at FROM runs "
			     "WHERE state = 'running' ORDER BY id DESC LIMIT 20",
			     "");
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(stmt, 0);

		strbuf_addf(sb, "<div class=\"job\"><a href=\"/run/%lld\">"
			    "run %lld</a> ", id, id);
		short_commit(sb, store_col_text(stmt, 5));
		strbuf_addstr(sb, " ");
		progress_block(sb, store_col_text(stmt, 1),
			       store_col_text(stmt, 2));
		if (!web_run_alive(store_col_text(stmt, 3),
				   sqlite3_column_int64(stmt, 4)))
			strbuf_addstr(sb, " <span class=\"badge v-stale\">"
				      "process gone</span>");
		strbuf_addstr(sb, "</div>");
		n++;
	}
	sqlite3_finalize(stmt);
	if (!n)
		strbuf_addstr(sb, "<p class=\"muted\">Nothing is running.</p>");
	strbuf_addstr(sb, "</section>");
}

/* Rows of web_runs_stmt as a table; returns whether more rows exist. */
static int runs_table(struct web_req *r, sqlite3_stmt *stmt, long limit)
{
	struct strbuf *sb = &r->body;
	const char *verdict;
	long n = 0, k, done;

	strbuf_addstr(sb, "<div class=\"scroll\"><table class=\"runs\"><tr>"
		      "<th>Run</th><th>Started</th><th>Tree</th><th>Commit</th>"
		      "<th>Iterations</th><th>Failures</th><th>State</th>"
		      "<th>Verdict</th></tr>");
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(stmt, 0);

		if (n++ == limit)
			break;
		verdict = web_run_verdict(r, id, &k, &done);
		strbuf_addf(sb, "<tr><td><a href=\"/run/%lld\">%lld</a></td>"
			    "<td>", id, id);
		col_esc(sb, stmt, 9);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 3);
		strbuf_addstr(sb, "</td><td>");
		short_commit(sb, store_col_text(stmt, 5));
		strbuf_addf(sb, "</td><td class=\"num\">%ld/%ld</td>"
			    "<td class=\"num\">%ld</td><td>", done,
			    planned(stmt, 15, 6), k);
		col_esc(sb, stmt, 2);
		strbuf_addstr(sb, "</td><td>");
		verdict_badge(sb, verdict);
		strbuf_addstr(sb, "</td></tr>");
	}
	sqlite3_finalize(stmt);
	strbuf_addstr(sb, "</table></div>");
	if (n == 0)
		strbuf_addstr(sb, "<p class=\"muted\">No runs yet.</p>");
	return n > limit;
}

int web_html_overview(struct web_req *r)
{
	struct web_filter f = { .outcome = -1, .page = 1, .limit = 20 };
	struct strbuf *sb = &r->body;

	page_start(r, "Overview");
	strbuf_addstr(sb, "<h1>Overview</h1>");
	running_section(r);
	strbuf_addstr(sb, "<section><h2>Latest runs</h2>");
	runs_table(r, web_runs_stmt(r, &f), f.limit);
	strbuf_addf(sb, "<p class=\"totals\"><a href=\"/runs\">All runs</a>: "
		    "%lld runs, %lld iterations, %lld tests.</p></section>",
		    store_query_int(r->st, 0, "SELECT count(*) FROM runs", ""),
		    store_query_int(r->st, 0, "SELECT count(*) FROM iterations",
				    ""),
		    store_query_int(r->st, 0, "SELECT count(*) FROM (SELECT "
				    "DISTINCT test FROM iterations)", ""));
	return page_end(r);
}

int web_html_runs(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct web_filter f;
	int more;

	if (web_filter_parse(r, &f, 50))
		return -1;
	page_start(r, "Runs");
	strbuf_addstr(sb, "<h1>Runs</h1>");
	filter_form(sb, "/runs", &f, 1);
	more = runs_table(r, web_runs_stmt(r, &f), f.limit);
	pager(sb, "/runs", &f, more);
	return page_end(r);
}

/* Run ----------------------------------------------------------------------- */

static void dl_row(struct strbuf *sb, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	strbuf_addf(sb, "<dt>%s</dt><dd>", label);
	esc(sb, value);
	strbuf_addstr(sb, "</dd>");
}

static void argv_text(struct strbuf *out, const char *argv_json)
{
	json_t *a = json_loads(argv_json, 0, NULL), *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (i)
			strbuf_addch(out, ' ');
		strbuf_addstr(out, json_is_string(v) ? json_string_value(v)
						     : "?");
	}
	json_decref(a);
}

static int run_header(struct web_req *r)
{
	struct strbuf *sb = &r->body, argv = STRBUF_INIT;
	sqlite3_stmt *stmt;
	long k, n;

	stmt = store_prepare(r->st, "SELECT r.state, r.kind, t.source, r.ref, "
			     "r.commit_id, r.accel, r.host, r.started_at, "
			     "r.finished_at, r.argv, r.error, r.step, "
			     "r.progress, r.series_id FROM runs r LEFT JOIN "
			     "trees t ON t.id = r.tree_id WHERE r.id = ?", "I",
			     r->id);
	if (!stmt || sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return web_error(r, 404, "no run %lld", r->id);
	}
	strbuf_addf(sb, "<h1>Run %lld ", r->id);
	verdict_badge(sb, web_run_verdict(r, r->id, &k, &n));
	strbuf_addstr(sb, "</h1><dl class=\"meta\">");
	dl_row(sb, "State", store_col_text(stmt, 0));
	dl_row(sb, "Kind", store_col_text(stmt, 1));
	dl_row(sb, "Tree", store_col_text(stmt, 2));
	dl_row(sb, "Ref", store_col_text(stmt, 3));
	dl_row(sb, "Commit", store_col_text(stmt, 4));
	dl_row(sb, "Accelerator", store_col_text(stmt, 5));
	dl_row(sb, "Host", store_col_text(stmt, 6));
	dl_row(sb, "Started", store_col_text(stmt, 7));
	dl_row(sb, "Finished", store_col_text(stmt, 8));
	argv_text(&argv, store_col_text(stmt, 9));
	dl_row(sb, "Command", argv.buf);
	dl_row(sb, "Error", store_col_text(stmt, 10));
	if (sqlite3_column_type(stmt, 13) != SQLITE_NULL)
		strbuf_addf(sb, "<dt>Series</dt><dd><a href=\"/series/%lld\">"
			    "%lld</a></dd>", sqlite3_column_int64(stmt, 13),
			    sqlite3_column_int64(stmt, 13));
	strbuf_addf(sb, "<dt>Iterations</dt><dd>%ld (%ld failed)</dd></dl>", n,
		    k);
	if (!strcmp(store_col_text(stmt, 0), "running")) {
		strbuf_addstr(sb, "<p class=\"job\">");
		progress_block(sb, store_col_text(stmt, 11),
			       store_col_text(stmt, 12));
		strbuf_addstr(sb, "</p>");
	}
	strbuf_release(&argv);
	sqlite3_finalize(stmt);
	return 0;
}

static void run_results(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct record_tally *t;
	int i, o, n = record_tally(r->st, r->id, NULL, &t);
	long k, m;

	strbuf_addstr(sb, "<h2>Results</h2><div class=\"scroll\"><table><tr>"
		      "<th>Test</th><th>Iterations</th>");
	for (o = 0; o < OUTCOME_NR; o++)
		strbuf_addf(sb, "<th>%s</th>", record_outcome_name(o));
	strbuf_addstr(sb, "<th>Failure rate</th><th>95% interval</th>"
		      "<th>Median</th><th>Verdict</th></tr>");
	for (i = 0; i < n; i++) {
		k = t[i].score.failures;
		m = t[i].score.verdict_runs;
		strbuf_addstr(sb, "<tr><td>");
		test_link(sb, t[i].test);
		strbuf_addf(sb, "</td><td class=\"num\">%ld</td>",
			    t[i].score.iterations);
		for (o = 0; o < OUTCOME_NR; o++)
			strbuf_addf(sb, "<td class=\"num\">%ld</td>",
				    t[i].score.counts[o]);
		rate_cell(sb, k, m);
		strbuf_addstr(sb, "<td>");
		duration(sb, t[i].median_duration);
		strbuf_addstr(sb, "</td><td>");
		verdict_badge(sb, score_verdict_name(&t[i].score));
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</table></div>");
	if (n > 0)
		record_tally_release(t, n);
}

static void run_boots(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;

	stmt = store_prepare(r->st, "SELECT id, seq, accel, ready_seconds, "
			     "end_reason, console_path IS NOT NULL FROM boots "
			     "WHERE run_id = ? ORDER BY seq LIMIT 500", "I",
			     r->id);
	strbuf_addstr(sb, "<h2>Boots</h2><div class=\"scroll\"><table><tr>"
		      "<th>#</th><th>Accel</th><th>Ready</th><th>End</th>"
		      "<th>Console</th></tr>");
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(stmt, 0);

		strbuf_addf(sb, "<tr><td>%d</td><td>",
			    sqlite3_column_int(stmt, 1));
		col_esc(sb, stmt, 2);
		strbuf_addstr(sb, "</td><td>");
		col_duration(sb, stmt, 3);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 4);
		strbuf_addstr(sb, "</td><td>");
		if (sqlite3_column_int(stmt, 5))
			strbuf_addf(sb, "<a href=\"/boot/%lld\">log</a> "
				    "<a href=\"/boot/%lld/console\">raw</a>",
				    id, id);
		strbuf_addstr(sb, "</td></tr>");
	}
	sqlite3_finalize(stmt);
	strbuf_addstr(sb, "</table></div>");
}

static void snapshots(struct web_req *r, long long iteration_id)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;

	stmt = store_prepare(r->st, "SELECT label, summary, content FROM "
			     "snapshots WHERE iteration_id = ? ORDER BY id "
			     "LIMIT 20", "I", iteration_id);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		strbuf_addstr(sb, "<details class=\"snapshot\"><summary>"
			      "Stall snapshot ");
		col_esc(sb, stmt, 0);
		strbuf_addstr(sb, ": ");
		col_esc(sb, stmt, 1);
		strbuf_addstr(sb, "</summary><pre>");
		esc(sb, tail_of(store_col_text(stmt, 2), OUTPUT_CAP));
		strbuf_addstr(sb, "</pre></details>");
	}
	sqlite3_finalize(stmt);
}

static void reproduce(struct web_req *r, long long iteration_id)
{
	char *cmd = web_reproduce(r, iteration_id);

	if (!cmd)
		return;
	strbuf_addstr(&r->body, "<p>Reproduce:</p><pre class=\"cmd\">");
	esc(&r->body, cmd);
	strbuf_addstr(&r->body, "</pre>");
	free(cmd);
}

/* A failing iteration on the run page: why, how to rerun, what it said. */
static void failure_details(struct web_req *r, long long id)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;
	const char *console;

	stmt = store_prepare(r->st, "SELECT test, seq, outcome, reason, "
			     "console FROM iterations WHERE id = ?", "I", id);
	if (!stmt || sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return;
	}
	strbuf_addf(sb, "<details class=\"failure\" id=\"i%lld\"><summary>",
		    id);
	col_esc(sb, stmt, 0);
	strbuf_addf(sb, " #%d ", sqlite3_column_int(stmt, 1));
	outcome_badge(sb, store_col_text(stmt, 2));
	strbuf_addstr(sb, " ");
	col_esc(sb, stmt, 3);
	strbuf_addf(sb, "</summary><p><a href=\"/iteration/%lld\">full "
		    "output</a></p>", id);
	reproduce(r, id);
	console = tail_of(store_col_text(stmt, 4), CONSOLE_EXCERPT);
	if (*console)
		console_html(sb, console, strlen(console));
	snapshots(r, id);
	strbuf_addstr(sb, "</details>");
	sqlite3_finalize(stmt);
}

static void iteration_row(struct strbuf *sb, sqlite3_stmt *stmt)
{
	long long id = sqlite3_column_int64(stmt, 0);

	strbuf_addf(sb, "<tr><td><a href=\"/iteration/%lld\">%lld</a></td>"
		    "<td>", id, id);
	test_link(sb, store_col_text(stmt, 2));
	strbuf_addf(sb, "</td><td class=\"num\">%d</td><td>",
		    sqlite3_column_int(stmt, 1));
	outcome_badge(sb, store_col_text(stmt, 4));
	strbuf_addstr(sb, "</td><td class=\"num\">");
	col_esc(sb, stmt, 5);
	strbuf_addstr(sb, "</td><td>");
	col_duration(sb, stmt, 7);
	strbuf_addstr(sb, "</td><td>");
	col_esc(sb, stmt, 6);
	strbuf_addstr(sb, "</td></tr>");
}

static void run_iterations(struct web_req *r, const struct web_filter *f)
{
	struct strbuf *sb = &r->body;
	long long fails[DETAILS_MAX];
	sqlite3_stmt *stmt;
	int nfails = 0, i;
	long n = 0;

	strbuf_addstr(sb, "<h2>Iterations</h2>");
	strbuf_addf(sb, "<form class=\"filters\" method=\"get\" "
		    "action=\"/run/%lld\">", r->id);
	input(sb, "test", "text", f->test, WEB_MAX_ARG_LEN);
	strbuf_addstr(sb, "<select name=\"outcome\"><option value=\"\">any "
		      "outcome</option>");
	for (i = 0; i < OUTCOME_NR; i++)
		strbuf_addf(sb, "<option%s>%s</option>",
			    i == f->outcome ? " selected" : "",
			    record_outcome_name(i));
	strbuf_addstr(sb, "</select><button>Filter</button></form>"
		      "<div class=\"scroll\"><table class=\"iters\"><tr>"
		      "<th>Id</th><th>Test</th><th>k</th><th>Outcome</th>"
		      "<th>rc</th><th>Duration</th><th>Reason</th></tr>");
	stmt = web_run_iters_stmt(r, f, r->id);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW && n++ < f->limit) {
		int o = record_outcome_parse(store_col_text(stmt, 4));

		iteration_row(sb, stmt);
		if ((o == OUTCOME_FAIL || o == OUTCOME_STALL ||
		     o == OUTCOME_CRASH || o == OUTCOME_ERROR) &&
		    nfails < DETAILS_MAX)
			fails[nfails++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	strbuf_addstr(sb, "</table></div>");
	{
		char base[48];

		snprintf(base, sizeof(base), "/run/%lld", r->id);
		pager(sb, base, f, n > f->limit);
	}
	if (nfails)
		strbuf_addstr(sb, "<h2>Failures</h2>");
	for (i = 0; i < nfails; i++)
		failure_details(r, fails[i]);
}

int web_html_run(struct web_req *r)
{
	struct web_filter f;
	char title[32];

	if (web_filter_parse(r, &f, 100))
		return -1;
	snprintf(title, sizeof(title), "Run %lld", r->id);
	page_start(r, title);
	if (run_header(r))
		return -1;
	run_results(r);
	run_boots(r);
	run_iterations(r, &f);
	return page_end(r);
}

/* Iteration and boot console ------------------------------------------------ */

static void iteration_tables(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;
	int n = 0;

	stmt = store_prepare(r->st, "SELECT name, outcome, detail FROM "
			     "subresults WHERE iteration_id = ? ORDER BY id "
			     "LIMIT 2000", "I", r->id);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		if (!n++)
			strbuf_addstr(sb, "<h2>Sub-cases</h2><div class=\"scroll\">"
				      "<table><tr><th>Name</th><th>Outcome</th>"
				      "<th>Detail</th></tr>");
		strbuf_addstr(sb, "<tr><td>");
		col_esc(sb, stmt, 0);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 1);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 2);
		strbuf_addstr(sb, "</td></tr>");
	}
	sqlite3_finalize(stmt);
	if (n)
		strbuf_addstr(sb, "</table></div>");
	n = 0;
	stmt = store_prepare(r->st, "SELECT subcase, name, value, unit FROM "
			     "metrics WHERE iteration_id = ? ORDER BY id "
			     "LIMIT 2000", "I", r->id);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		if (!n++)
			strbuf_addstr(sb, "<h2>Metrics</h2><div class=\"scroll\">"
				      "<table><tr><th>Sub-case</th><th>Metric"
				      "</th><th>Value</th></tr>");
		strbuf_addstr(sb, "<tr><td>");
		col_esc(sb, stmt, 0);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 1);
		strbuf_addf(sb, "</td><td class=\"num\">%.6g ",
			    sqlite3_column_double(stmt, 2));
		col_esc(sb, stmt, 3);
		strbuf_addstr(sb, "</td></tr>");
	}
	sqlite3_finalize(stmt);
	if (n)
		strbuf_addstr(sb, "</table></div>");
}

int web_html_iteration(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;
	char title[40];
	const char *text;

	stmt = store_prepare(r->st, "SELECT run_id, test, suite, seq, outcome, "
			     "rc, reason, duration, guest_duration, timeout, "
			     "output, console, crash_id, boot_id, started_at "
			     "FROM iterations WHERE id = ?", "I", r->id);
	if (!stmt || sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return web_error(r, 404, "no iteration %lld", r->id);
	}
	snprintf(title, sizeof(title), "Iteration %lld", r->id);
	page_start(r, title);
	strbuf_addf(sb, "<h1>Iteration %lld ", r->id);
	outcome_badge(sb, store_col_text(stmt, 4));
	strbuf_addf(sb, "</h1><dl class=\"meta\"><dt>Run</dt><dd><a href=\""
		    "/run/%lld\">%lld</a></dd><dt>Test</dt><dd>",
		    sqlite3_column_int64(stmt, 0),
		    sqlite3_column_int64(stmt, 0));
	test_link(sb, store_col_text(stmt, 1));
	strbuf_addf(sb, " #%d</dd>", sqlite3_column_int(stmt, 3));
	dl_row(sb, "Suite", store_col_text(stmt, 2));
	dl_row(sb, "Exit code", store_col_text(stmt, 5));
	dl_row(sb, "Reason", store_col_text(stmt, 6));
	strbuf_addstr(sb, "<dt>Duration</dt><dd>");
	col_duration(sb, stmt, 7);
	strbuf_addstr(sb, " (limit ");
	col_duration(sb, stmt, 9);
	strbuf_addstr(sb, ")</dd>");
	dl_row(sb, "Started", store_col_text(stmt, 14));
	if (sqlite3_column_type(stmt, 12) != SQLITE_NULL)
		strbuf_addf(sb, "<dt>Crash</dt><dd><a href=\"/crash/%lld\">"
			    "%lld</a></dd>", sqlite3_column_int64(stmt, 12),
			    sqlite3_column_int64(stmt, 12));
	if (sqlite3_column_type(stmt, 13) != SQLITE_NULL)
		strbuf_addf(sb, "<dt>Boot</dt><dd><a href=\"/boot/%lld\">"
			    "console log</a></dd>",
			    sqlite3_column_int64(stmt, 13));
	strbuf_addstr(sb, "</dl>");
	reproduce(r, r->id);
	text = tail_of(store_col_text(stmt, 10), OUTPUT_CAP);
	strbuf_addstr(sb, "<h2>Output</h2><pre class=\"output\">");
	esc(sb, text);
	strbuf_addstr(sb, "</pre><h2>Console</h2>");
	text = tail_of(store_col_text(stmt, 11), OUTPUT_CAP);
	console_html(sb, text, strlen(text));
	sqlite3_finalize(stmt);
	snapshots(r, r->id);
	iteration_tables(r);
	return page_end(r);
}

/* The tail of a log named by the database, never by the request. */
static int read_log_tail(const char *path, struct strbuf *out)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	off_t start = 0;
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	if (sb.st_size > WEB_LOG_CAP)
		start = sb.st_size - WEB_LOG_CAP;
	if (lseek(fd, start, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	while (out->len < WEB_LOG_CAP &&
	       (n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	close(fd);
	return 0;
}

int web_html_boot(struct web_req *r)
{
	struct strbuf log = STRBUF_INIT;
	struct strbuf *sb = &r->body;
	long long run_id;
	char title[32];
	char *path;

	path = store_query_str(r->st, "SELECT console_path FROM boots "
			       "WHERE id = ?", "I", r->id);
	run_id = store_query_int(r->st, 0, "SELECT run_id FROM boots "
				 "WHERE id = ?", "I", r->id);
	if (!path || read_log_tail(path, &log)) {
		free(path);
		return web_error(r, 404, "no console log for boot %lld", r->id);
	}
	free(path);
	if (!strcmp(r->rest, "/console")) {
		r->ctype = "text/plain; charset=utf-8";
		strbuf_add(sb, log.buf, log.len);
		strbuf_release(&log);
		return 0;
	}
	snprintf(title, sizeof(title), "Boot %lld", r->id);
	page_start(r, title);
	strbuf_addf(sb, "<h1>Boot %lld console</h1><p>Run <a href=\"/run/%lld\">"
		    "%lld</a> &middot; <a href=\"/boot/%lld/console\">raw</a>"
		    "%s</p>", r->id, run_id, run_id, r->id,
		    log.len >= WEB_LOG_CAP ? " &middot; last 4 MiB shown" : "");
	console_html(sb, log.buf ? log.buf : "", log.len);
	strbuf_release(&log);
	return page_end(r);
}

/* Flakes and test history ------------------------------------------------- */

static void outcome_mix(struct strbuf *sb, const long *counts)
{
	int o, any = 0;

	for (o = 0; o < OUTCOME_NR; o++) {
		if (!counts[o])
			continue;
		strbuf_addf(sb, "%s<span class=\"o o-%s\">%s %ld</span>",
			    any++ ? " " : "", record_outcome_name(o),
			    record_outcome_name(o), counts[o]);
	}
}

static void flake_row(struct strbuf *sb, const struct web_flake *fl)
{
	strbuf_addf(sb, "<tr%s><td>", fl->subcase ? " class=\"sub\"" : "");
	if (fl->subcase) {
		strbuf_addstr(sb, "&#8627; ");
		esc(sb, fl->subcase);
	} else {
		test_link(sb, fl->test);
	}
	strbuf_addf(sb, "</td><td class=\"num\">%ld</td>", fl->runs);
	rate_cell(sb, fl->failures, fl->verdict_runs);
	strbuf_addstr(sb, "<td>");
	outcome_mix(sb, fl->counts);
	strbuf_addstr(sb, "</td><td>");
	if (!fl->subcase)
		web_svg_sparkline(sb, fl->recent, fl->nrecent, 5);
	strbuf_addstr(sb, "</td><td>");
	if (!fl->subcase)
		duration(sb, fl->stall_cost);
	strbuf_addstr(sb, "</td><td>");
	esc(sb, fl->last_failure ? fl->last_failure : "-");
	strbuf_addstr(sb, "</td><td>");
	verdict_badge(sb, fl->verdict);
	strbuf_addstr(sb, "</td></tr>");
}

static void sort_header(struct strbuf *sb, const struct web_filter *f,
			const char *sort, const char *label)
{
	const char *cur = f->sort ? f->sort : "rate";

	strbuf_addstr(sb, "<th><a href=\"/flakes");
	filter_query(sb, f, sort, 1);
	strbuf_addf(sb, "\"%s>%s</a></th>",
		    strcmp(cur, sort) ? "" : " class=\"sorted\"", label);
}

int web_html_flakes(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct web_flake *v;
	struct web_filter f;
	int i, n;

	if (web_filter_parse(r, &f, 500))
		return -1;
	n = web_flakes_load(r, &f, &v);
	if (n < 0)
		return web_error(r, 500, "query failed");
	page_start(r, "Flakes");
	strbuf_addstr(sb, "<h1>Flakes</h1>");
	filter_form(sb, "/flakes", &f, 1);
	strbuf_addstr(sb, "<div class=\"scroll\"><table class=\"flakes\"><tr>");
	sort_header(sb, &f, "name", "Test");
	sort_header(sb, &f, "runs", "Runs");
	sort_header(sb, &f, "rate", "Failure rate");
	strbuf_addstr(sb, "<th>95% interval</th><th>Outcomes</th>"
		      "<th>Recent</th>");
	sort_header(sb, &f, "cost", "Stall time");
	strbuf_addstr(sb, "<th>Last failure</th><th>Verdict</th></tr>");
	for (i = 0; i < n; i++)
		flake_row(sb, &v[i]);
	strbuf_addstr(sb, "</table></div>");
	if (!n)
		strbuf_addstr(sb, "<p class=\"muted\">No iterations match.</p>");
	web_flakes_release(v, n);
	return page_end(r);
}

static void test_plots(struct web_req *r, const struct web_filter *f)
{
	struct web_point *pts = xcalloc(PLOT_POINTS, sizeof(*pts));
	char outcomes[PLOT_POINTS];
	struct strbuf *sb = &r->body;
	struct web_filter all = *f;
	sqlite3_stmt *stmt;
	int n = 0, i;

	all.page = 1;
	stmt = web_test_history_stmt(r, &all, r->name, PLOT_POINTS);
	while (stmt && n < PLOT_POINTS && sqlite3_step(stmt) == SQLITE_ROW) {
		outcomes[n] = (char)record_outcome_parse(store_col_text(stmt, 3));
		pts[n].outcome = outcomes[n];
		pts[n++].y = sqlite3_column_double(stmt, 4);
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n / 2; i++) {	/* newest first -> oldest first */
		struct web_point p = pts[i];
		char o = outcomes[i];

		pts[i] = pts[n - 1 - i];
		pts[n - 1 - i] = p;
		outcomes[i] = outcomes[n - 1 - i];
		outcomes[n - 1 - i] = o;
	}
	strbuf_addf(sb, "<h2>Outcomes over time</h2><p class=\"strip\">");
	web_svg_sparkline(sb, outcomes, n, n > 120 ? 2 : 5);
	strbuf_addf(sb, " <small>last %d iterations, oldest first</small></p>",
		    n);
	web_svg_plot(sb, "Duration per iteration", "s", pts, n);
	free(pts);
}

/* One plot per metric (throughput and friends), newest 500 values each. */
static void metric_plots(struct web_req *r)
{
	struct web_point *pts = xcalloc(PLOT_POINTS, sizeof(*pts));
	char *key = NULL, *unit = NULL;
	sqlite3_stmt *stmt;
	int n = 0, plots = 0;

	stmt = store_prepare(r->st,
		"SELECT m.subcase || ' ' || m.name, m.unit, m.value FROM "
		"metrics m JOIN iterations i ON i.id = m.iteration_id "
		"WHERE i.id IN (SELECT id FROM iterations WHERE test = ? "
		"ORDER BY id DESC LIMIT 500) ORDER BY 1, i.id LIMIT 8000",
		"s", r->name);
	while (stmt && plots < 8) {
		int row = sqlite3_step(stmt) == SQLITE_ROW;

		if (key && (!row || strcmp(key, store_col_text(stmt, 0)))) {
			web_svg_plot(&r->body, key, unit, pts, n);
			plots++;
			n = 0;
			free(key);
			free(unit);
			key = unit = NULL;
		}
		if (!row)
			break;
		if (!key) {
			key = xstrdup(store_col_text(stmt, 0));
			unit = xstrdup(store_col_text(stmt, 1));
		}
		if (n < PLOT_POINTS) {
			pts[n].outcome = -1;
			pts[n++].y = sqlite3_column_double(stmt, 2);
		}
	}
	sqlite3_finalize(stmt);
	free(key);
	free(unit);
	free(pts);
}

static void test_commits(struct web_req *r, const struct web_filter *f)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;
	long counts[OUTCOME_NR];
	int o;

	strbuf_addstr(sb, "<h2>By kernel</h2><div class=\"scroll\"><table><tr>"
		      "<th>Commit</th><th>Tree</th><th>Last seen</th>"
		      "<th>Runs</th><th>Outcomes</th><th>Failure rate</th>"
		      "<th>95% interval</th></tr>");
	stmt = web_test_commits_stmt(r, f, r->name);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		for (o = 0; o < OUTCOME_NR; o++)
			counts[o] = sqlite3_column_int64(stmt, 4 + o);
		strbuf_addstr(sb, "<tr><td>");
		short_commit(sb, store_col_text(stmt, 0));
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 1);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 3);
		strbuf_addf(sb, "</td><td class=\"num\">%d</td><td>",
			    sqlite3_column_int(stmt, 10));
		outcome_mix(sb, counts);
		strbuf_addstr(sb, "</td>");
		rate_cell(sb, counts[OUTCOME_FAIL] + counts[OUTCOME_STALL] +
			  counts[OUTCOME_CRASH], counts[OUTCOME_FAIL] +
			  counts[OUTCOME_STALL] + counts[OUTCOME_CRASH] +
			  counts[OUTCOME_PASS]);
		strbuf_addstr(sb, "</tr>");
	}
	sqlite3_finalize(stmt);
	strbuf_addstr(sb, "</table></div>");
}

static void test_history(struct web_req *r, const struct web_filter *f)
{
	struct strbuf *sb = &r->body, base = STRBUF_INIT;
	sqlite3_stmt *stmt;
	long n = 0;

	strbuf_addstr(sb, "<h2>Iterations</h2><div class=\"scroll\"><table>"
		      "<tr><th>Id</th><th>Run</th><th>Commit</th><th>Outcome"
		      "</th><th>Duration</th><th>Reason</th><th>Started</th>"
		      "</tr>");
	stmt = web_test_history_stmt(r, f, r->name, f->limit);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW && n++ < f->limit) {
		long long id = sqlite3_column_int64(stmt, 0);
		long long run = sqlite3_column_int64(stmt, 1);

		strbuf_addf(sb, "<tr><td><a href=\"/iteration/%lld\">%lld</a>"
			    "</td><td><a href=\"/run/%lld\">%lld</a></td><td>",
			    id, id, run, run);
		short_commit(sb, store_col_text(stmt, 2));
		strbuf_addstr(sb, "</td><td>");
		outcome_badge(sb, store_col_text(stmt, 3));
		strbuf_addstr(sb, "</td><td>");
		col_duration(sb, stmt, 4);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 6);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 7);
		strbuf_addstr(sb, "</td></tr>");
	}
	sqlite3_finalize(stmt);
	strbuf_addstr(sb, "</table></div>");
	strbuf_addstr(&base, "/test/");
	web_url_escape(&base, r->name);
	pager(sb, base.buf, f, n > f->limit);
	strbuf_release(&base);
}

int web_html_test(struct web_req *r)
{
	struct strbuf *sb = &r->body, base = STRBUF_INIT;
	struct web_filter f, one;
	struct web_flake *v;
	int i, n;

	if (web_filter_parse(r, &f, 100))
		return -1;
	one = f;
	one.test = r->name;
	one.outcome = -1;
	one.page = 1;
	n = web_flakes_load(r, &one, &v);
	if (n <= 0) {
		web_flakes_release(v, n < 0 ? 0 : n);
		return web_error(r, 404, "no iterations of that test");
	}
	page_start(r, r->name);
	strbuf_addstr(sb, "<h1>");
	esc(sb, r->name);
	strbuf_addstr(sb, " ");
	verdict_badge(sb, v[0].verdict);
	strbuf_addstr(sb, "</h1><div class=\"scroll\"><table class=\"flakes\">"
		      "<tr><th>Test</th><th>Runs</th><th>Failure rate</th>"
		      "<th>95% interval</th><th>Outcomes</th><th>Recent</th>"
		      "<th>Stall time</th><th>Last failure</th><th>Verdict</th>"
		      "</tr>");
	for (i = 0; i < n; i++)
		flake_row(sb, &v[i]);
	strbuf_addstr(sb, "</table></div>");
	web_flakes_release(v, n);
	strbuf_addstr(&base, "/test/");
	web_url_escape(&base, r->name);
	filter_form(sb, base.buf, &f, 0);
	strbuf_release(&base);
	test_plots(r, &f);
	metric_plots(r);
	test_commits(r, &f);
	test_history(r, &f);
	return page_end(r);
}

/* Crashes and series --------------------------------------------------------- */

/*
 * A page that is one paged table: title, header cells, and sql ending in
 * "LIMIT ? OFFSET ?" (one row more than the page, to know if there is a
 * next one). list_page_end() closes it.
 */
static sqlite3_stmt *list_page_start(struct web_req *r,
				     const struct web_filter *f,
				     const char *title, const char *header,
				     const char *sql)
{
	page_start(r, title);
	strbuf_addf(&r->body, "<h1>%s</h1><div class=\"scroll\"><table>"
		    "<tr>%s</tr>", title, header);
	return store_prepare(r->st, sql, "II", (long long)f->limit + 1,
			     (long long)((f->page - 1) * f->limit));
}

static int list_page_end(struct web_req *r, const struct web_filter *f,
			 const char *path, sqlite3_stmt *stmt, long n)
{
	sqlite3_finalize(stmt);
	strbuf_addstr(&r->body, "</table></div>");
	if (!n)
		strbuf_addstr(&r->body, "<p class=\"muted\">none yet</p>");
	pager(&r->body, path, f, n > f->limit);
	return page_end(r);
}

int web_html_crashes(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct web_filter f;
	sqlite3_stmt *stmt;
	long n = 0;

	if (web_filter_parse(r, &f, 100))
		return -1;
	stmt = list_page_start(r, &f, "Crashes", "<th>Id</th><th>Kind</th>"
			       "<th>Title</th><th>Hits</th><th>First seen</th>"
			       "<th>Last seen</th>", "SELECT id, kind, title, "
			       "count, first_seen, last_seen FROM crashes "
			       "ORDER BY last_seen DESC, id DESC "
			       "LIMIT ? OFFSET ?");
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW && n++ < f.limit) {
		long long id = sqlite3_column_int64(stmt, 0);

		strbuf_addf(sb, "<tr><td>%lld</td><td>", id);
		col_esc(sb, stmt, 1);
		strbuf_addf(sb, "</td><td><a href=\"/crash/%lld\">", id);
		col_esc(sb, stmt, 2);
		strbuf_addf(sb, "</a></td><td class=\"num\">%d</td><td>",
			    sqlite3_column_int(stmt, 3));
		col_esc(sb, stmt, 4);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 5);
		strbuf_addstr(sb, "</td></tr>");
	}
	return list_page_end(r, &f, "/crashes", stmt, n);
}

static void crash_hits(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;

	strbuf_addstr(sb, "<h2>Hits</h2><div class=\"scroll\"><table><tr>"
		      "<th>Run</th><th>Iteration</th><th>Test</th>"
		      "<th>Commit</th><th>Seen</th></tr>");
	stmt = store_prepare(r->st, "SELECT h.run_id, h.iteration_id, h.test, "
			     "ru.commit_id, h.seen_at FROM crash_hits h JOIN "
			     "runs ru ON ru.id = h.run_id WHERE h.crash_id = ? "
			     "ORDER BY h.id DESC LIMIT 500", "I", r->id);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		long long run = sqlite3_column_int64(stmt, 0);
		long long it = sqlite3_column_int64(stmt, 1);

		strbuf_addf(sb, "<tr><td><a href=\"/run/%lld\">%lld</a></td>"
			    "<td>", run, run);
		if (it)
			strbuf_addf(sb, "<a href=\"/iteration/%lld\">%lld</a>",
				    it, it);
		else
			strbuf_addstr(sb, "<span class=\"muted\">outside any "
				      "test</span>");
		strbuf_addstr(sb, "</td><td>");
		if (sqlite3_column_type(stmt, 2) != SQLITE_NULL)
			test_link(sb, store_col_text(stmt, 2));
		strbuf_addstr(sb, "</td><td>");
		short_commit(sb, store_col_text(stmt, 3));
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 4);
		strbuf_addstr(sb, "</td></tr>");
	}
	sqlite3_finalize(stmt);
	strbuf_addstr(sb, "</table></div>");
}

int web_html_crash(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;
	const char *report;

	stmt = store_prepare(r->st, "SELECT kind, title, fingerprint, count, "
			     "first_seen, last_seen, frames, report FROM "
			     "crashes WHERE id = ?", "I", r->id);
	if (!stmt || sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return web_error(r, 404, "no crash %lld", r->id);
	}
	page_start(r, store_col_text(stmt, 1));
	strbuf_addstr(sb, "<h1>");
	col_esc(sb, stmt, 1);
	strbuf_addstr(sb, "</h1><dl class=\"meta\">");
	dl_row(sb, "Kind", store_col_text(stmt, 0));
	dl_row(sb, "Fingerprint", store_col_text(stmt, 2));
	dl_row(sb, "Hits", store_col_text(stmt, 3));
	dl_row(sb, "First seen", store_col_text(stmt, 4));
	dl_row(sb, "Last seen", store_col_text(stmt, 5));
	strbuf_addstr(sb, "</dl><h2>Frames</h2><pre>");
	col_esc(sb, stmt, 6);
	strbuf_addstr(sb, "</pre><h2>First report</h2>");
	report = tail_of(store_col_text(stmt, 7), OUTPUT_CAP);
	console_html(sb, report, strlen(report));
	sqlite3_finalize(stmt);
	crash_hits(r);
	return page_end(r);
}

int web_html_series_list(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct web_filter f;
	sqlite3_stmt *stmt;
	long n = 0;

	if (web_filter_parse(r, &f, 100))
		return -1;
	stmt = list_page_start(r, &f, "Series", "<th>Id</th><th>Subject</th>"
			       "<th>Submitter</th><th>v</th><th>Patches</th>"
			       "<th>State</th><th>Received</th>", "SELECT id, "
			       "subject, submitter, version, patch_count, "
			       "state, created_at FROM series ORDER BY id DESC "
			       "LIMIT ? OFFSET ?");
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW && n++ < f.limit) {
		long long id = sqlite3_column_int64(stmt, 0);

		strbuf_addf(sb, "<tr><td>%lld</td><td><a href=\"/series/%lld\">",
			    id, id);
		col_esc(sb, stmt, 1);
		strbuf_addstr(sb, "</a></td><td>");
		col_esc(sb, stmt, 2);
		strbuf_addf(sb, "</td><td>%d</td><td class=\"num\">%d</td><td>",
			    sqlite3_column_int(stmt, 3),
			    sqlite3_column_int(stmt, 4));
		col_esc(sb, stmt, 5);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 6);
		strbuf_addstr(sb, "</td></tr>");
	}
	return list_page_end(r, &f, "/series", stmt, n);
}

static void series_patches(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;

	strbuf_addstr(sb, "<h2>Patches</h2><div class=\"scroll\"><table><tr>"
		      "<th>#</th><th>Subject</th><th>Author</th><th>Commit</th>"
		      "</tr>");
	stmt = store_prepare(r->st, "SELECT seq, subject, author, commit_id "
			     "FROM patches WHERE series_id = ? ORDER BY seq "
			     "LIMIT 1000", "I", r->id);
	while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
		strbuf_addf(sb, "<tr><td>%d</td><td>",
			    sqlite3_column_int(stmt, 0));
		col_esc(sb, stmt, 1);
		strbuf_addstr(sb, "</td><td>");
		col_esc(sb, stmt, 2);
		strbuf_addstr(sb, "</td><td>");
		short_commit(sb, store_col_text(stmt, 3));
		strbuf_addstr(sb, "</td></tr>");
	}
	sqlite3_finalize(stmt);
	strbuf_addstr(sb, "</table></div>");
}

int web_html_series(struct web_req *r)
{
	struct web_filter f = { .outcome = -1, .page = 1, .limit = 200 };
	struct strbuf *sb = &r->body;
	sqlite3_stmt *stmt;

	stmt = store_prepare(r->st, "SELECT subject, source, kind, submitter, "
			     "version, state, error, base_commit, "
			     "result_commit, created_at FROM series "
			     "WHERE id = ?", "I", r->id);
	if (!stmt || sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return web_error(r, 404, "no series %lld", r->id);
	}
	page_start(r, store_col_text(stmt, 0));
	strbuf_addstr(sb, "<h1>");
	col_esc(sb, stmt, 0);
	strbuf_addstr(sb, "</h1><dl class=\"meta\">");
	dl_row(sb, "Source", store_col_text(stmt, 1));
	dl_row(sb, "Kind", store_col_text(stmt, 2));
	dl_row(sb, "Submitter", store_col_text(stmt, 3));
	dl_row(sb, "Version", store_col_text(stmt, 4));
	dl_row(sb, "State", store_col_text(stmt, 5));
	dl_row(sb, "Error", store_col_text(stmt, 6));
	dl_row(sb, "Base", store_col_text(stmt, 7));
	dl_row(sb, "Result", store_col_text(stmt, 8));
	dl_row(sb, "Received", store_col_text(stmt, 9));
	strbuf_addstr(sb, "</dl>");
	sqlite3_finalize(stmt);
	series_patches(r);
	strbuf_addstr(sb, "<h2>Runs</h2>");
	f.series = r->id;
	runs_table(r, web_runs_stmt(r, &f), f.limit);
	return page_end(r);
}
