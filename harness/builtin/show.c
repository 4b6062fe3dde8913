/*
 * builtin/show.c - `kflake show RUN`: one run with its kernel, QEMU
 * command line, every iteration (outcome, reason, durations), the crash
 * reports it hit and the snapshots of its stalls.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "artefact.h"
#include "builtin.h"
#include "crashwatch.h"
#include "pool.h"
#include "record.h"
#include "report.h"
#include "snapshot.h"
#include "store.h"
#include "util.h"

static const char show_usage[] =
"usage: kflake show RUN [--db PATH] [--output] [--json]\n"
"\n"
"Show a run: tree, commit, kernel, accelerator and QEMU command line;\n"
"each iteration's outcome, exit code, reason and durations; the crash\n"
"reports seen (grouped by fingerprint) and stall snapshots.\n"
"  --output   also print each iteration's test output\n";

static const struct option show_options[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "output", no_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void print_json_text(const char *label, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	printf("%s%s\n", label, s ? s : "");
	free(s);
}

static int show_header(const struct record_run_info *r)
{
	char *setup;

	printf("run %lld (%s): %s\n", r->id, r->kind, r->state);
	printf("  tree:     %s\n  ref:      %s\n  commit:   %s\n",
	       or_empty(r->tree), or_empty(r->ref), or_empty(r->commit_id));
	printf("  started:  %s\n  finished: %s\n", r->started_at,
	       or_empty(r->finished_at));
	print_json_text("  command:  ", r->argv);
	printf("  kernel:   %s\n  config:   %s\n  compiler: %s\n",
	       or_empty(r->image_path), or_empty(r->config_hash),
	       or_empty(r->compiler));
	if (r->build_sandbox)
		printf("  sandbox:  %s\n", r->build_sandbox);
	if (r->fragments)
		print_json_text("  fragments: ", r->fragments);
	printf("  accel:    %s\n  qemu:     %s\n", or_empty(r->accel),
	       or_empty(r->qemu_cmdline));
	/* What its iterations pool by, stress included (pool.h). */
	setup = pool_describe(&r->pool);
	printf("  setup:    %s\n", setup);
	free(setup);
	if (r->error && *r->error)
		printf("  error:    %s\n", r->error);
	return 0;
}

/* Each boot's console log: named only when it is this database's own. */
static void show_boots(struct store *st, long long run)
{
	struct record_boot_info *b;
	int i, n = record_boot_list(st, run, 1000, &b, NULL);

	for (i = 0; i < n; i++) {
		const char *log = b[i].console_path, *note = "";

		printf("  boot %d:   %s, %s", b[i].seq, or_empty(b[i].accel),
		       b[i].end_reason ? b[i].end_reason : "running");
		if (b[i].ready_seconds >= 0)
			printf(", ready after %.1f s", b[i].ready_seconds);
		if (log && !artefact_path_ok(st, log))
			note = errno == EPERM ? " (refused: outside this "
						"database's artefacts)"
					      : " (missing)";
		printf(", console %s%s\n", log ? log : "none", note);
	}
	if (n > 0)
		record_boot_list_release(b, n);
}

/* What the host refused to read (or cut) of the guest's files. */
static void print_refused(const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");

		printf("%8s guest file: %.*s\n", "", (int)n, p);
		p += n;
		if (*p)
			p++;
	}
}

static void show_iterations(struct store *st, long long run, int output)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_iteration_info *v;
	int i, n;

	f.run_id = run;
	f.with_text = output;
	n = record_iteration_list(st, &f, &v, NULL);
	if (n < 0)
		return;
	printf("\n%6s  %-24s %4s  %-6s %4s %8s %8s %4s  %s\n", "iter", "test",
	       "k", "result", "rc", "wall", "guest", "boot", "reason");
	for (i = 0; i < n; i++) {
		char rc[16] = "-", guest[16] = "-";

		if (v[i].has_rc)
			snprintf(rc, sizeof(rc), "%d", v[i].rc);
		if (v[i].guest_duration >= 0)
			snprintf(guest, sizeof(guest), "%.1f",
				 v[i].guest_duration);
		printf("%6lld  %-24.24s %4d  %-6s %4s %8.1f %8s %4d  %s\n",
		       v[i].id, v[i].test, v[i].seq,
		       record_outcome_name(v[i].outcome), rc,
		       v[i].duration < 0 ? 0 : v[i].duration, guest,
		       v[i].boot_seq, v[i].reason);
		if (v[i].artefact_error)
			print_refused(v[i].artefact_error);
		if (output && v[i].output && *v[i].output)
			printf("--- output ---\n%s\n--- end ---\n", v[i].output);
	}
	record_iteration_list_release(v, n);
}

static void show_crashes(struct store *st, long long run)
{
	struct crash_info *v;
	int i, n = crashwatch_run_list(st, run, &v);

	for (i = 0; i < n; i++) {
		const char *p = v[i].frames;

		if (!i)
			printf("\ncrashes:\n");
		printf("  crash %lld [%s] %s\n    fingerprint %.12s, %ld hit(s) "
		       "in this run (iterations %s", v[i].id, or_empty(v[i].kind),
		       or_empty(v[i].title), or_empty(v[i].fingerprint),
		       v[i].run_hits, v[i].iterations ? v[i].iterations : "none");
		if (v[i].outside)
			printf("; %ld outside any test: booting or between "
			       "tests", v[i].outside);
		printf("), %ld in all\n", v[i].count);
		if (p && *p) {
			printf("    frames:");
			for (; *p; p++)
				putchar(*p == '\n' ? ' ' : *p);
			putchar('\n');
		}
	}
	if (n > 0)
		crashwatch_list_release(v, n);
}

/* Stalls by class, as crashes are by fingerprint (snapshot.h). */
static void show_stalls(struct store *st, long long run)
{
	struct snapshot_group *g;
	int n = snapshot_groups(st, run, NULL, &g), i;

	for (i = 0; i < n; i++) {
		if (!i)
			printf("\nstalls:\n");
		printf("  %s: %ld iteration(s) of %s\n", g[i].label,
		       g[i].iterations, g[i].test_names);
		if (g[i].summary) {
			const char *p = g[i].summary;
			size_t len = strcspn(p, "\n");

			printf("    %.*s%s\n", (int)len, p, p[len] ? " ..." : "");
		}
	}
	if (n > 0)
		snapshot_groups_release(g, n);
}

static void show_snapshots(struct store *st, long long run)
{
	struct snapshot_info *v;
	int i, n = snapshot_list(st, run, 0, 1000, &v, NULL);

	for (i = 0; i < n; i++) {
		printf("\nstall snapshot of iteration %lld (%s %d): %s\n",
		       v[i].iteration_id, v[i].test, v[i].seq,
		       v[i].label ? v[i].label : "unlabelled");
		if (v[i].summary && *v[i].summary)
			printf("  %s\n", v[i].summary);
		printf("%s\n", v[i].content);
	}
	if (n > 0)
		snapshot_list_release(v, n);
}

int cmd_show(int argc, char **argv)
{
	const char *db = NULL;
	int output = 0, json = 0, c, ret = 0, found;
	struct record_run_info r;
	long run;
	struct store st;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", show_options, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'o':
			output = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(show_usage, stdout);
			return 0;
		default:
			return util_usage_error("show");
		}
	}
	if (optind >= argc || util_parse_int(argv[optind], 1, 1L << 62, &run)) {
		error("show: expected a run id (see kflake runs)");
		return KFLAKE_EXIT_USAGE;
	}
	if (store_open(&st, db, STORE_READONLY))
		return KFLAKE_EXIT_FAIL;
	found = record_run_load(&st, run, &r);
	if (found) {
		if (found > 0)
			error("show: no run %ld", run);
		ret = -1;
	} else if (json) {
		ret = report_print(&st, run, NULL, REPORT_JSON);
	} else {
		show_header(&r);
		show_boots(&st, run);
		show_iterations(&st, run, output);
		show_crashes(&st, run);
		show_stalls(&st, run);
		show_snapshots(&st, run);
		report_run(&st, run, REPORT_TABLE);
	}
	if (!found)
		record_run_info_release(&r);
	store_close(&st);
	return ret ? KFLAKE_EXIT_FAIL : 0;
}
