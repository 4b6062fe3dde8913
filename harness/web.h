/*
 * web.h - `kflake serve`: the status pages and JSON API over a read-only
 * view of the database. web.c owns the server, routing and limits;
 * web_html.c the pages, web_api.c the JSON endpoints and the data the
 * pages share with them, web_svg.c the inline charts.
 */
#ifndef KFLAKE_WEB_H
#define KFLAKE_WEB_H

#include <jansson.h>
#include <sqlite3.h>

#include "record.h"
#include "store.h"
#include "strbuf.h"

/* Caps that keep one request from starving the others. */
#define WEB_MAX_URL 2048
#define WEB_MAX_ARGS 16
#define WEB_MAX_ARG_LEN 256
#define WEB_MAX_LIMIT 500
#define WEB_MAX_PAGE 100000
#define WEB_QUERY_SECONDS 3.0
#define WEB_LOG_CAP (4 << 20)
#define WEB_SPARK_MAX 30

struct web_config {
	const char *host;	/* numeric address; NULL: 127.0.0.1 */
	int port;		/* 0: any free port */
	const char *db_path;	/* NULL: store_default_path() */
	int threads;		/* 0: one per CPU, at least 2 */
};

struct web_server;

struct web_server *web_start(const struct web_config *cfg);
int web_port(const struct web_server *srv);
void web_stop(struct web_server *srv);

/* "HOST:PORT", "[V6]:PORT" or ":PORT"; host is malloc'ed. */
int web_parse_listen(const char *arg, char **host, int *port);

/* One request as the page and API handlers see it. */
struct web_req {
	struct web_server *srv;
	struct web_conn *conn;
	struct store *st;
	void *mhd;		/* struct MHD_Connection, for query args */
	const char *path;
	long long id;		/* the number in /run/ID and friends */
	const char *name;	/* the rest of /test/NAME */
	const char *rest;	/* what follows the id: "" or "/console" */
	int api;		/* errors as JSON */
	int status;
	const char *ctype;
	struct strbuf body;
};

/* Validated query parameters shared by the list pages and endpoints. */
struct web_filter {
	const char *test;
	const char *tree;
	const char *commit;
	const char *sort;
	char since[32];		/* "" when unset */
	char until[32];
	int outcome;		/* -1: any */
	long long series;	/* runs of one series; set by pages, 0: any */
	long page;		/* from 1 */
	long limit;
};

const char *web_arg(struct web_req *r, const char *name);
/* Both return -1 after setting a 400 response naming the parameter. */
int web_filter_parse(struct web_req *r, struct web_filter *f, long limit);
int web_error(struct web_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * SQL assembled from constant fragments, values always bound: filters
 * add a clause only when set, so the planner still sees plain equality.
 */
#define WEB_SQL_MAX_ARGS 24
struct web_sql {
	struct strbuf sql;
	int nargs;
	struct {
		char type;	/* 'I' or 's' */
		long long i;
		const char *s;
	} args[WEB_SQL_MAX_ARGS];
};

#define WEB_F_TEST (1u << 0)	/* i.test */
#define WEB_F_OUTCOME (1u << 1)	/* i.outcome */
#define WEB_F_RUN (1u << 2)	/* r.tree_id, r.commit_id */
#define WEB_F_ITER_DATE (1u << 3)	/* i.started_at */
#define WEB_F_RUN_DATE (1u << 4)	/* r.started_at */
#define WEB_F_RUN_HAS (1u << 5)	/* runs with a matching iteration */

void web_sql_init(struct web_sql *q, const char *sql);
void web_sql_add(struct web_sql *q, const char *frag);
void web_sql_int(struct web_sql *q, const char *frag, long long v);
void web_sql_text(struct web_sql *q, const char *frag, const char *s);
void web_sql_filters(struct web_sql *q, const struct web_filter *f,
		     unsigned what);
void web_sql_page(struct web_sql *q, const struct web_filter *f);
sqlite3_stmt *web_sql_prepare(struct web_req *r, struct web_sql *q);
void web_sql_release(struct web_sql *q);

/* web_html.c */
void web_html_escape(struct strbuf *sb, const char *s);
void web_html_escape_len(struct strbuf *sb, const char *s, size_t len);
void web_url_escape(struct strbuf *sb, const char *s);
int web_html_overview(struct web_req *r);
int web_html_runs(struct web_req *r);
int web_html_run(struct web_req *r);
int web_html_iteration(struct web_req *r);
int web_html_boot(struct web_req *r);
int web_html_flakes(struct web_req *r);
int web_html_test(struct web_req *r);
int web_html_crashes(struct web_req *r);
int web_html_crash(struct web_req *r);
int web_html_series_list(struct web_req *r);
int web_html_series(struct web_req *r);
void web_html_not_found(struct web_req *r);
/* The page chrome (head, navigation; footer) around a handler's body. */
void web_html_page_start(struct web_req *r, const char *title);
int web_html_page_end(struct web_req *r);

/* web_history.c: alerts, stalls by class, exports. */
int web_html_alerts(struct web_req *r);
int web_html_alert(struct web_req *r);
int web_html_stalls(struct web_req *r);
int web_api_alerts(struct web_req *r);
int web_api_alert(struct web_req *r);
int web_api_stalls(struct web_req *r);
int web_api_export_junit(struct web_req *r);
int web_api_export_kcidb(struct web_req *r);

/* web_api.c: shared data first, then the endpoints. */
struct web_flake {
	char *test;
	char *subcase;		/* NULL on the test's own row */
	long counts[OUTCOME_NR];
	long runs;
	long failures;
	long verdict_runs;
	double rate, lo, hi;
	double stall_cost;	/* seconds lost to stalls */
	char *last_failure;	/* ISO time, or NULL */
	char recent[WEB_SPARK_MAX];	/* outcomes, oldest first */
	int nrecent;
	const char *verdict;
};
int web_flakes_load(struct web_req *r, const struct web_filter *f,
		    struct web_flake **out);
void web_flakes_release(struct web_flake *v, int n);
/* Worst verdict among a run's tests; NULL when none can be scored. */
const char *web_run_verdict(struct web_req *r, long long run_id,
			    long *failures, long *total);
void web_rate(long failures, long runs, double *rate, double *lo,
	      double *hi);
/* Is the process of a 'running' run still there (when on this host)? */
int web_run_alive(const char *host, long long pid);
/* `kflake run ...` for one iteration, shell-quoted; NULL if unknown. */
char *web_reproduce(struct web_req *r, long long iteration_id);

/*
 * Statements the pages and the API share; the column order is part of
 * the contract and written beside each builder.
 */
sqlite3_stmt *web_runs_stmt(struct web_req *r, const struct web_filter *f);
sqlite3_stmt *web_run_iters_stmt(struct web_req *r,
				 const struct web_filter *f, long long run);
sqlite3_stmt *web_test_commits_stmt(struct web_req *r,
				    const struct web_filter *f,
				    const char *test);
sqlite3_stmt *web_test_history_stmt(struct web_req *r,
				    const struct web_filter *f,
				    const char *test, long limit);

json_t *web_json_str(const char *s);
json_t *web_json_row(sqlite3_stmt *stmt);
int web_send_json(struct web_req *r, json_t *v);

int web_api_running(struct web_req *r);
int web_api_runs(struct web_req *r);
int web_api_run(struct web_req *r);
int web_api_iteration(struct web_req *r);
int web_api_tests(struct web_req *r);
int web_api_test(struct web_req *r);
int web_api_crashes(struct web_req *r);
int web_api_crash(struct web_req *r);
int web_api_series_list(struct web_req *r);
int web_api_series(struct web_req *r);

/* web_svg.c */
void web_svg_sparkline(struct strbuf *sb, const char *outcomes, int n,
		       int cell);
void web_svg_interval(struct strbuf *sb, double rate, double lo, double hi);
void web_svg_progress(struct strbuf *sb, long done, long total);
struct web_point {
	double y;
	int outcome;		/* -1: plain point */
};
void web_svg_plot(struct strbuf *sb, const char *title, const char *unit,
		  const struct web_point *pts, int n);

#endif
