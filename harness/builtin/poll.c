/*
 * builtin/poll.c - `kflake poll`: queue the series a patchwork project
 * completed since the last poll.
 */
#include <getopt.h>
#include <stdio.h>

#include "builtin.h"
#include "fetch.h"
#include "patchwork.h"
#include "store.h"
#include "util.h"

static const char poll_usage[] =
"usage: kflake poll --patchwork URL --project P [--db PATH]\n"
"\n"
"Read the series-completed events of patchwork project P since the last\n"
"poll (all of them on the first), queue each new series for testing\n"
"(series state 'queued') and remember where it stopped.\n";

static const struct option poll_options[] = {
	{ "patchwork", required_argument, NULL, 'p' },
	{ "project", required_argument, NULL, 'P' },
	{ "db", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_poll(int argc, char **argv)
{
	const char *url = NULL, *project = NULL, *db = NULL;
	struct strbuf err = STRBUF_INIT;
	struct patchwork_poll p;
	struct store st;
	size_t i, fresh = 0;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", poll_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			url = optarg;
			break;
		case 'P':
			project = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			fputs(poll_usage, stdout);
			return 0;
		default:
			return util_usage_error("poll");
		}
	}
	if (optind < argc) {
		error("poll: unexpected argument '%s'", argv[optind]);
		return util_usage_error("poll");
	}
	if (!url || !project || !*project) {
		error("poll: --patchwork and --project are required");
		return util_usage_error("poll");
	}
	if (!fetch_is_url(url)) {
		error("--patchwork %s: expected an http(s) URL", url);
		return KFLAKE_EXIT_USAGE;
	}
	if (store_open(&st, db, 0))
		return KFLAKE_EXIT_FAIL;
	if (patchwork_poll(&st, url, project, &p, &err)) {
		error("%s", strbuf_str(&err));
		ret = KFLAKE_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < p.n; i++) {
		if (!p.v[i].fresh)
			continue;
		fresh++;
		printf("queued series %lld: patchwork %ld '%s'\n",
		       p.v[i].series_id, p.v[i].pw_id, p.v[i].name);
	}
	printf("%zu new series queued from %d page(s) of events since %s; "
	       "next poll from %s\n", fresh, p.pages,
	       p.since ? p.since : "the beginning",
	       p.newest ? p.newest : (p.since ? p.since : "the beginning"));
	patchwork_poll_release(&p);
out:
	strbuf_release(&err);
	store_close(&st);
	return ret;
}
