/*
 * runcmd.c - fork/exec with redirections and process groups. Untrusted
 * text can only ever become one argv element, never shell syntax. Owns
 * the children's death with kflake (PR_SET_PDEATHSIG) and the pidfiles
 * the next kflake reaps a SIGKILLed one's leftovers by.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runcmd.h"
#include "util.h"

static void child_setup(struct runcmd *c, pid_t parent)
{
	int fd;

	/* Dies with the thread that started it; it may be gone already. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	if (c->new_pgrp)
		setpgid(0, 0);
	if (c->cpu_limit > 0) {
		struct rlimit rl = { (rlim_t)c->cpu_limit,
				     (rlim_t)c->cpu_limit + 5 };

		setrlimit(RLIMIT_CPU, &rl);
	}
	if (c->pass_fd >= 0)
		fcntl(c->pass_fd, F_SETFD, 0);
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
	if (c->child_fn && c->child_fn(c->child_data))
		_exit(127);
	execvp(c->argv[0], (char *const *)c->argv);
	fprintf(stderr, "kflake: cannot run %s: %s\n", c->argv[0],
		strerror(errno));
	_exit(127);
}

/* Field 22 of /proc/PID/stat: start time in ticks since boot; 0 if gone. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and ')': skip past the last ')'. */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static char *boot_id(void)
{
	struct strbuf sb = STRBUF_INIT;

	util_read_file("/proc/sys/kernel/random/boot_id", &sb, 64);
	strbuf_trim(&sb);
	return strbuf_detach(&sb);
}

static char *pid_dir(void)
{
	return xasprintf("%s/pids", util_cache_dir());
}

/*
 * <cache>/pids/<kflake pid>-<child pid>: the child and its owner, each
 * by pid and start time, and the boot they belong to.
 */
static void write_pidfile(struct runcmd *c)
{
	char *dir = pid_dir(), *boot = boot_id();
	pid_t self = getpid();
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%d %llu\n%d %llu\n%s\n%s\n", (int)c->pid,
		    start_time(c->pid), (int)self, start_time(self), boot,
		    c->reap_as);
	c->pidfile = xasprintf("%s/%d-%d", dir, (int)self, (int)c->pid);
	if (util_mkdir_p(dir) || util_write_file(c->pidfile, sb.buf, sb.len)) {
		warning("%s: cannot write: %s", c->pidfile, strerror(errno));
		free(c->pidfile);
		c->pidfile = NULL;
	}
	strbuf_release(&sb);
	free(boot);
	free(dir);
}

static void child_gone(struct runcmd *c)
{
	c->pid = 0;
	if (c->pidfile) {
		unlink(c->pidfile);
		free(c->pidfile);
		c->pidfile = NULL;
	}
}

int runcmd_start(struct runcmd *c)
{
	pid_t parent = getpid();

	fflush(NULL);
	c->pidfile = NULL;
	c->pid = fork();
	if (c->pid < 0)
		return error("fork: %s", strerror(errno));
	if (!c->pid)
		child_setup(c, parent);
	if (c->new_pgrp)
		setpgid(c->pid, c->pid);
	if (c->reap_as)
		write_pidfile(c);
	return 0;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int runcmd_wait(struct runcmd *c)
{
	int status;
	pid_t r;

	do {
		r = waitpid(c->pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	child_gone(c);
	if (r < 0)
		return -1;
	return exit_code(status);
}

int runcmd_poll(struct runcmd *c, int *status)
{
	int st;
	pid_t r;

	if (c->pid <= 0)
		return -1;
	do {
		r = waitpid(c->pid, &st, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (!r)
		return 0;
	child_gone(c);
	if (r < 0)
		return -1;
	*status = exit_code(st);
	return 1;
}

/* One pidfile: kill its child if its owner is gone; 1 when it did. */
static int reap_one(const char *path, const char *boot)
{
	struct strbuf sb = STRBUF_INIT;
	int pid = 0, owner = 0, killed = 0;
	unsigned long long start = 0, owner_start = 0;
	char bid[64] = "", what[64] = "";

	if (util_read_file(path, &sb, 4096) ||
	    sscanf(strbuf_str(&sb), "%d %llu %d %llu %63s %63[^\n]", &pid,
		   &start, &owner, &owner_start, bid, what) < 5 ||
	    pid <= 1) {
		strbuf_release(&sb);
		unlink(path);
		return 0;
	}
	strbuf_release(&sb);
	/* Its kflake still runs: it is not ours to touch. */
	if (strcmp(bid, boot) == 0 && owner > 0 &&
	    start_time(owner) == owner_start && owner_start)
		return 0;
	if (!strcmp(bid, boot) && start && start_time(pid) == start) {
		if (getpgid(pid) == pid)
			kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		info("reaped %s (pid %d) that kflake %d left running", *what ?
		     what : "a child", pid, owner);
		killed = 1;
	}
	unlink(path);
	return killed;
}

/* Is pid a running kflake? (comm "kflake", or argv[0] ending in it.) */
static int is_kflake(pid_t pid)
{
	struct strbuf sb = STRBUF_INIT;
	char path[64];
	int yes;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (util_read_file(path, &sb, 64))
		return 0;
	strbuf_trim(&sb);
	yes = !strcmp(strbuf_str(&sb), "kflake");
	strbuf_release(&sb);
	return yes;
}

/*
 * The owner named by a QEMU's -name kflake-<pid>-<n> in pid's command
 * line (QEMU's, and its bwrap's, which holds QEMU's), or 0.
 */
static pid_t marker_owner(pid_t pid)
{
	struct strbuf sb = STRBUF_INIT;
	char path[64];
	const char *p, *end;
	int owner = 0, seq, n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (util_read_file(path, &sb, 1 << 16))
		return 0;
	end = sb.buf + sb.len;
	for (p = sb.buf; p < end && !owner; p += strlen(p) + 1) {
		n = 0;
		if (sscanf(p, "kflake-%d-%d%n", &owner, &seq, &n) != 2 ||
		    (p[n] && p[n] != ',') || owner <= 1)
			owner = 0;
	}
	strbuf_release(&sb);
	return owner;
}

/*
 * A QEMU sandbox whose kflake was SIGKILLed while bwrap was starting
 * escapes both the pidfile (not yet written) and --die-with-parent (set
 * after bwrap's clone): found by the -name marker in its command line.
 */
static int reap_marked(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name), owner;

		if (pid <= 1 || pid == getpid())
			continue;
		owner = marker_owner(pid);
		if (!owner || owner == getpid() || is_kflake(owner))
			continue;
		if (!kill(pid, SIGKILL)) {
			info("reaped pid %d, a QEMU sandbox kflake %d left "
			     "running", (int)pid, (int)owner);
			n++;
		}
	}
	if (d)
		closedir(d);
	return n;
}

int runcmd_reap_orphans(void)
{
	char *dir = pid_dir(), *boot = boot_id();
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char *path;

		if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp."))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		n += reap_one(path, boot);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	free(boot);
	return n + reap_marked();
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
