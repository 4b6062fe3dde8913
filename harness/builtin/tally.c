/*
 * builtin/tally.c - `kflake tally`: the kept per-test-and-pool tallies
 * the pages and reports read (db/010-tallies.sql) against a recount of
 * every iteration, and their rebuild.
 */
#include <getopt.h>
#include <stdio.h>

#include "builtin.h"
#include "record.h"
#include "store.h"
#include "util.h"

static const char tally_usage[] =
"usage: kflake tally (--check | --rebuild) [--db PATH]\n"
"\n"
"Every iteration adds to its test's tally (one row per test and pool:\n"
"kernel, kconfig set, guest size, stress, executor) in the transaction\n"
"that records it; the status pages and `kflake report` read the tallies\n"
"instead of counting all iterations again.\n"
"  --check    recount and compare; exit 0 when they agree, 1 (naming how\n"
"             many rows differ) when they do not\n"
"  --rebuild  recount them from the iterations, in one transaction (after\n"
"             rows were deleted by hand, or a restore)\n";

static const struct option tally_options[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "check", no_argument, NULL, 'c' },
	{ "rebuild", no_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_tally(int argc, char **argv)
{
	const char *db = NULL;
	int c, check = 0, rebuild = 0, ret = 0;
	struct store st;
	long diff;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", tally_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			check = 1;
			break;
		case 'r':
			rebuild = 1;
			break;
		case 'h':
			fputs(tally_usage, stdout);
			return 0;
		default:
			return util_usage_error("tally");
		}
	}
	if (optind < argc || check == rebuild) {
		error("tally: expected one of --check or --rebuild");
		return util_usage_error("tally");
	}
	if (store_open(&st, db, check ? STORE_READONLY : 0))
		return KFLAKE_EXIT_FAIL;
	if (rebuild) {
		ret = record_tally_rebuild(&st) ? KFLAKE_EXIT_FAIL : 0;
		if (!ret)
			info("tally: rebuilt from the iterations");
	} else {
		diff = record_tally_check(&st);
		if (diff < 0) {
			ret = KFLAKE_EXIT_FAIL;
		} else if (diff) {
			error("tally: %ld row(s) differ from a recount "
			      "(kflake tally --rebuild)", diff);
			ret = KFLAKE_EXIT_FAIL;
		} else {
			printf("tally: the tallies agree with the iterations\n");
		}
	}
	store_close(&st);
	return ret;
}
