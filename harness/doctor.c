/*
 * doctor.c - the machine checks behind `kflake doctor` and the preflight
 * of every command that runs a kernel (see doctor.h). It owns the list
 * of programs kflake and its guest run, each with the Debian package
 * that ships it and why it is needed; .ci/install-deps installs the
 * same packages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "artefact.h"
#include "doctor.h"
#include "job.h"
#include "runcmd.h"
#include "sandbox.h"
#include "slurm.h"
#include "store.h"
#include "tree.h"
#include "util.h"
#include "vm.h"

/* runners/init sets this PATH; the guest sees the host's root over 9p. */
#define GUEST_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Oldest QEMU with everything vm.c asks for (9p multidevs=remap: 4.2). */
#define QEMU_MIN_MAJOR 4
#define QEMU_MIN_MINOR 2

/* A program looked up in a PATH, or a file (absolute) that must exist. */
struct need {
	const char *name;
	const char *pkg;
	const char *why;
};

static const struct need build_needs[] = {
	{ "make", "make", "runs the kernel build" },
	{ "gcc", "gcc", "compiles the kernel" },
	{ "ld", "binutils", "links the kernel" },
	{ "flex", "flex", "kconfig's lexer" },
	{ "bison", "bison", "kconfig's parser" },
	{ "bc", "bc", "the kernel's generated timeconst.h" },
	{ "perl", "perl", "kernel build scripts" },
	{ "rsync", "rsync", "the kernel's headers_install" },
	{ "tar", "tar", "unpacks linux-source-6.1" },
	{ "xz", "xz-utils", "unpacks linux-source-6.1" },
	{ "/usr/include/gelf.h", "libelf-dev", "objtool (CONFIG_OBJTOOL)" },
	{ "bwrap", "bubblewrap", "the build and QEMU sandbox (sandbox.c)" },
	{ "setpriv", "util-linux", "QEMU runs as nobody (sandbox.c)" },
	{ "cp", "coreutils", "images leave the build sandbox" },
	{ NULL, NULL, NULL },
};

static const struct need payload_needs[] = {
	{ "gcc", "gcc", "test programs (udpgso_bench_tx, ...)" },
	{ "/usr/include/stdio.h", "libc6-dev", "test programs" },
	{ "clang", "clang", "BPF objects (xdp_dummy.bpf.o, nat6to4.o)" },
	{ "/usr/include/bpf/bpf_helpers.h", "libbpf-dev", "BPF objects" },
	{ NULL, NULL, NULL },
};

static const struct need guest_needs[] = {
	{ "bash", "bash", "runners/init and the selftests" },
	{ "mount", "mount", "runners/init" },
	{ "mountpoint", "util-linux", "runners/init" },
	{ "setsid", "util-linux", "runners/run-test" },
	{ "dmesg", "util-linux", "stall forensics" },
	{ "ip", "iproute2", "network selftests" },
	{ "tc", "iproute2", "udpgro_frglist.sh" },
	{ "ss", "iproute2", "stall forensics" },
	{ "nstat", "iproute2", "stall forensics" },
	{ "ethtool", "ethtool", "udpgro_frglist.sh" },
	{ "sysctl", "procps", "runners/init" },
	{ "ps", "procps", "stall forensics" },
	{ "awk", "mawk", "net_helper.sh" },
	{ "python3", "python3", "selftests and test scripts" },
	{ "stress-ng", "stress-ng", "--stress mem (runners/stress)" },
	{ "taskset", "util-linux", "--stress cpu (runners/stress)" },
	{ "nice", "coreutils", "--stress net (runners/stress)" },
	{ NULL, NULL, NULL },
};

/*
 * What `make test` and `make bench` need besides the above (not kflake
 * itself: missing ones are a warning, and preflight skips them).
 */
static const struct need test_needs[] = {
	{ "chromium", "chromium", "e2e 72-status-page (headless screenshots)" },
	{ "curl", "curl", "e2e web tests" },
	{ "jq", "jq", "e2e JSON checks" },
	{ "sqlite3", "sqlite3", "e2e database checks" },
	{ "xmllint", "libxml2-utils", "e2e 94-export (JUnit schema)" },
	{ "cscope", "cscope", "e2e 03-structure (call graph)" },
	{ "wrk", "wrk", "bench/web.sh" },
	{ "slurmctld", "slurmctld", "e2e 48-slurm (a private cluster)" },
	{ "slurmd", "slurmd", "e2e 48-slurm (a private cluster)" },
	{ "munged", "munge", "e2e 48-slurm (a private cluster)" },
	{ NULL, NULL, NULL },
};

/* --executor slurm: what the coordinator runs (slurm.c). */
static const struct need slurm_needs[] = {
	{ "sbatch", "slurm-client", "submits the run's tasks" },
	{ "squeue", "slurm-client", "follows the tasks" },
	{ "scancel", "slurm-client", "cancels tasks when a run stops" },
	{ "sinfo", "slurm-client", "asks the cluster for its partitions" },
	{ NULL, NULL, NULL },
};

static struct doctor_check *add(struct doctor_report *r, const char *name,
				enum doctor_status status)
{
	struct doctor_check *c;

	ALLOC_GROW(r->checks, r->n, r->alloc);
	c = &r->checks[r->n++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->status = status;
	return c;
}

/* Append word to the space-separated *list unless it is there. */
static void add_word(char **list, const char *word)
{
	size_t len = strlen(word);
	const char *p;
	char *old = *list;

	for (p = old; p && (p = strstr(p, word)); p += len)
		if ((p == old || p[-1] == ' ') && (!p[len] || p[len] == ' '))
			return;
	*list = old ? xasprintf("%s %s", old, word) : xstrdup(word);
	free(old);
}

static void want_package(struct doctor_report *r, const char *pkg)
{
	add_word(&r->packages, pkg);
}

static int in_path(const char *name, const char *path)
{
	char *copy, *dir, *save = NULL;
	int found = 0;

	if (name[0] == '/')
		return !access(name, R_OK);
	if (!path)
		return 0;
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", dir, name);
		struct stat st;

		found = !stat(p, &st) && S_ISREG(st.st_mode) && !access(p, X_OK);
		free(p);
	}
	free(copy);
	return found;
}

/* One check line for a group of needs, looked up in path. */
static void check_needs_as(struct doctor_report *r, const char *name,
			   const struct need *needs, const char *path,
			   const char *where, enum doctor_status missed)
{
	struct strbuf found = STRBUF_INIT, missing = STRBUF_INIT;
	struct doctor_check *c;
	const struct need *n;
	char *pkgs = NULL;

	for (n = needs; n->name; n++) {
		const char *base = strrchr(n->name, '/');

		if (in_path(n->name, path)) {
			strbuf_addf(&found, "%s%s", found.len ? " " : "",
				    base ? base + 1 : n->name);
			continue;
		}
		strbuf_addf(&missing, "%s%s (%s)", missing.len ? ", " : "",
			    n->name, n->why);
		add_word(&pkgs, n->pkg);
		want_package(r, n->pkg);
	}
	if (!missing.len) {
		c = add(r, name, DOCTOR_OK);
		c->detail = strbuf_detach(&found);
	} else {
		c = add(r, name, missed);
		c->detail = xasprintf("missing %s %s", missing.buf, where);
		c->fix = xasprintf("apt-get install %s", pkgs);
		strbuf_release(&found);
	}
	strbuf_release(&missing);
	free(pkgs);
}

static void check_needs(struct doctor_report *r, const char *name,
			const struct need *needs, const char *path,
			const char *where)
{
	check_needs_as(r, name, needs, path, where, DOCTOR_FAIL);
}

static void check_programs(struct doctor_report *r)
{
	const char *path = getenv("PATH");
	struct doctor_check *c;

	check_needs(r, "build programs", build_needs, path, "in PATH");
	check_needs(r, "payload programs", payload_needs, path, "in PATH");
	check_needs(r, "guest tools", guest_needs, GUEST_PATH,
		    "in the guest's PATH (" GUEST_PATH ")");
	if (in_path("ccache", path))
		return;
	c = add(r, "ccache", DOCTOR_WARN);
	c->detail = xstrdup("not installed: every kernel build compiles from "
			    "scratch");
	c->fix = xstrdup("apt-get install ccache");
}

/*
 * bubblewrap installed is not enough: it needs root or user namespaces
 * (kernel.unprivileged_userns_clone, user.max_user_namespaces), and as
 * root setpriv must be able to drop to nobody. Run the real command
 * line of a guest's sandbox once, with true as the guest's QEMU.
 */
static void check_sandbox(struct doctor_report *r)
{
	const char *cmd[] = { "true", NULL };
	struct strbuf out = STRBUF_INIT;
	struct doctor_check *c;
	struct sandbox sb;
	int rc;

	if (!sandbox_available())
		return;	/* "build programs" names bubblewrap */
	sandbox_init(&sb, SANDBOX_GUEST);
	rc = runcmd_capture(sandbox_argv(&sb, cmd), &out, 4096);
	sandbox_release(&sb);
	strbuf_release(&out);
	if (!rc) {
		c = add(r, "sandbox", DOCTOR_OK);
		c->detail = xstrdup(sandbox_drops_privileges() ?
				    "bwrap works; QEMU runs as nobody" :
				    "bwrap works in a user namespace");
		return;
	}
	c = add(r, "sandbox", DOCTOR_FAIL);
	c->detail = xasprintf("bwrap could not start a sandbox (exit %d): "
			      "builds and QEMU run inside one", rc);
	c->fix = xstrdup(geteuid() ? "allow user namespaces (sysctl -w "
			 "kernel.unprivileged_userns_clone=1 "
			 "user.max_user_namespaces=15000) or run as root" :
			 "apt-get install --reinstall bubblewrap util-linux");
}

static void check_qemu(struct doctor_report *r)
{
	const char *argv[] = { "qemu-system-x86_64", "--version", NULL };
	struct strbuf out = STRBUF_INIT;
	struct doctor_check *c;
	const char *v;
	int major = 0, minor = 0;

	if (!in_path(argv[0], getenv("PATH"))) {
		c = add(r, "qemu", DOCTOR_FAIL);
		c->detail = xstrdup("qemu-system-x86_64 not found in PATH");
		c->fix = xstrdup("apt-get install qemu-system-x86");
		want_package(r, "qemu-system-x86");
		return;
	}
	runcmd_capture(argv, &out, 4096);
	v = strstr(strbuf_str(&out), "version ");
	if (!v || sscanf(v + 8, "%d.%d", &major, &minor) != 2) {
		c = add(r, "qemu", DOCTOR_FAIL);
		c->detail = xstrdup("qemu-system-x86_64 --version printed no "
				    "version");
		c->fix = xstrdup("apt-get install --reinstall qemu-system-x86");
	} else if (major < QEMU_MIN_MAJOR ||
		   (major == QEMU_MIN_MAJOR && minor < QEMU_MIN_MINOR)) {
		c = add(r, "qemu", DOCTOR_FAIL);
		c->detail = xasprintf("QEMU %d.%d is too old (kflake needs "
				      "%d.%d or newer)", major, minor,
				      QEMU_MIN_MAJOR, QEMU_MIN_MINOR);
		c->fix = xstrdup("install QEMU from Debian 12 or newer "
				 "(apt-get install qemu-system-x86)");
	} else {
		c = add(r, "qemu", DOCTOR_OK);
		c->detail = xasprintf("QEMU %.*s (kflake needs %d.%d or newer)",
				      (int)strcspn(v + 8, " \n"), v + 8,
				      QEMU_MIN_MAJOR, QEMU_MIN_MINOR);
	}
	strbuf_release(&out);
}

/* A finished image in the cache to probe KVM with, or NULL. */
static char *any_image(void)
{
	char *dir = xasprintf("%s/kernels", util_cache_dir()), *img = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && !img && (de = readdir(d))) {
		char *ok = xasprintf("%s/%s/ok", dir, de->d_name);

		if (de->d_name[0] != '.' && util_file_exists(ok))
			img = xasprintf("%s/%s/bzImage", dir, de->d_name);
		free(ok);
	}
	if (d)
		closedir(d);
	free(dir);
	return img;
}

/* Why /dev/kvm cannot be used, or NULL when it opens. */
static char *kvm_unusable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	if (errno == ENOENT)
		return xstrdup("no /dev/kvm (no hardware virtualisation "
			       "here, e.g. a VM without nested KVM, or the "
			       "kvm module is not loaded)");
	return xasprintf("cannot open /dev/kvm: %s%s", strerror(errno),
			 errno == EACCES ? " (add the user to group kvm)" : "");
}

static void check_kvm(struct doctor_report *r, unsigned flags)
{
	const char *env = getenv("KFLAKE_ACCEL"), *accel;
	char *why = kvm_unusable(), *init, *img;
	struct doctor_check *c;

	if (env && (!strcmp(env, "kvm") || !strcmp(env, "tcg"))) {
		c = add(r, "accelerator", DOCTOR_OK);
		c->detail = xasprintf("%s (KFLAKE_ACCEL=%s)", env, env);
		goto out;
	}
	if (why) {
		c = add(r, "accelerator", DOCTOR_WARN);
		c->detail = xasprintf("TCG: %s; boots take ~4 s, tests run "
				      "several times slower than on KVM", why);
		goto out;
	}
	/* --kvm probes again even when this boot's answer is cached. */
	accel = flags & DOCTOR_PROBE_KVM ? NULL : vm_accel_cached();
	if (flags & DOCTOR_PROBE_KVM) {
		img = any_image();
		if (img) {
			init = xasprintf("%s/runners/init", util_home());
			accel = vm_accel_probe(img, init);
			free(init);
			free(img);
		}
	}
	if (!accel) {
		c = add(r, "accelerator", DOCTOR_WARN);
		c->detail = xstrdup(flags & DOCTOR_PROBE_KVM
			? "/dev/kvm opens; not probed: no kernel image in the "
			  "cache yet to boot (the first run probes)"
			: "/dev/kvm opens; not probed yet on this host boot "
			  "(the first run probes; kflake doctor --kvm now)");
	} else if (!strcmp(accel, "kvm")) {
		c = add(r, "accelerator", DOCTOR_OK);
		c->detail = xstrdup("KVM (the probe booted a kernel)");
	} else {
		c = add(r, "accelerator", DOCTOR_WARN);
		c->detail = xstrdup("TCG: /dev/kvm opens but KVM did not boot "
				    "a kernel within 10 s (nested "
				    "virtualisation?); tests run several "
				    "times slower");
	}
out:
	free(why);
}

/* dir, or its nearest ancestor that exists (a fresh machine has none). */
static char *existing_ancestor(const char *dir)
{
	char *p = xstrdup(dir), *slash;
	struct stat st;

	while (stat(p, &st) && strcmp(p, "/") && (slash = strrchr(p, '/')))
		*(slash == p ? slash + 1 : slash) = '\0';
	return p;
}

static void disk_line(struct doctor_report *r, const char *name,
		      const char *dir, double need_mb, const char *for_what)
{
	char *at = existing_ancestor(dir);
	struct doctor_check *c;
	struct statvfs sv;
	double mb;

	if (statvfs(at, &sv)) {
		c = add(r, name, DOCTOR_FAIL);
		c->detail = xasprintf("%s: %s", dir, strerror(errno));
		c->fix = xstrdup("make it a directory kflake can write, or "
				 "point KFLAKE_CACHE / --db elsewhere");
		free(at);
		return;
	}
	mb = (double)sv.f_bavail * (double)sv.f_frsize / (1 << 20);
	c = add(r, name, mb < need_mb ? DOCTOR_FAIL : DOCTOR_OK);
	c->detail = xasprintf("%s: %.1f GiB free; %s needs %.1f GiB", dir,
			      mb / 1024, for_what, need_mb / 1024);
	if (mb < need_mb)
		c->fix = xstrdup("free space there, or point KFLAKE_CACHE / "
				 "--db at a larger file system");
	free(at);
}

static int default_tree_imported(void)
{
	char *git = xasprintf("%s/trees/%s/.git", util_cache_dir(),
			      TREE_DEFAULT_SOURCE);
	int ret = util_file_exists(git);

	free(git);
	return ret;
}

/*
 * A cold run of the default tree fills the cache; once it is imported,
 * or when $KFLAKE_MIN_FREE_MB says otherwise, a run needs the floor
 * job.c enforces. The artefacts (consoles, outputs) go beside the
 * database. Both on one file system need the sum.
 */
static void check_disk(struct doctor_report *r, const char *db,
		       const char *tree)
{
	long floor = job_min_free_mb();
	int cold = !tree && !default_tree_imported() &&
		   !getenv("KFLAKE_MIN_FREE_MB");
	double cache_mb = cold ? DOCTOR_COLD_CACHE_MB : floor;
	char *data = artefact_dir_for(db ? db : store_default_path());
	char *a = existing_ancestor(util_cache_dir());
	char *b = existing_ancestor(data);
	struct stat sa, sb;

	if (!stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev) {
		disk_line(r, "disk", util_cache_dir(), cache_mb + floor,
			  cold ? "a cold run (cache, logs, database)"
			       : "a run (cache, logs, database)");
	} else {
		disk_line(r, "disk (cache)", util_cache_dir(), cache_mb,
			  cold ? "a cold run" : "a run");
		disk_line(r, "disk (artefacts)", data, floor,
			  "runs' consoles and outputs");
	}
	free(a);
	free(b);
	free(data);
}

static void check_source(struct doctor_report *r)
{
	struct doctor_check *c;
	char *path;

	if (default_tree_imported()) {
		path = xasprintf("%s/trees/%s", util_cache_dir(),
				 TREE_DEFAULT_SOURCE);
		c = add(r, "kernel source", DOCTOR_OK);
		c->detail = xasprintf("%s imported at %s", TREE_DEFAULT_SOURCE,
				      path);
		free(path);
	} else if (util_file_exists(TREE_DEFAULT_TARBALL)) {
		c = add(r, "kernel source", DOCTOR_OK);
		c->detail = xasprintf("%s (imported into the cache by the "
				      "first run, about a minute)",
				      TREE_DEFAULT_TARBALL);
	} else {
		c = add(r, "kernel source", DOCTOR_FAIL);
		c->detail = xasprintf("%s not found: the default tree cannot "
				      "be imported", TREE_DEFAULT_TARBALL);
		c->fix = xstrdup("apt-get install " TREE_DEFAULT_SOURCE);
		want_package(r, TREE_DEFAULT_SOURCE);
	}
}

/*
 * --executor slurm: the client programs, then a controller that answers
 * with a partition up. Where the cluster lives is Slurm's business
 * (SLURM_CONF, else /etc/slurm/slurm.conf): say which one was asked.
 */
static void check_slurm(struct doctor_report *r)
{
	const char *conf = getenv("SLURM_CONF");
	struct strbuf detail = STRBUF_INIT;
	struct doctor_check *c;
	size_t before = r->n;

	check_needs(r, "slurm client", slurm_needs, getenv("PATH"), "in PATH");
	if (r->checks[before].status == DOCTOR_FAIL)
		return;
	if (!conf || !*conf)
		conf = "/etc/slurm/slurm.conf";
	if (access(conf, R_OK)) {
		c = add(r, "slurm cluster", DOCTOR_FAIL);
		c->detail = xasprintf("no cluster configured: %s: %s", conf,
				      strerror(errno));
		c->fix = xstrdup("point SLURM_CONF at your cluster's "
				 "slurm.conf, or set up slurmctld and slurmd "
				 "(apt-get install slurmctld slurmd munge; "
				 "docs/SCALING.md)");
	} else if (slurm_cluster(&detail)) {
		c = add(r, "slurm cluster", DOCTOR_FAIL);
		c->detail = xasprintf("%s (cluster of %s)",
				      strbuf_str(&detail), conf);
		c->fix = xstrdup("start slurmctld and slurmd (apt-get install "
				 "slurmctld slurmd munge; docs/SCALING.md), or "
				 "point SLURM_CONF at your cluster's "
				 "slurm.conf");
	} else {
		c = add(r, "slurm cluster", DOCTOR_OK);
		c->detail = xasprintf("%s (%s)", strbuf_str(&detail), conf);
	}
	strbuf_release(&detail);
}

/* Open (creating, migrating) the database and take its write lock. */
static void check_db(struct doctor_report *r, const char *db)
{
	struct doctor_check *c;
	struct store st;

	if (store_open(&st, db, 0)) {
		c = add(r, "database", DOCTOR_FAIL);
		c->detail = xasprintf("%s cannot be opened and migrated (see "
				      "the error above)",
				      db ? db : store_default_path());
		c->fix = xstrdup("fix the path or its permissions, or use "
				 "--db / KFLAKE_DB for another database");
		return;
	}
	if (sqlite3_db_readonly(st.db, "main") == 1 || store_begin(&st)) {
		c = add(r, "database", DOCTOR_FAIL);
		c->detail = xasprintf("%s is read-only", st.path);
		c->fix = xstrdup("give the user write access to it and its "
				 "directory");
	} else {
		store_rollback(&st);
		c = add(r, "database", DOCTOR_OK);
		c->detail = xasprintf("%s: schema version %d, writable",
				      st.path, store_schema_version(&st));
	}
	store_close(&st);
}

void doctor_run(struct doctor_report *r, const char *db, const char *tree,
		unsigned flags)
{
	memset(r, 0, sizeof(*r));
	if (tree && (!*tree || !strcmp(tree, TREE_DEFAULT_SOURCE)))
		tree = NULL;
	check_programs(r);
	if (!(flags & DOCTOR_FAST))
		check_needs_as(r, "test tools", test_needs, getenv("PATH"),
			       "in PATH (make test, make bench)", DOCTOR_WARN);
	check_qemu(r);
	if (!(flags & DOCTOR_FAST)) {
		check_sandbox(r);
		check_kvm(r, flags);
	}
	check_disk(r, db, tree);
	if (!(flags & DOCTOR_FAST))
		check_db(r, db);
	if (!tree)
		check_source(r);
	if (flags & DOCTOR_SLURM)
		check_slurm(r);
}

enum doctor_status doctor_worst(const struct doctor_report *r)
{
	enum doctor_status worst = DOCTOR_OK;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->checks[i].status > worst)
			worst = r->checks[i].status;
	return worst;
}

char *doctor_install_line(const struct doctor_report *r)
{
	if (!r->packages)
		return NULL;
	return xasprintf("%sapt-get install -y %s", geteuid() ? "sudo " : "",
			 r->packages);
}

void doctor_report_release(struct doctor_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->checks[i].detail);
		free(r->checks[i].fix);
	}
	free(r->checks);
	free(r->packages);
	memset(r, 0, sizeof(*r));
}

char *doctor_packages(void)
{
	const struct need *const groups[] = { build_needs, payload_needs,
					      guest_needs, slurm_needs };
	const struct need *n;
	char *list = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(groups); i++)
		for (n = groups[i]; n->name; n++)
			add_word(&list, n->pkg);
	add_word(&list, "ccache");
	add_word(&list, "qemu-system-x86");
	add_word(&list, TREE_DEFAULT_SOURCE);
	return list;
}

int doctor_preflight(const char *tree, const char *db)
{
	return doctor_preflight_for(tree, db, NULL);
}

int doctor_preflight_for(const char *tree, const char *db,
			 const char *executor)
{
	struct doctor_report r;
	char *line;
	size_t i;
	int ret = 0;

	doctor_run(&r, db, tree, DOCTOR_FAST |
		   (executor && !strcmp(executor, "slurm") ? DOCTOR_SLURM : 0));
	for (i = 0; i < r.n; i++) {
		const struct doctor_check *c = &r.checks[i];

		if (c->status != DOCTOR_FAIL)
			continue;
		ret = error("%s: %s%s%s", c->name, c->detail,
			    c->fix ? "; fix: " : "", c->fix ? c->fix : "");
	}
	line = doctor_install_line(&r);
	if (ret && line)
		error("cannot run until that is fixed: %s (kflake doctor "
		      "checks everything)", line);
	else if (ret)
		error("cannot run until that is fixed (kflake doctor checks "
		      "everything)");
	free(line);
	doctor_report_release(&r);
	return ret;
}
