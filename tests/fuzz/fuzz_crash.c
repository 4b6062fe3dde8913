/*
 * fuzz_crash.c - libFuzzer entry for the crash report scanner, both the
 * whole-log scan and the line-by-line live scanner with pops.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_report(const struct crash_report *r)
{
	size_t i, lines = 1;

	if (!r->kind || !r->title || !r->frames || !r->text || !r->fingerprint)
		abort();
	if (strlen(r->fingerprint) != 40 || !*r->title || !r->line)
		abort();
	for (i = 0; r->frames[i]; i++)
		lines += r->frames[i] == '\n';
	if (lines > CRASH_FRAMES)
		abort();
	if (strlen(r->text) > 64 * 1024)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crash_list list = { 0 };
	struct crash_scanner *sc;
	struct crash_report r;
	char *copy, *line, *save = NULL;
	size_t i;

	crash_scan((const char *)data, size, &list);
	if (list.nr > CRASH_MAX_REPORTS)
		abort();
	for (i = 0; i < list.nr; i++)
		check_report(&list.v[i]);
	crash_list_release(&list);

	copy = xstrndup((const char *)data, size);
	sc = crash_scanner_new();
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		crash_scanner_feed(sc, line);
		crash_is_panic_line(line);
		while (crash_scanner_pop(sc, &r)) {
			check_report(&r);
			crash_report_release(&r);
		}
	}
	crash_scanner_finish(sc, &list);
	for (i = 0; i < list.nr; i++)
		check_report(&list.v[i]);
	crash_list_release(&list);
	crash_scanner_free(sc);
	free(copy);
	return 0;
}
