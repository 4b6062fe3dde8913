/*
 * mbox.c - owns turning patch mails into a series: mbox splitting (mboxo
 * and mboxrd, gzip'd or not), single mails, format-patch directories,
 * per-mail parsing (subject tags, author, message, trailers, diff) and
 * the choice of which mails form the series to apply.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zlib.h>

#include "mbox.h"
#include "mime.h"
#include "util.h"

#define MAX_TAGS 200		/* bytes inside one [...] subject prefix */
#define MAX_NUM 99999		/* versions and [m/n] numbers */

struct mail_list {
	struct mbox_mail *v;
	size_t n, alloc;
};

static int fail(struct strbuf *err, const char *fmt, ...) PRINTF(2, 3);

static int fail(struct strbuf *err, const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(err);
	va_start(ap, fmt);
	strbuf_vaddf(err, fmt, ap);
	va_end(ap);
	return -1;
}

static size_t line_at(const char *p, const char *end, const char **next)
{
	const char *eol = memchr(p, '\n', (size_t)(end - p));

	*next = eol ? eol + 1 : end;
	return (size_t)((eol ? eol : end) - p);
}

static int starts(const char *p, size_t l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l >= n && !memcmp(p, prefix, n);
}

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* -------- subjects and addresses -------- */

static int small_num(const char *s, size_t n, int *out)
{
	size_t i;
	long v = 0;

	if (!n || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	if (v > MAX_NUM)
		return 0;
	*out = (int)v;
	return 1;
}

static void parse_tag(struct mbox_mail *m, const char *t, size_t n)
{
	const char *slash = memchr(t, '/', n);
	int a, b;

	if (n > 5 && !strncasecmp(t, "patch", 5)) {
		t += 5;
		n -= 5;
	}
	if (n > 1 && (*t == 'v' || *t == 'V') && small_num(t + 1, n - 1, &a)) {
		m->version = a;
		return;
	}
	if (slash && small_num(t, (size_t)(slash - t), &a) &&
	    small_num(slash + 1, n - (size_t)(slash + 1 - t), &b)) {
		m->seq = a;
		m->total = b;
	}
}

/* Tags in any order: "RFC PATCH net-next v2 03/10", "net-next,v2,1/3". */
static void parse_tags(struct mbox_mail *m, const char *s, size_t n)
{
	size_t i = 0, start;

	if (n > MAX_TAGS)
		return;
	while (i < n) {
		while (i < n && (isspace((unsigned char)s[i]) || s[i] == ','))
			i++;
		start = i;
		while (i < n && !isspace((unsigned char)s[i]) && s[i] != ',')
			i++;
		if (i > start)
			parse_tag(m, s + start, i - start);
	}
}

static void parse_subject(struct mbox_mail *m)
{
	const char *s = m->subject, *close;
	int round;

	m->version = 1;
	for (round = 0; round < 32; round++) {
		while (isspace((unsigned char)*s))
			s++;
		if (!strncasecmp(s, "re:", 3) || !strncasecmp(s, "aw:", 3)) {
			m->is_reply = 1;
			s += 3;
			continue;
		}
		if (*s != '[' || !(close = strchr(s, ']')))
			break;
		parse_tags(m, s + 1, (size_t)(close - s - 1));
		s = close + 1;
	}
	m->title = trimmed(s, strlen(s));
}

static char *collapse_blanks(char *s)
{
	char *r = s, *w = s;

	for (; *r; r++) {
		if (isspace((unsigned char)*r)) {
			if (w > s && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = *r;
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
	return s;
}

static char *unquote_name(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	char *t = trimmed(s, n);
	const char *p = t;

	if (*p != '"') {
		strbuf_release(&sb);
		return t;
	}
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		strbuf_addch(&sb, *p);
	}
	free(t);
	return strbuf_detach(&sb);
}

/* "Name <a@b>", "\"Last, First\" <a@b>", "a@b (Name)" or "a@b". */
static void parse_address(const char *from, char **name, char **email)
{
	const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	const char *paren = strchr(from, '(');
	const char *close;

	free(*name);
	free(*email);
	if (gt) {
		*email = trimmed(lt + 1, (size_t)(gt - lt - 1));
		*name = unquote_name(from, (size_t)(lt - from));
		return;
	}
	if (paren && (close = strchr(paren, ')'))) {
		*email = trimmed(from, (size_t)(paren - from));
		*name = trimmed(paren + 1, (size_t)(close - paren - 1));
		return;
	}
	*email = trimmed(from, strlen(from));
	*name = xstrdup("");
}

/* The first <...> of a Message-ID or In-Reply-To header, sans brackets. */
static char *msgid_of(const char *v)
{
	const char *lt, *gt;

	if (!v)
		return NULL;
	lt = strchr(v, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (gt)
		return trimmed(lt + 1, (size_t)(gt - lt - 1));
	return trimmed(v, strlen(v));
}

/* -------- body: diff, message, trailers -------- */

/* The offset of the first line starting a diff, or -1. */
static long diff_start(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *next, *n2;
	size_t l;

	while (p < end) {
		l = line_at(p, end, &next);
		if (starts(p, l, "diff --git "))
			return p - buf;
		if (starts(p, l, "--- ") && next < end &&
		    starts(next, line_at(next, end, &n2), "+++ "))
			return p - buf;
		p = next;
	}
	return -1;
}

/* "@@ -a[,b] +c[,d] @@": the line counts of both sides. */
static int hunk_header(const char *p, size_t l, unsigned long *old,
		       unsigned long *new)
{
	char buf[128], *s;

	if (!starts(p, l, "@@ -"))
		return 0;
	snprintf(buf, sizeof(buf), "%.*s", (int)(l < 127 ? l : 127), p);
	s = buf + 4;
	strtoul(s, &s, 10);
	*old = *s == ',' ? strtoul(s + 1, &s, 10) : 1;
	if (strncmp(s, " +", 2))
		return 0;
	strtoul(s + 2, &s, 10);
	*new = *s == ',' ? strtoul(s + 1, &s, 10) : 1;
	return !strncmp(s, " @@", 3);
}

/*
 * The diff from its first line to the "-- " signature that format-patch
 * appends. Hunks are counted so a removed "- " line is not taken for the
 * signature; binary patches pass through untouched.
 */
static char *diff_extract(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *next;
	unsigned long old = 0, new = 0;
	size_t l;

	while (p < end) {
		l = line_at(p, end, &next);
		if (old || new) {
			if (l && *p == '-')
				old -= !!old;
			else if (l && *p == '+')
				new -= !!new;
			else if (!l || *p == ' ') {
				old -= !!old;
				new -= !!new;
			} else if (*p != '\\') {
				old = new = 0;
				continue;
			}
		} else if (l == 3 && !memcmp(p, "-- ", 3)) {
			break;
		} else if (!hunk_header(p, l, &old, &new)) {
			old = new = 0;
		}
		p = next;
	}
	return xstrndup(buf, (size_t)(p - buf));
}

/* Where git am stops the commit message (mailinfo.c patchbreak()). */
static int patchbreak(const char *p, size_t l)
{
	size_t i;

	if (starts(p, l, "diff -") || starts(p, l, "Index: "))
		return 1;
	if (!starts(p, l, "---"))
		return 0;
	if (l > 4 && p[3] == ' ' && !isspace((unsigned char)p[4]))
		return 1;
	for (i = 3; i < l; i++)
		if (!isspace((unsigned char)p[i]))
			return 0;
	return 1;
}

/*
 * format-patch puts "From: author" (and "Date:") first in the body when
 * the sender is someone else; git am takes the author from there.
 */
static const char *inbody_headers(struct mbox_mail *m, const char *p,
				  const char *end)
{
	const char *start = p, *from = NULL, *next;
	size_t l, from_len = 0;
	char *v, *dec;

	for (; p < end; p = next) {
		l = line_at(p, end, &next);
		if (!l)
			break;
		if (starts(p, l, "From: ")) {
			from = p + 6;
			from_len = l - 6;
		} else if (!starts(p, l, "Date: ")) {
			return start;
		}
	}
	/* Only a block closed by a blank line is headers, not prose. */
	if (p == start || p >= end)
		return start;
	if (from) {
		v = xstrndup(from, from_len);
		dec = mime_decode_header(v);
		parse_address(dec, &m->author_name, &m->author_email);
		free(dec);
		free(v);
	}
	return next;
}

static int trailer_line(const char *p, size_t l)
{
	size_t i = 0;

	if (!l || !isalnum((unsigned char)*p))
		return 0;
	while (i < l && (isalnum((unsigned char)p[i]) || p[i] == '-'))
		i++;
	return i + 2 < l && p[i] == ':' && p[i + 1] == ' ';
}

static int known_trailer(const char *p, size_t l)
{
	static const char *const known[] = {
		"Signed-off-by: ", "Reviewed-by: ", "Acked-by: ",
		"Tested-by: ", "Reported-by: ", "Fixes: ", "Link: ",
		"Cc: ", "Suggested-by: ", "Co-developed-by: ",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (l >= strlen(known[i]) &&
		    !strncasecmp(p, known[i], strlen(known[i])))
			return 1;
	return 0;
}

/*
 * The trailer block is the last paragraph, if it is all trailers or, as
 * in git's interpret-trailers, a quarter of it is and one is well known
 * (kernel backports mix in "[ Upstream commit ... ]" notes).
 */
static void parse_trailers(struct mbox_mail *m)
{
	const char *msg = m->message, *end = msg + strlen(msg), *p, *next;
	const char *para = msg;
	size_t l, lines = 0, tr = 0, known = 0, alloc = 0;
	const char *q;

	for (q = msg; (q = strstr(q, "\n\n")); q += 2)
		para = q + 2;
	for (p = para; p < end; p = next) {
		l = line_at(p, end, &next);
		if (l && isspace((unsigned char)*p))
			continue;
		lines++;
		tr += trailer_line(p, l);
		known += trailer_line(p, l) && known_trailer(p, l);
	}
	if (!tr || (tr < lines && (!known || tr * 4 < lines)))
		return;
	for (p = para; p < end; p = next) {
		l = line_at(p, end, &next);
		if (l && isspace((unsigned char)*p) && m->ntrailers) {
			char **last = &m->trailers[m->ntrailers - 1];
			char *cont = trimmed(p, l);
			char *joined = xasprintf("%s %s", *last, cont);

			free(*last);
			free(cont);
			*last = joined;
			continue;
		}
		if (!trailer_line(p, l))
			continue;
		ALLOC_GROW(m->trailers, m->ntrailers, alloc);
		m->trailers[m->ntrailers++] = trimmed(p, l);
	}
}

static void parse_message(struct mbox_mail *m, const char *text, size_t len)
{
	const char *end = text + len, *p, *next;
	size_t l;

	p = inbody_headers(m, text, end);
	text = p;
	for (; p < end; p = next) {
		l = line_at(p, end, &next);
		if (patchbreak(p, l))
			break;
	}
	m->message = trimmed(text, (size_t)(p - text));
	parse_trailers(m);
}

static void parse_diff(struct mbox_mail *m, const struct mime_body *b)
{
	const struct strbuf *src[] = { &b->patch, &b->raw };
	size_t i;
	long off;

	for (i = 0; i < ARRAY_SIZE(src); i++) {
		if (!src[i]->len)
			continue;
		off = diff_start(src[i]->buf, src[i]->len);
		if (off < 0)
			continue;
		m->diff = diff_extract(src[i]->buf + off,
				       src[i]->len - (size_t)off);
		return;
	}
}

static char *header_decoded(const struct mime_headers *h, const char *name)
{
	return mime_decode_header(mime_header_get(h, name));
}

static void mail_parse(const char *raw, size_t len, struct mbox_mail *m)
{
	struct mime_headers h = MIME_HEADERS_INIT;
	struct mime_body b = MIME_BODY_INIT;
	size_t off;

	memset(m, 0, sizeof(*m));
	off = mime_parse_headers(raw, len, &h);
	m->from = header_decoded(&h, "From");
	m->date = header_decoded(&h, "Date");
	m->subject = collapse_blanks(header_decoded(&h, "Subject"));
	m->msgid = msgid_of(mime_header_get(&h, "Message-ID"));
	if (!m->msgid)
		m->msgid = xstrdup("");
	m->in_reply_to = msgid_of(mime_header_get(&h, "In-Reply-To"));
	parse_address(m->from, &m->author_name, &m->author_email);
	parse_subject(m);
	/* An empty mail may come as a NULL buffer: no pointer arithmetic on it. */
	mime_body_extract(&h, raw ? raw + off : "", len - off, &b);
	m->body = xstrdup(strbuf_str(&b.text));
	parse_diff(m, &b);
	parse_message(m, b.text.buf ? b.text.buf : "", b.text.len);
	if (b.problem)
		m->warning = xstrdup(b.problem);
	mime_body_release(&b);
	mime_headers_release(&h);
}

static void mail_free(struct mbox_mail *m)
{
	size_t i;

	free(m->from);
	free(m->author_name);
	free(m->author_email);
	free(m->date);
	free(m->subject);
	free(m->msgid);
	free(m->in_reply_to);
	free(m->body);
	free(m->diff);
	free(m->message);
	for (i = 0; i < m->ntrailers; i++)
		free(m->trailers[i]);
	free(m->trailers);
	free(m->title);
	free(m->warning);
}

void mbox_mails_free(struct mbox_mail *mails, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mail_free(&mails[i]);
	free(mails);
}

/* -------- splitting -------- */

static int list_add(struct mail_list *l, const char *raw, size_t len,
		    struct strbuf *err)
{
	if (l->n >= MBOX_MAX_MAILS)
		return fail(err, "more than %d mails", MBOX_MAX_MAILS);
	ALLOC_GROW(l->v, l->n, l->alloc);
	mail_parse(raw, len, &l->v[l->n++]);
	return 0;
}

/*
 * "From <sender> <asctime date>": a time in the date keeps an unescaped
 * "From here on..." body line (mboxo) from starting a new mail.
 */
static int from_line(const char *p, size_t l)
{
	const char *sp, *c;

	if (l < 8 || memcmp(p, "From ", 5) || p[5] == ' ')
		return 0;
	sp = memchr(p + 5, ' ', l - 5);
	if (!sp)
		return 0;
	for (c = sp; c + 2 < p + l; c++)
		if (c[1] == ':' && isdigit((unsigned char)c[0]) &&
		    isdigit((unsigned char)c[2]))
			return 1;
	return 0;
}

/* ">From ", ">>From "...: mboxrd quoting; drop one '>'. */
static int quoted_from(const char *p, size_t l)
{
	size_t i = 0;

	while (i < l && p[i] == '>')
		i++;
	return i && starts(p + i, l - i, "From ");
}

static void add_line(struct strbuf *cur, const char *p, size_t l)
{
	if (l && p[l - 1] == '\r')
		l--;
	strbuf_add(cur, p, l);
	strbuf_addch(cur, '\n');
}

static int split_mbox(const char *buf, size_t len, struct mail_list *ml,
		      struct strbuf *err)
{
	const char *p = buf, *end = buf + len, *next;
	struct strbuf cur = STRBUF_INIT;
	int in_mail = 0, ret = 0;
	size_t l;

	for (; p < end && !ret; p = next) {
		l = line_at(p, end, &next);
		if (from_line(p, l)) {
			if (in_mail)
				ret = list_add(ml, cur.buf, cur.len, err);
			strbuf_reset(&cur);
			in_mail = 1;
			continue;
		}
		if (!in_mail)
			continue;
		if (quoted_from(p, l))
			add_line(&cur, p + 1, l - 1);
		else
			add_line(&cur, p, l);
	}
	if (in_mail && !ret)
		ret = list_add(ml, strbuf_str(&cur), cur.len, err);
	strbuf_release(&cur);
	return ret;
}

static int single_mail(const char *buf, size_t len, struct mail_list *ml,
		       struct strbuf *err)
{
	const char *p = buf, *end = buf + len, *next;
	struct strbuf cur = STRBUF_INIT;
	int ret;

	for (; p < end; p = next)
		add_line(&cur, p, line_at(p, end, &next));
	ret = list_add(ml, strbuf_str(&cur), cur.len, err);
	strbuf_release(&cur);
	return ret;
}

static int header_like(const char *p, size_t l)
{
	size_t i;

	for (i = 0; i < l && i < 77; i++) {
		if (p[i] == ':')
			return i > 0;
		if (p[i] <= 32 || p[i] >= 127)
			return 0;
	}
	return 0;
}

static int gunzip(const char *buf, size_t len, struct strbuf *out,
		  struct strbuf *err)
{
	z_stream zs;
	size_t room;
	int zr, ret = -1;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
		return fail(err, "cannot set up zlib");
	zs.next_in = (Bytef *)buf;
	zs.avail_in = (uInt)len;
	for (;;) {
		strbuf_grow(out, 1 << 16);
		room = out->alloc - out->len - 1;
		if (room > MBOX_MAX_SIZE + 1 - out->len)
			room = MBOX_MAX_SIZE + 1 - out->len;
		zs.next_out = (Bytef *)out->buf + out->len;
		zs.avail_out = (uInt)room;
		zr = inflate(&zs, Z_NO_FLUSH);
		strbuf_setlen(out, (size_t)((char *)zs.next_out - out->buf));
		if (out->len > MBOX_MAX_SIZE) {
			fail(err, "inflated mbox is larger than %zu MiB",
			     MBOX_MAX_SIZE >> 20);
			goto out;
		}
		if (zr == Z_STREAM_END) {
			/* gzip allows members back to back. */
			if (zs.avail_in < 2 || zs.next_in[0] != 0x1f ||
			    zs.next_in[1] != 0x8b)
				break;
			inflateReset(&zs);
			continue;
		}
		if (zr != Z_OK) {
			fail(err, "%s gzip data", zr == Z_BUF_ERROR
			     ? "truncated" : "corrupt");
			goto out;
		}
	}
	ret = 0;
out:
	inflateEnd(&zs);
	return ret;
}

static int parse_plain(const char *buf, size_t len, struct mail_list *ml,
		       struct strbuf *err)
{
	const char *p = buf, *end = buf + len, *next;
	size_t l = 0;

	while (p < end && !(l = line_at(p, end, &next)))
		p = next;
	if (p == end)
		return fail(err, "empty input, no mail in it");
	if (from_line(p, l))
		return split_mbox(p, (size_t)(end - p), ml, err);
	if (header_like(p, l))
		return single_mail(p, (size_t)(end - p), ml, err);
	return fail(err, "input is neither an mbox nor a mail");
}

static int parse_into(const char *buf, size_t len, struct mail_list *ml,
		      struct strbuf *err)
{
	struct strbuf raw = STRBUF_INIT;
	int ret;

	if (len > MBOX_MAX_SIZE)
		return fail(err, "input is larger than %zu MiB",
			    MBOX_MAX_SIZE >> 20);
	if (len < 2 || (unsigned char)buf[0] != 0x1f ||
	    (unsigned char)buf[1] != 0x8b)
		return parse_plain(buf, len, ml, err);
	ret = gunzip(buf, len, &raw, err);
	if (!ret)
		ret = parse_plain(strbuf_str(&raw), raw.len, ml, err);
	strbuf_release(&raw);
	return ret;
}

int mbox_parse(const char *buf, size_t len, struct mbox_mail **mails,
	       size_t *n, struct strbuf *err)
{
	struct mail_list ml = { NULL, 0, 0 };

	*mails = NULL;
	*n = 0;
	if (parse_into(buf, len, &ml, err)) {
		mbox_mails_free(ml.v, ml.n);
		return -1;
	}
	*mails = ml.v;
	*n = ml.n;
	return 0;
}

static int read_capped(const char *path, struct strbuf *sb, struct strbuf *err)
{
	if (util_read_file(path, sb, MBOX_MAX_SIZE + 1))
		return fail(err, "cannot read %s: %s", path, strerror(errno));
	if (sb->len > MBOX_MAX_SIZE)
		return fail(err, "%s is larger than %zu MiB", path,
			    MBOX_MAX_SIZE >> 20);
	return 0;
}

static int read_one(const char *path, struct mail_list *ml, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = read_capped(path, &sb, err);

	if (!ret && parse_into(strbuf_str(&sb), sb.len, ml, err)) {
		char *why = strbuf_detach(err);

		fail(err, "%s: %s", path, why);
		free(why);
		ret = -1;
	}
	strbuf_release(&sb);
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular, non-hidden files, by byte order: 0000-cover-letter.patch first. */
static int read_dir(const char *path, struct mail_list *ml, struct strbuf *err)
{
	DIR *d = opendir(path);
	struct dirent *de;
	struct stat st;
	char **names = NULL, *full;
	size_t n = 0, alloc = 0, i;
	int ret = 0;

	if (!d)
		return fail(err, "cannot open %s: %s", path, strerror(errno));
	while ((de = readdir(d)) && n <= MBOX_MAX_MAILS) {
		if (de->d_name[0] == '.')
			continue;
		full = xasprintf("%s/%s", path, de->d_name);
		if (!stat(full, &st) && S_ISREG(st.st_mode)) {
			ALLOC_GROW(names, n, alloc);
			names[n++] = full;
		} else {
			free(full);
		}
	}
	closedir(d);
	if (n > MBOX_MAX_MAILS)
		ret = fail(err, "%s holds more than %d files", path,
			   MBOX_MAX_MAILS);
	else if (!n)
		ret = fail(err, "%s holds no mail files", path);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (!ret)
			ret = read_one(names[i], ml, err);
		free(names[i]);
	}
	free(names);
	return ret;
}

int mbox_read_path(const char *path, struct mbox_mail **mails, size_t *n,
		   struct strbuf *err)
{
	struct mail_list ml = { NULL, 0, 0 };
	struct stat st;
	int ret;

	*mails = NULL;
	*n = 0;
	if (stat(path, &st))
		return fail(err, "cannot read %s: %s", path, strerror(errno));
	ret = S_ISDIR(st.st_mode) ? read_dir(path, &ml, err)
				  : read_one(path, &ml, err);
	if (ret) {
		mbox_mails_free(ml.v, ml.n);
		return -1;
	}
	*mails = ml.v;
	*n = ml.n;
	return 0;
}

/* -------- series -------- */

static int eff_seq(const struct mbox_mail *m)
{
	return m->total ? m->seq : 1;
}

static int eff_total(const struct mbox_mail *m)
{
	return m->total ? m->total : 1;
}

/*
 * Either the series fails with this one line, or (allow_incomplete) the
 * line becomes a warning and the caller skips the mail.
 */
static int problem(struct strbuf *msg, int allow, const char *fmt, ...)
	PRINTF(3, 4);

static int problem(struct strbuf *msg, int allow, const char *fmt, ...)
{
	va_list ap;

	if (!allow)
		strbuf_reset(msg);
	va_start(ap, fmt);
	strbuf_vaddf(msg, fmt, ap);
	va_end(ap);
	if (!allow)
		return -1;
	strbuf_addch(msg, '\n');
	return 0;
}

/* Mails that take part: patches and numbered mails, newest version. */
static size_t candidates(struct mbox_mail *mails, size_t n,
			 struct mbox_mail **out, int *version,
			 struct strbuf *msg)
{
	size_t i, k = 0, older = 0;

	*version = 0;
	for (i = 0; i < n; i++)
		if (!mails[i].is_reply && (mails[i].diff || mails[i].total) &&
		    mails[i].version > *version)
			*version = mails[i].version;
	for (i = 0; i < n; i++) {
		if (mails[i].is_reply || !(mails[i].diff || mails[i].total))
			continue;
		if (mails[i].version != *version) {
			older++;
			continue;
		}
		out[k++] = &mails[i];
	}
	if (older)
		strbuf_addf(msg,
			    "using v%d, ignoring %zu mail%s of older versions\n",
			    *version, older, older == 1 ? "" : "s");
	return k;
}

/* The most common [m/n] total; ties go to the larger series. */
static int pick_total(struct mbox_mail **c, size_t k)
{
	size_t i, j, count, best_count = 0;
	int best = 1;

	for (i = 0; i < k; i++) {
		for (count = 0, j = 0; j < k; j++)
			count += eff_total(c[j]) == eff_total(c[i]);
		if (count > best_count ||
		    (count == best_count && eff_total(c[i]) > best)) {
			best_count = count;
			best = eff_total(c[i]);
		}
	}
	return best;
}

static int place_one(struct mbox_mail *m, int total, struct mbox_mail **slot,
		     int allow, struct strbuf *msg)
{
	int s = eff_seq(m);

	if (eff_total(m) != total)
		return problem(msg, allow,
			       "patch %d/%d (<%s>) does not match the series total of %d",
			       s, eff_total(m), m->msgid, total);
	if (s > total)
		return problem(msg, allow,
			       "patch %d/%d (<%s>) is numbered beyond the series total",
			       s, total, m->msgid);
	if (slot[s])
		return problem(msg, allow,
			       "patch %d/%d appears twice (message-ids <%s> and <%s>)",
			       s, total, slot[s]->msgid, m->msgid);
	slot[s] = m;
	return 0;
}

static int place(struct mbox_mail **c, size_t k, int total,
		 struct mbox_mail **slot, int allow, struct strbuf *msg)
{
	size_t i;

	for (i = 0; i < k; i++)
		if (place_one(c[i], total, slot, allow, msg))
			return -1;
	return 0;
}

static int check_slots(struct mbox_mail **slot, int total, int allow,
		       struct strbuf *msg)
{
	struct strbuf missing = STRBUF_INIT;
	int s, nmissing = 0, ndiff = 0, ret = 0;

	for (s = 1; s <= total; s++)
		ndiff += slot[s] && slot[s]->diff;
	if (!ndiff)
		return problem(msg, 0, "no patches found%s",
			       slot[0] ? ", only a cover letter" : "");
	for (s = 1; s <= total && !ret; s++) {
		if (!slot[s] || slot[s]->diff)
			continue;
		ret = problem(msg, allow, "patch %d/%d (<%s>) carries no diff",
			      s, total, slot[s]->msgid);
		slot[s] = NULL;
	}
	for (s = 1; s <= total && !ret; s++) {
		if (slot[s])
			continue;
		strbuf_addf(&missing, "%s%d/%d", nmissing ? ", " : "", s,
			    total);
		nmissing++;
	}
	if (nmissing && !ret)
		ret = problem(msg, allow, "%s %s %s missing",
			      nmissing == 1 ? "patch" : "patches",
			      missing.buf, nmissing == 1 ? "is" : "are");
	strbuf_release(&missing);
	return ret;
}

int mbox_series_build(struct mbox_mail *mails, size_t n, int allow_incomplete,
		      struct mbox_series *out, struct strbuf *msg)
{
	struct mbox_mail **c = xcalloc(n + 1, sizeof(*c)), **slot = NULL;
	size_t k;
	int s, ret = -1;

	memset(out, 0, sizeof(*out));
	k = candidates(mails, n, c, &out->version, msg);
	if (!k) {
		fail(msg, "no patches found");
		goto out;
	}
	out->total = pick_total(c, k);
	slot = xcalloc((size_t)out->total + 1, sizeof(*slot));
	if (place(c, k, out->total, slot, allow_incomplete, msg) ||
	    check_slots(slot, out->total, allow_incomplete, msg))
		goto out;
	out->patches = xcalloc((size_t)out->total, sizeof(*out->patches));
	for (s = 1; s <= out->total; s++)
		if (slot[s])
			out->patches[out->npatches++] = slot[s];
	out->cover = slot[0];
	out->complete = out->npatches == (size_t)out->total;
	out->title = xstrdup(out->cover ? out->cover->title
					: out->patches[0]->title);
	/* Decoding trouble often explains a patch that will not apply. */
	for (k = 0; k < out->npatches; k++)
		if (out->patches[k]->warning)
			strbuf_addf(msg, "patch %d/%d (<%s>): %s\n",
				    eff_seq(out->patches[k]), out->total,
				    out->patches[k]->msgid,
				    out->patches[k]->warning);
	ret = 0;
out:
	if (ret)
		mbox_series_release(out);
	free(slot);
	free(c);
	return ret;
}

void mbox_series_release(struct mbox_series *s)
{
	free(s->patches);
	free(s->title);
	memset(s, 0, sizeof(*s));
}
