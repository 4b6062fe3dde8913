/*
 * hunkplace.c - owns placing each text hunk of a patch where `git apply`
 * places it (see hunkplace.h). The rules are git's apply.c with the
 * options `git am` uses: no fuzz (every context line must match), no
 * whitespace leniency, a hunk starting at line 0 or 1 anchored to the
 * file's start, one without trailing context to its end, the search
 * from the header's line outwards, never over lines an earlier hunk
 * wrote. The sections of the text are matched to libgit2's deltas in
 * order; the preimage of each file is its blob in the tree (or what an
 * earlier section of the same patch made of it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hunkplace.h"
#include "util.h"

#define MAX_SECTIONS 10000
#define MAX_HUNKS 100000

struct pline {
	const char *p;
	size_t len;		/* with its '\n', if it has one */
	int patched;		/* written by an earlier hunk */
};

struct image {
	struct pline *v;
	size_t n, alloc;
};

struct hunk {
	const char *header;	/* the "@@ -a,b +c,d @@" line */
	size_t header_len;
	const char *end;	/* just past the hunk's last line */
	int bare;		/* has empty context lines ("\n" alone) */
	long oldpos, newpos;
	struct image pre, post;
	size_t leading, trailing;
	int changes;
	long placed;		/* 0-based line, -1 until placed */
};

struct section {
	struct hunk *h;
	size_t n, alloc;
};

struct text {
	struct section *s;
	size_t n, alloc;
	size_t nhunks;
};

static void image_add(struct image *im, const char *p, size_t len,
		      int patched)
{
	ALLOC_GROW(im->v, im->n, im->alloc);
	im->v[im->n].p = p;
	im->v[im->n].len = len;
	im->v[im->n].patched = patched;
	im->n++;
}

static void image_from(struct image *im, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		image_add(im, p, (size_t)(nl - p), 0);
		p = nl;
	}
}

static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);
}

static int starts(const char *p, size_t l, const char *s)
{
	size_t n = strlen(s);

	return l >= n && !memcmp(p, s, n);
}

/* "@@ -a[,b] +c[,d] @@": positions and counts; 0 if not a header. */
static int parse_header(const char *p, size_t l, struct hunk *h,
			long *oldn, long *newn)
{
	char buf[160], *s;

	if (!starts(p, l, "@@ -") || l >= sizeof(buf))
		return 0;
	memcpy(buf, p, l);
	buf[l] = '\0';
	s = buf + 4;
	h->oldpos = strtol(s, &s, 10);
	*oldn = *s == ',' ? strtol(s + 1, &s, 10) : 1;
	if (strncmp(s, " +", 2))
		return 0;
	h->newpos = strtol(s + 2, &s, 10);
	*newn = *s == ',' ? strtol(s + 1, &s, 10) : 1;
	return !strncmp(s, " @@", 3) && h->oldpos >= 0 && h->newpos >= 0 &&
	       *oldn >= 0 && *newn >= 0;
}

/* The "\ No newline at end of file" marker: the last line loses '\n'. */
static void no_newline(struct image *im)
{
	struct pline *l;

	if (!im->n)
		return;
	l = &im->v[im->n - 1];
	if (l->len && l->p[l->len - 1] == '\n')
		l->len--;
}

/*
 * The hunk's lines after its header, counted as git's parse_fragment()
 * counts them. Returns where the hunk ends, or NULL when it is broken
 * (left to libgit2, which will say so).
 */
static const char *parse_body(const char *p, const char *end, struct hunk *h,
			      long oldn, long newn)
{
	char last = 0;
	size_t l;

	while (p < end && (oldn > 0 || newn > 0 || *p == '\\')) {
		l = line_len(p, end);
		switch (*p) {
		case '\n':
			h->bare = 1;
			/* A bare "\n" is an empty context line. */
			/* fall through */
		case ' ':
			image_add(&h->pre, *p == '\n' ? p : p + 1,
				  *p == '\n' ? l : l - 1, 0);
			image_add(&h->post, *p == '\n' ? p : p + 1,
				  *p == '\n' ? l : l - 1, 0);
			if (!h->changes)
				h->leading++;
			h->trailing++;
			oldn--;
			newn--;
			break;
		case '-':
			image_add(&h->pre, p + 1, l - 1, 0);
			h->changes = 1;
			h->trailing = 0;
			oldn--;
			break;
		case '+':
			image_add(&h->post, p + 1, l - 1, 1);
			h->changes = 1;
			h->trailing = 0;
			newn--;
			break;
		case '\\':
			if (last == ' ' || last == '\n' || last == '-')
				no_newline(&h->pre);
			if (last == ' ' || last == '\n' || last == '+')
				no_newline(&h->post);
			break;
		default:
			return NULL;
		}
		last = *p;
		p += l;
	}
	return oldn || newn ? NULL : p;
}

static void text_release(struct text *t)
{
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		for (k = 0; k < t->s[i].n; k++) {
			free(t->s[i].h[k].pre.v);
			free(t->s[i].h[k].post.v);
		}
		free(t->s[i].h);
	}
	free(t->s);
	memset(t, 0, sizeof(*t));
}

static int section_start(const char *p, const char *end, size_t l, int git)
{
	const char *next = p + l;

	if (git)
		return starts(p, l, "diff --git ");
	return starts(p, l, "--- ") && next < end &&
	       starts(next, line_len(next, end), "+++ ");
}

/* Sections (one per file, as libgit2 makes deltas) and their hunks. */
static int parse_text(const char *diff, struct text *t)
{
	const char *p = diff, *end = diff + strlen(diff);
	int git = !strncmp(diff, "diff --git ", 11) ||
		  strstr(diff, "\ndiff --git ") != NULL;
	struct section *cur = NULL;
	size_t l;

	memset(t, 0, sizeof(*t));
	while (p < end) {
		struct hunk h;
		long oldn, newn;

		l = line_len(p, end);
		if (section_start(p, end, l, git)) {
			if (t->n >= MAX_SECTIONS)
				return -1;
			ALLOC_GROW(t->s, t->n, t->alloc);
			cur = &t->s[t->n++];
			memset(cur, 0, sizeof(*cur));
			p += l;
			continue;
		}
		memset(&h, 0, sizeof(h));
		if (!cur || !parse_header(p, l, &h, &oldn, &newn)) {
			p += l;
			continue;
		}
		h.header = p;
		h.header_len = l;
		h.placed = -1;
		p = parse_body(p + l, end, &h, oldn, newn);
		h.end = p;
		if (!p || ++t->nhunks > MAX_HUNKS) {
			free(h.pre.v);
			free(h.post.v);
			return -1;
		}
		ALLOC_GROW(cur->h, cur->n, cur->alloc);
		cur->h[cur->n++] = h;
	}
	return 0;
}

/* ---- git's find_pos() and match_fragment(), exact matching only ---- */

static int match_at(const struct image *img, const struct image *pre,
		    size_t lno, int match_beginning, int match_end)
{
	size_t i;

	if (pre->n + lno > img->n)
		return 0;
	if (match_end && pre->n + lno != img->n)
		return 0;
	if (match_beginning && lno)
		return 0;
	for (i = 0; i < pre->n; i++) {
		const struct pline *a = &img->v[lno + i], *b = &pre->v[i];

		if (a->patched || a->len != b->len || memcmp(a->p, b->p, a->len))
			return 0;
	}
	return 1;
}

/* From line outwards, forwards first, as git searches. -1: no match. */
static long find_pos(const struct image *img, const struct image *pre,
		     long line, int match_beginning, int match_end)
{
	size_t back, fwd, cur;
	int i;

	if (match_beginning)
		line = 0;
	else if (match_end)
		line = (long)img->n - (long)pre->n;
	if (line < 0 || (size_t)line > img->n)
		line = (long)img->n;
	back = fwd = cur = (size_t)line;
	for (i = 0; ; i++) {
		if (match_at(img, pre, cur, match_beginning, match_end))
			return (long)cur;
again:
		if (back == 0 && fwd == img->n)
			return -1;
		if (i & 1) {
			if (back == 0) {
				i++;
				goto again;
			}
			cur = --back;
		} else {
			if (fwd == img->n) {
				i++;
				goto again;
			}
			cur = ++fwd;
		}
	}
}

static void replace(struct image *img, size_t at, const struct hunk *h)
{
	struct image out = { NULL, 0, 0 };
	size_t i;

	for (i = 0; i < at; i++)
		image_add(&out, img->v[i].p, img->v[i].len, img->v[i].patched);
	for (i = 0; i < h->post.n; i++)
		image_add(&out, h->post.v[i].p, h->post.v[i].len, 1);
	for (i = at + h->pre.n; i < img->n; i++)
		image_add(&out, img->v[i].p, img->v[i].len, img->v[i].patched);
	free(img->v);
	*img = out;
}

/* Place every hunk of s on img (which they then change); -1: hunk k fails. */
static int place_section(struct section *s, struct image *img, size_t *bad)
{
	size_t k;

	for (k = 0; k < s->n; k++) {
		struct hunk *h = &s->h[k];
		int mb = h->oldpos == 0 || h->oldpos == 1;
		int me = h->trailing == 0;
		long pos = h->newpos ? h->newpos - 1 : 0;

		if (!h->changes)
			goto fail;
		h->placed = find_pos(img, &h->pre, pos, mb, me);
		if (h->placed < 0)
			goto fail;
		replace(img, (size_t)h->placed, h);
	}
	return 0;
fail:
	*bad = k;
	return -1;
}

/* ---- files ---- */

/* What earlier sections of this patch made of a path. */
struct made {
	char *path;
	struct strbuf content;
	int gone;
};

struct files {
	struct made *v;
	size_t n, alloc;
};

static struct made *made_find(struct files *f, const char *path)
{
	size_t i;

	for (i = f->n; i-- > 0; )
		if (!strcmp(f->v[i].path, path))
			return &f->v[i];
	return NULL;
}

static void files_release(struct files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].path);
		strbuf_release(&f->v[i].content);
	}
	free(f->v);
}

/* The preimage of path: 1 found, 0 absent, -1 not a plain file. */
static int preimage(git_repository *repo, git_tree *tree, struct files *f,
		    const char *path, struct strbuf *out)
{
	struct made *m = made_find(f, path);
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	int ret = 0;

	if (m) {
		strbuf_add(out, m->content.buf ? m->content.buf : "",
			   m->content.len);
		return !m->gone;
	}
	if (git_tree_entry_bypath(&e, tree, path))
		return 0;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&b, repo, git_tree_entry_id(e))) {
		ret = -1;
		goto out;
	}
	strbuf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	ret = 1;
out:
	git_blob_free(b);
	git_tree_entry_free(e);
	return ret;
}

static void remember(struct files *f, const char *path, const struct image *im,
		     int gone)
{
	struct made *m;
	size_t i;

	ALLOC_GROW(f->v, f->n, f->alloc);
	m = &f->v[f->n++];
	memset(m, 0, sizeof(*m));
	m->path = xstrdup(path);
	m->gone = gone;
	for (i = 0; im && i < im->n; i++)
		strbuf_add(&m->content, im->v[i].p, im->v[i].len);
}

static void hunk_name(const struct hunk *h, size_t k, struct strbuf *sb)
{
	size_t l = h->header_len;
	const char *end;

	/* Up to the closing "@@", without the function context. */
	end = memmem(h->header + 4, l - 4, " @@", 3);
	if (end)
		l = (size_t)(end + 3 - h->header);
	while (l && (h->header[l - 1] == '\n' || h->header[l - 1] == '\r'))
		l--;
	strbuf_addf(sb, "hunk #%zu (%.*s)", k + 1, (int)l, h->header);
}

/*
 * One section against its file; -1 with err set when git refuses it.
 * The content the section leaves is remembered for later sections.
 */
static int place_file(git_repository *repo, git_tree *tree, struct files *f,
		      const git_diff_delta *d, struct section *s, char **file,
		      struct strbuf *err)
{
	struct strbuf pre = STRBUF_INIT;
	struct image img = { NULL, 0, 0 };
	const char *old = d->old_file.path, *new = d->new_file.path;
	size_t bad;
	int have, ret = 0;

	if (d->status == GIT_DELTA_ADDED) {
		have = preimage(repo, tree, f, new, &pre);
		if (have) {
			*file = xstrdup(new);
			strbuf_addstr(err, "it already exists");
			ret = -1;
			goto out;
		}
		strbuf_reset(&pre);
	} else {
		have = preimage(repo, tree, f, old, &pre);
		if (have <= 0) {
			/* libgit2 will name the missing file. */
			goto out;
		}
	}
	image_from(&img, pre.buf ? pre.buf : "", pre.len);
	if (place_section(s, &img, &bad)) {
		*file = xstrdup(old);
		hunk_name(&s->h[bad], bad, err);
		strbuf_addstr(err, s->h[bad].changes ? " does not match"
						   : " changes nothing");
		ret = -1;
		goto out;
	}
	if (d->status == GIT_DELTA_DELETED && img.n) {
		*file = xstrdup(old);
		strbuf_addstr(err, "the removal leaves lines in the file");
		ret = -1;
		goto out;
	}
	if (d->status == GIT_DELTA_RENAMED || d->status == GIT_DELTA_DELETED)
		remember(f, old, NULL, 1);
	if (d->status != GIT_DELTA_DELETED)
		remember(f, new, &img, 0);
out:
	free(img.v);
	strbuf_release(&pre);
	return ret;
}

/*
 * Empty context lines written as " \n": git reads a bare "\n" (what is
 * left when a mailer strips trailing blanks) as one, libgit2's parser
 * does not. NULL when there is none.
 */
static char *fix_bare(const char *diff, const struct text *t)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = diff, *q, *nl;
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		for (k = 0; k < t->s[i].n; k++) {
			const struct hunk *h = &t->s[i].h[k];

			if (!h->bare)
				continue;
			q = h->header + h->header_len;
			strbuf_add(&sb, p, (size_t)(q - p));
			for (; q < h->end; q = nl + 1) {
				nl = memchr(q, '\n', (size_t)(h->end - q));
				if (!nl)
					break;
				if (nl == q)
					strbuf_addch(&sb, ' ');
				strbuf_add(&sb, q, (size_t)(nl + 1 - q));
			}
			p = q;
		}
	}
	if (!sb.len)
		return NULL;
	strbuf_addstr(&sb, p);
	return strbuf_detach(&sb);
}

/* The text with each hunk's new start set to where it was placed. */
static char *fix_positions(const char *diff, const struct text *t)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = diff;
	size_t i, k;
	int changed = 0;

	for (i = 0; i < t->n; i++) {
		for (k = 0; k < t->s[i].n; k++) {
			const struct hunk *h = &t->s[i].h[k];
			const char *plus, *after;

			if (h->placed < 0 || h->placed + 1 == h->newpos ||
			    (h->placed == 0 && h->newpos == 0))
				continue;
			plus = memchr(h->header, '+', h->header_len);
			after = plus + 1 + strspn(plus + 1, "0123456789");
			strbuf_add(&sb, p, (size_t)(plus + 1 - p));
			strbuf_addf(&sb, "%ld", h->placed + 1);
			p = after;
			changed = 1;
		}
	}
	if (!changed) {
		strbuf_release(&sb);
		return NULL;
	}
	strbuf_addstr(&sb, p);
	return strbuf_detach(&sb);
}

int hunkplace_rewrite(git_repository *repo, git_tree *tree, const char *diff,
		      char **out, char **file, struct strbuf *err)
{
	struct files f = { NULL, 0, 0 };
	git_diff *gd = NULL;
	char *bare = NULL;
	struct text t;
	size_t i;
	int ret = 0;

	*out = NULL;
	if (parse_text(diff, &t))
		goto out;	/* left to libgit2 as it is */
	bare = fix_bare(diff, &t);
	if (bare) {
		text_release(&t);
		diff = bare;
		if (parse_text(diff, &t))
			goto out;
	}
	if (git_diff_from_buffer(&gd, diff, strlen(diff)) ||
	    git_diff_num_deltas(gd) != t.n)
		goto out;
	for (i = 0; i < t.n; i++) {
		const git_diff_delta *d = git_diff_get_delta(gd, i);

		if ((d->flags & GIT_DIFF_FLAG_BINARY) || !t.s[i].n)
			continue;
		if (place_file(repo, tree, &f, d, &t.s[i], file, err)) {
			ret = -1;
			goto out;
		}
	}
	*out = fix_positions(diff, &t);
out:
	if (!ret && !*out && bare) {
		*out = bare;
		bare = NULL;
	}
	free(bare);
	files_release(&f);
	git_diff_free(gd);
	text_release(&t);
	return ret;
}
