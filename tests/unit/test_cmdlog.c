/*
 * test_cmdlog.c - unit tests of errors that show their cause: the tail
 * of a failed command's log (escaped, cut), keeping the log out of the
 * next attempt's way, and the first-error line of a build whose tool is
 * missing (the rsync case of issue 9).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "cmdlog.h"
#include "util.h"
#include "test.h"

static char *write_log(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", test_tmpdir(), name);

	if (util_write_file(path, text, strlen(text)))
		test_fail(__FILE__, __LINE__, "cannot write %s", path);
	return path;
}

TEST(cmdlog_tail_last_lines)
{
	struct strbuf log = STRBUF_INIT, out = STRBUF_INIT;
	char *path;
	int i;

	for (i = 1; i <= 30; i++)
		strbuf_addf(&log, "line %d\n", i);
	strbuf_addstr(&log, "\n\n");
	path = write_log("tail.log", log.buf);
	cmdlog_tail(path, 3, &out);
	CHECK_STR(out.buf, "    line 28\n    line 29\n    line 30\n");
	strbuf_reset(&out);
	cmdlog_tail(path, 20, &out);
	CHECK(!strncmp(out.buf, "    line 11\n", 12));
	CHECK(strstr(out.buf, "line 10\n") == NULL);
	strbuf_reset(&out);
	/* Fewer lines than asked: all of them. */
	free(path);
	path = write_log("short.log", "only\r\n");
	cmdlog_tail(path, 20, &out);
	CHECK_STR(out.buf, "    only\n");
	strbuf_reset(&out);
	cmdlog_tail("/nonexistent/kflake.log", 20, &out);
	CHECK_INT(out.len, 0);
	strbuf_release(&log);
	strbuf_release(&out);
	free(path);
}

TEST(cmdlog_tail_escapes_and_cuts)
{
	struct strbuf log = STRBUF_INIT, out = STRBUF_INIT;
	char *path;
	int i;

	/* A terminal escape from a stranger's build, and a very long line. */
	strbuf_addstr(&log, "evil \x1b]0;owned\x07 \xc3\xa9\tend \xc2\x9b" "2J "
		      "\xe2\x80\x98q\xe2\x80\x99 \xff\xc3\n");
	for (i = 0; i < 1000; i++)
		strbuf_addch(&log, 'x');
	strbuf_addch(&log, '\n');
	path = write_log("esc.log", log.buf);
	cmdlog_tail(path, 2, &out);
	/* UTF-8 text stays; C1 CSI, invalid and cut sequences do not. */
	CHECK(strstr(out.buf, "    evil \\x1b]0;owned\\x07 \xc3\xa9\tend "
			      "\\xc2\\x9b2J \xe2\x80\x98q\xe2\x80\x99 "
			      "\\xff\\xc3\n") != NULL);
	CHECK(strchr(out.buf, '\x1b') == NULL);
	CHECK(strstr(out.buf, "\n    xxx") != NULL);
	CHECK_INT(strlen(strstr(out.buf, "\n    xxx") + 1), 4 + 300 + 1);
	strbuf_release(&log);
	strbuf_release(&out);
	free(path);
}

TEST(cmdlog_tail_of_a_big_log)
{
	struct strbuf log = STRBUF_INIT, out = STRBUF_INIT;
	char *path;
	int i;

	for (i = 0; i < 20000; i++)
		strbuf_addf(&log, "  CC      file%05d.o\n", i);
	strbuf_addstr(&log, "make: *** [Makefile:1] Error 2\n");
	path = write_log("big.log", log.buf);
	cmdlog_tail(path, 2, &out);
	CHECK_STR(out.buf, "      CC      file19999.o\n"
			   "    make: *** [Makefile:1] Error 2\n");
	strbuf_release(&log);
	strbuf_release(&out);
	free(path);
}

TEST(cmdlog_keep_moves_the_log)
{
	char *path = write_log("build.log", "failed\n"), *kept;
	/* Not the cache: the unit tests must not fix util_cache_dir(). */
	char *dir = xasprintf("%s/logs/", test_tmpdir()), *logs;

	logs = xstrndup(dir, strlen(dir) - 1);
	kept = cmdlog_keep(path, logs, "build-unit");
	free(logs);
	CHECK(util_starts_with(kept, dir));
	CHECK(strstr(kept, "/build-unit-") != NULL);
	CHECK(!util_file_exists(path));
	CHECK(util_file_exists(kept));
	unlink(kept);
	free(kept);
	free(dir);
	free(path);
}

TEST(cmdlog_keep_prunes_the_oldest)
{
	char *logs = xasprintf("%s/many", test_tmpdir()), *old, *kept, *p;
	struct timespec t[2] = { { 1000, 0 }, { 1000, 0 } };
	int i, n = 0;
	DIR *d;

	util_mkdir_p(logs);
	old = xasprintf("%s/build-old.log", logs);
	util_write_file(old, "x", 1);
	utimensat(AT_FDCWD, old, t, 0);
	for (i = 0; i < 200; i++) {
		p = xasprintf("%s/other-%03d.log", logs, i);
		util_write_file(p, "x", 1);
		free(p);
	}
	p = write_log("new.log", "new\n");
	kept = cmdlog_keep(p, logs, "build-new");
	CHECK(util_file_exists(kept));
	CHECK(!util_file_exists(old));
	d = opendir(logs);
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	CHECK_INT(n, 200 + 2);	/* with . and .. */
	free(kept);
	free(p);
	free(old);
	free(logs);
}

TEST(build_first_error_missing_program)
{
	/* What headers_install printed on a machine without rsync. */
	char *e = build_first_error(
		"  INSTALL /x/headers/include\n"
		"/bin/sh: 1: rsync: not found\n"
		"make[2]: *** [Makefile:1313: headers_install] Error 127\n");

	CHECK_STR(e, "/bin/sh: 1: rsync: not found");
	free(e);
}
