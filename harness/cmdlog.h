/*
 * cmdlog.h - the logs of the commands kflake runs (make, compilers,
 * QEMU), for errors that show their cause: a failed command's log is
 * kept where the next attempt cannot delete it, and its last lines are
 * shown with the error, escaped (a stranger's build output must not
 * drive the user's terminal).
 */
#ifndef KFLAKE_CMDLOG_H
#define KFLAKE_CMDLOG_H

#include "strbuf.h"

#define CMDLOG_TAIL_LINES 20

/*
 * Move log to <dir>/<name>-<UTC time>-<pid>-<n>.log, dir NULL meaning
 * <cache>/logs. Returns the new path, or log itself when it cannot be
 * moved (malloc'ed either way). Only the newest 200 logs there are kept.
 */
char *cmdlog_keep(const char *log, const char *dir, const char *name);

/*
 * Append s (len bytes) for a terminal: printable ASCII, tab and printable
 * UTF-8 as they are, every other byte (controls, escapes, C1, invalid
 * UTF-8) as \xNN.
 */
void cmdlog_escape(struct strbuf *out, const char *s, size_t len);

/*
 * The last n lines of the file at log (from its last 64 KiB), each
 * indented by four spaces, cut at 300 bytes and escaped as above. Empty
 * when there is nothing.
 */
void cmdlog_tail(const char *log, int n, struct strbuf *out);

/* "kflake: last N lines of LOG:" and those lines on stderr, if any. */
void cmdlog_show_tail(const char *log);

#endif
