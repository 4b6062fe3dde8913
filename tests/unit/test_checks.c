/*
 * test_checks.c - unit tests for harness/checks.c against a patchwork
 * checks endpoint on loopback (libmicrohttpd) that answers as the real
 * API does (token header, 201 with the check, GET lists them) and can be
 * told to fail: failed POSTs are retried with backoff, a GET comes
 * between tries, a 4xx is not retried, each outcome is recorded with its
 * tries, and nothing is ever posted twice.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "../../harness/checks.h"
#include "../../harness/store.h"
#include "../../harness/strbuf.h"
#include "../../harness/util.h"
#include "test.h"

#define TOKEN "t0ken"

struct checks_server {
	struct MHD_Daemon *mhd;
	int port;
	pthread_mutex_t lock;
	int fail_next;		/* answer this many POSTs with fail_status */
	unsigned fail_status;
	int posts, gets, created;
	struct strbuf held;	/* the checks of patch 11, a JSON list body */
};

struct upload {
	struct strbuf body;
};

/* A POST the real API would take: our token, a JSON object. */
static unsigned take_post(struct checks_server *s, struct MHD_Connection *c,
			  const struct strbuf *in, struct strbuf *out)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       "Authorization");

	s->posts++;
	if (s->fail_next > 0) {
		s->fail_next--;
		strbuf_addstr(out, "{\"detail\":\"busy\"}");
		return s->fail_status;
	}
	if (!auth || strcmp(auth, "Token " TOKEN)) {
		strbuf_addstr(out, "{\"detail\":\"Invalid token.\"}");
		return 403;
	}
	if (!in->len || in->buf[0] != '{') {
		strbuf_addstr(out, "{\"detail\":\"JSON parse error\"}");
		return 400;
	}
	s->created++;
	/* Keep it as the GET will list it (the body is our own JSON). */
	if (!s->held.len)
		strbuf_addch(&s->held, '[');
	else
		s->held.buf[--s->held.len] = ',';
	strbuf_add(&s->held, in->buf, in->len);
	strbuf_addch(&s->held, ']');
	strbuf_add(out, in->buf, in->len);
	return 201;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *data,
			      size_t *size, void **ptr)
{
	struct checks_server *s = cls;
	struct upload *up = *ptr;
	struct strbuf body = STRBUF_INIT;
	struct MHD_Response *resp;
	unsigned status = 404;
	enum MHD_Result ret;

	(void)version;
	if (!up) {
		up = xcalloc(1, sizeof(*up));
		strbuf_init(&up->body);
		*ptr = up;
		return MHD_YES;
	}
	if (*size) {
		strbuf_add(&up->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&s->lock);
	if (strcmp(url, "/api/1.3/patches/11/checks/")) {
		strbuf_addstr(&body, "{\"detail\":\"Not found.\"}");
	} else if (!strcmp(method, "POST")) {
		status = take_post(s, c, &up->body, &body);
	} else if (!strcmp(method, "GET")) {
		s->gets++;
		status = 200;
		strbuf_addstr(&body, s->held.len ? s->held.buf : "[]");
	}
	pthread_mutex_unlock(&s->lock);
	resp = MHD_create_response_from_buffer(body.len, body.buf ? body.buf : "",
					       MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	strbuf_release(&body);
	return ret;
}

static void done(void *cls, struct MHD_Connection *c, void **ptr,
		 enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *ptr;

	(void)cls;
	(void)c;
	(void)toe;
	if (up) {
		strbuf_release(&up->body);
		free(up);
		*ptr = NULL;
	}
}

static int server_start(struct checks_server *s)
{
	const union MHD_DaemonInfo *info;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	strbuf_init(&s->held);
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_ERROR_LOG, 0, NULL, NULL, answer, s,
				  MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
				  MHD_OPTION_END);
	CHECK(s->mhd != NULL);
	if (!s->mhd)
		return -1;
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	CHECK(s->port > 0);
	return s->port > 0 ? 0 : -1;
}

static void server_stop(struct checks_server *s)
{
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	strbuf_release(&s->held);
	pthread_mutex_destroy(&s->lock);
}

/* The row of the one check: "status attempts http". */
static char *row(struct store *st)
{
	return store_query_str(st, "SELECT status || ' ' || attempts || ' ' || "
			       "ifnull(http_status, '-') FROM ci_checks", "");
}

TEST(checks_retry_record_never_twice)
{
	struct checks_server s;
	struct store st;
	char *db = xasprintf("%s/checks.db", test_tmpdir()), *pw, *r;
	struct checks_ctx c = { &st, NULL, TOKEN, 0, 0.01 };
	struct check ck = { 11, "kflake-quick-pass", "abc123/default",
			    "success", "base 0/10 failed, series 0/10",
			    "http://kflake.example/series/1" };

	if (server_start(&s)) {
		free(db);
		return;
	}
	pw = xasprintf("http://127.0.0.1:%d", s.port);
	c.patchwork = pw;
	CHECK(!store_open(&st, db, 0));

	/* Three 503s: retried with a GET between tries, then recorded. */
	s.fail_next = 3;
	s.fail_status = 503;
	CHECK_INT(checks_post(&c, &ck), -1);
	CHECK_INT(s.posts, 3);
	CHECK_INT(s.gets, 2);
	CHECK_INT(s.created, 0);
	r = row(&st);
	CHECK_STR(r, "failed 3 503");
	free(r);
	CHECK_INT(checks_count(&st, 0, "failed"), 1);

	/* The next pass: a GET first (it was not there), one POST. */
	CHECK_INT(checks_post(&c, &ck), 1);
	CHECK_INT(s.posts, 4);
	CHECK_INT(s.gets, 3);
	CHECK_INT(s.created, 1);
	r = row(&st);
	CHECK_STR(r, "posted 4 201");
	free(r);

	/* Posted: never again, and not even asked about. */
	CHECK_INT(checks_post(&c, &ck), 0);
	CHECK_INT(s.posts, 4);
	CHECK_INT(s.gets, 3);

	/* A crash after the 201 left the intent: the GET finds it. */
	CHECK(!store_exec(&st, "UPDATE ci_checks SET status = 'intent'", ""));
	CHECK_INT(checks_post(&c, &ck), 2);
	CHECK_INT(s.posts, 4);
	CHECK_INT(s.created, 1);
	r = row(&st);
	CHECK_STR(r, "found 4 200");
	free(r);

	/* A 4xx (a wrong token) is not retried: one POST, recorded. */
	ck.kernel = "def456/default";
	c.token = "wrong";
	CHECK_INT(checks_post(&c, &ck), -1);
	CHECK_INT(s.posts, 5);
	CHECK_INT(s.created, 1);
	r = store_query_str(&st, "SELECT status || ' ' || attempts || ' ' || "
			    "http_status FROM ci_checks WHERE kernel = "
			    "'def456/default'", "");
	CHECK_STR(r, "failed 1 403");
	free(r);
	store_close(&st);
	server_stop(&s);
	free(pw);
	free(db);
}
