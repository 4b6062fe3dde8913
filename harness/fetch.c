/*
 * fetch.c - HTTP(S) downloads into memory (see fetch.h). Everything is
 * bounded: connect and total time, body and header bytes, redirects and
 * retries, so a hostile or broken server cannot stall or bloat kflake.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "fetch.h"
#include "util.h"

/* A POST's body, when there is one. */
struct upload {
	const char *content_type;
	const char *body;
	size_t len;
};

struct sink {
	struct fetch_response *r;
	size_t max;
	int too_big;
};

static size_t body_cb(char *p, size_t size, size_t nmemb, void *data)
{
	struct sink *s = data;
	size_t n = size * nmemb;

	if (s->r->body.len + n > s->max) {
		s->too_big = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	strbuf_add(&s->r->body, p, n);
	return n;
}

static size_t header_cb(char *p, size_t size, size_t nmemb, void *data)
{
	struct sink *s = data;
	size_t n = size * nmemb;

	/* A status line starts the headers of the next (redirected) hop. */
	if (n >= 5 && !strncmp(p, "HTTP/", 5))
		strbuf_reset(&s->r->headers);
	if (s->r->headers.len + n > FETCH_MAX_HEADERS_SIZE)
		return 0;
	strbuf_add(&s->r->headers, p, n);
	return n;
}

int fetch_is_url(const char *s)
{
	return s && (!strncasecmp(s, "http://", 7) ||
		     !strncasecmp(s, "https://", 8));
}

static int transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return 1;
	default:
		return 0;
	}
}

static void sleep_for(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && !util_interrupted)
		;
}

static double deadline_secs = -1;

double fetch_deadline(void)
{
	const char *env;
	double v;

	if (deadline_secs > 0)
		return deadline_secs;
	env = getenv("KFLAKE_NET_TIMEOUT");
	if (env && *env && !util_parse_duration(env, &v) && v > 0)
		return v;
	return FETCH_DEFAULT_DEADLINE;
}

void fetch_set_deadline(double seconds)
{
	deadline_secs = seconds;
}

int fetch_deadline_option(const char *arg)
{
	double v;

	if (util_parse_duration(arg, &v) || v <= 0 || v > 86400)
		return error("--net-timeout %s: expected a duration such as "
			     "90 or 2m (at most a day)", arg);
	fetch_set_deadline(v);
	return 0;
}

/* Milliseconds left until deadline, at least 1. */
static long left_ms(double deadline)
{
	double left = (deadline - util_now()) * 1000;

	return left < 1 ? 1 : (long)left;
}

/* One request; 1: worth retrying, 0: done (ok or not), -1 set err. */
static int attempt(CURL *c, const char *url, const struct fetch_opts *o,
		   const struct upload *up, double deadline,
		   struct fetch_response *r,
		   struct strbuf *err)
{
	long total = left_ms(deadline), connect = 15000;
	struct sink s = { r, o->max_size ? o->max_size : FETCH_MAX_SIZE, 0 };
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	char *accept = NULL, *ctype = NULL;
	CURLcode rc;
	int ret = -1;
	size_t i;

	strbuf_reset(&r->body);
	strbuf_reset(&r->headers);
	r->status = 0;
	r->attempts++;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, o->headers || up ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS,
			 o->max_redirects > 0 ? o->max_redirects : 5L);
	if (o->timeout > 0 && o->timeout * 1000 < total)
		total = o->timeout * 1000;
	if (o->connect_timeout > 0)
		connect = o->connect_timeout * 1000;
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 connect < total ? connect : total);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kflake/1");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
	if (o->accept) {
		accept = xasprintf("Accept: %s", o->accept);
		hdrs = curl_slist_append(hdrs, accept);
	}
	for (i = 0; o->headers && o->headers[i]; i++)
		hdrs = curl_slist_append(hdrs, o->headers[i]);
	if (up) {
		ctype = xasprintf("Content-Type: %s", up->content_type);
		hdrs = curl_slist_append(hdrs, ctype);
		/* No "Expect: 100-continue" round trip for a small body. */
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, up->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)up->len);
	}
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		if (s.max >= (1 << 20))
			strbuf_addf(err, "%s: larger than %zu MiB", url,
				    s.max >> 20);
		else
			strbuf_addf(err, "%s: larger than %zu bytes", url, s.max);
	} else if (rc == CURLE_TOO_MANY_REDIRECTS) {
		strbuf_addf(err, "%s: too many redirects", url);
	} else if (rc == CURLE_OPERATION_TIMEDOUT &&
		   util_now() >= deadline - 0.05) {
		strbuf_addf(err, "%s: no answer within the %.0f s network "
			    "deadline (--net-timeout, $KFLAKE_NET_TIMEOUT)", url,
			    fetch_deadline());
	} else if (rc != CURLE_OK) {
		strbuf_addf(err, "%s: %s", url, *cerr ? cerr
						      : curl_easy_strerror(rc));
		ret = transient(rc);
	} else if (r->status < 200 || r->status > 299) {
		strbuf_addf(err, "%s: HTTP %ld", url, r->status);
		ret = r->status >= 500 || r->status == 429 ? 1 : -1;
	} else {
		ret = 0;
	}
	curl_slist_free_all(hdrs);
	free(accept);
	free(ctype);
	return ret;
}

static int request(const char *url, const struct fetch_opts *o,
		   const struct upload *up, struct fetch_response *r,
		   struct strbuf *err)
{
	static const struct fetch_opts defaults = FETCH_OPTS_INIT;
	double delay, deadline;
	CURL *c;
	int i, rc = -1;

	if (!o)
		o = &defaults;
	r->attempts = 0;
	if (!fetch_is_url(url)) {
		strbuf_addf(err, "%s: not an http(s) URL", url);
		return -1;
	}
	c = curl_easy_init();
	if (!c) {
		strbuf_addf(err, "%s: cannot initialise libcurl", url);
		return -1;
	}
	delay = o->backoff > 0 ? o->backoff : 0;
	deadline = o->deadline_at > 0 ? o->deadline_at
				      : util_now() + fetch_deadline();
	for (i = 0; ; i++) {
		struct strbuf e = STRBUF_INIT;

		rc = attempt(c, url, o, up, deadline, r, &e);
		/* No retry that the deadline would cut short. */
		if (rc <= 0 || i >= o->retries || util_interrupted ||
		    util_now() + delay >= deadline) {
			if (rc)
				strbuf_addstr(err, strbuf_str(&e));
			strbuf_release(&e);
			break;
		}
		if (!util_quiet())
			warning("%s (retrying in %.1f s)", e.buf, delay);
		strbuf_release(&e);
		sleep_for(delay);
		delay *= 2;
	}
	curl_easy_cleanup(c);
	if (rc > 0 && r->attempts > 1)
		strbuf_addf(err, " (after %d attempts)", r->attempts);
	return rc ? -1 : 0;
}

int fetch_get(const char *url, const struct fetch_opts *o,
	      struct fetch_response *r, struct strbuf *err)
{
	return request(url, o, NULL, r, err);
}

int fetch_post(const char *url, const struct fetch_opts *o,
	       const char *content_type, const char *body, size_t len,
	       struct fetch_response *r, struct strbuf *err)
{
	struct upload up = { content_type, body, len };

	return request(url, o, &up, r, err);
}

void fetch_response_release(struct fetch_response *r)
{
	strbuf_release(&r->body);
	strbuf_release(&r->headers);
	r->status = 0;
	r->attempts = 0;
}

char *fetch_header(const struct fetch_response *r, const char *name)
{
	const char *p = strbuf_str(&r->headers);
	size_t nl = strlen(name);
	char *found = NULL;

	while (*p) {
		size_t l = strcspn(p, "\r\n");

		if (l > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1, *e = p + l;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			free(found);
			found = xstrndup(v, (size_t)(e - v));
		}
		p += l;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	return found;
}

/*
 * Link: <url1>; rel="next", <url2>; rel="prev". Parameters may come in
 * any order, rel may be quoted or not and hold several relation types.
 */
char *fetch_link_next(const struct fetch_response *r)
{
	char *v = fetch_header(r, "Link"), *ret = NULL;
	const char *p = v;

	while (p && *p && !ret) {
		const char *lt = strchr(p, '<'), *gt, *end, *rel;

		if (!lt || !(gt = strchr(lt, '>')))
			break;
		end = strchr(gt, ',');
		if (!end)
			end = gt + strlen(gt);
		for (rel = gt; rel && rel < end; rel++) {
			rel = strcasestr(rel, "rel=");
			if (!rel || rel >= end)
				break;
			rel += 4;
			if (*rel == '"')
				rel++;
			/* Any of the space-separated types may be next. */
			while (rel < end && *rel != '"' && *rel != ';') {
				size_t l = strcspn(rel, " \";,");

				if (l == 4 && !strncasecmp(rel, "next", 4)) {
					ret = xstrndup(lt + 1,
						       (size_t)(gt - lt - 1));
					break;
				}
				rel += l;
				while (rel < end && *rel == ' ')
					rel++;
			}
			if (ret)
				break;
		}
		p = *end ? end + 1 : end;
	}
	free(v);
	return ret;
}
