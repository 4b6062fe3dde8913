/*
 * fetch.h - HTTP(S) GET into memory with libcurl: timeouts, a size cap,
 * bounded redirects, retries with exponential backoff on the failures
 * that go away by themselves (5xx, 429, refused or timed-out connections,
 * cut-off transfers), and the response headers for pagination.
 */
#ifndef KFLAKE_FETCH_H
#define KFLAKE_FETCH_H

#include <stddef.h>

#include "strbuf.h"

#define FETCH_MAX_SIZE ((size_t)64 << 20)
#define FETCH_MAX_HEADERS_SIZE ((size_t)256 << 10)

/*
 * Every network operation (a download with its retries, a git fetch)
 * ends by a total deadline: fetch_deadline() seconds, 120 unless
 * $KFLAKE_NET_TIMEOUT or --net-timeout (fetch_set_deadline()) says.
 */
#define FETCH_DEFAULT_DEADLINE 120
double fetch_deadline(void);
void fetch_set_deadline(double seconds);
/* "--net-timeout SECONDS": 0 and sets it, or -1 with one line printed. */
int fetch_deadline_option(const char *arg);

struct fetch_opts {
	long connect_timeout;	/* seconds; 0: 15 */
	long timeout;		/* seconds for one attempt; 0: the deadline */
	size_t max_size;	/* 0: FETCH_MAX_SIZE */
	long max_redirects;	/* 0: 5 */
	int retries;		/* extra attempts after the first; -1: none */
	double backoff;		/* first delay in seconds, doubled each retry */
	const char *accept;	/* Accept: header, or NULL */
	double deadline_at;	/* util_now() by which all attempts end;
				   0: fetch_deadline() from the call */
	/*
	 * Extra request headers ("Name: value"), NULL-terminated, or NULL.
	 * With these, redirects are not followed: a token in them must
	 * never reach another host.
	 */
	const char *const *headers;
};

#define FETCH_OPTS_INIT { 0, 0, 0, 0, 3, 1.0, NULL, 0, NULL }

struct fetch_response {
	long status;
	struct strbuf body;
	struct strbuf headers;	/* of the last response after redirects */
	int attempts;		/* how many requests it took */
};

#define FETCH_RESPONSE_INIT { 0, STRBUF_INIT, STRBUF_INIT, 0 }

/*
 * GET url into r (o may be NULL for the defaults). Only a 2xx answer
 * succeeds; otherwise return -1 with one line in err naming the URL
 * ("URL: HTTP 404", "URL: larger than 64 MiB", "URL: no answer within
 * the 120 s network deadline"). Bodies arrive exactly as served: no
 * Accept-Encoding is sent, so a .gz file stays gzip.
 */
int fetch_get(const char *url, const struct fetch_opts *o,
	      struct fetch_response *r, struct strbuf *err);
void fetch_response_release(struct fetch_response *r);

/*
 * POST body (len bytes of content_type) to url, with the same bounds,
 * headers and answer rules as fetch_get. Retried only when o->retries
 * says so: a POST that reached the server and timed out may have taken
 * effect, so callers that must not repeat one (patchwork checks) look
 * before they retry.
 */
int fetch_post(const char *url, const struct fetch_opts *o,
	       const char *content_type, const char *body, size_t len,
	       struct fetch_response *r, struct strbuf *err);

/* Value of the last header called name (case-insensitive), or NULL. */
char *fetch_header(const struct fetch_response *r, const char *name);
/* Target of the RFC 5988 Link header's rel="next", or NULL. */
char *fetch_link_next(const struct fetch_response *r);

/* Whether s starts with http:// or https:// (the only schemes fetched). */
int fetch_is_url(const char *s);

#endif
