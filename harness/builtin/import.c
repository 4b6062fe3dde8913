/*
 * builtin/import.c - `kflake import`: results from other CI systems as
 * iterations of an external source. Today: NIPA's contest results.
 * After an import, the alert scan runs over each NIPA stream touched.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "alert.h"
#include "builtin.h"
#include "nipa.h"
#include "store.h"
#include "util.h"

static const char import_usage[] =
"usage: kflake import --nipa FILE|URL [--no-alerts] [--db PATH] [-q]\n"
"\n"
"Read NIPA's contest results (github.com/linux-netdev/nipa, contest/):\n"
"one run's results file, a list of them (the collector's combined\n"
"all-results.json), or a results.json manifest whose entries name the\n"
"result files next to it (or their URLs). Each NIPA run (remote,\n"
"executor, branch) becomes a run of kind 'import' with one iteration\n"
"per test and its nested sub-results; a test NIPA retried after a\n"
"failure gets a second iteration marked as a retry. Failure rates and\n"
"alerts count first attempts only (NIPA retries only failures). A run\n"
"imported before is skipped, so importing the same file twice is safe.\n"
"Then each NIPA stream touched (the branch name without its date, e.g.\n"
"net-next) is scanned for change-point alerts, per test and executor,\n"
"along its branches in date order; --no-alerts skips that.\n";

static const struct option import_options[] = {
	{ "nipa", required_argument, NULL, 'n' },
	{ "no-alerts", no_argument, NULL, 'A' },
	{ "db", required_argument, NULL, 'd' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_import(int argc, char **argv)
{
	const char *nipa = NULL, *db = NULL;
	int c, quiet = 0, alerts = 1, ret = 0, i;
	struct nipa_result res;
	struct store st;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", import_options, NULL)) != -1) {
		switch (c) {
		case 'n': nipa = optarg; break;
		case 'A': alerts = 0; break;
		case 'd': db = optarg; break;
		case 'q': quiet = 1; break;
		case 'h':
			fputs(import_usage, stdout);
			return 0;
		default:
			return util_usage_error("import");
		}
	}
	if (!nipa || optind < argc) {
		error("import: --nipa FILE|URL is required (and nothing else)");
		return util_usage_error("import");
	}
	if (store_open(&st, db, 0))
		return KFLAKE_EXIT_FAIL;
	if (nipa_import(&st, nipa, &res)) {
		store_close(&st);
		return KFLAKE_EXIT_FAIL;
	}
	if (!quiet)
		printf("%s: %d run(s) imported (%d iteration(s), %d retr%s, %d "
		       "sub-result(s)); %d already imported, %d not finished "
		       "by NIPA\n", nipa, res.runs, res.iterations, res.retries,
		       res.retries == 1 ? "y" : "ies", res.subresults,
		       res.known, res.pending);
	for (i = 0; alerts && i < res.nstreams; i++) {
		struct alert_scan_result r;
		char *what = xasprintf("nipa %s", res.streams[i]);

		if (alert_scan_nipa(&st, res.streams[i], NULL, &r))
			ret = KFLAKE_EXIT_FAIL;
		else
			alert_scan_print(quiet ? NULL : stdout, what, &r);
		free(what);
	}
	nipa_result_release(&res);
	store_close(&st);
	return ret;
}
