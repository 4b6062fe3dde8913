/*
 * spool.c - the Slurm spool (see spool.h): a worker's writer, and the
 * coordinator's idempotent ingest into the database, which also copies
 * each finished boot's files from the shared work directory into the
 * run's artefact directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashwatch.h"
#include "record.h"
#include "spool.h"
#include "util.h"

#define SPOOL_READ_MAX (64 << 20)	/* read per file per pass */
#define ARTEFACT_MAX (64 << 20)		/* one copied boot file */

struct spool {
	int fd;
	int broken;		/* a write failed: the worker must stop */
	char *task;
	char *path;
	char *workdir;
	char host[256];
};

/* One line, one write: readers see it whole or not at all. */
static int spool_line(struct spool *sp, json_t *o)
{
	char *s;
	size_t len, off = 0;
	int ret = 0;

	json_object_set_new(o, "at", json_real(util_wallclock()));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s || sp->broken)
		goto fail;
	len = strlen(s);
	s = xrealloc(s, len + 2);
	s[len++] = '\n';
	while (off < len) {
		ssize_t w = write(sp->fd, s + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fdatasync(sp->fd))
		goto fail;
	free(s);
	return ret;
fail:
	/* A torn line would swallow the next one: write no more. */
	free(s);
	if (!sp->broken)
		error("%s: cannot write the spool: %s", sp->path,
		      strerror(errno));
	sp->broken = 1;
	return -1;
}

struct spool *spool_create(const char *dir, const char *task, int slice,
			   const char *job, int vms)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));
	char *sdir = xasprintf("%s/spool", dir);

	sp->fd = -1;
	sp->task = xstrdup(task);
	sp->path = xasprintf("%s/%s.jsonl", sdir, task);
	sp->workdir = xasprintf("%s/work/%s", dir, task);
	gethostname(sp->host, sizeof(sp->host) - 1);
	if (util_mkdir_p(sdir) || util_mkdir_p(sp->workdir)) {
		error("%s: cannot create the spool directories", dir);
		goto fail;
	}
	sp->fd = open(sp->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
			       O_CLOEXEC, 0644);
	if (sp->fd < 0) {
		error("%s: %s", sp->path, strerror(errno));
		goto fail;
	}
	if (spool_line(sp, json_pack("{s:s, s:s, s:i, s:s, s:s, s:i, s:i}",
				     "type", "task", "task", task, "slice",
				     slice, "job", job, "host", sp->host,
				     "pid", (int)getpid(), "vms", vms)))
		goto fail;
	free(sdir);
	return sp;
fail:
	free(sdir);
	spool_close(sp);
	return NULL;
}

const char *spool_workdir(const struct spool *sp)
{
	return sp->workdir;
}

static char *boot_id(const struct spool *sp, int seq)
{
	return xasprintf("%s/boot-%d", sp->task, seq);
}

int spool_boot(struct spool *sp, int seq, int guest, const char *accel,
	       const char *cmdline, const char *console)
{
	char *id = boot_id(sp, seq);
	int ret = spool_line(sp, json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, "
					   "s:s, s:s}", "type", "boot",
					   "id", id, "seq", seq, "guest",
					   guest, "accel", accel, "cmdline",
					   cmdline, "console", console,
					   "host", sp->host));

	free(id);
	return ret;
}

int spool_boot_end(struct spool *sp, int seq, double ready,
		   const char *end_reason)
{
	char *id = boot_id(sp, seq);
	int ret = spool_line(sp, json_pack("{s:s, s:s, s:o, s:s}", "type",
					   "boot-end", "id", id, "ready",
					   ready < 0 ? json_null()
						     : json_real(ready),
					   "end", end_reason));

	free(id);
	return ret;
}

int spool_attempt(struct spool *sp, struct attempt *a, int boot_seq)
{
	json_t *o;
	char *id = boot_id(sp, boot_seq);

	free(a->id);
	a->id = xasprintf("%s/%d", sp->task, a->item);
	o = attempt_to_json(a);
	json_object_set_new(o, "type", json_string("iteration"));
	json_object_set_new(o, "boot", json_string(id));
	free(id);
	return spool_line(sp, o);
}

int spool_stray(struct spool *sp, const struct crash_list *l, int boot_seq)
{
	char *id = boot_id(sp, boot_seq);
	int ret = spool_line(sp, json_pack("{s:s, s:s, s:o}", "type", "stray",
					   "boot", id, "crashes",
					   attempt_crashes_to_json(l)));

	free(id);
	return ret;
}

int spool_end(struct spool *sp, const char *status, const char *err)
{
	return spool_line(sp, json_pack("{s:s, s:s, s:s, s:s?}", "type",
					"end", "task", sp->task, "status",
					status, "error", err));
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp->task);
	free(sp->path);
	free(sp->workdir);
	free(sp);
}

/* ---- ingest ---- */

/* What one pass over one file hands to the callbacks after its commit. */
struct ingested {
	int kind;		/* 0 iteration, 1 task line */
	struct attempt a;
	int fresh;
	json_t *line;
};

struct pass {
	struct spool_ingest *in;
	const char *task;	/* the file's task id (its name) */
	struct ingested *v;
	size_t nr, alloc;
};

static struct ingested *pass_add(struct pass *p)
{
	ALLOC_GROW(p->v, p->nr, p->alloc);
	memset(&p->v[p->nr], 0, sizeof(p->v[p->nr]));
	return &p->v[p->nr++];
}

static void pass_release(struct pass *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		attempt_release(&p->v[i].a);
		json_decref(p->v[i].line);
	}
	free(p->v);
}

/*
 * Read a file the guest or a worker may have placed: a regular file only
 * (never through a link), at most max bytes.
 */
static int read_regular(int dirfd, const char *name, struct strbuf *sb,
			size_t max)
{
	char buf[65536];
	struct stat st;
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
				     O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 && sb->len < max)
		strbuf_add(sb, buf, sb->len + (size_t)n > max ?
				    max - sb->len : (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* The regular files of src (not below), copied into dst. */
static void copy_files(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *de;

	if (!d || util_mkdir_p(dst)) {
		if (d)
			closedir(d);
		return;
	}
	while ((de = readdir(d))) {
		struct strbuf sb = STRBUF_INIT;
		char *to;

		if (de->d_name[0] == '.')
			continue;
		if (!read_regular(dirfd(d), de->d_name, &sb, ARTEFACT_MAX)) {
			to = xasprintf("%s/%s", dst, de->d_name);
			if (util_write_file(to, sb.buf ? sb.buf : "", sb.len))
				warning("%s: cannot copy a boot file", to);
			free(to);
		}
		strbuf_release(&sb);
	}
	closedir(d);
}

/* A finished boot's console log, QEMU log and outputs, into the artefacts. */
static void copy_boot(struct spool_ingest *in, const char *id)
{
	char *src = xasprintf("%s/work/%s", in->dir, id);
	char *dst = xasprintf("%s/%s", in->artefacts, id);
	char *src_out = xasprintf("%s/out", src);
	char *dst_out = xasprintf("%s/out", dst);

	copy_files(src, dst);
	copy_files(src_out, dst_out);
	free(src);
	free(dst);
	free(src_out);
	free(dst_out);
}

static const char *str_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* A boot id is <task>/boot-N of this very file: nothing else is ours. */
static int own_boot(const struct pass *p, const char *id)
{
	size_t n = strlen(p->task);

	return !strncmp(id, p->task, n) && !strncmp(id + n, "/boot-", 6) &&
	       !strchr(id + n + 6, '/') && !strstr(id, "..");
}

static long long boot_row(struct pass *p, const char *id)
{
	return store_query_int(p->in->st, 0, "SELECT id FROM boots WHERE "
			       "attempt = ? AND run_id = ?", "sI", id,
			       p->in->run_id);
}

static int ingest_boot(struct pass *p, json_t *o)
{
	const char *id = str_of(o, "id");
	char *console;
	struct record_boot b = {
		.run_id = p->in->run_id, .accel = str_of(o, "accel"),
		.cmdline = str_of(o, "cmdline"), .host = str_of(o, "host"),
		.guest = (int)json_integer_value(json_object_get(o, "guest")),
		.attempt = id,
	};
	long long bid;

	if (!own_boot(p, id))
		return 1;
	/* Where copy_boot() puts it once the boot is over. */
	console = xasprintf("%s/%s/console.log", p->in->artefacts, id);
	b.console_path = console;
	bid = record_boot_add(p->in->st, &b);
	free(console);
	if (bid <= 0)
		return -1;
	/* The run's accelerator and QEMU command line: its first boot's. */
	if (!store_query_int(p->in->st, 0, "SELECT count(*) FROM runs WHERE "
			     "id = ? AND accel IS NOT NULL", "I", p->in->run_id))
		return record_run_set(p->in->st, p->in->run_id, "accel",
				      b.accel) ||
		       record_run_set(p->in->st, p->in->run_id,
				      "qemu_cmdline", b.cmdline);
	return 0;
}

static int ingest_boot_end(struct pass *p, json_t *o)
{
	const char *id = str_of(o, "id");
	json_t *ready = json_object_get(o, "ready");
	long long bid;

	if (!own_boot(p, id))
		return 1;
	bid = boot_row(p, id);
	if (!bid)
		return 1;
	copy_boot(p->in, id);
	return record_boot_finish(p->in->st, bid, json_is_number(ready) ?
				  json_number_value(ready) : -1,
				  str_of(o, "end"));
}

static int ingest_iteration(struct pass *p, json_t *o)
{
	struct ingested *ing;
	struct attempt a;
	const char *why;
	long long id;

	if (attempt_from_json(o, &a, &why))
		return 1;
	if (strncmp(a.id, p->task, strlen(p->task)) ||
	    a.id[strlen(p->task)] != '/') {
		attempt_release(&a);
		return 1;
	}
	id = attempt_store(p->in->st, &a, p->in->run_id,
			   boot_row(p, str_of(o, "boot")), p->in->kernel_id);
	if (id < 0) {
		attempt_release(&a);
		return -1;
	}
	ing = pass_add(p);
	ing->kind = 0;
	ing->a = a;
	ing->fresh = id > 0;
	return 0;
}

static int ingest_stray(struct pass *p, json_t *o)
{
	struct crash_list l = { 0 };
	int ret = 1;

	if (!attempt_crashes_from_json(json_object_get(o, "crashes"), &l))
		ret = crashwatch_store(p->in->st, &l, 0, p->in->run_id,
				       p->in->kernel_id, NULL);
	crash_list_release(&l);
	return ret;
}

/* 0 stored, 1 not a line a worker writes (skipped), -1 database error. */
static int ingest_line(struct pass *p, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr);
	const char *type = str_of(o, "type");
	int ret = 1;

	if (!o)
		return 1;
	if (!strcmp(type, "iteration")) {
		ret = ingest_iteration(p, o);
	} else if (!strcmp(type, "boot")) {
		ret = ingest_boot(p, o);
	} else if (!strcmp(type, "boot-end")) {
		ret = ingest_boot_end(p, o);
	} else if (!strcmp(type, "stray")) {
		ret = ingest_stray(p, o);
	} else if (!strcmp(type, "task") || !strcmp(type, "end")) {
		struct ingested *ing = pass_add(p);

		ing->kind = 1;
		ing->line = json_incref(o);
		ret = 0;
	}
	json_decref(o);
	return ret;
}

static void pass_report(struct pass *p)
{
	struct spool_ingest *in = p->in;
	size_t i;

	for (i = 0; i < p->nr; i++) {
		struct ingested *ing = &p->v[i];

		if (ing->kind == 0) {
			if (ing->fresh)
				in->iterations++;
			else
				in->duplicates++;
			if (in->on_iteration)
				in->on_iteration(in->data, p->task, &ing->a,
						 ing->fresh);
		} else if (in->on_task) {
			in->on_task(in->data, p->task, ing->line);
		}
	}
}

static char *offset_key(const struct spool_ingest *in, const char *name)
{
	return xasprintf("spool:%lld:%s", in->run_id, name);
}

/* Lines of one file past its read position, in one transaction. */
static int ingest_file(struct spool_ingest *in, int dirfd, const char *name)
{
	struct pass p = { .in = in };
	struct strbuf sb = STRBUF_INIT;
	char *key = offset_key(in, name), *val, *task, *nl, *line;
	long long off = 0;
	int fd, n = 0, ret = 0;

	val = store_state_get(in->st, key);
	if (val)
		off = strtoll(val, NULL, 10);
	free(val);
	val = NULL;
	task = xstrndup(name, strlen(name) - strlen(".jsonl"));
	p.task = task;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || lseek(fd, (off_t)off, SEEK_SET) < 0)
		goto out;
	for (;;) {
		char buf[65536];
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0)
			break;
		strbuf_add(&sb, buf, (size_t)r);
		if (sb.len >= SPOOL_READ_MAX)
			break;
	}
	/* Whole lines only: a line without its newline is still being written. */
	nl = sb.len ? memrchr(sb.buf, '\n', sb.len) : NULL;
	if (!nl)
		goto out;
	if (store_begin(in->st)) {
		ret = -1;
		goto out;
	}
	for (line = sb.buf; line <= nl; ) {
		char *end = memchr(line, '\n', (size_t)(nl - line) + 1);
		int rc = ingest_line(&p, line, (size_t)(end - line));

		if (rc < 0) {
			store_rollback(in->st);
			ret = -1;
			goto out;
		}
		if (rc > 0) {
			warning("%s/spool/%s: skipped a line at byte %lld that "
				"is not what a worker writes", in->dir, name,
				off + (long long)(line - sb.buf));
			in->bad++;
		}
		n++;
		line = end + 1;
	}
	val = xasprintf("%lld", off + (long long)(nl - sb.buf) + 1);
	if (store_state_set(in->st, key, val) || store_commit(in->st)) {
		store_rollback(in->st);
		free(val);
		ret = -1;
		goto out;
	}
	free(val);
	in->lines += n;
	pass_report(&p);
	ret = n;
out:
	if (fd >= 0)
		close(fd);
	pass_release(&p);
	strbuf_release(&sb);
	free(task);
	free(key);
	return ret;
}

int spool_ingest(struct spool_ingest *in)
{
	char *path = xasprintf("%s/spool", in->dir);
	DIR *d = opendir(path);
	struct dirent *de;
	int total = 0, n;

	free(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len <= 6 ||
		    strcmp(de->d_name + len - 6, ".jsonl"))
			continue;
		n = ingest_file(in, dirfd(d), de->d_name);
		if (n < 0) {
			total = -1;
			break;
		}
		total += n;
	}
	closedir(d);
	return total;
}

void spool_forget(struct store *st, long long run_id)
{
	char *prefix = xasprintf("spool:%lld:", run_id);

	store_state_forget(st, prefix);
	free(prefix);
}
