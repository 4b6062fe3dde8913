/*
 * builtin/runs.c - `kflake runs`: the list of runs, newest first.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "builtin.h"
#include "store.h"
#include "util.h"

static const char runs_usage[] =
"usage: kflake runs [--db PATH] [--limit N] [--json]\n"
"\n"
"List runs, newest first: id, state, commit, tests, iterations done of\n"
"planned, and when it started.\n";

static const struct option runs_options[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "limit", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_runs(int argc, char **argv)
{
	const char *db = NULL;
	long limit = 20;
	int json = 0, c, ret = 0;
	struct store st;
	sqlite3_stmt *stmt;
	json_t *arr = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", runs_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'n':
			if (util_parse_int(optarg, 1, 1000000, &limit)) {
				error("--limit %s: expected a positive number",
				      optarg);
				return KFLAKE_EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(runs_usage, stdout);
			return 0;
		default:
			return util_usage_error("runs");
		}
	}
	if (store_open(&st, db, STORE_READONLY))
		return KFLAKE_EXIT_FAIL;
	stmt = store_prepare(&st,
		"SELECT r.id, r.kind, r.state, substr(coalesce(r.commit_id, ''), 1, 12), "
		"r.tests, r.iterations, r.started_at, coalesce(r.accel, ''), "
		"(SELECT count(*) FROM iterations i WHERE i.run_id = r.id), "
		"coalesce(r.error, '') FROM runs r ORDER BY r.id DESC LIMIT ?",
		"i", (int)limit);
	if (!stmt) {
		store_close(&st);
		return KFLAKE_EXIT_FAIL;
	}
	if (json)
		arr = json_array();
	else
		printf("%5s  %-11s %-12s %-5s %9s  %-20s  %s\n", "id", "state",
		       "commit", "accel", "done", "started", "tests");
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(stmt, 0);
		long planned = sqlite3_column_int(stmt, 5);
		long done = sqlite3_column_int(stmt, 8);
		json_t *tests = json_loads(store_col_text(stmt, 4), 0, NULL);
		long ntests = tests ? (long)json_array_size(tests) : 0;

		if (json) {
			json_array_append_new(arr, json_pack(
				"{s:I, s:s, s:s, s:s, s:o, s:i, s:i, s:s, s:s, s:s}",
				"id", (json_int_t)id, "kind", store_col_text(stmt, 1),
				"state", store_col_text(stmt, 2),
				"commit", store_col_text(stmt, 3),
				"tests", tests ? tests : json_array(),
				"iterations", (int)planned, "done", (int)done,
				"started_at", store_col_text(stmt, 6),
				"accel", store_col_text(stmt, 7),
				"error", store_col_text(stmt, 9)));
			continue;
		}
		printf("%5lld  %-11s %-12s %-5s %4ld/%-4ld  %-20s  %s\n", id,
		       store_col_text(stmt, 2), store_col_text(stmt, 3),
		       store_col_text(stmt, 7), done, planned * ntests,
		       store_col_text(stmt, 6), store_col_text(stmt, 4));
		json_decref(tests);
	}
	sqlite3_finalize(stmt);
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
		json_decref(arr);
	}
	store_close(&st);
	return ret;
}
