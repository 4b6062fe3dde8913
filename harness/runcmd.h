/*
 * runcmd.h - running other programs (make, tar, qemu, gcc) by argv,
 * never through a shell, with their output sent to a log file or
 * captured, after git's run-command.c.
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
};

#define RUNCMD_INIT { NULL, NULL, NULL, NULL, -1, -1, -1, 0, 0 }

int runcmd_start(struct runcmd *c);
/* Exit status, 128+N when killed by signal N, -1 when wait failed. */
int runcmd_wait(struct runcmd *c);
int runcmd_run(struct runcmd *c);
/* Run argv and collect its stdout (capped at max bytes); returns exit status. */
int runcmd_capture(const char *const *argv, struct strbuf *out, size_t max);
/* Like runcmd_capture, with stdin read from the file in_path. */
int runcmd_capture_from(const char *const *argv, const char *in_path,
			struct strbuf *out, size_t max);
/* Kill the child (its process group when new_pgrp) with sig. */
void runcmd_kill(struct runcmd *c, int sig);
/* Quote argv for display and for pasting into a shell. */
void runcmd_quote(const char *const *argv, struct strbuf *out);

#endif
