/*
 * attempt.h - one attempt at one iteration: everything it produced
 * (outcome, output, console excerpt, crash reports, stall snapshot), its
 * JSON form (a line of a Slurm worker's spool) and its single writer into
 * the database. A local session and the spool ingest store iterations
 * through the same attempt_store(), so both leave identical rows.
 */
#ifndef KFLAKE_ATTEMPT_H
#define KFLAKE_ATTEMPT_H

#include <jansson.h>

#include "crash.h"
#include "record.h"
#include "store.h"

struct attempt {
	char *id;		/* unique attempt id (spool); NULL when local */
	int item;		/* position in the run's plan */
	char *test;
	char *suite;
	int seq;		/* k of N for this test */
	enum record_outcome outcome;
	int rc;			/* < 0: the test did not exit by itself */
	char *reason;
	double duration;
	double guest_duration;	/* < 0: unknown */
	double timeout;
	double max_silence;	/* < 0: unknown */
	char *output;		/* capped, may be NULL */
	char *console;		/* console lines printed meanwhile, capped */
	struct crash_list crashes;	/* reports, decoded when possible */
	char *snapshot;		/* stall forensics, NULL when none */
	char *artefact_error;	/* guest files refused or cut, NULL: none */
	double started_at;	/* wall clock */
	double finished_at;
};

void attempt_release(struct attempt *a);

/*
 * Write the iteration, its sub-results and metrics (parsed from the
 * output), its crash reports and snapshot, inside the caller's
 * transaction. Returns the iteration id, 0 when an attempt with the same
 * id, or another attempt of the same item of the run, is already stored
 * (nothing is written twice), or -1 on error.
 */
long long attempt_store(struct store *st, const struct attempt *a,
			long long run_id, long long boot_id,
			long long kernel_id);

/*
 * The attempt as a JSON object (new reference). Text that is not valid
 * UTF-8 (a test's output may be anything) has its bad bytes replaced by
 * U+FFFD: JSON carries only Unicode.
 */
json_t *attempt_to_json(const struct attempt *a);
/*
 * Fill a from a JSON object made by attempt_to_json(); -1 (and *why set
 * to a static text) when a field is missing or of the wrong type.
 */
int attempt_from_json(json_t *o, struct attempt *a, const char **why);

/* Crash reports as a JSON array, and back (appending to l). */
json_t *attempt_crashes_to_json(const struct crash_list *l);
int attempt_crashes_from_json(json_t *arr, struct crash_list *l);

#endif
