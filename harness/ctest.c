/*
 * ctest.c - owns C reproducers and the sysctl wrapper (see ctest.h).
 * The compile is keyed by content, so a plan that runs the same source
 * every night compiles it once; a new gcc compiles it again.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "ctest.h"
#include "runcmd.h"
#include "util.h"

#define CTEST_CFLAGS "-static -O2 -Wall"

int ctest_is_source(const char *arg)
{
	size_t n = arg ? strlen(arg) : 0;

	return n > 2 && !strcmp(arg + n - 2, ".c");
}

static char *gcc_version(void)
{
	const char *argv[] = { "gcc", "--version", NULL };
	struct strbuf out = STRBUF_INIT;

	runcmd_capture(argv, &out, 4096);
	strbuf_setlen(&out, strcspn(strbuf_str(&out), "\n"));
	return strbuf_detach(&out);
}

/* The executable's name: the source's without ".c", plain characters. */
static char *stem_of(const char *src)
{
	const char *base = strrchr(src, '/');
	char *s = xstrdup(base ? base + 1 : src), *p;

	s[strlen(s) - 2] = '\0';
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			*p = '_';
	if (!*s || s[0] == '.') {
		free(s);
		s = xstrdup("reproducer");
	}
	return s;
}

static int compile(const char *src, const char *log, const char *out)
{
	const char *argv[] = { "gcc", "-static", "-O2", "-Wall", "-o", out,
			       src, NULL };
	struct runcmd c = RUNCMD_INIT;
	struct strbuf sb = STRBUF_INIT;
	char *first;
	int ret = 0;

	c.argv = argv;
	c.log_path = log;
	if (runcmd_run(&c)) {
		util_read_file(log, &sb, 1 << 20);
		first = build_first_error(strbuf_str(&sb));
		ret = error("--test %s: does not compile: %s (log: %s)", src,
			    first ? first : "gcc failed", log);
		free(first);
	}
	strbuf_release(&sb);
	return ret;
}

int ctest_build(const char *src, char **binary)
{
	struct strbuf sb = STRBUF_INIT;
	char key[41], *gcc = NULL, *dir = NULL, *tmp = NULL, *stem = NULL;
	char *out = NULL, *log = NULL;
	int ret = -1;

	*binary = NULL;
	if (util_read_file(src, &sb, CTEST_MAX_SOURCE)) {
		error("--test %s: cannot read the source (missing, or over "
		      "%d KiB)", src, CTEST_MAX_SOURCE >> 10);
		goto out;
	}
	gcc = gcc_version();
	strbuf_addf(&sb, "%c%s%c%s", 0, gcc, 0, CTEST_CFLAGS);
	util_sha1_hex(sb.buf, sb.len, key);
	stem = stem_of(src);
	dir = xasprintf("%s/ctests/%s", util_cache_dir(), key);
	out = xasprintf("%s/%s", dir, stem);
	if (!access(out, X_OK)) {
		ret = 0;
		goto out;
	}
	/* Built aside and renamed: a half-written binary is never used. */
	tmp = xasprintf("%s.tmp-%d", dir, (int)getpid());
	util_rm_rf(tmp);
	if (util_mkdir_p(tmp)) {
		error("%s: %s", tmp, strerror(errno));
		goto out;
	}
	free(out);
	out = xasprintf("%s/%s", tmp, stem);
	/* The log outlives a failed build (the error names it), not tmp. */
	log = xasprintf("%s.log", dir);
	if (compile(src, log, out)) {
		util_rm_rf(tmp);
		goto out;
	}
	unlink(log);
	if (rename(tmp, dir) && errno != EEXIST && errno != ENOTEMPTY) {
		error("%s: %s", dir, strerror(errno));
		goto out;
	}
	util_rm_rf(tmp);
	free(out);
	out = xasprintf("%s/%s", dir, stem);
	ret = access(out, X_OK) ? error("%s: not executable", out) : 0;
out:
	if (!ret)
		*binary = out;
	else
		free(out);
	strbuf_release(&sb);
	free(gcc);
	free(dir);
	free(tmp);
	free(log);
	free(stem);
	return ret;
}

char *ctest_value(const char *output)
{
	const char *p = output, *found = NULL;
	size_t len = 0;
	char *v;
	size_t i;

	while (p && *p) {
		size_t l = strcspn(p, "\n");

		if (l > 8 && !strncmp(p, "# value ", 8)) {
			found = p + 8;
			len = l - 8;
		}
		p += l;
		if (*p)
			p++;
	}
	if (!found)
		return NULL;
	while (len && isspace((unsigned char)found[len - 1]))
		len--;
	if (len > CTEST_MAX_VALUE)
		len = CTEST_MAX_VALUE;
	v = xstrndup(found, len);
	/* A test's text: printable, one line. */
	for (i = 0; v[i]; i++)
		if (!isprint((unsigned char)v[i]))
			v[i] = '?';
	return *v ? v : (free(v), NULL);
}

static int plain(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

/* s in single quotes for sh. */
static void sq(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

int ctest_wrapper(const char *dir, const char *rundir, const char *cmd,
		  char *const *sysctls, size_t n)
{
	struct strbuf sb = STRBUF_INIT, path = STRBUF_INIT;
	char *file;
	size_t i;
	int ret = 0;

	strbuf_addstr(&sb, "#!/bin/sh\n# Written by kflake: this test's "
		      "sysctls, then the test; old values are put back.\n");
	for (i = 0; i < n; i++) {
		const char *eq = strchr(sysctls[i], '=');
		char *key;
		char *p;

		key = eq ? xstrndup(sysctls[i], (size_t)(eq - sysctls[i]))
			 : xstrdup("");
		if (!*key || !plain(key, "._-") || strstr(key, "..") ||
		    key[0] == '.' || !plain(eq + 1, " \t._-:,")) {
			free(key);
			ret = error("sysctl %s: not a plain key=value",
				    sysctls[i]);
			goto out;
		}
		strbuf_reset(&path);
		strbuf_addf(&path, "/proc/sys/%s", key);
		for (p = path.buf + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		/*
		 * cat, not read: dash reads a byte at a time, and a sysctl
		 * file read at an offset above 0 is at its end ("4096" -> "4").
		 */
		strbuf_addf(&sb, "old%zu=$(cat %s 2>/dev/null)\n"
			    "if [ -z \"$old%zu\" ]; then\n"
			    "\techo \"kflake: this kernel has no sysctl %s\"\n"
			    "\texit 4\nfi\n", i, path.buf, i, key);
		strbuf_addf(&sb, "echo ");
		sq(&sb, eq + 1);
		strbuf_addf(&sb, " > %s || { echo \"kflake: cannot set %s\"; "
			    "exit 4; }\n", path.buf, key);
		free(key);
	}
	strbuf_addstr(&sb, "cd ");
	sq(&sb, rundir);
	strbuf_addstr(&sb, " || exit 127\n");
	sq(&sb, cmd);
	strbuf_addstr(&sb, "\nrc=$?\n");
	for (i = n; i-- > 0;) {
		const char *eq = strchr(sysctls[i], '=');
		char *p;

		strbuf_reset(&path);
		strbuf_addf(&path, "/proc/sys/%.*s", (int)(eq - sysctls[i]),
			    sysctls[i]);
		for (p = path.buf + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		strbuf_addf(&sb, "echo \"$old%zu\" > %s\n", i, path.buf);
	}
	strbuf_addstr(&sb, "exit $rc\n");
	file = xasprintf("%s/run", dir);
	ret = util_mkdir_p(dir) || util_write_file(file, sb.buf, sb.len) ||
	      chmod(file, 0755);
	if (ret)
		error("%s: cannot write the sysctl wrapper", file);
	free(file);
out:
	strbuf_release(&sb);
	strbuf_release(&path);
	return ret ? -1 : 0;
}
