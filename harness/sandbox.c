/*
 * sandbox.c - bubblewrap command lines (see sandbox.h).
 *
 * Everything a sandbox sees is listed here: the system part (the same
 * for guests and builds, so a guest tool that works in one works in the
 * other) and the caller's binds. /etc is an allow-list, not the host's
 * /etc minus secrets: shadow files, SSH host keys, TLS private keys and
 * whatever else a host keeps there never appear.
 *
 * bwrap runs as root when kflake does (Debian's bwrap is not setuid; as
 * another user it uses a user namespace). Capabilities are dropped; a
 * guest's QEMU keeps CAP_SETUID/CAP_SETGID only for setpriv, which drops
 * to nobody before QEMU starts, so what the guest writes into its output
 * share belongs to nobody: no setuid-root files, no device nodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"
#include "util.h"

/* /etc entries a guest's tools or a kernel build need, nothing else. */
static const char *const etc_allow[] = {
	"alternatives", "bash.bashrc", "debian_version", "environment",
	"ethertypes", "gai.conf", "group", "host.conf", "hosts", "inputrc",
	"iproute2", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "libnl-3",
	"localtime", "mtab", "netconfig", "networks", "nsswitch.conf",
	"os-release", "passwd", "perl", "profile", "protocols", "python3",
	"python3.11", "rpc", "services", "shells", "xattr.conf",
};

/* Top-level system paths: bound when directories, recreated when links. */
static const char *const system_top[] = {
	"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};

void sandbox_init(struct sandbox *sb, enum sandbox_kind kind)
{
	memset(sb, 0, sizeof(*sb));
	sb->kind = kind;
}

/* An absolute path without "." or ".." components names itself. */
static int plain_absolute(const char *p)
{
	if (*p != '/')
		return 0;
	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if ((n == 1 && *p == '.') || (n == 2 && !strncmp(p, "..", 2)))
			return 0;
		p += n;
	}
	return 1;
}

static int add_bind(struct sandbox *sb, const char *path, int writable,
		    int dev, int private)
{
	char *real = realpath(path, NULL), *dest;
	size_t n;

	if (!real)
		return error("sandbox: %s: %s", path, strerror(errno));
	dest = xstrdup(plain_absolute(path) ? path : real);
	n = strlen(dest);
	while (n > 1 && dest[n - 1] == '/')
		dest[--n] = '\0';
	ALLOC_GROW(sb->binds, sb->nbinds, sb->alloc);
	sb->binds[sb->nbinds++] = (struct sandbox_bind){ real, dest, writable,
							 dev, private };
	return 0;
}

int sandbox_ro(struct sandbox *sb, const char *path)
{
	return add_bind(sb, path, 0, 0, 0);
}

int sandbox_rw(struct sandbox *sb, const char *path)
{
	return add_bind(sb, path, 1, 0, 0);
}

int sandbox_private_ro(struct sandbox *sb, const char *path)
{
	return add_bind(sb, path, 0, 0, 1);
}

int sandbox_private_rw(struct sandbox *sb, const char *path)
{
	return add_bind(sb, path, 1, 0, 1);
}

int sandbox_dev(struct sandbox *sb, const char *path)
{
	return add_bind(sb, path, 1, 1, 1);
}

int sandbox_layer(struct sandbox *sb, const char *dir, const char *scratch,
		  const char *name)
{
	char *real = realpath(dir, NULL), *upper, *work, *opts;
	int ret = 0;

	if (!real)
		return error("sandbox: %s: %s", dir, strerror(errno));
	upper = xasprintf("%s/%s.upper", scratch, name);
	work = xasprintf("%s/%s.work", scratch, name);
	/* overlayfs options are comma- and colon-separated. */
	if (strpbrk(real, ",:\\") || strpbrk(upper, ",:\\"))
		ret = error("sandbox: %s: a path with ',' or ':' cannot be "
			    "layered", strpbrk(real, ",:\\") ? real : upper);
	else if (util_mkdir_p(upper) || util_mkdir_p(work))
		ret = error("sandbox: %s: %s", scratch, strerror(errno));
	if (ret) {
		free(real);
		free(upper);
		free(work);
		return -1;
	}
	opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", real, upper,
			 work);
	ALLOC_GROW(sb->layers, sb->nlayers, sb->layers_alloc);
	sb->layers[sb->nlayers++] = (struct sandbox_layer){ xstrdup(real),
							    opts };
	free(upper);
	free(work);
	ret = add_bind(sb, dir, 1, 0, 0);
	free(real);
	return ret;
}

static void child_fail(const char *what, const char *path)
{
	const char *msg = strerror(errno);

	if (write(2, "kflake: sandbox: ", 17) < 0 ||
	    write(2, what, strlen(what)) < 0 || write(2, " ", 1) < 0 ||
	    write(2, path, strlen(path)) < 0 || write(2, ": ", 2) < 0 ||
	    write(2, msg, strlen(msg)) < 0 || write(2, "\n", 1) < 0)
		return;
}

static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * Without root: a user namespace mapping us to its root, where overlayfs
 * may be mounted; bwrap, started inside it, sees a privileged caller.
 */
static int own_user_namespace(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER)) {
		child_fail("unshare", "user namespace");
		return -1;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_proc("/proc/self/setgroups", "deny") ||
	    write_proc("/proc/self/uid_map", map)) {
		child_fail("map", "uid");
		return -1;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (write_proc("/proc/self/gid_map", map)) {
		child_fail("map", "gid");
		return -1;
	}
	return 0;
}

int sandbox_child_setup(void *data)
{
	struct sandbox *sb = data;
	size_t i;

	if (!sb->nlayers)
		return 0;
	if (geteuid() && own_user_namespace())
		return -1;
	if (unshare(CLONE_NEWNS)) {
		child_fail("unshare", "mount namespace");
		return -1;
	}
	/* Nothing mounted here may reach the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		child_fail("make private", "/");
		return -1;
	}
	for (i = 0; i < sb->nlayers; i++) {
		if (mount("overlay", sb->layers[i].dir, "overlay", 0,
			  sb->layers[i].opts)) {
			child_fail("cannot layer", sb->layers[i].dir);
			return -1;
		}
	}
	return 0;
}

void sandbox_setenv(struct sandbox *sb, const char *kv)
{
	ALLOC_GROW(sb->env, sb->nenv, sb->env_alloc);
	sb->env[sb->nenv++] = xstrdup(kv);
}

static void push(struct sandbox *sb, const char *s)
{
	ALLOC_GROW(sb->argv, sb->argc + 1, sb->argv_alloc);
	sb->argv[sb->argc++] = xstrdup(s);
	sb->argv[sb->argc] = NULL;
}

static void push3(struct sandbox *sb, const char *a, const char *b,
		  const char *c)
{
	push(sb, a);
	push(sb, b);
	if (c)
		push(sb, c);
}

/*
 * Host path at prefix+path; a symlink is recreated (its target resolves
 * inside the sandbox too).
 */
static void push_system_path(struct sandbox *sb, const char *prefix,
			     const char *path)
{
	char target[PATH_MAX], *dst = xasprintf("%s%s", prefix, path);
	struct stat st;
	ssize_t n;

	if (lstat(path, &st))
		goto out;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			goto out;
		target[n] = '\0';
		push3(sb, "--symlink", target, dst);
		goto out;
	}
	push3(sb, "--ro-bind", path, dst);
out:
	free(dst);
}

static void push_dir(struct sandbox *sb, const char *prefix, const char *path)
{
	char *dst = xasprintf("%s%s", prefix, path);

	push3(sb, "--dir", dst, NULL);
	free(dst);
}

/* The system part of a view rooted at prefix ("" or SANDBOX_GUEST_ROOT). */
static void push_system(struct sandbox *sb, const char *prefix)
{
	size_t i;

	push_system_path(sb, prefix, "/usr");
	for (i = 0; i < ARRAY_SIZE(system_top); i++)
		push_system_path(sb, prefix, system_top[i]);
	push_dir(sb, prefix, "/etc");
	push_dir(sb, prefix, "/var");
	for (i = 0; i < ARRAY_SIZE(etc_allow); i++) {
		char *p = xasprintf("/etc/%s", etc_allow[i]);

		push_system_path(sb, prefix, p);
		free(p);
	}
	push_dir(sb, prefix, "/var/tmp");
	push_dir(sb, prefix, "/var/log");
	{
		char *run = xasprintf("%s/var/run", prefix);

		push3(sb, "--symlink", "../run", run);
		free(run);
	}
	push_dir(sb, prefix, "/run");
}

/*
 * The sandbox's own root: the system, its /tmp, /dev and /proc. A guest
 * sees none of it: its root is SANDBOX_GUEST_ROOT, a second view holding
 * the system and the guest binds, with empty mount points for what the
 * guest's init mounts itself (QEMU needs /proc; the guest must not see
 * QEMU's).
 */
static void push_root(struct sandbox *sb)
{
	push_system(sb, "");
	push3(sb, "--tmpfs", "/tmp", NULL);
	push3(sb, "--dev", "/dev", NULL);
	push3(sb, "--proc", "/proc", NULL);
	if (sb->kind != SANDBOX_GUEST)
		return;
	push_dir(sb, "", SANDBOX_GUEST_ROOT);
	push_system(sb, SANDBOX_GUEST_ROOT);
	push_dir(sb, SANDBOX_GUEST_ROOT, "/tmp");
	push_dir(sb, SANDBOX_GUEST_ROOT, "/dev");
	push_dir(sb, SANDBOX_GUEST_ROOT, "/proc");
	push_dir(sb, SANDBOX_GUEST_ROOT, "/sys");
	push_dir(sb, SANDBOX_GUEST_ROOT, "/root");
}

/* Parents before children: a later bind would hide an earlier one below it. */
static int bind_cmp(const void *a, const void *b)
{
	const struct sandbox_bind *x = a, *y = b;
	size_t lx = strlen(x->dest), ly = strlen(y->dest);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->dest, y->dest);
}

/*
 * bwrap makes the missing parents of a bind's destination 0700, which
 * QEMU running as nobody cannot cross: make them 0755 first.
 */
static void push_parents(struct sandbox *sb, const char *path)
{
	char *p = xstrdup(path), *s;

	if (!*p)
		goto out;
	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		size_t i;
		int seen = 0;

		*s = '\0';
		for (i = 0; i + 1 < sb->argc && !seen; i++)
			seen = !strcmp(sb->argv[i], "--dir") &&
			       !strcmp(sb->argv[i + 1], p);
		if (!seen)
			push3(sb, "--dir", p, NULL);
		*s = '/';
	}
out:
	free(p);
}

int sandbox_drops_privileges(void)
{
	return geteuid() == 0;
}

static void push_setpriv(struct sandbox *sb)
{
	struct group *kvm = getgrnam("kvm");
	char buf[64];
	size_t i;
	int want_kvm = 0;

	for (i = 0; i < sb->nbinds; i++)
		if (sb->binds[i].dev && !strcmp(sb->binds[i].dest, "/dev/kvm"))
			want_kvm = 1;
	push(sb, "setpriv");
	snprintf(buf, sizeof(buf), "--reuid=%d", SANDBOX_UID);
	push(sb, buf);
	snprintf(buf, sizeof(buf), "--regid=%d", SANDBOX_GID);
	push(sb, buf);
	if (want_kvm && kvm) {
		snprintf(buf, sizeof(buf), "--groups=%d", (int)kvm->gr_gid);
		push(sb, buf);
	} else {
		push(sb, "--clear-groups");
	}
	push(sb, "--inh-caps=-all");
	push(sb, "--bounding-set=-all");
	push(sb, "--no-new-privs");
	push(sb, "--");
}

const char *const *sandbox_argv(struct sandbox *sb, const char *const *cmd)
{
	int setpriv = sb->kind == SANDBOX_GUEST && sandbox_drops_privileges();
	size_t i;

	push(sb, "bwrap");
	push(sb, "--unshare-ipc");
	push(sb, "--unshare-pid");
	push(sb, "--unshare-net");
	push(sb, "--unshare-uts");
	push(sb, "--unshare-cgroup-try");
	push(sb, "--die-with-parent");
	push(sb, "--new-session");
	push3(sb, "--cap-drop", "ALL", NULL);
	if (setpriv) {
		push3(sb, "--cap-add", "CAP_SETUID", NULL);
		push3(sb, "--cap-add", "CAP_SETGID", NULL);
	}
	push_root(sb);
	if (sb->nbinds)
		qsort(sb->binds, sb->nbinds, sizeof(*sb->binds), bind_cmp);
	for (i = 0; i < sb->nbinds; i++) {
		const struct sandbox_bind *b = &sb->binds[i];
		char *dst = xasprintf("%s%s", sb->kind == SANDBOX_GUEST &&
				      !b->private ? SANDBOX_GUEST_ROOT : "",
				      b->dest);

		push_parents(sb, dst);
		push3(sb, b->dev ? "--dev-bind" : b->writable ? "--bind"
							       : "--ro-bind",
		      b->path, dst);
		free(dst);
	}
	/* The sandbox's own root (a tmpfs) is read-only too. */
	push3(sb, "--remount-ro", "/", NULL);
	push(sb, "--clearenv");
	push3(sb, "--setenv", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
	for (i = 0; i < sb->nenv; i++) {
		char *eq = strchr(sb->env[i], '=');
		char *key;

		if (!eq)
			continue;
		key = xstrndup(sb->env[i], (size_t)(eq - sb->env[i]));
		push3(sb, "--setenv", key, eq + 1);
		free(key);
	}
	if (sb->chdir)
		push3(sb, "--chdir", sb->chdir, NULL);
	push(sb, "--");
	if (setpriv)
		push_setpriv(sb);
	for (i = 0; cmd[i]; i++)
		push(sb, cmd[i]);
	return (const char *const *)sb->argv;
}

void sandbox_release(struct sandbox *sb)
{
	size_t i;

	for (i = 0; i < sb->nbinds; i++) {
		free(sb->binds[i].path);
		free(sb->binds[i].dest);
	}
	free(sb->binds);
	for (i = 0; i < sb->nlayers; i++) {
		free(sb->layers[i].dir);
		free(sb->layers[i].opts);
	}
	free(sb->layers);
	for (i = 0; i < sb->nenv; i++)
		free(sb->env[i]);
	free(sb->env);
	for (i = 0; i < sb->argc; i++)
		free(sb->argv[i]);
	free(sb->argv);
	memset(sb, 0, sizeof(*sb));
}

int sandbox_available(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int found = 0;

	copy = xstrdup(path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/bwrap", dir);

		found = !access(p, X_OK);
		free(p);
	}
	free(copy);
	return found;
}
