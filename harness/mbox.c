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

/* "N/M" or "N of M" at t (n bytes, all of it): patchwork's marker. */
static int marker_at(const char *t, size_t n, int *seq, int *total)
{
	size_t i = 0, j;

	while (i < n && isdigit((unsigned char)t[i]))
		i++;
	if (!i || !small_num(t, i, seq))
		return 0;
	if (i < n && t[i] == '/')
		j = i + 1;
	else if (n - i > 4 && !memcmp(t + i, " of ", 4))
		j = i + 4;
	else
		return 0;
	return small_num(t + j, n - j, total);
}

/*
 * One prefix token. Markers as patchwork reads them (anything, then
 * "N/M" ending the token: "3/n" is no marker, "PATCH1/8" is), the first
 * token to carry one wins; versions "v2", and "PATCHv2", which patchwork
 * does not read but kernel senders write.
 */
static void parse_tag(struct mbox_mail *m, const char *t, size_t n,
		      int *have_marker, int *have_version)
{
	size_t i;
	int a, b;

	if (!*have_version) {
		const char *v = t;
		size_t vn = n;

		if (vn > 5 && !strncasecmp(v, "patch", 5)) {
			v += 5;
			vn -= 5;
		}
		if (vn > 1 && (*v == 'v' || *v == 'V') &&
		    small_num(v + 1, vn - 1, &a)) {
			m->version = a;
			*have_version = 1;
			return;
		}
	}
	for (i = 0; i < n && !*have_marker; i++) {
		if (!isdigit((unsigned char)t[i]))
			continue;
		if (marker_at(t + i, n - i, &a, &b)) {
			m->seq = a;
			m->total = b;
			*have_marker = 1;
		}
	}
}

static int is_patch_word(const char *t, size_t n)
{
	return n == 5 && !strncasecmp(t, "patch", 5);
}

/*
 * The tokens of one [...] prefix, split at blanks and commas, except
 * that Mercurial's "PATCH 1 of 2" keeps "1 of 2" together. Tokens other
 * than "PATCH" are added to name, comma-separated, as patchwork names
 * its patches ("[v2,1/3] title").
 */
static void parse_tags(struct mbox_mail *m, const char *s, size_t n,
		       int *have_marker, int *have_version, struct strbuf *name)
{
	size_t i = 0, start, l;

	if (n > MAX_TAGS)
		return;
	if (n > 6 && !strncasecmp(s, "patch ", 6) &&
	    isdigit((unsigned char)s[6])) {
		for (l = 6; l < n && isdigit((unsigned char)s[l]); l++)
			;
		if (n - l > 4 && !memcmp(s + l, " of ", 4) &&
		    isdigit((unsigned char)s[l + 4])) {
			for (l += 4; l < n && isdigit((unsigned char)s[l]); l++)
				;
			parse_tag(m, s + 6, l - 6, have_marker, have_version);
			strbuf_addf(name, "%s%.*s", name->len ? "," : "",
				    (int)(l - 6), s + 6);
			i = l;
		}
	}
	while (i < n) {
		while (i < n && (isspace((unsigned char)s[i]) || s[i] == ','))
			i++;
		start = i;
		while (i < n && !isspace((unsigned char)s[i]) && s[i] != ',')
			i++;
		if (i == start)
			continue;
		parse_tag(m, s + start, i - start, have_marker, have_version);
		if (!is_patch_word(s + start, i - start))
			strbuf_addf(name, "%s%.*s", name->len ? "," : "",
				    (int)(i - start), s + start);
	}
}

/* "(v3)" in the subject: the version patchwork reads from a cover. */
static void version_in_text(struct mbox_mail *m, const char *s)
{
	const char *p;
	int v;

	for (p = strstr(s, "(v"); p; p = strstr(p + 1, "(v")) {
		size_t l = strspn(p + 2, "0123456789");

		if (l && p[2 + l] == ')' && small_num(p + 2, l, &v)) {
			m->version = v;
			return;
		}
	}
	for (p = strstr(s, "(V"); p; p = strstr(p + 1, "(V")) {
		size_t l = strspn(p + 2, "0123456789");

		if (l && p[2 + l] == ')' && small_num(p + 2, l, &v)) {
			m->version = v;
			return;
		}
	}
}

/*
 * git mailinfo's cleanup_subject(): drop leading blanks, ':', "Re:" and
 * every [...] group, so "[Patch 2/2]: x" is "x" as `git am` makes it.
 */
static char *git_title(const char *subject)
{
	const char *s = subject, *close;
	int round;

	for (round = 0; round < 1000; round++) {
		if (*s == ' ' || *s == '\t' || *s == ':') {
			s++;
			continue;
		}
		if ((*s == 'r' || *s == 'R') && (s[1] == 'e' || s[1] == 'E') &&
		    s[2] == ':' && s[3]) {
			s += 3;
			continue;
		}
		if (*s == '[' && (close = strchr(s, ']'))) {
			s = close + 1;
			continue;
		}
		break;
	}
	return trimmed(s, strlen(s));
}

/*
 * Subject tags as patchwork's clean_subject() reads them: one leading
 * "Re:"/"Fwd:" dropped, then every [...] prefix split into tokens.
 */
static void parse_subject(struct mbox_mail *m)
{
	struct strbuf name = STRBUF_INIT;
	const char *s = m->subject, *close;
	int round, have_marker = 0, have_version = 0;

	m->version = 1;
	m->is_reply = (!strncasecmp(s, "re", 2) &&
		       (s[2] == ':' || isspace((unsigned char)s[2])));
	if (!strncasecmp(s, "re", 2) && (s[2] == ':' || s[2] == ' '))
		s += 3;
	else if (!strncasecmp(s, "fwd", 3) && (s[3] == ':' || s[3] == ' '))
		s += 4;
	else if (!strncasecmp(s, "fw", 2) && (s[2] == ':' || s[2] == ' '))
		s += 3;
	for (round = 0; round < 32; round++) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s != '[' || !(close = strchr(s, ']')))
			break;
		parse_tags(m, s + 1, (size_t)(close - s - 1), &have_marker,
			   &have_version, &name);
		s = close + 1;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (!have_version)
		version_in_text(m, s);
	m->pw_name = name.len ? xasprintf("[%s] %s", name.buf, s) : xstrdup(s);
	strbuf_release(&name);
	m->title = git_title(m->subject);
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

#define MAX_REFS 200		/* Message-IDs kept from References */

static void add_ref(struct mbox_mail *m, size_t *alloc, const char *id,
		    size_t n)
{
	size_t i;

	if (!n || m->nrefs >= MAX_REFS)
		return;
	for (i = 0; i < m->nrefs; i++)
		if (strlen(m->refs[i]) == n && !memcmp(m->refs[i], id, n))
			return;
	ALLOC_GROW(m->refs, m->nrefs, *alloc);
	m->refs[m->nrefs++] = xstrndup(id, n);
}

/*
 * What the mail answers, as patchwork's find_references() reads it:
 * every In-Reply-To header (its first <id>), then every References
 * header's ids from the newest back. Duplicated headers happen (the
 * first one empty): all of them count.
 */
static void parse_refs(struct mbox_mail *m, const struct mime_headers *h)
{
	const char *names[] = { "In-Reply-To", "References" };
	size_t i, k, alloc = 0;

	for (k = 0; k < ARRAY_SIZE(names); k++) {
		for (i = 0; i < h->n; i++) {
			const char *v = h->v[i].value, *lt, *gt;
			const char *ids[MAX_REFS];
			size_t lens[MAX_REFS], nid = 0;

			if (strcasecmp(h->v[i].name, names[k]))
				continue;
			for (lt = strchr(v, '<'); lt && nid < MAX_REFS;
			     lt = strchr(gt, '<')) {
				gt = strchr(lt, '>');
				if (!gt)
					break;
				ids[nid] = lt + 1;
				lens[nid++] = (size_t)(gt - lt - 1);
				if (k == 0)
					break;
			}
			if (k == 0 && !nid) {
				char *t = trimmed(v, strlen(v));

				add_ref(m, &alloc, t, strlen(t));
				free(t);
			}
			while (nid--)
				add_ref(m, &alloc, ids[k == 0 ? 0 : nid],
					lens[k == 0 ? 0 : nid]);
		}
	}
}

static int word_char(int c)
{
	return isalnum(c) || c == '_';
}

/*
 * A `git request-pull` mail: "The following changes since commit ...",
 * later "are available in the git repository at:" and then the URL and
 * the branch or tag, as patchwork's parse_pull_request() finds them.
 */
static void parse_pull(struct mbox_mail *m)
{
	const char *b = m->body, *p, *u, *e;
	struct strbuf sb = STRBUF_INIT;

	p = strcasestr(b, "The following changes since commit");
	if (!p || (p != b && p[-1] != '\n'))
		return;
	for (p = strcasestr(p, "are available in the git repository at:");
	     p && p != b && p[-1] != '\n';
	     p = strcasestr(p + 1, "are available in the git repository at:"))
		;
	if (!p)
		return;
	p += strlen("are available in the git repository at:");
	p += strspn(p, " \t\r");
	if (*p != '\n')
		return;
	p += strspn(p, " \t\r\n");
	for (u = p; word_char((unsigned char)*u) || *u == '+' || *u == '-'; u++)
		;
	if (u == p || (strncmp(u, "://", 3) && *u != '@'))
		return;
	for (e = u + (*u == '@' ? 1 : 3);
	     *e && (word_char((unsigned char)*e) || strchr("/.@:~-", *e)); e++)
		;
	if (*e && !strchr(" \t\r\n\\", *e))
		return;
	strbuf_add(&sb, p, (size_t)(e - p));
	p = e + strspn(e, " \t\r\n\\");
	for (e = p; *e && (word_char((unsigned char)*e) || strchr("/._-", *e));
	     e++)
		;
	/* The ref must end its line: "for you to fetch" is no branch. */
	if (e > p && e[strspn(e, " \t\r")] == '\n')
		strbuf_addf(&sb, " %.*s", (int)(e - p), p);
	else if (e > p && !e[strspn(e, " \t\r")])
		strbuf_addf(&sb, " %.*s", (int)(e - p), p);
	m->pull_url = strbuf_detach(&sb);
	/* "for you to fetch changes up to <sha>:" names the tip. */
	p = strstr(b, "for you to fetch changes up to ");
	if (p) {
		p += strlen("for you to fetch changes up to ");
		if (strspn(p, "0123456789abcdef") == 40)
			m->pull_tip = xstrndup(p, 40);
	}
}

/* The sender's address (From: header, not the in-body one), lower case. */
static char *sender_of(const char *from)
{
	char *name = NULL, *email = NULL, *p;

	parse_address(from, &name, &email);
	for (p = email; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	free(name);
	return email;
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
	parse_refs(m, &h);
	if (mime_parse_date(m->date, &m->time, NULL))
		m->time = 0;
	parse_address(m->from, &m->author_name, &m->author_email);
	m->from_email = sender_of(m->from);
	parse_subject(m);
	/* An empty mail may come as a NULL buffer: no pointer arithmetic on it. */
	mime_body_extract(&h, raw ? raw + off : "", len - off, &b);
	m->body = xstrdup(strbuf_str(&b.text));
	parse_diff(m, &b);
	parse_message(m, b.text.buf ? b.text.buf : "", b.text.len);
	parse_pull(m);
	if (b.problem)
		m->warning = xstrdup(b.problem);
	mime_body_release(&b);
	mime_headers_release(&h);
}

static void mail_free(struct mbox_mail *m)
{
	size_t i;

	free(m->from);
	free(m->from_email);
	for (i = 0; i < m->nrefs; i++)
		free(m->refs[i]);
	free(m->refs);
	free(m->pull_url);
	free(m->pull_tip);
	free(m->pw_name);
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

/* strtol() of what follows a time, within the line. */
static long year_after(const char *p, const char *end)
{
	char buf[16];
	size_t n = (size_t)(end - p);

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int list_add(struct mail_list *l, const char *raw, size_t len,
		    struct strbuf *err)
{
	if (l->n >= MBOX_MAX_MAILS)
		return fail(err, "more than %d mails", MBOX_MAX_MAILS);
	ALLOC_GROW(l->v, l->n, l->alloc);
	mail_parse(raw, len, &l->v[l->n]);
	l->v[l->n].index = l->n;
	l->n++;
	return 0;
}

/*
 * "From <sender> <asctime date>", tested as git mailsplit's
 * is_from_line() tests it: the last ':' of the line must sit in a
 * "dd:dd:dd yyyy" time and year, so a body line "From Monday at 10:30
 * on..." never starts a new mail.
 */
static int from_line(const char *p, size_t l)
{
	const char *colon;

	if (l + 1 < 20 || memcmp(p, "From ", 5))
		return 0;
	for (colon = p + l - 1; ; ) {
		if (colon <= p + 5)
			return 0;
		if (*--colon == ':')
			break;
	}
	if (colon - p < 4 || colon + 2 >= p + l ||
	    !isdigit((unsigned char)colon[-4]) ||
	    !isdigit((unsigned char)colon[-2]) ||
	    !isdigit((unsigned char)colon[-1]) ||
	    !isdigit((unsigned char)colon[1]) ||
	    !isdigit((unsigned char)colon[2]))
		return 0;
	return year_after(colon + 3, p + l) > 90;
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

/* Editor and patch(1) leftovers that sit beside format-patch output. */
static int leftover(const char *name)
{
	size_t n = strlen(name);

	return name[n - 1] == '~' || name[0] == '#' ||
	       (n > 4 && (!strcmp(name + n - 4, ".rej") ||
			  !strcmp(name + n - 4, ".swp"))) ||
	       (n > 5 && !strcmp(name + n - 5, ".orig"));
}

/*
 * Regular, non-hidden files, by byte order: 0000-cover-letter.patch
 * first; backups ("0001-x.patch~", ".orig", ".rej") are not mails.
 */
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
		if (de->d_name[0] == '.' || leftover(de->d_name))
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

void mbox_series_release(struct mbox_series *s)
{
	size_t i;

	for (i = 0; s->acks && i < s->npatches; i++)
		free(s->acks[i]);
	free(s->acks);
	free(s->ack_ids);
	free(s->patches);
	free(s->title);
	free(s->gap);
	memset(s, 0, sizeof(*s));
}
