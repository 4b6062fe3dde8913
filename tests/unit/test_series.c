/*
 * test_series.c - fetch.c, patchwork.c, apply.c and series.c against a
 * patchwork server written here (libmicrohttpd on loopback, answering
 * in the REST API v1.3 format) and `git format-patch` output of a small
 * repository made at run time. Trees are cloned into a private cache.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>
#include <microhttpd.h>

#include "../../harness/apply.h"
#include "../../harness/fetch.h"
#include "../../harness/grouping.h"
#include "../../harness/mbox.h"
#include "../../harness/patchwork.h"
#include "../../harness/series.h"
#include "../../harness/store.h"
#include "../../harness/tree.h"
#include "../../harness/util.h"
#include "test.h"

/*
 * libgit2 1.5 (Debian 12) leaks the pcre2 match data of the config
 * regex behind every git_remote_lookup(), i.e. every fetch of a cloned
 * tree (tree.c) or a branch (series.c). Not ours to fix: tell LSan.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

/* ---- a repository with a base and three patches ---- */

static int git(const char *dir, const char *out, const char *const *args)
{
	return test_git(dir, out, "2024-01-02T03:04:05+0100", args);
}

static int commit(const char *repo, const char *file, const void *content,
		  size_t len, const char *author, const char *msg)
{
	const char *add[] = { "add", file, NULL };
	const char *ci[] = { "commit", "-q", "-F", "../msg", "--author",
			     author, NULL };
	char *path = xasprintf("%s/%s", repo, file);
	char *m = xasprintf("%s/../msg", repo);
	int bad = util_write_file(path, content, len) ||
		  util_write_file(m, msg, strlen(msg));

	free(path);
	free(m);
	if (bad || git(repo, NULL, add))
		return -1;
	return git(repo, NULL, ci);
}

#define NET_BASE "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\n"

struct repo {
	char *path;
	char *patches;		/* format-patch directory */
	char *mbox;		/* the same as one mbox */
	char base[41], tip[41], side[41];
};

static int rev(const char *repo, const char *what, char out[41])
{
	const char *a[] = { "rev-parse", what, NULL };
	char *f = xasprintf("%s/../rev", repo);
	struct strbuf sb = STRBUF_INIT;
	int ret = git(repo, f, a) || util_read_file(f, &sb, 4096) ||
		  sb.len < 40;

	if (!ret)
		snprintf(out, 41, "%.40s", sb.buf);
	strbuf_release(&sb);
	free(f);
	return ret ? -1 : 0;
}

/*
 * main: base (README, net.c) then "net: first" (l2), "net: second" (l8
 * and a new file, by an author with a non-ASCII name) and a binary file;
 * side: base plus a change of l8, on which "net: second" cannot apply.
 */
static int make_repo(struct repo *r)
{
	const char *init[] = { "init", "-q", "-b", "main", NULL };
	const char *side[] = { "checkout", "-q", "-b", "side", "main~3", NULL };
	const char *back[] = { "checkout", "-q", "main", NULL };
	unsigned char bin[300];
	size_t i;
	int bad = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 13 + 1);
	r->path = xasprintf("%s/repo", test_tmpdir());
	r->patches = xasprintf("%s/patches", test_tmpdir());
	r->mbox = xasprintf("%s/series.mbox", test_tmpdir());
	util_mkdir_p(r->path);
	bad |= git(r->path, NULL, init);
	bad |= commit(r->path, "net.c", NET_BASE, strlen(NET_BASE),
		      "Base <base@example.org>", "base\n");
	bad |= commit(r->path, "net.c", "l1\nL2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\n",
		      strlen(NET_BASE), "Ann Other <ann@example.org>",
		      "net: first\n\nMake l2 louder.\n\n"
		      "Signed-off-by: Ann Other <ann@example.org>\n");
	bad |= commit(r->path, "net.c", "l1\nL2\nl3\nl4\nl5\nl6\nl7\nL8\nl9\nl10\n",
		      strlen(NET_BASE), "J\xc3\xb6rg S\xc3\xbc\xc3\x9f <jorg@example.org>",
		      "net: second\n\nAnd l8.\n\n"
		      "Reported-by: Some One <one@example.org>\n"
		      "Signed-off-by: J\xc3\xb6rg S\xc3\xbc\xc3\x9f <jorg@example.org>\n");
	bad |= commit(r->path, "blob.bin", bin, sizeof(bin),
		      "Ann Other <ann@example.org>",
		      "blob: add a binary file\n\n"
		      "Signed-off-by: Ann Other <ann@example.org>\n");
	bad |= git(r->path, NULL, side);
	bad |= commit(r->path, "net.c", "l1\nl2\nl3\nl4\nl5\nl6\nl7\nX8\nl9\nl10\n",
		      strlen(NET_BASE), "Side <side@example.org>", "side\n");
	bad |= git(r->path, NULL, back);
	{
		const char *fp[] = { "format-patch", "-q", "--binary",
				     "--cover-letter", "-o", r->patches,
				     "main~3..main", NULL };
		const char *mb[] = { "format-patch", "--stdout", "--binary",
				     "main~3..main", NULL };

		bad |= git(r->path, NULL, fp);
		bad |= git(r->path, r->mbox, mb);
	}
	bad |= rev(r->path, "main~3", r->base) || rev(r->path, "main", r->tip) ||
	       rev(r->path, "side", r->side);
	CHECK_INT(bad, 0);
	return bad ? -1 : 0;
}

static void repo_release(struct repo *r)
{
	free(r->path);
	free(r->patches);
	free(r->mbox);
}

/* Trees go to a cache of our own, never the user's. */
static int private_cache(void)
{
	static char dir[64];

	if (!*dir) {
		snprintf(dir, sizeof(dir), "/tmp/kflake-unit-cache-%d",
			 (int)getpid());
		setenv("KFLAKE_CACHE", dir, 1);
	}
	if (strcmp(util_cache_dir(), dir)) {
		test_fail(__FILE__, __LINE__, "cache dir fixed to %s already",
			  util_cache_dir());
		return -1;
	}
	return 0;
}

static void private_cache_clean(void)
{
	util_rm_rf(util_cache_dir());
}

/* ---- a patchwork server ---- */

struct pw_server {
	struct MHD_Daemon *mhd;
	int port;
	struct strbuf mbox;
	pthread_mutex_t lock;
	int flaky_hits;		/* requests for series 2 (503 first) */
	int events_hits;
	int ev_mode;		/* see events_page() */
	char last_since[64];
};

static void series_json(struct pw_server *s, struct strbuf *sb, int id,
			int received_all)
{
	int i, n = received_all ? 3 : 2;

	strbuf_addf(sb, "{\"id\":%d,\"url\":\"http://127.0.0.1:%d/api/1.3/"
		    "series/%d/\",\"web_url\":\"http://127.0.0.1:%d/project/"
		    "netdevbpf/list/?series=%d\",\"project\":{\"id\":1,\"url\":"
		    "\"http://127.0.0.1:%d/api/1.3/projects/1/\",\"name\":"
		    "\"Netdev + BPF\",\"link_name\":\"netdevbpf\",\"list_id\":"
		    "\"netdev.vger.kernel.org\"},\"name\":\"net: a series\","
		    "\"date\":\"2024-01-02T03:04:05\",\"submitter\":{\"id\":7,"
		    "\"url\":\"http://127.0.0.1:%d/api/1.3/people/7/\","
		    "\"name\":\"Ann Other\",\"email\":\"ann@example.org\"},"
		    "\"version\":2,\"total\":3,\"received_total\":%d,"
		    "\"received_all\":%s,\"mbox\":\"http://127.0.0.1:%d/series/"
		    "%d/mbox/\",\"cover_letter\":{\"id\":99,\"url\":\"x\","
		    "\"msgid\":\"<cover@example.org>\",\"date\":"
		    "\"2024-01-02T03:04:05\",\"name\":\"[v2,0/3] net: a series\","
		    "\"mbox\":\"http://127.0.0.1:%d/cover/99/mbox/\"},"
		    "\"patches\":[", id, s->port, id, s->port, id, s->port,
		    s->port, n, received_all ? "true" : "false", s->port, id,
		    s->port);
	for (i = 1; i <= n; i++)
		strbuf_addf(sb, "%s{\"id\":%d,\"url\":\"x\",\"web_url\":\"x\","
			    "\"msgid\":\"<p%d@example.org>\",\"list_archive_url"
			    "\":null,\"date\":\"2024-01-02T03:04:05\",\"name\":"
			    "\"[v2,%d/3] p\",\"mbox\":\"http://127.0.0.1:%d/"
			    "patch/%d/mbox/\"}", i > 1 ? "," : "", 10 + i, i, i,
			    s->port, 10 + i);
	strbuf_addstr(sb, "]}");
}

static void event(struct strbuf *sb, int first, int sid, const char *date,
		  int port)
{
	strbuf_addf(sb, "%s{\"id\":%d,\"category\":\"series-completed\","
		    "\"project\":{\"id\":1,\"name\":\"Netdev + BPF\",\"link_name\":"
		    "\"netdevbpf\"},\"date\":\"%s\",\"actor\":null,\"payload\":"
		    "{\"series\":{\"id\":%d,\"url\":\"http://127.0.0.1:%d/api/1.3/"
		    "series/%d/\",\"web_url\":\"x\",\"date\":\"%s\",\"name\":"
		    "\"series %d\",\"version\":1,\"mbox\":\"x\"}}}",
		    first ? "" : ",", 100 + sid, date, sid, port, sid, date, sid);
}

/*
 * The events list as patchwork serves it: date >= since, oldest first,
 * two per page with a Link to the next. s->ev_mode adds trouble: 1 an
 * event dated 9999 and two malformed ones, 2 page 2 fails (HTTP 500),
 * 3 pages without end.
 */
static void events_page(struct pw_server *s, struct MHD_Connection *c,
			struct strbuf *body, unsigned *status, char **link)
{
	static const char *const dates[] = {
		"2024-01-02T03:04:05.000001", "2024-01-03T00:00:00",
		"2024-01-04T00:00:00", "9999-12-31T00:00:00",
	};
	const char *page = MHD_lookup_connection_value(
		c, MHD_GET_ARGUMENT_KIND, "page");
	const char *since = MHD_lookup_connection_value(
		c, MHD_GET_ARGUMENT_KIND, "since");
	int pg = page ? atoi(page) : 1, i, k = 0, first = 1;
	int n = s->ev_mode == 1 ? 4 : 3;

	s->events_hits++;
	snprintf(s->last_since, sizeof(s->last_since), "%s", since ? since : "");
	if (s->ev_mode == 2 && pg == 2) {
		*status = 500;
		strbuf_addstr(body, "oops");
		return;
	}
	strbuf_addch(body, '[');
	if (s->ev_mode == 3) {
		event(body, 1, 100 + pg, "2024-01-05T00:00:00", s->port);
		k = pg * 2 + 1;
	}
	for (i = 0; i < n && s->ev_mode != 3; i++) {
		if (since && strcmp(dates[i], since) < 0)
			continue;
		if (k++ / 2 + 1 != pg)
			continue;
		event(body, first, i + 1, dates[i], s->port);
		first = 0;
	}
	if (s->ev_mode == 1 && pg == 1)
		strbuf_addstr(body, ",{\"id\":7,\"date\":\"2024-01-02\"},"
			      "\"junk\"");
	strbuf_addch(body, ']');
	if (k > pg * 2)
		*link = xasprintf("<http://127.0.0.1:%d/api/1.3/events/?category="
				  "series-completed&project=netdevbpf&page=%d>; "
				  "rel=\"next\"", s->port, pg + 1);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *data,
			      size_t *size, void **ptr)
{
	struct pw_server *s = cls;
	struct strbuf body = STRBUF_INIT;
	struct MHD_Response *resp;
	unsigned status = 200;
	char *link = NULL;
	enum MHD_Result ret;

	(void)version;
	(void)data;
	(void)size;
	(void)ptr;
	if (strcmp(method, "GET"))
		return MHD_NO;
	pthread_mutex_lock(&s->lock);
	if (!strcmp(url, "/api/1.3/series/1/")) {
		series_json(s, &body, 1, 1);
	} else if (!strcmp(url, "/api/1.3/series/2/")) {
		if (s->flaky_hits++ == 0) {
			status = 503;
			strbuf_addstr(&body, "busy");
		} else {
			series_json(s, &body, 2, 1);
		}
	} else if (!strcmp(url, "/api/1.3/series/3/")) {
		series_json(s, &body, 3, 0);
	} else if (!strncmp(url, "/series/", 8)) {
		strbuf_add(&body, s->mbox.buf, s->mbox.len);
	} else if (!strcmp(url, "/redirect")) {
		status = 302;
		link = xasprintf("http://127.0.0.1:%d/series/1/mbox/", s->port);
	} else if (!strcmp(url, "/api/1.3/events/")) {
		events_page(s, c, &body, &status, &link);
	} else {
		status = 404;
		strbuf_addstr(&body, "{\"detail\":\"Not found.\"}");
	}
	pthread_mutex_unlock(&s->lock);
	resp = MHD_create_response_from_buffer(body.len, body.buf ? body.buf : "",
					       MHD_RESPMEM_MUST_COPY);
	if (link)
		MHD_add_response_header(resp, status == 302 ? "Location" : "Link",
					link);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	strbuf_release(&body);
	free(link);
	return ret;
}

static int server_start(struct pw_server *s, const char *mbox_path)
{
	const union MHD_DaemonInfo *info;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	if (mbox_path)
		CHECK(!util_read_file(mbox_path, &s->mbox, 1 << 20));
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_ERROR_LOG, 0, NULL, NULL, answer, s,
				  MHD_OPTION_END);
	CHECK(s->mhd != NULL);
	if (!s->mhd)
		return -1;
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	CHECK(s->port > 0);
	return s->port > 0 ? 0 : -1;
}

static void server_stop(struct pw_server *s)
{
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	strbuf_release(&s->mbox);
	pthread_mutex_destroy(&s->lock);
}

/* ---- fetch ---- */

TEST(series_http_fetch_retries_errors_links)
{
	struct pw_server s;
	struct fetch_response r = FETCH_RESPONSE_INIT;
	struct fetch_opts fo = FETCH_OPTS_INIT;
	struct strbuf err = STRBUF_INIT;
	char *url;

	if (server_start(&s, NULL))
		goto out;
	util_set_quiet(1);
	fo.backoff = 0.05;
	url = xasprintf("http://127.0.0.1:%d/api/1.3/series/2/", s.port);
	CHECK_INT(fetch_get(url, &fo, &r, &err), 0);
	CHECK_INT(r.attempts, 2);
	CHECK_INT(r.status, 200);
	CHECK(r.body.buf && strstr(r.body.buf, "\"id\":2"));
	free(url);

	url = xasprintf("http://127.0.0.1:%d/nothing", s.port);
	CHECK_INT(fetch_get(url, &fo, &r, &err), -1);
	CHECK_INT(r.attempts, 1);	/* a 404 is not retried */
	{
		char *want = xasprintf("%s: HTTP 404", url);

		CHECK_STR(err.buf, want);
		free(want);
	}
	free(url);

	strbuf_reset(&err);
	fo.max_size = 100;
	url = xasprintf("http://127.0.0.1:%d/api/1.3/series/1/", s.port);
	CHECK_INT(fetch_get(url, &fo, &r, &err), -1);
	CHECK(err.buf && strstr(err.buf, "larger than 100 bytes"));
	free(url);

	strbuf_reset(&err);
	fo.max_size = 0;
	url = xasprintf("http://127.0.0.1:%d/api/1.3/events/", s.port);
	CHECK_INT(fetch_get(url, &fo, &r, &err), 0);
	{
		char *next = fetch_link_next(&r), *ct;
		char *want = xasprintf("http://127.0.0.1:%d/api/1.3/events/"
				       "?category=series-completed&project="
				       "netdevbpf&page=2", s.port);

		CHECK_STR(next, want);
		ct = fetch_header(&r, "content-type");
		CHECK_STR(ct, "application/json");
		free(ct);
		free(next);
		free(want);
	}
	free(url);

	/* A refused connection is retried, then named. */
	strbuf_reset(&err);
	fo.retries = 1;
	CHECK_INT(fetch_get("http://127.0.0.1:1/x", &fo, &r, &err), -1);
	CHECK_INT(r.attempts, 2);
	CHECK(err.buf && !strncmp(err.buf, "http://127.0.0.1:1/x: ", 22));
	strbuf_reset(&err);
	CHECK_INT(fetch_get("file:///etc/passwd", &fo, &r, &err), -1);
	CHECK_STR(err.buf, "file:///etc/passwd: not an http(s) URL");
out:
	fetch_response_release(&r);
	strbuf_release(&err);
	server_stop(&s);
}

TEST(series_http_link_header_forms)
{
	struct fetch_response r = FETCH_RESPONSE_INIT;
	char *n;

	strbuf_addstr(&r.headers, "HTTP/1.1 200 OK\r\nLink: <http://a/1>; "
		      "rel=\"prev\", <http://a/3>; rel=\"next last\"\r\n\r\n");
	n = fetch_link_next(&r);
	CHECK_STR(n, "http://a/3");
	free(n);
	strbuf_reset(&r.headers);
	strbuf_addstr(&r.headers, "link: <http://a/2>;rel=next\r\n");
	n = fetch_link_next(&r);
	CHECK_STR(n, "http://a/2");
	free(n);
	strbuf_reset(&r.headers);
	strbuf_addstr(&r.headers, "Link: <http://a/1>; rel=\"prev\"\r\n");
	CHECK(fetch_link_next(&r) == NULL);
	fetch_response_release(&r);
}

/* ---- apply ---- */

static int load_series(const char *path, struct mbox_mail **mails, size_t *n,
		       struct mbox_series *s, int allow)
{
	struct strbuf err = STRBUF_INIT;
	int rc = mbox_read_path(path, mails, n, &err);

	if (!rc) {
		struct grouping g;

		grouping_build(*mails, *n, &g);
		rc = grouping_pick(&g, s, &err);
		grouping_release(&g);
		if (!rc && !allow && !s->complete) {
			strbuf_addstr(&err, s->gap);
			mbox_series_release(s);
			rc = -1;
		}
	}
	if (rc)
		test_fail(__FILE__, __LINE__, "%s: %s", path, strbuf_str(&err));
	strbuf_release(&err);
	return rc;
}

TEST(series_apply_format_patch)
{
	struct repo r;
	struct mbox_mail *mails = NULL;
	size_t n = 0, failed = 99;
	struct mbox_series s = { 0 };
	struct strbuf err = STRBUF_INIT;
	git_repository *repo = NULL;
	git_oid base, tip, commits[3];
	git_commit *c = NULL, *orig = NULL;
	size_t i;

	git_libgit2_init();
	if (make_repo(&r) || load_series(r.patches, &mails, &n, &s, 0))
		goto out;
	CHECK_INT(s.npatches, 3);
	CHECK(!git_repository_open(&repo, r.path));
	git_oid_fromstr(&base, r.base);
	git_oid_fromstr(&tip, r.tip);
	CHECK_INT(apply_series(repo, &base, &s, commits, &failed, &err), 0);
	CHECK_STR(strbuf_str(&err), "");
	/* Same trees, authors, dates and messages as the originals. */
	for (i = 0; i < 3; i++) {
		char *want = NULL;
		const git_signature *a, *oa;
		git_oid o;

		CHECK(!git_commit_lookup(&c, repo, &commits[i]));
		if (!i)
			git_oid_cpy(&o, &tip);
		git_commit_free(orig);
		orig = NULL;
		{
			git_object *obj = NULL;
			char spec[32];

			snprintf(spec, sizeof(spec), "main~%zu", 2 - i);
			CHECK(!git_revparse_single(&obj, repo, spec));
			orig = (git_commit *)obj;
		}
		if (!c || !orig)
			break;
		CHECK(git_oid_equal(git_commit_tree_id(c),
				    git_commit_tree_id(orig)));
		a = git_commit_author(c);
		oa = git_commit_author(orig);
		CHECK_STR(a->name, oa->name);
		CHECK_STR(a->email, oa->email);
		CHECK_INT(a->when.time, oa->when.time);
		CHECK_INT(a->when.offset, 60);
		CHECK_STR(git_commit_committer(c)->name, "kflake");
		CHECK_STR(git_commit_message(c), git_commit_message(orig));
		CHECK_INT(git_commit_parentcount(c), 1);
		CHECK(git_oid_equal(git_commit_parent_id(c, 0),
				    i ? &commits[i - 1] : &base));
		free(want);
		git_commit_free(c);
		c = NULL;
	}
	/* The binary file came through. */
	CHECK(git_oid_equal(git_commit_tree_id(orig), git_commit_tree_id(orig)));
	/* Applying again gives the same commits: the committer date is fixed. */
	{
		git_oid again[3];

		CHECK_INT(apply_series(repo, &base, &s, again, NULL, &err), 0);
		CHECK(git_oid_equal(&again[2], &commits[2]));
	}
out:
	git_commit_free(c);
	git_commit_free(orig);
	git_repository_free(repo);
	mbox_series_release(&s);
	mbox_mails_free(mails, n);
	strbuf_release(&err);
	repo_release(&r);
	git_libgit2_shutdown();
}

TEST(series_apply_date_parsing)
{
	git_time t;

	CHECK_INT(apply_parse_date("Tue, 2 Jan 2024 03:04:05 +0100", &t), 0);
	CHECK_INT(t.time, 1704161045);
	CHECK_INT(t.offset, 60);
	CHECK_INT(apply_parse_date("2 Jan 2024 03:04 -0530", &t), 0);
	CHECK_INT(t.time, 1704164640 + 5 * 3600 + 30 * 60);
	CHECK_INT(t.offset, -330);
	CHECK_INT(apply_parse_date("Tue, 2 Jan 2024 03:04:05 GMT", &t), 0);
	CHECK_INT(t.offset, 0);
	CHECK_INT(apply_parse_date("yesterday", &t), -1);
	CHECK_INT(apply_parse_date("", &t), -1);
	CHECK_INT(apply_parse_date("2 Foo 2024 03:04:05", &t), -1);
}

/* ---- series sources, the database and refs ---- */

static char *refs_of(const char *path)
{
	const char *a[] = { "for-each-ref", "--format=%(refname) %(objectname)",
			    NULL };
	char *f = xasprintf("%s/../refs.txt", path);
	struct strbuf sb = STRBUF_INIT;

	CHECK_INT(git(path, f, a), 0);
	util_read_file(f, &sb, 1 << 20);
	free(f);
	return strbuf_detach(&sb);
}

static char *cache_tree(const char *repo)
{
	char hex[41];
	const char *base = strrchr(repo, '/') + 1;

	util_sha1_hex(repo, strlen(repo), hex);
	return xasprintf("%s/trees/%.12s-%s", util_cache_dir(), hex, base);
}

static char *slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	util_read_file(path, &sb, 1 << 20);
	return strbuf_detach(&sb);
}

TEST(series_fetch_conflict_changes_nothing)
{
	struct repo r;
	struct store st = { 0 };
	struct series_opts o = { 0 };
	struct series_result res;
	struct strbuf err = STRBUF_INIT;
	char *db = NULL, *clone = NULL, *before = NULL, *after = NULL;
	char *head0 = NULL, *head1 = NULL, *hp = NULL;
	int rc;

	git_libgit2_init();
	if (private_cache() || make_repo(&r))
		goto out;
	db = xasprintf("%s/k.db", test_tmpdir());
	CHECK(!store_open(&st, db, 0));
	o.source = r.patches;
	o.tree = r.path;
	o.ref = "side";
	/* The first attempt also clones the tree into the cache. */
	rc = series_fetch(&st, &o, &res, &err);
	CHECK_INT(rc, 1);
	CHECK_STR(strbuf_str(&err), "");
	if (!res.error || strncmp(res.error, "patch 2/3 'net: second' does "
				  "not apply to net.c: ", 48))
		test_fail(__FILE__, __LINE__, "error: %s", res.error);
	series_result_release(&res);
	clone = cache_tree(r.path);
	before = refs_of(clone);
	hp = xasprintf("%s/.git/HEAD", clone);
	head0 = slurp(hp);
	rc = series_fetch(&st, &o, &res, &err);
	CHECK_INT(rc, 1);
	/* The same mails on the same base: the same row, not a new one. */
	CHECK_INT(res.reused, 1);
	CHECK_STR(res.state, "apply-failed");
	after = refs_of(clone);
	CHECK_STR(after, before);
	CHECK(!strstr(after, "refs/kflake/series"));
	head1 = slurp(hp);
	CHECK_STR(head1, head0);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM series WHERE "
				  "state = 'apply-failed' AND error LIKE "
				  "'patch 2/3 %' AND result_commit IS NULL", ""), 1);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM patches WHERE "
				  "commit_id IS NOT NULL", ""), 0);
	/* Cover letter and three patches, as the record of the attempt. */
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM patches WHERE "
				  "series_id = ?", "I", res.id), 4);
	series_result_release(&res);
out:
	store_close(&st);
	strbuf_release(&err);
	free(db);
	free(clone);
	free(before);
	free(after);
	free(head0);
	free(head1);
	free(hp);
	repo_release(&r);
	private_cache_clean();
	git_libgit2_shutdown();
}

static void copy_patch(const struct repo *r, const char *dir, const char *name)
{
	char *from = xasprintf("%s/%s", r->patches, name);
	char *to = xasprintf("%s/%s", dir, name);

	CHECK(!util_copy_file(from, to));
	free(from);
	free(to);
}

TEST(series_fetch_bad_inputs)
{
	struct repo r;
	struct store st = { 0 };
	struct series_opts o = { 0 };
	struct series_result res;
	struct strbuf err = STRBUF_INIT;
	char *db = NULL, *dir = NULL, *p = NULL;
	long long id;

	git_libgit2_init();
	if (private_cache() || make_repo(&r))
		goto out;
	db = xasprintf("%s/k.db", test_tmpdir());
	CHECK(!store_open(&st, db, 0));
	o.tree = r.path;
	o.ref = r.base;

	/* The cover letter alone. */
	o.source = p = xasprintf("%s/0000-cover-letter.patch", r.patches);
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	CHECK(err.buf && !strncmp(err.buf, p, strlen(p)));

	/* Patch 2/3 missing: refused, then tested as it is when allowed. */
	strbuf_reset(&err);
	dir = xasprintf("%s/gap", test_tmpdir());
	util_mkdir_p(dir);
	copy_patch(&r, dir, "0001-net-first.patch");
	copy_patch(&r, dir, "0003-blob-add-a-binary-file.patch");
	o.source = dir;
	CHECK_INT(series_fetch(&st, &o, &res, &err), 1);
	CHECK_STR(strbuf_str(&err), "");
	CHECK_STR(res.state, "incomplete");
	CHECK_INT(res.complete, 0);
	CHECK_INT(res.total, 3);
	CHECK_STR(res.error, "the series is incomplete (patch 2/3 is missing); "
		  "--allow-incomplete tests what is there");
	CHECK(res.ref == NULL);
	id = res.id;
	series_result_release(&res);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM series WHERE "
				  "id = ? AND state = 'incomplete' AND complete "
				  "= 0 AND total = 3 AND patch_count = 2 AND "
				  "notes LIKE '%patch 2/3 is missing%'", "I", id), 1);
	/* Allowed now: the incomplete row becomes the applied series. */
	o.allow_incomplete = 1;
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK_INT(res.id, id);
	CHECK_STR(res.state, "applied");
	CHECK_INT(res.npatches, 2);
	CHECK(res.notes && strstr(res.notes, "testing 2 of 3 patches"));
	series_result_release(&res);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM series WHERE "
				  "id = ? AND state = 'applied' AND complete = 0 "
				  "AND notes LIKE '%testing 2 of 3%'", "I", id), 1);

	/* Junk sources are one line naming them; nothing is recorded. */
	o.allow_incomplete = 0;
	strbuf_reset(&err);
	o.source = "pw:http://127.0.0.1:1/notanumber";
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	CHECK(err.buf && strstr(err.buf, "expected pw:URL/ID"));
	strbuf_reset(&err);
	o.source = "git:/nowhere";
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	CHECK_STR(err.buf, "git:/nowhere: expected git:URL#BRANCH");
	strbuf_reset(&err);
	o.source = "/no/such/file.mbox";
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	CHECK(err.buf && !strncmp(err.buf, "/no/such/file.mbox: ", 20));
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM series", ""), 1);
out:
	store_close(&st);
	strbuf_release(&err);
	free(db);
	free(dir);
	free(p);
	repo_release(&r);
	private_cache_clean();
	git_libgit2_shutdown();
}

TEST(series_fetch_patchwork_and_branch)
{
	struct repo r;
	struct pw_server s;
	struct store st = { 0 };
	struct series_opts o = { 0 };
	struct series_result res;
	struct strbuf err = STRBUF_INIT;
	char *db = NULL, *src = NULL, *clone = NULL, *refs = NULL, *tipref = NULL;
	struct patchwork_poll poll;
	char result[41];
	sqlite3_stmt *stmt;

	git_libgit2_init();
	memset(&s, 0, sizeof(s));
	if (private_cache() || make_repo(&r) || server_start(&s, r.mbox))
		goto out;
	db = xasprintf("%s/k.db", test_tmpdir());
	CHECK(!store_open(&st, db, 0));
	o.tree = r.path;
	o.ref = r.base;
	/* Queued by a poll, fetched under another spelling: one row. */
	CHECK_INT(patchwork_poll(&st, "http://127.0.0.1:0", "netdevbpf", NULL,
				 &poll, &err), -1);
	strbuf_reset(&err);
	src = xasprintf("HTTP://127.0.0.1:%d/api/1.3/", s.port);
	CHECK_INT(patchwork_poll(&st, src, "netdevbpf", "2024-01-01", &poll,
				 &err), 0);
	CHECK_INT(poll.n, 3);
	CHECK_INT(poll.n ? poll.v[0].series_id : 0, 1);
	patchwork_poll_release(&poll);
	free(src);
	o.source = src = xasprintf("pw:http://127.0.0.1:%d/api/1.3/series/1/",
				   s.port);
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK_STR(strbuf_str(&err), "");
	CHECK_INT(res.id, 1);
	CHECK_INT(res.reused, 0);
	CHECK_INT(res.applied, 1);
	CHECK_INT(res.npatches, 3);
	CHECK_STR(res.kind, "patchwork");
	CHECK_STR(res.base, r.base);
	tipref = xasprintf("refs/kflake/series/1-%.12s", res.result);
	CHECK_STR(res.ref, tipref);
	free(tipref);
	stmt = store_prepare(&st, "SELECT kind, msgid, version, subject, "
			     "submitter, patch_count, state, base_commit, "
			     "result_commit, pw_id FROM series WHERE id = ?",
			     "I", res.id);
	CHECK(stmt && sqlite3_step(stmt) == SQLITE_ROW);
	if (stmt) {
		CHECK_STR(store_col_text(stmt, 0), "patchwork");
		CHECK_STR(store_col_text(stmt, 1), "cover@example.org");
		CHECK_INT(sqlite3_column_int(stmt, 2), 2);
		CHECK_STR(store_col_text(stmt, 3), "net: a series");
		CHECK_STR(store_col_text(stmt, 4), "Ann Other <ann@example.org>");
		CHECK_INT(sqlite3_column_int(stmt, 5), 3);
		CHECK_STR(store_col_text(stmt, 6), "applied");
		CHECK_STR(store_col_text(stmt, 7), r.base);
		CHECK_STR(store_col_text(stmt, 8), res.result);
		CHECK_INT(sqlite3_column_int(stmt, 9), 1);
	}
	sqlite3_finalize(stmt);
	stmt = store_prepare(&st, "SELECT seq, subject, author, trailers, "
			     "commit_id FROM patches WHERE series_id = ? "
			     "ORDER BY seq", "I", res.id);
	CHECK(stmt && sqlite3_step(stmt) == SQLITE_ROW);
	if (stmt) {
		CHECK_INT(sqlite3_column_int(stmt, 0), 1);
		CHECK_STR(store_col_text(stmt, 1), "net: first");
		CHECK(sqlite3_step(stmt) == SQLITE_ROW);
		CHECK_INT(sqlite3_column_int(stmt, 0), 2);
		CHECK_STR(store_col_text(stmt, 2),
			  "J\xc3\xb6rg S\xc3\xbc\xc3\x9f <jorg@example.org>");
		CHECK_STR(store_col_text(stmt, 3),
			  "[\"Reported-by: Some One <one@example.org>\","
			  "\"Signed-off-by: J\xc3\xb6rg S\xc3\xbc\xc3\x9f "
			  "<jorg@example.org>\"]");
		CHECK(sqlite3_step(stmt) == SQLITE_ROW);
		CHECK_STR(store_col_text(stmt, 4), res.result);
	}
	sqlite3_finalize(stmt);
	clone = cache_tree(r.path);
	refs = refs_of(clone);
	tipref = xasprintf("refs/kflake/series/1-%.12s %s", res.result,
			   res.result);
	CHECK(strstr(refs, tipref) != NULL);
	/* Fetched again: the same row, commits and ref. */
	strcpy(result, res.result);
	series_result_release(&res);
	free(src);
	o.source = src = xasprintf("pw:http://127.0.0.1:%d/1/", s.port);
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK_INT(res.id, 1);
	CHECK_INT(res.reused, 1);
	CHECK_STR(res.result, result);
	*strchr(tipref, ' ') = '\0';
	CHECK_STR(res.ref, tipref);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM series WHERE "
				  "pw_id = 1", ""), 1);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM patches WHERE "
				  "series_id = 1", ""), 3);
	series_result_release(&res);
	free(src);

	/* 503 then 200; 404; incomplete unless allowed. */
	o.source = src = xasprintf("pw:http://127.0.0.1:%d/2/", s.port);
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK_INT(s.flaky_hits, 2);
	series_result_release(&res);
	free(src);
	o.source = src = xasprintf("pw:http://127.0.0.1:%d/404", s.port);
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	if (!err.buf || !strstr(err.buf, "/api/1.3/series/404/: HTTP 404"))
		test_fail(__FILE__, __LINE__, "err: %s", strbuf_str(&err));
	free(src);
	strbuf_reset(&err);
	o.source = src = xasprintf("pw:http://127.0.0.1:%d/3", s.port);
	CHECK_INT(series_fetch(&st, &o, &res, &err), 1);
	CHECK_STR(res.state, "incomplete");
	CHECK(res.error && strstr(res.error, "incomplete (patchwork received "
				  "2 of 3 patches)"));
	series_result_release(&res);
	free(src);
	strbuf_reset(&err);

	/* An mbox URL, through a redirect. */
	o.source = src = xasprintf("http://127.0.0.1:%d/redirect", s.port);
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK_STR(res.kind, "mbox");
	CHECK_INT(res.npatches, 3);
	series_result_release(&res);
	free(src);

	/* A branch: its commits as they are, on the merge base. */
	o.source = src = xasprintf("git:%s#main", r.path);
	o.ref = "side";
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK_STR(strbuf_str(&err), "");
	CHECK_STR(res.kind, "branch");
	CHECK_STR(res.base, r.base);
	CHECK_STR(res.result, r.tip);
	CHECK_INT(res.npatches, 3);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM patches WHERE "
				  "series_id = ? AND commit_id IS NOT NULL AND "
				  "trailers LIKE '%Signed-off-by%'", "I", res.id),
		  3);
	series_result_release(&res);
out:
	store_close(&st);
	server_stop(&s);
	strbuf_release(&err);
	free(db);
	free(src);
	free(clone);
	free(refs);
	free(tipref);
	repo_release(&r);
	private_cache_clean();
	git_libgit2_shutdown();
}

TEST(patchwork_source_spellings)
{
	static const char *const same[] = {
		"pw:https://patchwork.kernel.org/12345",
		"pw:https://patchwork.kernel.org/12345/",
		"pw:HTTPS://Patchwork.Kernel.ORG:443/12345",
		"pw:https://patchwork.kernel.org/api/12345",
		"pw:https://patchwork.kernel.org/api/1.3/12345",
		"pw:https://patchwork.kernel.org/api/1.2/series/12345/",
		"pw:https://patchwork.kernel.org/series/12345/mbox/",
		"pw:https://patchwork.kernel.org//series//12345",
		"pw:https://patchwork.kernel.org/project/netdevbpf/list/?series=12345",
		"pw:https://patchwork.kernel.org/project/netdevbpf/list/?state=*&series=12345",
		"https://patchwork.kernel.org/api/1.3/series/12345/",
	};
	static const char *const bad[] = {
		"pw:https://patchwork.kernel.org/",
		"pw:https://patchwork.kernel.org/abc",
		"pw:https://patchwork.kernel.org/0",
		"pw:https://patchwork.kernel.org/project/x/list/?series=x",
		"pw:ftp://patchwork.kernel.org/12",
		"pw:https:///12",
		"pw:12",
		"",
	};
	struct strbuf err = STRBUF_INIT;
	size_t i;
	long id;
	char *c;

	for (i = 0; i < ARRAY_SIZE(same); i++) {
		id = 0;
		c = patchwork_source_canonical(same[i], &id, &err);
		if (!c || strcmp(c, "pw:https://patchwork.kernel.org/12345"))
			test_fail(__FILE__, __LINE__, "%s -> %s (%s)", same[i],
				  c ? c : "NULL", strbuf_str(&err));
		CHECK_INT(id, 12345);
		free(c);
	}
	/* A path prefix and a port stay; http keeps :8080, drops :80. */
	c = patchwork_source_canonical("pw:http://Host:80/pw/api/1.3/7/", NULL,
				       &err);
	CHECK_STR(c, "pw:http://host/pw/7");
	free(c);
	c = patchwork_source_canonical("pw:http://127.0.0.1:8080/7", NULL, &err);
	CHECK_STR(c, "pw:http://127.0.0.1:8080/7");
	free(c);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		strbuf_reset(&err);
		c = patchwork_source_canonical(bad[i], &id, &err);
		if (c)
			test_fail(__FILE__, __LINE__, "%s accepted as %s",
				  bad[i], c);
		free(c);
		CHECK(strstr(strbuf_str(&err), "expected pw:URL/ID") != NULL);
	}
	/* The poll's base and its state key are spelled one way too. */
	c = patchwork_base("HTTPS://PW.example.org:443/api/1.3/");
	CHECK_STR(c, "https://pw.example.org");
	free(c);
	strbuf_release(&err);
}

static long long count_queued(struct store *st)
{
	return store_query_int(st, -1, "SELECT count(*) FROM series WHERE "
			       "state = 'queued' AND kind = 'patchwork'", "");
}

TEST(series_patchwork_poll)
{
	struct pw_server s;
	struct store st = { 0 };
	struct patchwork_poll p;
	struct strbuf err = STRBUF_INIT;
	char *db = NULL, *base = NULL, *key = NULL, *v = NULL;

	if (server_start(&s, NULL))
		goto out;
	db = xasprintf("%s/k.db", test_tmpdir());
	CHECK(!store_open(&st, db, 0));
	base = xasprintf("http://127.0.0.1:%d/", s.port);

	/* The first poll reads the last day only, not all of history. */
	CHECK_INT(patchwork_poll(&st, base, "netdevbpf", NULL, &p, &err), 0);
	CHECK_INT(p.first, 1);
	CHECK_INT(p.n, 0);
	CHECK(strcmp(s.last_since, "2025") > 0);
	patchwork_poll_release(&p);

	/* --since: two pages, oldest first. */
	CHECK_INT(patchwork_poll(&st, base, "netdevbpf", "2024-01-01", &p,
				 &err), 0);
	CHECK_STR(strbuf_str(&err), "");
	CHECK_INT(p.pages, 2);
	CHECK_INT(p.n, 3);
	CHECK_INT(p.capped, 0);
	CHECK(!p.bad);
	CHECK_STR(p.newest, "2024-01-04T00:00:00");
	patchwork_poll_release(&p);
	CHECK_INT(count_queued(&st), 3);
	key = patchwork_state_key(base, "netdevbpf");
	v = store_state_get(&st, key);
	CHECK_STR(v, "2024-01-04T00:00:00");

	/* The next poll starts there and queues nothing twice. */
	CHECK_INT(patchwork_poll(&st, base, "netdevbpf", NULL, &p, &err), 0);
	CHECK_STR(s.last_since, "2024-01-04T00:00:00");
	CHECK_INT(p.n, 1);
	CHECK_INT(p.n ? p.v[0].fresh : 1, 0);
	patchwork_poll_release(&p);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM series", ""), 3);

	/*
	 * An event dated 9999: its series is queued, its date ignored;
	 * an event without a series and a non-object are counted.
	 */
	s.ev_mode = 1;
	CHECK_INT(patchwork_poll(&st, base, "netdevbpf", "2024-01-01", &p,
				 &err), 0);
	CHECK_INT(p.future, 1);
	CHECK_INT(p.malformed, 2);
	CHECK_STR(p.newest, "2024-01-04T00:00:00");
	patchwork_poll_release(&p);
	CHECK_INT(count_queued(&st), 4);
	free(v);
	v = store_state_get(&st, key);
	CHECK_STR(v, "2024-01-04T00:00:00");

	/* Page 2 fails: page 1 still counts, the position stops there. */
	s.ev_mode = 2;
	CHECK_INT(store_exec(&st, "DELETE FROM series", ""), 0);
	CHECK_INT(patchwork_poll(&st, base, "netdevbpf", "2024-01-01", &p,
				 &err), 0);
	CHECK_INT(p.pages, 1);
	CHECK(p.bad && strstr(p.bad, "page=2: HTTP 500"));
	CHECK_INT(p.n, 2);
	CHECK_STR(p.newest, "2024-01-03T00:00:00");
	patchwork_poll_release(&p);
	CHECK_INT(count_queued(&st), 2);

	/* Pages without end: the cap stops it and says so. */
	s.ev_mode = 3;
	CHECK_INT(patchwork_poll(&st, base, "netdevbpf", NULL, &p, &err), 0);
	CHECK_INT(p.pages, PATCHWORK_MAX_PAGES);
	CHECK_INT(p.capped, 1);
	patchwork_poll_release(&p);

	/* Another spelling of the instance shares the position. */
	free(v);
	free(key);
	v = xasprintf("HTTP://127.0.0.1:%d/api/1.3/", s.port);
	key = patchwork_state_key(v, "netdevbpf");
	free(v);
	v = patchwork_state_key(base, "netdevbpf");
	CHECK_STR(key, v);

	/* A dead server: one line, nothing changed. */
	CHECK_INT(patchwork_poll(&st, "http://127.0.0.1:1", "x", NULL, &p,
				 &err), -1);
	CHECK(err.buf && !strncmp(err.buf, "http://127.0.0.1:1/api/1.3/events/", 34));
	CHECK(patchwork_parse_date("2024-01-02T03:04:05.5+01:00", &(double){0}) == 0);
	CHECK(patchwork_parse_date("2024-13-02", &(double){0}) == -1);
out:
	store_close(&st);
	server_stop(&s);
	strbuf_release(&err);
	free(db);
	free(base);
	free(key);
	free(v);
}

/* ---- deadlines ---- */

/* A loopback server that accepts connections and never answers. */
static int stalled_server(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 64) || getsockname(fd, (struct sockaddr *)&a, &len)) {
		test_fail(__FILE__, __LINE__, "cannot listen on loopback");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* err mentions the deadline and the call took about that long. */
static void check_deadline(const char *what, double t0, const char *err)
{
	double took = util_now() - t0;

	if (!strstr(err, "no answer within the 2 s network deadline"))
		test_fail(__FILE__, __LINE__, "%s: %s", what, err);
	if (took < 1.5 || took > 6)
		test_fail(__FILE__, __LINE__, "%s: took %.1f s, deadline 2 s",
			  what, took);
}

TEST(series_stalled_servers_hit_the_deadline)
{
	struct fetch_response r = FETCH_RESPONSE_INIT;
	struct strbuf err = STRBUF_INIT;
	struct series_opts o = { 0 };
	struct series_result res;
	struct store st = { 0 };
	struct repo rp;
	struct tree t;
	char *url = NULL, *db = NULL;
	double t0;
	int port = 0, fd;

	git_libgit2_init();
	fd = stalled_server(&port);
	if (fd < 0 || private_cache() || make_repo(&rp))
		goto out;
	fetch_set_deadline(2);
	db = xasprintf("%s/k.db", test_tmpdir());
	CHECK(!store_open(&st, db, 0));

	/* An mbox URL: one GET, its retries within the same deadline. */
	url = xasprintf("http://127.0.0.1:%d/t.mbox.gz", port);
	t0 = util_now();
	CHECK_INT(fetch_get(url, NULL, &r, &err), -1);
	check_deadline("http", t0, strbuf_str(&err));
	fetch_response_release(&r);
	free(url);

	/* pw: two requests (series, mbox) under one deadline. */
	strbuf_reset(&err);
	o.tree = rp.path;
	o.ref = rp.base;
	o.source = url = xasprintf("pw:http://127.0.0.1:%d/7", port);
	t0 = util_now();
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	check_deadline("pw:", t0, strbuf_str(&err));
	free(url);

	/* git: the libgit2 fetch runs in a child, killed at the deadline. */
	strbuf_reset(&err);
	o.source = url = xasprintf("git:http://127.0.0.1:%d/linux.git#main",
				   port);
	t0 = util_now();
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	check_deadline("git:", t0, strbuf_str(&err));
	CHECK(!strncmp(strbuf_str(&err), url, strlen(url)));
	free(url);

	/* A --tree URL to clone. */
	url = xasprintf("http://127.0.0.1:%d/other.git", port);
	t0 = util_now();
	CHECK_INT(tree_open(&t, url), -1);
	check_deadline("clone", t0, "no answer within the 2 s network deadline");
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM series", ""), 0);
out:
	fetch_set_deadline(0);
	store_close(&st);
	strbuf_release(&err);
	if (fd >= 0)
		close(fd);
	free(url);
	free(db);
	repo_release(&rp);
	private_cache_clean();
	git_libgit2_shutdown();
}

/*
 * A --tree PATH is cloned without a checkout, so its HEAD already is the
 * commit a run wants: the first checkout must still fill the work tree
 * (it did not, and `run --tree PATH` found no selftests in it).
 */
TEST(tree_first_checkout_of_a_clone_fills_it)
{
	struct repo r;
	struct tree t = { 0 };
	git_oid tip;
	char *file = NULL;

	git_libgit2_init();
	if (private_cache() || make_repo(&r))
		goto out;
	CHECK_INT(tree_open(&t, r.path), 0);
	CHECK_INT(tree_resolve(&t, "main", &tip), 0);
	file = xasprintf("%s/net.c", t.path);
	CHECK(!util_file_exists(file));
	CHECK_INT(tree_checkout(&t, &tip), 0);
	CHECK(util_file_exists(file));
	/* Checked out now: the same commit again is a no-op that keeps it. */
	CHECK_INT(tree_checkout(&t, &tip), 0);
	CHECK(util_file_exists(file));
out:
	free(file);
	tree_close(&t);
	repo_release(&r);
	private_cache_clean();
	git_libgit2_shutdown();
}

/*
 * A kflake killed in the middle of a checkout leaves .git/index.lock
 * (and maybe HEAD.lock) behind; libgit2 then refuses every later
 * checkout ("index.lock: File exists"), so a killed bisect could never
 * resume. The next holder of the tree lock clears them.
 */
TEST(tree_lock_clears_a_killed_checkouts_lock_files)
{
	struct repo r;
	struct tree t = { 0 };
	git_oid tip, old;
	char *index_lock = NULL, *head_lock = NULL, *file = NULL;
	FILE *f;

	git_libgit2_init();
	if (private_cache() || make_repo(&r))
		goto out;
	CHECK_INT(tree_open(&t, r.path), 0);
	CHECK_INT(tree_resolve(&t, "main", &tip), 0);
	CHECK_INT(tree_resolve(&t, "main~2", &old), 0);
	CHECK_INT(tree_lock(&t), 0);
	CHECK_INT(tree_checkout(&t, &tip), 0);
	tree_unlock(&t);
	index_lock = xasprintf("%s/.git/index.lock", t.path);
	head_lock = xasprintf("%s/.git/HEAD.lock", t.path);
	CHECK((f = fopen(index_lock, "w")) != NULL);
	if (f)
		fclose(f);
	CHECK((f = fopen(head_lock, "w")) != NULL);
	if (f)
		fclose(f);
	CHECK_INT(tree_lock(&t), 0);
	CHECK(!util_file_exists(index_lock));
	CHECK(!util_file_exists(head_lock));
	CHECK_INT(tree_checkout(&t, &old), 0);
	file = xasprintf("%s/blob.bin", t.path);
	CHECK(!util_file_exists(file));	/* main~2 predates blob.bin */
out:
	free(index_lock);
	free(head_lock);
	free(file);
	tree_close(&t);
	repo_release(&r);
	private_cache_clean();
	git_libgit2_shutdown();
}

/* A series the base has already is said to be so, not tested. */
TEST(series_already_in_the_base)
{
	struct repo r;
	struct store st = { 0 };
	struct series_opts o = { 0 };
	struct series_result res;
	struct strbuf err = STRBUF_INIT;
	char *db = NULL, *src = NULL;

	git_libgit2_init();
	if (private_cache() || make_repo(&r))
		goto out;
	db = xasprintf("%s/k.db", test_tmpdir());
	CHECK(!store_open(&st, db, 0));
	o.tree = r.path;
	o.source = r.patches;	/* three patches, one of them binary */
	o.ref = "main";
	CHECK_INT(series_fetch(&st, &o, &res, &err), 1);
	CHECK_STR(res.state, "already-applied");
	CHECK(res.error && strstr(res.error, "already in the base"));
	CHECK(res.ref == NULL);
	series_result_release(&res);

	/* Only the first patch in the base: an ordinary refusal. */
	o.ref = "main~2";
	CHECK_INT(series_fetch(&st, &o, &res, &err), 1);
	CHECK_STR(res.state, "apply-failed");
	CHECK(res.error && strstr(res.error, "patch 1/3 'net: first' does not "
				  "apply to net.c: hunk #1"));
	series_result_release(&res);

	/* A branch whose tip the base contains. */
	o.ref = "main";
	o.source = src = xasprintf("git:%s#main", r.path);
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	CHECK(strstr(strbuf_str(&err), "the branch is already in the base"));
out:
	store_close(&st);
	strbuf_release(&err);
	free(db);
	free(src);
	repo_release(&r);
	private_cache_clean();
	git_libgit2_shutdown();
}

/* ---- pull requests ---- */

/* A free loopback port (bound and released: good enough for a test). */
static int free_port(void)
{
	int port = 0, fd = stalled_server(&port);

	if (fd >= 0)
		close(fd);
	return port;
}

/* `git daemon` serving dir's repositories on 127.0.0.1:port. */
static pid_t git_daemon(const char *dir, int port)
{
	char *p = xasprintf("--port=%d", port), *bp = xasprintf("--base-path=%s", dir);
	const char *argv[] = { "git", "daemon", "--export-all", "--reuseaddr",
			       "--listen=127.0.0.1", p, bp, dir, NULL };
	struct sockaddr_in a;
	pid_t pid = fork();
	int i, fd;

	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp("git", (char *const *)argv);
		_exit(127);
	}
	free(p);
	free(bp);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; pid > 0 && i < 100; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			close(fd);
			return pid;
		}
		close(fd);
		usleep(50000);
	}
	test_fail(__FILE__, __LINE__, "git daemon did not start");
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

static char *pull_mail(const char *repo, const char *url, const char *id)
{
	const char *rp[] = { "request-pull", "main~3", url, "main", NULL };
	char *out = xasprintf("%s/../rp.txt", repo), *mail, *body;
	struct strbuf sb = STRBUF_INIT;

	if (git(repo, out, rp))
		test_fail(__FILE__, __LINE__, "git request-pull failed");
	util_read_file(out, &sb, 1 << 20);
	body = strbuf_detach(&sb);
	mail = xasprintf("From x@y Thu Jan  1 00:00:00 1970\n"
			 "From: Ann Other <ann@example.org>\n"
			 "Subject: [GIT PULL] net: three changes\n"
			 "Date: Tue, 2 Jan 2024 03:04:05 +0000\n"
			 "Message-ID: <%s>\n\nHi,\n\n%s", id, body);
	free(body);
	free(out);
	return mail;
}

TEST(series_pull_request)
{
	struct repo r;
	struct store st = { 0 };
	struct series_opts o = { 0 };
	struct series_result res;
	struct strbuf err = STRBUF_INIT;
	char *db = NULL, *url = NULL, *mail = NULL, *path = NULL, *bad;
	pid_t daemon = -1;
	int port;

	git_libgit2_init();
	if (private_cache() || make_repo(&r))
		goto out;
	port = free_port();
	daemon = git_daemon(test_tmpdir(), port);
	if (daemon < 0)
		goto out;
	db = xasprintf("%s/k.db", test_tmpdir());
	CHECK(!store_open(&st, db, 0));
	url = xasprintf("git://127.0.0.1:%d/repo", port);
	mail = pull_mail(r.path, url, "pull@x");
	path = xasprintf("%s/pull.mbox", test_tmpdir());
	CHECK(!util_write_file(path, mail, strlen(mail)));
	o.tree = r.path;
	o.ref = "side";
	o.source = path;
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK_STR(strbuf_str(&err), "");
	CHECK_STR(res.kind, "pull");
	CHECK_STR(res.subject, "net: three changes");
	CHECK_INT(res.npatches, 3);
	CHECK_STR(res.base, r.base);
	CHECK_STR(res.result, r.tip);
	series_result_release(&res);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM series WHERE "
				  "kind = 'pull' AND msgid = 'pull@x' AND "
				  "result_commit = ?", "s", r.tip), 1);

	/* The request names a tip the branch is not at: refused. */
	bad = strstr(mail, r.tip);
	CHECK(bad != NULL);
	if (bad)
		memcpy(bad, r.base, 40);
	CHECK(!util_write_file(path, mail, strlen(mail)));
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	CHECK(strstr(strbuf_str(&err), "as the request says; not testing") != NULL);
	free(mail);

	/* A file:// URL from a stranger's mail reaches into this host. */
	strbuf_reset(&err);
	free(url);
	url = xasprintf("file://%s", r.path);
	mail = xasprintf("From: A <a@b>\nSubject: [GIT PULL] x\n"
			 "Message-ID: <p2@x>\n\nThe following changes since "
			 "commit %s:\n\n  base\n\nare available in the git "
			 "repository at:\n\n  %s main\n\nfor you to fetch "
			 "changes up to %s:\n", r.base, url, r.tip);
	CHECK(!util_write_file(path, mail, strlen(mail)));
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	CHECK(strstr(strbuf_str(&err), "only git:// and http(s):// URLs") != NULL);
out:
	if (daemon > 0) {
		kill(daemon, SIGTERM);
		waitpid(daemon, NULL, 0);
	}
	store_close(&st);
	strbuf_release(&err);
	free(db);
	free(url);
	free(mail);
	free(path);
	repo_release(&r);
	private_cache_clean();
	git_libgit2_shutdown();
}

/* ---- Depends-on ---- */

/* r's three patches as mails with Message-IDs <a1@x>.., threaded. */
static char *with_ids(const struct repo *r)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	const char *p, *q;
	int k = 0;

	util_read_file(r->mbox, &in, 1 << 20);
	for (p = in.buf; (q = strstr(p, "\nSubject: ")); p = q + 1) {
		strbuf_add(&out, p, (size_t)(q + 1 - p));
		strbuf_addf(&out, "Message-ID: <a%d@x>\n", ++k);
		/* Threaded: each author sent their own patch. */
		if (k > 1)
			strbuf_addstr(&out, "In-Reply-To: <a1@x>\n");
	}
	strbuf_addstr(&out, p);
	strbuf_release(&in);
	return strbuf_detach(&out);
}

/* Series B: one patch that needs patch 2 of r's series under it. */
static void series_b(struct strbuf *sb, const char *depends)
{
	strbuf_addf(sb, "From x@y Thu Jan  1 00:00:00 1970\n"
		    "From: Bee <bee@example.org>\n"
		    "Subject: [PATCH] net: l9 too\n"
		    "Date: Wed, 3 Jan 2024 03:04:05 +0000\n"
		    "Message-ID: <b1@x>\n\nAnd l9.\n\nDepends-on: %s\n"
		    "Signed-off-by: Bee <bee@example.org>\n---\n"
		    "diff --git a/net.c b/net.c\n--- a/net.c\n+++ b/net.c\n"
		    "@@ -7,4 +7,4 @@\n l7\n L8\n-l9\n+L9\n l10\n", depends);
}

TEST(series_depends_on)
{
	struct repo r;
	struct pw_server s;
	struct store st = { 0 };
	struct series_opts o = { 0 };
	struct series_result res;
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	char *db = NULL, *a = NULL, *path = NULL, *url = NULL;
	char *db2 = NULL;

	git_libgit2_init();
	memset(&s, 0, sizeof(s));
	if (private_cache() || make_repo(&r) || server_start(&s, r.mbox))
		goto out;
	db = xasprintf("%s/k.db", test_tmpdir());
	CHECK(!store_open(&st, db, 0));
	path = xasprintf("%s/dep.mbox", test_tmpdir());
	o.tree = r.path;
	o.ref = r.base;
	o.source = path;

	/* B alone, nothing known about <a2@x>: one clear line. */
	series_b(&sb, "<a2@x>");
	CHECK(!util_write_file(path, sb.buf, sb.len));
	CHECK_INT(series_fetch(&st, &o, &res, &err), -1);
	CHECK(strstr(strbuf_str(&err), "it depends on <a2@x>, which is neither "
		     "in this input nor a series fetched before") != NULL);

	/* A and B in one input: B (the newer send) on top of A. */
	strbuf_reset(&err);
	a = with_ids(&r);
	strbuf_reset(&sb);
	strbuf_addstr(&sb, a);
	series_b(&sb, "<a2@x>");
	CHECK(!util_write_file(path, sb.buf, sb.len));
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK_STR(strbuf_str(&err), "");
	if (res.error)
		test_fail(__FILE__, __LINE__, "error: %s; notes: %s", res.error,
			  res.notes ? res.notes : "");
	CHECK_STR(res.subject, "net: l9 too");
	CHECK_INT(res.npatches, 1);
	CHECK_STR(res.base, r.base);
	CHECK(res.notes && strstr(res.notes, "applying first what it depends "
				  "on: <a2@x>, 3 patch(es)"));
	series_result_release(&res);

	/* A recorded first, then B alone: on top of A's row. */
	CHECK(!util_write_file(path, a, strlen(a)));
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	series_result_release(&res);
	strbuf_reset(&sb);
	series_b(&sb, "<a2@x>");
	CHECK(!util_write_file(path, sb.buf, sb.len));
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK(res.notes && strstr(res.notes, "which holds <a2@x> it depends on"));
	series_result_release(&res);

	/* A patchwork series URL: fetched and recorded first. */
	db2 = xasprintf("%s/k2.db", test_tmpdir());
	store_close(&st);
	CHECK(!store_open(&st, db2, 0));
	url = xasprintf("http://127.0.0.1:%d/project/netdevbpf/list/?series=1",
			s.port);
	strbuf_reset(&sb);
	series_b(&sb, url);
	CHECK(!util_write_file(path, sb.buf, sb.len));
	CHECK_INT(series_fetch(&st, &o, &res, &err), 0);
	CHECK_STR(strbuf_str(&err), "");
	CHECK(res.notes && strstr(res.notes, "which it depends on"));
	series_result_release(&res);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM series WHERE "
				  "pw_id = 1 AND state = 'applied'", ""), 1);
out:
	store_close(&st);
	server_stop(&s);
	strbuf_release(&err);
	strbuf_release(&sb);
	free(db);
	free(db2);
	free(a);
	free(path);
	free(url);
	repo_release(&r);
	private_cache_clean();
	git_libgit2_shutdown();
}

/* Strangers' bytes never make --json drop a key. */
TEST(series_json_keeps_invalid_utf8)
{
	struct series_result r;
	json_t *j;

	memset(&r, 0, sizeof(r));
	r.subject = xstrdup("caf\xe9: fix");
	r.error = xstrdup("patch 1/1 does not apply to \xff.c");
	r.state = xstrdup("apply-failed");
	j = series_result_json(&r);
	CHECK_STR(json_string_value(json_object_get(j, "subject")),
		  "caf\xc3\xa9: fix");
	CHECK_STR(json_string_value(json_object_get(j, "error")),
		  "patch 1/1 does not apply to \xc3\xbf.c");
	json_decref(j);
	series_result_release(&r);
}
