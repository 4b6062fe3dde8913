/*
 * test_grouping.c - grouping.c against patchwork's own series corpus
 * (../shared/corpus/patchwork-series, from patchwork/tests/series/) with
 * the expectations of patchwork's unit tests, and hand-written mails of
 * the same shapes so a clone without the corpus still covers them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/grouping.h"
#include "../../harness/mbox.h"
#include "../../harness/util.h"
#include "test.h"

/*
 * One row per corpus file, from patchwork/tests/unit/test_series.py
 * (getpatchwork/patchwork, main): counts are _parse_mbox()'s [covers,
 * patches, comments]; per_series is assertSerialized(patches, ...), the
 * patches of each series in date order; covers is assertSerialized(
 * covers, ...) where the test makes it (NULL: not asserted there).
 * 0-terminated lists.
 */
struct corpus_row {
	const char *file;
	int counts[3];
	int per_series[4];	/* NULL-like: {0} when not asserted */
	int covers[4];		/* -1 first: not asserted */
	const char *test;	/* the test method the row comes from */
};

static const struct corpus_row rows[] = {
	{ "base-cover-letter", { 1, 2, 0 }, { 2 }, { 1 },
	  "BaseSeriesTest.test_cover_letter" },
	{ "base-deep-threaded", { 1, 2, 0 }, { 2 }, { 1 },
	  "BaseSeriesTest.test_deep_threaded" },
	{ "base-different-versions", { 1, 4, 0 }, { 4 }, { 1 },
	  "BaseSeriesTest.test_different_versions" },
	{ "base-extra-patches", { 1, 3, 0 }, { 3 }, { 1 },
	  "SeriesTotalTest.test_extra_patches" },
	{ "base-incomplete", { 1, 1, 0 }, { 1 }, { 1 },
	  "SeriesTotalTest.test_incomplete" },
	{ "base-no-cover-letter", { 0, 2, 0 }, { 2 }, { -1 },
	  "BaseSeriesTest.test_no_cover_letter" },
	{ "base-no-references-no-cover", { 1, 2, 0 }, { 2 }, { 1 },
	  "BaseSeriesTest.test_no_references_no_cover" },
	{ "base-no-references", { 0, 2, 0 }, { 2 }, { -1 },
	  "BaseSeriesTest.test_no_references" },
	{ "base-out-of-order", { 1, 2, 0 }, { 2 }, { 1 },
	  "BaseSeriesTest.test_out_of_order" },
	{ "base-single-patch", { 0, 1, 0 }, { 1 }, { -1 },
	  "BaseSeriesTest.test_single_patch" },
	{ "bugs-mixed-versions", { 0, 2, 0 }, { 1, 1 }, { -1 },
	  "RevisedSeriesTest.test_mixed_versions" },
	/* The test asserts the counts (and the mbox's headers) only. */
	{ "bugs-multiple-content-types", { 0, 1, 1 }, { 0 }, { -1 },
	  "BaseSeriesTest.test_multiple_content_types" },
	{ "bugs-multiple-references", { 1, 4, 0 }, { 4 }, { 1 },
	  "BaseSeriesTest.test_multiple_references" },
	{ "bugs-nocover-noversion", { 0, 4, 0 }, { 2, 2 }, { -1 },
	  "RevisedSeriesTest.test_reply_nocover_noversion" },
	{ "bugs-nocover", { 0, 4, 0 }, { 2, 2 }, { -1 },
	  "RevisedSeriesTest.test_reply_nocover" },
	{ "bugs-spamming", { 0, 3, 0 }, { 1, 1, 1 }, { -1 },
	  "RevisedSeriesTest.test_spamming" },
	{ "bugs-unnumbered", { 1, 2, 0 }, { 1, 1 }, { 1, 0 },
	  "RevisedSeriesTest.test_unnumbered" },
	/*
	 * The dependency tests unpack this mbox as (cover, patch 1, patch
	 * 2); test_dependency_by_cover_msgid finds patch 1's series from
	 * the cover's Message-ID, test_dependency_by_patch2_msgid finds it
	 * from patch 2's: one series of two patches with its cover.
	 */
	{ "dependency-base-patch", { 1, 2, 0 }, { 2 }, { 1 },
	  "SeriesDependencyTestCase.test_dependency_by_cover_msgid" },
	{ "mercurial-cover-letter", { 1, 2, 0 }, { 2 }, { 1 },
	  "MercurialSeriesTest.test_cover_letter" },
	{ "mercurial-no-cover-letter", { 0, 2, 0 }, { 2 }, { -1 },
	  "MercurialSeriesTest.test_no_cover_letter" },
	{ "revision-basic", { 2, 4, 0 }, { 2, 2 }, { 1, 1 },
	  "RevisedSeriesTest.test_basic" },
	{ "revision-no-cover-letter", { 1, 4, 0 }, { 2, 2 }, { 1, 0 },
	  "RevisedSeriesTest.test_no_cover_letter" },
	{ "revision-out-of-order", { 2, 4, 0 }, { 2, 2 }, { 1, 1 },
	  "RevisedSeriesTest.test_out_of_order" },
	{ "revision-threaded-to-cover", { 2, 4, 0 }, { 2, 2 }, { 1, 1 },
	  "RevisedSeriesTest.test_threaded_to_cover" },
	{ "revision-threaded-to-patch", { 2, 4, 0 }, { 2, 2 }, { 1, 1 },
	  "RevisedSeriesTest.test_threaded_to_patch" },
	{ "revision-threaded-to-single-patch", { 0, 2, 0 }, { 1, 1 }, { -1 },
	  "RevisedSeriesTest.test_threaded_to_single_patch" },
	{ "revision-unlabeled-noreferences", { 0, 4, 0 }, { 2, 2 }, { -1 },
	  "RevisedSeriesTest.test_unlabeled_noreferences" },
	{ "revision-unlabeled", { 2, 4, 0 }, { 2, 2 }, { 1, 1 },
	  "RevisedSeriesTest.test_unlabeled" },
};

/*
 * What kflake tests out of each file (its own policy, from the issue:
 * the newest version, then its newest complete send): the version, how
 * many patches, complete or not, and the Message-ID of the first mail
 * of the chosen send. received_all in patchwork's SeriesTotalTest gives
 * complete for base-extra-patches and base-incomplete.
 */
struct pick_row {
	const char *file;
	int version, npatches, complete;
	const char *first;	/* cover's or patch 1's Message-ID */
};

static const struct pick_row picks[] = {
	{ "base-different-versions", 3, 4, 1,
	  "20170613191725.26625-1-f.fainelli@gmail.com" },
	{ "base-extra-patches", 1, 3, 1,
	  "1473632524-8585-1-git-send-email-stephenfinucane@gmail.com" },
	{ "base-incomplete", 1, 1, 0,
	  "1473632524-8585-1-git-send-email-stephenfinucane@gmail.com" },
	{ "bugs-mixed-versions", 2, 1, 0,
	  "1473633055-10316-3-git-send-email-stephenfinucane@gmail.com" },
	{ "bugs-nocover-noversion", 1, 2, 1,
	  "1473633055-10316-2-git-send-email-stephenfinucane@gmail.com" },
	{ "bugs-spamming", 2, 1, 0, "20180917170335.23838-1-vkabatov@redhat.com" },
	{ "bugs-unnumbered", 1, 1, 0,
	  "1473632524-8585-1-git-send-email-stephenfinucane@gmail.com" },
	{ "mercurial-no-cover-letter", 1, 2, 1,
	  "2fb3ae89e4e1992e9382.1485159499@nuevo" },
	{ "revision-basic", 2, 2, 1,
	  "1473632795-9971-1-git-send-email-stephenfinucane@gmail.com" },
	{ "revision-threaded-to-single-patch", 2, 1, 1,
	  "1473633055-10316-2-git-send-email-stephenfinucane@gmail.com" },
	{ "revision-unlabeled", 1, 2, 1,
	  "1473633201-10585-1-git-send-email-stephenfinucane@gmail.com" },
	{ "revision-unlabeled-noreferences", 2, 2, 1,
	  "1495516865-17091-1-git-send-email-xiaolou4617@gmail.com" },
};

/* The series corpus beside this checkout, or NULL. */
static char *corpus_dir(void)
{
	const char *d = test_corpus_dir();

	return d ? xasprintf("%s/patchwork-series", d) : NULL;
}

static int read_corpus(const char *dir, const char *file,
		       struct mbox_mail **mails, size_t *n)
{
	struct strbuf err = STRBUF_INIT;
	char *path = xasprintf("%s/%s.mbox", dir, file);
	int rc = mbox_read_path(path, mails, n, &err);

	if (rc)
		test_fail(__FILE__, __LINE__, "%s: %s", path, err.buf);
	strbuf_release(&err);
	free(path);
	return rc;
}

/* Compare one file's grouping with its row; 1 when it matches. */
static int check_row(const char *dir, const struct corpus_row *r)
{
	struct mbox_mail *mails = NULL;
	struct grouping g;
	size_t n = 0, i, want = 0;
	int ok = 1;

	if (read_corpus(dir, r->file, &mails, &n))
		return 0;
	grouping_build(mails, n, &g);
	if (g.covers != (size_t)r->counts[0] ||
	    g.patches != (size_t)r->counts[1] ||
	    g.comments != (size_t)r->counts[2]) {
		test_fail(__FILE__, __LINE__, "%s (%s): %zu/%zu/%zu, expected "
			  "%d/%d/%d", r->file, r->test, g.covers, g.patches,
			  g.comments, r->counts[0], r->counts[1], r->counts[2]);
		ok = 0;
	}
	while (want < ARRAY_SIZE(r->per_series) && r->per_series[want])
		want++;
	if (want && g.n != want) {
		test_fail(__FILE__, __LINE__, "%s (%s): %zu series, expected %zu",
			  r->file, r->test, g.n, want);
		ok = 0;
	}
	for (i = 0; ok && want && i < g.n; i++) {
		if (g.v[i].npatches != (size_t)r->per_series[i]) {
			test_fail(__FILE__, __LINE__, "%s (%s): series %zu has "
				  "%zu patches, expected %d", r->file, r->test,
				  i + 1, g.v[i].npatches, r->per_series[i]);
			ok = 0;
		}
		if (r->covers[0] >= 0 && !!g.v[i].cover != r->covers[i]) {
			test_fail(__FILE__, __LINE__, "%s (%s): series %zu %s a "
				  "cover letter", r->file, r->test, i + 1,
				  g.v[i].cover ? "has" : "lacks");
			ok = 0;
		}
	}
	grouping_release(&g);
	mbox_mails_free(mails, n);
	return ok;
}

static void check_pick(const char *dir, const struct pick_row *p)
{
	struct strbuf notes = STRBUF_INIT;
	struct mbox_mail *mails = NULL;
	struct mbox_series s;
	struct grouping g;
	const struct mbox_mail *first;
	size_t n = 0;

	if (read_corpus(dir, p->file, &mails, &n))
		return;
	grouping_build(mails, n, &g);
	if (grouping_pick(&g, &s, &notes)) {
		test_fail(__FILE__, __LINE__, "%s: %s", p->file, notes.buf);
		goto out;
	}
	first = s.cover ? s.cover : s.patches[0];
	if (s.version != p->version || s.npatches != (size_t)p->npatches ||
	    s.complete != p->complete || strcmp(first->msgid, p->first))
		test_fail(__FILE__, __LINE__, "%s: picked v%d, %zu patches, "
			  "complete %d, <%s>; expected v%d, %d, %d, <%s>",
			  p->file, s.version, s.npatches, s.complete,
			  first->msgid, p->version, p->npatches, p->complete,
			  p->first);
	mbox_series_release(&s);
out:
	grouping_release(&g);
	mbox_mails_free(mails, n);
	strbuf_release(&notes);
}

TEST(grouping_patchwork_corpus)
{
	char *dir = corpus_dir();
	size_t i, matched = 0;

	if (!dir) {
		printf("skip grouping_patchwork_corpus: no ../shared/corpus/"
		       "patchwork-series beside this checkout\n");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(rows); i++)
		matched += check_row(dir, &rows[i]);
	for (i = 0; i < ARRAY_SIZE(picks); i++)
		check_pick(dir, &picks[i]);
	printf("    grouping: %zu of %zu corpus files as patchwork groups them\n",
	       matched, ARRAY_SIZE(rows));
	free(dir);
}

/* ---- the same shapes, hand-written ---- */

#define HDIFF "---\n x | 1 +\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n x\n+y\n"

/* One mail: id, parent (or NULL), sender, minutes after 03:00, subject. */
static void put_mail(struct strbuf *sb, const char *id, const char *parent,
		     const char *from, int minute, const char *subject,
		     int diff)
{
	strbuf_addf(sb, "From x@y Thu Jan  1 00:00:00 1970\n"
		    "From: %s\nSubject: %s\n"
		    "Date: Tue, 2 Jan 2024 %02d:%02d:00 +0000\n", from, subject,
		    3 + minute / 60, minute % 60);
	if (*id)
		strbuf_addf(sb, "Message-ID: <%s>\n", id);
	/* "a<b": In-Reply-To a, References b (threaded elsewhere). */
	if (parent && strchr(parent, '<'))
		strbuf_addf(sb, "In-Reply-To: <%.*s>\nReferences: <%s>\n",
			    (int)(strchr(parent, '<') - parent), parent,
			    strchr(parent, '<') + 1);
	else if (parent)
		strbuf_addf(sb, "In-Reply-To: <%s>\nReferences: <%s>\n",
			    parent, parent);
	strbuf_addf(sb, "\nSome words.\n%s\n", diff ? HDIFF : "");
}

/* "c2,0|p1,1|..." : the groups in date order, "c" marks a cover. */
static char *shape(const char *mbox, char **picked)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, notes = STRBUF_INIT;
	struct mbox_mail *mails = NULL;
	struct mbox_series s;
	struct grouping g;
	size_t n = 0, i;

	if (mbox_parse(mbox, strlen(mbox), &mails, &n, &err)) {
		test_fail(__FILE__, __LINE__, "%s", err.buf);
		return xstrdup("");
	}
	grouping_build(mails, n, &g);
	for (i = 0; i < g.n; i++)
		strbuf_addf(&out, "%s%s%zu", i ? "|" : "",
			    g.v[i].cover ? "c" : "", g.v[i].npatches);
	strbuf_addf(&out, " (%zu/%zu/%zu)", g.covers, g.patches, g.comments);
	*picked = NULL;
	if (!grouping_pick(&g, &s, &notes)) {
		*picked = xasprintf("v%d %s%s", s.version,
				    s.cover ? s.cover->msgid
					    : s.patches[0]->msgid,
				    s.complete ? "" : " incomplete");
		mbox_series_release(&s);
	}
	grouping_release(&g);
	mbox_mails_free(mails, n);
	strbuf_release(&err);
	strbuf_release(&notes);
	return strbuf_detach(&out);
}

static void check_shape(const char *mbox, const char *want,
			const char *want_pick, int line)
{
	char *picked = NULL, *got = shape(mbox, &picked);

	if (strcmp(got, want))
		test_fail(__FILE__, line, "grouped %s, expected %s", got, want);
	if (!picked || strcmp(picked, want_pick))
		test_fail(__FILE__, line, "picked %s, expected %s",
			  picked ? picked : "nothing", want_pick);
	free(got);
	free(picked);
}

#define ANN "Ann <ann@example.org>"
#define BOB "Bob <bob@example.org>"

TEST(grouping_shapes_by_hand)
{
	struct strbuf sb = STRBUF_INIT;

	/* A resend without a version label, unthreaded: the newer wins. */
	put_mail(&sb, "a1", NULL, ANN, 0, "[PATCH 1/2] one", 1);
	put_mail(&sb, "a2", "a1", ANN, 1, "[PATCH 2/2] two", 1);
	put_mail(&sb, "b1", NULL, ANN, 60, "[PATCH 1/2] one", 1);
	put_mail(&sb, "b2", "b1", ANN, 61, "[PATCH 2/2] two", 1);
	check_shape(sb.buf, "2|2 (0/4/0)", "v1 b1", __LINE__);

	/* v2 threaded to v1's last patch, arriving out of order. */
	strbuf_reset(&sb);
	put_mail(&sb, "c", NULL, ANN, 0, "[PATCH 0/2] s", 0);
	put_mail(&sb, "p1", "c", ANN, 1, "[PATCH 1/2] one", 1);
	put_mail(&sb, "p2", "c", ANN, 2, "[PATCH 2/2] two", 1);
	put_mail(&sb, "q2", "qc<p2", ANN, 12, "[PATCH v2 2/2] two", 1);
	put_mail(&sb, "q1", "qc<p2", ANN, 11, "[PATCH v2 1/2] one", 1);
	put_mail(&sb, "qc", "p2", ANN, 10, "[PATCH v2 0/2] s", 0);
	check_shape(sb.buf, "c2|c2 (2/4/0)", "v2 qc", __LINE__);

	/* Mercurial numbering; a version given only on the cover. */
	strbuf_reset(&sb);
	put_mail(&sb, "h0", NULL, ANN, 0, "[PATCH net v3 0/2] s (v3)", 0);
	put_mail(&sb, "h1", "h0", ANN, 1, "[PATCH 1 of 2] one", 1);
	put_mail(&sb, "h2", "h0", ANN, 2, "[PATCH 2 of 2] two", 1);
	check_shape(sb.buf, "c2 (1/2/0)", "v3 h0", __LINE__);

	/* 3/2, sent later in the thread, is part of the series. */
	strbuf_reset(&sb);
	put_mail(&sb, "e0", NULL, ANN, 0, "[PATCH 0/2] s", 0);
	put_mail(&sb, "e1", "e0", ANN, 1, "[PATCH 1/2] one", 1);
	put_mail(&sb, "e2", "e0", ANN, 2, "[PATCH 2/2] two", 1);
	put_mail(&sb, "e3", "e0", ANN, 3, "[PATCH 3/2] three", 1);
	check_shape(sb.buf, "c3 (1/3/0)", "v1 e0", __LINE__);

	/* The same 1/4 three times: three series, none complete. */
	strbuf_reset(&sb);
	put_mail(&sb, "s1", NULL, ANN, 2, "[PATCH v2 1/4] x", 1);
	put_mail(&sb, "s2", NULL, ANN, 4, "[PATCH v2 1/4] x", 1);
	put_mail(&sb, "s3", NULL, ANN, 0, "[PATCH v2 1/4] x", 1);
	check_shape(sb.buf, "1|1|1 (0/3/0)", "v2 s2 incomplete", __LINE__);

	/* Another sender's unthreaded 1/1 at the same time: its own. */
	strbuf_reset(&sb);
	put_mail(&sb, "x1", NULL, ANN, 0, "[PATCH 1/2] one", 1);
	put_mail(&sb, "y1", NULL, BOB, 0, "[PATCH 1/2] bob's", 1);
	put_mail(&sb, "x2", NULL, ANN, 1, "[PATCH 2/2] two", 1);
	check_shape(sb.buf, "2|1 (0/3/0)", "v1 x1", __LINE__);

	/* An unnumbered diff answering the cover is not the series. */
	strbuf_reset(&sb);
	put_mail(&sb, "u0", NULL, ANN, 0, "[PATCH 0/2] s", 0);
	put_mail(&sb, "u1", "u0", ANN, 1, "[PATCH 1/2] one", 1);
	put_mail(&sb, "uo", "u0", BOB, 2, "try this", 1);
	check_shape(sb.buf, "c1|1 (1/2/0)", "v1 u0 incomplete", __LINE__);

	/* The same mail twice (same Message-ID): one copy counts. */
	strbuf_reset(&sb);
	put_mail(&sb, "d1", NULL, ANN, 0, "[PATCH] one", 1);
	put_mail(&sb, "d1", NULL, ANN, 0, "[PATCH] one", 1);
	check_shape(sb.buf, "1 (0/1/0)", "v1 d1", __LINE__);

	/*
	 * Never sent (no Message-ID, as `git format-patch` writes them):
	 * author dates a week apart and two authors still make one series.
	 */
	strbuf_reset(&sb);
	put_mail(&sb, "", NULL, ANN, 0, "[PATCH 1/2] one", 1);
	put_mail(&sb, "", NULL, BOB, 60 * 20, "[PATCH 2/2] two", 1);
	check_shape(sb.buf, "2 (0/2/0)", "v1 ", __LINE__);

	/* A reply quoting a diff is a comment, not a patch. */
	strbuf_reset(&sb);
	put_mail(&sb, "r1", NULL, ANN, 0, "[PATCH] one", 1);
	put_mail(&sb, "r2", "r1", BOB, 5, "Re: [PATCH] one", 1);
	check_shape(sb.buf, "1 (0/1/1)", "v1 r1", __LINE__);
	strbuf_release(&sb);
}

/*
 * Replies' Acked-by/Reviewed-by/... lines go to the patch they answer,
 * directly or down the thread, as patchwork's mbox adds them; quoted
 * ones, other tags, ones after the signature and the cover's replies
 * do not.
 */
TEST(grouping_reply_trailers)
{
	struct strbuf sb = STRBUF_INIT, notes = STRBUF_INIT, err = STRBUF_INIT;
	struct mbox_mail *mails = NULL;
	struct mbox_series s;
	struct grouping g;
	size_t n = 0;

	put_mail(&sb, "c0", NULL, ANN, 0, "[PATCH 0/2] s", 0);
	put_mail(&sb, "c1", "c0", ANN, 1, "[PATCH 1/2] one", 1);
	put_mail(&sb, "c2", "c0", ANN, 2, "[PATCH 2/2] two", 1);
	strbuf_addstr(&sb, "From x@y Thu Jan  1 00:00:00 1970\n"
		      "From: Rev <rev@example.org>\nSubject: Re: [PATCH 1/2] one\n"
		      "Message-ID: <r1>\nIn-Reply-To: <c1>\nReferences: <c0> <c1>\n\n"
		      "> Acked-by: Quoted <q@example.org>\nLooks good.\n\n"
		      "Reviewed-by: Rev <rev@example.org>\nCc: not a response\n"
		      "-- \nAcked-by: Signature <sig@example.org>\n");
	strbuf_addstr(&sb, "From x@y Thu Jan  1 00:00:00 1970\n"
		      "From: Tes <tes@example.org>\nSubject: Re: [PATCH 1/2] one\n"
		      "Message-ID: <r2>\nIn-Reply-To: <r1>\n"
		      "References: <c0> <c1> <r1>\n\n"
		      "tested-by: Tes <tes@example.org>\n"
		      "Reviewed-by: Rev <rev@example.org>\n");
	strbuf_addstr(&sb, "From x@y Thu Jan  1 00:00:00 1970\n"
		      "From: Mai <mai@example.org>\nSubject: Re: [PATCH 0/2] s\n"
		      "Message-ID: <r3>\nIn-Reply-To: <c0>\nReferences: <c0>\n\n"
		      "Acked-by: Mai <mai@example.org>\n");
	CHECK_INT(mbox_parse(sb.buf, sb.len, &mails, &n, &err), 0);
	grouping_build(mails, n, &g);
	CHECK_INT(grouping_pick(&g, &s, &notes), 0);
	CHECK_INT(s.npatches, 2);
	if (s.npatches == 2 && s.acks) {
		CHECK_STR(s.acks[0], "Reviewed-by: Rev <rev@example.org>\n"
			  "tested-by: Tes <tes@example.org>\n");
		CHECK(s.acks[1] == NULL);
	}
	CHECK_INT(s.nack_ids, 2);
	CHECK(strstr(strbuf_str(&notes), "of 2 replies") != NULL);
	mbox_series_release(&s);
	grouping_release(&g);
	mbox_mails_free(mails, n);
	strbuf_release(&sb);
	strbuf_release(&notes);
	strbuf_release(&err);
}
