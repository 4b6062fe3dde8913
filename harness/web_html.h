/*
 * web_html.h - HTML written by construction: a printf-like builder whose
 * conversions escape (after Fossil's %h), the page layout with its
 * navigation (also on error pages), and the small widgets every page
 * shares. Nothing here reads the database or the request.
 */
#ifndef KFLAKE_WEB_HTML_H
#define KFLAKE_WEB_HTML_H

#include <stdarg.h>
#include <stddef.h>

#include "score.h"
#include "strbuf.h"

/*
 * Append fmt to sb. Conversions:
 *   %h    const char *: text, HTML-escaped (NULL: nothing); invalid UTF-8
 *         and control characters become U+FFFD; "%.*h" takes an int
 *         length first (at most that many bytes, never a split character)
 *   %u    const char *: percent-encoded for a URL path segment or query
 *         value (NULL: nothing)
 *   %R    const char *: markup this program built (an SVG, a widget);
 *         never data from the database
 *   %d %i int, %ld long, %lld long long, %zu size_t
 *   %f %.Nf %g double (no width), %%
 * Anything else is a programming error and aborts.
 */
void web_htmlf(struct strbuf *sb, const char *fmt, ...);
void web_vhtmlf(struct strbuf *sb, const char *fmt, va_list ap);

/* The escapers behind %h and %u. */
void web_html_escape(struct strbuf *sb, const char *s);
void web_html_escape_len(struct strbuf *sb, const char *s, size_t len);
void web_url_escape(struct strbuf *sb, const char *s);

/* Layout: <head>, the navigation (active: its path), <main>...</main>. */
void web_html_page_start(struct strbuf *sb, const char *title,
			 const char *active);
void web_html_page_end(struct strbuf *sb);
/* A whole error page: status, message, navigation and a way back. */
void web_html_error_page(struct strbuf *sb, int status, const char *msg);

/* Widgets --------------------------------------------------------------- */

/* Test names shown at most this long (the rest in the title). */
#define WEB_NAME_SHOWN 120

void web_html_outcome(struct strbuf *sb, int outcome);
/* A verdict name, or "no data" for NULL. */
void web_html_verdict(struct strbuf *sb, const char *verdict);
/* 12.3 s, 4m 05s, 2h 03m; "-" when negative (unknown). */
void web_html_duration(struct strbuf *sb, double seconds);
/* A link to /test/NAME (plain text when the name is too long to route). */
void web_html_test_link(struct strbuf *sb, const char *test);
/* The first 12 hex digits, the full commit in the title; "-" when none. */
void web_html_commit(struct strbuf *sb, const char *commit);
/* "pass 8 fail 2 ..." badges of the non-zero counts. */
void web_html_outcome_mix(struct strbuf *sb, const long *counts);
/* "<dt>label</dt><dd>value</dd>", nothing when value is NULL or "". */
void web_html_dl(struct strbuf *sb, const char *label, const char *value);
/*
 * A console log with the kernel's crash reports marked line by line
 * (inline, so no line is pushed aside); CRLF shows as one line break.
 */
void web_html_console(struct strbuf *sb, const char *text, size_t len);
/* The last cap bytes of s, from a line start. */
const char *web_html_tail(const char *s, size_t cap);

#endif
