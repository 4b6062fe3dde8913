/*
 * util.h - allocation, error reporting, files and paths shared by every
 * module. Nothing here knows about kernels, VMs or the database.
 */
#ifndef KFLAKE_UTIL_H
#define KFLAKE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Exit codes shared with `git bisect run`: >= 128 aborts a bisect. */
#define KFLAKE_EXIT_OK 0
#define KFLAKE_EXIT_FAIL 1
#define KFLAKE_EXIT_USAGE 2
#define KFLAKE_EXIT_VERDICT 3	/* a verdict --fail-on names */
#define KFLAKE_EXIT_SKIP 125
#define KFLAKE_EXIT_FAULT 128

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);

/* Grow *arr (of *alloc elements) so that it holds at least nr + 1. */
#define ALLOC_GROW(arr, nr, alloc)                                       \
	do {                                                             \
		if ((nr) >= (alloc)) {                                   \
			(alloc) = (alloc) ? (alloc) * 2 : 16;            \
			(arr) = xrealloc((arr), (alloc) * sizeof(*(arr))); \
		}                                                        \
	} while (0)

/*
 * error() prints "kflake: <msg>" on stderr and returns -1 so callers can
 * write `return error(...)`; die() prints and exits KFLAKE_EXIT_FAULT.
 */
int error(const char *fmt, ...) PRINTF(1, 2);
/*
 * Bad usage of subcommand cmd, after the line saying what is wrong: a
 * pointer to its --help. Returns KFLAKE_EXIT_USAGE.
 */
int util_usage_error(const char *cmd);
void warning(const char *fmt, ...) PRINTF(1, 2);
void die(const char *fmt, ...) PRINTF(1, 2) __attribute__((noreturn));
void util_set_quiet(int quiet);
int util_quiet(void);
void info(const char *fmt, ...) PRINTF(1, 2);

/*
 * Set by kflake's SIGINT/SIGTERM handler (session_catch_signals): long
 * steps (make, the boot loop) check it and stop cleanly.
 */
extern volatile int util_interrupted;

/* Whole-file helpers. Writes go to a temp file renamed into place. */
int util_read_file(const char *path, struct strbuf *sb, size_t max);
int util_write_file(const char *path, const void *buf, size_t len);
int util_mkdir_p(const char *path);
int util_rm_rf(const char *path);
int util_file_exists(const char *path);
/* path with every link resolved (malloc'ed); a copy of path if it fails. */
char *util_realpath(const char *path);
int util_starts_with(const char *s, const char *prefix);
/* path is dir or below it (by name: dir "/a/b" holds "/a/b/c", not "/a/bc"). */
int util_path_under(const char *path, const char *dir);
int util_copy_file(const char *src, const char *dst);

/* ~/.cache/kflake (XDG_CACHE_HOME, KFLAKE_CACHE) and ~/.local/share/kflake. */
const char *util_cache_dir(void);
const char *util_data_dir(void);

/* Seconds from a monotonic clock, and wall-clock seconds since the epoch. */
double util_now(void);
double util_wallclock(void);
/* ISO 8601 UTC timestamp of t (wall-clock seconds) into buf[32]. */
char *util_iso8601(double t, char buf[32]);

/* Monotonic seconds since the process started (util_set_argv0 time). */
double util_uptime(void);

/* Directory holding the kflake binary's checkout (runners/, kconfigs/). */
const char *util_home(void);
void util_set_argv0(const char *argv0);

/* Parse a decimal/duration; return -1 on junk so callers can name the input. */
int util_parse_int(const char *s, long min, long max, long *out);
int util_parse_duration(const char *s, double *seconds);

/*
 * Fault injection for the kill tests (e2e 95-kill9): when
 * $KFLAKE_FAULT_PAUSE names this point ("commit": inside every database
 * transaction, before COMMIT), say so on stderr and sleep a second, so a
 * test can SIGKILL kflake right there. A no-op otherwise.
 */
void util_fault_point(const char *name);

/* Hex SHA-1 of a buffer (libgit2's hasher), out must hold 41 bytes. */
void util_sha1_hex(const void *buf, size_t len, char out[41]);

#endif
