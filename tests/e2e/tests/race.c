/*
 * race.c - a use-after-free race with a fixed window, for measuring how
 * much each --stress mode amplifies a timing bug (tests/e2e/96-stress-
 * race.sh, bench/stress-race.sh). Built statically on the host (gcc
 * -static -pthread) and run in the guest as a path test.
 *
 * Two threads share an object:
 *   worker  (nice 19, pinned to CPU 0) checks the object is live, then
 *           works on it for WINDOW_US of CPU time, then uses it;
 *   reaper  (SCHED_FIFO, pinned to CPU 1) is woken by the check and
 *           frees the object DELAY_US later, trusting that the worker is
 *           done by then: a grace period measured in wall time.
 * The bug fires when the worker is kept off its CPU for more than
 * DELAY_US - WINDOW_US in the middle of its window: the reaper frees the
 * object first and the worker's use reads freed memory. A low-priority
 * worker on an otherwise quiet vCPU seldom waits that long (an interrupt,
 * a host preemption, a guest daemon waking on CPU 0); anything that
 * preempts it or stops its vCPU while the other vCPU runs makes it
 * common. That is the shape of many real races (timers that assume the
 * other side finished; lock holders preempted).
 *
 * Each trial: check, window, use; the worker sleeps until the reaper has
 * freed, and the object is made live again. The program runs trials for
 * RUN_MS of wall time and exits 1 at the first use after free, 0 if none
 * happened, 2 when it cannot set itself up (fewer than 2 CPUs, no RT
 * priority). WINDOW_US is CPU time: the spin is calibrated at start from
 * the fastest of several timed runs, so preemption during calibration
 * does not shrink it.
 *
 * The guest's clock matters: a TCG guest whose boot-time TSC calibration
 * failed (it does on a busy host: "could not calculate TSC khz") runs on
 * refined-jiffies, which ticks in 1 ms steps and loses the ticks of a
 * descheduled vCPU, so the grace period is longer in real time there and
 * the race fires less often (plain, 15 ms grace: 38% on tsc, 3-20% on
 * jiffies, 2026-11-30). The first line names the clocksource, so figures
 * can be told apart. DELAY_US = 25 ms keeps the plain rate well below
 * half on either clock (docs/STRESS.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef WINDOW_US
#define WINDOW_US 2000
#endif
#ifndef DELAY_US
#define DELAY_US 25000
#endif
#ifndef RUN_MS
#define RUN_MS 1000
#endif

enum { LIVE = 0x11fe, FREED = 0xdead };

static _Atomic int obj = LIVE;
static _Atomic uint32_t check_seq;	/* worker: trial n checked */
static _Atomic uint32_t free_seq;	/* reaper: trial n freed */
static _Atomic int stop;
static volatile uint64_t sink;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void futex_wait(_Atomic uint32_t *addr, uint32_t val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void spin(uint64_t loops)
{
	uint64_t i, x = sink;

	for (i = 0; i < loops; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	sink = x;
}

/*
 * Loops per microsecond on an unpreempted CPU: the best of 5 runs of 30
 * ms each (long enough for a guest whose clock ticks in jiffies), taken
 * at RT priority so that stress in the guest does not shrink it.
 */
static double calibrate(void)
{
	double best = 0;
	int i;

	for (i = 0; i < 5; i++) {
		double t0 = now_us(), dt;
		uint64_t n = 0;

		do {
			spin(10000);
			n += 10000;
			dt = now_us() - t0;
		} while (dt < 30000);
		if ((double)n / dt > best)
			best = (double)n / dt;
	}
	return best;
}

/* The guest's clocksource ("tsc", "refined-jiffies"), or "?". */
static void clocksource(char *buf, size_t len)
{
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/"
			"current_clocksource", "r");

	snprintf(buf, len, "?");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void *reaper(void *arg)
{
	struct sched_param sp = { .sched_priority = 10 };
	uint32_t n = 0;

	(void)arg;
	if (pin(1) || sched_setscheduler(0, SCHED_FIFO, &sp)) {
		perror("race: reaper setup");
		exit(2);
	}
	for (;;) {
		struct timespec t;
		uint32_t c;

		while ((c = atomic_load(&check_seq)) == n && !atomic_load(&stop))
			futex_wait(&check_seq, n);
		if (atomic_load(&stop))
			return NULL;
		n = c;
		/* The grace period: wall time from the wake-up. */
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += (long)DELAY_US * 1000;
		while (t.tv_nsec >= 1000000000L) {
			t.tv_nsec -= 1000000000L;
			t.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) ==
		       EINTR)
			;
		atomic_store(&obj, FREED);
		atomic_store(&free_seq, n);
		futex_wake(&free_seq);
	}
}

int main(void)
{
	struct sched_param rt = { .sched_priority = 10 }, normal = { 0 };
	double per_us, start, stretch = 0;
	uint64_t loops;
	pthread_t th;
	uint32_t n = 0;
	int hit = 0;
	char clock[64];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("race: needs 2 CPUs\n");
		return 2;
	}
	/* Calibrate at RT priority, where nothing beside us slows it. */
	if (pin(0) || sched_setscheduler(0, SCHED_FIFO, &rt)) {
		perror("race: worker setup");
		return 2;
	}
	per_us = calibrate();
	if (sched_setscheduler(0, SCHED_OTHER, &normal) ||
	    setpriority(PRIO_PROCESS, 0, 19)) {
		perror("race: worker setup");
		return 2;
	}
	loops = (uint64_t)(per_us * WINDOW_US);
	clocksource(clock, sizeof(clock));
	printf("race: window %d us (%llu loops), grace %d us, %d ms, clock %s\n",
	       WINDOW_US, (unsigned long long)loops, DELAY_US, RUN_MS, clock);
	if (pthread_create(&th, NULL, reaper, NULL)) {
		printf("race: cannot start the reaper\n");
		return 2;
	}
	start = now_us();
	while (now_us() - start < RUN_MS * 1000.0) {
		double t0;
		int seen;

		n++;
		/* check */
		if (atomic_load(&obj) != LIVE)
			break;
		atomic_store(&check_seq, n);
		futex_wake(&check_seq);
		t0 = now_us();
		spin(loops);		/* the window */
		seen = atomic_load(&obj);	/* use */
		if (now_us() - t0 > stretch)
			stretch = now_us() - t0;
		if (seen != LIVE) {
			hit = 1;
			break;
		}
		while (atomic_load(&free_seq) != n)
			futex_wait(&free_seq, atomic_load(&free_seq));
		atomic_store(&obj, LIVE);
	}
	printf("race: %u trial(s), longest window %.0f us: %s\n", n, stretch,
	       hit ? "USE AFTER FREE (the reaper freed first)" : "no race");
	atomic_store(&stop, 1);
	atomic_store(&check_seq, n + 1);
	futex_wake(&check_seq);
	if (!hit)
		pthread_join(th, NULL);
	return hit;
}
