/*
 * patchwork.h - the patchwork REST API (v1.3): one series with its
 * patches and mbox, and the poll over series-completed events that
 * queues new series for testing.
 */
#ifndef KFLAKE_PATCHWORK_H
#define KFLAKE_PATCHWORK_H

#include <stddef.h>

#include "store.h"
#include "strbuf.h"

#define PATCHWORK_MAX_PATCHES 500
#define PATCHWORK_MAX_PAGES 50

struct patchwork_patch {
	long id;
	char *msgid;
	char *name;
	char *mbox;
};

/* Strings are never NULL ("" when absent). */
struct patchwork_series {
	long id;
	char *name;
	int version;
	int total;
	int received_all;
	char *submitter;	/* "Name <email>" */
	char *mbox;		/* URL of the whole series as one mbox */
	char *cover_msgid;	/* "" without a cover letter */
	struct patchwork_patch *patches;
	size_t npatches;
};

/*
 * The instance's base URL in one spelling: scheme and host in lower case,
 * no default port, no trailing '/' or "/api[/1.x]", so "HTTPS://PW:443/",
 * "https://pw/api/1.3/" and "https://pw" name the same instance.
 */
char *patchwork_base(const char *url);

/*
 * The one canonical form "pw:BASE/ID" (BASE as patchwork_base() gives
 * it) of every accepted spelling of a patchwork series: "pw:URL/ID",
 * "pw:URL/ID/", "pw:URL/api/1.3/ID", "pw:URL/api/1.3/series/ID/",
 * "pw:URL/series/ID/mbox/", "pw:URL/project/P/list/?series=ID", with or
 * without the "pw:" prefix. Queued rows and fetches compare this form.
 * NULL with one line in err for anything else; *id (may be NULL) gets ID.
 */
char *patchwork_source_canonical(const char *source, long *id,
				 struct strbuf *err);

/*
 * GET {base}/api/1.3/series/{id}/; -1 with one line in err. Both calls
 * end by deadline_at (util_now() time; 0: the network deadline from the
 * call), so one pw: source pays one deadline, not one per request.
 */
int patchwork_series_get(const char *base, long id, double deadline_at,
			 struct patchwork_series *s, struct strbuf *err);
/* Download the series mbox into out. */
int patchwork_series_mbox(const struct patchwork_series *s, double deadline_at,
			  struct strbuf *out, struct strbuf *err);
void patchwork_series_release(struct patchwork_series *s);

struct patchwork_queued {
	long long series_id;	/* row in the series table */
	long pw_id;
	char *name;
	int fresh;		/* 0: it was queued by an earlier poll */
};

struct patchwork_poll {
	struct patchwork_queued *v;
	size_t n, alloc;
	int pages;		/* pages read */
	int capped;		/* stopped at PATCHWORK_MAX_PAGES, more to read */
	char *bad;		/* the page that could not be read, or NULL */
	size_t malformed;	/* events without a series id or a date */
	size_t future;		/* events dated more than a day ahead */
	char *since;		/* position the poll started from */
	int first;		/* since is "a day ago": nothing remembered */
	char *newest;		/* date of the newest event seen, or NULL */
};

/*
 * Read the series-completed events of project since the position: the
 * since argument (ISO date or time) if given, else the remembered one
 * (key patchwork_state_key()), else the last day. Pages are followed by
 * Link rel="next" up to PATCHWORK_MAX_PAGES; each series not queued
 * before is queued (series row state 'queued', pw_id, source
 * "pw:BASE/ID" as patchwork_source_canonical() spells it) and the
 * newest event date remembered, in one transaction. A page that cannot
 * be read keeps what the pages before it gave (out->bad says why);
 * only when none could be read does the poll fail (-1, one line).
 */
int patchwork_poll(struct store *st, const char *base, const char *project,
		   const char *since, struct patchwork_poll *out,
		   struct strbuf *err);
void patchwork_poll_release(struct patchwork_poll *p);
/* "2024-01-02T03:04:05[.123][Z|+01:00]" (UTC if no zone) to epoch seconds. */
int patchwork_parse_date(const char *s, double *out);
char *patchwork_state_key(const char *base, const char *project);

#endif
