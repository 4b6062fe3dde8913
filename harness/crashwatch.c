/*
 * crashwatch.c - glue between crash.c's console scanner and an
 * iteration: collects the reports completed while it ran, decides
 * whether the kernel died (panic, or an oops that oops=panic turns into
 * one) or only warned, and stores them grouped by fingerprint.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "crashwatch.h"
#include "record.h"
#include "runcmd.h"
#include "utf8.h"
#include "util.h"

struct crashwatch {
	const char *vmlinux;
	const char *srcdir;
	struct crash_scanner *sc;
	struct crash_list cur;
	int fatal;
	char *title;
};

struct crashwatch *crashwatch_new(const char *vmlinux, const char *srcdir)
{
	struct crashwatch *w = xcalloc(1, sizeof(*w));

	w->vmlinux = vmlinux;
	w->srcdir = srcdir;
	w->sc = crash_scanner_new();
	return w;
}

void crashwatch_free(struct crashwatch *w)
{
	if (!w)
		return;
	crash_scanner_free(w->sc);
	crash_list_release(&w->cur);
	free(w->title);
	free(w);
}

static void collect(struct crashwatch *w)
{
	struct crash_report r;

	while (crash_scanner_pop(w->sc, &r)) {
		if (w->cur.nr >= CRASH_MAX_REPORTS) {
			crash_report_release(&r);
			continue;
		}
		ALLOC_GROW(w->cur.v, w->cur.nr, w->cur.alloc);
		w->cur.v[w->cur.nr++] = r;
	}
	if (crash_scanner_seen_fatal(w->sc))
		w->fatal = 1;
}

void crashwatch_feed(struct crashwatch *w, const char *line)
{
	crash_scanner_feed(w->sc, line);
	collect(w);
}

void crashwatch_reset(struct crashwatch *w)
{
	crash_list_release(&w->cur);
	memset(&w->cur, 0, sizeof(w->cur));
	w->fatal = 0;
}

void crashwatch_finish(struct crashwatch *w)
{
	collect(w);
	crash_scanner_finish(w->sc, &w->cur);
	crash_scanner_free(w->sc);
	w->sc = crash_scanner_new();
}

/* The panic line only says the kernel gave up; the report before it says why. */
static const struct crash_report *cause(const struct crash_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (strcmp(l->v[i].kind, "panic"))
			return &l->v[i];
	return l->nr ? &l->v[0] : NULL;
}

void crashwatch_verdict(struct crashwatch *w, int *fatal, int *warn,
			const char **title)
{
	const struct crash_report *r = cause(&w->cur);
	size_t i;

	*fatal = w->fatal;
	for (i = 0; i < w->cur.nr; i++)
		if (w->cur.v[i].fatal)
			*fatal = 1;
	*warn = w->cur.nr > 0;
	free(w->title);
	w->title = r ? xasprintf("%s: %s", r->kind, r->title) : NULL;
	*title = w->title;
}

static long long crash_row(struct store *st, const struct crash_report *r,
			   const char *now)
{
	if (store_exec(st,
		       "INSERT INTO crashes(fingerprint, kind, title, frames, "
		       "report, first_seen, last_seen, count) "
		       "VALUES (?, ?, ?, ?, ?, ?, ?, 1) "
		       "ON CONFLICT(fingerprint) DO UPDATE SET count = count + 1, "
		       "last_seen = excluded.last_seen", "sssssss",
		       r->fingerprint, r->kind, r->title, r->frames, r->text,
		       now, now))
		return -1;
	return store_query_int(st, -1, "SELECT id FROM crashes WHERE "
			       "fingerprint = ?", "s", r->fingerprint);
}

/* file:line for every frame, from vmlinux's debug info; NULL on failure. */
static char *decode(const struct crashwatch *w, const char *report)
{
	char tmp[] = "/tmp/kflake-report-XXXXXX";
	char *script = xasprintf("%s/scripts/decode_stacktrace.sh", w->srcdir);
	const char *argv[] = { script, w->vmlinux, w->srcdir, NULL };
	struct strbuf out = STRBUF_INIT;
	int fd = mkstemp(tmp), rc = -1;

	if (fd >= 0) {
		if (write(fd, report, strlen(report)) == (ssize_t)strlen(report))
			rc = runcmd_capture_from(argv, tmp, &out, 1 << 20);
		close(fd);
		unlink(tmp);
	}
	free(script);
	if (rc || !out.len) {
		strbuf_release(&out);
		return NULL;
	}
	return strbuf_detach(&out);
}

void crashwatch_take(struct crashwatch *w, struct crash_list *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; w->vmlinux && w->srcdir && i < w->cur.nr; i++) {
		char *decoded = decode(w, w->cur.v[i].text);

		if (decoded) {
			free(w->cur.v[i].text);
			w->cur.v[i].text = decoded;
		}
	}
	*out = w->cur;
	memset(&w->cur, 0, sizeof(w->cur));
	w->fatal = 0;
}

int crashwatch_store(struct store *st, const struct crash_list *l,
		     long long iteration_id, long long run_id,
		     long long kernel_id, const char *test)
{
	const struct crash_report *first = cause(l);
	char now[32];
	size_t i;

	util_iso8601(util_wallclock(), now);
	for (i = 0; i < l->nr; i++) {
		const struct crash_report *r = &l->v[i];
		long long id = crash_row(st, r, now);

		if (id < 0)
			return -1;
		if (store_exec(st, "INSERT INTO crash_hits(crash_id, "
			       "iteration_id, run_id, kernel_id, test, report, "
			       "seen_at) VALUES (?, nullif(?, 0), ?, nullif(?, 0), "
			       "?, ?, ?)",
			       "IIIIsss", id, iteration_id, run_id, kernel_id,
			       test, r->text, now))
			return -1;
		if (r == first && iteration_id)
			record_iteration_set_crash(st, iteration_id, id);
	}
	return 0;
}

/* Reads ---------------------------------------------------------------------- */

static char *dup_col(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return NULL;
	return xstrdup(store_col_text(stmt, col));
}

#define CRASH_COLUMNS \
	"c.id, c.fingerprint, c.kind, c.title, c.first_seen, c.last_seen, " \
	"c.count"

static void crash_read(sqlite3_stmt *stmt, struct crash_info *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(stmt, 0);
	c->fingerprint = dup_col(stmt, 1);
	c->kind = dup_col(stmt, 2);
	c->title = dup_col(stmt, 3);
	c->first_seen = dup_col(stmt, 4);
	c->last_seen = dup_col(stmt, 5);
	c->count = (long)sqlite3_column_int64(stmt, 6);
}

int crashwatch_load(struct store *st, long long id, struct crash_info *c)
{
	sqlite3_stmt *stmt;
	int ret = 1;

	memset(c, 0, sizeof(*c));
	stmt = store_prepare(st, "SELECT " CRASH_COLUMNS ", c.frames, c.report "
			     "FROM crashes c WHERE c.id = :id", ":id I", id);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		crash_read(stmt, c);
		c->frames = dup_col(stmt, 7);
		c->report = dup_col(stmt, 8);
		ret = 0;
	}
	sqlite3_finalize(stmt);
	return ret;
}

int crashwatch_list(struct store *st, long page, long limit,
		    struct crash_info **out, int *more)
{
	struct crash_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	*more = 0;
	stmt = store_prepare(st, "SELECT " CRASH_COLUMNS " FROM crashes c "
			     "ORDER BY c.last_seen DESC, c.id DESC "
			     "LIMIT :limit OFFSET :offset",
			     ":limit I :offset I", (long long)limit + 1,
			     (long long)(page - 1) * limit);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if ((long)n == limit) {
			*more = 1;
			break;
		}
		ALLOC_GROW(v, n, alloc);
		crash_read(stmt, &v[n++]);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

int crashwatch_run_list(struct store *st, long long run_id,
			struct crash_info **out)
{
	struct crash_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st, "SELECT " CRASH_COLUMNS ", c.frames, "
			     "count(h.id), sum(h.iteration_id IS NULL), "
			     "group_concat(DISTINCT h.iteration_id) FROM "
			     "crash_hits h JOIN crashes c ON c.id = h.crash_id "
			     "WHERE h.run_id = :run GROUP BY c.id ORDER BY c.id",
			     ":run I", run_id);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		crash_read(stmt, &v[n]);
		v[n].frames = dup_col(stmt, 7);
		v[n].run_hits = (long)sqlite3_column_int64(stmt, 8);
		v[n].outside = (long)sqlite3_column_int64(stmt, 9);
		v[n++].iterations = dup_col(stmt, 10);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

int crashwatch_hits(struct store *st, long long crash_id, long page,
		    long limit, struct crash_hit_info **out, int *more)
{
	struct crash_hit_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	*more = 0;
	stmt = store_prepare(st, "SELECT h.id, h.crash_id, h.run_id, "
			     "h.iteration_id, h.kernel_id, h.test, r.commit_id, "
			     "h.seen_at FROM crash_hits h JOIN runs r ON "
			     "r.id = h.run_id WHERE h.crash_id = :crash ORDER BY "
			     "h.id DESC LIMIT :limit OFFSET :offset",
			     ":crash I :limit I :offset I", crash_id,
			     (long long)limit + 1,
			     (long long)(page - 1) * limit);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if ((long)n == limit) {
			*more = 1;
			break;
		}
		ALLOC_GROW(v, n, alloc);
		v[n].id = sqlite3_column_int64(stmt, 0);
		v[n].crash_id = sqlite3_column_int64(stmt, 1);
		v[n].run_id = sqlite3_column_int64(stmt, 2);
		v[n].iteration_id = sqlite3_column_int64(stmt, 3);
		v[n].kernel_id = sqlite3_column_int64(stmt, 4);
		v[n].test = dup_col(stmt, 5);
		v[n].commit_id = dup_col(stmt, 6);
		v[n++].seen_at = dup_col(stmt, 7);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void crashwatch_info_release(struct crash_info *c)
{
	free(c->fingerprint);
	free(c->kind);
	free(c->title);
	free(c->frames);
	free(c->report);
	free(c->first_seen);
	free(c->last_seen);
	free(c->iterations);
	memset(c, 0, sizeof(*c));
}

void crashwatch_list_release(struct crash_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		crashwatch_info_release(&v[i]);
	free(v);
}

void crashwatch_hits_release(struct crash_hit_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].test);
		free(v[i].commit_id);
		free(v[i].seen_at);
	}
	free(v);
}

json_t *crashwatch_json(const struct crash_info *c)
{
	json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:I}",
			      "id", (json_int_t)c->id,
			      "fingerprint", utf8_json_str(c->fingerprint),
			      "kind", utf8_json_str(c->kind),
			      "title", utf8_json_str(c->title),
			      "first_seen", utf8_json_str(c->first_seen),
			      "last_seen", utf8_json_str(c->last_seen),
			      "count", (json_int_t)c->count);

	if (c->frames)
		json_object_set_new(o, "frames", utf8_json_str(c->frames));
	if (c->report)
		json_object_set_new(o, "report", utf8_json_str(c->report));
	return o;
}

json_t *crashwatch_hit_json(const struct crash_hit_info *h)
{
	return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o}",
			 "id", (json_int_t)h->id, "run_id", (json_int_t)h->run_id,
			 "iteration_id", h->iteration_id ?
				json_integer(h->iteration_id) : json_null(),
			 "kernel_id", h->kernel_id ?
				json_integer(h->kernel_id) : json_null(),
			 "test", utf8_json_str(h->test),
			 "commit_id", utf8_json_str(h->commit_id),
			 "seen_at", utf8_json_str(h->seen_at));
}
