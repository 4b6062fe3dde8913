/*
 * grouping.c - owns grouping mails into series the way patchwork does
 * and picking the one series to test (see grouping.h). The rules follow
 * patchwork/parser.py so that an mbox groups here as it would on
 * patchwork.kernel.org; where kflake differs it says why in a comment.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "grouping.h"
#include "util.h"

#define MAX_NOTES 10		/* series left out, noted one by one */

/* ---- Message-ID -> series, patchwork's SeriesReference ---- */

struct refmap {
	const char **key;
	size_t *val;
	size_t cap, n;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t *ref_slot(struct refmap *r, const char *key)
{
	size_t i;

	if (!r->cap)
		return NULL;
	for (i = hash(key) & (r->cap - 1); r->key[i];
	     i = (i + 1) & (r->cap - 1))
		if (!strcmp(r->key[i], key))
			return &r->val[i];
	return NULL;
}

/* Map key to series s unless it maps somewhere already (get_or_create). */
static void ref_add(struct refmap *r, const char *key, size_t s)
{
	size_t i, cap, j;
	const char **ok;
	size_t *ov;

	if (!*key || ref_slot(r, key))
		return;
	if ((r->n + 1) * 2 > r->cap) {
		ok = r->key;
		ov = r->val;
		cap = r->cap;
		r->cap = cap ? cap * 2 : 64;
		r->key = xcalloc(r->cap, sizeof(*r->key));
		r->val = xcalloc(r->cap, sizeof(*r->val));
		r->n = 0;
		for (j = 0; j < cap; j++)
			if (ok[j])
				ref_add(r, ok[j], ov[j]);
		free(ok);
		free(ov);
	}
	for (i = hash(key) & (r->cap - 1); r->key[i];
	     i = (i + 1) & (r->cap - 1))
		;
	r->key[i] = key;
	r->val[i] = s;
	r->n++;
}

static void ref_free(struct refmap *r)
{
	free(r->key);
	free(r->val);
}

/* ---- building ---- */

struct builder {
	struct grouping *g;
	size_t alloc;
	struct refmap refs;
	struct mbox_mail *mails;
	long long now;		/* patchwork dates an undated mail "now" */
};

static long long when(const struct builder *b, const struct mbox_mail *m)
{
	return m->time ? m->time : b->now;
}

static int has_number(const struct grouping_series *s, int x)
{
	size_t i;

	for (i = 0; i < s->npatches; i++)
		if (s->numbers[i] == x)
			return 1;
	return 0;
}

static size_t new_series(struct builder *b, const struct mbox_mail *m,
			 int total)
{
	struct grouping *g = b->g;
	struct grouping_series *s;

	ALLOC_GROW(g->v, g->n, b->alloc);
	s = &g->v[g->n];
	memset(s, 0, sizeof(*s));
	s->version = m->version;
	s->total = total;
	s->time = when(b, m);
	s->order = g->n;
	s->submitter = m->from_email;
	return g->n++;
}

/* References first: the mail's own id, then what it answers. */
static int by_refs(struct builder *b, const struct mbox_mail *m, size_t *out)
{
	size_t *v, i;

	if (*m->msgid && (v = ref_slot(&b->refs, m->msgid))) {
		*out = *v;
		return 1;
	}
	for (i = 0; i < m->nrefs; i++) {
		if ((v = ref_slot(&b->refs, m->refs[i]))) {
			/*
			 * Patchwork means to reject a version mismatch
			 * outside the time window here, but its test
			 * (start > date > end) can never be true: a
			 * referenced series is always taken. So here.
			 */
			*out = *v;
			return 1;
		}
	}
	return 0;
}

/*
 * Then markers: same sender, version and total within the window. A
 * mail without a Message-ID was never sent: its Date is the author's
 * and its From the author, so only version and total count.
 */
static int markers_match(const struct builder *b, const struct mbox_mail *m,
			 const struct grouping_series *s)
{
	long long d = when(b, m) - s->time;

	if (s->version != m->version || s->total != m->total)
		return 0;
	if (!*m->msgid)
		return 1;
	return !strcmp(s->submitter, m->from_email) &&
	       d <= GROUPING_WINDOW && d >= -GROUPING_WINDOW;
}

/*
 * The series a numbered patch joins, or (size_t)-1. Several marker
 * matches: patchwork's last attempt takes the newest one that lacks
 * this number.
 */
static size_t find_series(struct builder *b, const struct mbox_mail *m)
{
	struct grouping *g = b->g;
	size_t i, found = (size_t)-1, count = 0;

	if (by_refs(b, m, &found))
		return found;
	for (i = 0; i < g->n; i++)
		if (markers_match(b, m, &g->v[i])) {
			count++;
			found = i;
		}
	if (count <= 1)
		return found;
	found = (size_t)-1;
	for (i = 0; i < g->n; i++) {
		const struct grouping_series *s = &g->v[i];

		if (!markers_match(b, m, s) || has_number(s, m->seq))
			continue;
		if (found == (size_t)-1 || s->time > g->v[found].time ||
		    (s->time == g->v[found].time && s->order > g->v[found].order))
			found = i;
	}
	return found;
}

static void add_patch(struct grouping_series *s, struct mbox_mail *m, int x)
{
	size_t i, at;

	if (s->npatches >= s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 4;
		s->patches = xrealloc(s->patches, s->alloc * sizeof(*s->patches));
		s->numbers = xrealloc(s->numbers, s->alloc * sizeof(*s->numbers));
	}
	for (at = 0; at < s->npatches && s->numbers[at] < x; at++)
		;
	for (i = s->npatches; i > at; i--) {
		s->patches[i] = s->patches[i - 1];
		s->numbers[i] = s->numbers[i - 1];
	}
	s->patches[at] = m;
	s->numbers[at] = x;
	s->npatches++;
}

static void take_patch(struct builder *b, struct mbox_mail *m)
{
	struct grouping *g = b->g;
	size_t s = (size_t)-1, i;
	int x = m->seq, numbered = m->total > 0;

	if (numbered)
		s = find_series(b, m);
	else
		x = 1;
	if (s == (size_t)-1 || has_number(&g->v[s], x)) {
		s = new_series(b, m, numbered ? m->total : 1);
		/* Later mails may answer any mail this one answers. */
		for (i = 0; i < m->nrefs; i++)
			ref_add(&b->refs, m->refs[i], s);
		ref_add(&b->refs, m->msgid, s);
	}
	/* A 0/n mail with a diff is a patch of no series, as there. */
	if (x)
		add_patch(&g->v[s], m, x);
}

static int cover_name_taken(const struct builder *b, size_t upto,
			    const char *name)
{
	size_t i, same = 0;

	for (i = 0; i < upto; i++)
		if (b->g->kind[i] == GROUPING_COVER &&
		    !strcmp(b->mails[i].pw_name, name))
			same++;
	return same > 0;
}

/*
 * A 0/n mail starts a thread, unless it answers something and a cover
 * of that name exists (then it is a reply in all but name).
 */
static int take_cover(struct builder *b, struct mbox_mail *m, size_t idx)
{
	struct grouping *g = b->g;
	size_t *v, s;

	if (m->nrefs && cover_name_taken(b, idx, m->pw_name))
		return 0;
	if (*m->msgid && (v = ref_slot(&b->refs, m->msgid))) {
		s = *v;
	} else {
		s = new_series(b, m, m->total);
		ref_add(&b->refs, m->msgid, s);
	}
	if (!g->v[s].cover)
		g->v[s].cover = m;
	return 1;
}

static int seen_msgid(const struct builder *b, size_t idx)
{
	const char *id = b->mails[idx].msgid;
	size_t i;

	if (!*id)
		return 0;
	for (i = 0; i < idx; i++)
		if (b->g->kind[i] != GROUPING_DUPLICATE &&
		    !strcmp(b->mails[i].msgid, id))
			return 1;
	return 0;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static void classify(struct builder *b, size_t i)
{
	struct grouping *g = b->g;
	struct mbox_mail *m = &b->mails[i];

	if (seen_msgid(b, i)) {
		g->kind[i] = GROUPING_DUPLICATE;
		g->duplicates++;
		return;
	}
	g->kind[i] = GROUPING_COMMENT;
	if (m->is_reply || (!m->diff && blank(m->body)))
		goto comment;
	if (m->diff || m->pull_url) {
		g->kind[i] = GROUPING_PATCH;
		g->patches++;
		take_patch(b, m);
		return;
	}
	if (m->total > 0 && m->seq == 0 && take_cover(b, m, i)) {
		g->kind[i] = GROUPING_COVER;
		g->covers++;
		return;
	}
comment:
	g->comments++;
}

/* Which mail of the input, if any, has this Message-ID. */
static const struct mbox_mail *mail_by_id(const struct builder *b,
					  const char *id)
{
	size_t i;

	for (i = 0; i < b->g->nmails; i++)
		if (*b->mails[i].msgid && !strcmp(b->mails[i].msgid, id))
			return &b->mails[i];
	return NULL;
}

static int series_of_mail(const struct grouping *g, const struct mbox_mail *m,
			  size_t *out)
{
	size_t i, k;

	for (i = 0; i < g->n; i++) {
		if (g->v[i].cover == m) {
			*out = i;
			return 1;
		}
		for (k = 0; k < g->v[i].npatches; k++)
			if (g->v[i].patches[k] == m) {
				*out = i;
				return 1;
			}
	}
	return 0;
}

/*
 * kflake's own rule, for picking only: an unnumbered patch answering a
 * mail of another series, neither a newer version nor a resend of one
 * of its patches (a different title), is a diff offered in discussion.
 */
static void mark_orphans(struct builder *b)
{
	struct grouping *g = b->g;
	size_t i, r, k, other;

	for (i = 0; i < g->n; i++) {
		struct grouping_series *s = &g->v[i];
		const struct mbox_mail *m = s->npatches ? s->patches[0] : NULL;

		if (!m || m->total > 0 || s->cover || s->npatches != 1)
			continue;
		for (r = 0; r < m->nrefs && !s->orphan; r++) {
			const struct mbox_mail *p = mail_by_id(b, m->refs[r]);
			const struct grouping_series *o;
			int resend = 0;

			if (!p || !series_of_mail(g, p, &other) || other == i)
				continue;
			o = &g->v[other];
			if (m->version > o->version)
				continue;
			for (k = 0; k < o->npatches; k++)
				resend |= !strcmp(o->patches[k]->title, m->title);
			s->orphan = !resend;
		}
	}
}

static int by_date(const void *pa, const void *pb)
{
	const struct grouping_series *a = pa, *b = pb;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

void grouping_build(struct mbox_mail *mails, size_t n, struct grouping *g)
{
	struct builder b;
	size_t i;

	memset(g, 0, sizeof(*g));
	memset(&b, 0, sizeof(b));
	b.g = g;
	b.mails = mails;
	b.now = (long long)time(NULL);
	g->nmails = n;
	g->mails = mails;
	g->kind = xcalloc(n + 1, sizeof(*g->kind));
	for (i = 0; i < n; i++)
		classify(&b, i);
	mark_orphans(&b);
	if (g->n > 1)
		qsort(g->v, g->n, sizeof(*g->v), by_date);
	ref_free(&b.refs);
}

void grouping_release(struct grouping *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->v[i].patches);
		free(g->v[i].numbers);
	}
	free(g->v);
	free(g->kind);
	memset(g, 0, sizeof(*g));
}

/* ---- picking ---- */

/*
 * Every number 1..total is there. (Patchwork's received_all counts
 * patches instead, so 1/2 and 5/2 would pass; an extra 3/2 is fine
 * either way.)
 */
static int complete(const struct grouping_series *s)
{
	int x;

	for (x = 1; x <= s->total; x++)
		if (!has_number(s, x))
			return 0;
	return s->npatches > 0;
}

/* Whether a ranks above b: not an orphan, version, complete, newest. */
static int better(const struct grouping_series *a,
		  const struct grouping_series *b)
{
	if (a->orphan != b->orphan)
		return b->orphan;
	if (a->version != b->version)
		return a->version > b->version;
	if (complete(a) != complete(b))
		return complete(a);
	/* Of two partial sends, the one with more of the series. */
	if (!complete(a) && a->npatches != b->npatches)
		return a->npatches > b->npatches;
	if (a->time != b->time)
		return a->time > b->time;
	return a->order > b->order;
}

static const char *first_id(const struct grouping_series *s)
{
	const struct mbox_mail *m = s->cover ? s->cover : s->patches[0];

	return *m->msgid ? m->msgid : "no Message-ID";
}

static void note_left_out(const struct grouping_series *s,
			  const struct grouping_series *best,
			  struct strbuf *notes)
{
	const char *why;

	if (s->orphan) {
		strbuf_addf(notes, "ignoring <%s> '%s': a patch without a "
			    "number, sent in reply to another series\n",
			    first_id(s), s->patches[0]->title);
		return;
	}
	if (s->version < best->version)
		why = "an older version";
	else if (!complete(s))
		why = "an incomplete send";
	else
		why = "an earlier send";
	strbuf_addf(notes, "ignoring %s: v%d, %zu of %d patch%s, <%s>\n", why,
		    s->version, s->npatches, s->total, s->total == 1 ? "" : "es",
		    first_id(s));
}

/* A mail numbered x of s's send that was no patch: it had no diff. */
static const struct mbox_mail *diffless(const struct grouping *g,
					const struct grouping_series *s, int x)
{
	size_t i;

	for (i = 0; i < g->nmails; i++) {
		const struct mbox_mail *m = &g->mails[i];

		if (g->kind[i] == GROUPING_COMMENT && !m->is_reply &&
		    m->seq == x && m->total == s->total &&
		    m->version == s->version)
			return m;
	}
	return NULL;
}

/*
 * "patch 2/3 is missing", "patches 1/4, 2/4 are missing (<id> is
 * numbered 2/4 but holds no diff)", or NULL.
 */
static char *gap_of(const struct grouping *g, const struct grouping_series *s)
{
	struct strbuf sb = STRBUF_INIT, list = STRBUF_INIT;
	const struct mbox_mail *nodiff = NULL;
	int x, missing = 0;

	for (x = 1; x <= s->total && x <= 10000; x++) {
		if (has_number(s, x))
			continue;
		if (missing < 20)
			strbuf_addf(&list, "%s%d/%d", missing ? ", " : "", x,
				    s->total);
		if (!nodiff)
			nodiff = diffless(g, s, x);
		missing++;
	}
	if (!missing) {
		strbuf_release(&list);
		return NULL;
	}
	if (missing > 20)
		strbuf_addf(&list, " and %d more", missing - 20);
	strbuf_addf(&sb, "%s %s %s missing", missing == 1 ? "patch" : "patches",
		    list.buf, missing == 1 ? "is" : "are");
	if (nodiff)
		strbuf_addf(&sb, " (<%s> is numbered %d/%d but holds no diff)",
			    nodiff->msgid, nodiff->seq, nodiff->total);
	strbuf_release(&list);
	return strbuf_detach(&sb);
}

/* A line patchwork takes from a reply (models.py, response_re). */
static int response_line(const char *p, size_t l)
{
	static const char *const tags[] = {
		"Tested-by:", "Reviewed-by:", "Acked-by:", "Signed-off-by:",
		"Nacked-by:", "Reported-by:",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tags); i++)
		if (l >= strlen(tags[i]) &&
		    !strncasecmp(p, tags[i], strlen(tags[i])))
			return 1;
	return 0;
}

/* Whether sb already holds line p (l bytes) as a whole line. */
static int has_line(const struct strbuf *sb, const char *p, size_t l)
{
	const char *q = sb->buf;

	while (q && *q) {
		const char *nl = strchr(q, '\n');
		size_t ql = nl ? (size_t)(nl - q) : strlen(q);

		if (ql == l && !memcmp(q, p, l))
			return 1;
		q = nl ? nl + 1 : NULL;
	}
	return 0;
}

/*
 * The response lines of a reply's text, up to its signature ("-- " or
 * a line of underscores, as patchwork's clean_content() cuts), added to
 * acks unless the patch or an earlier reply has the same line already
 * (patchwork would repeat it; git am then keeps both).
 */
static int add_responses(const struct mbox_mail *c, const struct mbox_mail *p,
			 struct strbuf *acks)
{
	const char *s = c->body, *nl;
	size_t l, i;
	int added = 0;

	for (; *s; s = nl ? nl + 1 : s + l) {
		nl = strchr(s, '\n');
		l = nl ? (size_t)(nl - s) : strlen(s);
		if ((l == 3 && !memcmp(s, "-- ", 3)) ||
		    (l && strspn(s, "_") == l))
			break;
		while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' ||
			     s[l - 1] == '\r'))
			l--;
		if (!response_line(s, l) || has_line(acks, s, l))
			continue;
		for (i = 0; i < p->ntrailers; i++)
			if (strlen(p->trailers[i]) == l &&
			    !memcmp(p->trailers[i], s, l))
				break;
		if (i < p->ntrailers)
			continue;
		strbuf_add(acks, s, l);
		strbuf_addch(acks, '\n');
		added = 1;
	}
	return added;
}

/*
 * Replies count for the patch they answer, directly or through other
 * replies (patchwork's find_patch_for_comment(): the first of a reply's
 * references that is a patch, or a reply already counted for one).
 */
static void collect_acks(const struct grouping *g,
			 const struct grouping_series *best,
			 struct mbox_series *out)
{
	const struct mbox_mail **owner = xcalloc(g->nmails + 1, sizeof(*owner));
	struct strbuf *acks = xcalloc(best->npatches + 1, sizeof(*acks));
	struct refmap ids = { NULL, NULL, 0, 0 };
	size_t i, r, k, *v, alloc = 0;

	for (i = 0; i < g->nmails; i++) {
		ref_add(&ids, g->mails[i].msgid, i);
		if (g->kind[i] == GROUPING_PATCH)
			owner[i] = &g->mails[i];
	}
	for (i = 0; i < g->nmails; i++) {
		const struct mbox_mail *c = &g->mails[i];

		if (g->kind[i] != GROUPING_COMMENT)
			continue;
		for (r = 0; r < c->nrefs && !owner[i]; r++)
			if ((v = ref_slot(&ids, c->refs[r])) && *v != i)
				owner[i] = owner[*v];
		for (k = 0; owner[i] && k < best->npatches; k++) {
			if (owner[i] != best->patches[k] ||
			    !add_responses(c, best->patches[k], &acks[k]))
				continue;
			ALLOC_GROW(out->ack_ids, out->nack_ids, alloc);
			out->ack_ids[out->nack_ids++] = c->msgid;
		}
	}
	out->acks = xcalloc(best->npatches + 1, sizeof(*out->acks));
	for (k = 0; k < best->npatches; k++)
		out->acks[k] = acks[k].len ? strbuf_detach(&acks[k]) : NULL;
	for (k = 0; k < best->npatches; k++)
		strbuf_release(&acks[k]);
	free(acks);
	free(owner);
	ref_free(&ids);
}

int grouping_pick(const struct grouping *g, struct mbox_series *out,
		  struct strbuf *notes)
{
	const struct grouping_series *best = NULL;
	size_t i, left = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < g->n; i++)
		if (g->v[i].npatches && (!best || better(&g->v[i], best)))
			best = &g->v[i];
	if (!best) {
		strbuf_reset(notes);
		strbuf_addf(notes, "no patches found%s",
			    g->covers ? ", only a cover letter" : "");
		return -1;
	}
	for (i = 0; i < g->n; i++) {
		if (&g->v[i] == best || !g->v[i].npatches)
			continue;
		if (left++ < MAX_NOTES)
			note_left_out(&g->v[i], best, notes);
	}
	if (left > MAX_NOTES)
		strbuf_addf(notes, "ignoring %zu more series\n",
			    left - MAX_NOTES);
	if (g->duplicates)
		strbuf_addf(notes, "ignoring %zu second cop%s of mails "
			    "(same Message-ID)\n", g->duplicates,
			    g->duplicates == 1 ? "y" : "ies");
	out->patches = xcalloc(best->npatches, sizeof(*out->patches));
	for (i = 0; i < best->npatches; i++)
		out->patches[i] = best->patches[i];
	out->npatches = best->npatches;
	out->group = (size_t)(best - g->v);
	out->cover = best->cover;
	out->version = best->version;
	out->total = best->total;
	out->complete = complete(best);
	out->gap = gap_of(g, best);
	out->title = xstrdup(best->cover ? best->cover->title
					 : best->patches[0]->title);
	collect_acks(g, best, out);
	if (out->nack_ids)
		strbuf_addf(notes, "adding the Acked-by/Reviewed-by/... lines "
			    "of %zu repl%s to the commits\n", out->nack_ids,
			    out->nack_ids == 1 ? "y" : "ies");
	/* Decoding trouble often explains a patch that will not apply. */
	for (i = 0; i < best->npatches; i++)
		if (best->patches[i]->warning)
			strbuf_addf(notes, "patch %d/%d (<%s>): %s\n",
				    best->numbers[i], best->total,
				    best->patches[i]->msgid,
				    best->patches[i]->warning);
	return 0;
}
