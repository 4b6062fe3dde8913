/*
 * crash.h - kernel crash reports found in console output, each with a
 * fingerprint that stays the same across runs, addresses, pids and
 * timings, so that the same bug seen twice is counted once.
 */
#ifndef KFLAKE_CRASH_H
#define KFLAKE_CRASH_H

#include <stddef.h>

/* Frames that go into a fingerprint. */
#define CRASH_FRAMES 4
/* Reports kept per scan; later ones are counted, not stored. */
#define CRASH_MAX_REPORTS 256

struct crash_report {
	/*
	 * oops, bug, warning, panic, kasan, ubsan, kfence, lockdep,
	 * hung_task, soft_lockup, hard_lockup, rcu_stall, refcount,
	 * ref_tracker, kmemleak, gpf, netdev_leak
	 */
	char *kind;
	char *title;		/* normalised first line */
	char *frames;		/* newline-separated normalised frames */
	char *fingerprint;	/* 40 hex digits */
	char *text;		/* the report's raw lines */
	int fatal;		/* the kernel panicked on it */
	unsigned long line;	/* 1-based console line of its first line */
};

struct crash_list {
	struct crash_report *v;
	size_t nr, alloc;
};

struct crash_scanner;

/* Live reading: feed lines (no newline) as they arrive. */
struct crash_scanner *crash_scanner_new(void);
void crash_scanner_feed(struct crash_scanner *sc, const char *line);
/*
 * Move out one completed report (release it with crash_report_release);
 * 1 if there was one. A closed report that a panic may still join is
 * held back for up to 40 lines of its caller (400 lines in all):
 * crash_scanner_finish() hands over whatever is left.
 */
int crash_scanner_pop(struct crash_scanner *sc, struct crash_report *out);
/* A panic line went by: the machine is gone, stop waiting for it. */
int crash_scanner_seen_fatal(const struct crash_scanner *sc);
/* Reports dropped past CRASH_MAX_REPORTS. */
unsigned long crash_scanner_dropped(const struct crash_scanner *sc);
/* Close what is still open and append every unpopped report to out. */
void crash_scanner_finish(struct crash_scanner *sc, struct crash_list *out);
void crash_scanner_free(struct crash_scanner *sc);

/* Scan a whole console log; out must be zeroed or hold earlier reports. */
int crash_scan(const char *text, size_t len, struct crash_list *out);

void crash_report_release(struct crash_report *r);
void crash_list_release(struct crash_list *list);

/* "Kernel panic - not syncing" or its end marker, console prefix or not. */
int crash_is_panic_line(const char *line);

#endif
