/*
 * util.c - allocation that never returns NULL, error reporting, atomic
 * file writes, cache/data directories and small parsers used everywhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "util.h"

static int quiet;
volatile int util_interrupted;
static char home_dir[PATH_MAX];
static double start_time;

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory allocating %zu bytes", n);
	return p;
}

void *xcalloc(size_t nmemb, size_t n)
{
	void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);

	if (!p)
		die("out of memory allocating %zu bytes", nmemb * n);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory allocating %zu bytes", n);
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb);
}

static void report(const char *prefix, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "kflake: ");
	strbuf_addstr(&sb, prefix);
	strbuf_vaddf(&sb, fmt, ap);
	strbuf_addch(&sb, '\n');
	/* One write, so concurrent progress output cannot split the line. */
	if (write(STDERR_FILENO, sb.buf, sb.len) < 0)
		sb.len = 0;
	strbuf_release(&sb);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

int util_usage_error(const char *cmd)
{
	fprintf(stderr, "kflake: see 'kflake %s --help'\n", cmd);
	return KFLAKE_EXIT_USAGE;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("warning: ", fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("fatal: ", fmt, ap);
	va_end(ap);
	exit(KFLAKE_EXIT_FAULT);
}

void util_set_quiet(int q)
{
	quiet = q;
}

int util_quiet(void)
{
	return quiet;
}

void info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	report("", fmt, ap);
	va_end(ap);
}

int util_read_file(const char *path, struct strbuf *sb, size_t max)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (max && sb->len + (size_t)n > max) {
			strbuf_add(sb, buf, max - sb->len);
			break;
		}
		strbuf_add(sb, buf, (size_t)n);
	}
	close(fd);
	return n < 0 ? -1 : 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_write_file(const char *path, const void *buf, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto out;
	if (write_all(fd, buf, len) || fsync(fd)) {
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path)) {
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

int util_copy_file(const char *src, const char *dst)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (util_read_file(src, &sb, 0)) {
		strbuf_release(&sb);
		return -1;
	}
	ret = util_write_file(dst, sb.buf, sb.len);
	strbuf_release(&sb);
	return ret;
}

int util_mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s;
	int ret = 0;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			ret = -1;
		*s = '/';
	}
	if (!ret && mkdir(p, 0755) && errno != EEXIST)
		ret = -1;
	free(p);
	return ret;
}

int util_rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (util_rm_rf(sub))
			ret = -1;
		free(sub);
	}
	closedir(d);
	if (rmdir(path))
		ret = -1;
	return ret;
}

int util_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int util_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

char *util_realpath(const char *path)
{
	char *real = realpath(path, NULL);

	return real ? real : xstrdup(path);
}

int util_file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static const char *xdg_dir(const char *override, const char *xdg,
			   const char *fallback, char *buf, size_t size)
{
	const char *v = getenv(override);
	const char *home = getenv("HOME");

	if (v && *v) {
		snprintf(buf, size, "%s", v);
		return buf;
	}
	v = getenv(xdg);
	if (v && *v)
		snprintf(buf, size, "%s/kflake", v);
	else
		snprintf(buf, size, "%s/%s/kflake", home ? home : "/tmp",
			 fallback);
	return buf;
}

const char *util_cache_dir(void)
{
	static char buf[PATH_MAX];

	if (!*buf)
		xdg_dir("KFLAKE_CACHE", "XDG_CACHE_HOME", ".cache", buf,
			sizeof(buf));
	return buf;
}

const char *util_data_dir(void)
{
	static char buf[PATH_MAX];

	if (!*buf)
		xdg_dir("KFLAKE_DATA", "XDG_DATA_HOME", ".local/share", buf,
			sizeof(buf));
	return buf;
}

double util_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double util_wallclock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *util_iso8601(double t, char buf[32])
{
	time_t secs = (time_t)t;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/*
 * The binary finds runners/ and kconfigs/ relative to itself, so a checkout
 * works wherever it is cloned; KFLAKE_HOME overrides for installed copies.
 */
void util_set_argv0(const char *argv0)
{
	const char *env = getenv("KFLAKE_HOME");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	(void)argv0;
	start_time = util_now();
	if (env && *env) {
		snprintf(home_dir, sizeof(home_dir), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(home_dir, sizeof(home_dir), ".");
		return;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(home_dir, sizeof(home_dir), "%s", exe);
}

double util_uptime(void)
{
	return util_now() - start_time;
}

const char *util_home(void)
{
	if (!*home_dir)
		util_set_argv0(NULL);
	return home_dir;
}

int util_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Accepts "90", "90s", "5m", "1h", "1.5m". */
int util_parse_duration(const char *s, double *seconds)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		;
	else if (!strcmp(end, "m"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else
		return -1;
	*seconds = v;
	return 0;
}

void util_fault_point(const char *name)
{
	const char *env = getenv("KFLAKE_FAULT_PAUSE");
	char msg[128];
	int n;

	if (!env || strcmp(env, name))
		return;
	n = snprintf(msg, sizeof(msg), "kflake: fault point %s: pausing\n",
		     name);
	if (write(STDERR_FILENO, msg, (size_t)n) < 0)
		return;
	usleep(1000000);
}

void util_sha1_hex(const void *buf, size_t len, char out[41])
{
	git_oid oid;

	git_odb_hash(&oid, buf, len, GIT_OBJECT_BLOB);
	git_oid_tostr(out, 41, &oid);
}
