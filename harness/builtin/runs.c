/*
 * builtin/runs.c - `kflake runs`: the list of runs, newest first.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "builtin.h"
#include "record.h"
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

static void print_runs(const struct record_run_info *v, int n)
{
	int i;

	printf("%5s  %-11s %-12s %-5s %9s  %-20s  %s\n", "id", "state",
	       "commit", "accel", "done", "started", "tests");
	for (i = 0; i < n; i++) {
		char *tests = json_dumps(v[i].tests, JSON_COMPACT);

		printf("%5lld  %-11s %-12.12s %-5s %4ld/%-4ld  %-20s  %s\n",
		       v[i].id, v[i].state, v[i].commit_id ? v[i].commit_id : "",
		       v[i].accel ? v[i].accel : "", v[i].score.iterations,
		       record_run_planned(&v[i]), v[i].started_at,
		       tests ? tests : "[]");
		free(tests);
	}
}

static void print_runs_json(const struct record_run_info *v, int n)
{
	json_t *a = json_array();
	char *s;
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, record_run_json(&v[i]));
	s = json_dumps(a, JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
	json_decref(a);
}

int cmd_runs(int argc, char **argv)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_run_info *v;
	const char *db = NULL;
	long limit = 20;
	int json = 0, c, n;
	struct store st;

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
	f.limit = limit;
	n = record_run_list(&st, &f, &v, NULL);
	if (n < 0) {
		store_close(&st);
		return KFLAKE_EXIT_FAIL;
	}
	if (json)
		print_runs_json(v, n);
	else
		print_runs(v, n);
	record_run_list_release(v, n);
	store_close(&st);
	return 0;
}
