/*
 * store.h - the SQLite database: opening, migrations, transactions and
 * the typed writes and reads the rest of kflake uses. Every statement
 * binds its parameters; nothing is ever spliced into SQL text.
 */
#ifndef KFLAKE_STORE_H
#define KFLAKE_STORE_H

#include <sqlite3.h>
#include <stddef.h>

#include "strbuf.h"

struct store_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct store_migration store_migrations[];

#define STORE_CACHE 8
struct store {
	sqlite3 *db;
	char *path;
	int readonly;
	/* store_exec_cached(): statements kept prepared, by SQL text address. */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[STORE_CACHE];
};

#define STORE_READONLY 1

/* Default database path: $KFLAKE_DB or <data dir>/kflake.db. */
const char *store_default_path(void);
/* Opens (creating and migrating unless read-only) the database. */
int store_open(struct store *st, const char *path, int flags);
void store_close(struct store *st);
int store_schema_version(struct store *st);
int store_latest_version(void);

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/*
 * Prepare sql and bind the arguments described by fmt, one char each:
 * 'i' int, 'I' int64, 'd' double, 's' text (NULL binds NULL).
 * With named parameters fmt names each, then its type:
 *   store_prepare(st, "... WHERE id = :id AND test = :test",
 *                 ":id I :test s", id, test)
 * Returns NULL (after printing an error) on failure.
 */
sqlite3_stmt *store_prepare(struct store *st, const char *sql,
			    const char *fmt, ...);
/* Run a statement that returns no rows; returns 0 or -1. */
int store_exec(struct store *st, const char *sql, const char *fmt, ...);
/*
 * store_exec() for a statement run once per iteration: sql must be a
 * string constant (its address is the key); it stays prepared until
 * store_close(), and only bindings change between runs.
 */
int store_exec_cached(struct store *st, const char *sql, const char *fmt,
		      ...);
/* Run a statement, return the first column of the first row as int64 (or dflt). */
long long store_query_int(struct store *st, long long dflt, const char *sql,
			  const char *fmt, ...);
/* First column of first row as a malloc'ed string, or NULL. */
char *store_query_str(struct store *st, const char *sql, const char *fmt, ...);
long long store_last_id(struct store *st);

/*
 * Step stmt to the end and finalize it, collecting column 0 as doubles
 * into *out (malloc'ed; NULL when none). Returns how many.
 */
size_t store_collect_doubles(sqlite3_stmt *stmt, double **out);

/* Column text or "" (never NULL), for printing. */
const char *store_col_text(sqlite3_stmt *stmt, int col);

/*
 * SQL assembled from constant fragments with named parameters, for
 * queries whose filters are optional: a clause is added only when its
 * filter is set, so the planner sees plain equalities and uses indexes.
 *
 *   struct store_sql q;
 *   store_sql_init(&q, "SELECT ... FROM runs r WHERE 1");
 *   if (commit)
 *           store_sql_text(&q, " AND r.commit_id = :commit", ":commit", commit);
 *   stmt = store_sql_prepare(st, &q);
 *   store_sql_release(&q);
 *
 * Values are copied; a name bound twice keeps the last value.
 */
#define STORE_SQL_MAX_ARGS 32
struct store_sql {
	struct strbuf sql;
	int nargs;
	struct {
		const char *name;	/* a string constant, ":name" */
		char type;		/* 'I', 'd' or 's' */
		long long i;
		double d;
		char *s;
	} args[STORE_SQL_MAX_ARGS];
};
void store_sql_init(struct store_sql *q, const char *sql);
void store_sql_add(struct store_sql *q, const char *frag);
void store_sql_int(struct store_sql *q, const char *frag, const char *name,
		   long long v);
void store_sql_double(struct store_sql *q, const char *frag,
		      const char *name, double v);
/* NULL binds NULL. */
void store_sql_text(struct store_sql *q, const char *frag, const char *name,
		    const char *v);
/* Prepare and bind every argument; NULL (error printed) on failure. */
sqlite3_stmt *store_sql_prepare(struct store *st, struct store_sql *q);
void store_sql_release(struct store_sql *q);

/* Key/value state (patchwork poll position, accelerator probe, ...). */
char *store_state_get(struct store *st, const char *key);
int store_state_set(struct store *st, const char *key, const char *value);
/* Delete every key that starts with prefix. */
int store_state_forget(struct store *st, const char *prefix);

#endif
