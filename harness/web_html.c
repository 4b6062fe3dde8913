/*
 * web_html.c - the HTML builder (see web_html.h): every string from the
 * database reaches a page through %h or %u, which escape by construction;
 * %R is only ever handed markup this file or web_svg.c built. Also the
 * page layout and the widgets the pages share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "util.h"
#include "web_html.h"

/* Escaping ------------------------------------------------------------------ */

void web_html_escape_len(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];

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
		case '\r':
			/* CRLF is one line break; a lone CR starts a line. */
			if (i + 1 == len || p[i + 1] != '\n')
				strbuf_addch(sb, '\n');
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				/* Terminal escapes in console logs: show, don't obey. */
				strbuf_addstr(sb, UTF8_REPLACEMENT);
			} else if (c < 0x80) {
				strbuf_addch(sb, c);
			} else {
				n = utf8_seq_len(p + i, len - i);
				if (!n) {
					strbuf_addstr(sb, UTF8_REPLACEMENT);
				} else {
					strbuf_add(sb, p + i, n);
					i += n - 1;
				}
			}
		}
		i++;
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

	for (; s && *s; s++) {
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

/* The builder ----------------------------------------------------------------- */

/* At most max bytes of s, backing off so no UTF-8 sequence is split. */
static size_t clip(const char *s, int max)
{
	size_t n = strnlen(s, max < 0 ? 0 : (size_t)max);

	if (s[n])
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	return n;
}

/* Integers without printf: a page has thousands of them. */
static void add_int(struct strbuf *sb, long long v)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
				     : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	strbuf_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}

static void add_number(struct strbuf *sb, char conv, int lng, int prec,
		       va_list *ap)
{
	switch (conv) {
	case 'd':
	case 'i':
		if (lng == 2)
			add_int(sb, va_arg(*ap, long long));
		else if (lng == 1)
			add_int(sb, va_arg(*ap, long));
		else
			add_int(sb, va_arg(*ap, int));
		return;
	case 'f':
		/* A negative precision reads as none, as printf has it. */
		strbuf_addf(sb, "%.*f", prec, va_arg(*ap, double));
		return;
	case 'g':
		strbuf_addf(sb, "%.*g", prec, va_arg(*ap, double));
		return;
	default:
		die("web_htmlf: bad conversion '%c'", conv);
	}
}

void web_vhtmlf(struct strbuf *sb, const char *fmt, va_list ap)
{
	const char *p = fmt, *pct, *s;
	va_list aq;

	va_copy(aq, ap);
	while ((pct = strchr(p, '%'))) {
		int prec = -1, star = 0, lng = 0;

		strbuf_add(sb, p, (size_t)(pct - p));
		p = pct + 1;
		if (*p == '%') {
			strbuf_addch(sb, '%');
			p++;
			continue;
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				star = 1;
				p++;
			} else {
				for (prec = 0; *p >= '0' && *p <= '9'; p++)
					prec = prec * 10 + (*p - '0');
			}
		}
		if (*p == 'l')
			lng = p[1] == 'l' ? 2 : 1;
		else if (*p == 'z')
			lng = 3;
		p += lng == 2 ? 2 : !!lng;
		if (star)
			prec = va_arg(aq, int);
		switch (*p) {
		case 'h':
			s = va_arg(aq, const char *);
			if (s)
				web_html_escape_len(sb, s, prec >= 0 ?
						    clip(s, prec) : strlen(s));
			break;
		case 'u':
			if (lng == 3) {
				add_int(sb, (long long)va_arg(aq, size_t));
				break;
			}
			web_url_escape(sb, va_arg(aq, const char *));
			break;
		case 'R':
			s = va_arg(aq, const char *);
			if (s)
				strbuf_addstr(sb, s);
			break;
		default:
			add_number(sb, *p, lng, prec, &aq);
		}
		p++;
	}
	strbuf_addstr(sb, p);
	va_end(aq);
}

void web_htmlf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	web_vhtmlf(sb, fmt, ap);
	va_end(ap);
}

/* Layout ---------------------------------------------------------------------- */

static const char *const nav[][2] = {
	{ "/", "Overview" }, { "/runs", "Runs" }, { "/flakes", "Flakes" },
	{ "/crashes", "Crashes" }, { "/stalls", "Stalls" },
	{ "/alerts", "Alerts" }, { "/series", "Series" },
	{ "/bisects", "Bisects" }, { "/matrix", "Matrix" },
};

void web_html_page_start(struct strbuf *sb, const char *title,
			 const char *active)
{
	size_t i;

	web_htmlf(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		  "<meta charset=\"utf-8\"><meta name=\"viewport\" "
		  "content=\"width=device-width, initial-scale=1\">"
		  "<title>%.*h - kflake</title><link rel=\"stylesheet\" "
		  "href=\"/static/style.css\">"
		  /* No icon: spares every page view a /favicon.ico 404. */
		  "<link rel=\"icon\" href=\"data:,\"></head><body><header><nav>"
		  "<a class=\"brand\" href=\"/\">kflake</a>", 200, title);
	for (i = 0; i < ARRAY_SIZE(nav); i++)
		web_htmlf(sb, "<a href=\"%R\"%R>%R</a>", nav[i][0],
			  active && !strcmp(active, nav[i][0]) ?
			  " class=\"active\" aria-current=\"page\"" : "",
			  nav[i][1]);
	strbuf_addstr(sb, "</nav></header><main>");
}

void web_html_page_end(struct strbuf *sb)
{
	strbuf_addstr(sb, "</main><footer>Data as JSON under <a href=\""
		      "/api/runs\">/api/</a>.</footer></body></html>\n");
}

static const char *status_text(int status)
{
	switch (status) {
	case 400: return "Bad request";
	case 404: return "Not found";
	case 405: return "Method not allowed";
	case 413: return "Request too large";
	case 414: return "URL too long";
	case 421: return "Misdirected request";
	case 503: return "Unavailable";
	default: return status >= 500 ? "Server error" : "Error";
	}
}

void web_html_error_page(struct strbuf *sb, int status, const char *msg)
{
	char title[64];

	snprintf(title, sizeof(title), "%d %s", status, status_text(status));
	web_html_page_start(sb, title, NULL);
	web_htmlf(sb, "<h1 class=\"error\">%h</h1><p class=\"error-msg\">"
		  "%h.</p><p>Links look like <code>/run/42</code> or "
		  "<code>/test/udpgro_bench.sh</code>. Start again from the "
		  "<a href=\"/\">overview</a>, the <a href=\"/runs\">runs</a> "
		  "or the <a href=\"/flakes\">flakes</a>.</p>", title, msg);
	web_html_page_end(sb);
}

/* Widgets --------------------------------------------------------------------- */

void web_html_outcome(struct strbuf *sb, int outcome)
{
	const char *name = record_outcome_name(outcome);

	web_htmlf(sb, "<span class=\"o o-%R\">%R</span>", name, name);
}

void web_html_verdict(struct strbuf *sb, const char *verdict)
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
	web_htmlf(sb, "\">%h</span>", verdict);
}

void web_html_duration(struct strbuf *sb, double s)
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

/* The longest name /test/NAME routes (web.c checks the same bound). */
#define ROUTABLE_NAME 256

void web_html_test_link(struct strbuf *sb, const char *test)
{
	size_t n = strlen(test);
	const char *more = n > WEB_NAME_SHOWN ? "\xe2\x80\xa6" : "";

	if (n <= ROUTABLE_NAME)
		web_htmlf(sb, "<a class=\"name\" href=\"/test/%u\">%.*h%R</a>",
			  test, WEB_NAME_SHOWN, test, more);
	else
		web_htmlf(sb, "<span class=\"name\">%.*h%R</span>",
			  WEB_NAME_SHOWN, test, more);
}

void web_html_commit(struct strbuf *sb, const char *commit)
{
	if (!commit || !*commit) {
		strbuf_addstr(sb, "-");
		return;
	}
	web_htmlf(sb, "<code title=\"%h\">%.12h</code>", commit, commit);
}

void web_html_outcome_mix(struct strbuf *sb, const long *counts)
{
	int o, any = 0;

	for (o = 0; o < OUTCOME_NR; o++) {
		if (!counts[o])
			continue;
		web_htmlf(sb, "%R<span class=\"o o-%R\">%R %ld</span>",
			  any++ ? " " : "", record_outcome_name(o),
			  record_outcome_name(o), counts[o]);
	}
}

void web_html_dl(struct strbuf *sb, const char *label, const char *value)
{
	if (value && *value)
		web_htmlf(sb, "<dt>%h</dt><dd>%h</dd>", label, value);
}

const char *web_html_tail(const char *s, size_t cap)
{
	size_t n = s ? strlen(s) : 0;
	const char *nl;

	if (!s)
		return "";
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

void web_html_console(struct strbuf *sb, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	int in = 0, lines = 0;
	size_t n;

	strbuf_addstr(sb, "<pre class=\"console\">");
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		n = (size_t)(nl - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (!in && line_has(p, n, crash_start, ARRAY_SIZE(crash_start))) {
			in = 1;
			lines = 0;
		}
		/* One inline span per line: nothing is pushed sideways. */
		if (in)
			strbuf_addstr(sb, "<span class=\"crash\">");
		web_html_escape_len(sb, p, n);
		if (in)
			strbuf_addstr(sb, "</span>");
		if (nl < end)
			strbuf_addch(sb, '\n');
		if (in && (line_has(p, n, crash_end, ARRAY_SIZE(crash_end)) ||
			   ++lines > 300))
			in = 0;
		if (nl == end)
			break;
	}
	strbuf_addstr(sb, "</pre>");
}
