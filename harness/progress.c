/*
 * progress.c - progress display for long jobs (see progress.h). Status
 * goes to stderr so stdout stays clean for tables and JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "util.h"

static enum progress_mode mode = PROGRESS_LINES;
static int tty;
static int status_shown;
static double last_status;

void progress_init(enum progress_mode m)
{
	tty = isatty(STDERR_FILENO);
	if (m == PROGRESS_AUTO)
		m = PROGRESS_LINES;
	mode = m;
	util_set_quiet(m == PROGRESS_QUIET || m == PROGRESS_JSON);
}

enum progress_mode progress_mode(void)
{
	return mode;
}

void progress_clear(void)
{
	if (status_shown) {
		fputs("\r\033[K", stderr);
		status_shown = 0;
	}
}

void progress_fmt_duration(double secs, char buf[32])
{
	long s = secs < 0 ? 0 : (long)(secs + 0.5);

	if (s >= 3600)
		snprintf(buf, 32, "%ldh%02ldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, 32, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, 32, "%lds", s);
}

void progress_step(const char *step, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (mode == PROGRESS_JSON) {
		progress_json(json_pack("{s:s, s:s, s:s}", "event", "step",
					"step", step, "message", sb.buf));
	} else if (mode != PROGRESS_QUIET) {
		progress_clear();
		fprintf(stderr, "[%s] %s\n", step, sb.buf);
	}
	strbuf_release(&sb);
}

void progress_status(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	double now = util_now();
	va_list ap;

	if (mode == PROGRESS_QUIET || mode == PROGRESS_JSON)
		return;
	if (!tty && now - last_status < 30)
		return;
	last_status = now;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (tty) {
		fprintf(stderr, "\r\033[K%.*s", 160, sb.buf);
		status_shown = 1;
	} else {
		fprintf(stderr, "  %s\n", sb.buf);
	}
	fflush(stderr);
	strbuf_release(&sb);
}

void progress_json(json_t *event)
{
	char *s;

	if (!event)
		return;
	if (mode == PROGRESS_JSON) {
		s = json_dumps(event, JSON_COMPACT);
		if (s) {
			printf("%s\n", s);
			fflush(stdout);
			free(s);
		}
	}
	json_decref(event);
}
