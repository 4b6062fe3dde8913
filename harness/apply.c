/*
 * apply.c - patch series onto commits, in memory (see apply.h). Each
 * patch becomes one commit whose parent is the previous patch's commit,
 * as `git am` would make it, except that the committer is kflake at the
 * author's date: the same series on the same base always gives the same
 * commit ids, so a rerun finds its kernel already built.
 */
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apply.h"
#include "hunkplace.h"
#include "mime.h"
#include "tree.h"
#include "util.h"

int apply_parse_date(const char *s, git_time *out)
{
	long long t;
	int zone;

	if (mime_parse_date(s, &t, &zone))
		return -1;
	out->time = (git_time_t)t;
	out->offset = zone;
	out->sign = zone < 0 ? '-' : '+';
	return 0;
}

/* A name or email git accepts: no angle brackets, not empty. */
static char *sig_part(const char *s, const char *dflt)
{
	struct strbuf sb = STRBUF_INIT;

	for (; s && *s; s++)
		if (*s != '<' && *s != '>' && *s != '\n')
			strbuf_addch(&sb, *s);
	strbuf_trim(&sb);
	if (!sb.len)
		strbuf_addstr(&sb, dflt);
	return strbuf_detach(&sb);
}

static int make_sigs(const struct mbox_mail *m, git_signature **author,
		     git_signature **committer)
{
	char *email = sig_part(m->author_email, "unknown@unknown");
	char *name = sig_part(m->author_name, email);
	git_time when;
	int ret;

	if (apply_parse_date(m->date, &when)) {
		when.time = (git_time_t)time(NULL);
		when.offset = 0;
	}
	ret = git_signature_new(author, name, email, when.time, when.offset);
	if (!ret)
		ret = git_signature_new(committer, "kflake", "kflake@localhost",
					when.time, when.offset);
	free(name);
	free(email);
	return ret;
}

/*
 * git's strbuf_stripspace(), which `git am` runs on every message:
 * trailing blanks off each line, runs of empty lines made one, none at
 * the start or end, a final newline.
 */
static char *stripspace(const char *in)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = in, *nl;
	size_t l, empties = 0;

	while (*p) {
		nl = strchr(p, '\n');
		l = nl ? (size_t)(nl - p) : strlen(p);
		while (l && isspace((unsigned char)p[l - 1]))
			l--;
		if (!l) {
			empties++;
		} else {
			if (sb.len && empties)
				strbuf_addch(&sb, '\n');
			strbuf_add(&sb, p, l);
			strbuf_addch(&sb, '\n');
			empties = 0;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	return strbuf_detach(&sb);
}

/* As `git am` makes it: the cleaned subject, a blank line, the body. */
static char *commit_message(const struct mbox_mail *m)
{
	const char *title = *m->title ? m->title : "(no subject)";
	char *raw = xasprintf("%s\n\n%s\n", title, m->message), *msg;

	msg = stripspace(raw);
	free(raw);
	return msg;
}

struct only_delta {
	size_t want, seen;
};

static int only_delta_cb(const git_diff_delta *d, void *payload)
{
	struct only_delta *o = payload;

	(void)d;
	return o->seen++ == o->want ? 0 : 1;
}

/*
 * libgit2's message does not always name the file: apply the deltas one
 * at a time to find the first that fails on its own.
 */
static char *failing_file(git_repository *repo, git_tree *tree, git_diff *diff)
{
	size_t i, n = git_diff_num_deltas(diff);

	for (i = 0; i < n; i++) {
		git_apply_options ao = GIT_APPLY_OPTIONS_INIT;
		struct only_delta od = { i, 0 };
		git_index *idx = NULL;
		int rc;

		ao.delta_cb = only_delta_cb;
		ao.payload = &od;
		rc = git_apply_to_tree(&idx, repo, tree, diff, &ao);
		git_index_free(idx);
		if (rc) {
			const git_diff_delta *d = git_diff_get_delta(diff, i);

			return xstrdup(d->old_file.path ? d->old_file.path
							: d->new_file.path);
		}
	}
	return NULL;
}

static int apply_one(git_repository *repo, const git_oid *parent_id,
		     const struct mbox_mail *m, git_oid *out, char **file,
		     struct strbuf *why)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL, *newtree = NULL;
	git_diff *diff = NULL;
	git_index *idx = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_oid tree_id;
	char *msg = NULL, *placed = NULL;
	const char *text;
	int ret = -1;

	if (!m->diff) {
		strbuf_addstr(why, "the mail holds no diff");
		goto out;
	}
	if (git_commit_lookup(&parent, repo, parent_id) ||
	    git_commit_tree(&tree, parent)) {
		strbuf_addf(why, "%s", tree_git_error());
		goto out;
	}
	/* Each hunk where git would put it, or refused as git refuses it. */
	if (hunkplace_rewrite(repo, tree, m->diff, &placed, file, why))
		goto out;
	text = placed ? placed : m->diff;
	if (git_diff_from_buffer(&diff, text, strlen(text))) {
		strbuf_addf(why, "unreadable diff: %s", tree_git_error());
		goto out;
	}
	if (git_apply_to_tree(&idx, repo, tree, diff, NULL)) {
		strbuf_addstr(why, tree_git_error());
		*file = failing_file(repo, tree, diff);
		goto out;
	}
	msg = commit_message(m);
	if (git_index_write_tree_to(&tree_id, idx, repo) ||
	    git_tree_lookup(&newtree, repo, &tree_id) ||
	    make_sigs(m, &author, &committer) ||
	    git_commit_create(out, repo, NULL, author, committer, NULL, msg,
			      newtree, 1, (const git_commit **)&parent)) {
		strbuf_addf(why, "cannot commit: %s", tree_git_error());
		goto out;
	}
	ret = 0;
out:
	free(msg);
	free(placed);
	git_signature_free(author);
	git_signature_free(committer);
	git_index_free(idx);
	git_diff_free(diff);
	git_tree_free(newtree);
	git_tree_free(tree);
	git_commit_free(parent);
	return ret;
}

int apply_series(git_repository *repo, const git_oid *base,
		 const struct mbox_series *s, git_oid *commits, size_t *failed,
		 struct strbuf *err)
{
	const git_oid *parent = base;
	size_t i;

	for (i = 0; i < s->npatches; i++) {
		const struct mbox_mail *m = s->patches[i];
		struct strbuf why = STRBUF_INIT;
		char *file = NULL;
		int seq = m->seq ? m->seq : (int)i + 1;
		int total = s->total ? s->total : (int)s->npatches;

		if (apply_one(repo, parent, m, &commits[i], &file, &why)) {
			strbuf_addf(err, "patch %d/%d '%s' does not apply", seq,
				    total, m->title);
			if (file)
				strbuf_addf(err, " to %s", file);
			strbuf_addf(err, ": %s", strbuf_str(&why));
			free(file);
			strbuf_release(&why);
			if (failed)
				*failed = i;
			return -1;
		}
		strbuf_release(&why);
		parent = &commits[i];
	}
	return 0;
}
