/*
 * snapshot.h - the forensic snapshot runners/forensics takes before a
 * stalled test is killed: stored with the iteration, and read for the
 * class of the stall, which groups stalls the way a fingerprint groups
 * crashes:
 *   tcp-receiver-ahead  the receiver got more than the sender counts as
 *                       sent (rcv_nxt beyond snd_nxt) while the sender
 *                       retransmits the head of its queue: the udpgro
 *                       GSO stall, where the sender rejects the ACKs as
 *                       acknowledging data it never sent
 *   tcp-zero-window     the receiver stopped reading: persist timer armed,
 *                       the peer's Recv-Q full
 *   tcp-rto-backoff     unacknowledged data, no ACK, the retransmit timer
 *                       firing with growing backoff (loss)
 *   tcp-sender-stuck    data waiting and no ACK for a while, nothing more
 *                       specific to say
 *   no-tcp              no TCP connection stuck: a user-space hang (the
 *                       summary lists the test's processes and the tasks
 *                       sysrq-w found blocked)
 */
#ifndef KFLAKE_SNAPSHOT_H
#define KFLAKE_SNAPSHOT_H

#include <jansson.h>

#include "store.h"

/* Sender quiet this long (ms since the last ACK) counts as stuck. */
#define SNAPSHOT_STUCK_MS 1000

/* In increasing order of how much they explain: the label is the highest. */
enum snapshot_class {
	SNAPSHOT_NONE,		/* not a snapshot kflake can read */
	SNAPSHOT_NO_TCP,
	SNAPSHOT_SENDER_STUCK,
	SNAPSHOT_RTO_BACKOFF,
	SNAPSHOT_ZERO_WINDOW,
	SNAPSHOT_RECEIVER_AHEAD,
};

const char *snapshot_class_name(enum snapshot_class c);

/*
 * Classify a snapshot: every TCP socket of every namespace, each sender
 * paired with its receiver. *summary (malloc'ed, NULL when there is
 * nothing to say) has one line per stuck socket with its class and
 * evidence, or the processes for no-tcp.
 */
enum snapshot_class snapshot_classify(const char *text, char **summary);

/*
 * snapshot_classify() as the label stored with it (its class name, NULL
 * for SNAPSHOT_NONE). Returns 1 when a TCP connection is stuck.
 */
int snapshot_analyze(const char *text, char **label, char **summary);

/* Stalls grouped by class, as crashes are by fingerprint. */
struct snapshot_group {
	char *label;		/* the class, or "no snapshot" */
	long iterations, runs, tests;
	char *first_seen, *last_seen;
	long long example;	/* the newest stalled iteration */
	char *summary;		/* its snapshot's summary, or NULL */
	char *test_names;	/* comma-separated */
};

/*
 * The stall classes of one run (run_id > 0) or all, of one test (or
 * all), most frequent first. Returns the count, or -1.
 */
int snapshot_groups(struct store *st, long long run_id, const char *test,
		    struct snapshot_group **out);
void snapshot_groups_release(struct snapshot_group *v, int n);

/* Guest snapshots are read up to this size (the rest is cut). */
#define SNAPSHOT_CAP (512 << 10)

/* Store a snapshot's text (nothing when NULL or empty) for iteration_id. */
int snapshot_store(struct store *st, long long iteration_id,
		   const char *text);

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
