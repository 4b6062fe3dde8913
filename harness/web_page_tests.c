/*
 * web_page_tests.c - the pages about tests: /flakes, every test on every
 * kernel it ran on (one row per pool, never two kernels counted as one),
 * with its sub-cases; and /test/NAME, one test's kernels, plots and
 * iterations.
 */
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "util.h"
#include "web_html.h"
#include "web_page.h"
#include "web_svg.h"

#define PLOT_POINTS 500
#define METRIC_PLOTS 8

/* Flakes ------------------------------------------------------------------------ */

static void pooling_note(struct strbuf *sb)
{
	strbuf_addstr(sb, "<p class=\"pooling\">Each row is one test on one "
		      "kernel, run the same way (kconfig set, guest size, "
		      "stress, executor): iterations of different kernels are "
		      "never counted together. <em>Iterations</em> counts "
		      "every outcome; the rate is failures over passes and "
		      "failures.</p>");
}

static void tally_head(struct strbuf *sb, const struct web_filter *wf,
		       const char *base)
{
	static const char *const cols[][2] = {
		{ "name", "Test" }, { NULL, "Kernel" },
		{ "iterations", "Iterations" }, { "rate", "Failure rate" },
		{ NULL, "95% interval" }, { NULL, "Outcomes" },
		{ NULL, "Recent" }, { "cost", "Stall time" },
		{ NULL, "Last failure" }, { NULL, "Verdict" },
	};
	const char *cur = wf && wf->sort ? wf->sort : "rate";
	size_t i;

	strbuf_addstr(sb, "<div class=\"scroll\"><table class=\"flakes\"><tr>");
	for (i = 0; i < ARRAY_SIZE(cols); i++) {
		if (!cols[i][0] || !wf) {
			web_htmlf(sb, "<th>%R</th>", cols[i][1]);
			continue;
		}
		web_htmlf(sb, "<th><a href=\"%h", base);
		web_page_query(sb, wf, cols[i][0], 1);
		web_htmlf(sb, "\"%R>%R</a></th>", strcmp(cur, cols[i][0]) ? ""
			  : " class=\"sorted\"", cols[i][1]);
	}
	strbuf_addstr(sb, "</tr>");
}

static void kernel_cell(struct strbuf *sb, const struct record_tally *t)
{
	char *d = pool_describe(&t->key);

	if (*t->commit_id)
		web_htmlf(sb, "<td title=\"%h\"><a href=\"/flakes?commit=%u\">"
			  "<code>%.12h</code></a></td>", d, t->commit_id,
			  t->commit_id);
	else
		web_htmlf(sb, "<td title=\"%h\">-</td>", d);
	free(d);
}

static void tally_row(struct strbuf *sb, const struct record_tally *t)
{
	strbuf_addstr(sb, "<tr><td class=\"name\">");
	web_html_test_link(sb, t->test);
	strbuf_addstr(sb, "</td>");
	kernel_cell(sb, t);
	web_htmlf(sb, "<td class=\"num\">%ld</td>", t->score.iterations);
	web_page_rate_cell(sb, &t->score);
	strbuf_addstr(sb, "<td>");
	web_html_outcome_mix(sb, t->score.counts);
	strbuf_addstr(sb, "</td><td>");
	web_svg_sparkline(sb, t->recent, t->nrecent, 5);
	strbuf_addstr(sb, "</td><td>");
	web_html_duration(sb, t->stall_seconds);
	web_htmlf(sb, "</td><td>%h</td><td>", t->last_failure_at ?
		  t->last_failure_at : "-");
	web_html_verdict(sb, score_verdict_name(&t->score));
	strbuf_addstr(sb, "</td></tr>");
}

static void subcase_rows(struct strbuf *sb, const struct record_subtally *v,
			 int n, const struct record_tally *t)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!pool_key_same(&v[i].key, &t->key, POOL_KERNEL))
			continue;
		web_htmlf(sb, "<tr class=\"sub\"><td class=\"name\">&#8627; "
			  "%.*h</td><td></td><td class=\"num\">%ld</td>",
			  WEB_NAME_SHOWN, v[i].name, v[i].score.iterations);
		web_page_rate_cell(sb, &v[i].score);
		strbuf_addstr(sb, "<td>");
		web_html_outcome_mix(sb, v[i].score.counts);
		strbuf_addstr(sb, "</td><td></td><td></td><td></td><td>");
		web_html_verdict(sb, score_verdict_name(&v[i].score));
		strbuf_addstr(sb, "</td></tr>");
	}
}

/*
 * Rows of t with their sub-cases (one read for all rows shown); with a
 * date filter the rows are recounted and the kept sub-case counts would
 * not match them, so they are left out.
 */
static void tally_rows(struct web_req *r, const struct record_tally *t, int n,
		       int with_subcases)
{
	struct record_subtally *sub = NULL;
	int i, nsub = 0;

	if (with_subcases)
		nsub = record_subtally_of(r->st, t, n, &sub);
	if (nsub < 0)
		nsub = 0;
	for (i = 0; i < n; i++) {
		tally_row(&r->body, &t[i]);
		subcase_rows(&r->body, sub, nsub, &t[i]);
	}
	record_subtally_release(sub, nsub);
}

int web_page_flakes(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct record_tally *t;
	struct web_filter wf;
	int n, more;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	n = record_tally_list(r->st, &wf.f, web_filter_sort(&wf),
			      RECORD_TALLY_RECENT, &t, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	web_page_start(r, "Flakes", "/flakes");
	strbuf_addstr(sb, "<h1>Flakes</h1>");
	pooling_note(sb);
	web_page_filter_form(sb, "/flakes", &wf, 1);
	tally_head(sb, &wf, "/flakes");
	tally_rows(r, t, n, !wf.f.since && !wf.f.until);
	strbuf_addstr(sb, "</table></div>");
	if (!n)
		strbuf_addstr(sb, "<p class=\"muted\">No iterations match.</p>");
	web_page_pager(sb, "/flakes", &wf, more);
	record_tally_release(t, n);
	return web_page_end(r);
}

/* One test ------------------------------------------------------------------------ */

/* Durations of the newest iterations, kernel by kernel, oldest first. */
static void duration_plot(struct web_req *r, const struct web_filter *wf)
{
	struct record_filter f = wf->f;
	struct record_iteration_info *v;
	struct web_point *pts;
	char outcomes[PLOT_POINTS];
	struct web_plot plot = {
		.title = "Duration per iteration", .unit = "s",
		.limit = -1, .limit_label = "stall limit",
		.x_label = "iterations by kernel, oldest to newest",
	};
	int i, n;

	f.test_exact = r->name;
	f.test = NULL;
	f.page = 1;
	f.limit = PLOT_POINTS;
	n = record_iteration_list(r->st, &f, &v, NULL);
	if (n <= 0)
		return;
	pts = xcalloc((size_t)n, sizeof(*pts));
	for (i = 0; i < n; i++) {	/* newest first -> oldest first */
		const struct record_iteration_info *it = &v[n - 1 - i];

		pts[i].y = it->duration < 0 ? 0 : it->duration;
		pts[i].outcome = it->outcome;
		pts[i].group = it->commit_id;
		outcomes[i] = (char)it->outcome;
	}
	plot.limit = v[0].timeout;
	plot.pts = pts;
	plot.n = n;
	web_htmlf(&r->body, "<h2>Outcomes over time</h2><p class=\"strip\">");
	web_svg_sparkline(&r->body, outcomes, n, n > 120 ? 2 : 5);
	web_htmlf(&r->body, " <small>last %d iterations, oldest first</small>"
		  "</p>", n);
	web_svg_plot(&r->body, &plot);
	free(pts);
	record_iteration_list_release(v, n);
}

static void metric_plots(struct web_req *r)
{
	struct record_metric_series *v;
	struct web_point *pts;
	int i, n = record_metric_series(r->st, r->name, PLOT_POINTS,
					METRIC_PLOTS, &v);
	size_t j;

	for (i = 0; i < n; i++) {
		struct strbuf title = STRBUF_INIT;
		struct web_plot plot = {
			.unit = v[i].unit, .limit = -1,
			.x_label = "iterations by kernel, oldest to newest",
		};

		pts = xcalloc(v[i].n + 1, sizeof(*pts));
		for (j = 0; j < v[i].n; j++) {
			pts[j].y = v[i].values[j];
			pts[j].outcome = -1;
			pts[j].group = v[i].commits[j];
		}
		strbuf_addf(&title, "%s %s", v[i].subcase, v[i].name);
		plot.title = title.buf;
		plot.pts = pts;
		plot.n = (int)v[i].n;
		web_svg_plot(&r->body, &plot);
		strbuf_release(&title);
		free(pts);
	}
	if (n > 0)
		record_metric_series_release(v, n);
}

static void test_history(struct web_req *r, struct web_filter *wf,
			 const char *base)
{
	struct strbuf *sb = &r->body;
	struct record_iteration_info *v;
	int i, n, more;

	wf->f.test_exact = r->name;
	n = record_iteration_list(r->st, &wf->f, &v, &more);
	strbuf_addstr(sb, "<h2 id=\"iterations\">Iterations</h2>"
		      "<div class=\"scroll\"><table class=\"iters\"><tr>"
		      "<th>Id</th><th>Run</th><th>Commit</th><th>Outcome</th>"
		      "<th>Duration</th><th>Reason</th><th>Started</th></tr>");
	for (i = 0; i < n; i++) {
		web_htmlf(sb, "<tr><td><a href=\"/iteration/%lld\">%lld</a>"
			  "</td><td><a href=\"/run/%lld\">%lld</a></td><td>",
			  v[i].id, v[i].id, v[i].run_id, v[i].run_id);
		web_html_commit(sb, v[i].commit_id);
		strbuf_addstr(sb, "</td><td>");
		web_html_outcome(sb, v[i].outcome);
		strbuf_addstr(sb, "</td><td>");
		web_html_duration(sb, v[i].duration);
		web_htmlf(sb, "</td><td>%h</td><td>%h</td></tr>", v[i].reason,
			  v[i].started_at);
	}
	strbuf_addstr(sb, "</table></div>");
	if (!n)
		strbuf_addstr(sb, "<p class=\"muted\">No iterations match.</p>");
	web_page_pager(sb, base, wf, more);
	if (n > 0)
		record_iteration_list_release(v, n);
}

static void history_score(struct strbuf *sb, const char *label,
			  const struct score *s, int kernels)
{
	web_htmlf(sb, "<dt>%R</dt><dd>", label);
	if (!s->verdict_runs) {
		strbuf_addstr(sb, "no iterations</dd>");
		return;
	}
	web_htmlf(sb, "%.1f%% (%ld/%ld), 95%% interval %.1f-%.1f%%, %d kernel%R "
		  "pooled</dd>", 100 * s->rate, s->failures, s->verdict_runs,
		  100 * s->lo, 100 * s->hi, kernels, kernels == 1 ? "" : "s");
}

/* Per line: where it started failing, before and after, and the trend. */
static void test_lines(struct web_req *r)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct strbuf *sb = &r->body;
	struct record_line *v;
	int i, n;

	f.test_exact = r->name;
	n = record_lines(r->st, &f, &v);
	for (i = 0; i < n; i++) {
		const struct record_line *l = &v[i];
		char *d = pool_describe(&l->key);

		web_htmlf(sb, "<section class=\"line\"><h2>History <small>%h"
			  "</small></h2><dl class=\"meta history\"><dt>Onset"
			  "</dt><dd class=\"onset\">", d);
		free(d);
		if (l->onset < 0) {
			web_htmlf(sb, "never failed on %d kernel%R", l->n,
				  l->n == 1 ? "" : "s");
		} else {
			strbuf_addstr(sb, "first failed on ");
			web_html_commit(sb, l->kernels[l->onset].commit_id);
			web_htmlf(sb, " (%h)%R", l->kernels[l->onset].first_at,
				  l->onset ? "" : ", the first kernel on record");
		}
		strbuf_addstr(sb, "</dd>");
		history_score(sb, "Before", &l->before,
			      l->onset < 0 ? l->n : l->onset);
		history_score(sb, "Since", &l->after,
			      l->onset < 0 ? 0 : l->n - l->onset);
		web_htmlf(sb, "<dt>Trend</dt><dd class=\"trend\"><span class=\""
			  "badge trend-%R\">%R</span>",
			  record_trend_name(l->trend), record_trend_name(l->trend));
		if (l->trend == RECORD_TREND_NONE)
			strbuf_addstr(sb, " (one kernel since the onset)");
		else
			web_htmlf(sb, " newest kernel against the ones before it "
				  "since the onset (p %.3f)", l->trend_p);
		strbuf_addstr(sb, "</dd></dl></section>");
	}
	if (n > 0)
		record_lines_release(v, n);
}

int web_page_test(struct web_req *r)
{
	struct strbuf *sb = &r->body, base = STRBUF_INIT;
	struct web_filter wf;
	struct record_filter all = RECORD_FILTER_INIT;
	struct record_tally *t;
	int n;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	/* Every kernel of the test, whatever page of iterations is shown. */
	all.test_exact = r->name;
	n = record_tally_list(r->st, &all, RECORD_SORT_NAME,
			      RECORD_TALLY_RECENT, &t, NULL);
	if (n < 0)
		return web_error(r, 500, "query failed");
	if (!n)
		return web_error(r, 404, "no iterations of test '%.*s'", 200,
				 r->name);
	web_url_escape(&base, r->name);
	web_page_start(r, r->name, "/flakes");
	web_htmlf(sb, "<h1>%h ", r->name);
	/* The newest kernel's verdict is the test's verdict today. */
	web_html_verdict(sb, score_verdict_name(&t[n - 1].score));
	strbuf_addstr(sb, "</h1>");
	test_lines(r);
	strbuf_addstr(sb, "<h2>By kernel</h2>");
	pooling_note(sb);
	tally_head(sb, NULL, NULL);
	tally_rows(r, t, n, 1);
	strbuf_addstr(sb, "</table></div>");
	record_tally_release(t, n);
	strbuf_reset(&base);
	strbuf_addstr(&base, "/test/");
	web_url_escape(&base, r->name);
	web_page_filter_form(sb, base.buf, &wf, 0);
	duration_plot(r, &wf);
	metric_plots(r);
	test_history(r, &wf, base.buf);
	strbuf_release(&base);
	return web_page_end(r);
}
