/*
 * builtin/series.c - `kflake series fetch SRC`: fetch a patch series,
 * apply it on a base commit and print the resulting commit. No build:
 * `kflake run --series SRC` is the command that tests it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "builtin.h"
#include "fetch.h"
#include "series.h"
#include "store.h"
#include "util.h"

static const char series_usage[] =
"usage: kflake series fetch SRC [--tree T] [--ref BASE] [--allow-incomplete]\n"
"                           [--net-timeout SECS] [--db PATH] [--json]\n"
"\n"
"Fetch a patch series, apply it with libgit2 on BASE (default: the tree's\n"
"default branch) and print the resulting commit, which the ref\n"
"refs/kflake/series/<id>-<commit> in the tree's repository keeps. SRC is\n"
"one of:\n"
"\n"
"  FILE or DIR          an mbox file, or a directory of git format-patch files\n"
"  http(s)://...        an mbox to download, e.g. lore's .../t.mbox.gz\n"
"  pw:URL/ID            patchwork series ID of the instance at URL\n"
"  git:URL#BRANCH       the commits of BRANCH since its merge base with BASE\n"
"\n"
"  --allow-incomplete   test the patches that are there when some are missing\n"
"  --net-timeout SECS   total time for each network operation (a download\n"
"                       with its retries, a git fetch); default 120 s or\n"
"                       $KFLAKE_NET_TIMEOUT\n"
"\n"
"A patchwork series may be spelled pw:URL/ID, pw:URL/api/1.3/series/ID/,\n"
"pw:URL/series/ID/mbox/ or as its web list URL (...?series=ID); all name\n"
"one series. The same mails (Message-IDs) on the same base are the same\n"
"series: fetching it again reuses its row, commits and ref. A series with\n"
"patches missing is recorded as incomplete and not applied unless\n"
"--allow-incomplete is given.\n"
"\n"
"Exit status: 0 applied, 1 a patch did not apply, the series is incomplete\n"
"or could not be fetched, 2 on bad usage.\n";

enum { OPT_TREE = 256, OPT_REF, OPT_INCOMPLETE, OPT_DB, OPT_JSON,
       OPT_NET_TIMEOUT };

static const struct option series_options[] = {
	{ "tree", required_argument, NULL, OPT_TREE },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "allow-incomplete", no_argument, NULL, OPT_INCOMPLETE },
	{ "net-timeout", required_argument, NULL, OPT_NET_TIMEOUT },
	{ "db", required_argument, NULL, OPT_DB },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void print_notes(const char *source, const char *notes)
{
	const char *p = notes;

	while (p && *p) {
		size_t l = strcspn(p, "\n");

		warning("%s: %.*s", source, (int)l, p);
		p += l;
		if (*p)
			p++;
	}
}

int cmd_series(int argc, char **argv)
{
	struct series_opts o = { 0 };
	struct series_result r;
	struct strbuf err = STRBUF_INIT;
	const char *db = NULL;
	struct store st;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", series_options, NULL)) != -1) {
		switch (c) {
		case OPT_TREE:
			o.tree = optarg;
			break;
		case OPT_REF:
			o.ref = optarg;
			break;
		case OPT_INCOMPLETE:
			o.allow_incomplete = 1;
			break;
		case OPT_NET_TIMEOUT:
			if (fetch_deadline_option(optarg))
				return KFLAKE_EXIT_USAGE;
			break;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'h':
			fputs(series_usage, stdout);
			return 0;
		default:
			return util_usage_error("series");
		}
	}
	if (optind + 2 != argc || strcmp(argv[optind], "fetch")) {
		error("series: expected 'fetch SOURCE'");
		return util_usage_error("series");
	}
	o.source = argv[optind + 1];
	if (json)
		util_set_quiet(1);
	if (store_open(&st, db, 0))
		return KFLAKE_EXIT_FAIL;
	rc = series_fetch(&st, &o, &r, &err);
	store_close(&st);
	if (rc < 0) {
		error("%s", strbuf_str(&err));
		strbuf_release(&err);
		return KFLAKE_EXIT_FAIL;
	}
	strbuf_release(&err);
	if (json) {
		json_t *j = series_result_json(&r);
		char *s = json_dumps(j, JSON_COMPACT);

		puts(s);
		free(s);
		json_decref(j);
	} else {
		print_notes(o.source, r.notes);
		if (r.applied)
			printf("series %lld: '%s' v%d, %zu patch(es) applied on "
			       "%.12s: %s (%s%s)\n", r.id, r.subject, r.version,
			       r.npatches, r.base, r.result, r.ref,
			       r.reused ? "; fetched before, reused" : "");
		else
			error("series %lld: %s%s", r.id, r.error,
			      r.reused ? " (fetched before)" : "");
	}
	series_result_release(&r);
	return rc ? KFLAKE_EXIT_FAIL : 0;
}
