/*
 * slurm.c - sbatch, squeue and scancel for the Slurm executor (see
 * slurm.h). Every command runs with a deadline: a controller that does
 * not answer is an error the caller reports, never a hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runcmd.h"
#include "slurm.h"
#include "util.h"

#define SLURM_OUT_MAX (4 << 20)

/* Run argv, collecting stdout and stderr; -1 on timeout or failure to run. */
static int slurm_cmd_within(const char *const *argv, struct strbuf *out,
			    struct strbuf *err, double timeout)
{
	struct runcmd c = RUNCMD_INIT;
	int o[2], e[2], rc, open_fds = 2;
	double deadline = util_now() + timeout;

	if (pipe2(o, O_CLOEXEC))
		return error("pipe: %s", strerror(errno));
	if (pipe2(e, O_CLOEXEC)) {
		close(o[0]);
		close(o[1]);
		return error("pipe: %s", strerror(errno));
	}
	c.argv = argv;
	c.out_fd = o[1];
	c.err_fd = e[1];
	c.new_pgrp = 1;
	rc = runcmd_start(&c);
	close(o[1]);
	close(e[1]);
	if (rc) {
		close(o[0]);
		close(e[0]);
		return -1;
	}
	while (open_fds) {
		struct pollfd pfd[2] = { { o[0], POLLIN, 0 }, { e[0], POLLIN, 0 } };
		double left = deadline - util_now();
		char buf[8192];
		int i;

		if (left <= 0) {
			runcmd_kill(&c, SIGKILL);
			runcmd_wait(&c);
			close(o[0]);
			close(e[0]);
			return error("%s did not answer in %.0f s", argv[0],
				     timeout);
		}
		if (poll(pfd, 2, (int)(left * 1000) + 1) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			struct strbuf *sb = i ? err : out;
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = read(pfd[i].fd, buf, sizeof(buf));
			if (n > 0 && sb->len < SLURM_OUT_MAX) {
				strbuf_add(sb, buf, (size_t)n);
			} else if (n == 0 || (n < 0 && errno != EINTR)) {
				close(pfd[i].fd);
				*(i ? &e[0] : &o[0]) = -1;
				open_fds--;
			}
		}
	}
	return runcmd_wait(&c);
}

static int slurm_cmd(const char *const *argv, struct strbuf *out,
		     struct strbuf *err)
{
	return slurm_cmd_within(argv, out, err, SLURM_CMD_TIMEOUT);
}

/* The first line of what a command printed on stderr, for an error line. */
static const char *first_line(struct strbuf *sb)
{
	char *nl;

	strbuf_trim(sb);
	nl = sb->buf ? strchr(sb->buf, '\n') : NULL;
	if (nl)
		*nl = '\0';
	return sb->len ? sb->buf : "no message";
}

int slurm_submit(const struct slurm_submit *s, char **job)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *argv[32];
	char *opt[6] = { NULL };
	size_t n = 0, k = 0, i;
	int rc, ret = -1;

	argv[n++] = "sbatch";
	argv[n++] = "--parsable";
	argv[n++] = opt[k++] = xasprintf("--array=%s", s->array);
	argv[n++] = opt[k++] = xasprintf("--job-name=%s", s->name);
	argv[n++] = opt[k++] = xasprintf("--output=%s", s->output);
	argv[n++] = opt[k++] = xasprintf("--cpus-per-task=%d", s->cpus);
	argv[n++] = opt[k++] = xasprintf("--mem=%d", s->mem_mb);
	if (s->partition)
		argv[n++] = opt[k++] = xasprintf("--partition=%s",
						 s->partition);
	argv[n++] = s->script;
	for (i = 0; s->args[i] && n + 1 < ARRAY_SIZE(argv); i++)
		argv[n++] = s->args[i];
	argv[n] = NULL;
	rc = slurm_cmd(argv, &out, &err);
	if (rc) {
		if (rc > 0)
			error("sbatch failed (exit %d): %s", rc,
			      first_line(&err));
		goto out;
	}
	/* --parsable: "JOBID" or "JOBID;CLUSTER" */
	strbuf_trim(&out);
	out.len = strcspn(strbuf_str(&out), ";\n");
	if (!out.len || strspn(out.buf, "0123456789") != out.len) {
		error("sbatch printed no job id: '%s'", strbuf_str(&out));
		goto out;
	}
	*job = xstrndup(out.buf, out.len);
	ret = 0;
out:
	for (i = 0; i < k; i++)
		free(opt[i]);
	strbuf_release(&out);
	strbuf_release(&err);
	return ret;
}

int slurm_parse_squeue(const char *text, struct slurm_task **out)
{
	struct slurm_task *v = NULL;
	size_t n = 0, alloc = 0;
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len), *f[4], *s = line;
		struct slurm_task t = { .index = -1 };
		int i;

		for (i = 0; i < 4; i++) {
			f[i] = strsep(&s, "|");
			if (!f[i])
				break;
		}
		if (i == 4 && *f[0] && *f[1]) {
			snprintf(t.job, sizeof(t.job), "%s", f[0]);
			snprintf(t.state, sizeof(t.state), "%s", f[1]);
			snprintf(t.node, sizeof(t.node), "%s", f[2]);
			if (*f[3] && strspn(f[3], "0123456789") == strlen(f[3]))
				t.index = atoi(f[3]);
			ALLOC_GROW(v, n, alloc);
			v[n++] = t;
		}
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	*out = v;
	return (int)n;
}

int slurm_query(const char *job, struct slurm_task **out)
{
	struct strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
	const char *argv[] = { "squeue", "-h", "-r", "--states=all", "-j",
			       job, "-o", "%i|%T|%N|%K", NULL };
	int rc = slurm_cmd(argv, &sb, &err), n;

	*out = NULL;
	if (rc && strstr(strbuf_str(&err), "Invalid job id")) {
		n = 0;		/* forgotten by the controller (MinJobAge) */
	} else if (rc) {
		if (rc > 0)
			error("squeue failed (exit %d): %s", rc,
			      first_line(&err));
		n = -1;
	} else {
		n = slurm_parse_squeue(strbuf_str(&sb), out);
	}
	strbuf_release(&sb);
	strbuf_release(&err);
	return n;
}

int slurm_cancel(const char *job)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *argv[] = { "scancel", job, NULL };
	int rc = slurm_cmd(argv, &out, &err);

	if (rc > 0)
		error("scancel %s failed (exit %d): %s", job, rc,
		      first_line(&err));
	strbuf_release(&out);
	strbuf_release(&err);
	return rc ? -1 : 0;
}

int slurm_cluster(struct strbuf *detail)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *argv[] = { "sinfo", "-h", "-o", "%P|%a|%D|%T", NULL };
	int rc = slurm_cmd_within(argv, &out, &err, SLURM_PING_TIMEOUT);
	int up = 0, ret = -1;
	char *line, *save = NULL;

	if (rc) {
		if (rc > 0)
			strbuf_addf(detail, "sinfo failed (exit %d): %s", rc,
				    first_line(&err));
		else
			strbuf_addstr(detail, "sinfo did not run or answer");
		goto out;
	}
	/* "PARTITION|up|NODES|STATE" per partition and node state. */
	for (line = out.len ? strtok_r(out.buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4], *s = line;
		int i;

		for (i = 0; i < 4 && (f[i] = strsep(&s, "|")); i++)
			;
		if (i < 4)
			continue;
		if (!strcmp(f[1], "up") && strcmp(f[3], "down") &&
		    strncmp(f[3], "drain", 5)) {
			size_t len = strlen(f[0]);
			int dflt = len && f[0][len - 1] == '*';

			/* sinfo marks the default partition "NAME*" */
			strbuf_addf(detail, "%s%.*s%s: %s node(s) %s",
				    up ? ", " : "", (int)(len - dflt), f[0],
				    dflt ? " (default)" : "", f[2], f[3]);
			up++;
		}
	}
	if (!up) {
		strbuf_addstr(detail, "the controller answers, but no "
			      "partition is up with a node that takes jobs");
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&out);
	strbuf_release(&err);
	return ret;
}

int slurm_state_final(const char *state)
{
	static const char *const active[] = {
		"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED",
		"REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING",
		"RESV_DEL_HOLD", "SIGNALING", "STAGE_OUT", "STOPPED",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(active); i++)
		if (!strcmp(state, active[i]))
			return 0;
	return 1;
}
