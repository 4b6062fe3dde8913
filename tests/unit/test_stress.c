/*
 * test_stress.c - unit tests of the stress modes: parsing, the canonical
 * name (the pooling key's stress part), the guest's kernel argument, the
 * preflight checks, and the host side on a real process whose threads
 * are named like QEMU's vCPUs (cgroup quota, pinning, SIGSTOP bursts).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool.h"
#include "record.h"
#include "stress.h"
#include "util.h"
#include "test.h"

TEST(stress_parse_and_name)
{
	unsigned m = 99;
	char *s;

	CHECK_INT(stress_parse("cpu", &m), 0);
	CHECK_INT(m, STRESS_CPU);
	CHECK_INT(stress_parse("vcpus,mem,cpu,mem", &m), 0);
	CHECK_INT(m, STRESS_CPU | STRESS_MEM | STRESS_VCPUS);
	/* Sorted and without duplicates, whatever order was given. */
	s = stress_name(m);
	CHECK_STR(s, "cpu,mem,vcpus");
	free(s);
	CHECK_INT(stress_parse("throttle,jitter,net", &m), 0);
	s = stress_name(m);
	CHECK_STR(s, "jitter,net,throttle");
	free(s);
	CHECK_INT(stress_parse("none", &m), 0);
	CHECK_INT(m, 0);
	s = stress_name(0);
	CHECK_STR(s, "");
	free(s);
	m = 7;
	CHECK_INT(stress_parse("", &m), -1);
	CHECK_INT(stress_parse("cpu,", &m), -1);
	CHECK_INT(stress_parse(",cpu", &m), -1);
	CHECK_INT(stress_parse("cpu,,mem", &m), -1);
	CHECK_INT(stress_parse("CPU", &m), -1);
	CHECK_INT(stress_parse("cpus", &m), -1);
	CHECK_INT(stress_parse("none,cpu", &m), -1);
	/* kflake's own mode for oversubscribed --vms: named, not given. */
	CHECK_INT(stress_parse("overcommit", &m), -1);
	CHECK_INT(m, 7);	/* untouched on error */
	s = stress_name(STRESS_OVERCOMMIT | STRESS_THROTTLE | STRESS_CPU);
	CHECK_STR(s, "cpu,overcommit,throttle");
	free(s);
}

/* runs.stress from either writer pools the same: names agree. */
TEST(stress_name_is_pool_canonical)
{
	unsigned m;

	for (m = 0; m < 128; m++) {
		char *a = stress_name(m), *b = pool_stress_canonical(a);

		CHECK_STR(a, b);
		free(a);
		free(b);
	}
}

/* A stressed run's reproduce command asks for the same stress. */
TEST(stress_in_reproduce_command)
{
	struct record_run_info r;
	char *cmd;

	memset(&r, 0, sizeof(r));
	r.commit_id = "abc";
	r.pool.guest_cpus = 2;
	r.pool.stress = "cpu,overcommit,throttle";
	cmd = record_reproduce(&r, "net", "x.sh", NULL);
	CHECK(strstr(cmd, " --stress cpu,throttle ") != NULL);
	CHECK(!strstr(cmd, "overcommit"));
	free(cmd);
	r.pool.stress = "";
	cmd = record_reproduce(&r, "net", "x.sh", NULL);
	CHECK(!strstr(cmd, "--stress"));
	free(cmd);
}

TEST(stress_kernel_arg_guest_modes_only)
{
	char *a = stress_kernel_arg(STRESS_THROTTLE | STRESS_NET | STRESS_CPU);

	CHECK_STR(a, "kflake.stress=cpu,net");
	free(a);
	CHECK(!stress_kernel_arg(STRESS_JITTER | STRESS_VCPUS | STRESS_THROTTLE));
	CHECK(!stress_kernel_arg(0));
}

TEST(stress_preflight_vcpus_needs_two)
{
	CHECK_INT(stress_preflight(STRESS_VCPUS, 1), -1);
	CHECK_INT(stress_preflight(STRESS_VCPUS, 2), 0);
	CHECK_INT(stress_preflight(0, 1), 0);
}

/* --- host side, on a stand-in for QEMU ---------------------------------- */

static void *idle_thread(void *name)
{
	pthread_setname_np(pthread_self(), name);
	for (;;)
		pause();
	return NULL;
}

/* A process with two busy-free threads named "CPU 0/TCG" and "CPU 1/TCG". */
static pid_t fake_qemu(void)
{
	pid_t pid = fork();

	if (!pid) {
		pthread_t a, b;

		pthread_create(&a, NULL, idle_thread, "CPU 0/TCG");
		pthread_create(&b, NULL, idle_thread, "CPU 1/TCG");
		for (;;)
			pause();
	}
	return pid;
}

static char proc_state(pid_t pid)
{
	char *path = xasprintf("/proc/%d/stat", (int)pid), *p;
	struct strbuf sb = STRBUF_INIT;
	char st = '?';

	if (!util_read_file(path, &sb, 4096) && (p = strrchr(sb.buf, ')')))
		st = p[2];
	strbuf_release(&sb);
	free(path);
	return st;
}

TEST(stress_vm_jitter_stops_and_continues)
{
	struct stress_vm sv;
	pid_t q = fake_qemu();
	double end = util_now() + 5;
	int stopped = 0, running = 0;

	CHECK_INT(stress_vm_start(&sv, STRESS_JITTER, q, 2), 0);
	CHECK(sv.agent > 0);
	while (util_now() < end && !(stopped > 3 && running > 3)) {
		char st = proc_state(q);

		stopped += st == 'T';
		running += st == 'S' || st == 'R';
		usleep(3000);
	}
	CHECK(stopped > 3);
	CHECK(running > 3);
	stress_vm_stop(&sv);
	CHECK_INT(sv.agent, 0);
	/* Whatever the agent was doing, QEMU is left running. */
	usleep(20000);
	CHECK(proc_state(q) != 'T');
	stress_vm_release(&sv);
	kill(q, SIGKILL);
	waitpid(q, NULL, 0);
}

/* Whether the file (a cgroup's tasks or quota) has the line v. */
static int file_has_line(const char *path, long v)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *save = NULL;
	int found = 0;

	if (!util_read_file(path, &sb, 1 << 16))
		for (line = strtok_r(sb.buf, "\n", &save); line && !found;
		     line = strtok_r(NULL, "\n", &save))
			found = atol(line) == v;
	strbuf_release(&sb);
	return found;
}

static int tid_of(pid_t pid, const char *name)
{
	char *dir = xasprintf("/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	struct dirent *e;
	int tid = -1;

	while (d && (e = readdir(d))) {
		char *p = xasprintf("%s/%s/comm", dir, e->d_name);
		struct strbuf c = STRBUF_INIT;

		if (!util_read_file(p, &c, 64) && util_starts_with(c.buf, name))
			tid = atoi(e->d_name);
		strbuf_release(&c);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return tid;
}

TEST(stress_vm_throttle_and_pin)
{
	struct stress_vm sv;
	pid_t q;
	char *dir = NULL, *path;
	cpu_set_t set;
	int t0, t1;

	if (stress_preflight(STRESS_THROTTLE, 2)) {
		fprintf(stderr, "    (skipped: no writable cgroup cpu "
			"controller here)\n");
		return;
	}
	q = fake_qemu();
	CHECK_INT(stress_vm_start(&sv, STRESS_THROTTLE | STRESS_VCPUS, q, 2), 0);
	CHECK_INT(sv.threads, 2);
	CHECK(sv.cgroup != NULL);
	t0 = tid_of(q, "CPU 0/");
	t1 = tid_of(q, "CPU 1/");
	CHECK(t0 > 0 && t1 > 0);
	if (sv.cgroup && t0 > 0 && t1 > 0) {
		dir = xstrdup(sv.cgroup);
		path = xasprintf("%s/vcpu0/tasks", dir);
		if (util_file_exists(path)) {	/* cgroup v1: per thread */
			CHECK(file_has_line(path, t0));
			free(path);
			path = xasprintf("%s/vcpu1/tasks", dir);
			CHECK(file_has_line(path, t1));
			free(path);
			path = xasprintf("%s/vcpu1/cpu.cfs_quota_us", dir);
			CHECK(file_has_line(path, 11500));	/* 50% of 23 ms */
		}
		free(path);
		/* Two vCPUs on one host CPU. */
		CHECK_INT(sched_getaffinity(t0, sizeof(set), &set), 0);
		CHECK_INT(CPU_COUNT(&set), 1);
	}
	stress_vm_stop(&sv);
	kill(q, SIGKILL);
	waitpid(q, NULL, 0);
	stress_vm_release(&sv);
	if (dir) {
		CHECK(!util_file_exists(dir));
		free(dir);
	}
}

TEST(stress_vm_no_vcpu_threads_is_an_error)
{
	struct stress_vm sv;
	pid_t q = fork();

	if (!q) {
		pause();
		_exit(0);
	}
	/* A process without vCPU threads: no stress could be applied. */
	kill(q, SIGKILL);
	waitpid(q, NULL, 0);
	CHECK_INT(stress_vm_start(&sv, STRESS_VCPUS, q, 2), -1);
	stress_vm_release(&sv);
}
