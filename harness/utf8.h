/*
 * utf8.h - text from strangers as valid UTF-8: test output, console logs,
 * patch subjects and test names can hold any bytes. Every reader that
 * hands text to a browser or a JSON parser goes through here, so an
 * invalid byte shows as U+FFFD in both, never raw and never as '?'.
 */
#ifndef KFLAKE_UTF8_H
#define KFLAKE_UTF8_H

#include <stddef.h>

#include <jansson.h>

#include "strbuf.h"

#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes): 1 to 4, or
 * 0 when the bytes there are not one (overlong, surrogate, > U+10FFFF,
 * truncated or a stray continuation byte).
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);
int utf8_valid(const char *s, size_t n);
/* Append s[0..n) to sb with each invalid sequence replaced by U+FFFD. */
void utf8_add_clean(struct strbuf *sb, const char *s, size_t n);
/* A JSON string of s (invalid sequences as U+FFFD); NULL gives null. */
json_t *utf8_json_str(const char *s);

#endif
