/*
 * builtin/poll.c - `kflake poll`: queue the series a patchwork project
 * completed since the last poll.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "fetch.h"
#include "patchwork.h"
#include "store.h"
#include "util.h"

static const char poll_usage[] =
"usage: kflake poll --patchwork URL --project P [--since DATE]\n"
"                   [--net-timeout SECS] [--db PATH]\n"
"\n"
"Read the series-completed events of patchwork project P since the last\n"
"poll, queue each new series for testing (series state 'queued', source\n"
"pw:URL/ID) and remember where it stopped. The first poll of a project\n"
"reads the last day; --since goes elsewhere (2024-01-02, an ISO time,\n"
"or a duration such as 3d meaning that long ago). At most %d pages are\n"
"read per poll; the next poll goes on from there. Events dated more than\n"
"a day ahead do not move the position, and malformed events are counted.\n"
"\n"
"Exit status: 0 polled, 1 a page could not be read (the series of the\n"
"pages before it are queued), 2 bad usage.\n";

static const struct option poll_options[] = {
	{ "patchwork", required_argument, NULL, 'p' },
	{ "project", required_argument, NULL, 'P' },
	{ "since", required_argument, NULL, 's' },
	{ "net-timeout", required_argument, NULL, 't' },
	{ "db", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* --since: an ISO date or time, or a duration ago; NULL on junk. */
static char *since_arg(const char *arg)
{
	char buf[32];
	double t, ago;

	if (!patchwork_parse_date(arg, &t))
		return xstrdup(arg);
	if (util_parse_duration(arg, &ago) || ago <= 0)
		return NULL;
	util_iso8601(util_wallclock() - ago, buf);
	buf[19] = '\0';
	return xstrdup(buf);
}

static void report(const struct patchwork_poll *p)
{
	size_t i, fresh = 0;

	for (i = 0; i < p->n; i++) {
		if (!p->v[i].fresh)
			continue;
		fresh++;
		printf("queued series %lld: patchwork %ld '%s'\n",
		       p->v[i].series_id, p->v[i].pw_id, p->v[i].name);
	}
	printf("%zu new series queued from %d page(s) of events since %s%s; "
	       "next poll from %s\n", fresh, p->pages, p->since,
	       p->first ? " (first poll: the last day; --since for more)" : "",
	       p->newest ? p->newest : p->since);
	if (p->capped)
		printf("stopped at the cap of %d pages; the next poll reads "
		       "on from %s\n", PATCHWORK_MAX_PAGES,
		       p->newest ? p->newest : p->since);
	if (p->malformed)
		warning("%zu malformed event(s) (no series id, or no readable "
			"date) skipped or not dated", p->malformed);
	if (p->future)
		warning("%zu event(s) dated more than a day ahead; their dates "
			"did not move the position", p->future);
	if (p->bad)
		error("%s; stopped there, the next poll reads on from %s",
		      p->bad, p->newest ? p->newest : p->since);
}

int cmd_poll(int argc, char **argv)
{
	const char *url = NULL, *project = NULL, *db = NULL;
	struct strbuf err = STRBUF_INIT;
	struct patchwork_poll p;
	struct store st;
	char *since = NULL;
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
		case 's':
			free(since);
			since = since_arg(optarg);
			if (!since) {
				error("--since %s: expected a date (2024-01-02"
				      "[T03:04:05]) or a duration ago (3d)",
				      optarg);
				return KFLAKE_EXIT_USAGE;
			}
			break;
		case 't':
			if (fetch_deadline_option(optarg))
				return KFLAKE_EXIT_USAGE;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			printf(poll_usage, PATCHWORK_MAX_PAGES);
			return 0;
		default:
			return util_usage_error("poll");
		}
	}
	if (optind < argc) {
		error("poll: unexpected argument '%s'", argv[optind]);
		ret = util_usage_error("poll");
		goto out_args;
	}
	if (!url || !project || !*project) {
		error("poll: --patchwork and --project are required");
		ret = util_usage_error("poll");
		goto out_args;
	}
	if (!fetch_is_url(url)) {
		error("--patchwork %s: expected an http(s) URL", url);
		ret = KFLAKE_EXIT_USAGE;
		goto out_args;
	}
	if (store_open(&st, db, 0)) {
		ret = KFLAKE_EXIT_FAIL;
		goto out_args;
	}
	if (patchwork_poll(&st, url, project, since, &p, &err)) {
		error("%s", strbuf_str(&err));
		ret = KFLAKE_EXIT_FAIL;
		goto out;
	}
	report(&p);
	if (p.bad)
		ret = KFLAKE_EXIT_FAIL;
	patchwork_poll_release(&p);
out:
	store_close(&st);
out_args:
	strbuf_release(&err);
	free(since);
	return ret;
}
