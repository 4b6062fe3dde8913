/*
 * gitnet.c - owns running libgit2 clones and fetches under a watchdog
 * (see gitnet.h): the operation runs in a forked child in its own
 * process group, which writes its one-line error to a pipe; the parent
 * waits on that pipe until the deadline and then kills the group.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "fetch.h"
#include "gitnet.h"
#include "tree.h"
#include "util.h"

#define MAX_MESSAGE 4096

struct job {
	const char *url;	/* NULL: the "origin" remote */
	const char *path;
	const char *const *refspecs;
	size_t nspecs;
	int clone;
};

/* In the child: the libgit2 call itself. */
static int run_job(const struct job *j, struct strbuf *err)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	int ret = -1;

	if (j->clone) {
		git_clone_options co = GIT_CLONE_OPTIONS_INIT;

		co.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
		if (git_clone(&repo, j->url, j->path, &co))
			strbuf_addf(err, "clone failed: %s", tree_git_error());
		else
			ret = 0;
		git_repository_free(repo);
		return ret;
	}
	if (git_repository_open(&repo, j->path)) {
		strbuf_addf(err, "%s: %s", j->path, tree_git_error());
		return -1;
	}
	if (j->url ? git_remote_create_anonymous(&remote, repo, j->url)
		   : git_remote_lookup(&remote, repo, "origin")) {
		strbuf_addf(err, "no remote to fetch from: %s",
			    tree_git_error());
	} else {
		git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
		git_strarray specs = { (char **)j->refspecs, j->nspecs };

		if (!j->url)
			fo.prune = GIT_FETCH_PRUNE;
		if (git_remote_fetch(remote, j->nspecs ? &specs : NULL, &fo,
				     "kflake fetch"))
			strbuf_addf(err, "fetch failed: %s", tree_git_error());
		else
			ret = 0;
	}
	git_remote_free(remote);
	git_repository_free(repo);
	return ret;
}

static void child(const struct job *j, int fd)
{
	struct strbuf e = STRBUF_INIT;
	size_t off = 0;
	ssize_t w;
	int rc;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rc = run_job(j, &e);
	while (off < e.len && (w = write(fd, e.buf + off, e.len - off)) > 0)
		off += (size_t)w;
	/* No atexit handlers: the parent owns stdio, caches and locks. */
	_exit(rc ? 1 : 0);
}

/*
 * Read the child's message until it closes the pipe; 1 when it did,
 * 0 at the deadline or on an interrupt.
 */
static int wait_message(int fd, double deadline, struct strbuf *msg)
{
	char buf[512];
	ssize_t n;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		double left = deadline - util_now();
		int rc;

		if (left <= 0 || util_interrupted)
			return 0;
		rc = poll(&p, 1, left > 1 ? 1000 : (int)(left * 1000) + 1);
		if (rc < 0 && errno != EINTR)
			return 0;
		if (rc <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		if (msg->len < MAX_MESSAGE)
			strbuf_add(msg, buf, (size_t)n);
	}
}

static int watched(const struct job *j, struct strbuf *err)
{
	struct strbuf msg = STRBUF_INIT;
	double deadline = util_now() + fetch_deadline();
	int fds[2], status = 0, done;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		strbuf_addf(err, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		strbuf_addf(err, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		close(fds[0]);
		child(j, fds[1]);
	}
	setpgid(pid, pid);
	close(fds[1]);
	done = wait_message(fds[0], deadline, &msg);
	close(fds[0]);
	if (!done) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!done) {
		strbuf_addf(err, "%s within the %.0f s network deadline "
			    "(--net-timeout, $KFLAKE_NET_TIMEOUT)",
			    util_interrupted ? "interrupted" : "no answer",
			    fetch_deadline());
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		strbuf_trim(&msg);
		if (msg.len)
			strbuf_addstr(err, msg.buf);
		else
			strbuf_addf(err, "the %s ended abnormally",
				    j->clone ? "clone" : "fetch");
	}
	strbuf_release(&msg);
	return done && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

int gitnet_clone(const char *url, const char *path, struct strbuf *err)
{
	struct job j = { url, path, NULL, 0, 1 };

	return watched(&j, err);
}

int gitnet_fetch(const char *repo_path, const char *url,
		 const char *const *refspecs, size_t nspecs,
		 struct strbuf *err)
{
	struct job j = { url, repo_path, refspecs, refspecs ? nspecs : 0, 0 };

	return watched(&j, err);
}
