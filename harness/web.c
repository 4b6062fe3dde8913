/*
 * web.c - the HTTP server behind `kflake serve`: libmicrohttpd setup,
 * a pool of read-only database connections, routing, parameter
 * validation, and the limits (URL, arguments, rows, query time) that
 * keep one request from hurting the runs writing to the same database.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "util.h"
#include "web.h"

#define WEB_POOL 32

struct web_conn {
	struct store st;
	double deadline;
	int expired;
	int busy;
};

struct web_server {
	struct MHD_Daemon *mhd;
	char *db_path;
	pthread_mutex_t lock;
	struct web_conn pool[WEB_POOL];
	char *css;
	size_t css_len;
	int port;
};

static const char builtin_css[] =
	"body{font-family:sans-serif;margin:0 auto;max-width:72em;"
	"padding:0 .5em}table{border-collapse:collapse}"
	"td,th{padding:.2em .4em;border-bottom:1px solid #ddd}"
	"pre{overflow-x:auto;background:#f6f6f6}.crash{background:#fdd}"
	"nav a{margin-right:1em}.o{padding:0 .3em;color:#fff;background:#555}"
	".o-pass{background:#2e9d4f}.o-fail{background:#d1352b}"
	".o-stall{background:#f08c00}.o-crash{background:#8e3cc4}"
	".scroll{overflow-x:auto}\n";

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
	{ "/", ROUTE_EXACT, web_html_overview, "" },
	{ "/runs", ROUTE_EXACT, web_html_runs, LIST_PARAMS },
	{ "/run/", ROUTE_ID, web_html_run, "page,limit,test,outcome" },
	{ "/iteration/", ROUTE_ID, web_html_iteration, "" },
	{ "/boot/", ROUTE_ID, web_html_boot, "" },
	{ "/flakes", ROUTE_EXACT, web_html_flakes, LIST_PARAMS ",sort" },
	{ "/test/", ROUTE_NAME, web_html_test, LIST_PARAMS },
	{ "/crashes", ROUTE_EXACT, web_html_crashes, "page,limit" },
	{ "/crash/", ROUTE_ID, web_html_crash, "" },
	{ "/alerts", ROUTE_EXACT, web_html_alerts, "state,test" },
	{ "/alert/", ROUTE_ID, web_html_alert, "" },
	{ "/stalls", ROUTE_EXACT, web_html_stalls, "test" },
	{ "/series", ROUTE_EXACT, web_html_series_list, "page,limit" },
	{ "/series/", ROUTE_ID, web_html_series, "" },
	{ "/static/style.css", ROUTE_EXACT, serve_css, "" },
	{ "/api/running", ROUTE_EXACT, web_api_running, "" },
	{ "/api/runs", ROUTE_EXACT, web_api_runs, LIST_PARAMS },
	{ "/api/run/", ROUTE_ID, web_api_run, "page,limit,test,outcome" },
	{ "/api/iteration/", ROUTE_ID, web_api_iteration, "" },
	{ "/api/tests", ROUTE_EXACT, web_api_tests, LIST_PARAMS ",sort" },
	{ "/api/test/", ROUTE_NAME, web_api_test, LIST_PARAMS },
	{ "/api/crashes", ROUTE_EXACT, web_api_crashes, "page,limit" },
	{ "/api/crash/", ROUTE_ID, web_api_crash, "" },
	{ "/api/alerts", ROUTE_EXACT, web_api_alerts, "state,test" },
	{ "/api/alert/", ROUTE_ID, web_api_alert, "" },
	{ "/api/stalls", ROUTE_EXACT, web_api_stalls, "test" },
	{ "/api/export/junit", ROUTE_EXACT, web_api_export_junit, "run,since" },
	{ "/api/export/kcidb", ROUTE_EXACT, web_api_export_kcidb, "run,since" },
	{ "/api/series", ROUTE_EXACT, web_api_series_list, "page,limit" },
	{ "/api/series/", ROUTE_ID, web_api_series, "" },
};

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
	pthread_mutex_lock(&srv->lock);
	c->busy = 0;
	pthread_mutex_unlock(&srv->lock);
}

int web_error(struct web_req *r, int status, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	strbuf_reset(&r->body);
	r->status = status;
	if (r->api) {
		json_t *o = json_object();

		json_object_set_new(o, "error", web_json_str(msg.buf));
		web_send_json(r, o);
		r->status = status;
	} else if (status == 404) {
		web_html_not_found(r);
	} else {
		r->ctype = "text/plain; charset=utf-8";
		strbuf_addf(&r->body, "%d: %s\n", status, msg.buf);
	}
	strbuf_release(&msg);
	return -1;
}

const char *web_arg(struct web_req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(r->mhd,
						    MHD_GET_ARGUMENT_KIND,
						    name);

	return v && *v ? v : NULL;
}

static int valid_text(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return n <= WEB_MAX_ARG_LEN;
}

/* YYYY-MM-DD, optionally followed by THH:MM[:SS][Z]. */
static int parse_date(const char *s, int end_of_day, char out[32])
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p || strlen(s) != 10 + strlen(p))
		return -1;
	if (!*p) {
		tm.tm_hour = end_of_day ? 23 : 0;
		tm.tm_min = tm.tm_sec = end_of_day ? 59 : 0;
	} else {
		p = strptime(p, "T%H:%M", &tm);
		if (p && *p == ':')
			p = strptime(p, ":%S", &tm);
		if (p && *p == 'Z')
			p++;
		if (!p || *p)
			return -1;
	}
	if (tm.tm_year < 70 || tm.tm_year > 1100)
		return -1;
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

static int valid_commit(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > 40)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

static int filter_long(struct web_req *r, const char *name, long min,
		       long max, long *out)
{
	const char *v = web_arg(r, name);

	if (!v)
		return 0;
	if (util_parse_int(v, min, max, out))
		return web_error(r, 400, "%s: expected an integer in %ld..%ld",
				 name, min, max);
	return 0;
}

static int filter_text(struct web_req *r, struct web_filter *f)
{
	const char *v;

	f->test = web_arg(r, "test");
	if (f->test && !valid_text(f->test))
		return web_error(r, 400, "test: bad test name");
	f->tree = web_arg(r, "tree");
	if (f->tree && !valid_text(f->tree))
		return web_error(r, 400, "tree: bad tree");
	f->commit = web_arg(r, "commit");
	if (f->commit && !valid_commit(f->commit))
		return web_error(r, 400, "commit: expected 4 to 40 lowercase "
				 "hex digits");
	v = web_arg(r, "outcome");
	f->outcome = v ? record_outcome_parse(v) : -1;
	if (v && f->outcome < 0)
		return web_error(r, 400, "outcome: expected pass, fail, skip, "
				 "stall, crash or error");
	return 0;
}

static int filter_dates(struct web_req *r, struct web_filter *f)
{
	const char *v;

	v = web_arg(r, "since");
	if (v && parse_date(v, 0, f->since))
		return web_error(r, 400, "since: expected YYYY-MM-DD or "
				 "YYYY-MM-DDTHH:MM:SSZ");
	v = web_arg(r, "until");
	if (v && parse_date(v, 1, f->until))
		return web_error(r, 400, "until: expected YYYY-MM-DD or "
				 "YYYY-MM-DDTHH:MM:SSZ");
	if (*f->since && *f->until && strcmp(f->since, f->until) > 0)
		return web_error(r, 400, "since is after until");
	return 0;
}

int web_filter_parse(struct web_req *r, struct web_filter *f, long limit)
{
	static const char *const sorts[] = { "rate", "cost", "name", "runs" };
	size_t i;

	memset(f, 0, sizeof(*f));
	f->page = 1;
	f->limit = limit;
	if (filter_long(r, "page", 1, WEB_MAX_PAGE, &f->page) ||
	    filter_long(r, "limit", 1, WEB_MAX_LIMIT, &f->limit) ||
	    filter_text(r, f) || filter_dates(r, f))
		return -1;
	f->sort = web_arg(r, "sort");
	if (!f->sort)
		return 0;
	for (i = 0; i < ARRAY_SIZE(sorts); i++)
		if (!strcmp(f->sort, sorts[i]))
			return 0;
	return web_error(r, 400, "sort: expected rate, cost, name or runs");
}

void web_sql_init(struct web_sql *q, const char *sql)
{
	strbuf_init(&q->sql);
	q->nargs = 0;
	strbuf_addstr(&q->sql, sql);
}

void web_sql_add(struct web_sql *q, const char *frag)
{
	strbuf_addstr(&q->sql, frag);
}

void web_sql_int(struct web_sql *q, const char *frag, long long v)
{
	if (q->nargs == WEB_SQL_MAX_ARGS)
		die("web: too many SQL arguments");
	strbuf_addstr(&q->sql, frag);
	q->args[q->nargs].type = 'I';
	q->args[q->nargs++].i = v;
}

void web_sql_text(struct web_sql *q, const char *frag, const char *s)
{
	if (q->nargs == WEB_SQL_MAX_ARGS)
		die("web: too many SQL arguments");
	strbuf_addstr(&q->sql, frag);
	q->args[q->nargs].type = 's';
	q->args[q->nargs++].s = s;
}

static void sql_iter_filters(struct web_sql *q, const struct web_filter *f,
			     unsigned what)
{
	if ((what & WEB_F_TEST) && f->test)
		web_sql_text(q, " AND i.test = ?", f->test);
	if ((what & WEB_F_OUTCOME) && f->outcome >= 0)
		web_sql_text(q, " AND i.outcome = ?",
			     record_outcome_name(f->outcome));
	if ((what & WEB_F_ITER_DATE) && *f->since)
		web_sql_text(q, " AND i.started_at >= ?", f->since);
	if ((what & WEB_F_ITER_DATE) && *f->until)
		web_sql_text(q, " AND i.started_at <= ?", f->until);
}

void web_sql_filters(struct web_sql *q, const struct web_filter *f,
		     unsigned what)
{
	long id = 0;

	sql_iter_filters(q, f, what);
	if ((what & WEB_F_RUN) && f->tree) {
		util_parse_int(f->tree, 1, 1L << 40, &id);
		web_sql_text(q, " AND r.tree_id IN (SELECT id FROM trees "
			     "WHERE source = ?", f->tree);
		web_sql_int(q, " OR id = ?)", id);
	}
	if ((what & WEB_F_RUN) && f->series)
		web_sql_int(q, " AND r.series_id = ?", f->series);
	if ((what & WEB_F_RUN) && f->commit)
		web_sql_text(q, " AND r.commit_id LIKE ? || '%'", f->commit);
	if ((what & WEB_F_RUN_DATE) && *f->since)
		web_sql_text(q, " AND r.started_at >= ?", f->since);
	if ((what & WEB_F_RUN_DATE) && *f->until)
		web_sql_text(q, " AND r.started_at <= ?", f->until);
	if ((what & WEB_F_RUN_HAS) && (f->test || f->outcome >= 0)) {
		web_sql_add(q, " AND EXISTS (SELECT 1 FROM iterations i "
			    "WHERE i.run_id = r.id");
		sql_iter_filters(q, f, WEB_F_TEST | WEB_F_OUTCOME);
		web_sql_add(q, ")");
	}
}

/* Fetches one row more than the page so callers know a next page exists. */
void web_sql_page(struct web_sql *q, const struct web_filter *f)
{
	web_sql_int(q, " LIMIT ?", f->limit + 1);
	web_sql_int(q, " OFFSET ?", (f->page - 1) * f->limit);
}

sqlite3_stmt *web_sql_prepare(struct web_req *r, struct web_sql *q)
{
	sqlite3_stmt *stmt = store_prepare(r->st, q->sql.buf, "");
	int i, rc = SQLITE_OK;

	if (!stmt)
		return NULL;
	for (i = 0; i < q->nargs && rc == SQLITE_OK; i++) {
		if (q->args[i].type == 'I')
			rc = sqlite3_bind_int64(stmt, i + 1, q->args[i].i);
		else
			rc = sqlite3_bind_text(stmt, i + 1, q->args[i].s, -1,
					       SQLITE_STATIC);
	}
	if (rc == SQLITE_OK)
		return stmt;
	sqlite3_finalize(stmt);
	return NULL;
}

void web_sql_release(struct web_sql *q)
{
	strbuf_release(&q->sql);
}

static int serve_css(struct web_req *r)
{
	r->ctype = "text/css; charset=utf-8";
	strbuf_add(&r->body, r->srv->css, r->srv->css_len);
	return 0;
}

/* Route-level checks: known parameter names, each once and short. */
struct arg_check {
	const char *allowed;
	const char *bad;
	int count;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct arg_check *ac = cls;
	const char *p = ac->allowed;
	size_t n = strlen(key);

	ac->count++;
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
	struct arg_check ac = { rt->params, NULL, 0 };

	MHD_get_connection_values(r->mhd, MHD_GET_ARGUMENT_KIND, check_arg,
				  &ac);
	if (ac.bad)
		return web_error(r, 400, "unknown or oversized parameter '%.40s'",
				 ac.bad);
	if (ac.count > WEB_MAX_ARGS)
		return web_error(r, 400, "too many parameters");
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
	/* Only the boot page has a sub-resource. */
	return !*rest || !strcmp(rest, "/console");
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
		    valid_text(r->path + n)) {
			r->name = r->path + n;
			return rt;
		}
		if (rt->kind == ROUTE_ID && match_id(r, r->path + n))
			return rt;
	}
	return NULL;
}

static void dispatch(struct web_req *r)
{
	const struct route *rt;

	r->api = !strncmp(r->path, "/api/", 5);
	rt = route_find(r);
	if (!rt) {
		web_error(r, 404, "no such page");
		return;
	}
	if (r->rest && *r->rest && rt->fn != web_html_boot) {
		web_error(r, 404, "no such page");
		return;
	}
	if (check_args(r, rt))
		return;
	if (rt->fn == serve_css) {
		serve_css(r);
		return;
	}
	r->conn = conn_get(r->srv);
	if (!r->conn) {
		web_error(r, 503, "database unavailable");
		return;
	}
	r->st = &r->conn->st;
	rt->fn(r);
	if (r->conn->expired)
		web_error(r, 503, "query took too long; narrow the filters");
	sqlite3_progress_handler(r->st->db, 0, NULL, NULL);
	conn_put(r->srv, r->conn);
}

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

static enum MHD_Result handle(void *cls, struct MHD_Connection *mc,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct web_req r;
	enum MHD_Result ret;

	memset(&r, 0, sizeof(r));
	r.srv = cls;
	r.mhd = mc;
	r.path = url;
	r.status = 200;
	r.ctype = "text/html; charset=utf-8";
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		web_error(&r, 405, "only GET and HEAD");
	else if (*upload_size)
		web_error(&r, 413, "no request bodies");
	else if (strlen(url) > WEB_MAX_URL)
		web_error(&r, 414, "URL too long");
	else
		dispatch(&r);
	ret = reply(mc, &r);
	strbuf_release(&r.body);
	return ret;
}

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

struct web_server *web_start(const struct web_config *cfg)
{
	struct web_server *srv = xcalloc(1, sizeof(*srv));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	int threads = cfg->threads > 0 ? cfg->threads : default_threads();

	pthread_mutex_init(&srv->lock, NULL);
	srv->db_path = xstrdup(cfg->db_path ? cfg->db_path
					    : store_default_path());
	if (threads > WEB_POOL)
		threads = WEB_POOL;
	if (resolve_addr(cfg->host ? cfg->host : "127.0.0.1", cfg->port, &ss,
			 &flags) || open_check(srv))
		goto fail;
	load_css(srv);
	srv->mhd = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL,
		handle, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
		MHD_OPTION_CONNECTION_LIMIT, 512u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, 256u,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		MHD_OPTION_END);
	if (!srv->mhd) {
		error("serve: cannot listen on %s:%d", cfg->host ? cfg->host
		      : "127.0.0.1", cfg->port);
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
	int i;

	if (!srv)
		return;
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	for (i = 0; i < WEB_POOL; i++)
		if (srv->pool[i].st.db)
			store_close(&srv->pool[i].st);
	pthread_mutex_destroy(&srv->lock);
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
