/*
 * cmdlog.c - keeping and showing failed commands' logs (see cmdlog.h).
 * The kept ones are capped at the newest KEEP_MAX.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmdlog.h"
#include "util.h"

#define TAIL_BYTES 65536
#define LINE_MAX_SHOWN 300
/* Kept logs beyond this many go, oldest first (a log is up to a few MB). */
#define KEEP_MAX 200

struct kept {
	char *path;
	struct timespec mtime;
};

static int older_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct kept *)a)->mtime;
	const struct timespec *y = &((const struct kept *)b)->mtime;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec;
}

/*
 * A nightly bisect over broken commits must not fill the disk with logs.
 * The log just kept is never the one to go.
 */
static void prune(const char *dir, const char *keep)
{
	struct kept *v = NULL;
	size_t n = 0, alloc = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		struct stat st;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) || !S_ISREG(st.st_mode) || !strcmp(p, keep)) {
			free(p);
			continue;
		}
		ALLOC_GROW(v, n, alloc);
		v[n++] = (struct kept){ p, st.st_mtim };
	}
	if (d)
		closedir(d);
	if (n >= KEEP_MAX)
		qsort(v, n, sizeof(*v), older_first);
	for (i = 0; i < n; i++) {
		if (n - i >= KEEP_MAX)
			unlink(v[i].path);
		free(v[i].path);
	}
	free(v);
}

char *cmdlog_keep(const char *log, const char *logs, const char *name)
{
	char *dir = logs ? xstrdup(logs) : xasprintf("%s/logs", util_cache_dir());
	static int seq;
	char *kept;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* pid and sequence: one process may fail twice in a second (bisect). */
	kept = xasprintf("%s/%s-%s-%d-%d.log", dir, name, stamp, (int)getpid(),
			 ++seq);
	if (util_mkdir_p(dir) || rename(log, kept)) {
		warning("cannot keep %s in %s: %s", log, dir, strerror(errno));
		free(kept);
		kept = xstrdup(log);
	} else {
		prune(dir, kept);
	}
	free(dir);
	return kept;
}

/*
 * Length of the valid UTF-8 sequence of a printable character at s (at
 * most n bytes), 0 when it is not one: C1 controls (U+0080-U+009F),
 * overlong forms, surrogates and bytes that are no UTF-8 at all.
 */
static size_t utf8_printable(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < 0xa0 || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void cmdlog_escape(struct strbuf *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t u;

		if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
			strbuf_addch(out, (char)c);
			i++;
		} else if (c >= 0x80 &&
			   (u = utf8_printable((const unsigned char *)s + i,
					       len - i))) {
			strbuf_add(out, s + i, u);
			i += u;
		} else {
			strbuf_addf(out, "\\x%02x", c);
			i++;
		}
	}
}

static void add_line(struct strbuf *out, const char *s, size_t len)
{
	if (len > LINE_MAX_SHOWN)
		len = LINE_MAX_SHOWN;
	strbuf_addstr(out, "    ");
	cmdlog_escape(out, s, len);
	strbuf_addch(out, '\n');
}

void cmdlog_tail(const char *log, int n, struct strbuf *out)
{
	char *buf = xmalloc(TAIL_BYTES);
	const char *start, *end;
	struct stat st;
	ssize_t got = 0;
	int fd = open(log, O_RDONLY | O_CLOEXEC), lines = 0;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto out;
	if (st.st_size > TAIL_BYTES &&
	    lseek(fd, st.st_size - TAIL_BYTES, SEEK_SET) < 0)
		goto out;
	got = read(fd, buf, TAIL_BYTES);
	if (got <= 0)
		goto out;
	end = buf + got;
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	/* Back up over n lines, then print them in order. */
	for (start = end; start > buf && lines < n; start--)
		if (start[-1] == '\n' && ++lines == n)
			break;
	while (start < end) {
		const char *nl = memchr(start, '\n', (size_t)(end - start));
		size_t len = nl ? (size_t)(nl - start) : (size_t)(end - start);

		while (len && start[len - 1] == '\r')
			len--;
		add_line(out, start, len);
		start += (nl ? (size_t)(nl - start) + 1 : (size_t)(end - start));
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
}

void cmdlog_show_tail(const char *log)
{
	struct strbuf sb = STRBUF_INIT, tail = STRBUF_INIT;

	if (!log)
		return;
	cmdlog_tail(log, CMDLOG_TAIL_LINES, &tail);
	if (!tail.len)
		return;
	strbuf_addf(&sb, "kflake: last lines of %s:\n%s", log, tail.buf);
	/* One write, so concurrent progress output cannot split it. */
	if (write(STDERR_FILENO, sb.buf, sb.len) < 0)
		sb.len = 0;
	strbuf_release(&sb);
	strbuf_release(&tail);
}
