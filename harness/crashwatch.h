/*
 * crashwatch.h - follows one boot's console for kernel crash reports,
 * answers "did the kernel die or warn during this iteration?", and files
 * the reports (grouped by fingerprint) with the iteration in the database.
 */
#ifndef KFLAKE_CRASHWATCH_H
#define KFLAKE_CRASHWATCH_H

#include <jansson.h>

#include "crash.h"
#include "store.h"

struct crashwatch;

/*
 * vmlinux and srcdir, when both are given, decode stored reports with the
 * tree's scripts/decode_stacktrace.sh (worth it only with debug info).
 */
struct crashwatch *crashwatch_new(const char *vmlinux, const char *srcdir);
void crashwatch_free(struct crashwatch *w);
void crashwatch_feed(struct crashwatch *w, const char *line);
/* A new iteration starts: forget the reports of the previous one. */
void crashwatch_reset(struct crashwatch *w);
/* The VM is gone: close reports still open. */
void crashwatch_finish(struct crashwatch *w);
/* What the current iteration's reports mean for its outcome. */
void crashwatch_verdict(struct crashwatch *w, int *fatal, int *warn,
			const char **title);
/*
 * Move the current iteration's reports into out (zeroed first; release
 * with crash_list_release), their text decoded when vmlinux and srcdir
 * were given. The watch is ready for the next iteration.
 */
void crashwatch_take(struct crashwatch *w, struct crash_list *out);
/*
 * Store reports (crashes grouped by fingerprint, one crash_hits row
 * each, and iterations.crash_id = the first report that is not a bare
 * panic line). iteration_id 0 (and test NULL): reports printed outside
 * any test, kept against the run alone. Runs inside the caller's
 * transaction.
 */
int crashwatch_store(struct store *st, const struct crash_list *l,
		     long long iteration_id, long long run_id,
		     long long kernel_id, const char *test);

/* Reads of the crashes and crash_hits tables -------------------------------- */

struct crash_info {
	long long id;
	char *fingerprint, *kind, *title, *frames, *report;
	char *first_seen, *last_seen;
	long count;		/* sightings in all */
	/* crashwatch_run_list() only: this run's sightings. */
	long run_hits, outside;	/* outside: booting or between tests */
	char *iterations;	/* ids, comma-separated, or NULL */
};
struct crash_hit_info {
	long long id, crash_id, run_id;
	long long iteration_id, kernel_id;	/* 0: none */
	char *test;		/* NULL outside any test */
	char *commit_id, *seen_at;
};
/* 0, 1 when there is no such crash, -1 on error. */
int crashwatch_load(struct store *st, long long id, struct crash_info *c);
/* Newest sighting first; a page of limit (report and frames left NULL). */
int crashwatch_list(struct store *st, long page, long limit,
		    struct crash_info **out, int *more);
/* The crashes one run saw, with its own counts, by crash id. */
int crashwatch_run_list(struct store *st, long long run_id,
			struct crash_info **out);
/* Sightings of one crash, newest first. */
int crashwatch_hits(struct store *st, long long crash_id, long page,
		    long limit, struct crash_hit_info **out, int *more);
void crashwatch_info_release(struct crash_info *c);
void crashwatch_list_release(struct crash_info *v, int n);
void crashwatch_hits_release(struct crash_hit_info *v, int n);
json_t *crashwatch_json(const struct crash_info *c);
json_t *crashwatch_hit_json(const struct crash_hit_info *h);

#endif
