/*
 * web_history.c - what history says, served: the Alerts page and
 * /api/alerts (change-point alerts, read-only: their state changes only
 * through `kflake alert`), the Stalls page and /api/stalls (stalls by
 * class), and the JUnit and KCIDB exports under /api/export/. The data
 * comes from alert.c, snapshot.c and export.c; this file only renders,
 * through web_htmlf and the shared page pieces (it sits beside
 * web_page_*.c and web_api.c in web.h's layers).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "export.h"
#include "score.h"
#include "snapshot.h"
#include "utf8.h"
#include "util.h"
#include "web_history.h"
#include "web_html.h"
#include "web_page.h"

static void rate_cell(struct strbuf *sb, const struct score *s)
{
	web_htmlf(sb, "<td class=\"num\">%ld/%ld</td><td class=\"num\">"
		  "%.1f%% [%.1f, %.1f]</td>", s->failures, s->verdict_runs,
		  100 * s->rate, 100 * s->lo, 100 * s->hi);
}

/* A commit as 12 characters, a NIPA branch whole. */
static void position(struct strbuf *sb, const struct alert *a, const char *p)
{
	size_t n = strlen(p ? p : "");

	if (!p) {
		strbuf_addstr(sb, "-");
		return;
	}
	if (!strcmp(a->axis, HISTORY_AXIS_GIT) && n > 12)
		n = 12;
	web_htmlf(sb, "<code>%.*h</code>", (int)n, p);
}

/* ?state=new|acknowledged|fixed|all; the default is the open ones. */
static int alert_filter(struct web_req *r, struct alert_filter *f)
{
	const char *state = web_arg(r, "state");

	memset(f, 0, sizeof(*f));
	f->test = web_arg(r, "test");
	f->limit = WEB_MAX_LIMIT + 1;	/* one more: is there a next page? */
	if (!state) {
		f->open_only = 1;
		return 0;
	}
	if (!strcmp(state, "all"))
		return 0;
	if (strcmp(state, "new") && strcmp(state, "acknowledged") &&
	    strcmp(state, "fixed"))
		return web_error(r, 400, "state: expected new, acknowledged, "
				 "fixed or all");
	f->state = state;
	return 0;
}

static void alert_row(struct strbuf *sb, const struct alert *a)
{
	struct score before, after;

	web_htmlf(sb, "<tr id=\"alert-%lld\"><td><a href=\"/alert/%lld\">"
		  "%lld</a></td><td><span class=\"state-%h\">%h%R</span></td>"
		  "<td class=\"%h\">%h</td><td class=\"name\">", a->id, a->id,
		  a->id, a->state, a->state, a->current ? "" : " (withdrawn)",
		  a->direction, a->direction);
	web_html_test_link(sb, a->test);
	web_htmlf(sb, "</td><td>%h</td><td>", a->branch);
	position(sb, a, a->nominal);
	strbuf_addstr(sb, " <span class=\"muted\">(");
	position(sb, a, a->first);
	strbuf_addstr(sb, " .. ");
	position(sb, a, a->last);
	web_htmlf(sb, ", %ld tested)</span></td>", a->positions);
	alert_scores(a, &before, &after);
	rate_cell(sb, &before);
	rate_cell(sb, &after);
	web_htmlf(sb, "<td class=\"num\">10<sup>%.1f</sup>; p %.2g</td>"
		  "</tr>", a->log_bf / M_LN10, a->fisher_p);
}

int web_page_alerts(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct alert_filter f;
	struct alert *v;
	int n, i;

	if (alert_filter(r, &f))
		return -1;
	n = alert_list(r->st, &f, &v);
	if (n < 0)
		return web_error(r, 500, "cannot read alerts");
	web_page_start(r, "Alerts", "/alerts");
	strbuf_addstr(sb, "<h1>Alerts</h1><p class=\"muted\">Where a test's "
		      "failure rate changed along a tracked branch: the "
		      "change with its 99% interval, the rates before and "
		      "after (95% intervals), and the evidence (Bayes factor "
		      "of a change against none; Fisher's p). States change "
		      "with <code>kflake alert ack|fixed ID</code>. Show: "
		      "<a href=\"/alerts\">open</a> <a href=\"/alerts?state="
		      "all\">all</a>.</p><div class=\"scroll\"><table><tr>"
		      "<th>Alert</th><th>State</th><th>Change</th><th>Test"
		      "</th><th>Branch</th><th>At (99% interval)</th><th>"
		      "Before</th><th>Rate</th><th>After</th><th>Rate</th>"
		      "<th>Evidence</th></tr>");
	for (i = 0; i < n && i < WEB_MAX_LIMIT; i++)
		alert_row(sb, &v[i]);
	strbuf_addstr(sb, "</table></div>");
	if (!n)
		strbuf_addstr(sb, "<p class=\"muted\">no alerts</p>");
	alert_list_release(v, n);
	return web_page_end(r);
}

int web_page_alert(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct alert a;
	char *pool;

	if (alert_load(r->st, r->id, &a))
		return web_error(r, 404, "no alert %lld", r->id);
	web_page_start(r, "Alert", "/alerts");
	web_htmlf(sb, "<h1>Alert %lld</h1><div class=\"scroll\"><table>"
		  "<tr><th>Alert</th><th>State</th><th>Change</th><th>Test"
		  "</th><th>Branch</th><th>At (99%% interval)</th><th>Before"
		  "</th><th>Rate</th><th>After</th><th>Rate</th><th>Evidence"
		  "</th></tr>", a.id);
	alert_row(sb, &a);
	strbuf_addstr(sb, "</table></div><dl><dt>Last good</dt><dd>");
	position(sb, &a, a.good);
	pool = alert_pool_describe(&a);
	web_htmlf(sb, "</dd><dt>Pool</dt><dd>%h</dd><dt>Posterior of the "
		  "change's position</dt><dd>%.3f</dd>", pool, a.prob);
	free(pool);
	if (a.state_at)
		web_htmlf(sb, "<dt>State changed</dt><dd>%h%R%h</dd>",
			  a.state_at, a.state_note ? ": " : "", a.state_note);
	if (!strcmp(a.axis, HISTORY_AXIS_GIT) && !strcmp(a.direction, "worse"))
		web_htmlf(sb, "<dt>Bisect</dt><dd><code>kflake bisect --alert "
			  "%lld</code></dd>", a.id);
	strbuf_addstr(sb, "</dl>");
	alert_release(&a);
	return web_page_end(r);
}

int web_api_alerts(struct web_req *r)
{
	struct alert_filter f;
	struct alert *v;
	json_t *arr;
	int n, i;

	if (alert_filter(r, &f))
		return -1;
	n = alert_list(r->st, &f, &v);
	if (n < 0)
		return web_error(r, 500, "cannot read alerts");
	arr = json_array();
	for (i = 0; i < n && i < WEB_MAX_LIMIT; i++)
		json_array_append_new(arr, alert_json(&v[i]));
	alert_list_release(v, n);
	return web_send_json(r, web_list_json(arr, 1, WEB_MAX_LIMIT,
					      n > WEB_MAX_LIMIT));
}

int web_api_alert(struct web_req *r)
{
	struct alert a;
	json_t *o;

	if (alert_load(r->st, r->id, &a))
		return web_error(r, 404, "no alert %lld", r->id);
	o = alert_json(&a);
	alert_release(&a);
	return web_send_json(r, o);
}

int web_page_stalls(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct snapshot_group *g;
	int n = snapshot_groups(r->st, 0, web_arg(r, "test"), &g), i;

	if (n < 0)
		return web_error(r, 500, "cannot read stalls");
	web_page_start(r, "Stalls", "/stalls");
	strbuf_addstr(sb, "<h1>Stalls</h1><p class=\"muted\">Stalled "
		      "iterations grouped by the class their snapshot shows: "
		      "tcp-receiver-ahead, tcp-zero-window, tcp-rto-backoff, "
		      "tcp-sender-stuck, no-tcp (a user-space hang).</p>"
		      "<div class=\"scroll\"><table><tr><th>Class</th><th>"
		      "Iterations</th><th>Runs</th><th>Tests</th><th>First "
		      "seen</th><th>Last seen</th><th>Newest</th></tr>");
	for (i = 0; i < n; i++) {
		web_htmlf(sb, "<tr><td>%h</td><td class=\"num\">%ld</td><td "
			  "class=\"num\">%ld</td><td>%h</td><td>%h</td><td>%h"
			  "</td><td><a href=\"/iteration/%lld\">iteration %lld"
			  "</a>", g[i].label, g[i].iterations, g[i].runs,
			  g[i].test_names, g[i].first_seen, g[i].last_seen,
			  g[i].example, g[i].example);
		if (g[i].summary)
			web_htmlf(sb, "<pre>%h</pre>", g[i].summary);
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</table></div>");
	if (!n)
		strbuf_addstr(sb, "<p class=\"muted\">no stalls</p>");
	if (n > 0)
		snapshot_groups_release(g, n);
	return web_page_end(r);
}

int web_api_stalls(struct web_req *r)
{
	struct snapshot_group *g;
	int n = snapshot_groups(r->st, 0, web_arg(r, "test"), &g), i;
	json_t *arr;

	if (n < 0)
		return web_error(r, 500, "cannot read stalls");
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack(
			"{s:o, s:I, s:I, s:I, s:o, s:o, s:I, s:o, s:o}",
			"class", utf8_json_str(g[i].label),
			"iterations", (json_int_t)g[i].iterations,
			"runs", (json_int_t)g[i].runs,
			"tests", (json_int_t)g[i].tests,
			"first_seen", utf8_json_str(g[i].first_seen),
			"last_seen", utf8_json_str(g[i].last_seen),
			"example_iteration", (json_int_t)g[i].example,
			"summary", utf8_json_str(g[i].summary),
			"test_names", utf8_json_str(g[i].test_names)));
	if (n > 0)
		snapshot_groups_release(g, n);
	return web_send_json(r, web_list_json(arr, 1, n > 0 ? n : 0, 0));
}

/* ?run=ID or ?since=DATE (neither: the latest run). */
static int export_sel(struct web_req *r, struct export_sel *sel)
{
	const char *run = web_arg(r, "run"), *since = web_arg(r, "since");
	long v;

	memset(sel, 0, sizeof(*sel));
	if (run && since)
		return web_error(r, 400, "run or since, not both");
	if (run) {
		if (util_parse_int(run, 1, 1L << 62, &v))
			return web_error(r, 400, "run: expected a run id");
		sel->run = v;
	}
	if (since) {
		if (export_since_valid(since))
			return web_error(r, 400, "since: expected YYYY-MM-DD "
					 "or YYYY-MM-DDTHH:MM[:SS]");
		sel->since = since;
	}
	return 0;
}

static int export(struct web_req *r, int junit)
{
	struct export_sel sel;
	struct strbuf out = STRBUF_INIT;
	int rc;

	if (export_sel(r, &sel))
		return -1;
	rc = junit ? export_junit(r->st, &sel, &out) :
		     export_kcidb(r->st, &sel, &out);
	if (rc) {
		strbuf_release(&out);
		return web_error(r, 404, "nothing to export (no such run, or "
				 "no run with iterations)");
	}
	strbuf_reset(&r->body);
	strbuf_add(&r->body, out.buf, out.len);
	strbuf_release(&out);
	r->ctype = junit ? "application/xml; charset=utf-8" :
			   "application/json";
	return 0;
}

int web_api_export_junit(struct web_req *r)
{
	return export(r, 1);
}

int web_api_export_kcidb(struct web_req *r)
{
	return export(r, 0);
}
