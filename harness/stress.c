/*
 * stress.c - stress modes (see stress.h): names, checks, and the host
 * side of a running QEMU.
 *
 * Host modes act on QEMU's vCPU threads, found by name (vm.c starts QEMU
 * with debug-threads=on: "CPU 0/TCG", "CPU 1/KVM"):
 *   throttle  cgroup v1: each vCPU thread in a cpu cgroup of its own,
 *             with a 50% CFS quota and a period of its own (20, 23, 29 ms
 *             ...: stops of 10-24 ms), so the vCPUs stop and run out of step and one vCPU
 *             waits while another holds a lock or fills a queue. cgroup
 *             v2 cannot split a process's threads across domains without
 *             threaded subtrees, so there the whole QEMU gets the quota
 *             (cpu.max) and the vCPUs stop together.
 *   vcpus     the vCPU threads pinned to half as many host CPUs: two
 *             vCPUs share each host core, and the host preempts one
 *             while the other runs.
 *   jitter    a small agent process stops QEMU (SIGSTOP) for 2-50 ms at
 *             random intervals of 20-200 ms: guest time jumps, timers
 *             fire late and in bunches.
 * A run is only ever recorded as stressed if the stress was applied:
 * every failure here is an error, not a warning.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"
#include "util.h"

struct stress_info {
	const char *name;
	unsigned bit;
	const char *what;
};

/* Sorted by name: the canonical form lists modes in this order. */
static const struct stress_info modes[] = {
	{ "cpu", STRESS_CPU, "guest: a busy loop on every vCPU beside the "
	  "test, at the test's priority (the test gets about half of each "
	  "vCPU)" },
	{ "jitter", STRESS_JITTER, "host: QEMU stopped (SIGSTOP) for 2-50 ms "
	  "every 20-200 ms (~20% of wall time)" },
	{ "mem", STRESS_MEM, "guest: stress-ng keeps allocating, touching and "
	  "freeing 75% of free memory (reclaim, allocation slow paths)" },
	{ "net", STRESS_NET, "guest: UDP floods over a veth pair with netem "
	  "delay/jitter/reorder, in namespaces of their own (softirq noise; "
	  "the test's own devices are left alone)" },
	{ "overcommit", STRESS_OVERCOMMIT, NULL },
	{ "throttle", STRESS_THROTTLE, "host: a 50% CPU quota on each vCPU "
	  "thread, each with its own period (cgroup cpu controller)" },
	{ "vcpus", STRESS_VCPUS, "host: the vCPU threads pinned to half as "
	  "many host CPUs (two vCPUs per core; needs --cpus 2 or more)" },
};

#define STRESS_AGENT_RUN_MS 20, 200	/* QEMU runs this long ... */
#define STRESS_AGENT_STOP_MS 2, 50	/* ... then stops this long */
#define STRESS_THREAD_WAIT 10.0		/* s for QEMU's vCPU threads */
#define STRESS_QUOTA_PERCENT 50

int stress_parse_err(const char *arg, unsigned *out, struct strbuf *err)
{
	const char *p = arg;
	unsigned m = 0;

	if (!strcmp(arg, "none")) {
		*out = 0;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < ARRAY_SIZE(modes); i++)
			if (strlen(modes[i].name) == len &&
			    !strncmp(p, modes[i].name, len))
				break;
		if (!len) {
			strbuf_addf(err, "%s: an empty mode name", arg);
			return -1;
		}
		if (len == 4 && !strncmp(p, "none", 4)) {
			strbuf_addf(err, "%s: 'none' stands alone", arg);
			return -1;
		}
		if (i < ARRAY_SIZE(modes) && !modes[i].what) {
			strbuf_addf(err, "%s: kflake sets '%s' itself (when "
				    "--vms makes guests share host cores)", arg,
				    modes[i].name);
			return -1;
		}
		if (i == ARRAY_SIZE(modes)) {
			strbuf_addf(err, "%s: unknown mode '%.*s' (modes: cpu, "
				    "jitter, mem, net, throttle, vcpus, or none)",
				    arg, (int)len, p);
			return -1;
		}
		m |= modes[i].bit;
		p += len;
		if (*p == ',' && !*++p) {
			strbuf_addf(err, "%s: an empty mode name", arg);
			return -1;
		}
	}
	if (!m) {
		strbuf_addf(err, "'%s': expected a mode (cpu, jitter, mem, "
			    "net, throttle, vcpus) or none", arg);
		return -1;
	}
	*out = m;
	return 0;
}

int stress_parse(const char *arg, unsigned *out)
{
	struct strbuf err = STRBUF_INIT;
	int ret = stress_parse_err(arg, out, &err);

	if (ret)
		error("--stress %s", err.buf);
	strbuf_release(&err);
	return ret;
}

char *stress_name(unsigned m)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&sb, "");
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if (m & modes[i].bit)
			strbuf_addf(&sb, "%s%s", sb.len ? "," : "",
				    modes[i].name);
	return strbuf_detach(&sb);
}

/* Help text: "  name      what", wrapped at 78 columns under the text. */
void stress_help(struct strbuf *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		const char *w = modes[i].what;
		size_t col = 14, first = 1;

		if (!w)
			continue;
		strbuf_addf(out, "  %-10s  ", modes[i].name);
		while (*w) {
			size_t len = strcspn(w, " ");

			if (!first && col + 1 + len > 78) {
				strbuf_addstr(out, "\n              ");
				col = 14;
			} else if (!first) {
				strbuf_addch(out, ' ');
				col++;
			}
			strbuf_add(out, w, len);
			col += len;
			first = 0;
			w += len;
			while (*w == ' ')
				w++;
		}
		strbuf_addch(out, '\n');
	}
}

char *stress_kernel_arg(unsigned m)
{
	char *names, *arg;

	if (!(m & STRESS_GUEST_MODES))
		return NULL;
	names = stress_name(m & STRESS_GUEST_MODES);
	arg = xasprintf("kflake.stress=%s", names);
	free(names);
	return arg;
}

/* --- cgroups ----------------------------------------------------------- */

/*
 * The directory to make this process's stress cgroups in: the cpu
 * controller's v1 mount (or the v2 mount, *v2 set) joined with the
 * cgroup kflake runs in, so a delegated subtree is respected.
 */
static char *cgroup_base(int *v2)
{
	struct strbuf mounts = STRBUF_INIT, self = STRBUF_INIT;
	char *mnt1 = NULL, *mnt2 = NULL, *base = NULL, *line, *save = NULL;
	char own1[512] = "", own2[512] = "";

	if (util_read_file("/proc/self/mounts", &mounts, 1 << 20) ||
	    util_read_file("/proc/self/cgroup", &self, 1 << 16))
		goto out;
	for (line = strtok_r(mounts.buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char dev[256], dir[512], type[64], opts[512], *o, *s2 = NULL;

		if (sscanf(line, "%255s %511s %63s %511s", dev, dir, type,
			   opts) != 4)
			continue;
		if (!strcmp(type, "cgroup2") && !mnt2)
			mnt2 = xstrdup(dir);
		if (strcmp(type, "cgroup") || mnt1)
			continue;
		for (o = strtok_r(opts, ",", &s2); o; o = strtok_r(NULL, ",", &s2))
			if (!strcmp(o, "cpu"))
				mnt1 = xstrdup(dir);
	}
	save = NULL;
	for (line = strtok_r(self.buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char ctl[256], path[512];

		if (sscanf(line, "%*d:%255[^:]:%511s", ctl, path) == 2) {
			char *c, *s2 = NULL;

			for (c = strtok_r(ctl, ",", &s2); c;
			     c = strtok_r(NULL, ",", &s2))
				if (!strcmp(c, "cpu"))
					snprintf(own1, sizeof(own1), "%s", path);
		} else if (sscanf(line, "0::%511s", path) == 1) {
			snprintf(own2, sizeof(own2), "%s", path);
		}
	}
	*v2 = 0;
	if (mnt1) {
		base = xasprintf("%s%s", mnt1, strcmp(own1, "/") ? own1 : "");
	} else if (mnt2) {
		char *ctl = xasprintf("%s/cgroup.controllers", mnt2);
		struct strbuf c = STRBUF_INIT;

		if (!util_read_file(ctl, &c, 4096) &&
		    (strstr(c.buf, "cpu ") || strstr(c.buf, "cpu\n"))) {
			base = xasprintf("%s%s", mnt2,
					 strcmp(own2, "/") ? own2 : "");
			*v2 = 1;
		}
		strbuf_release(&c);
		free(ctl);
	}
out:
	free(mnt1);
	free(mnt2);
	strbuf_release(&mounts);
	strbuf_release(&self);
	return base;
}

static int write_str(const char *dir, const char *file, const char *val)
{
	char *path = xasprintf("%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	int ret = 0;

	/* Kernel files take one write; a buffered fclose reports its error. */
	if (!f || fputs(val, f) == EOF)
		ret = -1;
	if (f && fclose(f))
		ret = -1;
	if (ret)
		error("%s: cannot write '%s': %s", path, val, strerror(errno));
	free(path);
	return ret;
}

static int write_num(const char *dir, const char *file, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return write_str(dir, file, buf);
}

static int seq;		/* boots this process has stressed */

/* Make the cgroup kflake-PID-tag under base; its path, or NULL. */
static char *cgroup_make(const char *base, const char *tag)
{
	char *dir = xasprintf("%s/kflake-%d-%s", base, (int)getpid(), tag);

	if (mkdir(dir, 0755) && errno != EEXIST) {
		error("--stress throttle: cannot create cgroup %s: %s", dir,
		      strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

static void cgroup_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		if (!strncmp(e->d_name, "vcpu", 4)) {
			char *v = xasprintf("%s/%s", dir, e->d_name);

			rmdir(v);
			free(v);
		}
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Cgroups of kflake processes that died without removing them. */
static void remove_stale(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		long pid;
		char *dir;

		if (sscanf(e->d_name, "kflake-%ld-", &pid) != 1 || pid <= 0 ||
		    !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		dir = xasprintf("%s/%s", base, e->d_name);
		cgroup_remove(dir);
		free(dir);
	}
	if (d)
		closedir(d);
}

/* Different periods keep the vCPUs' throttled stretches out of step. */
static long period_us(int i)
{
	static const int ms[] = { 20, 23, 29, 31, 37, 41, 43, 47 };

	return ms[i % (int)ARRAY_SIZE(ms)] * 1000L;
}

/* Put thread tid (vCPU i) in a cgroup of its own below dir (v1). */
static int throttle_thread(const char *dir, int i, pid_t tid)
{
	char *sub = xasprintf("%s/vcpu%d", dir, i);
	long p = period_us(i);
	int ret = -1;

	if (mkdir(sub, 0755) && errno != EEXIST) {
		error("--stress throttle: cannot create cgroup %s: %s", sub,
		      strerror(errno));
		goto out;
	}
	if (write_num(sub, "cpu.cfs_period_us", p) ||
	    write_num(sub, "cpu.cfs_quota_us", p * STRESS_QUOTA_PERCENT / 100) ||
	    write_num(sub, "tasks", tid))
		goto out;
	ret = 0;
out:
	free(sub);
	return ret;
}

/* v2: the whole QEMU in one cgroup with cpus x 50% of a CPU. */
static int throttle_process(const char *base, const char *dir, pid_t qemu,
			    int cpus)
{
	char max[64];
	long p = period_us(0);

	/* Fails harmlessly when the controller is already enabled. */
	write_str(base, "cgroup.subtree_control", "+cpu");
	snprintf(max, sizeof(max), "%ld %ld",
		 p * cpus * STRESS_QUOTA_PERCENT / 100, p);
	if (write_str(dir, "cpu.max", max) ||
	    write_num(dir, "cgroup.procs", qemu))
		return -1;
	return 0;
}

/* --- checks ------------------------------------------------------------ */

/* Create (and remove) a cgroup with a quota: what every boot will do. */
static int probe_throttle(void)
{
	int v2 = 0, ret;
	char *base = cgroup_base(&v2), *dir;

	if (!base)
		return error("--stress throttle: no cgroup cpu controller is "
			     "mounted (cgroup v1 'cpu' or v2 with 'cpu' in "
			     "cgroup.controllers)");
	remove_stale(base);
	dir = cgroup_make(base, "probe");
	if (!dir) {
		free(base);
		return -1;
	}
	ret = v2 ? write_str(dir, "cpu.max", "50000 100000")
		 : write_num(dir, "cpu.cfs_quota_us", 50000);
	cgroup_remove(dir);
	free(dir);
	free(base);
	return ret ? error("--stress throttle: the cpu controller is not "
			   "writable here (kflake must run as root or in a "
			   "delegated cgroup)") : 0;
}

/*
 * The guest's tools (stress-ng, taskset, ip, tc) are checked by doctor
 * with every other guest program; this checks what only stress needs.
 */
int stress_preflight(unsigned m, int cpus)
{
	int ret = 0;

	if ((m & STRESS_VCPUS) && cpus < 2)
		ret = error("--stress vcpus: needs a guest of 2 or more vCPUs "
			    "(--cpus %d)", cpus);
	if ((m & STRESS_THROTTLE) && probe_throttle())
		ret = -1;
	return ret;
}

/* --- the running guest -------------------------------------------------- */

/*
 * QEMU's vCPU threads ("CPU 0/TCG"; "ALL CPUs/TCG" for single-threaded
 * TCG) into tids[] (at most max); returns how many.
 */
static int vcpu_threads(pid_t qemu, pid_t *tids, int *index, int max)
{
	char *dir = xasprintf("/proc/%d/task", (int)qemu);
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) && n < max) {
		char *p = xasprintf("%s/%s/comm", dir, e->d_name);
		struct strbuf comm = STRBUF_INIT;
		int cpu = 0;

		if (!util_read_file(p, &comm, 64) &&
		    (sscanf(comm.buf, "CPU %d/", &cpu) == 1 ||
		     !strncmp(comm.buf, "ALL CPUs/", 9))) {
			index[n] = cpu;
			tids[n++] = (pid_t)atoi(e->d_name);
		}
		strbuf_release(&comm);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}

/* vCPU threads appear once QEMU has built the machine: wait for all. */
static int wait_threads(pid_t qemu, int cpus, pid_t *tids, int *index)
{
	double deadline = util_now() + STRESS_THREAD_WAIT, one = 0;
	int n = 0;

	while (util_now() < deadline) {
		n = vcpu_threads(qemu, tids, index, cpus);
		if (n == cpus)
			return n;
		/* Single-threaded TCG: one thread runs every vCPU. */
		if (n == 1 && !one)
			one = util_now();
		if (n == 1 && util_now() - one > 1.0)
			return n;
		if (kill(qemu, 0))
			break;
		usleep(10000);
	}
	if (n > 0)
		return n;
	return error("--stress: no vCPU threads in QEMU process %d",
		     (int)qemu);
}

/* Two vCPUs per host CPU, on host CPUs kflake may use. */
static int pin_threads(const pid_t *tids, int n, int cpus)
{
	cpu_set_t allowed, set;
	int ids[CPU_SETSIZE], nids = 0, want = cpus / 2, i, start;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return error("sched_getaffinity: %s", strerror(errno));
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &allowed))
			ids[nids++] = i;
	if (want < 1)
		want = 1;
	if (want > nids)
		want = nids;
	/* Parallel guests start at different host CPUs. */
	start = (int)(getpid() + seq) % nids;
	CPU_ZERO(&set);
	for (i = 0; i < want; i++)
		CPU_SET(ids[(start + i) % nids], &set);
	for (i = 0; i < n; i++)
		if (sched_setaffinity(tids[i], sizeof(set), &set))
			return error("--stress vcpus: cannot pin thread %d: %s",
				     (int)tids[i], strerror(errno));
	return 0;
}

static volatile pid_t agent_target;

static void agent_quit(int sig)
{
	(void)sig;
	kill(agent_target, SIGCONT);
	_exit(0);
}

static void sleep_ms(double ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
			       (long)((ms - (double)(long)(ms / 1000) * 1000) *
				      1e6) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double uniform(unsigned short *x, double lo, double hi)
{
	return lo + (hi - lo) * erand48(x);
}

/*
 * The jitter agent: a child that stops and continues QEMU until told to
 * quit (SIGTERM, also sent when kflake dies), leaving QEMU running.
 */
static void agent_main(pid_t qemu, pid_t parent)
{
	unsigned short x[3] = { (unsigned short)getpid(),
				(unsigned short)qemu,
				(unsigned short)time(NULL) };
	struct sigaction sa;

	agent_target = qemu;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = agent_quit;
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		agent_quit(0);
	for (;;) {
		sleep_ms(uniform(x, STRESS_AGENT_RUN_MS));
		if (kill(qemu, SIGSTOP))
			_exit(0);
		sleep_ms(uniform(x, STRESS_AGENT_STOP_MS));
		kill(qemu, SIGCONT);
	}
}

static int start_agent(struct stress_vm *sv)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return error("--stress jitter: fork: %s", strerror(errno));
	if (!pid)
		agent_main(sv->qemu, parent);
	sv->agent = pid;
	return 0;
}

static int start_throttle(struct stress_vm *sv, const pid_t *tids,
			  const int *index, int n, int cpus)
{
	int v2 = 0, i;
	char *base = cgroup_base(&v2), tag[16];

	if (!base)
		return error("--stress throttle: no cgroup cpu controller");
	snprintf(tag, sizeof(tag), "%d", seq);
	sv->cgroup = cgroup_make(base, tag);
	if (!sv->cgroup) {
		free(base);
		return -1;
	}
	if (v2) {
		i = throttle_process(base, sv->cgroup, sv->qemu, cpus);
		free(base);
		return i;
	}
	free(base);
	for (i = 0; i < n; i++)
		if (throttle_thread(sv->cgroup, index[i], tids[i]))
			return -1;
	return 0;
}

int stress_vm_start(struct stress_vm *sv, unsigned m, pid_t qemu, int cpus)
{
	pid_t *tids;
	int *index, n;
	int ret = -1;

	memset(sv, 0, sizeof(*sv));
	seq++;
	sv->modes = m;
	sv->qemu = qemu;
	if (!(m & (STRESS_THROTTLE | STRESS_VCPUS | STRESS_JITTER)))
		return 0;
	tids = xcalloc((size_t)cpus, sizeof(*tids));
	index = xcalloc((size_t)cpus, sizeof(*index));
	if (m & (STRESS_THROTTLE | STRESS_VCPUS)) {
		n = wait_threads(qemu, cpus, tids, index);
		if (n < 0)
			goto out;
		sv->threads = n;
		if ((m & STRESS_THROTTLE) &&
		    start_throttle(sv, tids, index, n, cpus))
			goto out;
		if ((m & STRESS_VCPUS) && pin_threads(tids, n, cpus))
			goto out;
	}
	if ((m & STRESS_JITTER) && start_agent(sv))
		goto out;
	ret = 0;
out:
	free(tids);
	free(index);
	return ret;
}

void stress_vm_stop(struct stress_vm *sv)
{
	if (sv->agent > 0) {
		kill(sv->agent, SIGTERM);
		while (waitpid(sv->agent, NULL, 0) < 0 && errno == EINTR)
			;
		sv->agent = 0;
		/* The agent may have died between a stop and its continue. */
		if (sv->qemu > 0)
			kill(sv->qemu, SIGCONT);
	}
}

void stress_vm_release(struct stress_vm *sv)
{
	stress_vm_stop(sv);
	if (sv->cgroup) {
		cgroup_remove(sv->cgroup);
		free(sv->cgroup);
		sv->cgroup = NULL;
	}
	sv->qemu = 0;
}
