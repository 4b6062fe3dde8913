/*
 * mime.c - owns MIME decoding for patch mails: headers, RFC 2047 words,
 * transfer encodings, charsets and the multipart walk. Input is hostile;
 * every loop is bounded by the input length or the MIME_MAX_* limits.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mime.h"
#include "util.h"

#define MAX_WORD 1000		/* bytes in one encoded word's payload */
#define MAX_CHARSET 64
#define MAX_BOUNDARY 200

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Length of the line at p without its "\n" or "\r\n"; *next after it. */
static size_t line_at(const char *p, const char *end, const char **next)
{
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	size_t len;

	*next = eol ? eol + 1 : end;
	len = (size_t)((eol ? eol : end) - p);
	if (len && p[len - 1] == '\r')
		len--;
	return len;
}

static void add_capped(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->len >= MIME_MAX_HEADER)
		return;
	if (n > MIME_MAX_HEADER - sb->len)
		n = MIME_MAX_HEADER - sb->len;
	strbuf_add(sb, s, n);
}

char *mime_unfold(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < len && s[i]; i++)
		if (s[i] != '\r' && s[i] != '\n')
			strbuf_addch(&sb, s[i]);
	return strbuf_detach(&sb);
}

/* Header names are printable ASCII without ':' or blanks (RFC 5322 2.2). */
static int header_name_ok(const char *p, size_t len)
{
	size_t i;

	while (len && is_blank(p[len - 1]))
		len--;
	if (!len || len > 76)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] <= 32 || p[i] >= 127)
			return 0;
	return 1;
}

static void header_flush(struct mime_headers *h, char **name,
			 struct strbuf *val)
{
	if (!*name)
		return;
	strbuf_trim(val);
	if (h->n < MIME_MAX_HEADERS) {
		ALLOC_GROW(h->v, h->n, h->alloc);
		h->v[h->n].name = *name;
		h->v[h->n].value = strbuf_detach(val);
		h->n++;
	} else {
		free(*name);
	}
	*name = NULL;
	strbuf_reset(val);
}

size_t mime_parse_headers(const char *buf, size_t len, struct mime_headers *h)
{
	const char *p, *end, *next, *colon;
	struct strbuf val = STRBUF_INIT;
	char *name = NULL;
	size_t l, nl;

	/* An empty mail may come as a NULL buffer (an empty strbuf). */
	if (!buf || !len)
		return 0;
	p = buf;
	end = buf + len;

	while (p < end) {
		l = line_at(p, end, &next);
		if (!l) {
			p = next;
			break;
		}
		if (is_blank(*p)) {
			if (name)
				add_capped(&val, p, l);
			p = next;
			continue;
		}
		colon = memchr(p, ':', l);
		if (!colon || !header_name_ok(p, (size_t)(colon - p))) {
			if (p == buf && l > 5 && !memcmp(p, "From ", 5)) {
				p = next;
				continue;
			}
			break;
		}
		header_flush(h, &name, &val);
		nl = (size_t)(colon - p);
		while (nl && is_blank(p[nl - 1]))
			nl--;
		name = xstrndup(p, nl);
		for (colon++; colon < p + l && is_blank(*colon); colon++)
			;
		add_capped(&val, colon, l - (size_t)(colon - p));
		p = next;
	}
	header_flush(h, &name, &val);
	strbuf_release(&val);
	return (size_t)(p - buf);
}

const char *mime_header_get(const struct mime_headers *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!strcasecmp(h->v[i].name, name))
			return h->v[i].value;
	return NULL;
}

void mime_headers_release(struct mime_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	h->v = NULL;
	h->n = h->alloc = 0;
}

int mime_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, k, n;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 1;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 2;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 3;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += n + 1;
	}
	return 1;
}

static int charset_is(const char *cs, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(cs, names[i]))
			return 1;
	return 0;
}

/* Only plain names reach iconv_open(): it maps names to gconv modules. */
static int charset_name_ok(const char *cs)
{
	size_t i;

	for (i = 0; cs[i]; i++)
		if (!isalnum((unsigned char)cs[i]) && !strchr("-_.:", cs[i]))
			return 0;
	return i > 0 && i < MAX_CHARSET;
}

static int iconv_to_utf8(const char *charset, const char *in, size_t len,
			 struct strbuf *out)
{
	size_t start = out->len, il = len, ol, r;
	char *ip = (char *)in, *op;
	iconv_t cd = iconv_open("UTF-8", charset);
	int rounds, ret = 0;

	if (cd == (iconv_t)-1)
		return -1;
	for (rounds = 0; rounds < 64; rounds++) {
		strbuf_grow(out, il * 4 + 16);
		op = out->buf + out->len;
		ol = out->alloc - out->len - 1;
		r = il ? iconv(cd, &ip, &il, &op, &ol)
		       : iconv(cd, NULL, NULL, &op, &ol);
		strbuf_setlen(out, (size_t)(op - out->buf));
		if (r != (size_t)-1 && !il)
			break;
		if (r == (size_t)-1 && errno != E2BIG) {
			ret = -1;
			break;
		}
	}
	if (rounds == 64)
		ret = -1;
	iconv_close(cd);
	if (ret)
		strbuf_setlen(out, start);
	return ret;
}

int mime_to_utf8(const char *charset, const char *in, size_t len,
		 struct strbuf *out)
{
	static const char *const same[] = { "utf-8", "utf8", "us-ascii",
					    "ascii", "ansi_x3.4-1968" };
	static const char *const latin1[] = { "iso-8859-1", "iso8859-1",
					      "latin1", "latin-1", "l1",
					      "iso_8859-1", "iso-ir-100" };
	size_t i;

	if (!charset || !*charset ||
	    charset_is(charset, same, ARRAY_SIZE(same))) {
		strbuf_add(out, in, len);
		return 0;
	}
	if (charset_is(charset, latin1, ARRAY_SIZE(latin1))) {
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)in[i];

			if (c < 0x80) {
				strbuf_addch(out, c);
				continue;
			}
			strbuf_addch(out, 0xc0 | (c >> 6));
			strbuf_addch(out, 0x80 | (c & 0x3f));
		}
		return 0;
	}
	if (charset_name_ok(charset) && !iconv_to_utf8(charset, in, len, out))
		return 0;
	strbuf_add(out, in, len);
	return -1;
}

int mime_decode_qp(const char *in, size_t len, struct strbuf *out)
{
	size_t i = 0, j;
	int ret = 0, hi, lo;

	strbuf_grow(out, len);
	while (i < len) {
		if (in[i] != '=') {
			strbuf_addch(out, in[i++]);
			continue;
		}
		/* Soft line break: "=", maybe transport blanks, then EOL. */
		j = i + 1;
		while (j < len && (is_blank(in[j]) || in[j] == '\r'))
			j++;
		if (j == len || in[j] == '\n') {
			i = j < len ? j + 1 : j;
			continue;
		}
		hi = i + 1 < len ? hexval(in[i + 1]) : -1;
		lo = i + 2 < len ? hexval(in[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			strbuf_addch(out, '=');
			ret = -1;
			i++;
			continue;
		}
		strbuf_addch(out, hi << 4 | lo);
		i += 3;
	}
	return ret;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int mime_decode_base64(const char *in, size_t len, struct strbuf *out)
{
	unsigned int acc = 0;
	int bits = 0, ret = 0, v, nsext = 0;
	size_t i;

	strbuf_grow(out, len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		if (isspace((unsigned char)in[i]))
			continue;
		if (in[i] == '=')
			break;
		v = b64val((unsigned char)in[i]);
		if (v < 0) {
			ret = -1;
			continue;
		}
		nsext++;
		acc = (acc << 6 | (unsigned int)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_addch(out, (acc >> bits) & 0xff);
		}
	}
	/* Padding may only be followed by more padding and blanks. */
	for (; i < len; i++)
		if (in[i] != '=' && !isspace((unsigned char)in[i]))
			ret = -1;
	if (nsext % 4 == 1)
		ret = -1;
	return ret;
}

/* An encoded word "=?charset?e?text?=" found at p. */
struct eword {
	char charset[MAX_CHARSET];
	int enc;		/* 'Q' or 'B' */
	const char *text;
	size_t textlen;
	const char *end;	/* just past "?=" */
};

static int parse_eword(const char *p, struct eword *w)
{
	const char *cs = p + 2, *q, *t;
	size_t n;

	q = cs;
	while (*q && *q != '?' && !isspace((unsigned char)*q) &&
	       q - cs < MAX_CHARSET)
		q++;
	n = (size_t)(q - cs);
	if (*q != '?' || !n || n >= MAX_CHARSET)
		return 0;
	memcpy(w->charset, cs, n);
	w->charset[n] = '\0';
	/* RFC 2231 adds a language: "utf-8*en". */
	if (strchr(w->charset, '*'))
		*strchr(w->charset, '*') = '\0';
	w->enc = toupper((unsigned char)q[1]);
	if ((w->enc != 'Q' && w->enc != 'B') || q[2] != '?')
		return 0;
	w->text = t = q + 3;
	while (*t && !(t[0] == '?' && t[1] == '=') &&
	       !isspace((unsigned char)*t) && t - w->text < MAX_WORD)
		t++;
	if (t[0] != '?' || t[1] != '=')
		return 0;
	w->textlen = (size_t)(t - w->text);
	w->end = t + 2;
	return 1;
}

static int decode_eword(const struct eword *w, struct strbuf *out)
{
	size_t i;
	int hi, lo;

	if (w->enc == 'B')
		return mime_decode_base64(w->text, w->textlen, out);
	for (i = 0; i < w->textlen; i++) {
		char c = w->text[i];

		if (c == '_') {
			strbuf_addch(out, ' ');
			continue;
		}
		if (c != '=') {
			strbuf_addch(out, c);
			continue;
		}
		hi = i + 1 < w->textlen ? hexval(w->text[i + 1]) : -1;
		lo = i + 2 < w->textlen ? hexval(w->text[i + 2]) : -1;
		if (hi < 0 || lo < 0)
			return -1;
		strbuf_addch(out, hi << 4 | lo);
		i += 2;
	}
	return 0;
}

/*
 * A run of adjacent encoded words in one charset, decoded together so a
 * UTF-8 character split across two words still comes out whole.
 */
struct ewrun {
	char charset[MAX_CHARSET];
	struct strbuf bytes;
	struct strbuf literal;	/* source text, if we cannot convert */
};

static void run_flush(struct ewrun *r, struct strbuf *out)
{
	struct strbuf tmp = STRBUF_INIT;

	if (!r->literal.len)
		return;
	if (!mime_to_utf8(r->charset, r->bytes.buf, r->bytes.len, &tmp))
		strbuf_add(out, tmp.buf, tmp.len);
	else if (mime_utf8_valid(r->bytes.buf, r->bytes.len))
		strbuf_add(out, r->bytes.buf, r->bytes.len);
	else
		strbuf_add(out, r->literal.buf, r->literal.len);
	strbuf_release(&tmp);
	strbuf_reset(&r->bytes);
	strbuf_reset(&r->literal);
	r->charset[0] = '\0';
}

static void sanitize_controls(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t k, len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (k = 1; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * Raw 8-bit header text (no encoded word) is not UTF-8 when a mailer
 * wrote latin-1; git mailinfo then reads it as latin-1 ("Ren\xe9" is
 * "René"), whatever charset the body names. Bytes that are not part of
 * a well-formed UTF-8 sequence are taken the same way, so a header is
 * always valid UTF-8 afterwards.
 */
static char *latin1_fallback(struct strbuf *sb)
{
	struct strbuf out = STRBUF_INIT;
	const unsigned char *s = (const unsigned char *)sb->buf;
	size_t i = 0, l;

	if (mime_utf8_valid(sb->buf, sb->len))
		return strbuf_detach(sb);
	while (i < sb->len) {
		l = utf8_seq(s + i, sb->len - i);
		if (l) {
			strbuf_add(&out, s + i, l);
			i += l;
			continue;
		}
		strbuf_addch(&out, 0xc0 | (s[i] >> 6));
		strbuf_addch(&out, 0x80 | (s[i] & 0x3f));
		i++;
	}
	strbuf_release(sb);
	return strbuf_detach(&out);
}

char *mime_utf8_clean(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, s ? s : "");
	if (!sb.buf)
		return xstrdup("");
	return latin1_fallback(&sb);
}

char *mime_decode_header(const char *value)
{
	struct strbuf out = STRBUF_INIT, ws = STRBUF_INIT;
	struct strbuf word = STRBUF_INIT;
	struct ewrun run = { "", STRBUF_INIT, STRBUF_INIT };
	const char *p = value ? value : "";
	const char *end = p + strnlen(p, MIME_MAX_HEADER);
	struct eword w;
	int after_word = 0;

	while (p < end && *p) {
		if (p[0] == '=' && p[1] == '?' && parse_eword(p, &w) &&
		    w.end <= end) {
			strbuf_reset(&word);
			if (!decode_eword(&w, &word)) {
				if (strcasecmp(run.charset, w.charset))
					run_flush(&run, &out);
				/* Blanks between encoded words are not text. */
				strbuf_add(&run.literal, ws.buf, ws.len);
				strbuf_reset(&ws);
				snprintf(run.charset, sizeof(run.charset), "%s",
					 w.charset);
				strbuf_add(&run.bytes, word.buf, word.len);
				strbuf_add(&run.literal, p,
					   (size_t)(w.end - p));
				after_word = 1;
				p = w.end;
				continue;
			}
		}
		if (is_blank(*p) && after_word) {
			strbuf_addch(&ws, *p++);
			continue;
		}
		run_flush(&run, &out);
		strbuf_add(&out, ws.buf, ws.len);
		strbuf_reset(&ws);
		after_word = 0;
		strbuf_addch(&out, *p++);
	}
	run_flush(&run, &out);
	strbuf_add(&out, ws.buf, ws.len);
	strbuf_release(&ws);
	strbuf_release(&word);
	strbuf_release(&run.bytes);
	strbuf_release(&run.literal);
	if (!out.buf)
		return xstrdup("");
	sanitize_controls(out.buf);
	return latin1_fallback(&out);
}

static void percent_decode(const char *s, struct strbuf *out)
{
	int hi, lo;

	for (; *s; s++) {
		if (*s == '%' && (hi = hexval(s[1])) >= 0 &&
		    (lo = hexval(s[2])) >= 0) {
			strbuf_addch(out, hi << 4 | lo);
			s += 2;
			continue;
		}
		strbuf_addch(out, *s);
	}
}

/* Read one parameter value (token or quoted string) at *pp into out. */
static void param_value(const char **pp, struct strbuf *out)
{
	const char *p = *pp;

	if (*p != '"') {
		while (*p && *p != ';' && !isspace((unsigned char)*p))
			strbuf_addch(out, *p++);
		*pp = p;
		return;
	}
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		strbuf_addch(out, *p);
	}
	*pp = *p ? p + 1 : p;
}

char *mime_param(const char *value, const char *param)
{
	const char *p = value ? strchr(value, ';') : NULL;
	size_t plen = strlen(param), nlen;
	struct strbuf v = STRBUF_INIT, dec = STRBUF_INIT;
	const char *name, *q;
	int ext;

	while (p && *p) {
		while (*p == ';' || isspace((unsigned char)*p))
			p++;
		name = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		nlen = (size_t)(p - name);
		while (nlen && isspace((unsigned char)name[nlen - 1]))
			nlen--;
		if (*p != '=')
			continue;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		strbuf_reset(&v);
		param_value(&p, &v);
		ext = nlen == plen + 1 && name[plen] == '*';
		if ((nlen != plen && !ext) || strncasecmp(name, param, plen))
			continue;
		if (!ext)
			return strbuf_detach(&v);
		/* RFC 2231: charset'language'percent-encoded */
		q = strchr(strbuf_str(&v), '\'');
		q = q ? strchr(q + 1, '\'') : NULL;
		percent_decode(q ? q + 1 : strbuf_str(&v), &dec);
		strbuf_release(&v);
		return strbuf_detach(&dec);
	}
	strbuf_release(&v);
	return NULL;
}

static char *lower(char *s)
{
	char *p;

	for (p = s; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

void mime_parse_content_type(const char *value, struct mime_content_type *ct)
{
	struct strbuf sb = STRBUF_INIT;
	const char *semi;

	memset(ct, 0, sizeof(*ct));
	if (value) {
		semi = strchr(value, ';');
		strbuf_add(&sb, value, semi ? (size_t)(semi - value)
					    : strlen(value));
		strbuf_trim(&sb);
	}
	if (!sb.len || !strchr(sb.buf, '/')) {
		strbuf_reset(&sb);
		strbuf_addstr(&sb, "text/plain");
	}
	ct->type = lower(strbuf_detach(&sb));
	ct->charset = lower(mime_param(value, "charset"));
	ct->boundary = mime_param(value, "boundary");
	ct->name = mime_param(value, "name");
}

void mime_content_type_release(struct mime_content_type *ct)
{
	free(ct->type);
	free(ct->charset);
	free(ct->boundary);
	free(ct->name);
	memset(ct, 0, sizeof(*ct));
}

void mime_body_release(struct mime_body *b)
{
	strbuf_release(&b->text);
	strbuf_release(&b->raw);
	strbuf_release(&b->patch);
	free(b->problem);
	b->problem = NULL;
}

struct walk {
	struct mime_body *out;
	size_t parts;
};

static void note_problem(struct walk *w, const char *what, const char *arg)
{
	if (!w->out->problem)
		w->out->problem = xasprintf("%s%s", what, arg ? arg : "");
}

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcasecmp(s + n - m, suffix);
}

static int is_patch_type(const char *type)
{
	static const char *const types[] = {
		"text/x-patch", "text/x-diff", "text/patch", "text/diff",
		"application/x-patch", "application/x-diff",
	};

	return charset_is(type, types, ARRAY_SIZE(types));
}

/* Append a part so that consecutive parts never share a line. */
static void append_part(struct strbuf *dst, const char *s, size_t n)
{
	if (dst->len && dst->buf[dst->len - 1] != '\n')
		strbuf_addch(dst, '\n');
	strbuf_add(dst, s, n);
}

/* MIME text is CRLF in canonical form; patches and messages want LF. */
static void text_canon(struct strbuf *sb, int keep_cr)
{
	size_t i, j = 0;

	for (i = 0; i < sb->len; i++) {
		if (!sb->buf[i])
			continue;
		if (!keep_cr && sb->buf[i] == '\r' && i + 1 < sb->len &&
		    sb->buf[i + 1] == '\n')
			continue;
		sb->buf[j++] = sb->buf[i];
	}
	strbuf_setlen(sb, j);
}

static void decode_transfer(const struct mime_headers *h, const char *body,
			    size_t len, struct strbuf *out, struct walk *w)
{
	const char *cte = mime_header_get(h, "Content-Transfer-Encoding");
	char *enc = cte ? lower(xstrdup(cte)) : xstrdup("");
	char *semi = strchr(enc, ';');

	if (semi)
		*semi = '\0';
	if (!strncmp(enc, "base64", 6)) {
		if (mime_decode_base64(body, len, out))
			note_problem(w, "broken base64", NULL);
	} else if (!strncmp(enc, "quoted-printable", 16)) {
		if (mime_decode_qp(body, len, out))
			note_problem(w, "broken quoted-printable", NULL);
	} else {
		strbuf_add(out, body, len);
	}
	free(enc);
}

static int looks_like_diff(const char *s)
{
	return !strncmp(s, "diff --git ", 11) || strstr(s, "\ndiff --git ") ||
	       strstr(s, "\n+++ ") || !strncmp(s, "--- ", 4);
}

static void take_leaf(const struct mime_headers *h,
		      const struct mime_content_type *ct, const char *body,
		      size_t len, struct walk *w)
{
	const char *disp = mime_header_get(h, "Content-Disposition");
	char *fname = mime_param(disp, "filename");
	const char *name = fname ? fname : ct->name;
	int attached = disp && !strncasecmp(disp, "attachment", 10);
	int patch = is_patch_type(ct->type) ||
		    (name && (ends_with_ci(name, ".patch") ||
			      ends_with_ci(name, ".diff")));
	struct strbuf dec = STRBUF_INIT, conv = STRBUF_INIT;

	if (!patch && strcmp(ct->type, "text/plain"))
		goto out;
	decode_transfer(h, body, len, &dec, w);
	if (!patch && attached && !looks_like_diff(dec.buf ? dec.buf : ""))
		goto out;
	if (patch || attached) {
		append_part(&w->out->patch, dec.buf, dec.len);
		goto out;
	}
	/*
	 * The raw text is where the diff comes from: CRs that a base64 or
	 * quoted-printable encoding carried are file content (git mailsplit
	 * strips them only from the mail's own line ends, as splitting does
	 * here), so only the message text loses them.
	 */
	text_canon(&dec, 1);
	append_part(&w->out->raw, dec.buf, dec.len);
	text_canon(&dec, 0);
	if (mime_to_utf8(ct->charset, dec.buf, dec.len, &conv))
		note_problem(w, "unknown charset ", ct->charset);
	append_part(&w->out->text, conv.buf, conv.len);
out:
	strbuf_release(&dec);
	strbuf_release(&conv);
	free(fname);
}

static void walk_entity(const struct mime_headers *h, const char *body,
			size_t len, int depth, struct walk *w);

/* "--boundary" or "--boundary--", optionally followed by blanks. */
static int delimiter(const char *p, size_t l, const char *b, size_t bl,
		     int *close)
{
	size_t i;

	if (l < bl + 2 || p[0] != '-' || p[1] != '-' || memcmp(p + 2, b, bl))
		return 0;
	i = bl + 2;
	*close = l >= i + 2 && p[i] == '-' && p[i + 1] == '-';
	if (*close)
		i += 2;
	for (; i < l; i++)
		if (!is_blank(p[i]))
			return 0;
	return 1;
}

static void walk_part(const char *p, size_t len, int depth, struct walk *w)
{
	struct mime_headers h = MIME_HEADERS_INIT;
	size_t off;

	if (++w->parts > MIME_MAX_PARTS)
		return;
	off = mime_parse_headers(p, len, &h);
	walk_entity(&h, p + off, len - off, depth, w);
	mime_headers_release(&h);
}

static void walk_multipart(const char *body, size_t len, const char *b,
			   int depth, struct walk *w)
{
	const char *p = body, *end = body + len, *next, *start = NULL;
	size_t bl = strlen(b), l, plen;
	int close = 0;

	while (p < end && !close) {
		l = line_at(p, end, &next);
		if (!delimiter(p, l, b, bl, &close)) {
			p = next;
			continue;
		}
		if (start) {
			/*
			 * RFC 2046 gives the line break before a delimiter
			 * to the delimiter; git mailinfo keeps every line up
			 * to it, and so a patch whose last context line is
			 * empty (a bare "\n") still applies. As git does.
			 */
			plen = (size_t)(p - start);
			walk_part(start, plen, depth + 1, w);
		}
		start = next;
		p = next;
	}
	/* A missing closing delimiter still ends the last part. */
	if (start && !close && start < end)
		walk_part(start, (size_t)(end - start), depth + 1, w);
}

static void walk_entity(const struct mime_headers *h, const char *body,
			size_t len, int depth, struct walk *w)
{
	struct mime_content_type ct;

	mime_parse_content_type(mime_header_get(h, "Content-Type"), &ct);
	if (strncmp(ct.type, "multipart/", 10)) {
		take_leaf(h, &ct, body, len, w);
		goto out;
	}
	if (depth >= MIME_MAX_DEPTH) {
		note_problem(w, "multipart nested too deeply", NULL);
		goto out;
	}
	if (!ct.boundary || !*ct.boundary ||
	    strlen(ct.boundary) > MAX_BOUNDARY) {
		note_problem(w, "multipart without a usable boundary", NULL);
		free(ct.type);
		ct.type = xstrdup("text/plain");
		take_leaf(h, &ct, body, len, w);
		goto out;
	}
	walk_multipart(body, len, ct.boundary, depth, w);
out:
	mime_content_type_release(&ct);
}

void mime_body_extract(const struct mime_headers *h, const char *body,
		       size_t len, struct mime_body *out)
{
	struct walk w = { out, 0 };

	walk_entity(h, body, len, 0, &w);
	if (w.parts > MIME_MAX_PARTS)
		note_problem(&w, "too many MIME parts", NULL);
}

/* ---- dates ---- */

static int date_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
	return **p != '\0';
}

static int date_num(const char **p, int maxdigits, long *out)
{
	long v = 0;
	int n = 0;

	while (isdigit((unsigned char)**p) && n < maxdigits) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n ? 0 : -1;
}

int mime_parse_date(const char *s, long long *when, int *offset)
{
	static const char *const months[] = {
		"jan", "feb", "mar", "apr", "may", "jun",
		"jul", "aug", "sep", "oct", "nov", "dec",
	};
	const char *p = s;
	long day, year, hh, mm, ss = 0, zone = 0;
	struct tm tm = { 0 };
	int mon, sign = 1;
	time_t t;

	if (!s || !date_blanks(&p))
		return -1;
	if (isalpha((unsigned char)*p)) {	/* "Tue, " */
		while (isalpha((unsigned char)*p))
			p++;
		if (*p == ',')
			p++;
		date_blanks(&p);
	}
	if (date_num(&p, 2, &day) || !date_blanks(&p))
		return -1;
	for (mon = 0; mon < 12; mon++)
		if (!strncasecmp(p, months[mon], 3))
			break;
	if (mon == 12)
		return -1;
	while (isalpha((unsigned char)*p))
		p++;
	if (!date_blanks(&p) || date_num(&p, 4, &year) || !date_blanks(&p))
		return -1;
	if (year < 50)
		year += 2000;
	else if (year < 1000)
		year += 1900;
	if (date_num(&p, 2, &hh) || *p++ != ':' || date_num(&p, 2, &mm))
		return -1;
	if (*p == ':' && (p++, date_num(&p, 2, &ss)))
		return -1;
	date_blanks(&p);
	if (*p == '+' || *p == '-') {
		long z;

		sign = *p++ == '-' ? -1 : 1;
		if (date_num(&p, 4, &z))
			return -1;
		zone = sign * ((z / 100) * 60 + z % 100);
	}
	/* "GMT", "UT", "Z" and anything obsolete: UTC, as RFC 2822 says. */
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 ||
	    zone < -24 * 60 || zone > 24 * 60)
		return -1;
	tm.tm_year = (int)year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = (int)day;
	tm.tm_hour = (int)hh;
	tm.tm_min = (int)mm;
	tm.tm_sec = (int)ss;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*when = (long long)t - zone * 60;
	if (offset)
		*offset = (int)zone;
	return 0;
}
