/*
 * mime.h - the part of MIME that patch mails use: header parsing and
 * unfolding, RFC 2047 encoded words, quoted-printable and base64 bodies,
 * Content-Type parameters, charset conversion to UTF-8 and the walk over
 * multipart bodies that finds the text and the attached patch.
 *
 * Everything here takes text from strangers: nothing fails hard, limits
 * below bound every loop, and undecodable input is kept as it was.
 */
#ifndef KFLAKE_MIME_H
#define KFLAKE_MIME_H

#include <stddef.h>

#include "strbuf.h"

#define MIME_MAX_HEADER 10000	/* bytes of one unfolded header value */
#define MIME_MAX_HEADERS 1000	/* headers kept per entity */
#define MIME_MAX_DEPTH 8	/* nesting of multiparts */
#define MIME_MAX_PARTS 1000	/* body parts walked per mail */

struct mime_header {
	char *name;	/* as written; look up with mime_header_get() */
	char *value;	/* unfolded and trimmed, still RFC 2047 encoded */
};

struct mime_headers {
	struct mime_header *v;
	size_t n, alloc;
};

#define MIME_HEADERS_INIT { NULL, 0, 0 }

/*
 * Parse the header block at the start of buf into h and return the offset
 * of the body: after the blank line, or at the first line that is neither
 * a header nor a continuation. A leading mbox "From " line is skipped.
 */
size_t mime_parse_headers(const char *buf, size_t len, struct mime_headers *h);
/* First header called name (case-insensitive), or NULL. */
const char *mime_header_get(const struct mime_headers *h, const char *name);
void mime_headers_release(struct mime_headers *h);

/* Join folded header lines: drop the line breaks, keep the blanks. */
char *mime_unfold(const char *s, size_t len);

/*
 * Decode RFC 2047 encoded words (=?cs?Q?..?= and =?cs?B?..?=) into UTF-8.
 * Blanks between adjacent encoded words vanish; control characters become
 * spaces so a subject can never smuggle in a line break. An encoded word in
 * an unknown charset or with a broken payload is kept verbatim. Never NULL.
 */
char *mime_decode_header(const char *value);

/*
 * Transfer decodings. Both append to out whatever they could decode and
 * return -1 when the input was not clean (bad escape, stray character,
 * dangling bits), so callers can warn yet keep the text.
 */
int mime_decode_qp(const char *in, size_t len, struct strbuf *out);
int mime_decode_base64(const char *in, size_t len, struct strbuf *out);

/*
 * Append in, converted from charset to UTF-8. utf-8, us-ascii and latin-1
 * are handled here, anything else through iconv. An unknown charset or a
 * conversion error appends the bytes unchanged and returns -1.
 */
int mime_to_utf8(const char *charset, const char *in, size_t len,
		 struct strbuf *out);

struct mime_content_type {
	char *type;	/* "text/plain", lower case; never NULL */
	char *charset;	/* lower case, or NULL */
	char *boundary;	/* or NULL */
	char *name;	/* or NULL */
};

/* NULL or an empty value gives text/plain, as RFC 2045 says. */
void mime_parse_content_type(const char *value, struct mime_content_type *ct);
void mime_content_type_release(struct mime_content_type *ct);

/*
 * The value of parameter param in a structured header ("a/b; k=v;
 * k2=\"quoted\""), unquoted, or NULL. RFC 2231 "param*=cs'lang'%xx" is
 * percent-decoded but not converted.
 */
char *mime_param(const char *value, const char *param);

struct mime_body {
	struct strbuf text;	/* text/plain parts, UTF-8, LF line ends */
	struct strbuf raw;	/* the same parts before charset conversion */
	struct strbuf patch;	/* x-patch/x-diff parts and *.patch files */
	char *problem;		/* first decoding problem, or NULL */
};

#define MIME_BODY_INIT { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, NULL }

/*
 * Decode the body of an entity with headers h, walking multiparts. The
 * patch is kept as transfer-decoded bytes: converting its charset could
 * make it stop applying to the files it was made from.
 */
void mime_body_extract(const struct mime_headers *h, const char *body,
		       size_t len, struct mime_body *out);
void mime_body_release(struct mime_body *b);

/*
 * An RFC 2822 date ("Tue, 2 Jan 2024 03:04:05 +0100", the day name and
 * seconds optional, "GMT"/"UT"/obsolete zones as UTC) to seconds since
 * the epoch and the zone's offset in minutes (offset may be NULL).
 */
int mime_parse_date(const char *s, long long *when, int *offset);

/* Whether buf holds well-formed UTF-8. */
/*
 * s as valid UTF-8: bytes outside well-formed sequences read as latin-1,
 * as git mailinfo reads 8-bit headers. Never NULL.
 */
char *mime_utf8_clean(const char *s);

int mime_utf8_valid(const char *buf, size_t len);

#endif
