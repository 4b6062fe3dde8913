/*
 * fuzz_mbox.c - libFuzzer entry for the patch-mail parsers: any bytes
 * (an mbox, one mail, gzip or not) must split into mails, decode and
 * group as patchwork would and yield a series or a one-line error,
 * within the caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grouping.h"
#include "mbox.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT, msg = STRBUF_INIT;
	struct mbox_mail *mails = NULL;
	struct mbox_series series;
	struct grouping g;
	char *hdr, *text;
	size_t n = 0;

	if (!mbox_parse((const char *)data, size, &mails, &n, &err)) {
		if (n > MBOX_MAX_MAILS)
			abort();
		grouping_build(mails, n, &g);
		if (g.covers + g.patches + g.comments + g.duplicates != n)
			abort();	/* every mail is counted once */
		if (!grouping_pick(&g, &series, &msg)) {
			if (!series.npatches ||
			    series.complete != !series.gap)
				abort();
			mbox_series_release(&series);
		} else if (!msg.len || strchr(msg.buf, '\n')) {
			abort();	/* an error is exactly one line */
		}
		grouping_release(&g);
		mbox_mails_free(mails, n);
	} else if (!err.len) {
		abort();
	}
	/* Headers are decoded on their own too: no line breaks may survive. */
	text = strndup((const char *)data, size < 4096 ? size : 4096);
	if (text) {
		hdr = mime_decode_header(text);
		if (!hdr || strchr(hdr, '\n'))
			abort();
		free(hdr);
		free(text);
	}
	strbuf_release(&err);
	strbuf_release(&msg);
	return 0;
}
