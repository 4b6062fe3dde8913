/*
 * selftest.c - resolves test names to kselftest targets, reads their
 * settings, picks their kconfig fragment and builds the payload the guest
 * runs. The payload is cached by (commit, compilers, tests), so a second
 * run of the same inputs builds nothing.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "cmdlog.h"
#include "runcmd.h"
#include "sandbox.h"
#include "selftest.h"
#include "util.h"

static int valid_name(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-+", *s))
			return 0;
	return 1;
}

static double read_settings_timeout(const char *dir)
{
	char *path = xasprintf("%s/settings", dir);
	struct strbuf sb = STRBUF_INIT;
	double t = SELFTEST_DEFAULT_TIMEOUT;
	const char *p;

	if (!util_read_file(path, &sb, 65536)) {
		for (p = sb.buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
			if (!strncmp(p, "timeout=", 8) && atof(p + 8) > 0)
				t = atof(p + 8);
	}
	strbuf_release(&sb);
	free(path);
	return t;
}

/*
 * QEMU running as nobody (sandbox.c, when kflake is root) serves a path
 * test's directory to the guest as it is on the host: a directory that
 * others may not enter, or a file they may not read, would fail every
 * iteration with "Permission denied" (a 0700 mktemp directory did, for
 * hours, before anyone looked at the outputs). Its parents do not
 * matter: the directory itself is bound into the guest's view.
 */
static int guest_can_read(const char *arg, const char *real,
			  const struct stat *file)
{
	char *dir = xstrndup(real, (size_t)(strrchr(real, '/') - real));
	struct stat st;
	int ret = 0;

	if (!sandbox_drops_privileges())
		goto out;
	if (stat(*dir ? dir : "/", &st))
		ret = error("--test %s: %s: %s", arg, dir, strerror(errno));
	else if (!(st.st_mode & S_IXOTH))
		ret = error("--test %s: the guest cannot reach it: QEMU runs "
			    "as nobody and %s is mode %04o (chmod o+x it)",
			    arg, dir, (unsigned)(st.st_mode & 07777));
	else if (!(file->st_mode & S_IROTH))
		ret = error("--test %s: the guest cannot read it: QEMU runs "
			    "as nobody and it is mode %04o (chmod o+r it)",
			    arg, (unsigned)(file->st_mode & 07777));
out:
	free(dir);
	return ret;
}

static int parse_path(const char *arg, struct selftest *t)
{
	char real[PATH_MAX];
	struct stat st;
	const char *slash;

	if (!realpath(arg, real) || stat(real, &st) || !S_ISREG(st.st_mode))
		return error("--test %s: no such file", arg);
	if (!(st.st_mode & 0111))
		return error("--test %s: not executable", arg);
	if (guest_can_read(arg, real, &st))
		return -1;
	slash = strrchr(real, '/');
	t->suite = xstrdup("path");
	t->name = xstrdup(slash + 1);
	t->path = xstrdup(real);
	*strrchr(real, '/') = '\0';
	t->settings_timeout = read_settings_timeout(real);
	return 0;
}

/* Names from TEST_GEN_FILES/TEST_GEN_PROGS lines of a target Makefile. */
static void gen_files(const char *dir, char ***names, size_t *n)
{
	char *path = xasprintf("%s/Makefile", dir);
	struct strbuf mk = STRBUF_INIT;
	size_t alloc = 0;
	char *line, *save = NULL;

	/* A target without a Makefile generates nothing. */
	if (util_read_file(path, &mk, 1 << 20) || !mk.len) {
		strbuf_release(&mk);
		free(path);
		return;
	}
	for (line = strtok_r(mk.buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p, *tok, *s2 = NULL;

		if (strncmp(line, "TEST_GEN_FILES", 14) &&
		    strncmp(line, "TEST_GEN_PROGS", 14))
			continue;
		p = strchr(line, '=');
		if (!p)
			continue;
		for (tok = strtok_r(p + 1, " \t", &s2); tok;
		     tok = strtok_r(NULL, " \t", &s2)) {
			if (!valid_name(tok))
				continue;
			ALLOC_GROW(*names, *n, alloc);
			(*names)[(*n)++] = xstrdup(tok);
		}
	}
	strbuf_release(&mk);
	free(path);
}

/*
 * A C test (TEST_GEN_PROGS, e.g. sigaltstack:sas) has no file in the
 * tree until the payload builds it from NAME.c.
 */
static int is_generated(const char *dir, const char *name)
{
	char **names = NULL, *src;
	size_t n = 0, i;
	int found = 0;

	gen_files(dir, &names, &n);
	for (i = 0; i < n; i++) {
		if (!strcmp(names[i], name))
			found = 1;
		free(names[i]);
	}
	free(names);
	if (!found)
		return 0;
	src = xasprintf("%s/%s.c", dir, name);
	found = util_file_exists(src);
	free(src);
	return found;
}

int selftest_parse(const char *arg, const char *srcdir, struct selftest *t)
{
	const char *colon = strchr(arg, ':');
	char *target, *dir, *script;
	int ret = -1;

	memset(t, 0, sizeof(*t));
	if (strchr(arg, '/') && !colon)
		return parse_path(arg, t);
	target = colon ? xstrndup(arg, (size_t)(colon - arg)) : xstrdup("net");
	t->name = xstrdup(colon ? colon + 1 : arg);
	t->suite = target;
	if (!valid_name(target) || !valid_name(t->name)) {
		error("--test %s: expected TARGET:SCRIPT, SCRIPT or a path", arg);
		goto out;
	}
	dir = xasprintf("%s/tools/testing/selftests/%s", srcdir, target);
	script = xasprintf("%s/%s", dir, t->name);
	if (!util_file_exists(script) && !is_generated(dir, t->name))
		error("--test %s: no %s in the tree's selftests/%s", arg,
		      t->name, target);
	else
		ret = 0;
	t->settings_timeout = read_settings_timeout(dir);
	free(dir);
	free(script);
out:
	if (ret)
		selftest_release(t);
	return ret;
}

void selftest_release(struct selftest *t)
{
	free(t->name);
	free(t->suite);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

char *selftest_kconfig(const struct selftest *t, const char *srcdir)
{
	char *stem, *dot, *path;

	if (!strcmp(t->suite, "path"))
		return NULL;
	/* udpgro_bench.sh and udpgro_frglist.sh share kconfigs/tests/udpgro. */
	stem = xstrdup(t->name);
	dot = strpbrk(stem, "_.");
	if (dot)
		*dot = '\0';
	path = xasprintf("%s/kconfigs/tests/%s.config", util_home(), stem);
	free(stem);
	if (util_file_exists(path))
		return path;
	free(path);
	path = xasprintf("%s/tools/testing/selftests/%s/config", srcdir,
			 t->suite);
	if (util_file_exists(path))
		return path;
	free(path);
	return NULL;
}

char *selftest_run_dir(const struct selftest *t, const char *payload)
{
	char *dir, *slash;

	if (strcmp(t->suite, "path")) {
		return xasprintf("%s/%s", payload, t->suite);
	}
	dir = xstrdup(t->path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	return dir;
}

char *selftest_command(const struct selftest *t)
{
	return xasprintf("./%s", t->name);
}

static int is_ident(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

/*
 * Does a script call the program word? Programs are run as ./name (or
 * $dir/name); BPF objects are named bare (object-file nat6to4.o). Bare
 * words are not enough: "gro" is a program and also English.
 */
static int mentions(const char *text, const char *word)
{
	size_t len = strlen(word);
	int object = len > 2 && !strcmp(word + len - 2, ".o");
	const char *p = text;

	while ((p = strstr(p, word))) {
		int before = p == text ? ' ' : (unsigned char)p[-1];
		int after = (unsigned char)p[len];

		if (!is_ident(after) && after != '.' &&
		    (before == '/' || (object && !is_ident(before))))
			return 1;
		p += len;
	}
	return 0;
}

struct payload_ctx {
	const char *srcdir;
	const char *headers;
	const char *root;
	const char *log;
	int sandboxed;
};

/*
 * A compiler reading a stranger's source can be told to embed any file
 * it can read (#include "/root/.ssh/id_rsa", .incbin): it runs in the
 * build sandbox, seeing the tree, the headers and the payload only. A
 * failed compile keeps its log and shows its end (cmdlog.h).
 */
static int compile(struct payload_ctx *pc, const char *const *argv,
		   const char *what)
{
	struct runcmd c = RUNCMD_INIT;
	struct sandbox sb;
	char *kept;
	int rc;

	c.log_path = pc->log;
	c.argv = argv;
	c.cpu_limit = BUILD_CPU_LIMIT;
	if (pc->sandboxed) {
		sandbox_init(&sb, SANDBOX_BUILD);
		if (sandbox_ro(&sb, pc->srcdir) || sandbox_ro(&sb, pc->headers) ||
		    sandbox_rw(&sb, pc->root)) {
			sandbox_release(&sb);
			return -1;
		}
		sandbox_setenv(&sb, "LC_ALL=C");
		sandbox_setenv(&sb, "HOME=/tmp");
		c.argv = sandbox_argv(&sb, argv);
	}
	rc = runcmd_run(&c);
	if (pc->sandboxed)
		sandbox_release(&sb);
	if (!rc)
		return 0;
	kept = cmdlog_keep(pc->log, NULL, "payload");
	error("payload: cannot build %s: %s exited %d (full log: %s)", what,
	      argv[0], rc, kept);
	cmdlog_show_tail(kept);
	free(kept);
	return -1;
}

static int build_c(struct payload_ctx *pc, const char *src, const char *out)
{
	char *inc = xasprintf("-I%s", pc->headers);
	const char *argv[] = { "gcc", "-O2", "-w", inc, "-o", out, src,
			       "-lpthread", "-lm", NULL };
	int ret = compile(pc, argv, out);

	free(inc);
	return ret;
}

static int build_bpf(struct payload_ctx *pc, const char *src, const char *out,
		     const char *bpfdir)
{
	char *inc = xasprintf("-I%s", pc->headers);
	char *inc2 = xasprintf("-I%s", bpfdir);
	/* __x86_64__: nat6to4.c's headers pick the arch from it. */
	const char *argv[] = { "clang", "-O2", "-target", "bpf", "-D__x86_64__",
			       "-w", inc, "-I/usr/include/x86_64-linux-gnu",
			       inc2, "-c", src, "-o", out, NULL };
	int ret = compile(pc, argv, out);

	free(inc);
	free(inc2);
	return ret;
}

/*
 * One entry of a target directory into the payload. A series decides
 * what the tree holds, links included: a link is followed only when it
 * resolves to a regular file inside the tree (root), and what is read is
 * the resolved file opened without following links, so nothing outside
 * the tree reaches the guest.
 */
static int copy_entry(const char *root, const char *s, const char *t)
{
	struct strbuf sb = STRBUF_INIT;
	char *real = NULL;
	struct stat st;
	int fd, ret = 0;

	if (lstat(s, &st))
		return 0;
	if (S_ISLNK(st.st_mode)) {
		char *git = xasprintf("%s/.git", root);
		int out;

		real = realpath(s, NULL);
		/* .git is the cache's, not the tree's (a remote URL may hold a token). */
		out = !real || !util_path_under(real, root) ||
		      util_path_under(real, git);
		free(git);
		if (out) {
			warning("payload: %s is a link out of the tree; not "
				"copied", s);
			free(real);
			return 0;
		}
		s = real;
	}
	fd = open(s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto out;
	while (!ret) {
		char buf[65536];
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -1;
		if (n <= 0)
			break;
		strbuf_add(&sb, buf, (size_t)n);
	}
	if (!ret)
		ret = util_write_file(t, sb.buf, sb.len);
	if (!ret)
		chmod(t, st.st_mode & 0777);
out:
	if (fd >= 0)
		close(fd);
	strbuf_release(&sb);
	free(real);
	return ret;
}

static int copy_target(const char *root, const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *de;
	char *rroot = util_realpath(root);
	int ret = 0;

	if (!d) {
		free(rroot);
		return error("%s: %s", from, strerror(errno));
	}
	if (util_mkdir_p(to)) {
		closedir(d);
		free(rroot);
		return error("%s: cannot create", to);
	}
	while ((de = readdir(d)) && !ret) {
		char *s = xasprintf("%s/%s", from, de->d_name);
		char *t = xasprintf("%s/%s", to, de->d_name);

		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			ret = copy_entry(rroot, s, t);
		free(s);
		free(t);
	}
	closedir(d);
	free(rroot);
	return ret ? error("%s: cannot copy to %s", from, to) : 0;
}

static int build_target(struct payload_ctx *pc, const char *target,
			const char *scripts)
{
	char *src = xasprintf("%s/tools/testing/selftests/%s", pc->srcdir, target);
	char *dst = xasprintf("%s/%s", pc->root, target);
	char *bpfdir = xasprintf("%s/tools/testing/selftests/bpf", pc->srcdir);
	char **names = NULL;
	size_t n = 0, i;
	int ret = copy_target(pc->srcdir, src, dst);

	gen_files(src, &names, &n);
	for (i = 0; i < n && !ret; i++) {
		char *c, *out;
		size_t len = strlen(names[i]);

		if (!mentions(scripts, names[i]))
			continue;
		out = xasprintf("%s/%s", dst, names[i]);
		if (len > 2 && !strcmp(names[i] + len - 2, ".o")) {
			c = xasprintf("%s/%.*s.c", src, (int)len - 2, names[i]);
			ret = build_bpf(pc, c, out, bpfdir);
		} else {
			c = xasprintf("%s/%s.c", src, names[i]);
			ret = util_file_exists(c)
				? build_c(pc, c, out)
				: error("payload: %s has no source %s", names[i], c);
		}
		free(c);
		free(out);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(src);
	free(dst);
	free(bpfdir);
	return ret;
}

/* ../bpf/NAME.bpf.o in a script: built from selftests/bpf/progs/NAME.c. */
static int build_bpf_refs(struct payload_ctx *pc, const char *scripts)
{
	const char *p = scripts, *key = "../bpf/";
	char *bpfdir = xasprintf("%s/tools/testing/selftests/bpf", pc->srcdir);
	char *outdir = xasprintf("%s/bpf", pc->root);
	int ret = 0;

	while (!ret && (p = strstr(p, key))) {
		const char *name = p + strlen(key);
		size_t len = 0;
		char *stem, *src, *out;

		while (is_ident((unsigned char)name[len]) && len < 64)
			len++;
		p = name + len;
		if (strncmp(p, ".bpf.o", 6))
			continue;
		stem = xstrndup(name, len);
		src = xasprintf("%s/progs/%s.c", bpfdir, stem);
		out = xasprintf("%s/%s.bpf.o", outdir, stem);
		util_mkdir_p(outdir);
		if (!util_file_exists(out))
			ret = util_file_exists(src)
				? build_bpf(pc, src, out, bpfdir)
				: error("payload: no BPF source %s", src);
		free(stem);
		free(src);
		free(out);
	}
	free(bpfdir);
	free(outdir);
	return ret;
}

static void compiler_versions(struct strbuf *out)
{
	const char *gcc[] = { "gcc", "--version", NULL };
	const char *clang[] = { "clang", "--version", NULL };

	runcmd_capture(gcc, out, 200);
	runcmd_capture(clang, out, 200);
}

static char *payload_key(const struct selftest *tests, size_t n,
			 const char *commit_hex)
{
	struct strbuf sb = STRBUF_INIT;
	char hex[41];
	size_t i;

	strbuf_addf(&sb, "payload-v1 %s\n", commit_hex);
	compiler_versions(&sb);
	for (i = 0; i < n; i++)
		if (strcmp(tests[i].suite, "path"))
			strbuf_addf(&sb, "%s:%s\n", tests[i].suite,
				    tests[i].name);
	util_sha1_hex(sb.buf, sb.len, hex);
	strbuf_release(&sb);
	return xstrndup(hex, 16);
}

/* All scripts of the requested tests of one target, concatenated. */
static void target_scripts(const struct selftest *tests, size_t n,
			   const char *srcdir, const char *target,
			   struct strbuf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *p;

		if (strcmp(tests[i].suite, target))
			continue;
		p = xasprintf("%s/tools/testing/selftests/%s/%s", srcdir,
			      target, tests[i].name);
		util_read_file(p, out, 1 << 20);
		/* The test itself, when it is a program the payload builds. */
		strbuf_addf(out, "\n./%s\n", tests[i].name);
		free(p);
	}
}

int selftest_payload(const struct selftest *tests, size_t n,
		     const char *srcdir, const char *headers,
		     const char *commit_hex, int sandboxed, char **dir,
		     int *cached)
{
	char *key = payload_key(tests, n, commit_hex);
	char *root = xasprintf("%s/payload/%s", util_cache_dir(), key);
	char *tmp = xasprintf("%s.tmp", root);
	char *log = xasprintf("%s.log", root);
	struct payload_ctx pc = { srcdir, headers, tmp, log, sandboxed };
	size_t i, j;
	int ret = 0;

	*cached = util_file_exists(root);
	if (*cached)
		goto out;
	util_rm_rf(tmp);
	unlink(log);
	if (util_mkdir_p(tmp)) {
		ret = error("%s: cannot create", tmp);
		goto out;
	}
	for (i = 0; i < n && !ret; i++) {
		struct strbuf scripts = STRBUF_INIT;

		if (!strcmp(tests[i].suite, "path"))
			continue;
		for (j = 0; j < i; j++)
			if (!strcmp(tests[j].suite, tests[i].suite))
				break;
		if (j < i)
			continue;
		target_scripts(tests, n, srcdir, tests[i].suite, &scripts);
		ret = build_target(&pc, tests[i].suite, scripts.buf);
		if (!ret)
			ret = build_bpf_refs(&pc, scripts.buf);
		strbuf_release(&scripts);
	}
	if (!ret && rename(tmp, root))
		ret = error("%s: cannot rename: %s", root, strerror(errno));
out:
	if (ret)
		util_rm_rf(tmp);
	*dir = ret ? NULL : xstrdup(root);
	free(key);
	free(root);
	free(tmp);
	free(log);
	return ret;
}
