/*
 * pool.h - the pooling key: which iterations count together. Two
 * iterations pool when they ran the same test (and suite) on the same
 * kernel, built from the same kconfig set, in a guest of the same size,
 * under the same stress modes, on the same executor. Scores, tallies,
 * learned stall limits, a series' reused base and alerts all match
 * iterations through this key and nothing else.
 *
 * A "line" is the key without its kernel: every kernel of one tree built
 * from the same recipe and run the same way. History across commits
 * (learned limits without history on this kernel, change points) follows
 * a line.
 *
 * Every part but the test lives on the run row (db/008-pool.sql), so the
 * SQL below matches iterations `i` joined to their run `r`.
 */
#ifndef KFLAKE_POOL_H
#define KFLAKE_POOL_H

#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store.h"

struct pool_key {
	char *test;		/* iterations.test; NULL: not part of it */
	char *suite;		/* iterations.suite */
	/*
	 * runs.kernel_id; 0 in a line. A run with no kernel on record (an
	 * import, a build that never finished) is a pool of its own: its
	 * kernel is -run id, so it never pools with another run.
	 */
	long long kernel_id;
	char *kconfig_set;	/* runs.kconfig_set */
	int guest_cpus;
	int guest_mem_mb;
	char *stress;		/* "" when none */
	char *executor;		/* "local" */
};

enum pool_scope {
	POOL_KERNEL,		/* the whole key */
	POOL_LINE,		/* every kernel of the key's line */
};

#define POOL_EXECUTOR_LOCAL "local"

/*
 * The run columns of the key, in struct order: pool_key_from_row() reads
 * them back. Select them as `POOL_RUN_COLUMNS` with runs aliased `r`.
 */
#define POOL_RUN_COLUMNS \
	"coalesce(r.kernel_id, -r.id), r.kconfig_set, r.guest_cpus, " \
	"r.guest_mem_mb, r.stress, r.executor"
#define POOL_NCOLUMNS 6

/* WHERE fragments; pool_bind() binds their :pool_* parameters. */
#define POOL_MATCH_LINE \
	"r.kconfig_set = :pool_kconfig_set AND " \
	"r.guest_cpus = :pool_guest_cpus AND " \
	"r.guest_mem_mb = :pool_guest_mem_mb AND " \
	"r.stress = :pool_stress AND r.executor = :pool_executor"
#define POOL_MATCH_KERNEL \
	"(r.kernel_id = :pool_kernel_id OR (r.kernel_id IS NULL AND " \
	"r.id = -:pool_kernel_id)) AND " POOL_MATCH_LINE
#define POOL_MATCH_TEST "i.test = :pool_test AND i.suite = :pool_suite"

/*
 * The line of run `r` as one JSON text, [kconfig_set, guest_cpus,
 * guest_mem_mb, stress, executor]: what change-point histories group by
 * and alerts keep. pool_line_parse() reads it back.
 */
#define POOL_LINE_JSON "json_array(r.kconfig_set, r.guest_cpus, " \
	"r.guest_mem_mb, r.stress, r.executor)"

/*
 * Bind whichever :pool_* parameters stmt has from k (the others are the
 * caller's). Returns 0, or -1 when a binding failed.
 */
int pool_bind(sqlite3_stmt *stmt, const struct pool_key *k);

/* The key of a run (test and suite left NULL). 0, or -1 if no such run. */
int pool_key_of_run(struct store *st, long long run_id, struct pool_key *k);
/* Read POOL_RUN_COLUMNS starting at column col into k's run parts. */
void pool_key_from_row(sqlite3_stmt *stmt, int col, struct pool_key *k);
/*
 * Every row of stmt (POOL_RUN_COLUMNS first) into *out, then finalize
 * it. The number of keys, or -1 when stmt is NULL (a failed prepare).
 */
int pool_key_list_read(sqlite3_stmt *stmt, struct pool_key **out);
/* A POOL_LINE_JSON text into k's line parts (kernel 0). 0, or -1. */
int pool_line_parse(const char *json, struct pool_key *k);
void pool_key_copy(struct pool_key *dst, const struct pool_key *src);
void pool_key_release(struct pool_key *k);
/* Whether a and b pool together in scope (tests compared when both set). */
int pool_key_same(const struct pool_key *a, const struct pool_key *b,
		  enum pool_scope scope);

/*
 * The kconfig_set of fragment paths merged in this order for a kernel
 * tree at tree_path: a JSON array naming each by its root, so it is the
 * same for every commit built from the same recipe: "kflake:kconfigs/X"
 * below kflake's home, "tree:PATH" inside the tree (its content belongs
 * to the commit), else "file:BASENAME@SHA1" by content (a fragment in a
 * fresh temporary file pools with the same text elsewhere). Malloc'ed.
 */
char *pool_kconfig_set(const char *const *paths, size_t n,
		       const char *tree_path);

/*
 * Stress modes in canonical form: split on commas and blanks, sorted,
 * duplicates dropped, joined with ','. NULL or "" gives "". Malloc'ed.
 */
char *pool_stress_canonical(const char *modes);

/*
 * The run parts of the key as JSON: {"kernel_id", "kconfig_set" (array),
 * "guest_cpus", "guest_mem_mb", "stress", "executor"}.
 */
json_t *pool_key_json(const struct pool_key *k);

/*
 * One line for people: "2 vCPUs, 2048 MiB, kconfig base.config+net/config,
 * no stress, local" (the kernel is the caller's to name).
 */
char *pool_describe(const struct pool_key *k);

#endif
