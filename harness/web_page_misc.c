/*
 * web_page_misc.c - the pages about what runs produce besides scores:
 * crashes (grouped by fingerprint) and their sightings, patch series
 * with their patches and runs, and bisections with their steps, the
 * evidence of each and the culprit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bisectlog.h"
#include "crashwatch.h"
#include "series.h"
#include "seriesrun.h"
#include "stats.h"
#include "util.h"
#include "web_html.h"
#include "web_page.h"

#define REPORT_CAP (256 << 10)
#define HITS_MAX 500
#define PATCHES_MAX 1000

/* Crashes -------------------------------------------------------------------- */

int web_page_crashes(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct crash_info *v;
	struct web_filter wf;
	int i, n, more;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	n = crashwatch_list(r->st, wf.f.page, wf.f.limit, &v, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	web_page_start(r, "Crashes", "/crashes");
	strbuf_addstr(sb, "<h1>Crashes</h1><div class=\"scroll\"><table><tr>"
		      "<th>Id</th><th>Kind</th><th>Title</th><th>Hits</th>"
		      "<th>First seen</th><th>Last seen</th></tr>");
	for (i = 0; i < n; i++)
		web_htmlf(sb, "<tr><td>%lld</td><td>%h</td><td><a href=\""
			  "/crash/%lld\">%h</a></td><td class=\"num\">%ld</td>"
			  "<td>%h</td><td>%h</td></tr>", v[i].id, v[i].kind,
			  v[i].id, v[i].title, v[i].count, v[i].first_seen,
			  v[i].last_seen);
	strbuf_addstr(sb, "</table></div>");
	if (!n)
		strbuf_addstr(sb, "<p class=\"muted\">none yet</p>");
	web_page_pager(sb, "/crashes", &wf, more);
	crashwatch_list_release(v, n);
	return web_page_end(r);
}

static void crash_hits(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct crash_hit_info *v;
	int i, more, n = crashwatch_hits(r->st, r->id, 1, HITS_MAX, &v, &more);

	strbuf_addstr(sb, "<h2>Hits</h2><div class=\"scroll\"><table><tr>"
		      "<th>Run</th><th>Iteration</th><th>Test</th>"
		      "<th>Commit</th><th>Seen</th></tr>");
	for (i = 0; i < n; i++) {
		web_htmlf(sb, "<tr><td><a href=\"/run/%lld\">%lld</a></td><td>",
			  v[i].run_id, v[i].run_id);
		if (v[i].iteration_id)
			web_htmlf(sb, "<a href=\"/iteration/%lld\">%lld</a>",
				  v[i].iteration_id, v[i].iteration_id);
		else
			strbuf_addstr(sb, "<span class=\"muted\">outside any "
				      "test</span>");
		strbuf_addstr(sb, "</td><td class=\"name\">");
		if (v[i].test)
			web_html_test_link(sb, v[i].test);
		strbuf_addstr(sb, "</td><td>");
		web_html_commit(sb, v[i].commit_id);
		web_htmlf(sb, "</td><td>%h</td></tr>", v[i].seen_at);
	}
	strbuf_addstr(sb, "</table></div>");
	if (more)
		web_htmlf(sb, "<p class=\"more\">The newest %d hits are shown; "
			  "<a href=\"/api/crash/%lld?page=2&amp;limit=%d\">the "
			  "API</a> pages through the rest.</p>", HITS_MAX, r->id,
			  HITS_MAX);
	if (n > 0)
		crashwatch_hits_release(v, n);
}

int web_page_crash(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct crash_info c;
	const char *report;
	char count[32];
	int found = crashwatch_load(r->st, r->id, &c);

	if (found)
		return found > 0 ? web_error(r, 404, "no crash %lld", r->id)
				 : web_error(r, 500, "query failed");
	web_page_start(r, c.title ? c.title : "Crash", "/crashes");
	snprintf(count, sizeof(count), "%ld", c.count);
	web_htmlf(sb, "<h1>%h</h1><dl class=\"meta\">", c.title);
	web_html_dl(sb, "Kind", c.kind);
	web_html_dl(sb, "Fingerprint", c.fingerprint);
	web_html_dl(sb, "Hits", count);
	web_html_dl(sb, "First seen", c.first_seen);
	web_html_dl(sb, "Last seen", c.last_seen);
	web_htmlf(sb, "</dl><h2>Frames</h2><pre>%h</pre><h2>First report</h2>",
		  c.frames);
	report = web_html_tail(c.report, REPORT_CAP);
	web_html_console(sb, report, strlen(report));
	crashwatch_info_release(&c);
	crash_hits(r);
	return web_page_end(r);
}

/* Series -------------------------------------------------------------------------- */

int web_page_series_list(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct series_info *v;
	struct web_filter wf;
	int i, n, more;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	n = series_list(r->st, wf.f.page, wf.f.limit, &v, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	web_page_start(r, "Series", "/series");
	strbuf_addstr(sb, "<h1>Series</h1><div class=\"scroll\"><table><tr>"
		      "<th>Id</th><th>Subject</th><th>Submitter</th><th>v</th>"
		      "<th>Patches</th><th>State</th><th>Received</th></tr>");
	for (i = 0; i < n; i++)
		web_htmlf(sb, "<tr><td>%lld</td><td><a href=\"/series/%lld\">"
			  "%h</a></td><td>%h</td><td>%d</td><td class=\"num\">"
			  "%d</td><td>%h</td><td>%h</td></tr>", v[i].id, v[i].id,
			  v[i].subject, v[i].submitter, v[i].version,
			  v[i].patch_count, v[i].state, v[i].created_at);
	strbuf_addstr(sb, "</table></div>");
	if (!n)
		strbuf_addstr(sb, "<p class=\"muted\">none yet</p>");
	web_page_pager(sb, "/series", &wf, more);
	series_list_release(v, n);
	return web_page_end(r);
}

/* "https://lore.kernel.org/all/MSGID/" (the id without its <>). */
static void lore_link(struct strbuf *sb, const char *msgid, const char *text)
{
	struct strbuf id = STRBUF_INIT;
	size_t n;

	if (!msgid || !*msgid)
		return;
	n = strlen(msgid);
	if (msgid[0] == '<' && msgid[n - 1] == '>' && n > 2)
		strbuf_add(&id, msgid + 1, n - 2);
	else
		strbuf_addstr(&id, msgid);
	web_htmlf(sb, "<a class=\"lore\" href=\"https://lore.kernel.org/all/"
		  "%u/\">%h</a>", id.buf, text);
	strbuf_release(&id);
}

static void series_patch_table(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct series_patch_info *v;
	int i, more, n = series_patches(r->st, r->id, PATCHES_MAX, &v, &more);

	strbuf_addstr(sb, "<h2>Patches</h2><div class=\"scroll\"><table><tr>"
		      "<th>#</th><th>Subject</th><th>Author</th><th>Commit</th>"
		      "<th>Mail</th></tr>");
	for (i = 0; i < n; i++) {
		web_htmlf(sb, "<tr><td>%d</td><td>%h</td><td>%h</td><td>",
			  v[i].seq, v[i].subject, v[i].author);
		web_html_commit(sb, v[i].commit_id);
		strbuf_addstr(sb, "</td><td>");
		lore_link(sb, v[i].msgid, "lore");
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</table></div>");
	if (more)
		web_htmlf(sb, "<p class=\"more\">The first %d patches are "
			  "shown.</p>", PATCHES_MAX);
	if (n > 0)
		series_patches_release(v, n);
}

static void series_runs(struct web_req *r)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct strbuf *sb = &r->body;
	struct record_run_info *v;
	int i, n, more;

	f.series_id = r->id;
	f.limit = 200;
	n = record_run_list(r->st, &f, &v, &more);
	strbuf_addstr(sb, "<h2>Runs</h2><div class=\"scroll\"><table><tr>"
		      "<th>Run</th><th>Commit</th><th>Iterations</th>"
		      "<th>Failures</th><th>State</th></tr>");
	for (i = 0; i < n; i++) {
		web_htmlf(sb, "<tr><td><a href=\"/run/%lld\">%lld</a></td><td>",
			  v[i].id, v[i].id);
		web_html_commit(sb, v[i].commit_id);
		web_htmlf(sb, "</td><td class=\"num\">%ld/%ld</td><td class="
			  "\"num\">%ld</td><td>%h</td></tr>",
			  v[i].score.iterations, record_run_planned(&v[i]),
			  v[i].score.failures, v[i].state);
	}
	strbuf_addstr(sb, "</table></div>");
	if (more)
		strbuf_addstr(sb, "<p class=\"more\">The newest 200 runs are "
			      "shown.</p>");
	if (n > 0)
		record_run_list_release(v, n);
}

/* "pw:BASE/ID" (patchwork_source_canonical) -> the series in BASE's API. */
static void patchwork_link(struct strbuf *sb, const struct series_info *s)
{
	const char *src = s->source, *slash;

	if (!src || strncmp(src, "pw:", 3) || !s->pw_id)
		return;
	src += 3;
	slash = strrchr(src, '/');
	if (!slash || (strncmp(src, "http://", 7) && strncmp(src, "https://", 8)))
		return;
	web_htmlf(sb, "<a class=\"patchwork\" href=\"%.*h/api/series/%lld/\">"
		  "patchwork series %lld</a>", (int)(slash - src), src,
		  s->pw_id, s->pw_id);
}

static void verdict_side(struct strbuf *sb, long k, long n)
{
	struct score sc = { .counts = { [OUTCOME_FAIL] = k,
					[OUTCOME_PASS] = n - k } };

	score_finish(&sc);
	web_page_rate_cell(sb, &sc);
}

/* The base-against-series verdicts kflake printed, as it stored them. */
static void series_verdicts(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct seriesrun_verdict *v;
	int i, n = seriesrun_verdicts(r->st, r->id, &v);

	strbuf_addstr(sb, "<h2>Verdict</h2>");
	if (n <= 0) {
		strbuf_addstr(sb, "<p class=\"muted\">Not tested yet: "
			      "<code>kflake run --series</code> stores its "
			      "verdict here.</p>");
		return;
	}
	web_htmlf(sb, "<p>Series run <a href=\"/run/%lld\">%lld</a> against ",
		  v[0].series_run, v[0].series_run);
	if (v[0].base_run)
		web_htmlf(sb, "base run <a href=\"/run/%lld\">%lld</a>",
			  v[0].base_run, v[0].base_run);
	else
		strbuf_addstr(sb, "earlier base iterations (reused)");
	web_htmlf(sb, ", %h.</p><div class=\"scroll\"><table class=\"verdicts\">"
		  "<tr><th>Test</th><th>Base</th><th>95%% interval</th>"
		  "<th>Series</th><th>95%% interval</th><th>p</th><th>Change</th>"
		  "<th>Verdict</th></tr>", v[0].created_at);
	for (i = 0; i < n; i++) {
		if (v[i].subcase)
			web_htmlf(sb, "<tr class=\"sub\"><td class=\"name\">"
				  "&#8627; %.*h</td>", WEB_NAME_SHOWN,
				  v[i].subcase);
		else {
			strbuf_addstr(sb, "<tr><td class=\"name\">");
			web_html_test_link(sb, v[i].test);
			strbuf_addstr(sb, "</td>");
		}
		verdict_side(sb, v[i].base_failures, v[i].base_runs);
		verdict_side(sb, v[i].series_failures, v[i].series_runs);
		strbuf_addstr(sb, "<td class=\"num\">");
		if (v[i].has_p)
			web_htmlf(sb, "%.3f", v[i].p_value);
		web_htmlf(sb, "</td><td><span class=\"badge change-%R\">%h"
			  "</span></td><td>%h</td></tr>",
			  !strcmp(v[i].change, "regression") ? "regression" :
			  !strcmp(v[i].change, "improvement") ? "improvement" :
			  "none", v[i].change, v[i].verdict);
	}
	strbuf_addstr(sb, "</table></div>");
	seriesrun_verdicts_release(v, n);
}

int web_page_series(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct series_info s;
	char version[16];
	int found = series_load(r->st, r->id, &s);

	if (found)
		return found > 0 ? web_error(r, 404, "no series %lld", r->id)
				 : web_error(r, 500, "query failed");
	web_page_start(r, s.subject ? s.subject : "Series", "/series");
	snprintf(version, sizeof(version), "%d", s.version);
	web_htmlf(sb, "<h1>%h</h1><dl class=\"meta\">", s.subject);
	web_html_dl(sb, "Source", s.source);
	web_html_dl(sb, "Kind", s.kind);
	web_html_dl(sb, "Submitter", s.submitter);
	web_html_dl(sb, "Version", version);
	web_html_dl(sb, "State", s.state);
	web_html_dl(sb, "Error", s.error);
	web_html_dl(sb, "Notes", s.notes);
	web_html_dl(sb, "Base", s.base_commit);
	web_html_dl(sb, "Result", s.result_commit);
	web_html_dl(sb, "Received", s.created_at);
	if ((s.msgid && *s.msgid) || s.pw_id) {
		strbuf_addstr(sb, "<dt>Links</dt><dd>");
		lore_link(sb, s.msgid, "lore");
		strbuf_addstr(sb, " ");
		patchwork_link(sb, &s);
		strbuf_addstr(sb, "</dd>");
	}
	strbuf_addstr(sb, "</dl>");
	series_info_release(&s);
	series_verdicts(r);
	series_patch_table(r);
	series_runs(r);
	return web_page_end(r);
}

/* Bisects --------------------------------------------------------------------------- */

int web_page_bisects(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct bisectlog_info *v;
	struct web_filter wf;
	int i, n, more;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	n = bisectlog_list(r->st, wf.f.page, wf.f.limit, &v, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	web_page_start(r, "Bisects", "/bisects");
	strbuf_addstr(sb, "<h1>Bisects</h1><div class=\"scroll\"><table><tr>"
		      "<th>Id</th><th>Test</th><th>Good</th><th>Bad</th>"
		      "<th>State</th><th>Steps</th><th>Culprit</th>"
		      "<th>Confidence</th><th>Started</th></tr>");
	for (i = 0; i < n; i++) {
		web_htmlf(sb, "<tr><td><a href=\"/bisect/%lld\">%lld</a></td>"
			  "<td class=\"name\">", v[i].id, v[i].id);
		web_html_test_link(sb, v[i].test);
		strbuf_addstr(sb, "</td><td>");
		web_html_commit(sb, v[i].good);
		strbuf_addstr(sb, "</td><td>");
		web_html_commit(sb, v[i].bad);
		web_htmlf(sb, "</td><td>%h</td><td class=\"num\">%ld</td><td>",
			  v[i].state, v[i].steps);
		web_html_commit(sb, v[i].culprit);
		strbuf_addstr(sb, "</td><td class=\"num\">");
		if (v[i].has_confidence)
			web_htmlf(sb, "%.3f", v[i].confidence);
		web_htmlf(sb, "</td><td>%h</td></tr>", v[i].started_at);
	}
	strbuf_addstr(sb, "</table></div>");
	if (!n)
		strbuf_addstr(sb, "<p class=\"muted\">none yet</p>");
	web_page_pager(sb, "/bisects", &wf, more);
	bisectlog_list_release(v, n);
	return web_page_end(r);
}

/* One step: its counts as a score (errors apart), decision, run. */
static void step_row(struct strbuf *sb, int k, const struct bisectlog_step *s,
		     const char *culprit)
{
	struct score sc = { .counts = {
		[OUTCOME_FAIL] = s->failures,
		[OUTCOME_PASS] = s->runs - s->failures - s->errors,
		[OUTCOME_ERROR] = s->errors,
	} };

	if (sc.counts[OUTCOME_PASS] < 0)
		sc.counts[OUTCOME_PASS] = 0;
	score_finish(&sc);
	web_htmlf(sb, "<tr%R><td>%d</td><td>%h</td><td>",
		  culprit && s->commit_id && !strcmp(culprit, s->commit_id) &&
		  !strcmp(s->role, "step") ? " class=\"culprit\"" : "", k,
		  s->role);
	web_html_commit(sb, s->commit_id);
	web_htmlf(sb, "</td><td class=\"num\">%ld</td><td class=\"num\">%ld"
		  "</td><td class=\"num\">%ld</td>", s->runs, s->failures,
		  s->errors);
	web_page_rate_cell(sb, &sc);
	web_htmlf(sb, "<td>%h</td><td class=\"num\">", s->decision ?
		  s->decision : "measuring");
	if (s->has_confidence)
		web_htmlf(sb, "%.3f", s->confidence);
	strbuf_addstr(sb, "</td><td>");
	if (s->run_id)
		web_htmlf(sb, "<a href=\"/run/%lld\">%lld</a>", s->run_id,
			  s->run_id);
	web_htmlf(sb, "</td><td><code>%.12h</code></td></tr>", s->image_sha1);
}

int web_page_bisect(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	struct bisectlog_info b;
	struct bisectlog_step *s;
	char title[32];
	int i, n, found = bisectlog_load(r->st, r->id, &b);

	if (found)
		return found > 0 ? web_error(r, 404, "no bisect %lld", r->id)
				 : web_error(r, 500, "query failed");
	snprintf(title, sizeof(title), "Bisect %lld", r->id);
	web_page_start(r, title, "/bisects");
	web_htmlf(sb, "<h1>Bisect %lld: %.*h</h1><p class=\"culprit\">",
		  b.id, WEB_NAME_SHOWN, b.test);
	if (b.culprit) {
		web_htmlf(sb, "First bad commit: <code class=\"culprit\">%h"
			  "</code>", b.culprit);
		if (b.has_confidence)
			web_htmlf(sb, " with confidence %.3f (reporting needs "
				  "%.2f)", b.confidence,
				  STATS_MIN_REPORT_CONFIDENCE);
	} else {
		web_htmlf(sb, "No culprit reported (%h).", b.state);
	}
	strbuf_addstr(sb, "</p><dl class=\"meta\">");
	web_html_dl(sb, "State", b.state);
	web_html_dl(sb, "Good", b.good);
	web_html_dl(sb, "Bad", b.bad);
	if (b.has_p)
		web_htmlf(sb, "<dt>Rates</dt><dd>good p0 %.3f, bad p1 %.3f</dd>",
			  b.p0, b.p1);
	web_html_dl(sb, "Note", b.note);
	web_html_dl(sb, "Started", b.started_at);
	web_html_dl(sb, "Finished", b.finished_at);
	if (b.alert_id)
		web_htmlf(sb, "<dt>Alert</dt><dd><a href=\"/alert/%lld\">%lld"
			  "</a></dd>", b.alert_id, b.alert_id);
	strbuf_addstr(sb, "</dl><h2>Steps and their evidence</h2><div class="
		      "\"scroll\"><table class=\"steps\"><tr><th>#</th>"
		      "<th>Role</th><th>Commit</th><th>Iterations</th>"
		      "<th>Failures</th><th>Errors</th><th>Failure rate</th>"
		      "<th>95% interval</th><th>Decision</th><th>Confidence</th>"
		      "<th>Run</th><th>Image</th></tr>");
	n = bisectlog_steps(r->st, r->id, &s);
	for (i = 0; i < n; i++)
		step_row(sb, i + 1, &s[i], b.culprit);
	strbuf_addstr(sb, "</table></div>");
	if (n > 0)
		bisectlog_steps_release(s, n);
	bisectlog_info_release(&b);
	return web_page_end(r);
}
