/*
 * export.h - kflake's results in the formats other systems read: JUnit
 * XML as Surefire 3.0 writes it (GitLab, Jenkins) and KCIDB v5.3 JSON
 * (KernelCI). Both take a selection of runs and fill a buffer; the CLI
 * (kflake export), the JSON API and a CI pass share them.
 */
#ifndef KFLAKE_EXPORT_H
#define KFLAKE_EXPORT_H

#include <jansson.h>

#include "store.h"
#include "strbuf.h"

/* KCIDB limits a log excerpt to this many characters. */
#define EXPORT_KCIDB_EXCERPT 16384
/* Output kept per failed iteration in a JUnit file (GitLab reads <= 30 MB). */
#define EXPORT_JUNIT_OUTPUT 4096

/*
 * Which runs: run (> 0) alone, or every run started at or after since
 * (an ISO 8601 date or time, UTC), or, with neither, the latest run
 * that has iterations.
 */
struct export_sel {
	long long run;
	const char *since;
};

/* How many runs sel picks (0 when none, silently), or -1. */
int export_count_runs(struct store *st, const struct export_sel *sel);

/* 0 when since is YYYY-MM-DD, optionally followed by THH:MM[:SS][Z]. */
int export_since_valid(const char *since);

/*
 * JUnit XML: one <testsuite> holding one <testcase> per test and run
 * (classname = suite); its child follows the iterations: any stall,
 * crash or error -> <error>; only failures -> <failure>; passes and
 * failures -> passed, one <flakyFailure> per failed iteration; only
 * skips -> <skipped>. Counts and the 95% interval go in <properties>.
 * Returns 0, or -1 (error printed) when nothing matches or on a fault.
 */
int export_junit(struct store *st, const struct export_sel *sel,
		 struct strbuf *out);

/*
 * KCIDB v5.3: version {5, 3}; one checkout per commit, one build per
 * kernel, one test per iteration (retries included, marked in misc),
 * origin "kflake", ids "kflake:<...>", paths like net.udpgro_bench_sh.
 */
int export_kcidb(struct store *st, const struct export_sel *sel,
		 struct strbuf *out);

/*
 * The runs started since `since` as files in dir (created if need be):
 * NAME-SINCE.junit.xml and NAME-SINCE.kcidb.json, as asked. Adds "runs"
 * and the paths written ("junit", "kcidb") to o; no run writes nothing.
 * For `kflake ci`'s results.exports. 0, or -1 (error printed).
 */
int export_files(struct store *st, const char *since, const char *dir,
		 const char *name, int junit, int kcidb, json_t *o);

/* "net", "udpgro_bench.sh" -> "net.udpgro_bench_sh" (KCIDB's path form). */
char *export_kcidb_path(const char *suite, const char *test);

#endif
