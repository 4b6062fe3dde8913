/*
 * progress.h - what a long job shows while it works: the step, iteration
 * k/N with per-test tallies and an ETA. On a terminal one status line is
 * redrawn; otherwise one line per event; --quiet shows nothing but
 * errors and the final table; --json prints one JSON object per event.
 */
#ifndef KFLAKE_PROGRESS_H
#define KFLAKE_PROGRESS_H

#include <jansson.h>

enum progress_mode {
	PROGRESS_AUTO,
	PROGRESS_LINES,
	PROGRESS_QUIET,
	PROGRESS_JSON,
};

void progress_init(enum progress_mode mode);
enum progress_mode progress_mode(void);
/* A step: "build", "boot", ... with a message. */
void progress_step(const char *step, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A transient status (terminal only; lines mode throttles to every 30 s). */
void progress_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A JSON event (takes the reference); printed only in JSON mode. */
void progress_json(json_t *event);
/* End a redrawn status line before normal output. */
void progress_clear(void);
/* "4m05s" */
void progress_fmt_duration(double secs, char buf[32]);

#endif
