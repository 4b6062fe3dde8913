/*
 * web_page_runs.c - the pages about runs: the overview, the run list, a
 * run (its failures first, across all its iterations), an iteration and
 * a boot's console log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artefact.h"
#include "crashwatch.h"
#include "snapshot.h"
#include "util.h"
#include "web_html.h"
#include "web_page.h"
#include "web_svg.h"

#define CONSOLE_EXCERPT 8192
#define OUTPUT_CAP (256 << 10)
#define FAILURES_MAX 100
#define BOOTS_MAX 500
#define DETAIL_ROWS 2000

/* Overview and runs ---------------------------------------------------------- */

static void running_section(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct record_run_info *v;
	int i, n = record_run_running(r->st, 20, &v);

	strbuf_addstr(sb, "<section class=\"running\"><h2>Running now</h2>");
	for (i = 0; i < n; i++) {
		web_htmlf(sb, "<div class=\"job\"><a href=\"/run/%lld\">run "
			  "%lld</a> ", v[i].id, v[i].id);
		web_html_commit(sb, v[i].commit_id);
		strbuf_addstr(sb, " ");
		web_page_progress(sb, v[i].step, v[i].progress);
		if (!record_run_alive(&v[i]))
			strbuf_addstr(sb, " <span class=\"badge v-stale\">"
				      "process gone</span>");
		strbuf_addstr(sb, "</div>");
	}
	if (n <= 0)
		strbuf_addstr(sb, "<p class=\"muted\">Nothing is running.</p>");
	else
		record_run_list_release(v, n);
	strbuf_addstr(sb, "</section>");
}

/* A stressed run's rates are not plain rates: a badge says so. */
static void stress_badge(struct strbuf *sb, const struct record_run_info *run)
{
	if (run->pool.stress && *run->pool.stress)
		web_htmlf(sb, " <span class=\"badge stress\">stress %h</span>",
			  run->pool.stress);
}

/* A table of runs; with_verdict adds each run's worst test verdict. */
static void runs_table(struct strbuf *sb, const struct record_run_info *v,
		       int n, int with_verdict)
{
	int i;

	strbuf_addstr(sb, "<div class=\"scroll\"><table class=\"runs\"><tr>"
		      "<th>Run</th><th>Started</th><th>Tree</th><th>Commit</th>"
		      "<th>Iterations</th><th>Failures</th><th>State</th>");
	if (with_verdict)
		strbuf_addstr(sb, "<th>Verdict</th>");
	strbuf_addstr(sb, "</tr>");
	for (i = 0; i < n; i++) {
		web_htmlf(sb, "<tr><td><a href=\"/run/%lld\">%lld</a>",
			  v[i].id, v[i].id);
		stress_badge(sb, &v[i]);
		web_htmlf(sb, "</td><td>%h</td><td>%h</td><td>",
			  v[i].started_at, v[i].tree);
		web_html_commit(sb, v[i].commit_id);
		web_htmlf(sb, "</td><td class=\"num\">%ld/%ld</td>"
			  "<td class=\"num\">%ld</td><td>%h</td>",
			  v[i].score.iterations, record_run_planned(&v[i]),
			  v[i].score.failures, v[i].state);
		if (with_verdict) {
			strbuf_addstr(sb, "<td>");
			web_html_verdict(sb, record_run_worst_verdict(&v[i]));
			strbuf_addstr(sb, "</td>");
		}
		strbuf_addstr(sb, "</tr>");
	}
	strbuf_addstr(sb, "</table></div>");
	if (n <= 0)
		strbuf_addstr(sb, "<p class=\"muted\">No runs yet.</p>");
}

/* How a change ranks on the overview: what needs a look first. */
static int change_rank(enum record_change c)
{
	switch (c) {
	case RECORD_CHANGE_WORSE:
		return 0;
	case RECORD_CHANGE_NEW_FAILURES:
		return 1;
	case RECORD_CHANGE_NEW_TEST:
		return 2;
	case RECORD_CHANGE_BETTER:
		return 3;
	default:
		return 4;
	}
}

static int by_change(const void *pa, const void *pb)
{
	const struct record_line *x = *(const struct record_line *const *)pa;
	const struct record_line *y = *(const struct record_line *const *)pb;

	if (change_rank(x->change) != change_rank(y->change))
		return change_rank(x->change) - change_rank(y->change);
	return strcmp(x->key.test, y->key.test);
}

static void kernel_rate(struct strbuf *sb, const struct record_tally *t)
{
	strbuf_addstr(sb, "<td>");
	web_html_commit(sb, t->commit_id);
	web_htmlf(sb, "</td><td class=\"num\">%.1f%% <small>(%ld/%ld)</small>"
		  "</td>", 100 * t->score.rate, t->score.failures,
		  t->score.verdict_runs);
}

/*
 * What changed since the previous kernel, test by test along each line:
 * worse (Fisher), new failures, new tests, better. Not a badge per run.
 */
static void changes_section(struct web_req *r)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct strbuf *sb = &r->body;
	struct record_line *v, **shown;
	int i, n = record_lines(r->st, &f, &v), k = 0;

	strbuf_addstr(sb, "<section class=\"changes\"><h2>Since the previous "
		      "kernel</h2>");
	if (n < 0)
		n = 0;
	shown = xcalloc((size_t)n + 1, sizeof(*shown));
	for (i = 0; i < n; i++)
		if (v[i].change != RECORD_CHANGE_NONE)
			shown[k++] = &v[i];
	if (k > 1)
		qsort(shown, (size_t)k, sizeof(*shown), by_change);
	if (!k)
		strbuf_addstr(sb, "<p class=\"muted\">No test is new, worse or "
			      "better on its newest kernel.</p>");
	else
		strbuf_addstr(sb, "<div class=\"scroll\"><table class=\""
			      "changes\"><tr><th>Test</th><th>Change</th>"
			      "<th>Previous kernel</th><th>Failure rate</th>"
			      "<th>Newest kernel</th><th>Failure rate</th>"
			      "<th>p</th></tr>");
	for (i = 0; i < k && i < 50; i++) {
		const struct record_line *l = shown[i];
		const char *c = record_change_name(l->change);

		strbuf_addstr(sb, "<tr><td class=\"name\">");
		web_html_test_link(sb, l->key.test);
		web_htmlf(sb, "</td><td><span class=\"badge change-%R\">%R"
			  "</span></td>", l->change == RECORD_CHANGE_WORSE ?
			  "worse" : l->change == RECORD_CHANGE_BETTER ? "better"
			  : l->change == RECORD_CHANGE_NEW_TEST ? "new-test" :
			  "new-failures", c);
		if (l->n > 1)
			kernel_rate(sb, &l->kernels[l->n - 2]);
		else
			strbuf_addstr(sb, "<td>-</td><td></td>");
		kernel_rate(sb, &l->kernels[l->n - 1]);
		strbuf_addstr(sb, "<td class=\"num\">");
		if (l->change_p >= 0)
			web_htmlf(sb, "%.3f", l->change_p);
		strbuf_addstr(sb, "</td></tr>");
	}
	if (k)
		strbuf_addstr(sb, "</table></div>");
	if (k > 50)
		web_htmlf(sb, "<p class=\"more\">The first 50 of %d changes "
			  "are shown; <a href=\"/flakes\">Flakes</a> has every "
			  "test on every kernel.</p>", k);
	strbuf_addstr(sb, "</section>");
	free(shown);
	record_lines_release(v, n);
}

int web_page_overview(struct web_req *r)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct strbuf *sb = &r->body;
	struct record_run_info *v;
	struct record_totals t;
	int n;

	f.limit = 20;
	n = record_run_list(r->st, &f, &v, NULL);
	if (n < 0 || record_totals(r->st, &t))
		return web_error(r, 500, "query failed");
	web_page_start(r, "Overview", "/");
	strbuf_addstr(sb, "<h1>Overview</h1>");
	changes_section(r);
	running_section(r);
	strbuf_addstr(sb, "<section><h2>Latest runs</h2>");
	runs_table(sb, v, n, 0);
	web_htmlf(sb, "<p class=\"totals\"><a href=\"/runs\">All runs</a>: "
		  "%lld runs, %lld iterations, %lld tests.</p></section>",
		  t.runs, t.iterations, t.tests);
	record_run_list_release(v, n);
	return web_page_end(r);
}

int web_page_runs(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct record_run_info *v;
	struct web_filter wf;
	int n, more;

	if (web_filter_parse(r, &wf, 50))
		return -1;
	n = record_run_list(r->st, &wf.f, &v, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	web_page_start(r, "Runs", "/runs");
	strbuf_addstr(sb, "<h1>Runs</h1>");
	web_page_filter_form(sb, "/runs", &wf, 1);
	runs_table(sb, v, n, 1);
	web_page_pager(sb, "/runs", &wf, more);
	record_run_list_release(v, n);
	return web_page_end(r);
}

/* Run -------------------------------------------------------------------------- */

static void argv_text(struct strbuf *out, json_t *argv)
{
	json_t *v;
	size_t i;

	json_array_foreach(argv, i, v) {
		if (i)
			strbuf_addch(out, ' ');
		strbuf_addstr(out, json_is_string(v) ? json_string_value(v)
						     : "?");
	}
}

static void run_header(struct web_req *r, const struct record_run_info *run)
{
	struct strbuf *sb = &r->body, argv = STRBUF_INIT;
	char *guest = pool_describe(&run->pool);

	web_htmlf(sb, "<h1>Run %lld ", run->id);
	web_html_verdict(sb, record_run_worst_verdict(run));
	stress_badge(sb, run);
	strbuf_addstr(sb, "</h1><dl class=\"meta\">");
	web_html_dl(sb, "State", run->state);
	web_html_dl(sb, "Kind", run->kind);
	web_html_dl(sb, "Tree", run->tree);
	web_html_dl(sb, "Ref", run->ref);
	web_html_dl(sb, "Commit", run->commit_id);
	web_html_dl(sb, "Image", run->image_path);
	web_html_dl(sb, "Guest", guest);
	web_html_dl(sb, "Accelerator", run->accel);
	web_html_dl(sb, "Host", run->host);
	web_html_dl(sb, "Started", run->started_at);
	web_html_dl(sb, "Finished", run->finished_at);
	argv_text(&argv, run->argv);
	web_html_dl(sb, "Command", argv.buf);
	web_html_dl(sb, "Error", run->error);
	if (run->series_id)
		web_htmlf(sb, "<dt>Series</dt><dd><a href=\"/series/%lld\">"
			  "%lld</a></dd>", run->series_id, run->series_id);
	if (run->bisect_id)
		web_htmlf(sb, "<dt>Bisect</dt><dd><a href=\"/bisect/%lld\">"
			  "%lld</a></dd>", run->bisect_id, run->bisect_id);
	web_htmlf(sb, "<dt>Iterations</dt><dd>%ld (%ld failed)</dd></dl>",
		  run->score.iterations, run->score.failures);
	if (!strcmp(run->state, "running")) {
		strbuf_addstr(sb, "<p class=\"job\">");
		web_page_progress(sb, run->step, run->progress);
		strbuf_addstr(sb, "</p>");
	}
	strbuf_release(&argv);
	free(guest);
}

static void run_results(struct strbuf *sb, const struct record_tally *t,
			int n)
{
	int i, o;

	strbuf_addstr(sb, "<h2>Results</h2><div class=\"scroll\"><table "
		      "class=\"results\"><tr><th>Test</th><th>Iterations</th>");
	for (o = 0; o < OUTCOME_NR; o++)
		web_htmlf(sb, "<th>%R</th>", record_outcome_name(o));
	strbuf_addstr(sb, "<th>Failure rate</th><th>95% interval</th>"
		      "<th>Median</th><th>Verdict</th></tr>");
	for (i = 0; i < n; i++) {
		strbuf_addstr(sb, "<tr><td class=\"name\">");
		web_html_test_link(sb, t[i].test);
		web_htmlf(sb, "</td><td class=\"num\">%ld</td>",
			  t[i].score.iterations);
		for (o = 0; o < OUTCOME_NR; o++)
			web_htmlf(sb, "<td class=\"num\">%ld</td>",
				  t[i].score.counts[o]);
		web_page_rate_cell(sb, &t[i].score);
		strbuf_addstr(sb, "<td>");
		web_html_duration(sb, t[i].median_duration);
		strbuf_addstr(sb, "</td><td>");
		web_html_verdict(sb, score_verdict_name(&t[i].score));
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</table></div>");
}

static void run_boots(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct record_boot_info *b;
	int i, more, n = record_boot_list(r->st, r->id, BOOTS_MAX, &b, &more);

	strbuf_addstr(sb, "<h2>Boots</h2><div class=\"scroll\"><table><tr>"
		      "<th>#</th><th>Accel</th><th>Ready</th><th>End</th>"
		      "<th>Console</th></tr>");
	for (i = 0; i < n; i++) {
		web_htmlf(sb, "<tr><td>%d</td><td>%h</td><td>", b[i].seq,
			  b[i].accel);
		web_html_duration(sb, b[i].ready_seconds);
		web_htmlf(sb, "</td><td>%h</td><td>", b[i].end_reason);
		if (b[i].console_path)
			web_htmlf(sb, "<a href=\"/boot/%lld\">log</a> "
				  "<a href=\"/boot/%lld/console\">raw</a>",
				  b[i].id, b[i].id);
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</table></div>");
	if (more)
		web_htmlf(sb, "<p class=\"more\">The first %d boots are shown; "
			  "<a href=\"/api/run/%lld\">/api/run/%lld</a> lists "
			  "them all.</p>", BOOTS_MAX, r->id, r->id);
	if (n > 0)
		record_boot_list_release(b, n);
}

static void snapshots(struct web_req *r, long long iteration_id)
{
	struct strbuf *sb = &r->body;
	struct snapshot_info *v;
	int i, n = snapshot_list(r->st, 0, iteration_id, 20, &v, NULL);

	for (i = 0; i < n; i++)
		web_htmlf(sb, "<details class=\"snapshot\"><summary>Stall "
			  "snapshot %h: %h</summary><pre>%h</pre></details>",
			  v[i].label ? v[i].label : "unlabelled",
			  v[i].summary ? v[i].summary : "",
			  web_html_tail(v[i].content, OUTPUT_CAP));
	if (n > 0)
		snapshot_list_release(v, n);
}

static const struct score *test_score(const struct record_tally *t, int n,
				      const char *test, const char *suite)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(t[i].test, test) && !strcmp(t[i].key.suite, suite))
			return &t[i].score;
	return NULL;
}

static void reproduce(struct strbuf *sb, const struct record_run_info *run,
		      const struct record_iteration_info *it,
		      const struct score *s)
{
	char *cmd = record_reproduce(run, it->suite, it->test, s);

	web_htmlf(sb, "<p>Reproduce:</p><pre class=\"cmd reproduce\">%h</pre>",
		  cmd);
	free(cmd);
}

/* A failing iteration: why, how to run it again, what the kernel said. */
static void failure_details(struct web_req *r,
			    const struct record_run_info *run,
			    const struct record_iteration_info *it,
			    const struct score *s)
{
	struct strbuf *sb = &r->body;
	struct record_iteration_info full;
	const char *console;

	web_htmlf(sb, "<details class=\"failure\" id=\"i%lld\"><summary>%.*h "
		  "#%d ", it->id, WEB_NAME_SHOWN, it->test, it->seq);
	web_html_outcome(sb, it->outcome);
	web_htmlf(sb, " %h</summary><p><a href=\"/iteration/%lld\">full "
		  "output</a></p>", it->reason, it->id);
	reproduce(sb, run, it, s);
	if (!record_iteration_load(r->st, it->id, &full)) {
		console = web_html_tail(full.console, CONSOLE_EXCERPT);
		if (*console)
			web_html_console(sb, console, strlen(console));
		record_iteration_info_release(&full);
	}
	snapshots(r, it->id);
	strbuf_addstr(sb, "</details>");
}

/* Every failure of the run first, whatever page of iterations is shown. */
static void run_failures(struct web_req *r, const struct record_run_info *run,
			 const struct record_tally *t, int nt)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_iteration_info *v;
	struct strbuf *sb = &r->body;
	int i, n, more;

	f.run_id = run->id;
	f.failed_only = 1;
	f.limit = FAILURES_MAX;
	n = record_iteration_list(r->st, &f, &v, &more);
	if (n <= 0)
		return;
	web_htmlf(sb, "<section class=\"failures\"><h2>Failures (%ld failed, "
		  "%ld errors)</h2>", run->score.failures,
		  run->score.counts[OUTCOME_ERROR]);
	for (i = 0; i < n; i++)
		failure_details(r, run, &v[i], test_score(t, nt, v[i].test,
							  v[i].suite));
	if (more)
		web_htmlf(sb, "<p class=\"more\">The first %d are shown; the "
			  "<a href=\"/api/run/%lld?outcome=fail\">API</a> "
			  "and the filters below list the rest.</p>",
			  FAILURES_MAX, run->id);
	strbuf_addstr(sb, "</section>");
	record_iteration_list_release(v, n);
}

static void iteration_row(struct strbuf *sb,
			  const struct record_iteration_info *it)
{
	web_htmlf(sb, "<tr><td><a href=\"/iteration/%lld\">%lld</a></td>"
		  "<td class=\"name\">", it->id, it->id);
	web_html_test_link(sb, it->test);
	web_htmlf(sb, "</td><td class=\"num\">%d</td><td>", it->seq);
	web_html_outcome(sb, it->outcome);
	strbuf_addstr(sb, "</td><td class=\"num\">");
	if (it->has_rc)
		web_htmlf(sb, "%d", it->rc);
	strbuf_addstr(sb, "</td><td>");
	web_html_duration(sb, it->duration);
	web_htmlf(sb, "</td><td>%h</td></tr>", it->reason);
}

static void run_iterations(struct web_req *r, struct web_filter *wf)
{
	struct strbuf *sb = &r->body;
	struct record_iteration_info *v;
	char base[48];
	int i, n, more;

	wf->f.run_id = r->id;
	n = record_iteration_list(r->st, &wf->f, &v, &more);
	snprintf(base, sizeof(base), "/run/%lld", r->id);
	web_htmlf(sb, "<h2 id=\"iterations\">Iterations</h2><form class=\""
		  "filters\" method=\"get\" action=\"%h\"><input name=\"test\" "
		  "type=\"text\" placeholder=\"test\" value=\"%h\"><select "
		  "name=\"outcome\"><option value=\"\">any outcome</option>",
		  base, wf->f.test ? wf->f.test : "");
	for (i = 0; i < OUTCOME_NR; i++)
		web_htmlf(sb, "<option%R>%R</option>",
			  i == wf->f.outcome ? " selected" : "",
			  record_outcome_name(i));
	strbuf_addstr(sb, "</select><button>Filter</button></form>"
		      "<div class=\"scroll\"><table class=\"iters\"><tr>"
		      "<th>Id</th><th>Test</th><th>k</th><th>Outcome</th>"
		      "<th>rc</th><th>Duration</th><th>Reason</th></tr>");
	for (i = 0; i < n; i++)
		iteration_row(sb, &v[i]);
	strbuf_addstr(sb, "</table></div>");
	web_page_pager(sb, base, wf, more);
	if (n > 0)
		record_iteration_list_release(v, n);
}

int web_page_run(struct web_req *r)
{
	struct record_run_info run;
	struct record_tally *t;
	struct web_filter wf;
	char title[32];
	int n, found;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	found = record_run_load(r->st, r->id, &run);
	if (found)
		return found > 0 ? web_error(r, 404, "no run %lld", r->id)
				 : web_error(r, 500, "query failed");
	n = record_tally(r->st, r->id, NULL, &t);
	snprintf(title, sizeof(title), "Run %lld", r->id);
	web_page_start(r, title, "/runs");
	run_header(r, &run);
	run_failures(r, &run, t, n);
	run_results(&r->body, t, n);
	run_boots(r);
	run_iterations(r, &wf);
	if (n > 0)
		record_tally_release(t, n);
	record_run_info_release(&run);
	return web_page_end(r);
}

/* Iteration and boot console ------------------------------------------------------ */

static void iteration_tables(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct record_subresult_info *s;
	struct record_metric_info *m;
	int i, n, more;

	n = record_subresult_list(r->st, r->id, DETAIL_ROWS, &s, &more);
	if (n > 0)
		strbuf_addstr(sb, "<h2>Sub-cases</h2><div class=\"scroll\">"
			      "<table><tr><th>Name</th><th>Outcome</th>"
			      "<th>Detail</th></tr>");
	for (i = 0; i < n; i++)
		web_htmlf(sb, "<tr><td>%h</td><td>%h</td><td>%h</td></tr>",
			  s[i].name, s[i].outcome, s[i].detail);
	if (n > 0) {
		strbuf_addstr(sb, "</table></div>");
		if (more)
			web_htmlf(sb, "<p class=\"more\">The first %d sub-cases "
				  "are shown.</p>", DETAIL_ROWS);
		record_subresult_list_release(s, n);
	}
	n = record_metric_list(r->st, r->id, DETAIL_ROWS, &m, &more);
	if (n > 0)
		strbuf_addstr(sb, "<h2>Metrics</h2><div class=\"scroll\">"
			      "<table><tr><th>Sub-case</th><th>Metric</th>"
			      "<th>Value</th></tr>");
	for (i = 0; i < n; i++)
		web_htmlf(sb, "<tr><td>%h</td><td>%h</td><td class=\"num\">"
			  "%g %h</td></tr>", m[i].subcase, m[i].name,
			  m[i].value, m[i].unit);
	if (n > 0) {
		strbuf_addstr(sb, "</table></div>");
		if (more)
			web_htmlf(sb, "<p class=\"more\">The first %d metrics "
				  "are shown.</p>", DETAIL_ROWS);
		record_metric_list_release(m, n);
	}
}

int web_page_iteration(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct record_iteration_info it;
	struct record_run_info run;
	struct record_tally *t = NULL;
	char title[40];
	const char *text;
	int n = 0, found;

	found = record_iteration_load(r->st, r->id, &it);
	if (found)
		return found > 0 ? web_error(r, 404, "no iteration %lld", r->id)
				 : web_error(r, 500, "query failed");
	snprintf(title, sizeof(title), "Iteration %lld", r->id);
	web_page_start(r, title, "/runs");
	web_htmlf(sb, "<h1>Iteration %lld ", r->id);
	web_html_outcome(sb, it.outcome);
	web_htmlf(sb, "</h1><dl class=\"meta\"><dt>Run</dt><dd><a href=\""
		  "/run/%lld\">%lld</a></dd><dt>Test</dt><dd>", it.run_id,
		  it.run_id);
	web_html_test_link(sb, it.test);
	web_htmlf(sb, " #%d</dd>", it.seq);
	web_html_dl(sb, "Suite", it.suite);
	if (it.has_rc)
		web_htmlf(sb, "<dt>Exit code</dt><dd>%d</dd>", it.rc);
	web_html_dl(sb, "Reason", it.reason);
	strbuf_addstr(sb, "<dt>Duration</dt><dd>");
	web_html_duration(sb, it.duration);
	strbuf_addstr(sb, " (limit ");
	web_html_duration(sb, it.timeout);
	strbuf_addstr(sb, ")</dd>");
	web_html_dl(sb, "Started", it.started_at);
	if (it.crash_id)
		web_htmlf(sb, "<dt>Crash</dt><dd><a href=\"/crash/%lld\">%lld"
			  "</a></dd>", it.crash_id, it.crash_id);
	if (it.boot_id)
		web_htmlf(sb, "<dt>Boot</dt><dd><a href=\"/boot/%lld\">console "
			  "log</a></dd>", it.boot_id);
	strbuf_addstr(sb, "</dl>");
	if (!record_run_load(r->st, it.run_id, &run)) {
		n = record_tally(r->st, it.run_id, NULL, &t);
		reproduce(sb, &run, &it, test_score(t, n, it.test, it.suite));
		record_run_info_release(&run);
	}
	if (n > 0)
		record_tally_release(t, n);
	text = web_html_tail(it.output, OUTPUT_CAP);
	web_htmlf(sb, "<h2>Output</h2><pre class=\"output\">%h</pre>"
		  "<h2>Console</h2>", text);
	text = web_html_tail(it.console, OUTPUT_CAP);
	web_html_console(sb, text, strlen(text));
	snapshots(r, r->id);
	iteration_tables(r);
	record_iteration_info_release(&it);
	return web_page_end(r);
}

/*
 * The tail of a boot's console log: only a regular file inside this
 * database's artefact directory (artefact_open), whatever the row says.
 */
static int read_log_tail(struct store *st, const char *path,
			 struct strbuf *out)
{
	int fd = artefact_open(st, path);
	char buf[65536];
	off_t size, start = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	size = lseek(fd, 0, SEEK_END);
	if (size > WEB_LOG_CAP)
		start = size - WEB_LOG_CAP;
	if (size < 0 || lseek(fd, start, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	while (out->len < WEB_LOG_CAP && (n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	close(fd);
	return 0;
}

int web_page_boot(struct web_req *r)
{
	struct strbuf log = STRBUF_INIT;
	struct strbuf *sb = &r->body;
	struct record_boot_info b;
	char title[32];
	int found;

	found = record_boot_load(r->st, r->id, &b);
	if (found)
		return found > 0 ? web_error(r, 404, "no boot %lld", r->id)
				 : web_error(r, 500, "query failed");
	if (!b.console_path || read_log_tail(r->st, b.console_path, &log)) {
		record_boot_info_release(&b);
		return web_error(r, 404, "no console log for boot %lld", r->id);
	}
	if (!strcmp(r->rest, "/console")) {
		r->ctype = "text/plain; charset=utf-8";
		strbuf_add(sb, log.buf ? log.buf : "", log.len);
	} else {
		snprintf(title, sizeof(title), "Boot %lld", r->id);
		web_page_start(r, title, "/runs");
		web_htmlf(sb, "<h1>Boot %lld console</h1><p>Run <a href=\""
			  "/run/%lld\">%lld</a> &middot; <a href=\"/boot/%lld/"
			  "console\">raw</a>%R</p>", r->id, b.run_id, b.run_id,
			  r->id, log.len >= WEB_LOG_CAP ?
			  " &middot; last 4 MiB shown" : "");
		web_html_console(sb, log.buf ? log.buf : "", log.len);
		web_page_end(r);
	}
	strbuf_release(&log);
	record_boot_info_release(&b);
	return 0;
}
