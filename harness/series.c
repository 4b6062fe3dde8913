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
#include "gitnet.h"
#include "grouping.h"
#include "mbox.h"
#include "mime.h"
#include "patchwork.h"
#include "record.h"
#include "series.h"
#include "tree.h"
#include "utf8.h"
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
	char *source;			/* canonical: pw: sources normalised */
	char *msgid;
	int version;
	char *subject;
	char *submitter;
	long pw_id;
	struct mbox_series ms;		/* mail sources */
	struct grouping g;		/* all series of the mails */
	size_t picked;			/* which of g.v ms is */
	git_oid on;			/* where ms applies: the base, or
					   the series it depends on */
	struct strbuf deps;		/* identity of the dependencies */
	git_oid *commits;
	size_t ncommits;
	int applied;
	int incomplete;			/* patches are missing */
	int held;			/* so it was not applied */
	int already;			/* the base has it: not applied */
	int total;			/* n of [m/n]; 0 for a branch */
	char *gap;			/* what is missing, when incomplete */
	char *error;
	char ident[41];			/* see identify() */
	git_oid base, result;
};

/* ---- identity ---- */

/*
 * A series is the same series when the same mails become its commits on
 * the same base: the SHA-1 of the patches' Message-IDs, in order, and
 * the base. A mail without a Message-ID counts by its subject, message
 * and diff.
 */
static void identify_mails(struct draft *d)
{
	struct strbuf sb = STRBUF_INIT, anon = STRBUF_INIT;
	char hex[41];
	size_t i;

	strbuf_addstr(&sb, "mails\n");
	for (i = 0; i < d->ms.npatches; i++) {
		const struct mbox_mail *m = d->ms.patches[i];

		if (*m->msgid) {
			strbuf_addf(&sb, "<%s>\n", m->msgid);
			continue;
		}
		strbuf_reset(&anon);
		strbuf_addf(&anon, "%s\n%s\n%s", m->subject, m->message,
			    m->diff ? m->diff : "");
		util_sha1_hex(anon.buf, anon.len, hex);
		strbuf_addf(&sb, "anonymous %s\n", hex);
	}
	/* Replies whose Acked-by lines went into the commits. */
	for (i = 0; i < d->ms.nack_ids; i++)
		strbuf_addf(&sb, "reply <%s>\n", d->ms.ack_ids[i]);
	/* What it sits on when it depends on other series. */
	strbuf_addstr(&sb, strbuf_str(&d->deps));
	strbuf_addf(&sb, "base %s\n", tree_oid_hex(&d->base));
	util_sha1_hex(sb.buf, sb.len, d->ident);
	strbuf_release(&sb);
	strbuf_release(&anon);
}

/* A branch: its commits on its merge base. */
static void identify_commits(struct draft *d)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&sb, "commits\n");
	for (i = 0; i < d->ncommits; i++)
		strbuf_addf(&sb, "%s\n", tree_oid_hex(&d->commits[i]));
	strbuf_addf(&sb, "base %s\n", tree_oid_hex(&d->base));
	util_sha1_hex(sb.buf, sb.len, d->ident);
	strbuf_release(&sb);
}

/* ---- mail sources ---- */

static int from_pull(const char *source, struct tree *t, struct draft *d,
		     const struct mbox_mail *m, struct strbuf *err);

static int read_patchwork(const struct series_opts *o, struct draft *d,
			  struct strbuf *buf, struct strbuf *err)
{
	struct patchwork_series pw;
	char *base = patchwork_base(d->source + 3);
	long id = d->pw_id;
	double deadline = util_now() + fetch_deadline();
	int ret = -1;

	/* base ends in "/ID": cut it off. */
	*strrchr(base, '/') = '\0';
	if (patchwork_series_get(base, id, deadline, &pw, err))
		goto out;
	if (!pw.received_all) {
		d->incomplete = 1;
		d->gap = xasprintf("patchwork received %zu of %d patches",
				   pw.npatches, pw.total);
	}
	d->version = pw.version > 0 ? pw.version : 1;
	d->subject = xstrdup(pw.name);
	d->submitter = xstrdup(pw.submitter);
	if (*pw.cover_msgid)
		d->msgid = xstrdup(pw.cover_msgid);
	else if (pw.npatches)
		d->msgid = xstrdup(pw.patches[0].msgid);
	ret = patchwork_series_mbox(&pw, deadline, buf, err);
	patchwork_series_release(&pw);
out:
	free(base);
	return ret;
}

/*
 * The series in the mails, grouped as patchwork groups them. One that
 * is only missing patches is kept as incomplete (recorded, applied only
 * with --allow-incomplete); no patch at all fails with one line.
 */
static int pick_series(const struct series_opts *o, struct draft *d,
		       struct mbox_mail *mails, size_t n, struct strbuf *notes,
		       struct strbuf *err)
{
	struct strbuf msg = STRBUF_INIT;
	int ret = 0;

	grouping_build(mails, n, &d->g);
	if (grouping_pick(&d->g, &d->ms, &msg)) {
		strbuf_addf(err, "%s: %s", o->source, strbuf_str(&msg));
		ret = -1;
		goto out;
	}
	strbuf_addstr(notes, strbuf_str(&msg));
	d->picked = d->ms.group;
	if (!d->ms.complete) {
		d->incomplete = 1;
		free(d->gap);
		d->gap = xstrdup(d->ms.gap ? d->ms.gap : "patches are missing");
		strbuf_addf(notes, "%s\n", d->gap);
	}
out:
	strbuf_release(&msg);
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
	ret = pick_series(o, d, *mails, *n, notes, err);
out:
	strbuf_release(&buf);
	strbuf_release(&e);
	return ret;
}

/* ---- Depends-on ---- */

#define MAX_DEPS 8		/* Depends-on lines followed per series */
#define MAX_DEP_DEPTH 3		/* series fetched for a dependency, nested */

static int dep_depth;

/*
 * "Depends-on: <msgid>" and "Depends-on: URL" lines of the cover and the
 * patches, as patchwork's parse_depends_on() takes them, in order.
 */
static size_t depends_on(const struct mbox_series *s, char **out, size_t max)
{
	size_t n = 0, i, k;

	for (i = 0; i <= s->npatches && n < max; i++) {
		const struct mbox_mail *m = i ? s->patches[i - 1] : s->cover;
		const char *p, *nl;
		size_t l;

		if (!m)
			continue;
		for (p = m->message; *p && n < max; p = nl ? nl + 1 : p + l) {
			char *tok;

			nl = strchr(p, '\n');
			l = nl ? (size_t)(nl - p) : strlen(p);
			if (l <= 12 || strncasecmp(p, "Depends-on: ", 12))
				continue;
			while (l > 12 && (p[l - 1] == ' ' || p[l - 1] == '\t'))
				l--;
			tok = xstrndup(p + 12, l - 12);
			for (k = 0; k < n && strcmp(out[k], tok); k++)
				;
			if (k < n || !*tok || strchr(tok, ' ') ||
			    (*tok == '<' && tok[strlen(tok) - 1] != '>') ||
			    (*tok != '<' && !fetch_is_url(tok)))
				free(tok);
			else
				out[n++] = tok;
		}
	}
	return n;
}

/* The series of the same input that holds msgid, or -1. */
static long dep_in_input(const struct draft *d, const char *msgid)
{
	size_t i, k;

	for (i = 0; i < d->g.n; i++) {
		const struct grouping_series *gs = &d->g.v[i];

		if (i == d->picked || !gs->npatches)
			continue;
		if (gs->cover && !strcmp(gs->cover->msgid, msgid))
			return (long)i;
		for (k = 0; k < gs->npatches; k++)
			if (!strcmp(gs->patches[k]->msgid, msgid))
				return (long)i;
	}
	return -1;
}

/* Apply series i of the same input on d->on. */
static int dep_apply(struct tree *t, struct draft *d, size_t i,
		     const char *token, struct strbuf *notes,
		     struct strbuf *err)
{
	const struct grouping_series *gs = &d->g.v[i];
	struct mbox_series s = { 0 };
	git_oid *c = xcalloc(gs->npatches, sizeof(*c));
	struct strbuf why = STRBUF_INIT;
	int ret = -1;

	s.patches = gs->patches;
	s.npatches = gs->npatches;
	s.total = gs->total;
	if (apply_series(t->repo, &d->on, &s, c, NULL, &why)) {
		strbuf_addf(err, "it depends on %s, which does not apply: %s",
			    token, why.buf);
		goto out;
	}
	git_oid_cpy(&d->on, &c[gs->npatches - 1]);
	strbuf_addf(notes, "applying first what it depends on: %s, %zu "
		    "patch(es) of this input\n", token, gs->npatches);
	ret = 0;
out:
	strbuf_release(&why);
	free(c);
	return ret;
}

/* A series recorded before, on this base, that holds msgid. */
static int dep_recorded(struct store *st, struct tree *t, struct draft *d,
			const char *msgid, struct strbuf *notes)
{
	long long tree_id = record_tree_id(st, t->source, t->path);
	sqlite3_stmt *stmt;
	git_commit *c = NULL;
	git_oid id;
	int ret = 0;

	stmt = store_prepare(st, "SELECT s.id, s.result_commit FROM series s "
			     "WHERE s.tree_id = ? AND s.base_commit = ? AND "
			     "s.result_commit IS NOT NULL AND (s.msgid = ? OR "
			     "EXISTS (SELECT 1 FROM patches p WHERE "
			     "p.series_id = s.id AND p.msgid = ?)) ORDER BY "
			     "s.id DESC LIMIT 1", "Isss", tree_id,
			     tree_oid_hex(&d->on), msgid, msgid);
	if (stmt && sqlite3_step(stmt) == SQLITE_ROW &&
	    !git_oid_fromstr(&id, store_col_text(stmt, 1)) &&
	    !git_commit_lookup(&c, t->repo, &id)) {
		strbuf_addf(notes, "applying on top of series %lld, which "
			    "holds <%s> it depends on\n",
			    (long long)sqlite3_column_int64(stmt, 0), msgid);
		git_oid_cpy(&d->on, &id);
		ret = 1;
	}
	git_commit_free(c);
	sqlite3_finalize(stmt);
	return ret;
}

/* A patchwork series URL: fetched (and recorded) first, on d->on. */
static int dep_fetch(struct store *st, const struct series_opts *o,
		     struct draft *d, const char *url, struct strbuf *notes,
		     struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;
	struct series_opts so = *o;
	struct series_result r;
	char *src = patchwork_source_canonical(url, NULL, &e), on[41];
	int rc;

	if (!src) {
		strbuf_addf(err, "it depends on %s; only patchwork series URLs "
			    "(.../list/?series=N) and Message-IDs are followed",
			    url);
		strbuf_release(&e);
		return -1;
	}
	if (dep_depth >= MAX_DEP_DEPTH) {
		strbuf_addf(err, "it depends on %s, nested more than %d deep",
			    url, MAX_DEP_DEPTH);
		free(src);
		strbuf_release(&e);
		return -1;
	}
	snprintf(on, sizeof(on), "%s", tree_oid_hex(&d->on));
	so.source = src;
	so.ref = on;
	so.allow_incomplete = 0;
	dep_depth++;
	rc = series_fetch(st, &so, &r, &e);
	dep_depth--;
	if (rc) {
		strbuf_addf(err, "it depends on %s, which %s: %s", src,
			    rc > 0 ? "cannot be applied" : "cannot be fetched",
			    rc > 0 ? r.error : e.buf);
	} else {
		git_oid_fromstr(&d->on, r.result);
		strbuf_addf(notes, "applying on top of series %lld (%s), which "
			    "it depends on\n", r.id, src);
	}
	if (rc >= 0)
		series_result_release(&r);
	strbuf_release(&e);
	free(src);
	return rc ? -1 : 0;
}

/*
 * What the series depends on goes under it, in the order given: a
 * series of the same input (by Message-ID), one recorded before on this
 * base, or a patchwork series fetched for it. d->on ends where the
 * series itself then applies.
 */
static int resolve_deps(struct store *st, const struct series_opts *o,
			struct tree *t, struct draft *d, struct strbuf *notes,
			struct strbuf *err)
{
	char *deps[MAX_DEPS];
	size_t n = depends_on(&d->ms, deps, MAX_DEPS), i;
	int ret = 0;
	long k;

	for (i = 0; i < n && !ret; i++) {
		const char *tok = deps[i];

		if (*tok == '<') {
			char *id = xstrndup(tok + 1, strlen(tok) - 2);

			k = dep_in_input(d, id);
			if (k >= 0)
				ret = dep_apply(t, d, (size_t)k, tok, notes, err);
			else if (!dep_recorded(st, t, d, id, notes)) {
				strbuf_addf(err, "it depends on %s, which is "
					    "neither in this input nor a series "
					    "fetched before on %.12s; fetch "
					    "that first", tok,
					    tree_oid_hex(&d->on));
				ret = -1;
			}
			free(id);
		} else {
			ret = dep_fetch(st, o, d, tok, notes, err);
		}
		if (!ret)
			strbuf_addf(&d->deps, "depends %s on %s\n", tok,
				    tree_oid_hex(&d->on));
	}
	for (i = 0; i < n; i++)
		free(deps[i]);
	if (ret) {
		char *why = strbuf_detach(err);

		strbuf_addf(err, "%s: %s", o->source, why);
		free(why);
	}
	return ret;
}

static int from_mails(struct store *st, const struct series_opts *o,
		      struct tree *t, struct draft *d, struct strbuf *notes,
		      struct strbuf *err)
{
	struct mbox_series *s = &d->ms;
	const struct mbox_mail *first;

	if (!s->npatches) {
		strbuf_addf(err, "%s: no patches to apply", o->source);
		return -1;
	}
	if (s->npatches == 1 && !s->patches[0]->diff && s->patches[0]->pull_url)
		return from_pull(o->source, t, d, s->patches[0], err);
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
	d->total = s->total;
	d->ncommits = s->npatches;
	d->commits = xcalloc(d->ncommits, sizeof(*d->commits));
	git_oid_cpy(&d->on, &d->base);
	if (resolve_deps(st, o, t, d, notes, err))
		return -1;
	identify_mails(d);
	if (d->incomplete && !o->allow_incomplete) {
		d->error = xasprintf("the series is incomplete (%s); "
				     "--allow-incomplete tests what is there",
				     d->gap ? d->gap : "patches are missing");
		d->held = 1;
		return 0;
	}
	if (d->incomplete)
		strbuf_addf(notes, "testing %zu of %d patches\n", s->npatches,
			    s->total);
	if (apply_series(t->repo, &d->on, s, d->commits, NULL, err)) {
		/* Refused because it is there already? Then say that. */
		if (apply_already_in(t->repo, &d->on, s)) {
			d->already = 1;
			d->error = xasprintf("the series is already in the base "
					     "%.12s (every patch applies in "
					     "reverse); nothing to test",
					     tree_oid_hex(&d->base));
		} else {
			d->error = xstrdup(strbuf_str(err));
		}
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

/*
 * Fetch ref (a full ref name, or HEAD) of url into the tree's
 * repository under refs/kflake/fetched/<sha1(url)>/ and peel it (a
 * tag) to the commit in *tip.
 */
static int fetch_ref(struct tree *t, const char *source, const char *url,
		     const char *ref, git_oid *tip, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;
	char hex[41], *dst, *spec;
	const char *specs[1];
	git_odb *odb = NULL;
	git_object *obj = NULL, *peeled = NULL;
	int ret = -1;

	util_sha1_hex(url, strlen(url), hex);
	dst = xasprintf("refs/kflake/fetched/%.12s/%s", hex,
			strncmp(ref, "refs/", 5) ? ref : ref + 5);
	spec = xasprintf("+%s:%s", ref, dst);
	specs[0] = spec;
	info("fetching %s of %s", ref, url);
	/* In a child killed at the network deadline (gitnet.c). */
	if (gitnet_fetch(git_repository_path(t->repo), url, specs, 1, &e)) {
		strbuf_addf(err, "%s: %s", source, e.buf);
		goto out;
	}
	if (!git_repository_odb(&odb, t->repo))
		git_odb_refresh(odb);
	if (git_revparse_single(&obj, t->repo, dst) ||
	    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT)) {
		strbuf_addf(err, "%s: no %s there", source, ref);
		goto out;
	}
	git_oid_cpy(tip, git_object_id(peeled));
	ret = 0;
out:
	git_object_free(peeled);
	git_object_free(obj);
	git_odb_free(odb);
	strbuf_release(&e);
	free(spec);
	free(dst);
	return ret;
}

/*
 * The commits of ref at url on top of their merge base with the base,
 * used as they are (a git: branch, a pull request). want_tip, when
 * given, is the commit the request says it is ("up to <sha>").
 */
static int from_git(const char *source, struct tree *t, struct draft *d,
		    const char *url, const char *ref, const char *label,
		    const char *want_tip, struct strbuf *err)
{
	git_revwalk *walk = NULL;
	git_oid tip, mb, id, base;
	size_t alloc = 0;
	int ret = -1;

	git_oid_cpy(&base, &d->base);
	if (fetch_ref(t, source, url, ref, &tip, err))
		goto out;
	if (want_tip && strcmp(tree_oid_hex(&tip), want_tip)) {
		strbuf_addf(err, "%s: %s is at %s, not at %.12s as the request "
			    "says; not testing what was not asked for", source,
			    ref, tree_oid_short(&tip), want_tip);
		goto out;
	}
	if (git_merge_base(&mb, t->repo, &base, &tip)) {
		strbuf_addf(err, "%s: no common history with %s", source,
			    tree_oid_short(&base));
		goto out;
	}
	/* The series sits on the merge base, which is what it is tested on. */
	git_oid_cpy(&d->base, &mb);
	if (git_revwalk_new(&walk, t->repo) ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
	    git_revwalk_push(walk, &tip) || git_revwalk_hide(walk, &mb)) {
		strbuf_addf(err, "%s: %s", source, tree_git_error());
		goto out;
	}
	while (!git_revwalk_next(&id, walk)) {
		if (d->ncommits >= SERIES_MAX_COMMITS) {
			strbuf_addf(err, "%s: more than %d commits on top of %s",
				    source, SERIES_MAX_COMMITS,
				    tree_oid_short(&mb));
			goto out;
		}
		ALLOC_GROW(d->commits, d->ncommits, alloc);
		git_oid_cpy(&d->commits[d->ncommits++], &id);
	}
	if (!d->ncommits) {
		strbuf_addf(err, "%s: %s is already in the base: %s is in the "
			    "history of %s; nothing to test", source, label,
			    tree_oid_short(&tip), tree_oid_short(&base));
		goto out;
	}
	if (!d->subject || !d->submitter) {
		git_commit *c = NULL;

		if (!git_commit_lookup(&c, t->repo, &d->commits[0])) {
			const git_signature *a = git_commit_author(c);

			if (!d->subject)
				d->subject = xstrdup(d->ncommits == 1 &&
						     git_commit_summary(c)
							     ? git_commit_summary(c)
							     : label);
			if (!d->submitter)
				d->submitter = xasprintf("%s <%s>", a->name,
							 a->email);
		}
		git_commit_free(c);
	}
	d->version = d->version ? d->version : 1;
	d->applied = 1;
	git_oid_cpy(&d->result, &tip);
	identify_commits(d);
	ret = 0;
out:
	git_revwalk_free(walk);
	return ret;
}

static int from_branch(const struct series_opts *o, struct tree *t,
		       struct draft *d, struct strbuf *err)
{
	char *url = NULL, *branch = NULL, *ref;
	int ret;

	if (parse_git(o->source, &url, &branch, err))
		return -1;
	ref = xasprintf("refs/heads/%s", branch);
	ret = from_git(o->source, t, d, url, ref, "the branch", NULL, err);
	free(ref);
	free(url);
	free(branch);
	return ret;
}

/*
 * A pull request ("[GIT PULL]", patchwork's pull_url): "URL REF" from
 * the mail. Only git:// and http(s):// are fetched: the URL is the
 * sender's, and file:// or ssh would reach into this host.
 */
static int from_pull(const char *source, struct tree *t, struct draft *d,
		     const struct mbox_mail *m, struct strbuf *err)
{
	const char *sp = strchr(m->pull_url, ' ');
	char *url = sp ? xstrndup(m->pull_url, (size_t)(sp - m->pull_url))
		       : xstrdup(m->pull_url);
	const char *name = sp ? sp + 1 : NULL;
	char *ref, *full;
	int ret = -1, ok;

	if (strncmp(url, "git://", 6) && !fetch_is_url(url)) {
		strbuf_addf(err, "%s: pull request from %s: only git:// and "
			    "http(s):// URLs are fetched", source, url);
		free(url);
		return -1;
	}
	if (!name)
		ref = xstrdup("HEAD");
	else if (!strncmp(name, "refs/", 5))
		ref = xstrdup(name);
	else if (!strncmp(name, "tags/", 5) || !strncmp(name, "heads/", 6))
		ref = xasprintf("refs/%s", name);
	else
		ref = xasprintf("refs/heads/%s", name);
	full = xstrdup(ref);
	ok = !strcmp(ref, "HEAD") || git_reference_is_valid_name(full);
	free(full);
	if (!ok) {
		strbuf_addf(err, "%s: pull request for '%s', not a valid ref",
			    source, name);
		goto out;
	}
	d->kind = "pull";
	if (!d->msgid)
		d->msgid = xstrdup(m->msgid);
	if (!d->subject)
		d->subject = xstrdup(m->title);
	if (!d->submitter)
		d->submitter = xstrdup(m->from);
	if (!d->version)
		d->version = m->version;
	ret = from_git(source, t, d, url, ref, "the pull request",
		       m->pull_tip, err);
out:
	free(ref);
	free(url);
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

/* The patch's trailers and those its replies gave, as a JSON array. */
static char *trailers_json(const struct mbox_mail *m, const char *acks)
{
	const char **v = xcalloc(m->ntrailers + 64, sizeof(*v));
	char *copy = acks ? xstrdup(acks) : NULL, *line, *save = NULL, *j;
	size_t n = 0, i;

	for (i = 0; i < m->ntrailers; i++)
		v[n++] = m->trailers[i];
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL;
	     line && n < m->ntrailers + 64; line = strtok_r(NULL, "\n", &save))
		v[n++] = line;
	j = record_json_strings(v, n);
	free(copy);
	free(v);
	return j;
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
		char *tj = trailers_json(m, s->acks ? s->acks[i] : NULL);
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

/* What the row's state becomes for this draft. */
static const char *draft_state(const struct draft *d)
{
	if (d->applied)
		return "applied";
	if (d->already)
		return "already-applied";
	return d->held ? "incomplete" : "apply-failed";
}

/*
 * The row this draft becomes, 0 for a new one. A series `kflake poll`
 * queued (same canonical source and patchwork id) becomes its row;
 * otherwise the newest row with the same identity on the same tree.
 * *keep says that row already holds this very result: reuse it as it is.
 */
static long long find_row(struct store *st, const struct draft *d,
			  long long tree_id, int *keep, char old[41])
{
	sqlite3_stmt *stmt;
	long long id = 0;
	const char *state, *result;

	*keep = 0;
	*old = '\0';
	if (d->pw_id) {
		id = store_query_int(st, 0, "SELECT id FROM series WHERE "
				     "source = ? AND pw_id = ? AND state = "
				     "'queued' ORDER BY id LIMIT 1", "sI",
				     d->source, (long long)d->pw_id);
		if (id)
			return id;
	}
	stmt = store_prepare(st, "SELECT id, state, result_commit FROM series "
			     "WHERE ident = ? AND tree_id = ? ORDER BY id DESC "
			     "LIMIT 1", "sI", d->ident, tree_id);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		id = sqlite3_column_int64(stmt, 0);
		state = store_col_text(stmt, 1);
		result = store_col_text(stmt, 2);
		snprintf(old, 41, "%s", result);
		/*
		 * Same mails on the same base give the same commits; only
		 * a row that is still waiting (queued, incomplete and now
		 * allowed) or was made by a kflake that applied differently
		 * is rewritten.
		 */
		if (d->applied)
			*keep = !strcmp(result, tree_oid_hex(&d->result)) &&
				strcmp(state, "queued") &&
				strcmp(state, "incomplete");
		else
			*keep = !*result && !strcmp(state, draft_state(d));
	}
	sqlite3_finalize(stmt);
	return id;
}

static int write_row(struct store *st, struct draft *d, long long tree_id,
		     const char *notes, long long *id)
{
	char ts[32], base[41];
	int rc;

	snprintf(base, sizeof(base), "%s", tree_oid_hex(&d->base));
	if (*id) {
		return store_exec(st, "DELETE FROM patches WHERE series_id = ?",
				  "I", *id) ||
		       store_exec(st, "UPDATE series SET kind = ?, msgid = ?, "
				  "version = ?, subject = ?, submitter = ?, "
				  "patch_count = ?, state = ?, error = ?, "
				  "tree_id = ?, base_commit = ?, result_commit "
				  "= ?, ident = ?, total = NULLIF(?, 0), "
				  "complete = ?, notes = ? WHERE id = ?",
				  "ssississIsssiisI", d->kind, d->msgid,
				  d->version, d->subject, d->submitter,
				  (int)d->ncommits, draft_state(d), d->error,
				  tree_id, base,
				  d->applied ? tree_oid_hex(&d->result) : NULL,
				  d->ident, d->total, !d->incomplete, notes,
				  *id);
	}
	rc = store_exec(st, "INSERT INTO series(source, kind, msgid, version, "
			"subject, submitter, patch_count, state, error, "
			"tree_id, base_commit, result_commit, pw_id, "
			"created_at, ident, total, complete, notes) VALUES "
			"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), ?, "
			"?, NULLIF(?, 0), ?, ?)", "sssississIssIssiis",
			d->source, d->kind, d->msgid, d->version, d->subject,
			d->submitter, (int)d->ncommits, draft_state(d),
			d->error, tree_id, base,
			d->applied ? tree_oid_hex(&d->result) : NULL,
			(long long)d->pw_id, util_iso8601(util_wallclock(), ts),
			d->ident, d->total, !d->incomplete, notes);
	*id = rc ? 0 : store_last_id(st);
	return rc;
}

/*
 * The ref naming the result. The commit is in the name: databases
 * sharing a tree cache (a CI one, a test one) number their series
 * alike. A reused row gets its ref back if the tree cache lost it.
 */
static int make_ref(struct tree *t, long long sid, const struct draft *d,
		    struct series_result *r, struct strbuf *err)
{
	git_reference *ref = NULL;

	r->ref = xasprintf("refs/kflake/series/%lld-%.12s", sid,
			   tree_oid_hex(&d->result));
	if (git_reference_create(&ref, t->repo, r->ref, &d->result, 1,
				 "kflake series")) {
		strbuf_addf(err, "%s: cannot create %s: %s", d->source, r->ref,
			    tree_git_error());
		return -1;
	}
	git_reference_free(ref);
	return 0;
}

static int record(struct store *st, struct tree *t, struct draft *d,
		  const char *notes, struct series_result *r,
		  struct strbuf *err)
{
	long long tree_id, sid;
	int keep, rc, made_ref = 0;
	char old[41];

	tree_id = record_tree_id(st, t->source, t->path);
	if (store_begin(st))
		goto fail_early;
	sid = find_row(st, d, tree_id, &keep, old);
	if (sid < 0)
		goto fail;
	if (keep) {
		r->reused = 1;
	} else {
		if (write_row(st, d, tree_id, notes, &sid) || !sid)
			goto fail;
		rc = strcmp(d->kind, "branch") && strcmp(d->kind, "pull")
		     ? mail_rows(st, sid, d) : branch_rows(st, sid, t->repo, d);
		if (rc)
			goto fail;
	}
	if (d->applied) {
		if (make_ref(t, sid, d, r, err))
			goto fail_ref;
		made_ref = !keep;
	}
	if (store_commit(st)) {
		if (made_ref)
			git_reference_remove(t->repo, r->ref);
		goto fail_early;
	}
	/* A row rewritten with other commits: its old ref goes. */
	if (!keep && *old && (!d->applied ||
			      strcmp(old, tree_oid_hex(&d->result)))) {
		char *name = xasprintf("refs/kflake/series/%lld-%.12s", sid,
				       old);

		git_reference_remove(t->repo, name);
		free(name);
	}
	r->id = sid;
	return 0;
fail:
	strbuf_addf(err, "%s: cannot record the series in %s", d->source,
		    st->path);
fail_ref:
	store_rollback(st);
	return -1;
fail_early:
	strbuf_addf(err, "%s: cannot record the series in %s", d->source,
		    st->path);
	return -1;
}

static void draft_release(struct draft *d)
{
	free(d->source);
	free(d->gap);
	free(d->msgid);
	grouping_release(&d->g);
	strbuf_release(&d->deps);
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
	if (!strcmp(d.kind, "patchwork")) {
		/* Every spelling of one series is one source. */
		d.source = patchwork_source_canonical(o->source, &d.pw_id, err);
		if (!d.source)
			return -1;
	} else {
		d.source = xstrdup(o->source);
	}
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
	if (strcmp(d.kind, "branch") ? from_mails(st, o, &t, &d, &notes, err)
				     : from_branch(o, &t, &d, err))
		goto out;
	if (record(st, &t, &d, notes.len ? notes.buf : NULL, r, err))
		goto out;
	r->state = store_query_str(st, "SELECT state FROM series WHERE id = ?",
				   "I", r->id);
	if (!r->state)
		r->state = xstrdup(draft_state(&d));
	r->kind = d.kind;	/* a mail may turn out to be a pull request */
	r->complete = !d.incomplete;
	r->total = d.total;
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
	free(r->state);
	memset(r, 0, sizeof(*r));
}

/* A JSON string from text strangers wrote: never dropped as invalid. */
static json_t *jstr(const char *s)
{
	char *clean = mime_utf8_clean(s);
	json_t *j = json_string(clean);

	free(clean);
	return j;
}

json_t *series_result_json(const struct series_result *r)
{
	json_t *j = json_object();

	json_object_set_new(j, "series_id", json_integer(r->id));
	json_object_set_new(j, "kind", json_string(r->kind ? r->kind : ""));
	json_object_set_new(j, "subject", jstr(r->subject));
	json_object_set_new(j, "version", json_integer(r->version));
	json_object_set_new(j, "patches", json_integer((json_int_t)r->npatches));
	json_object_set_new(j, "state", json_string(r->state ? r->state : ""));
	json_object_set_new(j, "reused", json_boolean(r->reused));
	json_object_set_new(j, "complete", json_boolean(r->complete));
	json_object_set_new(j, "total", r->total ? json_integer(r->total)
						 : json_null());
	json_object_set_new(j, "tree", json_string(r->tree_source ?
						   r->tree_source : ""));
	json_object_set_new(j, "base", json_string(r->base));
	json_object_set_new(j, "result", *r->result ? json_string(r->result)
						    : json_null());
	json_object_set_new(j, "ref", r->ref ? json_string(r->ref) : json_null());
	json_object_set_new(j, "error", r->error ? jstr(r->error) : json_null());
	json_object_set_new(j, "notes", r->notes ? jstr(r->notes) : json_null());
	return j;
}

long long series_queue(struct store *st, const char *source, long pw_id,
		       int version, const char *name, int *fresh)
{
	char ts[32];
	long long row;

	*fresh = 0;
	row = store_query_int(st, 0, "SELECT id FROM series WHERE source = :src "
			      "AND pw_id = :pw ORDER BY id LIMIT 1",
			      ":src s :pw I", source, (long long)pw_id);
	if (row)
		return row;
	if (store_exec(st, "INSERT INTO series(source, kind, version, subject, "
		       "patch_count, state, pw_id, created_at) VALUES (:src, "
		       "'patchwork', :v, :name, 0, 'queued', :pw, :now)",
		       ":src s :v i :name s :pw I :now s", source, version, name,
		       (long long)pw_id, util_iso8601(util_wallclock(), ts)))
		return -1;
	*fresh = 1;
	return store_last_id(st);
}

int series_set_state(struct store *st, long long id, const char *state)
{
	return store_exec(st, "UPDATE series SET state = :state WHERE id = :id",
			  ":state s :id I", state, id);
}

/* Reads ----------------------------------------------------------------------- */

static char *dup_col(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return NULL;
	return xstrdup(store_col_text(stmt, col));
}

#define SERIES_SELECT \
	"SELECT id, source, kind, msgid, subject, submitter, state, error, " \
	"base_commit, result_commit, created_at, notes, version, " \
	"patch_count, coalesce(total, 0), complete, coalesce(pw_id, 0), " \
	"coalesce(tree_id, 0) FROM series"

static void series_read(sqlite3_stmt *stmt, struct series_info *s)
{
	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(stmt, 0);
	s->source = dup_col(stmt, 1);
	s->kind = dup_col(stmt, 2);
	s->msgid = dup_col(stmt, 3);
	s->subject = dup_col(stmt, 4);
	s->submitter = dup_col(stmt, 5);
	s->state = dup_col(stmt, 6);
	s->error = dup_col(stmt, 7);
	s->base_commit = dup_col(stmt, 8);
	s->result_commit = dup_col(stmt, 9);
	s->created_at = dup_col(stmt, 10);
	s->notes = dup_col(stmt, 11);
	s->version = sqlite3_column_int(stmt, 12);
	s->patch_count = sqlite3_column_int(stmt, 13);
	s->total = sqlite3_column_int(stmt, 14);
	s->complete = sqlite3_column_int(stmt, 15);
	s->pw_id = sqlite3_column_int64(stmt, 16);
	s->tree_id = sqlite3_column_int64(stmt, 17);
}

int series_load(struct store *st, long long id, struct series_info *s)
{
	sqlite3_stmt *stmt;
	int ret = 1;

	memset(s, 0, sizeof(*s));
	stmt = store_prepare(st, SERIES_SELECT " WHERE id = :id", ":id I", id);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		series_read(stmt, s);
		ret = 0;
	}
	sqlite3_finalize(stmt);
	return ret;
}

int series_list(struct store *st, long page, long limit,
		struct series_info **out, int *more)
{
	struct series_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	*more = 0;
	stmt = store_prepare(st, SERIES_SELECT " ORDER BY id DESC LIMIT :limit "
			     "OFFSET :offset", ":limit I :offset I",
			     (long long)limit + 1, (long long)(page - 1) * limit);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if ((long)n == limit) {
			*more = 1;
			break;
		}
		ALLOC_GROW(v, n, alloc);
		series_read(stmt, &v[n++]);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

int series_patches(struct store *st, long long series_id, long limit,
		   struct series_patch_info **out, int *more)
{
	struct series_patch_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	*more = 0;
	stmt = store_prepare(st, "SELECT seq, subject, author, date, msgid, "
			     "commit_id FROM patches WHERE series_id = :s "
			     "ORDER BY seq LIMIT :limit", ":s I :limit I",
			     series_id, (long long)limit + 1);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if ((long)n == limit) {
			*more = 1;
			break;
		}
		ALLOC_GROW(v, n, alloc);
		v[n].seq = sqlite3_column_int(stmt, 0);
		v[n].subject = dup_col(stmt, 1);
		v[n].author = dup_col(stmt, 2);
		v[n].date = dup_col(stmt, 3);
		v[n].msgid = dup_col(stmt, 4);
		v[n++].commit_id = dup_col(stmt, 5);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void series_info_release(struct series_info *s)
{
	free(s->source);
	free(s->kind);
	free(s->msgid);
	free(s->subject);
	free(s->submitter);
	free(s->state);
	free(s->error);
	free(s->base_commit);
	free(s->result_commit);
	free(s->created_at);
	free(s->notes);
	memset(s, 0, sizeof(*s));
}

void series_list_release(struct series_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		series_info_release(&v[i]);
	free(v);
}

void series_patches_release(struct series_patch_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].subject);
		free(v[i].author);
		free(v[i].date);
		free(v[i].msgid);
		free(v[i].commit_id);
	}
	free(v);
}

json_t *series_info_json(const struct series_info *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "source", utf8_json_str(s->source));
	json_object_set_new(o, "kind", utf8_json_str(s->kind));
	json_object_set_new(o, "msgid", utf8_json_str(s->msgid));
	json_object_set_new(o, "version", json_integer(s->version));
	json_object_set_new(o, "subject", utf8_json_str(s->subject));
	json_object_set_new(o, "submitter", utf8_json_str(s->submitter));
	json_object_set_new(o, "patch_count", json_integer(s->patch_count));
	json_object_set_new(o, "total", s->total ? json_integer(s->total)
						 : json_null());
	json_object_set_new(o, "complete", json_boolean(s->complete));
	json_object_set_new(o, "state", utf8_json_str(s->state));
	json_object_set_new(o, "error", utf8_json_str(s->error));
	json_object_set_new(o, "notes", utf8_json_str(s->notes));
	json_object_set_new(o, "base_commit", utf8_json_str(s->base_commit));
	json_object_set_new(o, "result_commit",
			    utf8_json_str(s->result_commit));
	json_object_set_new(o, "pw_id", s->pw_id ? json_integer(s->pw_id)
						 : json_null());
	json_object_set_new(o, "created_at", utf8_json_str(s->created_at));
	return o;
}

json_t *series_patch_json(const struct series_patch_info *p)
{
	return json_pack("{s:i, s:o, s:o, s:o, s:o, s:o}", "seq", p->seq,
			 "subject", utf8_json_str(p->subject),
			 "author", utf8_json_str(p->author),
			 "date", utf8_json_str(p->date),
			 "msgid", utf8_json_str(p->msgid),
			 "commit_id", utf8_json_str(p->commit_id));
}
