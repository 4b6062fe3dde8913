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
#include "runcmd.h"
#include "snapshot.h"
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
static const struct crash_report *cause(const struct crashwatch *w)
{
	size_t i;

	for (i = 0; i < w->cur.nr; i++)
		if (strcmp(w->cur.v[i].kind, "panic"))
			return &w->cur.v[i];
	return w->cur.nr ? &w->cur.v[0] : NULL;
}

void crashwatch_verdict(struct crashwatch *w, int *fatal, int *warn,
			const char **title)
{
	const struct crash_report *r = cause(w);
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

int crashwatch_store(struct store *st, struct crashwatch *w,
		     long long iteration_id, long long run_id,
		     long long kernel_id, const char *test, const char *outdir,
		     int item)
{
	const struct crash_report *first = cause(w);
	char now[32];
	size_t i;

	util_iso8601(util_wallclock(), now);
	for (i = 0; i < w->cur.nr; i++) {
		const struct crash_report *r = &w->cur.v[i];
		long long id = crash_row(st, r, now);
		char *decoded = NULL;
		int rc;

		if (id < 0)
			return -1;
		if (w->vmlinux && w->srcdir)
			decoded = decode(w, r->text);
		rc = store_exec(st, "INSERT INTO crash_hits(crash_id, "
				"iteration_id, run_id, kernel_id, test, report, "
				"seen_at) VALUES (?, nullif(?, 0), ?, nullif(?, 0), "
				"?, ?, ?)",
				"IIIIsss", id, iteration_id, run_id, kernel_id,
				test, decoded ? decoded : r->text, now);
		free(decoded);
		if (rc)
			return -1;
		if (r == first && iteration_id)
			store_exec(st, "UPDATE iterations SET crash_id = ? "
				   "WHERE id = ?", "II", id, iteration_id);
	}
	return iteration_id ? snapshot_store(st, iteration_id, outdir, item)
			    : 0;
}
