/*
 * web.c - the HTTP server behind `kflake serve` (see web.h for the
 * layers): libmicrohttpd setup, a pool of read-only database
 * connections, the checks every request passes first (Host allow-list,
 * method, body, URL length, parameter count and names), routing to the
 * page and API handlers, the reply cache (web_cache.c), and the limits
 * (rows, query time) that keep one request from hurting the runs writing
 * to the same database.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "util.h"
#include "web.h"
#include "web_api.h"
#include "web_cache.h"
#include "web_history.h"
#include "web_matrix.h"
#include "web_page.h"
#include "web_req.h"

#define WEB_POOL 32

struct web_conn {
	struct store st;
	double deadline;
	int expired;
	int busy;
};

struct web_server {
	struct MHD_Daemon *mhd;
	struct web_config cfg;	/* hosts copied, host the listen address */
	char *db_path;
	pthread_mutex_t lock;
	struct web_conn pool[WEB_POOL];
	char *css;
	size_t css_len;
	int port;
	struct web_cache *cache;	/* NULL: KFLAKE_WEB_CACHE=0 */
};

/* What the raw request line told us, before libmicrohttpd parsed it. */
struct req_ctx {
	char *uri;		/* as the client sent it: the cache key */
	int called;		/* the handler saw this request once */
	int too_long;
	int too_many;
	size_t body;		/* bytes of request body seen (refused) */
};

/* A body is read (and thrown away) up to this, then the connection ends. */
#define WEB_MAX_BODY 65536

static const char builtin_css[] =
	"body{font-family:sans-serif;margin:0 auto;max-width:72em;"
	"padding:0 .5em}table{border-collapse:collapse}"
	"td,th{padding:.2em .4em;border-bottom:1px solid #ddd}"
	"pre{overflow-x:auto;background:#f6f6f6}.crash{background:#fdd}"
	"nav a{margin-right:1em}.o{padding:0 .3em;color:#fff;background:#555}"
	".o-pass{background:#2e9d4f}.o-fail{background:#d1352b}"
	".o-stall{background:#f08c00}.o-crash{background:#8e3cc4}"
	".scroll{overflow-x:auto}td.name{overflow-wrap:anywhere}\n";

enum route_kind { ROUTE_EXACT, ROUTE_ID, ROUTE_NAME };

struct route {
	const char *prefix;
	enum route_kind kind;
	int (*fn)(struct web_req *r);
	const char *params;	/* allowed query parameters, ',' separated */
};

#define LIST_PARAMS "page,limit,test,tree,commit,outcome,since,until"

static int serve_css(struct web_req *r);

static const struct route routes[] = {
	{ "/", ROUTE_EXACT, web_page_overview, "" },
	{ "/runs", ROUTE_EXACT, web_page_runs, LIST_PARAMS },
	{ "/run/", ROUTE_ID, web_page_run, "page,limit,test,outcome" },
	{ "/iteration/", ROUTE_ID, web_page_iteration, "" },
	{ "/boot/", ROUTE_ID, web_page_boot, "" },
	{ "/flakes", ROUTE_EXACT, web_page_flakes, LIST_PARAMS ",sort" },
	{ "/test/", ROUTE_NAME, web_page_test, LIST_PARAMS },
	{ "/crashes", ROUTE_EXACT, web_page_crashes, "page,limit" },
	{ "/crash/", ROUTE_ID, web_page_crash, "" },
	{ "/series", ROUTE_EXACT, web_page_series_list, "page,limit" },
	{ "/series/", ROUTE_ID, web_page_series, "" },
	{ "/bisects", ROUTE_EXACT, web_page_bisects, "page,limit" },
	{ "/bisect/", ROUTE_ID, web_page_bisect, "" },
	{ "/alerts", ROUTE_EXACT, web_page_alerts, "state,test" },
	{ "/alert/", ROUTE_ID, web_page_alert, "" },
	{ "/stalls", ROUTE_EXACT, web_page_stalls, "test" },
	{ "/matrix", ROUTE_EXACT, web_page_matrix, "plan" },
	{ "/static/style.css", ROUTE_EXACT, serve_css, "" },
	{ "/api/running", ROUTE_EXACT, web_api_running, "" },
	{ "/api/runs", ROUTE_EXACT, web_api_runs, LIST_PARAMS },
	{ "/api/run/", ROUTE_ID, web_api_run, "page,limit,test,outcome" },
	{ "/api/iteration/", ROUTE_ID, web_api_iteration, "" },
	{ "/api/tests", ROUTE_EXACT, web_api_tests, LIST_PARAMS ",sort" },
	{ "/api/changes", ROUTE_EXACT, web_api_changes, "" },
	{ "/api/test/", ROUTE_NAME, web_api_test, LIST_PARAMS },
	{ "/api/crashes", ROUTE_EXACT, web_api_crashes, "page,limit" },
	{ "/api/crash/", ROUTE_ID, web_api_crash, "page,limit" },
	{ "/api/series", ROUTE_EXACT, web_api_series_list, "page,limit" },
	{ "/api/series/", ROUTE_ID, web_api_series, "" },
	{ "/api/bisects", ROUTE_EXACT, web_api_bisects, "page,limit" },
	{ "/api/bisect/", ROUTE_ID, web_api_bisect, "" },
	{ "/api/alerts", ROUTE_EXACT, web_api_alerts, "state,test" },
	{ "/api/alert/", ROUTE_ID, web_api_alert, "" },
	{ "/api/stalls", ROUTE_EXACT, web_api_stalls, "test" },
	{ "/api/matrix", ROUTE_EXACT, web_api_matrix, "plan" },
	{ "/api/export/junit", ROUTE_EXACT, web_api_export_junit, "run,since" },
	{ "/api/export/kcidb", ROUTE_EXACT, web_api_export_kcidb, "run,since" },
};

/* Database connections ------------------------------------------------------- */

/* Stops a statement that runs past the request's deadline. */
static int query_deadline(void *arg)
{
	struct web_conn *c = arg;

	if (util_now() <= c->deadline)
		return 0;
	c->expired = 1;
	return 1;
}

static struct web_conn *conn_get(struct web_server *srv)
{
	struct web_conn *c = NULL;
	int i;

	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < WEB_POOL && !c; i++) {
		if (srv->pool[i].busy)
			continue;
		if (!srv->pool[i].st.db &&
		    store_open(&srv->pool[i].st, srv->db_path, STORE_READONLY))
			break;
		c = &srv->pool[i];
		c->busy = 1;
	}
	pthread_mutex_unlock(&srv->lock);
	if (!c)
		return NULL;
	c->expired = 0;
	c->deadline = util_now() + WEB_QUERY_SECONDS;
	sqlite3_progress_handler(c->st.db, 1000, query_deadline, c);
	return c;
}

static void conn_put(struct web_server *srv, struct web_conn *c)
{
	sqlite3_progress_handler(c->st.db, 0, NULL, NULL);
	pthread_mutex_lock(&srv->lock);
	c->busy = 0;
	pthread_mutex_unlock(&srv->lock);
}

/* Checks and routing ---------------------------------------------------------- */

/* The stylesheet: served by dispatch() from memory, no database. */
static int serve_css(struct web_req *r)
{
	r->ctype = "text/css; charset=utf-8";
	return 0;
}

static int valid_name(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return n <= WEB_MAX_ARG_LEN;
}

/* Route-level checks: known parameter names, each short. */
struct arg_check {
	const char *allowed;
	const char *bad;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct arg_check *ac = cls;
	const char *p = ac->allowed;
	size_t n = strlen(key);

	while (n && (p = strstr(p, key))) {
		if ((p == ac->allowed || p[-1] == ',') &&
		    (p[n] == ',' || !p[n]))
			break;
		p += n;
	}
	if (!n || !p || (value && strlen(value) > WEB_MAX_ARG_LEN)) {
		ac->bad = key;
		return MHD_NO;
	}
	return MHD_YES;
}

static int check_args(struct web_req *r, const struct route *rt)
{
	struct arg_check ac = { rt->params, NULL };

	MHD_get_connection_values(r->mhd, MHD_GET_ARGUMENT_KIND, check_arg,
				  &ac);
	if (ac.bad)
		return web_error(r, 400, "unknown or oversized parameter '%.40s'",
				 ac.bad);
	return 0;
}

static int match_id(struct web_req *r, const char *rest)
{
	long long id = 0;
	int digits = 0;

	while (*rest >= '0' && *rest <= '9' && digits < 15) {
		id = id * 10 + (*rest++ - '0');
		digits++;
	}
	if (!digits || !id)
		return 0;
	r->id = id;
	r->rest = rest;
	return 1;
}

static const struct route *route_find(struct web_req *r)
{
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(routes); i++) {
		const struct route *rt = &routes[i];

		n = strlen(rt->prefix);
		if (rt->kind == ROUTE_EXACT && !strcmp(r->path, rt->prefix))
			return rt;
		if (rt->kind == ROUTE_EXACT || strncmp(r->path, rt->prefix, n))
			continue;
		if (rt->kind == ROUTE_NAME && r->path[n] &&
		    valid_name(r->path + n)) {
			r->name = r->path + n;
			return rt;
		}
		if (rt->kind == ROUTE_ID && match_id(r, r->path + n)) {
			/* Only a boot has a sub-resource, its raw console. */
			if (!*r->rest || (rt->fn == web_page_boot &&
					  !strcmp(r->rest, "/console")))
				return rt;
			return NULL;
		}
	}
	return NULL;
}

static void dispatch(struct web_server *srv, struct web_req *r,
		     const char *uri)
{
	const struct route *rt = route_find(r);
	long long version = -1;
	struct web_conn *c;

	if (!rt) {
		web_error(r, 404, "no such page");
		return;
	}
	if (check_args(r, rt))
		return;
	if (rt->fn == serve_css) {
		r->ctype = "text/css; charset=utf-8";
		strbuf_add(&r->body, srv->css, srv->css_len);
		return;
	}
	/* Nothing committed since this reply was made: send it again. */
	if (srv->cache) {
		version = web_cache_version(srv->cache);
		if (web_cache_get(srv->cache, uri, version, &r->body, &r->ctype,
				  &r->status))
			return;
	}
	c = conn_get(srv);
	if (!c) {
		web_error(r, 503, "database unavailable");
		return;
	}
	r->st = &c->st;
	rt->fn(r);
	if (c->expired)
		web_error(r, 503, "query took too long; narrow the filters");
	else if (srv->cache && r->status == 200)
		web_cache_put(srv->cache, uri, version, &r->body, r->ctype,
			      r->status);
	conn_put(srv, c);
}

/* Host allow-list ------------------------------------------------------------ */

/* The host part of a Host header: no port, no IPv6 brackets. */
static char *host_part(const char *h)
{
	const char *end;

	if (*h == '[') {
		end = strchr(h, ']');
		return end ? xstrndup(h + 1, (size_t)(end - h - 1)) : NULL;
	}
	end = strchr(h, ':');
	return end ? xstrndup(h, (size_t)(end - h)) : xstrdup(h);
}

static int is_loopback_name(const char *h)
{
	struct in_addr a4;

	if (!strcasecmp(h, "localhost") || !strcmp(h, "::1"))
		return 1;
	return inet_pton(AF_INET, h, &a4) == 1 &&
	       (ntohl(a4.s_addr) >> 24) == 127;
}

int web_host_allowed(const struct web_config *cfg, const char *host)
{
	char *h;
	size_t i;
	int ok;

	if (!host || !*host)
		return 0;
	h = host_part(host);
	if (!h || !*h) {
		free(h);
		return 0;
	}
	ok = is_loopback_name(h) ||
	     (cfg->host && !strcasecmp(h, cfg->host) &&
	      strcmp(h, "0.0.0.0") && strcmp(h, "::"));
	for (i = 0; !ok && i < cfg->nallow_hosts; i++)
		ok = !strcasecmp(h, cfg->allow_hosts[i]);
	free(h);
	return ok;
}

/* The reply ---------------------------------------------------------------------- */

static void add_headers(struct MHD_Response *resp, const char *ctype)
{
	MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	/* Escaping is the defence; this is the net under it. */
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; style-src 'self' "
				"'unsafe-inline'; img-src 'self' data:; "
				"frame-ancestors 'none'");
}

static enum MHD_Result reply(struct MHD_Connection *mc, struct web_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = r->body.len;

	resp = MHD_create_response_from_buffer(len, strbuf_detach(&r->body),
					       MHD_RESPMEM_MUST_FREE);
	if (!resp)
		return MHD_NO;
	add_headers(resp, r->ctype);
	if (r->status == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	ret = MHD_queue_response(mc, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Called with the raw URI before libmicrohttpd parses its arguments. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct req_ctx *ctx = xcalloc(1, sizeof(*ctx));
	const char *q = strchr(uri, '?');
	size_t args = 0;

	(void)cls;
	(void)mc;
	ctx->too_long = strlen(uri) > WEB_MAX_URL;
	if (!ctx->too_long)
		ctx->uri = xstrdup(uri);
	for (; q && *q; q++)
		args += *q == '?' || *q == '&';
	ctx->too_many = args > WEB_MAX_ARGS;
	return ctx;
}

static void request_done(void *cls, struct MHD_Connection *mc,
			 void **con_cls, enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)mc;
	(void)code;
	if (*con_cls)
		free(((struct req_ctx *)*con_cls)->uri);
	free(*con_cls);
	*con_cls = NULL;
}

static void check_request(struct web_server *srv, struct MHD_Connection *mc,
			  const char *method, const struct req_ctx *ctx,
			  int body, struct web_req *r)
{
	const char *host = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
						       "Host");

	if (!web_host_allowed(&srv->cfg, host))
		web_error(r, 421, "this server does not answer for host '%.80s'"
			  " (kflake serve --allow-host NAME)", host ? host : "");
	else if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		web_error(r, 405, "only GET and HEAD");
	else if (body)
		web_error(r, 413, "no request bodies");
	else if (ctx->too_many)
		web_error(r, 400, "too many parameters (at most %d)",
			  WEB_MAX_ARGS);
	else if (ctx->too_long)
		web_error(r, 414, "URL too long (at most %d bytes)",
			  WEB_MAX_URL);
	else
		dispatch(srv, r, ctx->uri);
}

/*
 * libmicrohttpd calls this at least twice per request. Queueing the reply
 * on the first call would close the connection (the body might not have
 * been read), so the first call only says "go on": replies are queued on
 * a later call and the connection is kept alive.
 */
static enum MHD_Result handle(void *cls, struct MHD_Connection *mc,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct req_ctx *ctx = *con_cls;
	struct web_req r;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	if (!ctx->called) {
		ctx->called = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		/* No route takes a body: drop it, answer once it is read. */
		ctx->body += *upload_size;
		*upload_size = 0;
		return ctx->body > WEB_MAX_BODY ? MHD_NO : MHD_YES;
	}
	memset(&r, 0, sizeof(r));
	r.mhd = mc;
	r.path = url;
	r.status = 200;
	r.ctype = "text/html; charset=utf-8";
	r.api = !strncmp(url, "/api/", 5);
	check_request(cls, mc, method, ctx, ctx->body != 0, &r);
	ret = reply(mc, &r);
	strbuf_release(&r.body);
	return ret;
}

/* Start and stop -------------------------------------------------------------- */

/* Walks up from the binary: build/san/kflake lives below the checkout. */
static void load_css(struct web_server *srv)
{
	struct strbuf sb = STRBUF_INIT;
	char *path;
	int up;

	for (up = 0; up < 4; up++) {
		path = xasprintf("%s/%.*sweb/style.css", util_home(), up * 3,
				 "../../../../");
		if (!util_read_file(path, &sb, 1 << 20) && sb.len) {
			free(path);
			srv->css_len = sb.len;
			srv->css = strbuf_detach(&sb);
			return;
		}
		strbuf_reset(&sb);
		free(path);
	}
	strbuf_release(&sb);
	srv->css = xstrdup(builtin_css);
	srv->css_len = strlen(builtin_css);
}

static int resolve_addr(const char *host, int port,
			struct sockaddr_storage *ss, unsigned *flags)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*flags |= MHD_USE_IPv6;
		return 0;
	}
	return error("serve: '%s' is not a numeric IP address", host);
}

static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		return 2;
	return n > 16 ? 16 : (int)n;
}

static int open_check(struct web_server *srv)
{
	struct web_conn *c = conn_get(srv);

	if (!c)
		return -1;
	conn_put(srv, c);
	return 0;
}

static void copy_config(struct web_server *srv, const struct web_config *cfg)
{
	char **hosts = xcalloc(cfg->nallow_hosts + 1, sizeof(*hosts));
	size_t i;

	srv->cfg = *cfg;
	srv->cfg.host = xstrdup(cfg->host ? cfg->host : "127.0.0.1");
	for (i = 0; i < cfg->nallow_hosts; i++)
		hosts[i] = xstrdup(cfg->allow_hosts[i]);
	srv->cfg.allow_hosts = (const char *const *)hosts;
	srv->db_path = xstrdup(cfg->db_path ? cfg->db_path
					    : store_default_path());
}

struct web_server *web_start(const struct web_config *cfg)
{
	struct web_server *srv = xcalloc(1, sizeof(*srv));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	int threads = cfg->threads > 0 ? cfg->threads : default_threads();

	pthread_mutex_init(&srv->lock, NULL);
	copy_config(srv, cfg);
	if (threads > WEB_POOL)
		threads = WEB_POOL;
	if (resolve_addr(srv->cfg.host, cfg->port, &ss, &flags) ||
	    open_check(srv))
		goto fail;
	/* KFLAKE_WEB_CACHE=0: every reply made afresh (benchmarks, tests). */
	if (!getenv("KFLAKE_WEB_CACHE") || strcmp(getenv("KFLAKE_WEB_CACHE"),
						  "0")) {
		srv->cache = web_cache_new(srv->db_path);
		if (!srv->cache)
			goto fail;
	}
	load_css(srv);
	srv->mhd = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL,
		handle, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
		MHD_OPTION_CONNECTION_LIMIT, 512u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, 256u,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
		MHD_OPTION_URI_LOG_CALLBACK, uri_seen, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
		MHD_OPTION_END);
	if (!srv->mhd) {
		error("serve: cannot listen on %s:%d", srv->cfg.host, cfg->port);
		goto fail;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : cfg->port;
	return srv;
fail:
	web_stop(srv);
	return NULL;
}

int web_port(const struct web_server *srv)
{
	return srv->port;
}

void web_stop(struct web_server *srv)
{
	size_t i;

	if (!srv)
		return;
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	web_cache_free(srv->cache);
	for (i = 0; i < WEB_POOL; i++)
		if (srv->pool[i].st.db)
			store_close(&srv->pool[i].st);
	pthread_mutex_destroy(&srv->lock);
	for (i = 0; i < srv->cfg.nallow_hosts; i++)
		free((char *)srv->cfg.allow_hosts[i]);
	free((char **)srv->cfg.allow_hosts);
	free((char *)srv->cfg.host);
	free(srv->css);
	free(srv->db_path);
	free(srv);
}

int web_parse_listen(const char *arg, char **host, int *port)
{
	const char *colon = strrchr(arg, ':');
	struct sockaddr_storage ss;
	unsigned flags = 0;
	const char *h = arg;
	size_t hlen;
	long p;

	if (!colon || util_parse_int(colon + 1, 0, 65535, &p))
		return error("--listen '%s': expected HOST:PORT", arg);
	hlen = (size_t)(colon - arg);
	if (hlen >= 2 && arg[0] == '[' && colon[-1] == ']') {
		h++;
		hlen -= 2;
	}
	*host = hlen ? xstrndup(h, hlen) : xstrdup("127.0.0.1");
	if (!strcmp(*host, "localhost")) {
		free(*host);
		*host = xstrdup("127.0.0.1");
	}
	if (resolve_addr(*host, (int)p, &ss, &flags)) {
		free(*host);
		*host = NULL;
		return -1;
	}
	*port = (int)p;
	return 0;
}
