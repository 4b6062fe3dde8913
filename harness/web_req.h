/*
 * web_req.h - one request as the page and API handlers see it: its
 * route match, validated query parameters (filters, pages), the
 * response being built, and the error replies (an HTML page with
 * navigation, or a JSON object under /api/). Handlers use this and the
 * read model; they never see libmicrohttpd or each other.
 */
#ifndef KFLAKE_WEB_REQ_H
#define KFLAKE_WEB_REQ_H

#include <jansson.h>

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

struct web_req {
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

/* A non-empty query parameter, or NULL. */
const char *web_arg(struct web_req *r, const char *name);

/* Validated list parameters: the read model's filter plus the sort. */
struct web_filter {
	struct record_filter f;	/* test, tree, commit, outcome, dates, pages */
	const char *sort;	/* rate, cost, name, iterations; NULL: default */
	char since[32];		/* "" when unset */
	char until[32];
	long default_limit;	/* links leave limit out when it is this */
};
/* -1 after a 400 reply naming the bad parameter. */
int web_filter_parse(struct web_req *r, struct web_filter *wf, long limit);
enum record_tally_sort web_filter_sort(const struct web_filter *wf);

/*
 * Replace the body with an error: JSON {"error", "status"} under /api/,
 * an HTML page with the navigation elsewhere. Returns -1.
 */
int web_error(struct web_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Send v (consumed) as the JSON body. */
int web_send_json(struct web_req *r, json_t *v);
/*
 * A list, the same shape at the top of a response and nested in one:
 * {"items": [...], "page": P, "limit": L, "more": B} (items consumed).
 */
json_t *web_list_json(json_t *items, long page, long limit, int more);

#endif
