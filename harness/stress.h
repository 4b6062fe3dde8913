/*
 * stress.h - stress modes: load and timing noise beside a test, so that
 * rare timing bugs (races, stalls) show up in fewer iterations. This
 * module owns the modes' names and what each does and costs, their
 * canonical form (the `runs.stress` column, part of the pooling key),
 * the checks that the host can apply them, and the host side of a
 * running guest: CPU quota and pinning of QEMU's vCPU threads, SIGSTOP/
 * SIGCONT bursts. The guest side (busy loops, memory pressure, network
 * noise) is runners/stress, told its modes on the kernel command line
 * (kflake.stress=...). docs/STRESS.md has the modes and their measured
 * effect.
 */
#ifndef KFLAKE_STRESS_H
#define KFLAKE_STRESS_H

#include <sys/types.h>

#include "strbuf.h"

enum stress_mode {
	STRESS_CPU = 1 << 0,		/* guest: busy loops beside the test */
	STRESS_JITTER = 1 << 1,		/* host: SIGSTOP/SIGCONT bursts */
	STRESS_MEM = 1 << 2,		/* guest: memory pressure */
	STRESS_NET = 1 << 3,		/* guest: softirq and network noise */
	STRESS_THROTTLE = 1 << 4,	/* host: CPU quota per vCPU thread */
	STRESS_VCPUS = 1 << 5,		/* host: two vCPUs per host core */
	/*
	 * Not a --stress value: kflake sets it on a run whose parallel
	 * guests (--vms) share host cores, so its iterations pool apart.
	 */
	STRESS_OVERCOMMIT = 1 << 6,
};

/* The modes runners/stress applies inside the guest. */
#define STRESS_GUEST_MODES (STRESS_CPU | STRESS_MEM | STRESS_NET)

/*
 * Parse "--stress" text: a comma list of mode names, or "none". Returns
 * 0 with *modes set, or -1 after one error line naming the bad mode.
 */
int stress_parse(const char *arg, unsigned *modes);
/* The same, with the problem in err (e.g. for a plan file's field). */
int stress_parse_err(const char *arg, unsigned *modes, struct strbuf *err);
/*
 * The canonical form: names sorted, comma-separated, "" for none. This
 * is what runs.stress holds, so "mem,cpu" and "cpu,mem" pool together.
 */
char *stress_name(unsigned modes);
/* One line per mode for --help texts ("  cpu   guest: ..."). */
void stress_help(struct strbuf *out);

/*
 * Whether this host can apply the modes to a guest with cpus vCPUs:
 * the cgroup CPU controller is writable (throttle), cpus >= 2 (vcpus).
 * 0 when all is well, else -1 after one error line per problem. (The
 * guest's tools are doctor's: doctor_preflight checks them.)
 */
int stress_preflight(unsigned modes, int cpus);

/* The kernel command line word for the guest modes, or NULL (malloc'ed). */
char *stress_kernel_arg(unsigned modes);

/* The host side of one running QEMU. */
struct stress_vm {
	unsigned modes;
	pid_t qemu;
	pid_t agent;		/* jitter: the process sending SIGSTOP/SIGCONT */
	char *cgroup;		/* throttle: this boot's cgroup, removed at release */
	int threads;		/* vCPU threads found */
};

/*
 * Apply the host modes to a QEMU that has started (waits, briefly, for
 * its vCPU threads: QEMU names them "CPU n/TCG" with debug-threads=on).
 * Returns 0, or -1 after an error line: a run must not be recorded as
 * stressed when the stress could not be applied.
 */
int stress_vm_start(struct stress_vm *sv, unsigned modes, pid_t qemu,
		    int cpus);
/* Before QEMU is killed: end the jitter agent and leave QEMU running. */
void stress_vm_stop(struct stress_vm *sv);
/* After QEMU is reaped: remove the boot's cgroups. */
void stress_vm_release(struct stress_vm *sv);

#endif
