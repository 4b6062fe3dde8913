/*
 * test_mbox.c - mime.c and mbox.c against real `git format-patch` output
 * made at run time, and hand-written mails that break naive parsers.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "../../harness/grouping.h"
#include "../../harness/mbox.h"
#include "../../harness/mime.h"
#include "../../harness/util.h"
#include "test.h"

#define DIFF_A \
	"diff --git a/a.txt b/a.txt\n" \
	"index 0000000..1111111 100644\n" \
	"--- a/a.txt\n" \
	"+++ b/a.txt\n" \
	"@@ -1,2 +1,2 @@\n" \
	" one\n" \
	"-two\n" \
	"+2\n"

/* ---- helpers ---- */

/* The series grouping.c picks out of mails. */
static int build(struct mbox_mail *mails, size_t n, struct mbox_series *s,
		 struct strbuf *msg)
{
	struct grouping g;
	int rc;

	grouping_build(mails, n, &g);
	rc = grouping_pick(&g, s, msg);
	grouping_release(&g);
	return rc;
}

static int git(const char *dir, const char *out, const char *const *args)
{
	return test_git(dir, out, "2024-01-02T03:04:05Z", args);
}

static void put(const char *dir, const char *name, const void *buf,
		size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);

	CHECK(!util_write_file(path, buf, len));
	free(path);
}

static int commit(const char *repo, const char *file, const char *content,
		  size_t len, const char *author, const char *msg)
{
	const char *add[] = { "add", file, NULL };
	const char *ci[] = { "commit", "-q", "-F", "../msg", "--author",
			     author, NULL };
	char *parent = xasprintf("%s/..", repo);

	put(repo, file, content, len);
	put(parent, "msg", msg, strlen(msg));
	free(parent);
	if (git(repo, NULL, add))
		return -1;
	return git(repo, NULL, ci);
}

#define LONG_TITLE "a: fix the \xc3\xbcn\xc3\xaf" "code handling in a subject " \
	"line that is long enough for git to fold it"

/*
 * A repository with a base commit and three more: a text file by an
 * author with a non-ASCII name, a fix with trailers and a long UTF-8
 * subject, and a binary file. Returns the repo path or NULL.
 */
static char *make_repo(void)
{
	char *repo = xasprintf("%s/repo", test_tmpdir());
	const char *init[] = { "init", "-q", NULL };
	unsigned char bin[256];
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7);
	util_mkdir_p(repo);
	bad |= git(repo, NULL, init);
	bad |= commit(repo, "README", "base\n", 5, "Base <base@example.org>",
		      "base\n");
	bad |= commit(repo, "a.txt", "one\ntwo\n", 8,
		      "J\xc3\xb6hn D\xc5\x93 <john@example.org>",
		      "a: add the first file\n\nIt is needed.\n\n"
		      "Signed-off-by: J\xc3\xb6hn D\xc5\x93 <john@example.org>\n"
		      "Reviewed-by: Rev Iewer <rev@example.org>\n");
	bad |= commit(repo, "a.txt", "one\n2\n", 6, "Ann Other <ann@example.org>",
		      LONG_TITLE "\n\n- keep this line\n\n"
		      "Fixes: 0123456789ab (\"a: add the first file\")\n"
		      "Link: https://lore.kernel.org/r/x@y\n"
		      "Signed-off-by: Ann Other <ann@example.org>\n");
	bad |= commit(repo, "blob.bin", (const char *)bin, sizeof(bin),
		      "Ann Other <ann@example.org>",
		      "blob: add a binary file\n\n"
		      "Signed-off-by: Ann Other <ann@example.org>\n");
	CHECK_INT(bad, 0);
	if (bad) {
		free(repo);
		return NULL;
	}
	return repo;
}

/* A mail answering parent (NULL: none), all made up. */
static void reply(struct strbuf *sb, const char *id, const char *parent,
		  const char *subject, const char *body)
{
	strbuf_addf(sb, "From mboxrd@z Thu Jan  1 00:00:00 1970\n"
		    "From: Pat Cher <pat@example.org>\n"
		    "Subject: %s\n"
		    "Date: Tue, 2 Jan 2024 03:04:05 +0000\n"
		    "Message-ID: <%s>\n", subject, id);
	if (parent)
		strbuf_addf(sb, "In-Reply-To: <%s>\nReferences: <%s>\n",
			    parent, parent);
	strbuf_addf(sb, "\n%s\n", body);
}

/* A mail with a Message-ID, a subject and a body, all made up. */
static void mail(struct strbuf *sb, const char *id, const char *subject,
		 const char *body)
{
	reply(sb, id, NULL, subject, body);
}

static struct mbox_mail *parse(const char *buf, size_t *n)
{
	struct strbuf err = STRBUF_INIT;
	struct mbox_mail *mails = NULL;

	if (mbox_parse(buf, strlen(buf), &mails, n, &err)) {
		test_fail(__FILE__, __LINE__, "mbox_parse: %s", err.buf);
		*n = 0;
	}
	strbuf_release(&err);
	return mails;
}

/* Build the series of an mbox text; the error or warnings go to msg. */
static int series_of(const char *buf, int allow, struct mbox_series *s,
		     struct strbuf *msg, struct mbox_mail **mails, size_t *n)
{
	struct grouping g;
	int rc;

	*mails = parse(buf, n);
	grouping_build(*mails, *n, &g);
	rc = grouping_pick(&g, s, msg);
	grouping_release(&g);
	if (!rc && !allow && !s->complete) {
		strbuf_reset(msg);
		strbuf_addstr(msg, s->gap);
		mbox_series_release(s);
		rc = -1;
	}
	return rc;
}

static const char *series_error(const char *buf)
{
	static char last[512];
	struct strbuf msg = STRBUF_INIT;
	struct mbox_series s;
	struct mbox_mail *mails;
	size_t n;

	if (!series_of(buf, 0, &s, &msg, &mails, &n))
		snprintf(last, sizeof(last), "(no error)");
	else
		snprintf(last, sizeof(last), "%s", msg.buf);
	mbox_series_release(&s);
	mbox_mails_free(mails, n);
	strbuf_release(&msg);
	return last;
}

/* gzip repeat copies of buf into out. */
static void gz(struct strbuf *out, const void *buf, size_t len, int repeat)
{
	unsigned char chunk[4096];
	z_stream zs;
	int i;

	memset(&zs, 0, sizeof(zs));
	CHECK_INT(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8,
			       Z_DEFAULT_STRATEGY), Z_OK);
	for (i = 0; i < repeat; i++) {
		zs.next_in = (unsigned char *)buf;
		zs.avail_in = (unsigned)len;
		do {
			zs.next_out = chunk;
			zs.avail_out = sizeof(chunk);
			deflate(&zs, i == repeat - 1 ? Z_FINISH : Z_NO_FLUSH);
			strbuf_add(out, chunk, sizeof(chunk) - zs.avail_out);
		} while (zs.avail_out == 0);
	}
	deflateEnd(&zs);
}

/* ---- mime ---- */

TEST(mime_decode_header_encodings)
{
	struct { const char *in, *out; } t[] = {
		{ "=?UTF-8?q?J=C3=B6hn_D=C5=93?= <j@x>", "J\xc3\xb6hn D\xc5\x93 <j@x>" },
		{ "=?utf-8?B?SsO2aG4=?= Doe", "J\xc3\xb6hn Doe" },
		/* Adjacent words join; the blank between them is dropped. */
		{ "=?utf-8?q?a?= =?utf-8?q?b?=\t =?utf-8?q?_c?=", "ab c" },
		/* A character split across two B words comes out whole. */
		{ "=?utf-8?B?w6A=?= =?utf-8?B?w6HD?= =?utf-8?B?og==?=", "\xc3\xa0\xc3\xa1\xc3\xa2" },
		{ "x =?ISO-8859-1?Q?caf=E9?= y", "x caf\xc3\xa9 y" },
		{ "=?latin1?Q?=FC?=", "\xc3\xbc" },
		{ "=?windows-1252?Q?=80?=", "\xe2\x82\xac" },
		{ "=?koi8-r?B?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
		{ "=?utf-8*en?q?hi?=", "hi" },
		/* Unknown charset: ASCII payload decoded, bytes kept raw. */
		{ "=?x-unknown?q?[PATCH]_hi?=", "[PATCH] hi" },
		{ "=?x-unknown?q?=FF?= tail", "=?x-unknown?q?=FF?= tail" },
		{ "=?../../etc/passwd?q?=FF?=", "=?../../etc/passwd?q?=FF?=" },
		/* Broken payloads stay as written. */
		{ "=?utf-8?B?!!!?=", "=?utf-8?B?!!!?=" },
		{ "=?utf-8?q?=Z1?=", "=?utf-8?q?=Z1?=" },
		{ "=?utf-8?X?abc?= =?utf-8", "=?utf-8?X?abc?= =?utf-8" },
		/* Control characters never survive into a header. */
		{ "=?utf-8?q?a=0Ab=00c?=", "a b" },
		{ "plain subject", "plain subject" },
		{ "", "" },
	};
	size_t i;
	char *got;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		got = mime_decode_header(t[i].in);
		CHECK_STR(got, t[i].out);
		free(got);
	}
	got = mime_decode_header(NULL);
	CHECK_STR(got, "");
	free(got);
}

TEST(mime_header_caps_and_unfolding)
{
	struct strbuf sb = STRBUF_INIT;
	struct mime_headers h = MIME_HEADERS_INIT;
	size_t off, i;
	char *u;

	strbuf_addstr(&sb, "Subject: [PATCH] a\r\n  folded\n\tsubject\n"
			   "X-Long: ");
	for (i = 0; i < 3 * MIME_MAX_HEADER; i++)
		strbuf_addch(&sb, 'x');
	strbuf_addstr(&sb, "\nbroken header line\nSubject: second\n\nbody\n");
	off = mime_parse_headers(sb.buf, sb.len, &h);
	CHECK_STR(mime_header_get(&h, "subject"),
		  "[PATCH] a  folded\tsubject");
	CHECK_INT(strlen(mime_header_get(&h, "X-Long")), MIME_MAX_HEADER);
	/* The first line that is no header starts the body. */
	CHECK(!strncmp(sb.buf + off, "broken header line", 18));
	CHECK(!mime_header_get(&h, "Missing"));
	mime_headers_release(&h);
	u = mime_unfold("a\r\n b\n\tc", 9);
	CHECK_STR(u, "a b\tc");
	free(u);
	strbuf_release(&sb);
}

TEST(mime_transfer_decodings)
{
	struct strbuf sb = STRBUF_INIT;
	const char *qp = "soft=\nly bro=  \r\nken =3D line=\n =E2=82=AC\n";

	CHECK_INT(mime_decode_qp(qp, strlen(qp), &sb), 0);
	CHECK_STR(sb.buf, "softly broken = line \xe2\x82\xac\n");
	strbuf_reset(&sb);
	CHECK_INT(mime_decode_qp("a=ZZb=4", 7, &sb), -1);
	CHECK_STR(sb.buf, "a=ZZb=4");
	strbuf_reset(&sb);
	CHECK_INT(mime_decode_base64("aGVs\nbG8g\r\nd29y bGQ=\n", 21, &sb), 0);
	CHECK_STR(sb.buf, "hello world");
	strbuf_reset(&sb);
	CHECK_INT(mime_decode_base64("aGVs*bG8=junk", 13, &sb), -1);
	CHECK_STR(sb.buf, "hello");
	strbuf_reset(&sb);
	CHECK_INT(mime_decode_base64("aGVsb", 5, &sb), -1);
	strbuf_release(&sb);
}

TEST(mime_content_type_params)
{
	struct mime_content_type ct;
	char *p;

	mime_parse_content_type("Multipart/Mixed; boundary=\"=_a;b \\\"c\\\"\"; "
				"CHARSET=UTF-8", &ct);
	CHECK_STR(ct.type, "multipart/mixed");
	CHECK_STR(ct.boundary, "=_a;b \"c\"");
	CHECK_STR(ct.charset, "utf-8");
	CHECK(!ct.name);
	mime_content_type_release(&ct);
	mime_parse_content_type(NULL, &ct);
	CHECK_STR(ct.type, "text/plain");
	CHECK(!ct.charset);
	mime_content_type_release(&ct);
	mime_parse_content_type("garbage;;; =x; name=foo.patch", &ct);
	CHECK_STR(ct.type, "text/plain");
	CHECK_STR(ct.name, "foo.patch");
	mime_content_type_release(&ct);
	p = mime_param("attachment; filename*=UTF-8''f%C3%BC.diff", "filename");
	CHECK_STR(p, "f\xc3\xbc.diff");
	free(p);
}

TEST(mime_multipart_finds_text_and_patch)
{
	const char *mail =
		"Content-Type: multipart/mixed; boundary=\"XX\"\n\n"
		"preamble\n--XX\n"
		"Content-Type: multipart/alternative; boundary=YY\n\n"
		"--YY\nContent-Type: text/plain; charset=iso-8859-1\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"Gr=FC=DFe\n--YY\nContent-Type: text/html\n\n<p>html</p>\n--YY--\n"
		"--XX\nContent-Type: application/octet-stream\n"
		"Content-Disposition: attachment; filename=\"0001-fix.patch\"\n"
		"Content-Transfer-Encoding: base64\n\n"
		"ZGlmZiAtLWdpdCBhL3ggYi94Cg==\n"
		"--XX\nContent-Type: image/png\n\nPNG\n--XX--\nepilogue\n";
	struct mime_headers h = MIME_HEADERS_INIT;
	struct mime_body b = MIME_BODY_INIT;
	size_t off = mime_parse_headers(mail, strlen(mail), &h);

	mime_body_extract(&h, mail + off, strlen(mail) - off, &b);
	/* Up to the delimiter's line, as git mailinfo reads parts. */
	CHECK_STR(b.text.buf, "Gr\xc3\xbc\xc3\x9f" "e\n");
	CHECK_STR(b.raw.buf, "Gr\xfc\xdf" "e\n");
	CHECK_STR(b.patch.buf, "diff --git a/x b/x\n");
	CHECK(!b.problem);
	mime_body_release(&b);
	mime_headers_release(&h);
}

TEST(mime_multipart_nesting_is_bounded)
{
	struct strbuf sb = STRBUF_INIT;
	struct mime_headers h = MIME_HEADERS_INIT;
	struct mime_body b = MIME_BODY_INIT;
	size_t off;
	int i;

	for (i = 0; i < 50; i++)
		strbuf_addf(&sb, "Content-Type: multipart/mixed; boundary=b%d\n\n"
			    "--b%d\n", i, i);
	strbuf_addstr(&sb, "\ndeep text\n");
	off = mime_parse_headers(sb.buf, sb.len, &h);
	mime_body_extract(&h, sb.buf + off, sb.len - off, &b);
	CHECK_STR(b.problem, "multipart nested too deeply");
	CHECK_INT(b.text.len, 0);
	mime_body_release(&b);
	mime_headers_release(&h);
	strbuf_release(&sb);
}

/* ---- real git format-patch output ---- */

static void check_git_series(struct mbox_mail *mails, size_t n, int cover)
{
	struct strbuf msg = STRBUF_INIT;
	struct mbox_series s;
	struct mbox_mail *p;

	CHECK_INT(n, 3 + cover);
	CHECK_INT(build(mails, n, &s, &msg), 0);
	CHECK_STR(msg.buf ? msg.buf : "", "");
	CHECK_INT(s.npatches, 3);
	CHECK_INT(s.total, 3);
	CHECK_INT(s.version, 1);
	CHECK_INT(s.complete, 1);
	CHECK(cover ? s.cover != NULL : s.cover == NULL);
	if (s.npatches != 3)
		goto out;
	if (cover) {
		CHECK_INT(s.cover->seq, 0);
		CHECK_STR(s.cover->title, "*** SUBJECT HERE ***");
		CHECK(!s.cover->diff);
	}
	CHECK_STR(s.title, cover ? "*** SUBJECT HERE ***"
				 : "a: add the first file");

	p = s.patches[0];
	CHECK_INT(p->seq, 1);
	CHECK_STR(p->subject, "[PATCH 1/3] a: add the first file");
	CHECK_STR(p->title, "a: add the first file");
	CHECK_STR(p->author_name, "J\xc3\xb6hn D\xc5\x93");
	CHECK_STR(p->author_email, "john@example.org");
	CHECK_STR(p->message, "It is needed.\n\n"
		  "Signed-off-by: J\xc3\xb6hn D\xc5\x93 <john@example.org>\n"
		  "Reviewed-by: Rev Iewer <rev@example.org>");
	CHECK_INT(p->ntrailers, 2);
	if (p->ntrailers == 2) {
		CHECK_STR(p->trailers[0], "Signed-off-by: J\xc3\xb6hn D\xc5\x93 <john@example.org>");
		CHECK_STR(p->trailers[1], "Reviewed-by: Rev Iewer <rev@example.org>");
	}
	CHECK(p->diff && !strncmp(p->diff, "diff --git a/a.txt b/a.txt\n", 27));
	CHECK(p->diff && strstr(p->diff, "\n+one\n+two\n"));
	/* The "-- \n2.x" signature is not part of the diff. */
	CHECK(p->diff && !strstr(p->diff, "\n-- \n"));

	p = s.patches[1];
	CHECK_INT(p->seq, 2);
	CHECK_STR(p->title, LONG_TITLE);
	CHECK_STR(p->author_name, "Ann Other");
	CHECK_INT(p->ntrailers, 3);
	if (p->ntrailers == 3) {
		CHECK_STR(p->trailers[0], "Fixes: 0123456789ab (\"a: add the first file\")");
		CHECK_STR(p->trailers[1], "Link: https://lore.kernel.org/r/x@y");
	}
	CHECK(strstr(p->message, "- keep this line") != NULL);

	p = s.patches[2];
	CHECK_INT(p->seq, 3);
	CHECK_STR(p->title, "blob: add a binary file");
	CHECK(p->diff && strstr(p->diff, "GIT binary patch\nliteral 256\n"));
	CHECK(p->diff && strstr(p->diff, "\nliteral 0\n"));
out:
	mbox_series_release(&s);
	strbuf_release(&msg);
}

TEST(mbox_git_format_patch_directory)
{
	char *repo = make_repo(), *dir, *bak, *bak2;
	const char *fp[] = { "format-patch", "-q", "--cover-letter", "-o",
			     NULL, "HEAD~3", NULL };
	struct strbuf err = STRBUF_INIT;
	struct mbox_mail *mails = NULL;
	size_t n = 0;

	if (!repo)
		return;
	dir = xasprintf("%s/out", test_tmpdir());
	fp[4] = dir;
	CHECK_INT(git(repo, NULL, fp), 0);
	/* An editor's backup beside the patches is not a fourth patch. */
	bak = xasprintf("%s/0001-a-add-the-first-file.patch", dir);
	bak2 = xasprintf("%s~", bak);
	CHECK_INT(util_copy_file(bak, bak2), 0);
	free(bak);
	free(bak2);
	CHECK_INT(mbox_read_path(dir, &mails, &n, &err), 0);
	CHECK_STR(err.buf ? err.buf : "", "");
	/* Name order, not readdir order: the cover letter comes first. */
	if (n == 4) {
		CHECK_INT(mails[0].seq, 0);
		CHECK_INT(mails[3].seq, 3);
	}
	check_git_series(mails, n, 1);
	mbox_mails_free(mails, n);
	strbuf_release(&err);
	free(dir);
	free(repo);
}

TEST(mbox_git_format_patch_stdout_and_gzip)
{
	char *repo = make_repo(), *mbox, *gz;
	const char *fp[] = { "format-patch", "--stdout",
			     "--from=Bot <bot@example.org>", "HEAD~3", NULL };
	struct strbuf err = STRBUF_INIT, raw = STRBUF_INIT;
	struct mbox_mail *mails = NULL;
	size_t n = 0;
	gzFile f;

	if (!repo)
		return;
	mbox = xasprintf("%s/series.mbox", test_tmpdir());
	gz = xasprintf("%s/t.mbox.gz", test_tmpdir());
	CHECK_INT(git(repo, mbox, fp), 0);
	CHECK_INT(mbox_read_path(mbox, &mails, &n, &err), 0);
	/* Sent by the bot; the in-body From: line names the author. */
	if (n == 3) {
		CHECK_STR(mails[0].from, "Bot <bot@example.org>");
		CHECK(!strncmp(mails[0].body, "From: J\xc3\xb6hn", 9));
	}
	check_git_series(mails, n, 0);
	mbox_mails_free(mails, n);

	CHECK(!util_read_file(mbox, &raw, 0));
	f = gzopen(gz, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK_INT(gzwrite(f, raw.buf, (unsigned)raw.len), raw.len);
		gzclose(f);
	}
	CHECK_INT(mbox_read_path(gz, &mails, &n, &err), 0);
	check_git_series(mails, n, 0);
	mbox_mails_free(mails, n);
	strbuf_release(&raw);
	strbuf_release(&err);
	free(mbox);
	free(gz);
	free(repo);
}

/* ---- hand-written mails ---- */

TEST(mbox_subject_tags)
{
	struct { const char *subject, *title; int v, seq, total, reply; } t[] = {
		{ "[RFC PATCH net-next v3 02/10] net: x", "net: x", 3, 2, 10, 0 },
		{ "[PATCHv2] foo", "foo", 2, 0, 0, 0 },
		{ "[net-next,v2,1/3] bar", "bar", 2, 1, 3, 0 },
		{ "Re: [PATCH RESEND 1/2]   spaced   out", "spaced out", 1, 1, 2, 1 },
		{ "RE: re: [PATCH] x", "x", 1, 0, 0, 1 },
		{ "[PATCH] [net] two brackets", "two brackets", 1, 0, 0, 0 },
		{ "[PATCH 1/99999999] huge", "huge", 1, 0, 0, 0 },
		{ "[PATCH unterminated", "[PATCH unterminated", 1, 0, 0, 0 },
		{ "Revert \"x\"", "Revert \"x\"", 1, 0, 0, 0 },
	};
	struct strbuf sb = STRBUF_INIT;
	struct mbox_mail *m;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		strbuf_reset(&sb);
		mail(&sb, "id@x", t[i].subject, "text");
		m = parse(sb.buf, &n);
		CHECK_INT(n, 1);
		if (n == 1) {
			CHECK_STR(m->title, t[i].title);
			CHECK_INT(m->version, t[i].v);
			CHECK_INT(m->seq, t[i].seq);
			CHECK_INT(m->total, t[i].total);
			CHECK_INT(m->is_reply, t[i].reply);
		}
		mbox_mails_free(m, n);
	}
	strbuf_release(&sb);
}

TEST(mbox_missing_headers)
{
	const char *in = "X-Nothing: here\n\n" DIFF_A;
	struct mbox_mail *m;
	struct mbox_series s;
	struct strbuf msg = STRBUF_INIT;
	size_t n;

	m = parse(in, &n);
	CHECK_INT(n, 1);
	if (n != 1)
		goto out;
	CHECK_STR(m->subject, "");
	CHECK_STR(m->from, "");
	CHECK_STR(m->author_email, "");
	CHECK_STR(m->msgid, "");
	CHECK(!m->in_reply_to);
	CHECK(m->diff != NULL);
	/* An unnumbered patch is a series of one, subject or not. */
	CHECK_INT(build(m, n, &s, &msg), 0);
	CHECK_INT(s.npatches, 1);
	CHECK_INT(s.total, 1);
	CHECK_STR(s.title, "");
	mbox_series_release(&s);
out:
	mbox_mails_free(m, n);
	strbuf_release(&msg);
}

TEST(mbox_addresses)
{
	struct { const char *from, *name, *email; } t[] = {
		{ "\"Doe, J. \\\"JD\\\"\" <jd@x>", "Doe, J. \"JD\"", "jd@x" },
		{ "jd@x (John Doe)", "John Doe", "jd@x" },
		{ "jd@x", "", "jd@x" },
		{ "=?utf-8?q?Ren=C3=A9?= <r@x>", "Ren\xc3\xa9", "r@x" },
		{ "<only@x>", "", "only@x" },
	};
	struct strbuf sb = STRBUF_INIT;
	struct mbox_mail *m;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "From: %s\nSubject: s\n\nbody\n", t[i].from);
		m = parse(sb.buf, &n);
		if (n == 1) {
			CHECK_STR(m->author_name, t[i].name);
			CHECK_STR(m->author_email, t[i].email);
		}
		mbox_mails_free(m, n);
	}
	strbuf_release(&sb);
}

TEST(mbox_rfc2047_subject_and_author_q_and_b)
{
	const char *in =
		"From: =?UTF-8?B?SsO2aG4gRMWT?= <john@example.org>\n"
		"Subject: =?UTF-8?q?=5BPATCH=5D=20caf=C3=A9:=20fix?=\n"
		" =?UTF-8?q?_the_na=C3=AFve_path?=\n"
		"Message-ID: <q@x>\n\nfix\n---\n" DIFF_A;
	struct mbox_mail *m;
	size_t n;

	m = parse(in, &n);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(m->author_name, "J\xc3\xb6hn D\xc5\x93");
		CHECK_STR(m->subject, "[PATCH] caf\xc3\xa9: fix the na\xc3\xafve path");
		CHECK_STR(m->title, "caf\xc3\xa9: fix the na\xc3\xafve path");
		CHECK_STR(m->message, "fix");
	}
	mbox_mails_free(m, n);
}

TEST(mbox_bad_encodings_do_not_crash)
{
	const char *in =
		"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
		"From: =?bogus-charset?Q?=E9t=E9?= <e@x>\n"
		"Subject: [PATCH] =?utf-8?B?broken***?=\n"
		"Content-Type: text/plain; charset=\"x-no-such-charset\"\n"
		"Content-Transfer-Encoding: base64\n\n"
		"ZGlmZiAtLWdpdCBhL3ggYi94Cg=*=\n\n"
		"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
		"Subject: [PATCH] qp\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"bad =G escape=\n";
	struct strbuf msg = STRBUF_INIT;
	struct mbox_series s;
	struct mbox_mail *m;
	size_t n;

	m = parse(in, &n);
	CHECK_INT(n, 2);
	if (n != 2)
		goto out;
	CHECK_STR(m[0].author_name, "=?bogus-charset?Q?=E9t=E9?=");
	CHECK_STR(m[0].title, "=?utf-8?B?broken***?=");
	CHECK_STR(m[0].warning, "broken base64");
	CHECK(m[0].diff && !strcmp(m[0].diff, "diff --git a/x b/x\n"));
	CHECK_STR(m[1].warning, "broken quoted-printable");
	CHECK_STR(m[1].body, "bad =G escape");
	CHECK(!m[1].diff);
	/* The diff-less second mail is no patch; the warning is passed on. */
	CHECK_INT(build(m, n, &s, &msg), 0);
	CHECK_INT(s.npatches, 1);
	CHECK_STR(msg.buf, "patch 1/1 (<>): broken base64\n");
	mbox_series_release(&s);
out:
	mbox_mails_free(m, n);
	strbuf_release(&msg);
}

TEST(mbox_unknown_body_charset_kept_raw)
{
	const char *in = "Subject: [PATCH] x\n"
			 "Content-Type: text/plain; charset=x-martian\n\n"
			 "caf\xe9\n";
	struct mbox_mail *m;
	size_t n;

	m = parse(in, &n);
	if (n == 1) {
		CHECK_STR(m->body, "caf\xe9\n");
		CHECK_STR(m->warning, "unknown charset x-martian");
	}
	mbox_mails_free(m, n);
}

TEST(mbox_out_of_order_with_reply_and_cover)
{
	struct strbuf sb = STRBUF_INIT, msg = STRBUF_INIT;
	struct mbox_series s;
	struct mbox_mail *mails;
	size_t n;

	/* Threaded to the cover, which arrives after patch 2. */
	reply(&sb, "p2@x", "c@x", "[PATCH 2/2] second", "two\n---\n" DIFF_A);
	reply(&sb, "r1@x", "p1@x", "Re: [PATCH 1/2] first",
	      "> quoted\nreply with diff\n" DIFF_A);
	mail(&sb, "c@x", "[PATCH 0/2] the series", "cover text");
	reply(&sb, "p1@x", "c@x", "[PATCH 1/2] first", "one\n---\n" DIFF_A);
	CHECK_INT(series_of(sb.buf, 0, &s, &msg, &mails, &n), 0);
	CHECK_STR(msg.buf ? msg.buf : "", "");
	CHECK_INT(s.npatches, 2);
	if (s.npatches == 2) {
		CHECK_STR(s.patches[0]->msgid, "p1@x");
		CHECK_STR(s.patches[1]->msgid, "p2@x");
	}
	CHECK(s.cover && !strcmp(s.cover->msgid, "c@x"));
	CHECK_STR(s.title, "the series");
	mbox_series_release(&s);
	mbox_mails_free(mails, n);
	strbuf_release(&sb);
	strbuf_release(&msg);
}

TEST(mbox_multi_version_newest_wins)
{
	struct strbuf sb = STRBUF_INIT, msg = STRBUF_INIT;
	struct mbox_series s;
	struct mbox_mail *mails;
	size_t n;

	mail(&sb, "a1@x", "[PATCH 1/2] old one", DIFF_A);
	reply(&sb, "b2@x", "b0@x", "[PATCH v2 2/2] new two", DIFF_A);
	reply(&sb, "a2@x", "a1@x", "[PATCH 2/2] old two", DIFF_A);
	reply(&sb, "b1@x", "b0@x", "[PATCH v2 1/2] new one", DIFF_A);
	reply(&sb, "b0@x", "a1@x", "[PATCH v2 0/2] new series", "v2: less bugs");
	CHECK_INT(series_of(sb.buf, 0, &s, &msg, &mails, &n), 0);
	CHECK_STR(msg.buf, "ignoring an older version: v1, 2 of 2 patches, "
		  "<a1@x>\n");
	CHECK_INT(s.version, 2);
	CHECK_INT(s.npatches, 2);
	if (s.npatches == 2) {
		CHECK_STR(s.patches[0]->title, "new one");
		CHECK_STR(s.patches[1]->title, "new two");
	}
	CHECK_STR(s.title, "new series");
	mbox_series_release(&s);
	mbox_mails_free(mails, n);
	strbuf_release(&sb);
	strbuf_release(&msg);
}

/* The series' error when it cannot be tested as a whole, and its notes. */
static const char *series_notes(const char *buf)
{
	static char last[512];
	struct strbuf msg = STRBUF_INIT;
	struct mbox_series s;
	struct mbox_mail *mails;
	size_t n;

	if (series_of(buf, 1, &s, &msg, &mails, &n))
		snprintf(last, sizeof(last), "error: %s", msg.buf);
	else
		snprintf(last, sizeof(last), "%s%s", s.gap ? s.gap : "",
			 msg.buf ? msg.buf : "");
	mbox_series_release(&s);
	mbox_mails_free(mails, n);
	strbuf_release(&msg);
	return last;
}

TEST(mbox_series_errors)
{
	struct strbuf sb = STRBUF_INIT;

	mail(&sb, "p1@x", "[PATCH 1/3] one", DIFF_A);
	mail(&sb, "p3@x", "[PATCH 3/3] three", DIFF_A);
	CHECK_STR(series_error(sb.buf), "patch 2/3 is missing");

	strbuf_reset(&sb);
	mail(&sb, "p3@x", "[PATCH 3/4] three", DIFF_A);
	CHECK_STR(series_error(sb.buf), "patches 1/4, 2/4, 4/4 are missing");

	/* A number taken twice starts a second send, as on patchwork. */
	strbuf_reset(&sb);
	mail(&sb, "p1@x", "[PATCH 1/3] one", DIFF_A);
	mail(&sb, "a@x", "[PATCH 2/3] two", DIFF_A);
	mail(&sb, "b@x", "[PATCH 2/3] two again", DIFF_A);
	mail(&sb, "p3@x", "[PATCH 3/3] three", DIFF_A);
	CHECK_STR(series_notes(sb.buf), "patch 1/3 is missing"
		  "ignoring an incomplete send: v1, 2 of 3 patches, <p1@x>\n");

	strbuf_reset(&sb);
	mail(&sb, "p1@x", "[PATCH 1/3] one", DIFF_A);
	mail(&sb, "nd@x", "[PATCH 2/3] two", "I forgot the diff.");
	mail(&sb, "p3@x", "[PATCH 3/3] three", DIFF_A);
	CHECK_STR(series_error(sb.buf), "patch 2/3 is missing (<nd@x> is "
		  "numbered 2/3 but holds no diff)");

	strbuf_reset(&sb);
	mail(&sb, "c@x", "[PATCH 0/2] cover", "just words");
	CHECK_STR(series_error(sb.buf), "no patches found, only a cover letter");

	strbuf_reset(&sb);
	mail(&sb, "q@x", "question about foo", "no diff here");
	mail(&sb, "r@x", "Re: [PATCH] x", DIFF_A);
	CHECK_STR(series_error(sb.buf), "no patches found");

	/* A 3/3 of another total is another series; the whole one wins. */
	strbuf_reset(&sb);
	mail(&sb, "p1@x", "[PATCH 1/2] one", DIFF_A);
	mail(&sb, "p2@x", "[PATCH 2/2] two", DIFF_A);
	mail(&sb, "x3@x", "[PATCH 3/3] three", DIFF_A);
	CHECK_STR(series_notes(sb.buf),
		  "ignoring an incomplete send: v1, 1 of 3 patches, <x3@x>\n");

	/* 5/2 counts as an extra; 2/2 is still missing. */
	strbuf_reset(&sb);
	mail(&sb, "p1@x", "[PATCH 1/2] one", DIFF_A);
	mail(&sb, "p5@x", "[PATCH 5/2] five", DIFF_A);
	CHECK_STR(series_error(sb.buf), "patch 2/2 is missing");

	/* An unnumbered diff in reply to the series is left out. */
	strbuf_reset(&sb);
	mail(&sb, "c@x", "[PATCH 0/1] cover", "words");
	reply(&sb, "p1@x", "c@x", "[PATCH 1/1] one", DIFF_A);
	reply(&sb, "o@x", "p1@x", "how about this instead", DIFF_A);
	CHECK_STR(series_notes(sb.buf), "ignoring <o@x> 'how about this "
		  "instead': a patch without a number, sent in reply to "
		  "another series\n");
	strbuf_release(&sb);
}

TEST(mbox_allow_incomplete_warns)
{
	struct strbuf sb = STRBUF_INIT, msg = STRBUF_INIT;
	struct mbox_series s;
	struct mbox_mail *mails;
	size_t n;

	mail(&sb, "p1@x", "[PATCH 1/4] one", DIFF_A);
	mail(&sb, "p3@x", "[PATCH 3/4] three", DIFF_A);
	mail(&sb, "d3@x", "[PATCH 3/4] three again", DIFF_A);
	mail(&sb, "p4@x", "[PATCH 4/4] four", "no diff");
	CHECK_INT(series_of(sb.buf, 1, &s, &msg, &mails, &n), 0);
	CHECK_STR(msg.buf,
		  "ignoring an incomplete send: v1, 1 of 4 patches, <d3@x>\n");
	CHECK_STR(s.gap, "patches 2/4, 4/4 are missing (<p4@x> is numbered "
		  "4/4 but holds no diff)");
	CHECK_INT(s.npatches, 2);
	CHECK_INT(s.complete, 0);
	if (s.npatches == 2) {
		CHECK_STR(s.patches[0]->msgid, "p1@x");
		CHECK_STR(s.patches[1]->msgid, "p3@x");
	}
	mbox_series_release(&s);
	mbox_mails_free(mails, n);
	strbuf_reset(&msg);

	strbuf_reset(&sb);
	mail(&sb, "c@x", "[PATCH 0/2] cover", "just words");
	CHECK_INT(series_of(sb.buf, 1, &s, &msg, &mails, &n), -1);
	CHECK_STR(msg.buf, "no patches found, only a cover letter");
	mbox_series_release(&s);
	mbox_mails_free(mails, n);
	strbuf_release(&sb);
	strbuf_release(&msg);
}

TEST(mbox_multipart_patch_attachment)
{
	const char *in =
		"From: Pat <pat@x>\n"
		"Subject: [PATCH] attached\n"
		"Message-ID: <att@x>\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"----=_Part_1\"\n\n"
		"This is a multi-part message in MIME format.\n"
		"------=_Part_1\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"Please apply.\r\n\r\nSigned-off-by: Pat <pat@x>\r\n"
		"------=_Part_1\r\n"
		"Content-Type: text/x-patch; name=\"fix.patch\"\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"Content-Disposition: attachment; filename=\"fix.patch\"\r\n\r\n"
		"ZGlmZiAtLWdpdCBhL2EudHh0IGIvYS50eHQKLS0tIGEvYS50eHQKKysrIGIvYS50eHQKQEAg\r\n"
		"LTEgKzEgQEAKLW9sZAorbmV3Cg==\r\n"
		"------=_Part_1--\r\n";
	struct mbox_mail *m;
	size_t n;

	m = parse(in, &n);
	CHECK_INT(n, 1);
	if (n != 1)
		goto out;
	CHECK_STR(m->diff, "diff --git a/a.txt b/a.txt\n--- a/a.txt\n"
		  "+++ b/a.txt\n@@ -1 +1 @@\n-old\n+new\n");
	CHECK_STR(m->message, "Please apply.\n\nSigned-off-by: Pat <pat@x>");
	CHECK_INT(m->ntrailers, 1);
out:
	mbox_mails_free(m, n);
}

TEST(mbox_quoted_printable_soft_breaks)
{
	const char *in =
		"Subject: [PATCH] qp\n"
		"Content-Type: text/plain; charset=UTF-8\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"A message with a very long line that the mailer wrapped for u=\n"
		"s, caf=C3=A9.\n---\n"
		"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n"
		"-a =3D 1;\n+a =3D 2; /* a very long comment that gets wrapped by =\n"
		"the mailer */\n-- \n2.39.5\n";
	struct mbox_mail *m;
	size_t n;

	m = parse(in, &n);
	if (n == 1) {
		CHECK_STR(m->message, "A message with a very long line that "
			  "the mailer wrapped for us, caf\xc3\xa9.");
		CHECK_STR(m->diff, "diff --git a/x b/x\n--- a/x\n+++ b/x\n"
			  "@@ -1 +1 @@\n-a = 1;\n+a = 2; /* a very long "
			  "comment that gets wrapped by the mailer */\n");
	}
	mbox_mails_free(m, n);
}

TEST(mbox_binary_patch_kept_verbatim)
{
	const char *bin =
		"diff --git a/b.bin b/b.bin\n"
		"new file mode 100644\n"
		"index 0000000000000000000000000000000000000000..d2f4fbc5a1b0a9e5d8f0a1c2e0c1f8e1a2b3c4d5\n"
		"GIT binary patch\n"
		"literal 12\n"
		"TcmZQzWMXDvWn<~E0X_f%\n"
		"\n"
		"literal 0\n"
		"HcmV?d00001\n"
		"\n";
	struct strbuf sb = STRBUF_INIT;
	struct mbox_mail *m;
	size_t n;

	strbuf_addf(&sb, "Subject: [PATCH] bin\n\nadd blob\n---\n"
		    " b.bin | Bin 0 -> 12 bytes\n\n%s-- \n2.39.5\n\n", bin);
	m = parse(sb.buf, &n);
	if (n == 1)
		CHECK_STR(m->diff, bin);
	mbox_mails_free(m, n);
	strbuf_release(&sb);
}

TEST(mbox_signature_lookalike_inside_hunk)
{
	const char *diff =
		"--- a/list.md\n+++ b/list.md\n@@ -1,3 +1,2 @@\n"
		" items:\n-- \n end\n";
	struct strbuf sb = STRBUF_INIT;
	struct mbox_mail *m;
	size_t n;

	strbuf_addf(&sb, "Subject: [PATCH] md\n\ndrop the empty item\n\n%s"
		    "-- \nsig\n", diff);
	m = parse(sb.buf, &n);
	if (n == 1)
		CHECK_STR(m->diff, diff);
	mbox_mails_free(m, n);
	strbuf_release(&sb);
}

TEST(mbox_mboxrd_unescape_and_crlf)
{
	const char *in =
		"From mboxrd@z Thu Jan  1 00:00:00 1970\r\n"
		"Subject: [PATCH] x\r\n\r\n"
		">From the start\r\n>>From quoted\r\nFrom here on: no split\r\n"
		"---\r\n" DIFF_A;
	struct mbox_mail *m;
	size_t n;

	m = parse(in, &n);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(m->message,
			  "From the start\n>From quoted\nFrom here on: no split");
		CHECK_STR(m->diff, DIFF_A);
	}
	mbox_mails_free(m, n);
}

TEST(mbox_rejects_junk_and_limits)
{
	struct strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
	struct mbox_mail *m;
	size_t n, i;
	char *zero;

	CHECK_INT(mbox_parse("", 0, &m, &n, &err), -1);
	CHECK_STR(err.buf, "empty input, no mail in it");
	CHECK_INT(mbox_parse("\x01\x02 binary junk", 14, &m, &n, &err), -1);
	CHECK_STR(err.buf, "input is neither an mbox nor a mail");
	CHECK_INT(mbox_parse("\x1f\x8b\x08\x00garbage", 11, &m, &n, &err), -1);
	CHECK(strstr(err.buf, "gzip data") != NULL);
	CHECK(m == NULL && n == 0);

	for (i = 0; i <= MBOX_MAX_MAILS; i++)
		mail(&sb, "id@x", "[PATCH] x", "body");
	CHECK_INT(mbox_parse(sb.buf, sb.len, &m, &n, &err), -1);
	CHECK_STR(err.buf, "more than 1000 mails");

	/* A gzip bomb: 65 MiB of zeros in a few dozen KiB. */
	strbuf_reset(&sb);
	zero = xcalloc(1, 1 << 20);
	gz(&sb, zero, 1 << 20, 65);
	free(zero);
	CHECK_INT(mbox_parse(sb.buf, sb.len, &m, &n, &err), -1);
	CHECK_STR(err.buf, "inflated mbox is larger than 64 MiB");

	strbuf_reset(&sb);
	gz(&sb, DIFF_A, strlen(DIFF_A), 1);
	strbuf_setlen(&sb, sb.len - 6);
	CHECK_INT(mbox_parse(sb.buf, sb.len, &m, &n, &err), -1);
	CHECK_STR(err.buf, "truncated gzip data");
	strbuf_release(&sb);
	strbuf_release(&err);
}

TEST(mbox_read_path_errors)
{
	struct strbuf err = STRBUF_INIT;
	struct mbox_mail *m;
	char *missing = xasprintf("%s/nope", test_tmpdir());
	char *dir = xasprintf("%s/d", test_tmpdir());
	size_t n;

	CHECK_INT(mbox_read_path(missing, &m, &n, &err), -1);
	CHECK(strstr(err.buf, "cannot read") != NULL);
	util_mkdir_p(dir);
	CHECK_INT(mbox_read_path(dir, &m, &n, &err), -1);
	CHECK(strstr(err.buf, "holds no mail files") != NULL);
	put(dir, "0002-b.patch", "Subject: [PATCH 2/2] b\n\n" DIFF_A,
	    strlen("Subject: [PATCH 2/2] b\n\n" DIFF_A));
	put(dir, "0001-a.patch", "Subject: [PATCH 1/2] a\n\n" DIFF_A,
	    strlen("Subject: [PATCH 1/2] a\n\n" DIFF_A));
	put(dir, ".hidden", "junk", 4);
	CHECK_INT(mbox_read_path(dir, &m, &n, &err), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(m[0].title, "a");
		CHECK_STR(m[1].title, "b");
	}
	mbox_mails_free(m, n);
	put(dir, "notes.txt", "\x01 not a mail", 12);
	CHECK_INT(mbox_read_path(dir, &m, &n, &err), -1);
	CHECK(strstr(err.buf, "notes.txt: input is neither") != NULL);
	free(missing);
	free(dir);
	strbuf_release(&err);
}

/* Splitting as git mailsplit does: only a real "From " line splits. */
TEST(mbox_from_lines_like_mailsplit)
{
	struct strbuf sb = STRBUF_INIT;
	struct mbox_mail *m;
	size_t n;

	mail(&sb, "one@x", "[PATCH] one",
	     "Hello,\n"
	     "From Monday at 10:30 the lab is closed.\n"
	     "From 1 to 3: 10:30:15 90\n"
	     "From the start, at 9:30 sharp\n" DIFF_A);
	mail(&sb, "two@x", "[PATCH] two", DIFF_A);
	m = parse(sb.buf, &n);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK(strstr(m[0].body, "From Monday at 10:30 the lab") != NULL);
		CHECK(strstr(m[0].body, "From 1 to 3: 10:30:15 90") != NULL);
		CHECK_STR(m[1].msgid, "two@x");
	}
	mbox_mails_free(m, n);
	strbuf_release(&sb);
}

/*
 * `git request-pull` mails, the shapes of patchwork's mail corpus
 * (0001, 0017, 0023, 0024): the URL and ref as its parse_pull_request()
 * reads them, and the "up to" commit.
 */
TEST(mbox_pull_requests)
{
	static const struct { const char *at, *want; } t[] = {
		{ "  git://h.org/pub/x.git next\n\nA (1):\n", "git://h.org/pub/x.git next" },
		/* git 2.14.3+: no ref, then "for you to fetch" */
		{ "  git://h.org/pub/net \n\nfor you to fetch changes up to "
		  "ccc12b11c5332c84442ef120dcd631523be75089:\n", "git://h.org/pub/net" },
		/* the ref wrapped onto the next line */
		{ "  https://h.org/linux.git/\n tags/v5.4-next-soc\n\nfor you to "
		  "fetch changes up to 662c9d55c5ccb37f3920ecab9720f2ebf2a6ca18:\n",
		  "https://h.org/linux.git/ tags/v5.4-next-soc" },
		{ "  git://h.org/d.git tags/davinci-for-v5.6/soc   \n\n",
		  "git://h.org/d.git tags/davinci-for-v5.6/soc" },
		{ "  not a url\n", NULL },
	};
	struct strbuf sb = STRBUF_INIT;
	struct mbox_mail *m;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "From: A <a@b>\nSubject: [GIT PULL] x\n"
			    "Message-ID: <p@x>\n\nHi,\n\nThe following changes "
			    "since commit 0123:\n\n  base (2024-01-01)\n\nare "
			    "available in the git repository at:\n\n%s", t[i].at);
		m = parse(sb.buf, &n);
		CHECK_INT(n, 1);
		if (n != 1)
			continue;
		if (t[i].want)
			CHECK_STR(m->pull_url, t[i].want);
		else
			CHECK(m->pull_url == NULL);
		CHECK(!m->diff);
		mbox_mails_free(m, n);
	}
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "From: A <a@b>\nSubject: [GIT PULL] y\nMessage-ID: <q@x>\n\n"
		      "The following changes since commit 0123:\n\nare available "
		      "in the git repository at:\n\n  git://h.org/y.git main\n\n"
		      "for you to fetch changes up to "
		      "5e06d19694a463a012c2589e29078196eb209448:\n");
	m = parse(sb.buf, &n);
	if (n == 1)
		CHECK_STR(m->pull_tip, "5e06d19694a463a012c2589e29078196eb209448");
	mbox_mails_free(m, n);
	strbuf_release(&sb);
}
