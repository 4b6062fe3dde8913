/*
 * web_page.c - what several pages share (see web_page.h): the layout
 * around a request's body, links that keep a list's filters, the filter
 * form, the rate cell and the progress of a running run.
 */
#include <string.h>

#include "util.h"
#include "web_html.h"
#include "web_page.h"
#include "web_svg.h"

void web_page_start(struct web_req *r, const char *title, const char *active)
{
	r->ctype = "text/html; charset=utf-8";
	web_html_page_start(&r->body, title, active);
}

int web_page_end(struct web_req *r)
{
	web_html_page_end(&r->body);
	return 0;
}

void web_page_query(struct strbuf *sb, const struct web_filter *wf,
		    const char *sort, long page)
{
	const struct record_filter *f = &wf->f;
	const char *sep = "?";

#define QARG(name, val)                                                \
	do {                                                           \
		if ((val) && *(val)) {                                 \
			web_htmlf(sb, "%R" name "=%u", sep, val);     \
			sep = "&amp;";                                 \
		}                                                      \
	} while (0)
	QARG("test", f->test);
	QARG("tree", f->tree);
	QARG("commit", f->commit);
	QARG("outcome", f->outcome >= 0 ? record_outcome_name(f->outcome)
					: NULL);
	QARG("since", wf->since);
	QARG("until", wf->until);
	QARG("sort", sort);
#undef QARG
	if (f->limit != wf->default_limit) {
		web_htmlf(sb, "%Rlimit=%ld", sep, f->limit);
		sep = "&amp;";
	}
	if (page > 1)
		web_htmlf(sb, "%Rpage=%ld", sep, page);
}

void web_page_pager(struct strbuf *sb, const char *base,
		    const struct web_filter *wf, int more)
{
	long page = wf->f.page;

	if (page <= 1 && !more)
		return;
	strbuf_addstr(sb, "<p class=\"pager\">");
	if (page > 1) {
		web_htmlf(sb, "<a rel=\"prev\" href=\"%h", base);
		web_page_query(sb, wf, wf->sort, page - 1);
		strbuf_addstr(sb, "\">&larr; previous</a> ");
	}
	web_htmlf(sb, "page %ld", page);
	if (more) {
		web_htmlf(sb, " <a rel=\"next\" href=\"%h", base);
		web_page_query(sb, wf, wf->sort, page + 1);
		strbuf_addstr(sb, "\">next &rarr;</a>");
	}
	strbuf_addstr(sb, "</p>");
}

static void input(struct strbuf *sb, const char *name, const char *type,
		  const char *value, int maxlen)
{
	web_htmlf(sb, "<input name=\"%R\" type=\"%R\" placeholder=\"%R\" "
		  "value=\"%.*h\">", name, type, name, maxlen,
		  value ? value : "");
}

void web_page_filter_form(struct strbuf *sb, const char *action,
			  const struct web_filter *wf, int with_test)
{
	int i;

	web_htmlf(sb, "<form class=\"filters\" method=\"get\" action=\"%h\">",
		  action);
	if (with_test)
		input(sb, "test", "text", wf->f.test, WEB_MAX_ARG_LEN);
	input(sb, "tree", "text", wf->f.tree, WEB_MAX_ARG_LEN);
	input(sb, "commit", "text", wf->f.commit, 40);
	strbuf_addstr(sb, "<select name=\"outcome\"><option value=\"\">"
		      "any outcome</option>");
	for (i = 0; i < OUTCOME_NR; i++)
		web_htmlf(sb, "<option%R>%R</option>",
			  i == wf->f.outcome ? " selected" : "",
			  record_outcome_name(i));
	strbuf_addstr(sb, "</select>");
	input(sb, "since", "date", wf->since, 10);
	input(sb, "until", "date", wf->until, 10);
	if (wf->sort)
		web_htmlf(sb, "<input type=\"hidden\" name=\"sort\" "
			  "value=\"%h\">", wf->sort);
	if (wf->f.limit != wf->default_limit)
		web_htmlf(sb, "<input type=\"hidden\" name=\"limit\" "
			  "value=\"%ld\">", wf->f.limit);
	strbuf_addstr(sb, "<button>Filter</button></form>");
}

void web_page_rate_cell(struct strbuf *sb, const struct score *s)
{
	web_htmlf(sb, "<td class=\"num\">%.1f%% <small>(%ld/%ld)</small>"
		  "</td><td class=\"ci\">", s->rate * 100, s->failures,
		  s->verdict_runs);
	web_svg_interval(sb, s->rate, s->lo, s->hi);
	web_htmlf(sb, " <small>%.1f-%.1f%%</small></td>", s->lo * 100,
		  s->hi * 100);
}

void web_page_progress(struct strbuf *sb, const char *step, json_t *p)
{
	const char *test;
	long done, total;

	web_htmlf(sb, "<span class=\"step\">%h</span> ",
		  step && *step ? step : "starting");
	if (!json_is_object(p))
		return;
	done = (long)json_integer_value(json_object_get(p, "done"));
	total = (long)json_integer_value(json_object_get(p, "total"));
	test = json_string_value(json_object_get(p, "test"));
	web_svg_progress(sb, done, total);
	web_htmlf(sb, " <span class=\"done\">%ld/%ld done</span>", done, total);
	if (test) {
		strbuf_addstr(sb, " &middot; ");
		web_html_test_link(sb, test);
		web_htmlf(sb, " iteration %ld/%ld",
			  (long)json_integer_value(json_object_get(p, "k")),
			  (long)json_integer_value(json_object_get(p, "n")));
	}
	if (json_object_get(p, "eta")) {
		strbuf_addstr(sb, " &middot; ETA ");
		web_html_duration(sb, json_number_value(json_object_get(p,
								       "eta")));
	}
}
