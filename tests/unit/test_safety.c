/*
 * test_safety.c - unit tests of what keeps strangers' kernels and tests
 * away from the host: the artefact directory of a database and the
 * refusal of paths outside it; reaping a killed kflake's children; safe
 * reads of guest-written files; capped logs; the payload copy; CPU limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "artefact.h"
#include "guestfile.h"
#include "logcap.h"
#include "runcmd.h"
#include "sandbox.h"
#include "selftest.h"
#include "store.h"
#include "util.h"
#include "test.h"

/* mkdir -p the directory part of path. */
static int mkparent(const char *path)
{
	char *p = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	int ret = util_mkdir_p(p);

	free(p);
	return ret;
}

TEST(artefact_dir_beside_database)
{
	char *d = artefact_dir_for("/nonexistent-dir/sub/kflake.db");

	CHECK_STR(d, "/nonexistent-dir/sub/kflake.artefacts");
	free(d);
	d = artefact_dir_for("/nonexistent-dir/plain");
	CHECK_STR(d, "/nonexistent-dir/plain.artefacts");
	free(d);
	d = artefact_dir_for("/x.db");
	CHECK_STR(d, "/x.artefacts");
	free(d);
}

TEST(artefact_open_refuses_outside)
{
	const char *tmp = test_tmpdir();
	char *db = xasprintf("%s/a.db", tmp), *db2 = xasprintf("%s/b.db", tmp);
	char *in = xasprintf("%s/a.artefacts/runs/1/boot-1/console.log", tmp);
	char *other = xasprintf("%s/b.artefacts/runs/1/boot-1/console.log", tmp);
	char *link = xasprintf("%s/a.artefacts/runs/1/boot-1/link", tmp);
	char *fifo = xasprintf("%s/a.artefacts/runs/1/boot-1/fifo", tmp);
	char *dir;
	struct store st = { 0 };
	int fd;

	st.path = db;
	dir = artefact_run_dir(&st, 1);
	CHECK(strstr(dir, "/a.artefacts/runs/1") != NULL);
	free(dir);
	CHECK_INT(mkparent(in), 0);
	CHECK_INT(util_write_file(in, "ok\n", 3), 0);
	fd = artefact_open(&st, in);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* Another database's artefacts, /etc/passwd, a link out, a fifo. */
	CHECK_INT(mkparent(other), 0);
	CHECK_INT(util_write_file(other, "b\n", 2), 0);
	errno = 0;
	CHECK_INT(artefact_open(&st, other), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(artefact_open(&st, "/etc/passwd"), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(symlink("/etc/passwd", link), 0);
	CHECK_INT(artefact_open(&st, link), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(mkfifo(fifo, 0600), 0);
	CHECK_INT(artefact_open(&st, fifo), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(artefact_open(&st, NULL), -1);
	/* The same file is fine for the database it belongs to. */
	st.path = db2;
	fd = artefact_open(&st, other);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(!artefact_path_ok(&st, in));
	free(db);
	free(db2);
	free(in);
	free(other);
	free(link);
	free(fifo);
}

/*
 * In a child with its own cache dir: a sleeper whose pidfile claims a
 * dead owner is killed; a pidfile naming a live process by the wrong
 * start time (a reused pid) and one whose owner lives are left alone.
 */
static int reap_scenario(const char *cache)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct runcmd a = RUNCMD_INIT, b = RUNCMD_INIT;
	struct strbuf sb = STRBUF_INIT;
	char *reused;
	int status, fails = 0, pid, owner;
	unsigned long long start, ostart;
	char rest[256];
	pid_t dead;

	setenv("KFLAKE_CACHE", cache, 1);
	a.argv = b.argv = argv;
	a.new_pgrp = b.new_pgrp = 1;
	a.reap_as = b.reap_as = "sleeper";
	if (runcmd_start(&a) || runcmd_start(&b) || !a.pidfile || !b.pidfile)
		return 100;
	/* a's owner: a process that has exited (and was waited for). */
	dead = fork();
	if (!dead)
		_exit(0);
	waitpid(dead, &status, 0);
	util_read_file(a.pidfile, &sb, 4096);
	if (sscanf(sb.buf, "%d %llu %d %llu %255[^\x01]", &pid, &start, &owner,
		   &ostart, rest) != 5)
		return 101;
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%d %llu\n%d %llu\n%s", pid, start, (int)dead, ostart,
		    rest);
	util_write_file(a.pidfile, sb.buf, sb.len);
	/* b's pidfile, copied to name b with the wrong start time. */
	strbuf_reset(&sb);
	util_read_file(b.pidfile, &sb, 4096);
	sscanf(sb.buf, "%d %llu %d %llu %255[^\x01]", &pid, &start, &owner,
	       &ostart, rest);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%d %llu\n%d %llu\n%s", pid, start + 1, (int)dead,
		    ostart, rest);
	reused = xasprintf("%s/pids/%d-reused", cache, (int)dead);
	util_write_file(reused, sb.buf, sb.len);
	strbuf_release(&sb);
	if (runcmd_reap_orphans() != 1)
		fails |= 1;
	if (runcmd_wait(&a) != 128 + SIGKILL)
		fails |= 2;
	if (util_file_exists(reused))
		fails |= 4;
	/* b lives on: its owner (this process) is alive. */
	if (kill(b.pid, 0))
		fails |= 8;
	runcmd_kill(&b, SIGKILL);
	runcmd_wait(&b);
	if (b.pidfile || util_file_exists(reused))
		fails |= 16;
	free(reused);
	return fails;
}

TEST(runcmd_reaps_orphans_by_start_time)
{
	const char *tmp = test_tmpdir();
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (!pid)
		_exit(reap_scenario(tmp));
	waitpid(pid, &status, 0);
	CHECK_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
}

TEST(guestfile_refuses_links_fifos_and_caps_size)
{
	const char *tmp = test_tmpdir();
	char *p = xasprintf("%s/big", tmp), *why = NULL;
	struct strbuf sb = STRBUF_INIT;
	int dfd, fd;

	CHECK_INT(util_write_file(p, "hello\n", 6), 0);
	free(p);
	p = xasprintf("%s/link", tmp);
	CHECK_INT(symlink("/etc/passwd", p), 0);
	free(p);
	p = xasprintf("%s/fifo", tmp);
	CHECK_INT(mkfifo(p, 0600), 0);
	free(p);
	p = xasprintf("%s/huge", tmp);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, "HEAD", 4), 4);
	CHECK_INT(pwrite(fd, "TAIL", 4, (1LL << 40) - 4), 4);
	close(fd);
	free(p);
	dfd = guestfile_opendir(tmp);
	CHECK(dfd >= 0);
	CHECK_INT(guestfile_read(dfd, "big", 1024, &sb, &why), 0);
	CHECK_STR(sb.buf, "hello\n");
	CHECK(why == NULL);
	strbuf_reset(&sb);
	CHECK_INT(guestfile_read(dfd, "missing", 1024, &sb, &why), 1);
	CHECK_INT(guestfile_read(dfd, "link", 1024, &sb, &why), -1);
	CHECK_STR(why, "link: a symbolic link; not read");
	free(why);
	CHECK_INT(sb.len, 0);
	/* O_NONBLOCK: a fifo nobody writes does not hang the reader. */
	CHECK_INT(guestfile_read(dfd, "fifo", 1024, &sb, &why), -1);
	CHECK_STR(why, "fifo: a fifo; not read");
	free(why);
	CHECK_INT(guestfile_read(dfd, "huge", 1024, &sb, &why), 0);
	CHECK(!strncmp(sb.buf, "HEAD", 4));
	CHECK(sb.len > 1024 && sb.len < 1200);
	CHECK(!memcmp(sb.buf + sb.len - 4, "TAIL", 4));
	CHECK(why && strstr(why, "huge: 1.0 TiB, more than 1 KiB; kept the "
			    "first and last 512 bytes"));
	free(why);
	close(dfd);
	strbuf_release(&sb);
}

TEST(logcap_keeps_head_and_tail)
{
	const char *tmp = test_tmpdir();
	char *p = xasprintf("%s/log", tmp), buf[300];
	struct strbuf sb = STRBUF_INIT;
	struct logcap l;
	int i;

	CHECK_INT(logcap_open(&l, p, 1024), 0);
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "line %03d\n", i);
		logcap_write(&l, buf, strlen(buf));
	}
	CHECK_INT(logcap_close(&l), 0);
	CHECK_INT(util_read_file(p, &sb, 0), 0);
	/* 900 bytes written: the cap is not reached, all of it is there. */
	CHECK_INT(sb.len, 900);
	strbuf_reset(&sb);
	unlink(p);
	CHECK_INT(logcap_open(&l, p, 1024), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "line %03d\n", i);
		logcap_write(&l, buf, strlen(buf));
	}
	CHECK_INT(logcap_close(&l), 0);
	CHECK_INT(util_read_file(p, &sb, 0), 0);
	CHECK(!strncmp(sb.buf, "line 000\n", 9));
	/* 512 bytes of head, the note, the last 512 bytes: 7976 cut. */
	CHECK(!strncmp(sb.buf + 504, "line 056\n[kflake: log capped at 1024 "
		       "bytes: 7976 bytes cut here; the first and last 512 "
		       "are kept]\n", 88));
	CHECK(sb.len > 9 && !strcmp(sb.buf + sb.len - 9, "line 999\n"));
	CHECK(strstr(sb.buf, "kept]\n") + 6 + 512 == sb.buf + sb.len);
	strbuf_release(&sb);
	free(p);
}

/* A tree whose selftests hold links: only what stays in the tree is copied. */
static int payload_scenario(const char *tmp)
{
	char *src = xasprintf("%s/tree", tmp), *net, *p, *dir = NULL;
	struct selftest t = { 0 };
	struct strbuf sb = STRBUF_INIT;
	int cached = 0, fails = 0;

	setenv("KFLAKE_CACHE", tmp, 1);
	net = xasprintf("%s/tools/testing/selftests/net", src);
	util_mkdir_p(net);
	p = xasprintf("%s/a.sh", net);
	util_write_file(p, "#!/bin/sh\n", 10);
	free(p);
	p = xasprintf("%s/out.sh", net);
	if (symlink("/etc/passwd", p))
		fails |= 1;
	free(p);
	p = xasprintf("%s/in.sh", net);
	if (symlink("a.sh", p))
		fails |= 1;
	free(p);
	t.name = "a.sh";
	t.suite = "net";
	if (selftest_payload(&t, 1, src, tmp, "0123", 0, &dir, &cached))
		return 2;
	p = xasprintf("%s/net/a.sh", dir);
	fails |= util_file_exists(p) ? 0 : 4;
	free(p);
	p = xasprintf("%s/net/in.sh", dir);
	fails |= !util_read_file(p, &sb, 0) && !strcmp(sb.buf, "#!/bin/sh\n")
		 ? 0 : 8;
	free(p);
	p = xasprintf("%s/net/out.sh", dir);
	fails |= util_file_exists(p) ? 16 : 0;
	free(p);
	strbuf_release(&sb);
	free(dir);
	free(net);
	free(src);
	return fails;
}

TEST(payload_copy_keeps_links_inside_the_tree)
{
	const char *tmp = test_tmpdir();
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (!pid)
		_exit(payload_scenario(tmp));
	waitpid(pid, &status, 0);
	CHECK_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
}

/*
 * A path test the guest's QEMU (nobody, when kflake is root) could not
 * read is refused when the run starts, not run to "Permission denied".
 */
TEST(selftest_path_the_guest_cannot_read_is_refused)
{
	char *dir = xasprintf("%s/private", test_tmpdir());
	char *file = xasprintf("%s/t.sh", dir);
	struct selftest t;

	if (!sandbox_drops_privileges())
		goto out;	/* not root: QEMU runs as us and reads it */
	CHECK_INT(util_mkdir_p(dir), 0);
	CHECK_INT(util_write_file(file, "#!/bin/sh\n", 10), 0);
	CHECK_INT(chmod(file, 0755), 0);
	CHECK_INT(chmod(dir, 0700), 0);
	CHECK_INT(selftest_parse(file, "/nonexistent", &t), -1);
	CHECK_INT(chmod(dir, 0711), 0);
	CHECK_INT(selftest_parse(file, "/nonexistent", &t), 0);
	selftest_release(&t);
	CHECK_INT(chmod(file, 0750), 0);
	CHECK_INT(selftest_parse(file, "/nonexistent", &t), -1);
out:
	free(file);
	free(dir);
}

TEST(runcmd_cpu_limit_stops_a_busy_child)
{
	const char *argv[] = { "sh", "-c", "while :; do :; done", NULL };
	struct runcmd c = RUNCMD_INIT;
	double start = util_now();
	int rc;

	c.argv = argv;
	c.cpu_limit = 1;
	rc = runcmd_run(&c);
	/* SIGXCPU at 1 s of CPU time (SIGKILL at the hard limit). */
	CHECK(rc == 128 + SIGXCPU || rc == 128 + SIGKILL);
	CHECK(util_now() - start < 30);
}

/*
 * An untrusted build writes through a layer: the real directory keeps
 * its content, the writes land in the layer (and go with it).
 */
TEST(sandbox_layer_keeps_the_real_dir)
{
	const char *tmp = test_tmpdir();
	char *dir = xasprintf("%s/objdir", tmp), *scratch = xasprintf("%s/s", tmp);
	char *orig = xasprintf("%s/orig", dir), *added = xasprintf("%s/added", dir);
	char *script = xasprintf("echo changed > %s; echo new > %s; "
				 "cat %s; ls /etc/shadow /root/.ssh 2>&1; "
				 "echo hi > /etc/kflake-test", orig, added, orig);
	char *log = xasprintf("%s/log", tmp), *up = xasprintf("%s/d.upper/added", scratch);
	const char *cmd[] = { "sh", "-c", script, NULL };
	struct strbuf sb = STRBUF_INIT;
	struct runcmd c = RUNCMD_INIT;
	struct sandbox box;

	if (!sandbox_available()) {
		fprintf(stderr, "    (bwrap not installed: skipped)\n");
		goto out;
	}
	util_mkdir_p(dir);
	util_mkdir_p(scratch);
	CHECK_INT(util_write_file(orig, "orig\n", 5), 0);
	sandbox_init(&box, SANDBOX_BUILD);
	CHECK_INT(sandbox_layer(&box, dir, scratch, "d"), 0);
	c.argv = sandbox_argv(&box, cmd);
	c.child_fn = sandbox_child_setup;
	c.child_data = &box;
	c.log_path = log;
	/* The last command fails: /etc is read-only in the sandbox. */
	CHECK(runcmd_run(&c) != 0);
	sandbox_release(&box);
	CHECK_INT(util_read_file(log, &sb, 0), 0);
	CHECK(strstr(sb.buf, "changed\n") == sb.buf);
	CHECK(strstr(sb.buf, "'/etc/shadow': No such file or directory"));
	CHECK(strstr(sb.buf, "'/root/.ssh': No such file or directory"));
	CHECK(strstr(sb.buf, "Read-only file system"));
	strbuf_reset(&sb);
	CHECK_INT(util_read_file(orig, &sb, 0), 0);
	CHECK_STR(sb.buf, "orig\n");
	CHECK(!util_file_exists(added));
	CHECK(util_file_exists(up));
	CHECK(!util_file_exists("/etc/kflake-test"));
out:
	strbuf_release(&sb);
	free(dir);
	free(scratch);
	free(orig);
	free(added);
	free(script);
	free(log);
	free(up);
}
