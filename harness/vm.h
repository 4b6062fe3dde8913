/*
 * vm.h - one QEMU guest: its command line, the console (QEMU's stdout,
 * logged and handed back line by line), the record channel (a
 * virtio-serial port on a socket pair) and the accelerator probe.
 * QEMU runs in a bubblewrap sandbox (sandbox.h) whose root is the
 * curated view the guest gets as its root filesystem over 9p.
 */
#ifndef KFLAKE_VM_H
#define KFLAKE_VM_H

#include "runcmd.h"
#include "strbuf.h"
#include "stress.h"

struct vm_config {
	const char *kernel;	/* bzImage */
	const char *accel;	/* "kvm" or "tcg" */
	int cpus;
	int mem_mb;
	const char *init;	/* absolute path of runners/init */
	const char *outdir;	/* writable share (kflake_out) */
	const char *console_log;
	const char *qemu_log;	/* QEMU's own stderr */
	const char *append;	/* extra kernel command line, may be NULL */
	unsigned stress;	/* enum stress_mode bits (stress.h) */
	/*
	 * What the guest sees of the host besides the system (/usr, /lib*,
	 * /bin, /sbin, some /etc): NULL-terminated list of absolute paths,
	 * read-only (runners, payload, path tests' directories). init must
	 * be below one of them.
	 */
	const char *const *guest_paths;
};

enum vm_event_type {
	VM_EV_TIMEOUT,
	VM_EV_CONSOLE,	/* ev->line is one console line */
	VM_EV_RECORD,	/* ev->line is one record from the guest */
	VM_EV_EXIT,	/* QEMU exited; ev->status */
	VM_EV_INTR,	/* a signal interrupted the wait */
};

struct vm_event {
	enum vm_event_type type;
	const char *line;
	int status;
};

struct vm {
	struct runcmd qemu;
	char **argv;
	int argc;
	int console_fd;
	int chan_fd;
	int console_log_fd;
	char *name;		/* -name kflake-<pid>-<n>: finds our QEMUs */
	struct strbuf con_buf;
	struct strbuf chan_buf;
	struct strbuf line;
	int exited;
	int log_errors;		/* console log writes that failed */
	int exit_status;
	double started;
	unsigned stress_modes;		/* vm_config.stress */
	int cpus;
	struct stress_vm stress;	/* host side of --stress */
};

/* Build the argv (kept in vm->argv) and start QEMU; connect the channel. */
int vm_start(struct vm *vm, const struct vm_config *cfg);
/*
 * Apply the host side of the config's stress modes (stress.h) to the
 * running QEMU; the session calls it once the guest is ready, so the
 * boot runs unstressed. 0, or -1 after an error line.
 */
int vm_stress_start(struct vm *vm);
/* Wait up to timeout seconds for the next event. */
int vm_poll(struct vm *vm, double timeout, struct vm_event *ev);

/* Guests one vm_poll_many() call watches at most. */
#define VM_POLL_MAX 64
/*
 * The next event of any of n VMs (*which: its index), waiting up to
 * timeout seconds. Lines already read come first, taken in turn from each
 * VM so a chatty guest cannot starve the others. A VM reported with
 * VM_EV_EXIT must be stopped and left out of later calls.
 */
int vm_poll_many(struct vm **vms, size_t n, double timeout, size_t *which,
		 struct vm_event *ev);
/* Send text (whole lines, newline included) to the guest over the channel. */
int vm_send(struct vm *vm, const char *line);
/*
 * Console lines already on their way: waits up to wait seconds for more
 * console output, returns 1 with *line set per line, 0 when there is none.
 * Records and console travel on different channels, so a record can
 * overtake the console lines printed before it.
 */
int vm_console_drain(struct vm *vm, double wait, const char **line);
/* Kill QEMU (if running), reap it and release everything. */
void vm_stop(struct vm *vm);
/* The QEMU command line, shell-quoted. */
void vm_cmdline(const struct vm *vm, struct strbuf *out);

/*
 * Pick the accelerator: "kvm" only when /dev/kvm opens and a real boot
 * of kernel with -accel kvm reaches userspace within a few seconds;
 * otherwise "tcg". KFLAKE_ACCEL=kvm|tcg overrides. The answer is cached
 * per host boot and QEMU version.
 */
const char *vm_pick_accel(const char *kernel, const char *init);
/*
 * The probe's cached answer for this host boot and QEMU ("kvm" or
 * "tcg"), or NULL when there is none; and the probe itself, run now
 * (about 10 s when /dev/kvm opens) with its answer cached.
 */
const char *vm_accel_cached(void);
const char *vm_accel_probe(const char *kernel, const char *init);

#endif
