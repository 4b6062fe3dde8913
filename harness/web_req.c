/*
 * web_req.c - query parameters, filters and error replies for the
 * handlers (see web_req.h). Every parameter is checked here before any
 * handler or query sees it; a bad one is a 400 that names it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "utf8.h"
#include "util.h"
#include "web_html.h"
#include "web_req.h"

const char *web_arg(struct web_req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->mhd,
						    MHD_GET_ARGUMENT_KIND,
						    name);

	return v && *v ? v : NULL;
}

int web_send_json(struct web_req *r, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(v);
	strbuf_reset(&r->body);
	r->ctype = "application/json";
	if (!s) {
		r->status = 500;
		strbuf_addstr(&r->body, "{\"error\":\"cannot encode JSON\","
			      "\"status\":500}\n");
		return -1;
	}
	strbuf_addstr(&r->body, s);
	strbuf_addch(&r->body, '\n');
	free(s);
	return 0;
}

json_t *web_list_json(json_t *items, long page, long limit, int more)
{
	return json_pack("{s:o, s:I, s:I, s:b}", "items", items, "page",
			 (json_int_t)page, "limit", (json_int_t)limit, "more",
			 more);
}

int web_error(struct web_req *r, int status, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	strbuf_reset(&r->body);
	if (r->api) {
		json_t *o = json_pack("{s:o, s:i}", "error",
				      utf8_json_str(msg.buf), "status",
				      status);

		web_send_json(r, o);
	} else {
		r->ctype = "text/html; charset=utf-8";
		web_html_error_page(&r->body, status, msg.buf);
	}
	r->status = status;
	strbuf_release(&msg);
	return -1;
}

static int valid_text(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return n <= WEB_MAX_ARG_LEN;
}

/* YYYY-MM-DD, optionally followed by THH:MM[:SS][Z]. */
static int parse_date(const char *s, int end_of_day, char out[32])
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p || strlen(s) != 10 + strlen(p))
		return -1;
	if (!*p) {
		tm.tm_hour = end_of_day ? 23 : 0;
		tm.tm_min = tm.tm_sec = end_of_day ? 59 : 0;
	} else {
		p = strptime(p, "T%H:%M", &tm);
		if (p && *p == ':')
			p = strptime(p, ":%S", &tm);
		if (p && *p == 'Z')
			p++;
		if (!p || *p)
			return -1;
	}
	if (tm.tm_year < 70 || tm.tm_year > 1100)
		return -1;
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

static int valid_commit(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > 40)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

static int filter_long(struct web_req *r, const char *name, long min,
		       long max, long *out)
{
	const char *v = web_arg(r, name);

	if (!v)
		return 0;
	if (util_parse_int(v, min, max, out))
		return web_error(r, 400, "%s: expected an integer in %ld..%ld",
				 name, min, max);
	return 0;
}

static int filter_text(struct web_req *r, struct record_filter *f)
{
	const char *v;

	f->test = web_arg(r, "test");
	if (f->test && !valid_text(f->test))
		return web_error(r, 400, "test: bad test name");
	f->tree = web_arg(r, "tree");
	if (f->tree && !valid_text(f->tree))
		return web_error(r, 400, "tree: bad tree");
	f->commit = web_arg(r, "commit");
	if (f->commit && !valid_commit(f->commit))
		return web_error(r, 400, "commit: expected 4 to 40 lowercase "
				 "hex digits");
	v = web_arg(r, "outcome");
	f->outcome = v ? record_outcome_parse(v) : -1;
	if (v && f->outcome < 0)
		return web_error(r, 400, "outcome: expected pass, fail, skip, "
				 "stall, crash or error");
	return 0;
}

static int filter_dates(struct web_req *r, struct web_filter *wf)
{
	const char *v;

	v = web_arg(r, "since");
	if (v && parse_date(v, 0, wf->since))
		return web_error(r, 400, "since: expected YYYY-MM-DD or "
				 "YYYY-MM-DDTHH:MM:SSZ");
	v = web_arg(r, "until");
	if (v && parse_date(v, 1, wf->until))
		return web_error(r, 400, "until: expected YYYY-MM-DD or "
				 "YYYY-MM-DDTHH:MM:SSZ");
	if (*wf->since && *wf->until && strcmp(wf->since, wf->until) > 0)
		return web_error(r, 400, "since is after until");
	wf->f.since = *wf->since ? wf->since : NULL;
	wf->f.until = *wf->until ? wf->until : NULL;
	return 0;
}

static const char *const sorts[] = { "rate", "cost", "name", "iterations" };

int web_filter_parse(struct web_req *r, struct web_filter *wf, long limit)
{
	size_t i;

	memset(wf, 0, sizeof(*wf));
	wf->f = (struct record_filter)RECORD_FILTER_INIT;
	wf->f.limit = wf->default_limit = limit;
	if (filter_long(r, "page", 1, WEB_MAX_PAGE, &wf->f.page) ||
	    filter_long(r, "limit", 1, WEB_MAX_LIMIT, &wf->f.limit) ||
	    filter_text(r, &wf->f) || filter_dates(r, wf))
		return -1;
	wf->sort = web_arg(r, "sort");
	if (!wf->sort)
		return 0;
	for (i = 0; i < ARRAY_SIZE(sorts); i++)
		if (!strcmp(wf->sort, sorts[i])) {
			wf->sort = sorts[i];	/* ours: safe in any output */
			return 0;
		}
	return web_error(r, 400, "sort: expected rate, cost, name or "
			 "iterations");
}

enum record_tally_sort web_filter_sort(const struct web_filter *wf)
{
	if (!wf->sort || !strcmp(wf->sort, "rate"))
		return RECORD_SORT_RATE;
	if (!strcmp(wf->sort, "cost"))
		return RECORD_SORT_COST;
	if (!strcmp(wf->sort, "iterations"))
		return RECORD_SORT_ITERATIONS;
	return RECORD_SORT_NAME;
}
