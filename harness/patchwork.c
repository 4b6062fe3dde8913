/*
 * patchwork.c - reads of the patchwork REST API (see patchwork.h). The
 * JSON comes from a server we do not control: every field is checked
 * for its type, strings are copied with a cap, counts are bounded.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "fetch.h"
#include "patchwork.h"
#include "series.h"
#include "util.h"

#define PW_API "api/1.3"
#define PW_MAX_FIELD 4096

/*
 * "SCHEME://HOST[:PORT]" of url with the scheme and host in lower case
 * and the scheme's default port dropped, and in *rest what follows
 * (path, query), or NULL when url is not http(s).
 */
static char *url_origin(const char *url, const char **rest)
{
	const char *p = strstr(url ? url : "", "://"), *host, *end, *port;
	struct strbuf sb = STRBUF_INIT;
	int https;

	if (!fetch_is_url(url) || !p)
		return NULL;
	https = (p - url) == 5;
	strbuf_addstr(&sb, https ? "https://" : "http://");
	host = p + 3;
	end = host + strcspn(host, "/?#");
	/* user@host: the user part keeps its case. */
	p = memchr(host, '@', (size_t)(end - host));
	if (p) {
		strbuf_add(&sb, host, (size_t)(p + 1 - host));
		host = p + 1;
	}
	port = memrchr(host, ':', (size_t)(end - host));
	if (port && memchr(port, ']', (size_t)(end - port)))
		port = NULL;	/* a colon inside an IPv6 literal */
	for (p = host; p < (port ? port : end); p++)
		strbuf_addch(&sb, (char)tolower((unsigned char)*p));
	if (port && end - port > 1 &&
	    !(!https && end - port == 3 && !memcmp(port, ":80", 3)) &&
	    !(https && end - port == 4 && !memcmp(port, ":443", 4)))
		strbuf_add(&sb, port, (size_t)(end - port));
	if (sb.len == (size_t)(https ? 8 : 7)) {
		strbuf_release(&sb);
		return NULL;	/* no host */
	}
	*rest = end;
	return strbuf_detach(&sb);
}

/* Path segments of s (up to '?' or '#'), empty ones dropped. */
struct segs {
	char *v[64];
	size_t n;
	int overflow;
};

static void split_path(const char *s, struct segs *sg)
{
	size_t l;

	sg->n = 0;
	sg->overflow = 0;
	while (*s && *s != '?' && *s != '#') {
		while (*s == '/')
			s++;
		l = strcspn(s, "/?#");
		if (l && sg->n < ARRAY_SIZE(sg->v))
			sg->v[sg->n++] = xstrndup(s, l);
		else if (l)
			sg->overflow = 1;
		s += l;
	}
}

static void segs_release(struct segs *sg)
{
	while (sg->n)
		free(sg->v[--sg->n]);
}

static int seg_is(const struct segs *sg, size_t from_end, const char *name)
{
	return sg->n > from_end && !strcmp(sg->v[sg->n - 1 - from_end], name);
}

static void segs_drop(struct segs *sg, size_t k)
{
	while (k-- && sg->n)
		free(sg->v[--sg->n]);
}

/* Drop a trailing "api" or "api/1.N". */
static void drop_api(struct segs *sg)
{
	if (sg->n >= 2 && !strcmp(sg->v[sg->n - 2], "api") &&
	    !strncmp(sg->v[sg->n - 1], "1.", 2))
		segs_drop(sg, 2);
	else if (seg_is(sg, 0, "api"))
		segs_drop(sg, 1);
}

static char *join_base(const char *origin, const struct segs *sg)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&sb, origin);
	for (i = 0; i < sg->n; i++)
		strbuf_addf(&sb, "/%s", sg->v[i]);
	return strbuf_detach(&sb);
}

char *patchwork_base(const char *url)
{
	const char *rest = NULL;
	char *origin = url_origin(url, &rest), *b;
	struct segs sg;

	if (!origin) {
		/* Not http(s): callers check; keep the old trimming. */
		size_t n;

		b = xstrdup(url ? url : "");
		n = strlen(b);
		while (n && b[n - 1] == '/')
			b[--n] = '\0';
		return b;
	}
	split_path(rest, &sg);
	drop_api(&sg);
	b = join_base(origin, &sg);
	segs_release(&sg);
	free(origin);
	return b;
}

/* The value of "series=N" in the query of url, or -1. */
static long query_series(const char *url)
{
	const char *q = strchr(url, '?'), *p;
	long v;
	char *num;

	for (p = q; p && *p; p += strcspn(p, "&") + (p[strcspn(p, "&")] != 0)) {
		if (*p == '?' || *p == '&')
			p++;
		if (strncmp(p, "series=", 7))
			continue;
		num = xstrndup(p + 7, strcspn(p + 7, "&#"));
		if (util_parse_int(num, 1, 1L << 40, &v))
			v = -1;
		free(num);
		return v;
	}
	return -1;
}

char *patchwork_source_canonical(const char *source, long *id,
				 struct strbuf *err)
{
	const char *url = source && !strncmp(source, "pw:", 3) ? source + 3
							       : source;
	const char *rest = NULL;
	char *origin = url_origin(url, &rest), *base, *canon = NULL;
	struct segs sg = { { NULL }, 0, 0 };
	long v = -1;

	if (!origin)
		goto bad;
	split_path(rest, &sg);
	if (sg.overflow)
		goto bad;
	v = query_series(rest);
	if (v > 0) {
		/* The web list: BASE/project/P/list/?series=N */
		if (sg.n >= 3 && !strcmp(sg.v[sg.n - 3], "project") &&
		    !strcmp(sg.v[sg.n - 1], "list"))
			segs_drop(&sg, 3);
	} else {
		if (seg_is(&sg, 0, "mbox"))
			segs_drop(&sg, 1);
		if (!sg.n || util_parse_int(sg.v[sg.n - 1], 1, 1L << 40, &v))
			goto bad;
		segs_drop(&sg, 1);
		if (seg_is(&sg, 0, "series"))
			segs_drop(&sg, 1);
	}
	drop_api(&sg);
	base = join_base(origin, &sg);
	canon = xasprintf("pw:%s/%ld", base, v);
	free(base);
	if (id)
		*id = v;
	goto out;
bad:
	strbuf_addf(err, "%.200s: expected pw:URL/ID, e.g. "
		    "pw:https://patchwork.kernel.org/12345", source ? source : "");
out:
	segs_release(&sg);
	free(origin);
	return canon;
}

static char *str_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	return xstrndup(s, strnlen(s, PW_MAX_FIELD));
}

/* Patchwork keeps the angle brackets; the series table does not. */
static char *msgid_field(json_t *o, const char *key)
{
	char *s = str_field(o, key);
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	return s;
}

static long int_field(json_t *o, const char *key, long dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

static json_t *get_json(const char *url, double deadline_at,
			struct strbuf *err)
{
	struct fetch_opts fo = FETCH_OPTS_INIT;
	struct fetch_response r = FETCH_RESPONSE_INIT;
	json_error_t je;
	json_t *j = NULL;

	fo.accept = "application/json";
	fo.deadline_at = deadline_at;
	fo.max_size = (size_t)16 << 20;
	if (fetch_get(url, &fo, &r, err))
		goto out;
	j = json_loadb(r.body.buf ? r.body.buf : "", r.body.len, 0, &je);
	if (!j)
		strbuf_addf(err, "%s: not JSON: %s (line %d)", url, je.text,
			    je.line);
out:
	fetch_response_release(&r);
	return j;
}

static void submitter(json_t *j, struct patchwork_series *s)
{
	json_t *sub = json_object_get(j, "submitter");
	char *name = str_field(sub, "name"), *email = str_field(sub, "email");

	if (*name && *email)
		s->submitter = xasprintf("%s <%s>", name, email);
	else
		s->submitter = xstrdup(*name ? name : email);
	free(name);
	free(email);
}

int patchwork_series_get(const char *base_url, long id, double deadline_at,
			 struct patchwork_series *s, struct strbuf *err)
{
	char *base = patchwork_base(base_url);
	char *url = xasprintf("%s/" PW_API "/series/%ld/", base, id);
	json_t *j, *patches, *cover;
	size_t i;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	j = get_json(url, deadline_at, err);
	if (!j)
		goto out;
	if (!json_is_object(j) || int_field(j, "id", -1) != id) {
		strbuf_addf(err, "%s: not a patchwork series", url);
		goto out;
	}
	s->id = id;
	s->name = str_field(j, "name");
	s->version = (int)int_field(j, "version", 1);
	s->total = (int)int_field(j, "total", 0);
	s->received_all = json_is_true(json_object_get(j, "received_all"));
	submitter(j, s);
	s->mbox = str_field(j, "mbox");
	cover = json_object_get(j, "cover_letter");
	s->cover_msgid = json_is_object(cover) ? msgid_field(cover, "msgid")
					       : xstrdup("");
	patches = json_object_get(j, "patches");
	if (!json_is_array(patches) ||
	    json_array_size(patches) > PATCHWORK_MAX_PATCHES) {
		strbuf_addf(err, "%s: no usable patches list", url);
		goto out;
	}
	s->patches = xcalloc(json_array_size(patches) + 1, sizeof(*s->patches));
	for (i = 0; i < json_array_size(patches); i++) {
		json_t *p = json_array_get(patches, i);
		struct patchwork_patch *pp = &s->patches[s->npatches++];

		pp->id = int_field(p, "id", 0);
		pp->msgid = msgid_field(p, "msgid");
		pp->name = str_field(p, "name");
		pp->mbox = str_field(p, "mbox");
	}
	if (!fetch_is_url(s->mbox)) {
		strbuf_addf(err, "%s: the series has no mbox URL", url);
		goto out;
	}
	ret = 0;
out:
	if (ret)
		patchwork_series_release(s);
	json_decref(j);
	free(url);
	free(base);
	return ret;
}

int patchwork_series_mbox(const struct patchwork_series *s, double deadline_at,
			  struct strbuf *out, struct strbuf *err)
{
	struct fetch_opts fo = FETCH_OPTS_INIT;
	struct fetch_response r = FETCH_RESPONSE_INIT;
	int ret;

	fo.deadline_at = deadline_at;
	ret = fetch_get(s->mbox, &fo, &r, err);

	if (!ret) {
		strbuf_reset(out);
		strbuf_add(out, r.body.buf ? r.body.buf : "", r.body.len);
	}
	fetch_response_release(&r);
	return ret;
}

void patchwork_series_release(struct patchwork_series *s)
{
	size_t i;

	for (i = 0; i < s->npatches; i++) {
		free(s->patches[i].msgid);
		free(s->patches[i].name);
		free(s->patches[i].mbox);
	}
	free(s->patches);
	free(s->name);
	free(s->submitter);
	free(s->mbox);
	free(s->cover_msgid);
	memset(s, 0, sizeof(*s));
}

char *patchwork_state_key(const char *base_url, const char *project)
{
	char *base = patchwork_base(base_url);
	char *key = xasprintf("patchwork:%s:%s:since", base, project);

	free(base);
	return key;
}

static char *events_url(const char *base, const char *project,
			const char *since)
{
	char *p = curl_easy_escape(NULL, project, 0);
	char *s = since ? curl_easy_escape(NULL, since, 0) : NULL;
	char *url;

	/* Oldest first: a poll cut short by the page cap resumes cleanly. */
	url = xasprintf("%s/" PW_API "/events/?category=series-completed"
			"&project=%s&order=date%s%s", base, p ? p : "",
			s ? "&since=" : "", s ? s : "");
	curl_free(p);
	curl_free(s);
	return url;
}

static int digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int patchwork_parse_date(const char *s, double *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, sign = 1;
	const char *p;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!s || strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (digits(p + 1, 2, &h) || p[3] != ':' ||
		    digits(p + 4, 2, &mi))
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -1;
			p += 3;
		}
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			if (digits(p + 1, 2, &zh) || p[3] != ':' ||
			    digits(p + 4, 2, &zm))
				return -1;
			p += 6;
		}
	}
	if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || zh > 23 || zm > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (double)t - sign * (zh * 3600 + zm * 60);
	return 0;
}

static int queue_one(struct store *st, const char *base, json_t *series,
		     struct patchwork_poll *out)
{
	long id = int_field(series, "id", -1);
	char *name, *source;
	struct patchwork_queued *q;
	long long row;
	int fresh;

	source = xasprintf("pw:%s/%ld", base, id);
	name = str_field(series, "name");
	/* The series table is series.c's: it finds or queues the row. */
	row = series_queue(st, source, id, (int)int_field(series, "version", 1),
			   name, &fresh);
	if (row < 0) {
		free(source);
		free(name);
		return -1;
	}
	ALLOC_GROW(out->v, out->n, out->alloc);
	q = &out->v[out->n];
	memset(q, 0, sizeof(*q));
	q->pw_id = id;
	q->name = name;
	q->fresh = fresh;
	q->series_id = row;
	out->n++;
	free(source);
	return 0;
}

/*
 * The event's date moves the poll position, unless it is unreadable or
 * more than a day ahead of this clock: one event dated 9999-12-31 would
 * otherwise make every later poll start after everything.
 */
static void take_date(json_t *e, struct patchwork_poll *out)
{
	json_t *date = json_object_get(e, "date");
	const char *v = json_is_string(date) ? json_string_value(date) : NULL;
	double t;

	if (!v || strnlen(v, 64) >= 64 || patchwork_parse_date(v, &t)) {
		out->malformed++;
		return;
	}
	if (t > util_wallclock() + 86400) {
		if (!out->future++)
			warning("patchwork event %lld is dated %s, more than a "
				"day ahead; its date is ignored",
				(long long)int_field(e, "id", -1), v);
		return;
	}
	if (!out->newest || strcmp(v, out->newest) > 0) {
		free(out->newest);
		out->newest = xstrdup(v);
	}
}

static int poll_events(struct store *st, const char *base, json_t *events,
		       struct patchwork_poll *out)
{
	size_t i;

	for (i = 0; i < json_array_size(events); i++) {
		json_t *e = json_array_get(events, i);
		json_t *series;

		series = json_object_get(json_object_get(e, "payload"),
					 "series");
		if (!json_is_object(e) || int_field(series, "id", -1) <= 0) {
			out->malformed++;
			continue;
		}
		take_date(e, out);
		if (queue_one(st, base, series, out))
			return -1;
	}
	return 0;
}

/*
 * Every page of events, oldest first, up to the page cap. A page that
 * cannot be read ends the walk: what came before it still counts (the
 * position stops there and the next poll reads on), and out->bad says
 * what went wrong.
 */
static json_t *poll_fetch(const char *first, struct patchwork_poll *out)
{
	json_t *all = json_array();
	char *url = xstrdup(first);

	while (url && out->pages < PATCHWORK_MAX_PAGES) {
		struct fetch_opts fo = FETCH_OPTS_INIT;
		struct fetch_response r = FETCH_RESPONSE_INIT;
		struct strbuf err = STRBUF_INIT;
		json_error_t je;
		json_t *j = NULL;
		char *next = NULL;

		fo.accept = "application/json";
		fo.max_size = (size_t)16 << 20;
		if (fetch_get(url, &fo, &r, &err))
			goto bad;
		j = json_loadb(r.body.buf ? r.body.buf : "", r.body.len, 0, &je);
		if (!json_is_array(j)) {
			strbuf_addf(&err, "%s: not a JSON list of events", url);
			goto bad;
		}
		next = fetch_link_next(&r);
		if (next && !fetch_is_url(next)) {
			strbuf_addf(&err, "%s: next page is not an http(s) URL",
				    url);
			free(next);
			next = NULL;
			out->bad = strbuf_detach(&err);
		}
		out->pages++;
		json_array_extend(all, j);
		json_decref(j);
		fetch_response_release(&r);
		strbuf_release(&err);
		free(url);
		url = next;
		continue;
bad:
		out->bad = strbuf_detach(&err);
		json_decref(j);
		fetch_response_release(&r);
		free(url);
		url = NULL;
	}
	if (url) {
		out->capped = 1;
		free(url);
	}
	return all;
}

int patchwork_poll(struct store *st, const char *base_url, const char *project,
		   const char *since, struct patchwork_poll *out,
		   struct strbuf *err)
{
	char *base = patchwork_base(base_url);
	char *key = patchwork_state_key(base_url, project);
	char *url = NULL, ts[32];
	json_t *events = NULL;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->since = since ? xstrdup(since) : store_state_get(st, key);
	if (!out->since) {
		/* A first poll reads the last day, not the project's history. */
		util_iso8601(util_wallclock() - 86400, ts);
		ts[19] = '\0';	/* "YYYY-MM-DDTHH:MM:SS", as patchwork dates */
		out->since = xstrdup(ts);
		out->first = 1;
	}
	url = events_url(base, project, out->since);
	/* The network first: no write transaction waits on a server. */
	events = poll_fetch(url, out);
	if (!out->pages && out->bad) {
		strbuf_addstr(err, out->bad);
		goto out;
	}
	if (store_begin(st)) {
		strbuf_addf(err, "%s: cannot start a transaction", st->path);
		goto out;
	}
	if (poll_events(st, base, events, out)) {
		strbuf_addf(err, "%s: cannot queue series", st->path);
		store_rollback(st);
		goto out;
	}
	if (store_state_set(st, key, out->newest ? out->newest : out->since)) {
		strbuf_addf(err, "%s: cannot save the poll position", st->path);
		store_rollback(st);
		goto out;
	}
	if (store_commit(st)) {
		strbuf_addf(err, "%s: cannot commit", st->path);
		store_rollback(st);
		goto out;
	}
	ret = 0;
out:
	if (ret)
		patchwork_poll_release(out);
	json_decref(events);
	free(url);
	free(key);
	free(base);
	return ret;
}

void patchwork_poll_release(struct patchwork_poll *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].name);
	free(p->v);
	free(p->since);
	free(p->newest);
	free(p->bad);
	memset(p, 0, sizeof(*p));
}
