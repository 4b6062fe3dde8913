/*
 * spool.h - the JSON-lines spool between Slurm workers and the
 * coordinator. A worker (one process of one array task) appends to its
 * own file, <run dir>/spool/<task>.jsonl, one line per event:
 *
 *   {"type":"task", "task", "slice", "job", "host", "pid", "vms", "at"}
 *   {"type":"boot", "id":"<task>/boot-N", "seq", "guest", "accel",
 *    "cmdline", "console", "at"}
 *   {"type":"iteration", "boot":"<task>/boot-N", <attempt_to_json()>}
 *       the attempt id is "<task>/<item>": unique per attempt
 *   {"type":"stray", "boot", "crashes":[...]}   reports outside any test
 *   {"type":"boot-end", "id", "ready", "end", "at"}
 *   {"type":"end", "task", "status":"complete"|"interrupted"|"failed",
 *    "error", "at"}
 *
 * Each line is one write() followed by fdatasync(), so a reader on
 * another node (NFS: close-to-open) sees whole lines or nothing new; a
 * line cut short by a killed worker has no newline and is never read.
 * The coordinator, the database's single writer, ingests the new lines
 * of every file in one transaction per file that also moves the file's
 * read position (kept in the state table), so ingesting twice adds
 * nothing; attempt ids (and one row per test and k among attempts) are
 * the second guard.
 */
#ifndef KFLAKE_SPOOL_H
#define KFLAKE_SPOOL_H

#include <jansson.h>

#include "attempt.h"
#include "crash.h"
#include "store.h"

struct spool;

/*
 * Create <dir>/spool/<task>.jsonl (it must not exist) and the task's
 * work directory <dir>/work/<task>, and write the "task" line.
 */
struct spool *spool_create(const char *dir, const char *task, int slice,
			   const char *job, int vms);
/* <dir>/work/<task>: where the worker's boots keep their files. */
const char *spool_workdir(const struct spool *sp);
int spool_boot(struct spool *sp, int seq, int guest, const char *accel,
	       const char *cmdline, const char *console);
int spool_boot_end(struct spool *sp, int seq, double ready,
		   const char *end_reason);
/* Sets a->id to "<task>/<item>" and writes the iteration line. */
int spool_attempt(struct spool *sp, struct attempt *a, int boot_seq);
int spool_stray(struct spool *sp, const struct crash_list *l, int boot_seq);
int spool_end(struct spool *sp, const char *status, const char *err);
void spool_close(struct spool *sp);

/* What the ingest tells its caller, line by line. */
struct spool_ingest {
	struct store *st;
	long long run_id;
	long long kernel_id;
	const char *dir;	/* the run's shared directory */
	const char *artefacts;	/* boot files are copied to <artefacts>/<task> */
	/*
	 * An iteration line was read: fresh is 1 when it was stored now, 0
	 * when that attempt (or that test and k) was already stored.
	 */
	void (*on_iteration)(void *data, const char *task,
			     const struct attempt *a, int fresh);
	/* A "task" or "end" line (the line's JSON object). */
	void (*on_task)(void *data, const char *task, json_t *line);
	void *data;
	/* totals */
	long lines;
	long iterations;	/* stored */
	long duplicates;	/* read again, not stored */
	long bad;		/* lines that are not what a worker writes */
};

/*
 * Ingest the lines added to every spool file of in->dir since the last
 * call (whole lines only). Returns the number of lines read, -1 on a
 * database error (nothing of that file is kept; the next call retries).
 */
int spool_ingest(struct spool_ingest *in);
/* Forget the read positions of run_id's spool (once the run is over). */
void spool_forget(struct store *st, long long run_id);

#endif
