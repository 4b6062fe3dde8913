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

/*
 * As `git am` makes it: the cleaned subject, a blank line, the body;
 * then, as patchwork's mbox has them, the trailer lines of replies.
 */
static char *commit_message(const struct mbox_mail *m, const char *acks)
{
	const char *title = *m->title ? m->title : "(no subject)";
	char *raw = xasprintf("%s\n\n%s\n%s", title, m->message,
			      acks ? acks : ""), *msg;

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
		     const struct mbox_mail *m, const char *acks, git_oid *out,
		     char **file, struct strbuf *why)
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
	msg = commit_message(m, acks);
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

		if (apply_one(repo, parent, m, s->acks ? s->acks[i] : NULL,
			      &commits[i], &file, &why)) {
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

/* ---- already applied ---- */

/* "a/x" <-> "b/x" on a "--- "/"+++ " path; /dev/null stays. */
static void swapped_path(struct strbuf *sb, const char *path, size_t l)
{
	if (l >= 2 && (path[0] == 'a' || path[0] == 'b') && path[1] == '/') {
		strbuf_addch(sb, path[0] == 'a' ? 'b' : 'a');
		strbuf_add(sb, path + 1, l - 1);
		return;
	}
	strbuf_add(sb, path, l);
}

static int line_is(const char *p, size_t l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l >= n && !memcmp(p, prefix, n);
}

/* One "literal N"/"delta N" block up to its empty line; its end. */
static const char *binary_block(const char *p)
{
	const char *nl;

	if (strncmp(p, "literal ", 8) && strncmp(p, "delta ", 6))
		return NULL;
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			return NULL;
		if (nl == p)
			return nl + 1;
	}
	return NULL;
}

/*
 * "GIT binary patch" holds the forward block and then the reverse one;
 * a reversed patch has them the other way. Appends both, returns where
 * the text goes on, or NULL without a reverse block.
 */
static const char *binary_swapped(struct strbuf *sb, const char *p)
{
	const char *one = binary_block(p), *two = one ? binary_block(one) : NULL;

	if (!two)
		return NULL;
	strbuf_addstr(sb, "GIT binary patch\n");
	strbuf_add(sb, one, (size_t)(two - one));
	strbuf_add(sb, p, (size_t)(one - p));
	return two;
}

/*
 * The diff the other way round, as `git apply -R` reads it: sides of
 * every header swapped, '+' and '-' lines exchanged. NULL for what it
 * cannot turn (binary patches, copies).
 */
static char *reverse_diff(const char *diff)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = diff, *nl, *minus = NULL, *oldmode = NULL;
	size_t l, minus_len = 0, oldmode_len = 0;
	long a, b, c, d;

	for (; *p; p = nl ? nl + 1 : p + l) {
		nl = strchr(p, '\n');
		l = nl ? (size_t)(nl - p) : strlen(p);
		if (line_is(p, l, "GIT binary patch")) {
			/* Forward block, then the reverse one: swap them. */
			if (!(p = binary_swapped(&sb, nl ? nl + 1 : p + l)))
				goto fail;
			nl = NULL;
			l = 0;
			continue;
		}
		if (line_is(p, l, "Binary files ") ||
		    line_is(p, l, "copy from ") || line_is(p, l, "copy to "))
			goto fail;
		if (line_is(p, l, "--- ")) {
			minus = p + 4;
			minus_len = l - 4;
			continue;
		}
		if (line_is(p, l, "+++ ") && minus) {
			strbuf_addstr(&sb, "--- ");
			swapped_path(&sb, p + 4, l - 4);
			strbuf_addstr(&sb, "\n+++ ");
			swapped_path(&sb, minus, minus_len);
			strbuf_addch(&sb, '\n');
			minus = NULL;
			continue;
		}
		if (line_is(p, l, "old mode ")) {
			oldmode = p + 9;
			oldmode_len = l - 9;
			continue;
		}
		if (line_is(p, l, "new mode ") && oldmode) {
			strbuf_addf(&sb, "old mode %.*s\nnew mode %.*s\n",
				    (int)(l - 9), p + 9, (int)oldmode_len,
				    oldmode);
			oldmode = NULL;
			continue;
		}
		if (line_is(p, l, "@@ -")) {
			char *q;
			const char *rest;

			a = strtol(p + 4, &q, 10);
			b = *q == ',' ? strtol(q + 1, &q, 10) : 1;
			if (strncmp(q, " +", 2))
				goto fail;
			c = strtol(q + 2, &q, 10);
			d = *q == ',' ? strtol(q + 1, &q, 10) : 1;
			rest = q;
			if (strncmp(rest, " @@", 3) || rest > p + l)
				goto fail;
			strbuf_addf(&sb, "@@ -%ld,%ld +%ld,%ld%.*s\n", c, d, a,
				    b, (int)(p + l - rest), rest);
			continue;
		}
		if (line_is(p, l, "diff --git ") || line_is(p, l, "index ") ||
		    line_is(p, l, "new file mode ") ||
		    line_is(p, l, "deleted file mode ") ||
		    line_is(p, l, "rename from ") || line_is(p, l, "rename to ")) {
			if (line_is(p, l, "new file mode "))
				strbuf_addf(&sb, "deleted file mode %.*s\n",
					    (int)(l - 14), p + 14);
			else if (line_is(p, l, "deleted file mode "))
				strbuf_addf(&sb, "new file mode %.*s\n",
					    (int)(l - 18), p + 18);
			else if (line_is(p, l, "rename from "))
				strbuf_addf(&sb, "rename to %.*s\n",
					    (int)(l - 12), p + 12);
			else if (line_is(p, l, "rename to "))
				strbuf_addf(&sb, "rename from %.*s\n",
					    (int)(l - 10), p + 10);
			else if (line_is(p, l, "index ") && memchr(p, '.', l)) {
				const char *dots = strstr(p, "..");
				const char *sp = memchr(p + 6, ' ', l - 6);
				size_t end = sp ? (size_t)(sp - p) : l;

				if (!dots || dots > p + end)
					goto fail;
				strbuf_addf(&sb, "index %.*s..%.*s%.*s\n",
					    (int)(p + end - dots - 2), dots + 2,
					    (int)(dots - p - 6), p + 6,
					    (int)(l - end), p + end);
			} else if (line_is(p, l, "diff --git a/")) {
				const char *bpath = strstr(p, " b/");

				if (!bpath || bpath > p + l)
					goto fail;
				strbuf_addf(&sb, "diff --git a/%.*s b/%.*s\n",
					    (int)(p + l - bpath - 3), bpath + 3,
					    (int)(bpath - p - 13), p + 13);
			} else {
				strbuf_add(&sb, p, l);
				strbuf_addch(&sb, '\n');
			}
			continue;
		}
		if (l && (*p == '+' || *p == '-')) {
			strbuf_addch(&sb, *p == '+' ? '-' : '+');
			strbuf_add(&sb, p + 1, l - 1);
			strbuf_addch(&sb, '\n');
			continue;
		}
		strbuf_add(&sb, p, l);
		if (nl)
			strbuf_addch(&sb, '\n');
	}
	return strbuf_detach(&sb);
fail:
	strbuf_release(&sb);
	return NULL;
}

/* Reverse-apply one diff text on tree into *out; 0 when git would. */
static int unapply(git_repository *repo, git_tree *tree, const char *diff,
		   git_tree **out)
{
	struct strbuf why = STRBUF_INIT;
	char *rev = reverse_diff(diff), *placed = NULL, *file = NULL;
	const char *text;
	git_diff *gd = NULL;
	git_index *idx = NULL;
	git_oid id;
	int ret = -1;

	if (!rev || hunkplace_rewrite(repo, tree, rev, &placed, &file, &why))
		goto out;
	text = placed ? placed : rev;
	if (git_diff_from_buffer(&gd, text, strlen(text)) ||
	    git_apply_to_tree(&idx, repo, tree, gd, NULL) ||
	    git_index_write_tree_to(&id, idx, repo) ||
	    git_tree_lookup(out, repo, &id))
		goto out;
	ret = 0;
out:
	git_index_free(idx);
	git_diff_free(gd);
	free(rev);
	free(placed);
	free(file);
	strbuf_release(&why);
	return ret;
}

int apply_already_in(git_repository *repo, const git_oid *base,
		     const struct mbox_series *s)
{
	git_commit *c = NULL;
	git_tree *tree = NULL, *next = NULL;
	size_t i;
	int ret = 0;

	if (!s->npatches || git_commit_lookup(&c, repo, base) ||
	    git_commit_tree(&tree, c))
		goto out;
	for (i = s->npatches; i-- > 0; ) {
		if (!s->patches[i]->diff ||
		    unapply(repo, tree, s->patches[i]->diff, &next))
			goto out;
		git_tree_free(tree);
		tree = next;
		next = NULL;
	}
	ret = 1;
out:
	git_tree_free(tree);
	git_commit_free(c);
	return ret;
}
