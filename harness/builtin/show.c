/*
 * builtin/show.c - `kflake show RUN`: one run with its kernel, QEMU
 * command line, every iteration (outcome, reason, durations), the crash
 * reports it hit and the snapshots of its stalls.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "report.h"
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

static int show_header(struct store *st, long long run)
{
	sqlite3_stmt *s = store_prepare(st,
		"SELECT r.state, r.kind, coalesce(t.source, ''), r.ref, r.commit_id, "
		"r.started_at, coalesce(r.finished_at, ''), coalesce(r.accel, ''), "
		"coalesce(r.qemu_cmdline, ''), coalesce(r.error, ''), "
		"coalesce(k.image_path, ''), coalesce(k.config_hash, ''), "
		"coalesce(k.compiler, ''), coalesce(k.build_seconds, 0), r.argv, "
		"coalesce(r.fragments, '') "
		"FROM runs r LEFT JOIN trees t ON t.id = r.tree_id "
		"LEFT JOIN kernels k ON k.id = r.kernel_id WHERE r.id = ?",
		"I", run);

	if (!s)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return error("show: no run %lld", run);
	}
	printf("run %lld (%s): %s\n", run, store_col_text(s, 1),
	       store_col_text(s, 0));
	printf("  tree:     %s\n  ref:      %s\n  commit:   %s\n",
	       store_col_text(s, 2), store_col_text(s, 3), store_col_text(s, 4));
	printf("  started:  %s\n  finished: %s\n", store_col_text(s, 5),
	       store_col_text(s, 6));
	printf("  command:  %s\n", store_col_text(s, 14));
	printf("  kernel:   %s\n  config:   %s\n  compiler: %s\n",
	       store_col_text(s, 10), store_col_text(s, 11),
	       store_col_text(s, 12));
	if (*store_col_text(s, 15))
		printf("  fragments: %s\n", store_col_text(s, 15));
	printf("  accel:    %s\n  qemu:     %s\n", store_col_text(s, 7),
	       store_col_text(s, 8));
	if (*store_col_text(s, 9))
		printf("  error:    %s\n", store_col_text(s, 9));
	sqlite3_finalize(s);
	return 0;
}

static void show_iterations(struct store *st, long long run, int output)
{
	sqlite3_stmt *s = store_prepare(st,
		"SELECT i.id, i.test, i.seq, i.outcome, i.rc, coalesce(i.reason, ''), "
		"i.duration, i.guest_duration, i.timeout, coalesce(i.output, ''), "
		"coalesce(b.seq, 0) FROM iterations i LEFT JOIN boots b "
		"ON b.id = i.boot_id WHERE i.run_id = ? ORDER BY i.id", "I", run);

	if (!s)
		return;
	printf("\n%6s  %-24s %4s  %-6s %4s %8s %8s %4s  %s\n", "iter", "test",
	       "k", "result", "rc", "wall", "guest", "boot", "reason");
	while (sqlite3_step(s) == SQLITE_ROW) {
		char rc[16] = "-", guest[16] = "-";

		if (sqlite3_column_type(s, 4) != SQLITE_NULL)
			snprintf(rc, sizeof(rc), "%d", sqlite3_column_int(s, 4));
		if (sqlite3_column_type(s, 7) != SQLITE_NULL)
			snprintf(guest, sizeof(guest), "%.1f",
				 sqlite3_column_double(s, 7));
		printf("%6lld  %-24.24s %4d  %-6s %4s %8.1f %8s %4d  %s\n",
		       (long long)sqlite3_column_int64(s, 0),
		       store_col_text(s, 1), sqlite3_column_int(s, 2),
		       store_col_text(s, 3), rc, sqlite3_column_double(s, 6),
		       guest, sqlite3_column_int(s, 10), store_col_text(s, 5));
		if (output && *store_col_text(s, 9))
			printf("--- output ---\n%s\n--- end ---\n",
			       store_col_text(s, 9));
	}
	sqlite3_finalize(s);
}

static void show_crashes(struct store *st, long long run)
{
	sqlite3_stmt *s = store_prepare(st,
		"SELECT c.id, c.kind, c.title, substr(c.fingerprint, 1, 12), "
		"count(h.id), coalesce(group_concat(DISTINCT h.iteration_id), "
		"'none'), c.count, coalesce(c.frames, ''), "
		"sum(h.iteration_id IS NULL) FROM crash_hits h JOIN crashes c "
		"ON c.id = h.crash_id WHERE h.run_id = ? GROUP BY c.id "
		"ORDER BY c.id", "I", run);
	int any = 0;

	if (!s)
		return;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (!any++)
			printf("\ncrashes:\n");
		printf("  crash %lld [%s] %s\n    fingerprint %s, %d hit(s) in "
		       "this run (iterations %s", (long long)
		       sqlite3_column_int64(s, 0), store_col_text(s, 1),
		       store_col_text(s, 2), store_col_text(s, 3),
		       sqlite3_column_int(s, 4), store_col_text(s, 5));
		if (sqlite3_column_int(s, 8))
			printf("; %d outside any test: booting or between "
			       "tests", sqlite3_column_int(s, 8));
		printf("), %d in all\n", sqlite3_column_int(s, 6));
		if (*store_col_text(s, 7)) {
			const char *p = store_col_text(s, 7);

			printf("    frames:");
			for (; *p; p++)
				putchar(*p == '\n' ? ' ' : *p);
			putchar('\n');
		}
	}
	sqlite3_finalize(s);
}

static void show_snapshots(struct store *st, long long run)
{
	sqlite3_stmt *s = store_prepare(st,
		"SELECT i.id, i.test, i.seq, coalesce(n.label, 'unlabelled'), "
		"coalesce(n.summary, ''), n.content FROM snapshots n "
		"JOIN iterations i ON i.id = n.iteration_id WHERE i.run_id = ? "
		"ORDER BY n.id", "I", run);

	if (!s)
		return;
	while (sqlite3_step(s) == SQLITE_ROW) {
		printf("\nstall snapshot of iteration %lld (%s %d): %s\n",
		       (long long)sqlite3_column_int64(s, 0),
		       store_col_text(s, 1), sqlite3_column_int(s, 2),
		       store_col_text(s, 3));
		if (*store_col_text(s, 4))
			printf("  %s\n", store_col_text(s, 4));
		printf("%s\n", store_col_text(s, 5));
	}
	sqlite3_finalize(s);
}

int cmd_show(int argc, char **argv)
{
	const char *db = NULL;
	int output = 0, json = 0, c, ret = 0;
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
	if (json) {
		ret = report_print(&st, run, NULL, REPORT_JSON);
	} else if (show_header(&st, run)) {
		ret = -1;
	} else {
		show_iterations(&st, run, output);
		show_crashes(&st, run);
		show_snapshots(&st, run);
		report_run(&st, run, REPORT_TABLE);
	}
	store_close(&st);
	return ret ? KFLAKE_EXIT_FAIL : 0;
}
