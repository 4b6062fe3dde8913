/*
 * nipa.h - imports NIPA's contest results (github.com/linux-netdev/nipa,
 * contest/) as iterations from an external source: one run of kind
 * 'import' per (remote, executor, branch), one iteration per test, a
 * second one marked retry = 1 when NIPA retried it, and the nested
 * sub-results. What kflake computes on its own runs (Wilson intervals,
 * change-point alerts along the branches) then works on NIPA's data.
 */
#ifndef KFLAKE_NIPA_H
#define KFLAKE_NIPA_H

#include "store.h"

struct nipa_result {
	int runs;		/* runs imported now */
	int known;		/* runs already imported before: skipped */
	int pending;		/* runs NIPA has not finished (results null) */
	int iterations;		/* first attempts */
	int retries;
	int subresults;
	char **streams;		/* the streams touched (for the alert scan) */
	int nstreams;
};

/*
 * Read src (a file, or an http(s) URL) in any of NIPA's shapes: one
 * run's results file ({executor, branch, start, end, results: [...]}),
 * a list of them (the collector's combined all-results.json, each with
 * its remote), or a results.json manifest ([{url, branch, executor}])
 * whose result files are read next to it. Everything is checked before
 * anything is written, then written in one transaction; a run imported
 * before is skipped. Bad input: one line naming it, -1, nothing written.
 */
int nipa_import(struct store *st, const char *src, struct nipa_result *res);
void nipa_result_release(struct nipa_result *res);

/*
 * "net-next-2025-06-20--00-00" -> stream "net-next" and date
 * "2025-06-20T00:00:00Z" (malloc'ed); a name without NIPA's date
 * suffix is its own stream and *date is NULL.
 */
void nipa_branch_split(const char *branch, char **stream, char **date);

#endif
