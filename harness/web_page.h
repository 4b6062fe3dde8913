/*
 * web_page.h - the server-rendered pages: one handler per route, and the
 * pieces several pages share (pager, filter form, rate cell). Handlers
 * read through the read model (record.h and friends) and write HTML
 * through web_htmlf; they return 0, or -1 after web_error().
 *
 *   web_page_runs.c   overview, /runs, /run/ID, /iteration/ID, /boot/ID
 *   web_page_tests.c  /flakes, /test/NAME
 *   web_page_misc.c   /crashes, /crash/ID, /series, /series/ID, /bisects
 */
#ifndef KFLAKE_WEB_PAGE_H
#define KFLAKE_WEB_PAGE_H

#include <jansson.h>

#include "score.h"
#include "strbuf.h"
#include "web_req.h"

int web_page_overview(struct web_req *r);
int web_page_runs(struct web_req *r);
int web_page_run(struct web_req *r);
int web_page_iteration(struct web_req *r);
int web_page_boot(struct web_req *r);
int web_page_flakes(struct web_req *r);
int web_page_test(struct web_req *r);
int web_page_crashes(struct web_req *r);
int web_page_crash(struct web_req *r);
int web_page_series_list(struct web_req *r);
int web_page_series(struct web_req *r);
int web_page_bisects(struct web_req *r);
int web_page_bisect(struct web_req *r);

/* Shared pieces ----------------------------------------------------------- */

/* Start a page in r's body (title escaped; active: its nav path). */
void web_page_start(struct web_req *r, const char *title, const char *active);
int web_page_end(struct web_req *r);
/*
 * "?test=...&amp;page=N" for links that keep wf's filters, sort and a
 * limit other than the default (HTML-escaped, for an href).
 */
void web_page_query(struct strbuf *sb, const struct web_filter *wf,
		    const char *sort, long page);
/* "newer / page N / older" links; nothing when there is one page. */
void web_page_pager(struct strbuf *sb, const char *base,
		    const struct web_filter *wf, int more);
/* The filter form of a list (with_test: a test-name box too). */
void web_page_filter_form(struct strbuf *sb, const char *action,
			  const struct web_filter *wf, int with_test);
/* Two cells: "12.3% (k/n)", and the interval bar with its bounds. */
void web_page_rate_cell(struct strbuf *sb, const struct score *s);
/* A running run's step, progress bar, test, k/n and ETA. */
void web_page_progress(struct strbuf *sb, const char *step,
		       json_t *progress);

#endif
