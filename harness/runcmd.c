/*
 * runcmd.c - fork/exec with redirections and process groups. Untrusted
 * text can only ever become one argv element, never shell syntax.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runcmd.h"
#include "util.h"

static void child_setup(struct runcmd *c)
{
	int fd;

	if (c->new_pgrp)
		setpgid(0, 0);
	fd = c->in_fd >= 0 ? c->in_fd : open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0)
		dup2(fd, 0);
	if (c->log_path) {
		fd = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
	} else if (c->out_fd >= 0) {
		dup2(c->out_fd, 1);
	}
	if (c->err_fd >= 0)
		dup2(c->err_fd, 2);
	else if (c->out_fd >= 0 && !c->log_path)
		dup2(c->out_fd, 2);
	if (c->dir && chdir(c->dir))
		_exit(127);
	if (c->env) {
		const char *const *e;

		for (e = c->env; *e; e++)
			putenv((char *)*e);
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	execvp(c->argv[0], (char *const *)c->argv);
	fprintf(stderr, "kflake: cannot run %s: %s\n", c->argv[0],
		strerror(errno));
	_exit(127);
}

int runcmd_start(struct runcmd *c)
{
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0)
		return error("fork: %s", strerror(errno));
	if (!c->pid)
		child_setup(c);
	if (c->new_pgrp)
		setpgid(c->pid, c->pid);
	return 0;
}

int runcmd_wait(struct runcmd *c)
{
	int status;
	pid_t r;

	do {
		r = waitpid(c->pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	c->pid = 0;
	if (r < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int runcmd_run(struct runcmd *c)
{
	if (runcmd_start(c))
		return -1;
	return runcmd_wait(c);
}

int runcmd_capture(const char *const *argv, struct strbuf *out, size_t max)
{
	return runcmd_capture_from(argv, NULL, out, max);
}

int runcmd_capture_from(const char *const *argv, const char *in_path,
			struct strbuf *out, size_t max)
{
	struct runcmd c = RUNCMD_INIT;
	int fds[2], rc;
	char buf[8192];
	ssize_t n;

	if (in_path) {
		c.in_fd = open(in_path, O_RDONLY | O_CLOEXEC);
		if (c.in_fd < 0)
			return error("%s: %s", in_path, strerror(errno));
	}
	if (pipe2(fds, O_CLOEXEC)) {
		if (c.in_fd >= 0)
			close(c.in_fd);
		return error("pipe: %s", strerror(errno));
	}
	c.argv = argv;
	c.out_fd = fds[1];
	c.err_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	rc = runcmd_start(&c);
	close(fds[1]);
	close(c.err_fd);
	if (c.in_fd >= 0)
		close(c.in_fd);
	if (rc) {
		close(fds[0]);
		return -1;
	}
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR)) {
		if (n > 0 && out->len < max)
			strbuf_add(out, buf,
				   (size_t)n < max - out->len ? (size_t)n
							      : max - out->len);
	}
	close(fds[0]);
	rc = runcmd_wait(&c);
	return rc;
}

void runcmd_kill(struct runcmd *c, int sig)
{
	if (c->pid <= 0)
		return;
	if (c->new_pgrp)
		kill(-c->pid, sig);
	else
		kill(c->pid, sig);
}

static int needs_quotes(const char *s)
{
	if (!*s)
		return 1;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_./=:,+@%", *s))
			return 1;
	return 0;
}

void runcmd_quote(const char *const *argv, struct strbuf *out)
{
	const char *const *a;

	for (a = argv; *a; a++) {
		const char *s;

		if (a != argv)
			strbuf_addch(out, ' ');
		if (!needs_quotes(*a)) {
			strbuf_addstr(out, *a);
			continue;
		}
		strbuf_addch(out, '\'');
		for (s = *a; *s; s++) {
			if (*s == '\'')
				strbuf_addstr(out, "'\\''");
			else
				strbuf_addch(out, *s);
		}
		strbuf_addch(out, '\'');
	}
}
