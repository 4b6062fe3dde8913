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
	char *kept;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	kept = xasprintf("%s/%s-%s-%d.log", dir, name, stamp, (int)getpid());
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

static void add_escaped(struct strbuf *out, const char *s, size_t len)
{
	size_t i;

	if (len > LINE_MAX_SHOWN)
		len = LINE_MAX_SHOWN;
	strbuf_addstr(out, "    ");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || (c >= 0x20 && c < 0x7f))
			strbuf_addch(out, (char)c);
		else
			strbuf_addf(out, "\\x%02x", c);
	}
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
		add_escaped(out, start, len);
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
