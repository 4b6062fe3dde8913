/*
 * runcmd.h - running other programs (make, tar, qemu, gcc) by argv,
 * never through a shell, with their output sent to a log file or
 * captured, after git's run-command.c.
 *
 * Every child dies with kflake: it gets PR_SET_PDEATHSIG(SIGKILL), which
 * fires when the *thread* that started it exits, so start children from
 * a thread that lives as long as they do (kflake starts them all from
 * the main thread). Long-lived children (QEMU, sandboxed builds) also
 * leave a pidfile naming them by pid and start time, so the next kflake
 * reaps what a SIGKILLed one left, and never a process that merely got
 * the same pid later.
 */
#ifndef KFLAKE_RUNCMD_H
#define KFLAKE_RUNCMD_H

#include <sys/types.h>

#include "strbuf.h"

struct runcmd {
	const char *const *argv;	/* NULL-terminated; argv[0] via PATH */
	const char *dir;		/* chdir here first, if set */
	const char *const *env;		/* extra "KEY=VALUE" entries, or NULL */
	const char *log_path;		/* stdout+stderr appended here */
	int out_fd;			/* else stdout goes to this fd (-1: inherit) */
	int err_fd;			/* stderr to this fd (-1: as stdout) */
	int in_fd;			/* stdin from this fd (-1: /dev/null) */
	int new_pgrp;			/* own process group, killable as one */
	pid_t pid;
	const char *reap_as;		/* set: keep a pidfile naming it so */
	char *pidfile;			/* (runcmd's own) */
	int pass_fd;			/* stays open in the child (-1: none) */
	long cpu_limit;			/* RLIMIT_CPU seconds, per process (0: none) */
	/*
	 * Called in the child just before exec (after the redirections);
	 * non-zero makes the child exit 127. Only system calls: no malloc.
	 */
	int (*child_fn)(void *data);
	void *child_data;
};

#define RUNCMD_INIT { NULL, NULL, NULL, NULL, -1, -1, -1, 0, 0, NULL, NULL, \
		      -1, 0, NULL, NULL }

int runcmd_start(struct runcmd *c);
/* Exit status, 128+N when killed by signal N, -1 when wait failed. */
int runcmd_wait(struct runcmd *c);
/*
 * Without blocking: 1 when the child has exited (*status as for
 * runcmd_wait, c->pid = 0), 0 while it runs, -1 when wait failed.
 */
int runcmd_poll(struct runcmd *c, int *status);
int runcmd_run(struct runcmd *c);
/* Run argv and collect its stdout (capped at max bytes); returns exit status. */
int runcmd_capture(const char *const *argv, struct strbuf *out, size_t max);
/* Like runcmd_capture, with stdin read from the file in_path. */
int runcmd_capture_from(const char *const *argv, const char *in_path,
			struct strbuf *out, size_t max);
/* Kill the child (its process group when new_pgrp) with sig. */
void runcmd_kill(struct runcmd *c, int sig);
/*
 * Kill what kflake processes that no longer exist left running (their
 * pidfiles under <cache>/pids): each child's process group, if the pid
 * still names the process that was started, and any QEMU sandbox whose
 * -name kflake-<pid>-<n> names a kflake that is gone. Returns how many.
 */
int runcmd_reap_orphans(void);
/* Quote argv for display and for pasting into a shell. */
void runcmd_quote(const char *const *argv, struct strbuf *out);

#endif
