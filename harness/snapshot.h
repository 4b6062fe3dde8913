/*
 * snapshot.h - the forensic snapshot runners/forensics takes before a
 * stalled test is killed: stored with the iteration, and read for the
 * one pattern that explains the known udpgro stall, a TCP sender with
 * unacknowledged data that has heard no ACK for a long time.
 */
#ifndef KFLAKE_SNAPSHOT_H
#define KFLAKE_SNAPSHOT_H

#include <jansson.h>

#include "store.h"

/* Sender quiet this long (ms since the last ACK) counts as stuck. */
#define SNAPSHOT_STUCK_MS 1000

/*
 * Read the `ss -tinm` sections of a snapshot. Returns 1 and sets *label
 * ("tcp-sender-stuck") and *summary (one line per stuck socket) when a
 * sender is stuck, 0 otherwise (*label "no-stuck-tcp-sender" when TCP
 * sockets were seen, NULL when none were).
 */
int snapshot_analyze(const char *text, char **label, char **summary);

/* Store outdir/<item>.snapshot (if the guest wrote one) for iteration_id. */
int snapshot_store(struct store *st, long long iteration_id,
		   const char *outdir, int item);

/* A stored snapshot, with the iteration it belongs to. */
struct snapshot_info {
	long long id, iteration_id;
	char *test;
	int seq;
	char *label, *summary;	/* NULL when the analysis found nothing */
	char *content;
};
/*
 * The snapshots of one iteration (iteration_id), or of every iteration
 * of a run (run_id), oldest first, at most limit (*more: there are more).
 */
int snapshot_list(struct store *st, long long run_id, long long iteration_id,
		  long limit, struct snapshot_info **out, int *more);
void snapshot_list_release(struct snapshot_info *v, int n);
json_t *snapshot_json(const struct snapshot_info *s);

#endif
