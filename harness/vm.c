/*
 * vm.c - starts QEMU the way virtme-ng does (a root filesystem over
 * virtio-9p, read-only, and a writable 9p share for outputs), with the
 * kernel console on QEMU's stdout and guest records on a virtio-serial
 * port, and turns both into a stream of lines for session.c. Also owns
 * the KVM probe: KVM is used only when it really boots a kernel, quickly.
 *
 * QEMU runs inside a bubblewrap sandbox (sandbox.c) and exports the
 * guest's view assembled there (SANDBOX_GUEST_ROOT: system, runners,
 * payload, path tests) as the guest's root: that is all the guest can
 * read. QEMU itself is confined to the sandbox, without network, as
 * nobody when kflake is root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "vm.h"
#include "util.h"

#define VM_LINE_MAX 4096

static int vm_seq;

static void argv_push(struct vm *vm, const char *s)
{
	vm->argv = xrealloc(vm->argv, sizeof(char *) * (size_t)(vm->argc + 2));
	vm->argv[vm->argc++] = xstrdup(s);
	vm->argv[vm->argc] = NULL;
}

static void argv_pushf(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void argv_pushf(struct vm *vm, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	argv_push(vm, sb.buf);
	strbuf_release(&sb);
}

/* QEMU option values are comma-separated: a comma in a path must double. */
static char *qemu_escape(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s; s++) {
		if (*s == ',')
			strbuf_addch(&sb, ',');
		strbuf_addch(&sb, *s);
	}
	return strbuf_detach(&sb);
}

/*
 * tsc=reliable: under TCG the clocksource watchdog (itself jiffies-based
 * and late) marks the TSC unstable and the guest falls back to jiffies,
 * whose lost ticks make guest time run 15-25% slow. QEMU's TSC follows
 * host time, so it is the better clock.
 * no_timer_check: on a busy host (several guests, or other load) a TCG
 * vCPU can miss the IO-APIC timer check at boot, and the kernel panics
 * ("IO-APIC + timer doesn't work!") before init; the check proves
 * nothing about a virtual timer.
 */
static void build_argv(struct vm *vm, const struct vm_config *cfg, int chan)
{
	char *out = qemu_escape(cfg->outdir);
	char *stress = stress_kernel_arg(cfg->stress);
	int kvm = !strcmp(cfg->accel, "kvm");

	argv_push(vm, "qemu-system-x86_64");
	argv_push(vm, "-name");
	/*
	 * kflake-<pid>-<n>: which kflake owns it (runcmd reaps by it).
	 * Named threads ("CPU 0/TCG"): --stress finds the vCPUs by name.
	 */
	argv_pushf(vm, "%s,debug-threads=on", vm->name);
	argv_push(vm, "-machine");
	argv_push(vm, "pc");
	argv_push(vm, "-accel");
	argv_push(vm, kvm ? "kvm" : "tcg");
	if (kvm) {
		argv_push(vm, "-cpu");
		argv_push(vm, "host");
	}
	/*
	 * One vCPU per socket: QEMU >= 6.2 makes "-smp N" N cores of one
	 * socket, and SeaBIOS's MP table (our kernels have no ACPI) lists
	 * one CPU per socket, so the guest came up with a single CPU.
	 */
	argv_push(vm, "-smp");
	argv_pushf(vm, "%d,sockets=%d,cores=1,threads=1", cfg->cpus,
		   cfg->cpus);
	argv_push(vm, "-m");
	argv_pushf(vm, "%d", cfg->mem_mb);
	argv_push(vm, "-nodefaults");
	argv_push(vm, "-no-user-config");
	argv_push(vm, "-display");
	argv_push(vm, "none");
	argv_push(vm, "-no-reboot");
	argv_push(vm, "-kernel");
	argv_push(vm, cfg->kernel);
	argv_push(vm, "-append");
	argv_pushf(vm, "console=ttyS0 root=root rootfstype=9p "
		   "rootflags=trans=virtio,version=9p2000.L,msize=262144,"
		   "cache=loose ro init=%s panic=-1 oops=panic tsc=reliable "
		   "no_timer_check "
		   "printk.devkmsg=on%s%s%s%s", cfg->init,
		   cfg->append ? " " : "", cfg->append ? cfg->append : "",
		   stress ? " " : "", stress ? stress : "");
	argv_push(vm, "-serial");
	argv_push(vm, "stdio");
	/* The curated view (sandbox.c), not the host's root. */
	argv_push(vm, "-fsdev");
	argv_push(vm, "local,id=root,path=" SANDBOX_GUEST_ROOT ",security_model="
		  "none,readonly=on,multidevs=remap");
	/*
	 * Tag "root": since 5.13 a kernel mounts root=root with rootfstype=9p
	 * without a block layer (mount_nodev_root). Tag "/dev/root": older
	 * kernels find it only through the block-root path under that name.
	 */
	argv_push(vm, "-device");
	argv_push(vm, "virtio-9p-pci,fsdev=root,mount_tag=root");
	argv_push(vm, "-device");
	argv_push(vm, "virtio-9p-pci,fsdev=root,mount_tag=/dev/root");
	/*
	 * QEMU runs as nobody (sandbox.c): what the guest creates here is
	 * nobody's, so security_model=none cannot make setuid-root files or
	 * device nodes on the host, and the share needs no xattrs (a small
	 * tmpfs works).
	 */
	argv_push(vm, "-fsdev");
	argv_pushf(vm, "local,id=out,path=%s,security_model=none,"
		   "multidevs=remap", out);
	argv_push(vm, "-device");
	argv_push(vm, "virtio-9p-pci,fsdev=out,mount_tag=kflake_out");
	argv_push(vm, "-device");
	argv_push(vm, "virtio-serial-pci");
	argv_push(vm, "-chardev");
	argv_pushf(vm, "socket,id=chan,fd=%d", chan);
	argv_push(vm, "-device");
	argv_push(vm, "virtserialport,chardev=chan,name=kflake.0");
	argv_push(vm, "-device");
	argv_push(vm, "virtio-rng-pci");
	free(out);
	free(stress);
}

/* Wrap vm->argv (QEMU's command) in its sandbox. */
static int sandbox_wrap(struct vm *vm, const struct vm_config *cfg)
{
	struct sandbox sb;
	const char *const *argv;
	const char *const *p;
	int i, ret = 0;

	sandbox_init(&sb, SANDBOX_GUEST);
	ret |= sandbox_private_ro(&sb, cfg->kernel);
	ret |= sandbox_private_rw(&sb, cfg->outdir);
	for (p = cfg->guest_paths; p && *p && !ret; p++)
		ret |= sandbox_ro(&sb, *p);
	if (!strcmp(cfg->accel, "kvm"))
		ret |= sandbox_dev(&sb, "/dev/kvm");
	if (ret) {
		sandbox_release(&sb);
		return -1;
	}
	argv = sandbox_argv(&sb, (const char *const *)vm->argv);
	for (i = 0; i < vm->argc; i++)
		free(vm->argv[i]);
	vm->argc = 0;
	for (; *argv; argv++)
		argv_push(vm, *argv);
	sandbox_release(&sb);
	return 0;
}

static int start(struct vm *vm, const struct vm_config *cfg, int *con,
		 int *chan);

/*
 * The output share belongs to the uid QEMU runs as; the guest writes it
 * through QEMU, the host only reads it.
 */
static int prepare_outdir(const char *dir)
{
	if (!sandbox_drops_privileges())
		return 0;
	if (chown(dir, SANDBOX_UID, SANDBOX_GID) || chmod(dir, 0755))
		return error("%s: cannot hand the output share to uid %d: %s",
			     dir, SANDBOX_UID, strerror(errno));
	return 0;
}

void vm_cmdline(const struct vm *vm, struct strbuf *out)
{
	runcmd_quote((const char *const *)vm->argv, out);
}

static int reap(struct vm *vm, int block)
{
	int status;

	if (vm->exited || vm->qemu.pid <= 0)
		return vm->exited;
	if (block) {
		status = runcmd_wait(&vm->qemu);
	} else if (runcmd_poll(&vm->qemu, &status) != 1) {
		return 0;
	}
	vm->exited = 1;
	vm->exit_status = status;
	return 1;
}

int vm_start(struct vm *vm, const struct vm_config *in)
{
	struct vm_config resolved = *in, *cfg = &resolved;
	char *kernel = util_realpath(in->kernel);
	char *outdir = util_realpath(in->outdir);
	int con[2], chan[2], ret;

	/* Inside the sandbox only the resolved paths exist. */
	cfg->kernel = kernel;
	cfg->outdir = outdir;
	ret = start(vm, cfg, con, chan);
	free(kernel);
	free(outdir);
	return ret;
}

static int start(struct vm *vm, const struct vm_config *cfg, int *con,
		 int *chan)
{

	memset(vm, 0, sizeof(*vm));
	vm->console_fd = vm->chan_fd = vm->console_log_fd = -1;
	vm->name = xasprintf("kflake-%d-%d", (int)getpid(), ++vm_seq);
	if (!sandbox_available())
		return error("bwrap is not installed (Debian package "
			     "bubblewrap): kflake runs QEMU in its sandbox");
	if (prepare_outdir(cfg->outdir))
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan))
		return error("socketpair: %s", strerror(errno));
	vm->chan_fd = chan[0];
	build_argv(vm, cfg, chan[1]);
	if (sandbox_wrap(vm, cfg)) {
		close(chan[1]);
		return -1;
	}
	vm->console_log_fd = open(cfg->console_log,
				  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				  0644);
	if (vm->console_log_fd < 0) {
		close(chan[1]);
		return error("%s: %s", cfg->console_log, strerror(errno));
	}
	if (pipe2(con, O_CLOEXEC)) {
		close(chan[1]);
		return error("pipe: %s", strerror(errno));
	}
	vm->qemu = (struct runcmd)RUNCMD_INIT;
	vm->qemu.argv = (const char *const *)vm->argv;
	vm->qemu.out_fd = con[1];
	vm->qemu.err_fd = open(cfg->qemu_log,
			       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	vm->qemu.new_pgrp = 1;
	vm->qemu.reap_as = "QEMU";
	vm->qemu.pass_fd = chan[1];
	vm->started = util_now();
	if (runcmd_start(&vm->qemu)) {
		close(con[0]);
		close(con[1]);
		close(chan[1]);
		return -1;
	}
	close(con[1]);
	close(chan[1]);
	if (vm->qemu.err_fd >= 0)
		close(vm->qemu.err_fd);
	vm->console_fd = con[0];
	vm->stress_modes = cfg->stress;
	vm->cpus = cfg->cpus;
	return 0;
}

/*
 * QEMU itself: vm->qemu.pid is its bwrap; QEMU runs two levels below
 * (bwrap's init, then setpriv exec'd into QEMU), found by its -name.
 */
static pid_t qemu_pid(const struct vm *vm)
{
	char *want = xasprintf("%s,debug-threads=on", vm->name);
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	while (d && !found && (de = readdir(d))) {
		struct strbuf sb = STRBUF_INIT;
		pid_t pid = (pid_t)atoi(de->d_name);
		char path[64];
		const char *a0, *a1, *a2, *end;

		if (pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		if (util_read_file(path, &sb, 4096) || !sb.len) {
			strbuf_release(&sb);
			continue;
		}
		end = sb.buf + sb.len;
		a0 = sb.buf;
		a1 = a0 + strlen(a0) + 1;
		a2 = a1 < end ? a1 + strlen(a1) + 1 : end;
		if (a2 < end && !strcmp(a0, "qemu-system-x86_64") &&
		    !strcmp(a1, "-name") && !strcmp(a2, want))
			found = pid;
		strbuf_release(&sb);
	}
	if (d)
		closedir(d);
	free(want);
	return found;
}

int vm_stress_start(struct vm *vm)
{
	pid_t qemu;

	if (vm->exited || vm->qemu.pid <= 0)
		return 0;
	/* No host-side mode: no QEMU to look for. */
	if (!(vm->stress_modes & (STRESS_THROTTLE | STRESS_VCPUS |
				  STRESS_JITTER)))
		return stress_vm_start(&vm->stress, vm->stress_modes, 0,
				       vm->cpus);
	qemu = qemu_pid(vm);
	if (!qemu)
		return error("%s: QEMU not found under its sandbox (pid %d)",
			     vm->name, (int)vm->qemu.pid);
	return stress_vm_start(&vm->stress, vm->stress_modes, qemu, vm->cpus);
}

/* Hand out one complete line from buf, if it holds one (or is too long). */
static int take_line(struct strbuf *buf, struct strbuf *line, int flush)
{
	char *nl = memchr(buf->buf ? buf->buf : "", '\n', buf->len);
	size_t n;

	if (!nl && buf->len < VM_LINE_MAX && !(flush && buf->len))
		return 0;
	n = nl ? (size_t)(nl - buf->buf) : buf->len;
	if (n > VM_LINE_MAX)
		n = VM_LINE_MAX;
	strbuf_reset(line);
	strbuf_add(line, buf->buf, n);
	while (line->len && (line->buf[line->len - 1] == '\r'))
		strbuf_setlen(line, line->len - 1);
	if (nl && n == (size_t)(nl - buf->buf))
		n++;
	memmove(buf->buf, buf->buf + n, buf->len - n);
	strbuf_setlen(buf, buf->len - n);
	return 1;
}

static int read_into(struct vm *vm, int *fd, struct strbuf *buf, int log)
{
	char tmp[8192];
	ssize_t n = read(*fd, tmp, sizeof(tmp));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	/* A full disk loses console log lines, not the run. */
	if (log && vm->console_log_fd >= 0 &&
	    write(vm->console_log_fd, tmp, (size_t)n) != n)
		vm->log_errors++;
	strbuf_add(buf, tmp, (size_t)n);
	return 1;
}

static int pending(struct vm *vm, struct vm_event *ev)
{
	int closed_con = vm->console_fd < 0, closed_chan = vm->chan_fd < 0;

	if (take_line(&vm->chan_buf, &vm->line, closed_chan)) {
		ev->type = VM_EV_RECORD;
		ev->line = vm->line.buf;
		return 1;
	}
	if (take_line(&vm->con_buf, &vm->line, closed_con)) {
		ev->type = VM_EV_CONSOLE;
		ev->line = vm->line.buf;
		return 1;
	}
	return 0;
}

/* The VM's open descriptors into pfd (at most 2); returns how many. */
static int vm_pollfds(const struct vm *vm, struct pollfd *pfd)
{
	int n = 0;

	if (vm->console_fd >= 0)
		pfd[n++] = (struct pollfd){ vm->console_fd, POLLIN, 0 };
	if (vm->chan_fd >= 0)
		pfd[n++] = (struct pollfd){ vm->chan_fd, POLLIN, 0 };
	return n;
}

static void vm_read_ready(struct vm *vm, const struct pollfd *pfd, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == vm->console_fd)
			read_into(vm, &vm->console_fd, &vm->con_buf, 1);
		else if (pfd[i].fd == vm->chan_fd)
			read_into(vm, &vm->chan_fd, &vm->chan_buf, 0);
	}
}

/* A line already read, or the end of a VM whose streams both closed. */
static int vm_ready_event(struct vm *vm, struct vm_event *ev)
{
	if (pending(vm, ev))
		return 1;
	if (vm->console_fd < 0 && vm->chan_fd < 0) {
		stress_vm_stop(&vm->stress);
		reap(vm, 1);
		ev->type = VM_EV_EXIT;
		ev->status = vm->exit_status;
		return 1;
	}
	return 0;
}

int vm_poll_many(struct vm **vms, size_t n, double timeout, size_t *which,
		 struct vm_event *ev)
{
	/* Start the search where the last one stopped: no guest starves. */
	static size_t rot;
	double deadline = util_now() + timeout;
	struct pollfd pfd[2 * VM_POLL_MAX];
	int start[VM_POLL_MAX + 1];

	memset(ev, 0, sizeof(*ev));
	*which = 0;
	if (n > VM_POLL_MAX)
		n = VM_POLL_MAX;
	for (;;) {
		int nfd = 0, rc, wait_ms;
		double left;
		size_t i;

		for (i = 0; i < n; i++) {
			size_t j = (rot + i) % n;

			if (vm_ready_event(vms[j], ev)) {
				*which = j;
				rot = j + 1;
				return 0;
			}
		}
		left = deadline - util_now();
		if (left <= 0) {
			ev->type = VM_EV_TIMEOUT;
			return 0;
		}
		wait_ms = (int)(left * 1000) + 1;
		for (i = 0; i < n; i++) {
			start[i] = nfd;
			nfd += vm_pollfds(vms[i], pfd + nfd);
		}
		start[n] = nfd;
		rc = poll(pfd, (nfds_t)nfd, wait_ms);
		if (rc < 0 && errno == EINTR) {
			ev->type = VM_EV_INTR;
			return 0;
		}
		if (rc <= 0)
			continue;
		for (i = 0; i < n; i++)
			vm_read_ready(vms[i], pfd + start[i],
				      start[i + 1] - start[i]);
	}
}

int vm_poll(struct vm *vm, double timeout, struct vm_event *ev)
{
	size_t which;

	return vm_poll_many(&vm, 1, timeout, &which, ev);
}

int vm_send(struct vm *vm, const char *line)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t w;

		if (vm->chan_fd < 0)
			return -1;
		/* A guest gone mid-write is an event, not a SIGPIPE. */
		w = send(vm->chan_fd, line + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

int vm_console_drain(struct vm *vm, double wait, const char **line)
{
	struct pollfd pfd;

	if (take_line(&vm->con_buf, &vm->line, vm->console_fd < 0)) {
		*line = vm->line.buf;
		return 1;
	}
	if (vm->console_fd < 0)
		return 0;
	pfd = (struct pollfd){ vm->console_fd, POLLIN, 0 };
	if (poll(&pfd, 1, (int)(wait * 1000)) <= 0)
		return 0;
	read_into(vm, &vm->console_fd, &vm->con_buf, 1);
	if (take_line(&vm->con_buf, &vm->line, vm->console_fd < 0)) {
		*line = vm->line.buf;
		return 1;
	}
	return 0;
}

void vm_stop(struct vm *vm)
{
	int i;

	/* Before the kill: a QEMU left stopped by --stress jitter dies too. */
	stress_vm_stop(&vm->stress);
	if (vm->qemu.pid > 0 && !reap(vm, 0)) {
		runcmd_kill(&vm->qemu, SIGKILL);
		reap(vm, 1);
	}
	stress_vm_release(&vm->stress);
	if (vm->console_fd >= 0)
		close(vm->console_fd);
	if (vm->chan_fd >= 0)
		close(vm->chan_fd);
	if (vm->console_log_fd >= 0)
		close(vm->console_log_fd);
	free(vm->name);
	for (i = 0; i < vm->argc; i++)
		free(vm->argv[i]);
	free(vm->argv);
	strbuf_release(&vm->con_buf);
	strbuf_release(&vm->chan_buf);
	strbuf_release(&vm->line);
	vm->argv = NULL;
	vm->argc = 0;
	vm->name = NULL;
	vm->console_fd = vm->chan_fd = vm->console_log_fd = -1;
}

static char *probe_cache_key(void)
{
	struct strbuf boot = STRBUF_INIT;
	struct stat st;
	char *key;

	util_read_file("/proc/sys/kernel/random/boot_id", &boot, 64);
	strbuf_trim(&boot);
	if (stat("/usr/bin/qemu-system-x86_64", &st))
		st.st_mtime = 0;
	key = xasprintf("%s %ld", strbuf_str(&boot), (long)st.st_mtime);
	strbuf_release(&boot);
	return key;
}

/* Boot kernel under KVM; success = the kernel starts init within 10 s. */
static int kvm_boots(const char *kernel, const char *init)
{
	char dir[] = "/tmp/kflake-probe-XXXXXX";
	struct vm_config cfg = { 0 };
	struct vm vm;
	struct vm_event ev;
	double deadline;
	int ok = 0;
	char *con, *qlog, *rinit = util_realpath(init);
	char *runners = xstrdup(rinit), *slash;
	const char *paths[2] = { runners, NULL };

	if (!mkdtemp(dir)) {
		free(runners);
		free(rinit);
		return 0;
	}
	slash = strrchr(runners, '/');
	if (slash)
		*slash = '\0';
	con = xasprintf("%s/console", dir);
	qlog = xasprintf("%s/qemu", dir);
	cfg = (struct vm_config){ .kernel = kernel, .accel = "kvm", .cpus = 1,
				  .mem_mb = 512, .init = rinit,
				  .outdir = dir, .console_log = con,
				  .qemu_log = qlog, .guest_paths = paths };
	if (vm_start(&vm, &cfg))
		goto out;
	deadline = util_now() + 10;
	while (!ok && util_now() < deadline) {
		vm_poll(&vm, deadline - util_now(), &ev);
		if (ev.type == VM_EV_EXIT)
			break;
		if ((ev.type == VM_EV_CONSOLE && strstr(ev.line, "as init process")) ||
		    ev.type == VM_EV_RECORD)
			ok = 1;
	}
out:
	vm_stop(&vm);
	util_rm_rf(dir);
	free(con);
	free(qlog);
	free(runners);
	free(rinit);
	return ok;
}

static char *probe_path(void)
{
	return xasprintf("%s/accel-probe", util_cache_dir());
}

const char *vm_accel_cached(void)
{
	char *path = probe_path(), *key = probe_cache_key();
	struct strbuf cached = STRBUF_INIT;
	const char *accel = NULL;

	if (!util_read_file(path, &cached, 256) &&
	    !strncmp(strbuf_str(&cached), key, strlen(key)) &&
	    cached.buf[strlen(key)] == ' ')
		accel = strstr(cached.buf + strlen(key), "kvm") ? "kvm" : "tcg";
	strbuf_release(&cached);
	free(path);
	free(key);
	return accel;
}

const char *vm_accel_probe(const char *kernel, const char *init)
{
	char *path = probe_path(), *key = probe_cache_key();
	struct strbuf line = STRBUF_INIT;
	const char *accel = "tcg";
	int fd;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		info("probing KVM (a 10 s boot test, once per host boot)");
		if (kvm_boots(kernel, init))
			accel = "kvm";
		else
			info("KVM does not boot a kernel here; using TCG");
	}
	strbuf_addf(&line, "%s %s\n", key, accel);
	util_write_file(path, line.buf, line.len);
	strbuf_release(&line);
	free(path);
	free(key);
	return accel;
}

const char *vm_pick_accel(const char *kernel, const char *init)
{
	const char *env = getenv("KFLAKE_ACCEL"), *accel;

	if (env && (!strcmp(env, "kvm") || !strcmp(env, "tcg")))
		return !strcmp(env, "kvm") ? "kvm" : "tcg";
	accel = vm_accel_cached();
	return accel ? accel : vm_accel_probe(kernel, init);
}
