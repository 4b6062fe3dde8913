/*
 * builtin/report.c - `kflake report`: the score table of one run, or of
 * every run of a commit, or of everything recorded.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "alert.h"
#include "builtin.h"
#include "matrix.h"
#include "record.h"
#include "report.h"
#include "store.h"
#include "util.h"

static const char report_usage[] =
"usage: kflake report [RUN] [--commit SHA] [--db PATH] [--json]\n"
"       kflake report --alerts [--db PATH] [--json]\n"
"       kflake report --matrix [--plan NAME] [--db PATH] [--json]\n"
"\n"
"Score tests: runs, outcome counts, failure rate (fail+stall+crash over\n"
"runs with a verdict) with its 95% Wilson interval, median and max\n"
"duration, and a verdict (stable, flaky, failing, undecided; see\n"
"docs/STATISTICS.md). Without RUN, all runs (of --commit, if given).\n"
"--alerts lists the open change-point alerts instead (see kflake alert).\n"
"--matrix shows test x kernel for the kernels CI plans tested (their\n"
"refs, series and the series' bases; --plan: one plan's, by its name):\n"
"failure rate, 95% interval, verdict, and the values C reproducers\n"
"printed (\"# value ...\"); without CI, the kernels of the latest runs.\n";

static const struct option report_options[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "commit", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "alerts", no_argument, NULL, 'a' },
	{ "matrix", no_argument, NULL, 'm' },
	{ "plan", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int print_matrix(struct store *st, const char *plan, int json)
{
	struct matrix m;

	if (matrix_load(st, plan, &m))
		return KFLAKE_EXIT_FAIL;
	if (json) {
		json_t *j = matrix_json(&m);
		char *s = json_dumps(j, JSON_COMPACT);

		puts(s);
		free(s);
		json_decref(j);
	} else {
		matrix_print(&m);
	}
	matrix_release(&m);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	const char *db = NULL, *commit = NULL, *plan = NULL;
	long run = 0;
	int json = 0, alerts = 0, matrix = 0, c, ret;
	struct store st;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", report_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			commit = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'a':
			alerts = 1;
			break;
		case 'm':
			matrix = 1;
			break;
		case 'p':
			plan = optarg;
			break;
		case 'h':
			fputs(report_usage, stdout);
			return 0;
		default:
			return util_usage_error("report");
		}
	}
	if (optind < argc && util_parse_int(argv[optind], 1, 1L << 62, &run)) {
		error("report: RUN %s: expected a run id", argv[optind]);
		return KFLAKE_EXIT_USAGE;
	}
	if (alerts && (optind < argc || commit)) {
		error("report: --alerts takes no RUN or --commit");
		return KFLAKE_EXIT_USAGE;
	}
	if ((matrix || plan) && (optind < argc || commit || alerts || !matrix)) {
		error("report: --matrix takes no RUN, --commit or --alerts "
		      "(--plan goes with --matrix)");
		return KFLAKE_EXIT_USAGE;
	}
	if (store_open(&st, db, STORE_READONLY))
		return KFLAKE_EXIT_FAIL;
	if (matrix) {
		ret = print_matrix(&st, plan, json);
		store_close(&st);
		return ret;
	}
	if (alerts) {
		ret = alert_report(&st, stdout, json);
		store_close(&st);
		return ret ? KFLAKE_EXIT_FAIL : 0;
	}
	if (run && record_run_exists(&st, run) <= 0) {
		store_close(&st);
		error("report: no run %ld", run);
		return KFLAKE_EXIT_FAIL;
	}
	ret = report_print(&st, run, commit, json ? REPORT_JSON : REPORT_TABLE);
	store_close(&st);
	return ret ? KFLAKE_EXIT_FAIL : 0;
}
