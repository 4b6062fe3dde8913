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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "cmdlog.h"
#include "guestfile.h"
#include "kconfig.h"
#include "logcap.h"
#include "runcmd.h"
#include "sandbox.h"
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
	const char *scratch;	/* <objdir>.build: log, fragment, copy-outs, layers */
	const char *log;
	struct logcap *logcap;
	const char *cc;
	const char *staging;	/* writable in the sandbox too, when set */
	double start;
	const char *failed_step;	/* the make step that failed, */
	int failed_rc;			/* and its exit status */
	int compiled;		/* "  CC " lines seen */
	char line[8];		/* the start of the log line being read */
	size_t line_len;
};

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

/* ccache's own choice of directory, which a sandbox must name. */
static char *ccache_dir(void)
{
	const char *env = getenv("CCACHE_DIR"), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CACHE_HOME");
	char *legacy;

	if (env && *env)
		return xstrdup(env);
	if (xdg && *xdg)
		return xasprintf("%s/ccache", xdg);
	legacy = xasprintf("%s/.ccache", home ? home : "/tmp");
	if (util_file_exists(legacy))
		return legacy;
	free(legacy);
	return xasprintf("%s/.cache/ccache", home ? home : "/tmp");
}

/*
 * The sandbox of one build step: the tree read-only; the object
 * directory, the staging directory and the copy-out directory writable;
 * ccache writable for trusted builds. An untrusted build (a series, a
 * tree from a URL) gets a private layer over ccache, and a series one
 * over the object directory it shares with trusted builds, so nothing
 * it writes is seen by a later build (a planted object with a future
 * mtime, a forged cache entry).
 */
static int make_sandbox(struct make_ctx *m, struct sandbox *sb)
{
	const struct build_opts *o = m->o;
	int untrusted = o->isolation == BUILD_UNTRUSTED;
	char *cdir = ccache_dir(), *frag = xasprintf("%s/fragment", m->scratch);
	char *out = xasprintf("%s/out", m->scratch), *kv;
	const char *const *e;
	int ret = 0;

	sandbox_init(sb, SANDBOX_BUILD);
	ret |= sandbox_ro(sb, m->srcdir);
	ret |= sandbox_ro(sb, frag);
	ret |= sandbox_rw(sb, out);
	if (!ret && untrusted && o->layered_objdir)
		ret |= sandbox_layer(sb, m->objdir, m->scratch, "objdir");
	else if (!ret)
		ret |= sandbox_rw(sb, m->objdir);
	if (!ret && m->staging)
		ret |= sandbox_rw(sb, m->staging);
	util_mkdir_p(cdir);
	if (!ret && untrusted)
		ret |= sandbox_layer(sb, cdir, m->scratch, "ccache");
	else if (!ret)
		ret |= sandbox_rw(sb, cdir);
	for (e = make_env; *e; e++)
		sandbox_setenv(sb, *e);
	sandbox_setenv(sb, "HOME=/tmp");
	kv = xasprintf("CCACHE_DIR=%s", cdir);
	sandbox_setenv(sb, kv);
	free(kv);
	sb->chdir = "/tmp";
	free(cdir);
	free(frag);
	free(out);
	return ret ? -1 : 0;
}

/* Count "  CC " lines (for progress) as the log streams past. */
static void count_compiled(struct make_ctx *m, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			m->line_len = 0;
			continue;
		}
		if (m->line_len < 5)
			m->line[m->line_len++] = buf[i];
		if (m->line_len == 5 && buf[i] != '\n' &&
		    !memcmp(m->line, "  CC ", 5)) {
			m->compiled++;
			m->line_len = 6;
		}
	}
}

static int drain(struct make_ctx *m, int fd, int wait_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char buf[65536];
	ssize_t n;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 && errno == EINTR ? 0 : -1;
	logcap_write(m->logcap, buf, (size_t)n);
	count_compiled(m, buf, (size_t)n);
	return 1;
}

/*
 * Run one build command (in its sandbox unless --no-sandbox), its output
 * into the capped log; progress about every 2 s; stopped on Ctrl-C or
 * when it runs past BUILD_TIME_LIMIT.
 */
static int run_build_cmd(struct make_ctx *m, const char *const *cmd,
			 const char *what)
{
	struct runcmd c = RUNCMD_INIT;
	struct sandbox sb;
	double last = 0, began = util_now();
	int fds[2], rc = 0, status, sandboxed;
	int pipe_open = 1;

	sandboxed = m->o->isolation != BUILD_UNSANDBOXED;
	if (sandboxed && make_sandbox(m, &sb)) {
		sandbox_release(&sb);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		if (sandboxed)
			sandbox_release(&sb);
		return error("pipe: %s", strerror(errno));
	}
	c.argv = sandboxed ? sandbox_argv(&sb, cmd) : cmd;
	if (!sandboxed)
		c.env = make_env;
	if (sandboxed) {
		c.child_fn = sandbox_child_setup;
		c.child_data = &sb;
	}
	c.out_fd = fds[1];
	c.new_pgrp = 1;
	c.reap_as = "a kernel build";
	c.cpu_limit = BUILD_CPU_LIMIT;
	rc = runcmd_start(&c);
	close(fds[1]);
	while (!rc) {
		int r = runcmd_poll(&c, &status);
		double now = util_now();

		if (r) {
			rc = r < 0 ? -1 : status;
			break;
		}
		if (util_interrupted || now - began > BUILD_TIME_LIMIT) {
			/* One process group (and a pid namespace): all of it. */
			static const char msg[] = "\nkflake: error: the build "
				"ran past its time limit\n";

			if (!util_interrupted)
				logcap_write(m->logcap, msg, sizeof(msg) - 1);
			runcmd_kill(&c, util_interrupted ? SIGTERM : SIGKILL);
			runcmd_wait(&c);
			rc = util_interrupted ? 130 : 124;
			break;
		}
		if (m->o->progress && now - last >= 2) {
			char *msg = xasprintf("%s: %d files compiled", what,
					      m->compiled);

			m->o->progress(m->o->progress_data, msg,
				       now - m->start);
			free(msg);
			last = now;
		}
		if (!pipe_open || drain(m, fds[0], 200) < 0) {
			pipe_open = 0;
			usleep(200000);
		}
	}
	while (pipe_open && drain(m, fds[0], 0) > 0)
		;
	close(fds[0]);
	if (sandboxed)
		sandbox_release(&sb);
	return rc;
}

/* make -C src O=obj CC=... <targets>; a failure is noted as step. */
static int run_make(struct make_ctx *m, const char *const *targets,
		    const char *what, const char *step)
{
	const char *argv[16];
	char *args[4];
	int n = 0, i, rc;

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
	rc = run_build_cmd(m, argv, what);
	for (i = 0; args[i]; i++)
		free(args[i]);
	if (rc && !m->failed_step) {
		m->failed_step = step;
		m->failed_rc = rc;
	}
	return rc;
}

/*
 * Copy a file the build made (objdir/from) to dst. What a sandboxed
 * build made is read only through the sandbox (cp runs inside it: a
 * layered objdir exists nowhere else) and lands in a directory kflake
 * reads without following links.
 */
static int copy_out(struct make_ctx *m, const char *from, const char *dst)
{
	char *src = xasprintf("%s/%s", m->objdir, from);
	const char *argv[] = { "cp", "--", src, dst, NULL };
	int rc;

	if (m->o->isolation == BUILD_UNSANDBOXED)
		rc = util_copy_file(src, dst);
	else
		rc = run_build_cmd(m, argv, "copy");
	free(src);
	return rc ? -1 : 0;
}

/* A file the sandbox wrote: a regular file, read without following links. */
static int read_plain(const char *path, struct strbuf *sb, size_t max)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *why = NULL;
	int dfd, rc;

	if (!slash) {
		free(dir);
		return -1;
	}
	*slash = '\0';
	dfd = guestfile_opendir(dir);
	rc = guestfile_read(dfd, slash + 1, max, sb, &why);
	if (dfd >= 0)
		close(dfd);
	if (why)
		error("%s", why);
	free(why);
	free(dir);
	return rc || why ? -1 : 0;
}

/* Every entry below dir a directory or a regular file: nothing planted. */
static int plain_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d || depth > 32)
		return error("%s: cannot read", dir);
	while (!ret && (de = readdir(d))) {
		char *p;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st))
			ret = error("%s: %s", p, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			ret = plain_tree(p, depth + 1);
		else if (!S_ISREG(st.st_mode))
			ret = error("%s: not a regular file (the build put it "
				    "there)", p);
		free(p);
	}
	closedir(d);
	return ret;
}

static int configure(struct make_ctx *m, const char *fragment_path)
{
	char *allconfig = xasprintf("KCONFIG_ALLCONFIG=%s", fragment_path);
	const char *targets[] = { allconfig, "allnoconfig", NULL };
	int rc = run_make(m, targets, "configure", "configure");

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
	int ret = -1;

	util_rm_rf(tmp);
	if (util_mkdir_p(tmp))
		goto out;
	m->staging = tmp;
	if (run_make(m, hdr_targets, "installing uapi headers",
		     "headers_install"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		char *d = xasprintf("%s/%s", tmp, files[i][1]);
		int rc = copy_out(m, files[i][0], d);

		free(d);
		if (rc) {
			res->error = xasprintf("cannot copy %s into the cache",
					       files[i][0]);
			goto out;
		}
	}
	/* The sandbox wrote tmp: links or fifos there are the build's doing. */
	if (m->o->isolation != BUILD_UNSANDBOXED && plain_tree(tmp, 0)) {
		res->error = xasprintf("the build left something other than "
				       "files in %s", tmp);
		goto out;
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
	m->staging = NULL;
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

/* Layers and copy-outs of an earlier build (maybe killed) are stale. */
static int clean_scratch(const char *scratch)
{
	static const char *const stale[] = {
		"out", "objdir.upper", "objdir.work", "ccache.upper",
		"ccache.work",
	};
	size_t i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(stale); i++) {
		char *p = xasprintf("%s/%s", scratch, stale[i]);

		ret |= util_rm_rf(p);
		free(p);
	}
	return ret;
}

/* The .config configure made, through the sandbox when there is one. */
static int read_config(struct make_ctx *m, struct strbuf *sb)
{
	char *path;
	int ret;

	if (m->o->isolation == BUILD_UNSANDBOXED) {
		path = xasprintf("%s/.config", m->objdir);
		ret = util_read_file(path, sb, 4 << 20);
	} else {
		path = xasprintf("%s/out/config", m->scratch);
		ret = copy_out(m, ".config", path);
		if (!ret)
			ret = read_plain(path, sb, 4 << 20);
	}
	free(path);
	return ret;
}

/* Configure and build in the tree's object directory; the log is open. */
static int make_image(struct make_ctx *m, struct kconfig *kc,
		      struct build_result *res, char **kdir)
{
	const struct build_opts *o = m->o;
	const char *image_targets[] = { "bzImage", NULL };
	struct strbuf sb = STRBUF_INIT, warn = STRBUF_INIT;
	char *frag = xasprintf("%s/fragment", m->scratch);
	int ret = -1;

	if (configure(m, frag))
		goto out;
	if (read_config(m, &sb)) {
		res->error = xstrdup("cannot read the .config configure made");
		goto out;
	}
	res->config = xstrdup(strbuf_str(&sb));
	util_sha1_hex(res->config, strlen(res->config), res->config_hash);
	kconfig_verify(kc, res->config, &warn);
	res->warnings = strbuf_detach(&warn);
	strbuf_reset(&sb);
	strbuf_addf(&sb, BUILD_RECIPE "\n%s\n%s\n%s\n",
		    tree_oid_hex(&o->commit), res->config_hash, res->compiler);
	util_sha1_hex(sb.buf, sb.len, res->key);
	*kdir = xasprintf("%s/kernels/%s", util_cache_dir(), res->key);
	if (!load_cached(res, *kdir)) {
		ret = 0;
		goto out;
	}
	if (run_make(m, image_targets, "build", "build"))
		goto out;
	if (store_image(m, res, *kdir)) {
		if (!res->error)
			res->error = xasprintf("%s: cannot store image", *kdir);
		goto out;
	}
	set_paths(res, *kdir);
	res->seconds = util_now() - m->start;
	ret = 0;
out:
	strbuf_release(&sb);
	free(frag);
	return ret;
}

int build_kernel(const struct build_opts *o, struct build_result *res)
{
	struct kconfig kc = { 0 };
	struct make_ctx m = { 0 };
	struct logcap lc;
	struct strbuf sb = STRBUF_INIT;
	char fraghash[41], treehash[41], *index = NULL, *objdir = NULL;
	char *kdir = NULL, *log = NULL, *cc = NULL, *scratch = NULL;
	char *frag = NULL;
	int ret = -1;

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
	if (o->isolation != BUILD_UNSANDBOXED && !sandbox_available()) {
		res->error = xstrdup("bwrap is not installed (Debian package "
				     "bubblewrap): kflake builds kernels in "
				     "its sandbox");
		goto out;
	}
	if (tree_checkout(o->tree, &o->commit))
		goto out;
	util_sha1_hex(o->tree->path, strlen(o->tree->path), treehash);
	/*
	 * One object directory per tree, whatever the config: kbuild then
	 * rebuilds only what a config or commit change touches (ccache
	 * cannot help there: every object includes the changed autoconf.h).
	 * The tree lock keeps two kflakes from sharing it at once. Beside
	 * it, out of the sandbox's reach: the log, the fragment, copy-outs
	 * and an untrusted build's private layers.
	 */
	objdir = xasprintf("%s/obj/%.12s", util_cache_dir(), treehash);
	scratch = xasprintf("%s.build", objdir);
	frag = xasprintf("%s/fragment", scratch);
	log = xasprintf("%s/build.log", scratch);
	cc = have_program("ccache") ? xstrdup("ccache gcc") : xstrdup("gcc");
	if (util_mkdir_p(objdir) || util_mkdir_p(scratch) ||
	    clean_scratch(scratch) ||
	    util_write_file(frag, res->fragment, strlen(res->fragment))) {
		error("%s: cannot write: %s", scratch, strerror(errno));
		goto out;
	}
	{
		char *out = xasprintf("%s/out", scratch);

		util_mkdir_p(out);
		free(out);
	}
	unlink(log);
	if (logcap_open(&lc, log, LOGCAP_DEFAULT))
		goto out;
	m = (struct make_ctx){ .o = o, .srcdir = o->tree->path,
			       .objdir = objdir, .scratch = scratch, .log = log,
			       .logcap = &lc, .cc = cc, .start = util_now() };
	ret = make_image(&m, &kc, res, &kdir);
	logcap_close(&lc);
	clean_scratch(scratch);
	if (ret) {
		/* A make step's failure names its first error; others set one. */
		if (m.failed_step || !res->error)
			fail_build(res, &m, m.failed_step ? m.failed_step
							  : "build",
				   m.failed_rc);
		goto out;
	}
	if (!res->cached) {
		char *d = xasprintf("%s/build.log", kdir);

		util_copy_file(log, d);
		free(d);
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
	free(index);
	free(objdir);
	free(scratch);
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
