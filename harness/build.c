/*
 * build.c - turns (tree, commit, fragments) into a bootable bzImage.
 *
 * The object directory is kept per tree, so building another commit or
 * config of the same tree is incremental (bisect depends on it).
 * Finished images are stored under <cache>/kernels/<key>, key =
 * sha1(recipe, commit, sha1(final .config), compiler version); an index
 * from the inputs (commit, fragment, compiler) to the key lets a cached
 * run skip even the configure step. ccache is used when installed.
 *
 * Builds are reproducible (fixed timestamp, user, host and build number):
 * two commits that change nothing the kernel compiles give the same
 * image, which is how bisect tells a culprit that cannot be one.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "cmdlog.h"
#include "kconfig.h"
#include "runcmd.h"
#include "util.h"

static int have_program(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int found = 0;

	if (!path)
		return 0;
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", dir, name);

		found = !access(p, X_OK);
		free(p);
	}
	free(copy);
	return found;
}

static char *compiler_version(void)
{
	const char *argv[] = { "gcc", "--version", NULL };
	struct strbuf out = STRBUF_INIT;

	runcmd_capture(argv, &out, 4096);
	strbuf_setlen(&out, strcspn(strbuf_str(&out), "\n"));
	return strbuf_detach(&out);
}

char *build_first_error(const char *log)
{
	/* Compiler and linker errors, then a missing program, then make's. */
	static const char *const pats[] = {
		": error: ", ": fatal error: ", "undefined reference to",
		": not found", "command not found", "Error ", "error:",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pats); i++) {
		const char *p = strstr(log, pats[i]), *start, *end;

		if (!p)
			continue;
		for (start = p; start > log && start[-1] != '\n'; start--)
			;
		end = p + strcspn(p, "\n");
		return xstrndup(start, (size_t)(end - start) > 300
					       ? 300 : (size_t)(end - start));
	}
	return NULL;
}

struct make_ctx {
	const struct build_opts *o;
	const char *srcdir;
	const char *objdir;
	const char *log;
	const char *cc;
	double start;
};

static int count_compiled(const char *log)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	int n = 0;

	util_read_file(log, &sb, 64 << 20);
	for (p = strbuf_str(&sb); (p = strstr(p, "\n  CC ")); p++)
		n++;
	strbuf_release(&sb);
	return n;
}

/* Bumped whenever what goes into an image changes without its inputs. */
#define BUILD_RECIPE "kernel-v2"

/*
 * Plain ASCII messages: the first error is shown and matched verbatim.
 * The rest keeps the banner (uname -v) the same on every build; the
 * database has the real build time.
 */
static const char *const make_env[] = {
	"LC_ALL=C",
	"KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
	"KBUILD_BUILD_USER=kflake",
	"KBUILD_BUILD_HOST=kflake",
	"KBUILD_BUILD_VERSION=1",
	NULL,
};

/* make -C src O=obj CC=... <targets>; progress from the log as it grows. */
static int run_make(struct make_ctx *m, const char *const *targets,
		    const char *what)
{
	const char *argv[16];
	char *args[4];
	struct runcmd c = RUNCMD_INIT;
	double last = 0;
	int n = 0, i, status, rc;

	args[0] = xasprintf("O=%s", m->objdir);
	args[1] = xasprintf("CC=%s", m->cc);
	args[2] = xasprintf("-j%d", m->o->jobs);
	args[3] = NULL;
	argv[n++] = "make";
	argv[n++] = "-C";
	argv[n++] = m->srcdir;
	for (i = 0; args[i]; i++)
		argv[n++] = args[i];
	for (i = 0; targets[i] && n < 15; i++)
		argv[n++] = targets[i];
	argv[n] = NULL;
	c.argv = argv;
	c.env = make_env;
	c.log_path = m->log;
	c.new_pgrp = 1;
	rc = runcmd_start(&c);
	while (!rc) {
		pid_t r = waitpid(c.pid, &status, WNOHANG);
		double now = util_now();

		if (r == c.pid) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
			break;
		}
		if (r < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		if (util_interrupted) {
			/* make runs in its own group: stop all of it, then reap. */
			runcmd_kill(&c, SIGTERM);
			runcmd_wait(&c);
			rc = 130;
			break;
		}
		if (m->o->progress && now - last >= 2) {
			char *msg = xasprintf("%s: %d files compiled", what,
					      count_compiled(m->log));

			m->o->progress(m->o->progress_data, msg,
				       now - m->start);
			free(msg);
			last = now;
		}
		usleep(200000);
	}
	for (i = 0; args[i]; i++)
		free(args[i]);
	return rc;
}

static int configure(struct make_ctx *m, const char *fragment_path)
{
	char *allconfig = xasprintf("KCONFIG_ALLCONFIG=%s", fragment_path);
	const char *targets[] = { allconfig, "allnoconfig", NULL };
	int rc = run_make(m, targets, "configure");

	free(allconfig);
	return rc;
}

static void set_paths(struct build_result *r, const char *dir)
{
	r->dir = xstrdup(dir);
	r->image = xasprintf("%s/bzImage", dir);
	r->vmlinux = xasprintf("%s/vmlinux", dir);
	r->headers = xasprintf("%s/headers/include", dir);
	r->log_path = xasprintf("%s/build.log", dir);
}

/* Fill res from a finished cache entry; 0 when it is complete. */
static int load_cached(struct build_result *res, const char *kdir)
{
	char *ok = xasprintf("%s/ok", kdir), *cfg = xasprintf("%s/config", kdir);
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;

	if (util_file_exists(ok) && !util_read_file(cfg, &sb, 4 << 20)) {
		free(res->config);
		res->config = strbuf_detach(&sb);
		util_sha1_hex(res->config, strlen(res->config),
			      res->config_hash);
		set_paths(res, kdir);
		res->cached = 1;
		ret = 0;
	}
	strbuf_release(&sb);
	free(ok);
	free(cfg);
	return ret;
}

static int merge_fragments(const struct build_opts *o, struct kconfig *kc,
			   struct build_result *res)
{
	struct strbuf notes = STRBUF_INIT, text = STRBUF_INIT;
	size_t i;

	for (i = 0; i < o->nfrag; i++) {
		if (kconfig_merge_file(kc, o->fragments[i], &notes)) {
			strbuf_release(&notes);
			return -1;
		}
	}
	kconfig_format(kc, &text);
	res->fragment = strbuf_detach(&text);
	res->notes = strbuf_detach(&notes);
	return 0;
}

static int fail_build(struct build_result *res, const struct make_ctx *m,
		      const char *step, int rc);

static int store_image(struct make_ctx *m, struct build_result *res,
		       const char *kdir)
{
	char *tmp = xasprintf("%s.tmp", kdir);
	char *hdr = xasprintf("INSTALL_HDR_PATH=%s/headers", tmp);
	const char *hdr_targets[] = { hdr, "headers_install", NULL };
	const char *files[][2] = {
		{ "arch/x86/boot/bzImage", "bzImage" },
		{ "vmlinux", "vmlinux" },
		{ "System.map", "System.map" },
		{ ".config", "config" },
	};
	size_t i;
	int ret = -1, rc;

	util_rm_rf(tmp);
	if (util_mkdir_p(tmp))
		goto out;
	rc = run_make(m, hdr_targets, "installing uapi headers");
	if (rc) {
		fail_build(res, m, "headers_install", rc);
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		char *s = xasprintf("%s/%s", m->objdir, files[i][0]);
		char *d = xasprintf("%s/%s", tmp, files[i][1]);

		rc = util_copy_file(s, d);

		free(s);
		free(d);
		if (rc) {
			res->error = xasprintf("cannot copy %s into the cache",
					       files[i][0]);
			goto out;
		}
	}
	{
		char *d = xasprintf("%s/build.log", tmp);

		util_copy_file(m->log, d);
		free(d);
	}
	util_rm_rf(kdir);
	if (rename(tmp, kdir))
		goto out;
	{
		char *ok = xasprintf("%s/ok", kdir);

		ret = util_write_file(ok, res->key, strlen(res->key));
		free(ok);
	}
out:
	if (ret)
		util_rm_rf(tmp);
	free(tmp);
	free(hdr);
	return ret;
}

static void index_path(const struct build_opts *o, const char *fraghash,
		       const char *compiler, char **path)
{
	struct strbuf sb = STRBUF_INIT;
	char hex[41];

	strbuf_addf(&sb, BUILD_RECIPE "\n%s\n%s\n%s\n",
		    tree_oid_hex(&o->commit), fraghash, compiler);
	util_sha1_hex(sb.buf, sb.len, hex);
	*path = xasprintf("%s/kernels/inputs/%s", util_cache_dir(), hex);
	strbuf_release(&sb);
}

/* "<srcdir>/init/main.c:3: error" reads better as "init/main.c:3: error". */
static void strip_prefix(char *s, const char *dir)
{
	size_t n = strlen(dir);
	char *p;

	while ((p = strstr(s, dir)) && p[n] == '/')
		memmove(p, p + n + 1, strlen(p + n + 1) + 1);
}

/*
 * A make step failed: keep its log out of the next build's way (the
 * kernel row and the error name it) and say what failed, by its first
 * error line. step is "configure", "build" or "headers_install".
 */
static int fail_build(struct build_result *res, const struct make_ctx *m,
		      const char *step, int rc)
{
	struct strbuf sb = STRBUF_INIT;
	char *first, *name;

	if (util_interrupted || rc == 130) {
		res->error = xstrdup("interrupted");
		return -1;
	}
	util_read_file(m->log, &sb, 64 << 20);
	first = build_first_error(strbuf_str(&sb));
	if (first) {
		/* The tree is a stranger's: its text reaches a terminal. */
		strip_prefix(first, m->srcdir);
		strbuf_reset(&sb);
		cmdlog_escape(&sb, first, strlen(first));
		free(first);
		first = xstrdup(sb.buf);
	}
	free(res->error);
	if (!strcmp(step, "build") && first)
		res->error = xstrdup(first);
	else if (first)
		res->error = xasprintf("make %s: %s", step, first);
	else
		res->error = xasprintf("make %s failed (exit %d)", step, rc);
	free(first);
	strbuf_release(&sb);
	name = xasprintf("build-%.12s", tree_oid_hex(&m->o->commit));
	free(res->log_path);
	res->log_path = cmdlog_keep(m->log, NULL, name);
	free(name);
	return -1;
}

int build_kernel(const struct build_opts *o, struct build_result *res)
{
	struct kconfig kc = { 0 };
	struct make_ctx m = { 0 };
	struct strbuf warn = STRBUF_INIT, sb = STRBUF_INIT;
	char fraghash[41], treehash[41], *index = NULL, *objdir = NULL, *frag = NULL;
	char *kdir = NULL, *log = NULL, *cc = NULL;
	const char *image_targets[] = { "bzImage", NULL };
	int ret = -1, rc;

	memset(res, 0, sizeof(*res));
	res->compiler = compiler_version();
	if (merge_fragments(o, &kc, res))
		goto out;
	util_sha1_hex(res->fragment, strlen(res->fragment), fraghash);
	index_path(o, fraghash, res->compiler, &index);
	if (!util_read_file(index, &sb, 64) && sb.len == 40) {
		kdir = xasprintf("%s/kernels/%s", util_cache_dir(), sb.buf);
		memcpy(res->key, sb.buf, 41);
		if (!load_cached(res, kdir)) {
			ret = 0;
			goto out;
		}
		free(kdir);
		kdir = NULL;
	}
	if (tree_checkout(o->tree, &o->commit))
		goto out;
	util_sha1_hex(o->tree->path, strlen(o->tree->path), treehash);
	/*
	 * One object directory per tree, whatever the config: kbuild then
	 * rebuilds only what a config or commit change touches (ccache
	 * cannot help there: every object includes the changed autoconf.h).
	 * The tree lock keeps two kflakes from sharing it at once.
	 */
	objdir = xasprintf("%s/obj/%.12s", util_cache_dir(), treehash);
	frag = xasprintf("%s/kflake.fragment", objdir);
	log = xasprintf("%s/build.log", objdir);
	cc = have_program("ccache") ? xstrdup("ccache gcc") : xstrdup("gcc");
	if (util_mkdir_p(objdir) ||
	    util_write_file(frag, res->fragment, strlen(res->fragment))) {
		error("%s: cannot write: %s", objdir, strerror(errno));
		goto out;
	}
	unlink(log);
	m = (struct make_ctx){ o, o->tree->path, objdir, log, cc, util_now() };
	rc = configure(&m, frag);
	if (rc) {
		ret = fail_build(res, &m, "configure", rc);
		goto out;
	}
	strbuf_reset(&sb);
	{
		char *cfg = xasprintf("%s/.config", objdir);

		util_read_file(cfg, &sb, 4 << 20);
		free(cfg);
	}
	res->config = xstrdup(strbuf_str(&sb));
	util_sha1_hex(res->config, strlen(res->config), res->config_hash);
	kconfig_verify(&kc, res->config, &warn);
	res->warnings = strbuf_detach(&warn);
	strbuf_reset(&sb);
	strbuf_addf(&sb, BUILD_RECIPE "\n%s\n%s\n%s\n",
		    tree_oid_hex(&o->commit), res->config_hash, res->compiler);
	util_sha1_hex(sb.buf, sb.len, res->key);
	kdir = xasprintf("%s/kernels/%s", util_cache_dir(), res->key);
	if (load_cached(res, kdir)) {
		rc = run_make(&m, image_targets, "build");
		if (rc) {
			ret = fail_build(res, &m, "build", rc);
			goto out;
		}
		if (store_image(&m, res, kdir)) {
			if (!res->error)
				res->error = xasprintf("%s: cannot store image",
						       kdir);
			goto out;
		}
		set_paths(res, kdir);
		res->seconds = util_now() - m.start;
	}
	{
		char *idir = xasprintf("%s/kernels/inputs", util_cache_dir());

		util_mkdir_p(idir);
		util_write_file(index, res->key, 40);
		free(idir);
	}
	ret = 0;
out:
	kconfig_release(&kc);
	strbuf_release(&sb);
	strbuf_release(&warn);
	free(index);
	free(objdir);
	free(frag);
	free(kdir);
	free(log);
	free(cc);
	return ret;
}

void build_result_release(struct build_result *r)
{
	free(r->compiler);
	free(r->dir);
	free(r->image);
	free(r->vmlinux);
	free(r->headers);
	free(r->config);
	free(r->fragment);
	free(r->notes);
	free(r->warnings);
	free(r->log_path);
	free(r->error);
	memset(r, 0, sizeof(*r));
}
