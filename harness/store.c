/*
 * store.c - opens kflake's SQLite database in WAL mode, applies the
 * embedded migrations from db/ in order (each in its own transaction,
 * recorded in PRAGMA user_version), and offers small bound-parameter
 * helpers so no module ever formats SQL with data.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "util.h"

const char *store_default_path(void)
{
	static char *path;
	const char *env = getenv("KFLAKE_DB");

	if (env && *env)
		return env;
	if (!path)
		path = xasprintf("%s/kflake.db", util_data_dir());
	return path;
}

int store_latest_version(void)
{
	const struct store_migration *m;
	int v = 0;

	for (m = store_migrations; m->sql; m++)
		if (m->version > v)
			v = m->version;
	return v;
}

int store_schema_version(struct store *st)
{
	return (int)store_query_int(st, -1, "PRAGMA user_version", "");
}

/*
 * Apply the next migration after the schema version read under the
 * write lock: BEGIN IMMEDIATE comes first, so two processes creating
 * one new database cannot both see version 0 and both run 001. Returns
 * 1 when one was applied, 0 when the schema is current, -1 on error.
 */
static int migrate_step(struct store *st)
{
	const struct store_migration *m, *next = NULL;
	char *err = NULL;
	char pragma[64];
	int cur;

	if (store_begin(st))
		return -1;
	cur = store_schema_version(st);
	if (cur < 0) {
		store_rollback(st);
		return error("%s: not a kflake database", st->path);
	}
	if (cur > store_latest_version()) {
		store_rollback(st);
		return error("%s: schema version %d is newer than this kflake "
			     "(%d); upgrade kflake", st->path, cur,
			     store_latest_version());
	}
	for (m = store_migrations; m->sql; m++)
		if (m->version > cur && (!next || m->version < next->version))
			next = m;
	if (!next) {
		store_rollback(st);
		return 0;
	}
	if (sqlite3_exec(st->db, next->sql, NULL, NULL, &err) != SQLITE_OK) {
		error("%s: migration %s failed: %s", st->path, next->name, err);
		sqlite3_free(err);
		store_rollback(st);
		return -1;
	}
	/* PRAGMA cannot take bound parameters; the value is our own int. */
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		 next->version);
	if (sqlite3_exec(st->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
		store_rollback(st);
		return error("%s: cannot record schema version", st->path);
	}
	return store_commit(st) ? -1 : 1;
}

static int migrate(struct store *st)
{
	int rc, cur = store_schema_version(st);

	if (cur < 0)
		return error("%s: not a kflake database", st->path);
	/* Current already (the usual case): no write lock taken. */
	if (cur == store_latest_version())
		return 0;
	while ((rc = migrate_step(st)) > 0)
		;
	return rc;
}

static int ensure_parent_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int ret = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		ret = util_mkdir_p(dir);
	}
	free(dir);
	return ret;
}

/*
 * Switching a new database to WAL needs a moment of exclusive access and
 * SQLite does not call the busy handler for it: when several processes
 * create one database at once, retry for as long as busy_timeout waits.
 */
static int enable_wal(struct store *st)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int tries, rc = SQLITE_OK;

	for (tries = 0; tries < 1000; tries++) {
		rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL,
				  NULL, NULL);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		nanosleep(&pause, NULL);
	}
	if (rc != SQLITE_OK)
		return error("%s: cannot enable WAL: %s", st->path,
			     sqlite3_errmsg(st->db));
	return 0;
}

static int store_open_fail(struct store *st)
{
	store_close(st);
	return -1;
}

/*
 * A reader (serve, show) may be the first new kflake to meet an older
 * database: it migrates it through one short read-write open, so readers
 * never see a schema their queries do not match.
 */
static int readonly_check(struct store *st)
{
	int v = store_schema_version(st), latest = store_latest_version();
	struct store rw;
	char *path;

	if (v < 0)
		return error("%s: not a kflake database", st->path);
	if (v > latest)
		return error("%s: schema version %d is newer than this kflake "
			     "(%d); upgrade kflake", st->path, v, latest);
	if (v == latest)
		return 0;
	/* Say it in one line rather than let the migration fail midway. */
	if (access(st->path, W_OK))
		return error("%s: schema version %d needs migrating to %d, "
			     "which needs write access", st->path, v, latest);
	path = xstrdup(st->path);
	sqlite3_close_v2(st->db);
	st->db = NULL;
	if (store_open(&rw, path, 0)) {
		free(path);
		return -1;
	}
	store_close(&rw);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		free(path);
		return error("%s: cannot reopen database", st->path);
	}
	free(path);
	sqlite3_busy_timeout(st->db, 10000);
	return 0;
}

int store_open(struct store *st, const char *path, int flags)
{
	int oflags;

	memset(st, 0, sizeof(*st));
	st->path = xstrdup(path ? path : store_default_path());
	st->readonly = !!(flags & STORE_READONLY);
	if (st->readonly) {
		oflags = SQLITE_OPEN_READONLY;
		if (!util_file_exists(st->path)) {
			error("%s: no such database", st->path);
			goto fail;
		}
	} else {
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
		if (ensure_parent_dir(st->path)) {
			error("%s: cannot create directory: %s", st->path,
			      strerror(errno));
			goto fail;
		}
	}
	if (sqlite3_open_v2(st->path, &st->db, oflags | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		error("%s: cannot open database: %s", st->path,
		      st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	/* Runs, a server and bisects share the file: wait rather than fail. */
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (st->readonly)
		return readonly_check(st) ? store_open_fail(st) : 0;
	if (enable_wal(st))
		goto fail;
	sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	if (migrate(st))
		goto fail;
	return 0;
fail:
	return store_open_fail(st);
}

void store_close(struct store *st)
{
	size_t i;

	for (i = 0; i < STORE_CACHE; i++)
		sqlite3_finalize(st->cache[i].stmt);
	if (st->db)
		sqlite3_close_v2(st->db);
	free(st->path);
	memset(st, 0, sizeof(*st));
}

int store_begin(struct store *st)
{
	/* IMMEDIATE: take the write lock now, so busy_timeout applies. */
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return error("%s: cannot begin transaction: %s", st->path,
			     sqlite3_errmsg(st->db));
	return 0;
}

int store_commit(struct store *st)
{
	util_fault_point("commit");
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		error("%s: commit failed: %s", st->path,
		      sqlite3_errmsg(st->db));
		store_rollback(st);
		return -1;
	}
	return 0;
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int bind_one(sqlite3_stmt *stmt, int i, char type, va_list *ap)
{
	const char *s;

	switch (type) {
	case 'i':
		return sqlite3_bind_int(stmt, i, va_arg(*ap, int));
	case 'I':
		return sqlite3_bind_int64(stmt, i, va_arg(*ap, long long));
	case 'd':
		return sqlite3_bind_double(stmt, i, va_arg(*ap, double));
	case 's':
		s = va_arg(*ap, const char *);
		return s ? sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT)
			 : sqlite3_bind_null(stmt, i);
	default:
		die("store: bad bind format '%c'", type);
	}
}

/* ":name T :other T": each :name of the statement bound by name. */
static int bind_named(struct store *st, sqlite3_stmt *stmt, const char *fmt,
		      va_list *ap)
{
	const char *p = fmt;
	int rc = SQLITE_OK;

	while (*p && rc == SQLITE_OK) {
		char name[64];
		size_t n = strcspn(p, " ");
		int i;

		if (*p != ':' || n >= sizeof(name) || p[n] != ' ' || !p[n + 1])
			die("store: bad named bind format '%s'", fmt);
		memcpy(name, p, n);
		name[n] = '\0';
		i = sqlite3_bind_parameter_index(stmt, name);
		if (!i) {
			error("%s: no parameter %s in: %.60s", st->path, name,
			      sqlite3_sql(stmt));
			return SQLITE_MISUSE;	/* said; vprepare adds nothing */
		}
		rc = bind_one(stmt, i, p[n + 1], ap);
		p += n + 2;
		while (*p == ' ')
			p++;
	}
	return rc;
}

static sqlite3_stmt *vprepare(struct store *st, const char *sql,
			      const char *fmt, va_list ap)
{
	sqlite3_stmt *stmt;
	va_list aq;
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		error("%s: %s (in: %.60s)", st->path, sqlite3_errmsg(st->db),
		      sql);
		return NULL;
	}
	va_copy(aq, ap);
	if (fmt[0] == ':')
		rc = bind_named(st, stmt, fmt, &aq);
	else
		for (i = 0; fmt[i] && rc == SQLITE_OK; i++)
			rc = bind_one(stmt, i + 1, fmt[i], &aq);
	va_end(aq);
	if (rc != SQLITE_OK) {
		if (rc != SQLITE_MISUSE)
			error("%s: bind failed: %s", st->path,
			      sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

sqlite3_stmt *store_prepare(struct store *st, const char *sql,
			    const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;

	va_start(ap, fmt);
	stmt = vprepare(st, sql, fmt, ap);
	va_end(ap);
	return stmt;
}

int store_exec(struct store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	stmt = vprepare(st, sql, fmt, ap);
	va_end(ap);
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return error("%s: %s", st->path, sqlite3_errmsg(st->db));
	return 0;
}

static sqlite3_stmt *cached(struct store *st, const char *sql)
{
	size_t i, slot = STORE_CACHE;

	for (i = 0; i < STORE_CACHE; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
		if (!st->cache[i].sql && slot == STORE_CACHE)
			slot = i;
	}
	if (slot == STORE_CACHE)
		return NULL;	/* full: prepare afresh each time */
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &st->cache[slot].stmt, NULL) != SQLITE_OK) {
		error("%s: %s (in: %.60s)", st->path, sqlite3_errmsg(st->db),
		      sql);
		return NULL;
	}
	st->cache[slot].sql = sql;
	return st->cache[slot].stmt;
}

int store_exec_cached(struct store *st, const char *sql, const char *fmt,
		      ...)
{
	sqlite3_stmt *stmt = cached(st, sql);
	va_list ap;
	int rc = SQLITE_OK, i;

	va_start(ap, fmt);
	if (!stmt) {
		stmt = vprepare(st, sql, fmt, ap);
		va_end(ap);
		if (!stmt)
			return -1;
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			;
		sqlite3_finalize(stmt);
		return rc == SQLITE_DONE ? 0 : error("%s: %s", st->path,
						     sqlite3_errmsg(st->db));
	}
	if (fmt[0] == ':')
		rc = bind_named(st, stmt, fmt, &ap);
	else
		for (i = 0; fmt[i] && rc == SQLITE_OK; i++)
			rc = bind_one(stmt, i + 1, fmt[i], &ap);
	va_end(ap);
	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			;
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return error("%s: %s", st->path, sqlite3_errmsg(st->db));
	return 0;
}

long long store_query_int(struct store *st, long long dflt, const char *sql,
			  const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	long long v = dflt;
	va_list ap;

	va_start(ap, fmt);
	stmt = vprepare(st, sql, fmt, ap);
	va_end(ap);
	if (!stmt)
		return dflt;
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_type(stmt, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

char *store_query_str(struct store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	char *v = NULL;
	va_list ap;

	va_start(ap, fmt);
	stmt = vprepare(st, sql, fmt, ap);
	va_end(ap);
	if (!stmt)
		return NULL;
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_type(stmt, 0) != SQLITE_NULL)
		v = xstrdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return v;
}

long long store_last_id(struct store *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

size_t store_collect_doubles(sqlite3_stmt *stmt, double **out)
{
	double *v = NULL;
	size_t n = 0, alloc = 0;

	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		v[n++] = sqlite3_column_double(stmt, 0);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return n;
}

const char *store_col_text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	return t ? (const char *)t : "";
}

void store_sql_init(struct store_sql *q, const char *sql)
{
	memset(q, 0, sizeof(*q));
	strbuf_addstr(&q->sql, sql);
}

void store_sql_add(struct store_sql *q, const char *frag)
{
	if (frag)
		strbuf_addstr(&q->sql, frag);
}

static int sql_arg(struct store_sql *q, const char *frag, const char *name,
		   char type)
{
	int i;

	store_sql_add(q, frag);
	for (i = 0; i < q->nargs; i++)
		if (!strcmp(q->args[i].name, name))
			break;
	if (i == q->nargs) {
		if (q->nargs == STORE_SQL_MAX_ARGS)
			die("store: too many SQL arguments");
		q->nargs++;
	}
	free(q->args[i].s);
	q->args[i].s = NULL;
	q->args[i].name = name;
	q->args[i].type = type;
	return i;
}

void store_sql_int(struct store_sql *q, const char *frag, const char *name,
		   long long v)
{
	q->args[sql_arg(q, frag, name, 'I')].i = v;
}

void store_sql_double(struct store_sql *q, const char *frag,
		      const char *name, double v)
{
	q->args[sql_arg(q, frag, name, 'd')].d = v;
}

void store_sql_text(struct store_sql *q, const char *frag, const char *name,
		    const char *v)
{
	int i = sql_arg(q, frag, name, 's');

	q->args[i].s = v ? xstrdup(v) : NULL;
}

sqlite3_stmt *store_sql_prepare(struct store *st, struct store_sql *q)
{
	sqlite3_stmt *stmt = store_prepare(st, q->sql.buf, "");
	int i, idx, rc = SQLITE_OK;

	if (!stmt)
		return NULL;
	for (i = 0; i < q->nargs && rc == SQLITE_OK; i++) {
		idx = sqlite3_bind_parameter_index(stmt, q->args[i].name);
		if (!idx) {
			error("%s: no parameter %s in: %.60s", st->path,
			      q->args[i].name, q->sql.buf);
			rc = SQLITE_ERROR;
		} else if (q->args[i].type == 'I') {
			rc = sqlite3_bind_int64(stmt, idx, q->args[i].i);
		} else if (q->args[i].type == 'd') {
			rc = sqlite3_bind_double(stmt, idx, q->args[i].d);
		} else {
			rc = q->args[i].s ?
				sqlite3_bind_text(stmt, idx, q->args[i].s, -1,
						  SQLITE_TRANSIENT) :
				sqlite3_bind_null(stmt, idx);
		}
	}
	if (rc == SQLITE_OK)
		return stmt;
	sqlite3_finalize(stmt);
	return NULL;
}

void store_sql_release(struct store_sql *q)
{
	int i;

	for (i = 0; i < q->nargs; i++)
		free(q->args[i].s);
	strbuf_release(&q->sql);
	q->nargs = 0;
}

char *store_state_get(struct store *st, const char *key)
{
	return store_query_str(st, "SELECT value FROM state WHERE key = ?",
			       "s", key);
}

int store_state_set(struct store *st, const char *key, const char *value)
{
	return store_exec(st,
			  "INSERT INTO state(key, value) VALUES (?, ?) "
			  "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			  "ss", key, value);
}

int store_state_forget(struct store *st, const char *prefix)
{
	return store_exec(st, "DELETE FROM state WHERE substr(key, 1, "
			  "length(?1)) = ?1", "s", prefix);
}
