/*
 * builtin/alert.c - `kflake alert`: scan tracked histories for changes
 * in a test's failure rate, list and show the alerts, and move them
 * through their states (new, acknowledged, fixed). The detection is
 * changepoint.c's, the table alert.c's; this file is the command line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "builtin.h"
#include "store.h"
#include "util.h"

static const char alert_usage[] =
"usage: kflake alert [list] [--all] [--state S] [--test T] [--json]\n"
"       kflake alert show ID [--json]\n"
"       kflake alert scan [--ref REF [--tree SRC]] [--test T] [-q] [--json]\n"
"       kflake alert ack ID [--note TEXT]\n"
"       kflake alert fixed ID [--note TEXT]\n"
"       kflake alert reopen ID\n"
"\n"
"Change-point alerts: where along a tracked branch a test's failure rate\n"
"changed. `scan` walks REF's first-parent commits (oldest first), pools\n"
"the iterations of each commit per test and kconfig set, and segments\n"
"each history with LUCI Analysis's beta-binomial Bayesian method (see\n"
"docs/STATISTICS.md). Each change is an alert: the commit range holding\n"
"it (a 99% interval), the rates before and after with 95% intervals, and\n"
"the evidence (Bayes factor, Fisher's p). A later scan finds the same\n"
"alert again and keeps its state; one it no longer finds is withdrawn.\n"
"Without --ref, `scan` rescans every history scanned before.\n"
"\n"
"  --all          list withdrawn and fixed alerts too\n"
"  --state S      only alerts in state S (new, acknowledged, fixed)\n"
"  --test T       only tests whose name contains T\n"
"  --ref REF      the branch to scan (a ref of --tree)\n"
"  --tree SRC     kernel tree (default: linux-source-6.1)\n"
"  --note TEXT    why the state changed (ack, fixed)\n"
"  --db PATH      database\n"
"  --json         JSON output\n"
"\n"
"`kflake bisect --alert ID` bisects an alert's range.\n";

static const struct option alert_options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "state", required_argument, NULL, 's' },
	{ "test", required_argument, NULL, 't' },
	{ "ref", required_argument, NULL, 'r' },
	{ "tree", required_argument, NULL, 'T' },
	{ "note", required_argument, NULL, 'n' },
	{ "db", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct alert_args {
	const char *verb;
	long long id;
	int all, json, quiet;
	const char *state, *test, *ref, *tree, *note, *db;
};

static int parse(struct alert_args *a, int argc, char **argv)
{
	int c;
	long v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", alert_options, NULL)) != -1) {
		switch (c) {
		case 'a': a->all = 1; break;
		case 's': a->state = optarg; break;
		case 't': a->test = optarg; break;
		case 'r': a->ref = optarg; break;
		case 'T': a->tree = optarg; break;
		case 'n': a->note = optarg; break;
		case 'd': a->db = optarg; break;
		case 'j': a->json = 1; break;
		case 'q': a->quiet = 1; break;
		case 'h':
			fputs(alert_usage, stdout);
			return 1;
		default:
			return -1;
		}
	}
	a->verb = optind < argc ? argv[optind++] : "list";
	if (!strcmp(a->verb, "list") || !strcmp(a->verb, "scan")) {
		if (optind < argc)
			return error("alert %s: unexpected argument '%s'",
				     a->verb, argv[optind]);
		if (a->tree && !a->ref)
			return error("alert scan: --tree needs --ref");
		return 0;
	}
	if (strcmp(a->verb, "show") && strcmp(a->verb, "ack") &&
	    strcmp(a->verb, "fixed") && strcmp(a->verb, "reopen"))
		return error("alert: unknown action '%s'", a->verb);
	if (optind + 1 != argc)
		return error("alert %s: one alert id expected", a->verb);
	if (util_parse_int(argv[optind], 1, 1L << 62, &v))
		return error("alert %s: ID %s: expected an alert id", a->verb,
			     argv[optind]);
	a->id = v;
	return 0;
}

static int list(struct store *st, const struct alert_args *a)
{
	struct alert_filter f = { a->state, !a->all && !a->state, a->test, 0 };
	struct alert *v;
	int n = alert_list(st, &f, &v), i;

	if (n < 0)
		return KFLAKE_EXIT_FAIL;
	if (a->json) {
		json_t *arr = json_array();
		char *s;

		for (i = 0; i < n; i++)
			json_array_append_new(arr, alert_json(&v[i]));
		s = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
		json_decref(arr);
	} else if (!n) {
		printf("no %salerts\n", f.open_only ? "open " : "");
	} else {
		printf("%5s  %-12s  %-6s  %-24s  %-14s  %-12s  %s\n", "alert",
		       "state", "change", "test", "before", "after", "at");
		for (i = 0; i < n; i++) {
			char b[32], af[32];

			snprintf(b, sizeof(b), "%ld/%ld", v[i].k0, v[i].n0);
			snprintf(af, sizeof(af), "%ld/%ld", v[i].k1, v[i].n1);
			printf("%5lld  %-12s  %-6s  %-24s  %-14s  %-12s  %.*s%s\n",
			       v[i].id, v[i].state, v[i].direction, v[i].test,
			       b, af, strcmp(v[i].axis, HISTORY_AXIS_GIT) ? 80 :
			       12, v[i].nominal,
			       v[i].current ? "" : " (withdrawn)");
		}
	}
	alert_list_release(v, n);
	return 0;
}

static int show(struct store *st, const struct alert_args *a)
{
	struct alert al;

	if (alert_load(st, a->id, &al))
		return KFLAKE_EXIT_FAIL;
	if (a->json) {
		json_t *o = alert_json(&al);
		char *s = json_dumps(o, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		alert_print(stdout, &al);
	}
	alert_release(&al);
	return 0;
}

static int scan(struct store *st, const struct alert_args *a)
{
	struct alert_scan_result r;
	FILE *out = a->quiet || a->json ? NULL : stdout;
	char *what;

	if (!a->ref)
		return alert_scan_all(st, out) ? KFLAKE_EXIT_FAIL : 0;
	if (alert_scan_ref(st, a->tree, a->ref, a->test, &r))
		return KFLAKE_EXIT_FAIL;
	what = xasprintf("%s %s", a->tree ? a->tree : "linux-source-6.1",
			 a->ref);
	alert_scan_print(out, what, &r);
	free(what);
	if (a->json)
		printf("{\"positions\": %zu, \"pools\": %zu, \"changes\": %d, "
		       "\"created\": %d, \"updated\": %d, \"withdrawn\": %d}\n",
		       r.positions, r.series, r.found, r.created, r.updated,
		       r.withdrawn);
	else if (!a->quiet && r.found)
		alert_report(st, stdout, 0);
	return 0;
}

int cmd_alert(int argc, char **argv)
{
	struct alert_args a = { 0 };
	const char *state = NULL;
	struct store st;
	int ret, ro;

	ret = parse(&a, argc, argv);
	if (ret)
		return ret < 0 ? util_usage_error("alert") : 0;
	ro = !strcmp(a.verb, "list") || !strcmp(a.verb, "show");
	if (store_open(&st, a.db, ro ? STORE_READONLY : 0))
		return KFLAKE_EXIT_FAIL;
	if (!strcmp(a.verb, "list"))
		ret = list(&st, &a);
	else if (!strcmp(a.verb, "show"))
		ret = show(&st, &a);
	else if (!strcmp(a.verb, "scan"))
		ret = scan(&st, &a);
	else {
		state = !strcmp(a.verb, "ack") ? "acknowledged" :
			!strcmp(a.verb, "fixed") ? "fixed" : "new";
		ret = alert_set_state(&st, a.id, state, a.note) ?
		      KFLAKE_EXIT_FAIL : 0;
		if (!ret && !a.quiet)
			printf("alert %lld: %s\n", a.id, state);
	}
	store_close(&st);
	return ret;
}
