/*
 * series.c - patch series sources, applied and recorded (see series.h).
 * Mail sources (files, URLs, patchwork) go through mbox.c and apply.c;
 * a git branch is fetched with libgit2 and used as it is. The rows are
 * written in one transaction, and the ref naming the result is created
 * in it, so a failure leaves no half-recorded series.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apply.h"
#include "fetch.h"
#include "mbox.h"
#include "patchwork.h"
#include "record.h"
#include "series.h"
#include "tree.h"
#include "util.h"

#define SERIES_MAX_SOURCE 4096

const char *series_kind_of(const char *source)
{
	if (!source || !*source || strlen(source) > SERIES_MAX_SOURCE)
		return NULL;
	if (!strncmp(source, "pw:", 3))
		return "patchwork";
	if (!strncmp(source, "git:", 4))
		return "branch";
	if (fetch_is_url(source))
		return strstr(source, "lore.") || strstr(source, "t.mbox.gz")
			       ? "lore" : "mbox";
	return "mbox";
}

/* What a series is about to become, before it is written. */
struct draft {
	const char *kind;
	char *msgid;
	int version;
	char *subject;
	char *submitter;
	long pw_id;
	struct mbox_series ms;		/* mail sources */
	git_oid *commits;
	size_t ncommits;
	int applied;
	char *error;
	git_oid base, result;
};

/* ---- mail sources ---- */

static int parse_pw(const char *source, char **base, long *id,
		    struct strbuf *err)
{
	const char *url = source + 3, *slash;
	long v;
	char *num;

	slash = strrchr(url, '/');
	if (slash && !slash[1]) {	/* "pw:URL/42/" */
		const char *p = slash;

		while (p > url && p[-1] != '/')
			p--;
		num = xstrndup(p, (size_t)(slash - p));
		slash = p - 1;
	} else {
		num = slash ? xstrdup(slash + 1) : NULL;
	}
	if (!slash || slash <= url || !num ||
	    util_parse_int(num, 1, 1L << 40, &v) || !fetch_is_url(url)) {
		free(num);
		strbuf_addf(err, "%s: expected pw:URL/ID, e.g. "
			    "pw:https://patchwork.kernel.org/12345", source);
		return -1;
	}
	free(num);
	*base = xstrndup(url, (size_t)(slash - url));
	*id = v;
	return 0;
}

static int read_patchwork(const struct series_opts *o, struct draft *d,
			  struct strbuf *buf, struct strbuf *err)
{
	struct patchwork_series pw;
	char *base = NULL;
	long id;
	int ret = -1;

	if (parse_pw(o->source, &base, &id, err))
		return -1;
	if (patchwork_series_get(base, id, &pw, err))
		goto out;
	if (!pw.received_all && !o->allow_incomplete) {
		strbuf_addf(err, "%s: series %ld is incomplete (%zu of %d "
			    "patches received; --allow-incomplete tests what "
			    "is there)", o->source, id, pw.npatches, pw.total);
		goto out;
	}
	d->pw_id = id;
	d->version = pw.version > 0 ? pw.version : 1;
	d->subject = xstrdup(pw.name);
	d->submitter = xstrdup(pw.submitter);
	if (*pw.cover_msgid)
		d->msgid = xstrdup(pw.cover_msgid);
	else if (pw.npatches)
		d->msgid = xstrdup(pw.patches[0].msgid);
	ret = patchwork_series_mbox(&pw, buf, err);
out:
	if (base)
		patchwork_series_release(&pw);
	free(base);
	return ret;
}

static int read_mails(const struct series_opts *o, struct draft *d,
		      struct mbox_mail **mails, size_t *n, struct strbuf *notes,
		      struct strbuf *err)
{
	struct strbuf buf = STRBUF_INIT, e = STRBUF_INIT;
	int ret = -1;

	if (!strcmp(d->kind, "patchwork")) {
		if (read_patchwork(o, d, &buf, err))
			goto out;
	} else if (fetch_is_url(o->source)) {
		struct fetch_response r = FETCH_RESPONSE_INIT;

		/* As served: mbox_parse recognises gzip by its magic. */
		if (fetch_get(o->source, NULL, &r, err)) {
			fetch_response_release(&r);
			goto out;
		}
		strbuf_add(&buf, r.body.buf ? r.body.buf : "", r.body.len);
		fetch_response_release(&r);
	} else {
		if (mbox_read_path(o->source, mails, n, &e)) {
			/* Its reasons name the file already. */
			if (strncmp(strbuf_str(&e), o->source,
				    strlen(o->source)))
				strbuf_addf(err, "%s: ", o->source);
			strbuf_addstr(err, strbuf_str(&e));
			goto out;
		}
		goto build;
	}
	if (mbox_parse(buf.buf ? buf.buf : "", buf.len, mails, n, &e)) {
		strbuf_addf(err, "%s: %s", o->source, strbuf_str(&e));
		goto out;
	}
build:
	if (mbox_series_build(*mails, *n, o->allow_incomplete, &d->ms, notes)) {
		/* On failure the one line of the problem is in notes. */
		strbuf_trim(notes);
		strbuf_addf(err, "%s: %s", o->source, strbuf_str(notes));
		strbuf_reset(notes);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&buf);
	strbuf_release(&e);
	return ret;
}

static int from_mails(const struct series_opts *o, struct tree *t,
		      struct draft *d, struct strbuf *notes, struct strbuf *err)
{
	struct mbox_series *s = &d->ms;
	const struct mbox_mail *first;

	if (!s->npatches) {
		strbuf_addf(err, "%s: no patches to apply", o->source);
		return -1;
	}
	first = s->cover ? s->cover : s->patches[0];
	if (!d->msgid)
		d->msgid = xstrdup(first->msgid);
	if (!d->subject || !*d->subject) {
		free(d->subject);
		d->subject = xstrdup(s->title);
	}
	if (!d->submitter)
		d->submitter = xstrdup(first->from);
	if (!d->version)
		d->version = s->version > 0 ? s->version : 1;
	if (!s->complete)
		strbuf_addf(notes, "testing %zu of %d patches\n", s->npatches,
			    s->total);
	d->ncommits = s->npatches;
	d->commits = xcalloc(d->ncommits, sizeof(*d->commits));
	if (apply_series(t->repo, &d->base, s, d->commits, NULL, err)) {
		d->error = xstrdup(strbuf_str(err));
		strbuf_reset(err);
		return 0;
	}
	d->applied = 1;
	git_oid_cpy(&d->result, &d->commits[d->ncommits - 1]);
	return 0;
}

/* ---- git branches ---- */

static int parse_git(const char *source, char **url, char **branch,
		     struct strbuf *err)
{
	const char *u = source + 4, *hash = strrchr(u, '#');
	char *full;
	int ok;

	if (!hash || hash == u || !hash[1]) {
		strbuf_addf(err, "%s: expected git:URL#BRANCH", source);
		return -1;
	}
	*branch = xstrdup(hash + 1);
	full = xasprintf("refs/heads/%s", *branch);
	ok = git_reference_is_valid_name(full);
	free(full);
	if (!ok) {
		strbuf_addf(err, "%s: '%s' is not a valid branch name", source,
			    *branch);
		free(*branch);
		return -1;
	}
	*url = xstrndup(u, (size_t)(hash - u));
	return 0;
}

static int fetch_branch(struct tree *t, const char *source, const char *url,
			const char *branch, git_oid *tip, struct strbuf *err)
{
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_remote *remote = NULL;
	char hex[41], *dst, *spec;
	git_strarray specs;
	int ret = -1;

	util_sha1_hex(url, strlen(url), hex);
	dst = xasprintf("refs/kflake/branches/%.12s/%s", hex, branch);
	spec = xasprintf("+refs/heads/%s:%s", branch, dst);
	specs.strings = &spec;
	specs.count = 1;
	info("fetching %s of %s", branch, url);
	if (git_remote_create_anonymous(&remote, t->repo, url) ||
	    git_remote_fetch(remote, &specs, &fo, "kflake series fetch")) {
		strbuf_addf(err, "%s: fetch failed: %s", source,
			    tree_git_error());
		goto out;
	}
	if (git_reference_name_to_id(tip, t->repo, dst)) {
		strbuf_addf(err, "%s: no branch '%s' there", source, branch);
		goto out;
	}
	ret = 0;
out:
	git_remote_free(remote);
	free(spec);
	free(dst);
	return ret;
}

static int from_branch(const struct series_opts *o, struct tree *t,
		       struct draft *d, struct strbuf *err)
{
	git_revwalk *walk = NULL;
	char *url = NULL, *branch = NULL;
	git_oid tip, mb, id;
	size_t alloc = 0;
	int ret = -1;

	if (parse_git(o->source, &url, &branch, err))
		return -1;
	if (fetch_branch(t, o->source, url, branch, &tip, err))
		goto out;
	if (git_merge_base(&mb, t->repo, &d->base, &tip)) {
		strbuf_addf(err, "%s: no common history with %s", o->source,
			    tree_oid_short(&d->base));
		goto out;
	}
	/* The series sits on the merge base, which is what it is tested on. */
	git_oid_cpy(&d->base, &mb);
	if (git_revwalk_new(&walk, t->repo) ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
	    git_revwalk_push(walk, &tip) || git_revwalk_hide(walk, &mb)) {
		strbuf_addf(err, "%s: %s", o->source, tree_git_error());
		goto out;
	}
	while (!git_revwalk_next(&id, walk)) {
		if (d->ncommits >= SERIES_MAX_COMMITS) {
			strbuf_addf(err, "%s: more than %d commits on top of %s",
				    o->source, SERIES_MAX_COMMITS,
				    tree_oid_short(&mb));
			goto out;
		}
		ALLOC_GROW(d->commits, d->ncommits, alloc);
		git_oid_cpy(&d->commits[d->ncommits++], &id);
	}
	if (!d->ncommits) {
		strbuf_addf(err, "%s: no commits on top of %s", o->source,
			    tree_oid_short(&mb));
		goto out;
	}
	{
		git_commit *c = NULL;

		if (!git_commit_lookup(&c, t->repo, &d->commits[0])) {
			const git_signature *a = git_commit_author(c);

			d->subject = xstrdup(d->ncommits == 1 &&
					     git_commit_summary(c)
						     ? git_commit_summary(c)
						     : branch);
			d->submitter = xasprintf("%s <%s>", a->name, a->email);
		}
		git_commit_free(c);
	}
	d->version = 1;
	d->applied = 1;
	git_oid_cpy(&d->result, &tip);
	ret = 0;
out:
	git_revwalk_free(walk);
	free(url);
	free(branch);
	return ret;
}

/* ---- rows ---- */

static int add_patch_row(struct store *st, long long sid, int seq,
			 const char *subject, const char *author,
			 const char *date, const char *msgid,
			 const char *trailers, const git_oid *commit)
{
	return store_exec(st, "INSERT INTO patches(series_id, seq, subject, "
			  "author, date, msgid, trailers, commit_id) "
			  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "Iissssss", sid, seq,
			  subject, author, date, msgid, trailers,
			  commit ? tree_oid_hex(commit) : NULL);
}

static int mail_rows(struct store *st, long long sid, const struct draft *d)
{
	const struct mbox_series *s = &d->ms;
	size_t i;

	if (s->cover) {
		const struct mbox_mail *m = s->cover;
		char *who = xasprintf("%s <%s>", m->author_name, m->author_email);
		int rc = add_patch_row(st, sid, 0, m->title, who, m->date,
				       m->msgid, NULL, NULL);

		free(who);
		if (rc)
			return -1;
	}
	for (i = 0; i < s->npatches; i++) {
		const struct mbox_mail *m = s->patches[i];
		char *who = xasprintf("%s <%s>", m->author_name, m->author_email);
		char *tj = record_json_strings((const char *const *)m->trailers,
					       m->ntrailers);
		int rc = add_patch_row(st, sid, m->seq ? m->seq : (int)i + 1,
				       m->title, who, m->date, m->msgid, tj,
				       d->applied ? &d->commits[i] : NULL);

		free(who);
		free(tj);
		if (rc)
			return -1;
	}
	return 0;
}

static int branch_rows(struct store *st, long long sid, git_repository *repo,
		       const struct draft *d)
{
	size_t i, j;

	for (i = 0; i < d->ncommits; i++) {
		git_message_trailer_array tr = { 0 };
		git_commit *c = NULL;
		const git_signature *a;
		json_t *arr = json_array();
		char *who, *tj, date[32];
		int rc;

		if (git_commit_lookup(&c, repo, &d->commits[i])) {
			json_decref(arr);
			return -1;
		}
		a = git_commit_author(c);
		if (!git_message_trailers(&tr, git_commit_message(c))) {
			for (j = 0; j < tr.count; j++) {
				char *kv = xasprintf("%s: %s", tr.trailers[j].key,
						     tr.trailers[j].value);

				json_array_append_new(arr, json_string(kv));
				free(kv);
			}
			git_message_trailer_array_free(&tr);
		}
		tj = json_dumps(arr, JSON_COMPACT);
		who = xasprintf("%s <%s>", a->name, a->email);
		util_iso8601((double)a->when.time, date);
		rc = add_patch_row(st, sid, (int)i + 1,
				   git_commit_summary(c) ? git_commit_summary(c)
							 : "",
				   who, date, NULL, tj, &d->commits[i]);
		free(who);
		free(tj);
		json_decref(arr);
		git_commit_free(c);
		if (rc)
			return -1;
	}
	return 0;
}

static int record(struct store *st, const struct series_opts *o,
		  struct tree *t, struct draft *d, struct series_result *r,
		  struct strbuf *err)
{
	git_reference *ref = NULL;
	long long tree_id, sid;
	char ts[32];
	const char *state = d->applied ? "applied" : "apply-failed";
	int rc;

	tree_id = record_tree_id(st, t->source, t->path);
	if (store_begin(st))
		goto fail_early;
	/* A series `kflake poll` queued becomes this row. */
	sid = d->pw_id ? store_query_int(st, 0, "SELECT id FROM series WHERE "
					 "source = ? AND pw_id = ? AND state = "
					 "'queued' ORDER BY id LIMIT 1", "sI",
					 o->source, (long long)d->pw_id) : 0;
	if (sid) {
		rc = store_exec(st, "DELETE FROM patches WHERE series_id = ?",
				"I", sid) ||
		     store_exec(st, "UPDATE series SET kind = ?, msgid = ?, "
				"version = ?, subject = ?, submitter = ?, "
				"patch_count = ?, state = ?, error = ?, "
				"tree_id = ?, base_commit = ?, result_commit = ?"
				" WHERE id = ?", "ssississIssI", d->kind, d->msgid,
				d->version, d->subject, d->submitter,
				(int)d->ncommits, state, d->error, tree_id,
				tree_oid_hex(&d->base),
				d->applied ? tree_oid_hex(&d->result) : NULL,
				sid);
	} else {
		rc = store_exec(st, "INSERT INTO series(source, kind, msgid, "
				"version, subject, submitter, patch_count, "
				"state, error, tree_id, base_commit, "
				"result_commit, pw_id, created_at) VALUES "
				"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), ?)",
				"sssississIssIs",
				o->source, d->kind, d->msgid, d->version,
				d->subject, d->submitter, (int)d->ncommits,
				state, d->error, tree_id,
				tree_oid_hex(&d->base),
				d->applied ? tree_oid_hex(&d->result) : NULL,
				(long long)d->pw_id,
				util_iso8601(util_wallclock(), ts));
		sid = rc ? 0 : store_last_id(st);
	}
	if (rc || !sid)
		goto fail;
	rc = strcmp(d->kind, "branch") ? mail_rows(st, sid, d)
				       : branch_rows(st, sid, t->repo, d);
	if (rc)
		goto fail;
	if (d->applied) {
		/*
		 * The commit in the name: databases sharing a tree cache
		 * (a CI one, a test one) number their series alike.
		 */
		r->ref = xasprintf("refs/kflake/series/%lld-%.12s", sid,
				   tree_oid_hex(&d->result));
		if (git_reference_create(&ref, t->repo, r->ref, &d->result, 1,
					 "kflake series")) {
			strbuf_addf(err, "%s: cannot create %s: %s", o->source,
				    r->ref, tree_git_error());
			goto fail_ref;
		}
		git_reference_free(ref);
	}
	if (store_commit(st)) {
		if (d->applied)
			git_reference_remove(t->repo, r->ref);
		goto fail_early;
	}
	r->id = sid;
	return 0;
fail:
	strbuf_addf(err, "%s: cannot record the series in %s", o->source,
		    st->path);
fail_ref:
	store_rollback(st);
	return -1;
fail_early:
	strbuf_addf(err, "%s: cannot record the series in %s", o->source,
		    st->path);
	return -1;
}

static void draft_release(struct draft *d)
{
	free(d->msgid);
	free(d->subject);
	free(d->submitter);
	free(d->commits);
	free(d->error);
	mbox_series_release(&d->ms);
}

int series_fetch(struct store *st, const struct series_opts *o,
		 struct series_result *r, struct strbuf *err)
{
	struct strbuf notes = STRBUF_INIT;
	struct mbox_mail *mails = NULL;
	size_t nmails = 0;
	struct draft d = { 0 };
	struct tree t = { 0 };
	int ret = -1, opened = 0;

	memset(r, 0, sizeof(*r));
	d.kind = series_kind_of(o->source);
	if (!d.kind) {
		strbuf_addf(err, "%.80s: not a series source", o->source ?
			    o->source : "");
		return -1;
	}
	r->kind = d.kind;
	/* Mails first: a bad source fails before the tree is touched. */
	if (strcmp(d.kind, "branch") &&
	    read_mails(o, &d, &mails, &nmails, &notes, err))
		goto out;
	if (tree_open(&t, o->tree)) {
		strbuf_addf(err, "%s: cannot open the tree", o->tree ? o->tree
					: "linux-source-6.1");
		goto out;
	}
	opened = 1;
	if (tree_resolve(&t, o->ref, &d.base)) {
		strbuf_addf(err, "%s: cannot resolve the base '%s'", t.source,
			    o->ref ? o->ref : "HEAD");
		goto out;
	}
	if (strcmp(d.kind, "branch") ? from_mails(o, &t, &d, &notes, err)
				     : from_branch(o, &t, &d, err))
		goto out;
	if (record(st, o, &t, &d, r, err))
		goto out;
	r->subject = xstrdup(d.subject ? d.subject : "");
	r->version = d.version;
	r->applied = d.applied;
	r->npatches = d.ncommits;
	snprintf(r->base, sizeof(r->base), "%s", tree_oid_hex(&d.base));
	if (d.applied)
		snprintf(r->result, sizeof(r->result), "%s",
			 tree_oid_hex(&d.result));
	r->error = d.error ? xstrdup(d.error) : NULL;
	r->notes = notes.len ? xstrdup(notes.buf) : NULL;
	r->tree_source = xstrdup(t.source);
	ret = d.applied ? 0 : 1;
out:
	if (opened)
		tree_close(&t);
	draft_release(&d);
	mbox_mails_free(mails, nmails);
	strbuf_release(&notes);
	return ret;
}

void series_result_release(struct series_result *r)
{
	free(r->subject);
	free(r->ref);
	free(r->error);
	free(r->notes);
	free(r->tree_source);
	memset(r, 0, sizeof(*r));
}

json_t *series_result_json(const struct series_result *r)
{
	json_t *j = json_object();

	json_object_set_new(j, "series_id", json_integer(r->id));
	json_object_set_new(j, "kind", json_string(r->kind ? r->kind : ""));
	json_object_set_new(j, "subject", json_string(r->subject ? r->subject
								  : ""));
	json_object_set_new(j, "version", json_integer(r->version));
	json_object_set_new(j, "patches", json_integer((json_int_t)r->npatches));
	json_object_set_new(j, "state", json_string(r->applied ? "applied"
							       : "apply-failed"));
	json_object_set_new(j, "tree", json_string(r->tree_source ?
						   r->tree_source : ""));
	json_object_set_new(j, "base", json_string(r->base));
	json_object_set_new(j, "result", *r->result ? json_string(r->result)
						    : json_null());
	json_object_set_new(j, "ref", r->ref ? json_string(r->ref) : json_null());
	json_object_set_new(j, "error", r->error ? json_string(r->error)
						 : json_null());
	json_object_set_new(j, "notes", r->notes ? json_string(r->notes)
						 : json_null());
	return j;
}
