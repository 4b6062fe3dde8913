/*
 * utf8.c - UTF-8 validation and repair (see utf8.h), after the Unicode
 * "maximal subpart" practice: each invalid byte becomes one U+FFFD.
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		len = utf8_seq_len(p + i, n - i);
		if (!len)
			return 0;
		i += len;
	}
	return 1;
}

void utf8_add_clean(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, len;

	while (i < n) {
		len = utf8_seq_len(p + i, n - i);
		if (len) {
			i += len;
			continue;
		}
		strbuf_add(sb, s + start, i - start);
		strbuf_addstr(sb, UTF8_REPLACEMENT);
		start = ++i;
	}
	strbuf_add(sb, s + start, n - start);
}

json_t *utf8_json_str(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;
	json_t *v;

	if (!s)
		return json_null();
	n = strlen(s);
	if (utf8_valid(s, n))
		return json_stringn_nocheck(s, n);
	utf8_add_clean(&sb, s, n);
	v = json_stringn_nocheck(sb.buf, sb.len);
	strbuf_release(&sb);
	return v;
}
