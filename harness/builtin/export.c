/*
 * builtin/export.c - `kflake export`: runs as JUnit XML (for GitLab and
 * Jenkins) or KCIDB v5.3 JSON (for KernelCI), written to a file through
 * a temporary file and a rename, or to stdout with "-".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "export.h"
#include "store.h"
#include "util.h"

static const char export_usage[] =
"usage: kflake export (--junit FILE | --kcidb FILE) [RUN | --since DATE]\n"
"                     [--db PATH]\n"
"\n"
"Write run RUN, every run started since DATE (YYYY-MM-DD or\n"
"YYYY-MM-DDTHH:MM[:SS], UTC), or by default the latest run, as:\n"
"\n"
"  --junit FILE   JUnit XML in Surefire 3.0's schema: one testcase per test\n"
"                 (classname: its suite). Any stall, crash or error gives an\n"
"                 <error>; only failures a <failure>; passes and failures a\n"
"                 passed testcase with one <flakyFailure> per failed\n"
"                 iteration; only skips <skipped>. Counts, failure rate,\n"
"                 95% interval and verdict are suite properties.\n"
"  --kcidb FILE   KCIDB v5.3 JSON: a checkout per commit, a build per\n"
"                 kernel, a test per iteration (origin kflake, path e.g.\n"
"                 net.udpgro_bench_sh). pass PASS, fail FAIL, stall and\n"
"                 crash FAIL (misc.outcome and misc.reason say which), error\n"
"                 ERROR, skip SKIP; log_excerpt is the output's last 16384\n"
"                 characters.\n"
"\n"
"FILE - writes to stdout. Both formats are also served by `kflake serve`\n"
"at /api/export/junit and /api/export/kcidb (?run=ID or ?since=DATE).\n";

static const struct option export_options[] = {
	{ "junit", required_argument, NULL, 'u' },
	{ "kcidb", required_argument, NULL, 'k' },
	{ "since", required_argument, NULL, 's' },
	{ "db", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_export(int argc, char **argv)
{
	const char *junit = NULL, *kcidb = NULL, *db = NULL, *file;
	struct export_sel sel = { 0 };
	struct strbuf out = STRBUF_INIT;
	struct store st;
	long run = 0;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", export_options, NULL)) != -1) {
		switch (c) {
		case 'u': junit = optarg; break;
		case 'k': kcidb = optarg; break;
		case 's': sel.since = optarg; break;
		case 'd': db = optarg; break;
		case 'h':
			fputs(export_usage, stdout);
			return 0;
		default:
			return util_usage_error("export");
		}
	}
	if (!junit == !kcidb) {
		error("export: one of --junit FILE or --kcidb FILE");
		return util_usage_error("export");
	}
	if (optind < argc) {
		if (optind + 1 < argc || sel.since ||
		    util_parse_int(argv[optind], 1, 1L << 62, &run)) {
			error("export: RUN %s: expected one run id (or --since)",
			      argv[optind]);
			return util_usage_error("export");
		}
		sel.run = run;
	}
	if (sel.since && export_since_valid(sel.since)) {
		error("export: --since %s: expected YYYY-MM-DD or "
		      "YYYY-MM-DDTHH:MM[:SS] (UTC)", sel.since);
		return util_usage_error("export");
	}
	file = junit ? junit : kcidb;
	if (store_open(&st, db, STORE_READONLY))
		return KFLAKE_EXIT_FAIL;
	ret = junit ? export_junit(&st, &sel, &out) :
		      export_kcidb(&st, &sel, &out);
	store_close(&st);
	if (!ret) {
		if (!strcmp(file, "-"))
			ret = fwrite(out.buf, 1, out.len, stdout) == out.len ?
			      0 : error("export: cannot write stdout");
		else if (util_write_file(file, out.buf, out.len))
			ret = error("export: %s: cannot write: %s", file,
				    strerror(errno));
	}
	strbuf_release(&out);
	return ret ? KFLAKE_EXIT_FAIL : 0;
}
