/*
 * checks.c - owns the ci_checks table and the talk with patchwork's
 * checks API (see checks.h). Patchwork is a server we do not control:
 * its answers are parsed with the same care as patchwork.c's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "checks.h"
#include "fetch.h"
#include "util.h"

#define CHECKS_MAX_PAGES 10

char *checks_context(const char *prefix, const char *test, const char *kset)
{
	struct strbuf sb = STRBUF_INIT;
	const char *dot = strrchr(test, '.');
	size_t n = dot && dot != test ? (size_t)(dot - test) : strlen(test), i;

	strbuf_addf(&sb, "%s-", prefix);
	for (i = 0; i < n && i < 64; i++)
		strbuf_addch(&sb, isalnum((unsigned char)test[i]) ||
				  test[i] == '-' || test[i] == '_' ? test[i] : '_');
	if (kset && strcmp(kset, "default")) {
		strbuf_addch(&sb, '-');
		for (i = 0; kset[i] && i < 32; i++)
			strbuf_addch(&sb, isalnum((unsigned char)kset[i]) ||
					  kset[i] == '-' ? kset[i] : '_');
	}
	return strbuf_detach(&sb);
}

const char *checks_state(const char *change, int decided)
{
	if (change && !strcmp(change, "regression"))
		return "fail";
	if (change && !strcmp(change, "improvement"))
		return "success";
	return decided ? "success" : "warning";
}

long long checks_count(struct store *st, long long item_id, const char *status)
{
	return store_query_int(st, 0, "SELECT count(*) FROM ci_checks WHERE "
			       "(:item = 0 OR item_id = :item) AND status = "
			       ":status", ":item I :status s", item_id, status);
}

static char *auth_header(const struct checks_ctx *c)
{
	return xasprintf("Authorization: Token %s", c->token);
}

static void sleep_for(double secs)
{
	struct timespec ts;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && !util_interrupted)
		;
}

/* The kernel marker every description ends with: how a GET finds ours. */
static char *marker(const struct check *ck)
{
	return xasprintf("[kflake kernel %s]", ck->kernel);
}

/*
 * Does patchwork already hold our check? 1 yes, 0 no, -1 could not tell
 * (then nothing is posted: better late than twice).
 */
static int already_there(const struct checks_ctx *c, const struct check *ck,
			 struct strbuf *err)
{
	char *url = xasprintf("%s/api/1.3/patches/%ld/checks/?per_page=100",
			      c->patchwork, ck->patch_id);
	char *auth = auth_header(c), *mark = marker(ck);
	const char *headers[] = { auth, NULL };
	struct fetch_opts fo = FETCH_OPTS_INIT;
	int pages = 0, found = -1;

	fo.accept = "application/json";
	fo.timeout = CHECKS_TIMEOUT;
	fo.max_size = (size_t)8 << 20;
	fo.headers = headers;
	while (url && pages++ < CHECKS_MAX_PAGES) {
		struct fetch_response r = FETCH_RESPONSE_INIT;
		json_t *j, *v;
		char *next;
		size_t i;

		if (fetch_get(url, &fo, &r, err)) {
			fetch_response_release(&r);
			found = -1;
			break;
		}
		j = json_loadb(r.body.buf ? r.body.buf : "", r.body.len, 0, NULL);
		if (!json_is_array(j)) {
			strbuf_addf(err, "%s: not a JSON list of checks", url);
			json_decref(j);
			fetch_response_release(&r);
			found = -1;
			break;
		}
		found = 0;
		json_array_foreach(j, i, v) {
			const char *ctx = json_string_value(json_object_get(v,
								"context"));
			const char *d = json_string_value(json_object_get(v,
							"description"));

			if (ctx && d && !strcmp(ctx, ck->context) &&
			    strstr(d, mark))
				found = 1;
		}
		json_decref(j);
		next = found ? NULL : fetch_link_next(&r);
		fetch_response_release(&r);
		free(url);
		url = next && fetch_is_url(next) ? next : NULL;
		if (next && !url)
			free(next);
		if (found)
			break;
	}
	free(url);
	free(auth);
	free(mark);
	return found;
}

/* One POST; 1 created, 0 failed (err says why; *status the HTTP code). */
static int post_once(const struct checks_ctx *c, const struct check *ck,
		     const char *desc, long *status, struct strbuf *err)
{
	char *url = xasprintf("%s/api/1.3/patches/%ld/checks/", c->patchwork,
			      ck->patch_id);
	char *auth = auth_header(c), *body;
	const char *headers[] = { auth, NULL };
	struct fetch_opts fo = FETCH_OPTS_INIT;
	struct fetch_response r = FETCH_RESPONSE_INIT;
	json_t *j = json_pack("{s:s,s:s,s:s}", "state", ck->state, "context",
			      ck->context, "description", desc);
	int ok;

	if (ck->target_url)
		json_object_set_new(j, "target_url", json_string(ck->target_url));
	body = json_dumps(j, JSON_COMPACT);
	fo.accept = "application/json";
	fo.timeout = CHECKS_TIMEOUT;
	fo.max_size = (size_t)1 << 20;
	fo.retries = 0;		/* ours: look before posting again */
	fo.headers = headers;
	ok = !fetch_post(url, &fo, "application/json", body, strlen(body), &r,
			 err);
	*status = r.status;
	fetch_response_release(&r);
	json_decref(j);
	free(body);
	free(auth);
	free(url);
	return ok;
}

static void test_hook(void)
{
	const char *f = getenv(CHECKS_HOOK_ENV);

	if (!f || !*f)
		return;
	util_write_file(f, "posted\n", 7);
	sleep_for(30);
}

/* Record the outcome of tries POSTs (0: a GET decided) for ck. */
static int record(const struct checks_ctx *c, const struct check *ck,
		  const char *status, int tries, long http, const char *error)
{
	char ts[32];

	return store_exec(c->st, "UPDATE ci_checks SET status = :status, "
			  "attempts = attempts + :tries, http_status = :http, "
			  "error "
			  "= :error, posted_at = CASE WHEN :status IN ('posted', "
			  "'found') THEN :now ELSE posted_at END WHERE "
			  "patchwork = :pw AND patch_id = :patch AND context = "
			  ":ctx AND kernel = :kernel",
			  ":status s :tries i :http I :error s :now s :pw s "
			  ":patch I :ctx s :kernel s", status, tries,
			  (long long)http, error,
			  util_iso8601(util_wallclock(), ts), c->patchwork,
			  (long long)ck->patch_id, ck->context, ck->kernel);
}

int checks_post(struct checks_ctx *c, const struct check *ck)
{
	struct strbuf err = STRBUF_INIT, desc = STRBUF_INIT;
	char *status, *mark = marker(ck), ts[32];
	double delay = c->backoff > 0 ? c->backoff : 2;
	long http = 0;
	int i, ret = -1;

	status = store_query_str(c->st, "SELECT status FROM ci_checks WHERE "
				 "patchwork = :pw AND patch_id = :patch AND "
				 "context = :ctx AND kernel = :kernel",
				 ":pw s :patch I :ctx s :kernel s", c->patchwork,
				 (long long)ck->patch_id, ck->context,
				 ck->kernel);
	if (status && (!strcmp(status, "posted") || !strcmp(status, "found"))) {
		ret = 0;
		goto out;
	}
	strbuf_addf(&desc, "%.*s %s", CHECKS_MAX_DESCRIPTION,
		    ck->description, mark);
	if (!status) {
		/* The intent first: a crash after the POST leaves a trace. */
		if (store_exec(c->st, "INSERT INTO ci_checks(item_id, "
			       "patchwork, patch_id, context, kernel, state, "
			       "description, target_url, status, created_at) "
			       "VALUES (NULLIF(:item, 0), :pw, :patch, :ctx, "
			       ":kernel, :state, :desc, :url, 'intent', :now)",
			       ":item I :pw s :patch I :ctx s :kernel s "
			       ":state s :desc s :url s :now s", c->item_id,
			       c->patchwork, (long long)ck->patch_id,
			       ck->context, ck->kernel, ck->state, desc.buf,
			       ck->target_url, util_iso8601(util_wallclock(), ts)))
			goto out;
	} else {
		/* An earlier attempt may have reached patchwork: look first. */
		int there = already_there(c, ck, &err);

		if (there > 0) {
			record(c, ck, "found", 0, 200, NULL);
			info("patch %ld: check %s is on patchwork already; not "
			     "posting it again", ck->patch_id, ck->context);
			ret = 2;
			goto out;
		}
		if (there < 0) {
			record(c, ck, "failed", 0, 0, strbuf_str(&err));
			goto out;
		}
	}
	for (i = 0; i < CHECKS_TRIES; i++) {
		strbuf_reset(&err);
		if (post_once(c, ck, desc.buf, &http, &err)) {
			test_hook();
			record(c, ck, "posted", i + 1, http, NULL);
			ret = 1;
			goto out;
		}
		/* 4xx: the request is wrong (token, project); no retry. */
		if ((http >= 400 && http < 500 && http != 429) ||
		    util_interrupted || i + 1 == CHECKS_TRIES)
			break;
		warning("%s (retrying in %.0f s)", strbuf_str(&err), delay);
		sleep_for(delay);
		delay *= 2;
		/* A timed-out POST may have landed: look before the next. */
		{
			struct strbuf e2 = STRBUF_INIT;
			int there = already_there(c, ck, &e2);

			strbuf_release(&e2);
			if (there > 0) {
				record(c, ck, "found", i + 1, 200, NULL);
				ret = 2;
				goto out;
			}
			if (there < 0)
				break;
		}
	}
	record(c, ck, "failed", i + 1, http, strbuf_str(&err));
	error("patch %ld: check %s not posted: %s", ck->patch_id, ck->context,
	      strbuf_str(&err));
out:
	free(status);
	free(mark);
	strbuf_release(&err);
	strbuf_release(&desc);
	return ret;
}

int checks_pending_list(struct store *st, const char *patchwork,
			struct checks_pending **out)
{
	struct checks_pending *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st, "SELECT item_id, patch_id, context, kernel, "
			     "state, description, target_url FROM ci_checks "
			     "WHERE patchwork = :pw AND status IN ('intent', "
			     "'failed') ORDER BY id", ":pw s", patchwork);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct checks_pending *p;

		ALLOC_GROW(v, n, alloc);
		p = &v[n++];
		p->item_id = sqlite3_column_int64(stmt, 0);
		p->ck.patch_id = (long)sqlite3_column_int64(stmt, 1);
		p->ck.context = xstrdup(store_col_text(stmt, 2));
		p->ck.kernel = xstrdup(store_col_text(stmt, 3));
		p->ck.state = xstrdup(store_col_text(stmt, 4));
		p->ck.description = xstrdup(store_col_text(stmt, 5));
		p->ck.target_url = sqlite3_column_type(stmt, 6) == SQLITE_NULL ?
				   NULL : xstrdup(store_col_text(stmt, 6));
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void checks_pending_release(struct checks_pending *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free((char *)v[i].ck.context);
		free((char *)v[i].ck.kernel);
		free((char *)v[i].ck.state);
		free((char *)v[i].ck.description);
		free((char *)v[i].ck.target_url);
	}
	free(v);
}
