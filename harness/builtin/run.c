/*
 * builtin/run.c - `kflake run`: tree -> config -> build -> boot -> run the
 * tests N times each -> score. Every step is recorded in the database as
 * it happens, so a run killed at any point is visible and consistent.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "job.h"
#include "progress.h"
#include "report.h"
#include "seriesrun.h"
#include "util.h"

static const char run_usage[] =
"usage: kflake run [options]\n"
"\n"
"Build a kernel, boot it in QEMU and run tests repeatedly, classifying\n"
"every iteration (pass, fail, skip, stall, crash, error) and scoring each\n"
"test's failure rate with a 95% Wilson interval.\n"
"\n"
"  --tree PATH|URL     kernel tree (default: Debian's linux-source-6.1,\n"
"                      imported once into a git repository in the cache)\n"
"  --ref REF           branch, tag or commit (default: HEAD)\n"
"  --test T            a kselftest (net:udpgro.sh, udpgro.sh) or a path to\n"
"                      an executable; repeatable (default: udpgro_frglist.sh\n"
"                      and udpgro_bench.sh)\n"
"  --iterations N      iterations of each test (default 5)\n"
"  --kconfig FILE      extra kconfig fragment, merged last; repeatable\n"
"  --timeout DUR       stall limit per iteration, e.g. 90, 90s, 5m (default:\n"
"                      3x the p99 runtime of the test's last passes, at\n"
"                      least 30s; with under 5 passes recorded, 180s; never\n"
"                      above the target's settings timeout)\n"
"  --idle DUR          stall when a test prints nothing this long (default:\n"
"                      3x the p99 of its longest silence when passing, at\n"
"                      least 15s, once 5 passes are recorded; 0: off)\n"
"  --jobs N            parallel make jobs (default: number of CPUs)\n"
"  --cpus N, --mem MB  guest size (default 2 CPUs, 2048 MB)\n"
"  --series SRC        test a patch series against its base: an mbox file or\n"
"                      directory, an http(s) mbox URL, pw:URL/ID (patchwork)\n"
"                      or git:URL#BRANCH; the base is --ref. Prints per\n"
"                      test the failure rates before and after, Fisher's p\n"
"                      and a verdict (regression, improvement, no change)\n"
"  --allow-incomplete  with --series: test what is there when patches are\n"
"                      missing\n"
"  --db PATH           database (default: $KFLAKE_DB or\n"
"                      ~/.local/share/kflake/kflake.db)\n"
"  -q, --quiet         only errors and the final table\n"
"  --json              one JSON object per event on stdout, then the report\n"
"\n"
"Exit status: 0 when every planned iteration ran, 1 when the run could not\n"
"(e.g. the kernel did not build), 2 on bad usage, 130 when interrupted.\n";

enum {
	OPT_TREE = 256, OPT_REF, OPT_TEST, OPT_ITER, OPT_KCONFIG, OPT_TIMEOUT,
	OPT_IDLE, OPT_JOBS, OPT_CPUS, OPT_MEM, OPT_DB, OPT_JSON,
	OPT_SERIES, OPT_INCOMPLETE,
};

static const struct option run_options[] = {
	{ "tree", required_argument, NULL, OPT_TREE },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "test", required_argument, NULL, OPT_TEST },
	{ "iterations", required_argument, NULL, OPT_ITER },
	{ "kconfig", required_argument, NULL, OPT_KCONFIG },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "db", required_argument, NULL, OPT_DB },
	{ "series", required_argument, NULL, OPT_SERIES },
	{ "allow-incomplete", no_argument, NULL, OPT_INCOMPLETE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int bad_value(const char *opt, const char *val, const char *what)
{
	error("%s %s: %s", opt, val, what);
	return KFLAKE_EXIT_USAGE;
}

static int parse_opt(struct job_opts *o, int c, const char *arg)
{
	long v;

	switch (c) {
	case OPT_TREE:
		o->tree = arg;
		break;
	case OPT_REF:
		o->ref = arg;
		break;
	case OPT_TEST:
		ALLOC_GROW(o->tests, o->ntests, o->tests_alloc);
		o->tests[o->ntests++] = arg;
		break;
	case OPT_KCONFIG:
		if (access(arg, R_OK))
			return bad_value("--kconfig", arg, "cannot read file");
		ALLOC_GROW(o->kconfigs, o->nkconfigs, o->kconfigs_alloc);
		o->kconfigs[o->nkconfigs++] = arg;
		break;
	case OPT_ITER:
		if (util_parse_int(arg, 1, 100000, &v))
			return bad_value("--iterations", arg,
					 "expected a whole number from 1 to 100000");
		o->iterations = (int)v;
		break;
	case OPT_TIMEOUT:
		if (util_parse_duration(arg, &o->timeout) || o->timeout < 1)
			return bad_value("--timeout", arg,
					 "expected a duration such as 90, 90s or 5m");
		break;
	case OPT_IDLE:
		if (util_parse_duration(arg, &o->idle))
			return bad_value("--idle", arg,
					 "expected a duration such as 30s (0: off)");
		o->idle_set = 1;
		break;
	case OPT_JOBS:
		if (util_parse_int(arg, 1, 1024, &v))
			return bad_value("--jobs", arg, "expected 1 to 1024");
		o->jobs = (int)v;
		break;
	case OPT_CPUS:
		if (util_parse_int(arg, 1, 64, &v))
			return bad_value("--cpus", arg, "expected 1 to 64");
		o->cpus = (int)v;
		break;
	case OPT_MEM:
		if (util_parse_int(arg, 256, 65536, &v))
			return bad_value("--mem", arg, "expected 256 to 65536 (MB)");
		o->mem_mb = (int)v;
		break;
	case OPT_DB:
		o->db = arg;
		break;
	case OPT_SERIES:
		o->series = arg;
		break;
	case OPT_INCOMPLETE:
		o->allow_incomplete = 1;
		break;
	case 'q':
		o->progress = PROGRESS_QUIET;
		break;
	case OPT_JSON:
		o->progress = PROGRESS_JSON;
		break;
	default:
		return KFLAKE_EXIT_USAGE;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct job_opts o;
	int c, ret;

	job_opts_init(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", run_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(run_usage, stdout);
			job_opts_release(&o);
			return 0;
		}
		if (c == '?' || (ret = parse_opt(&o, c, optarg))) {
			/* The error line says what is wrong; --help says the rest. */
			fputs("kflake: see 'kflake run --help'\n", stderr);
			job_opts_release(&o);
			return KFLAKE_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		error("run: unexpected argument '%s'", argv[optind]);
		job_opts_release(&o);
		return KFLAKE_EXIT_USAGE;
	}
	if (o.allow_incomplete && !o.series) {
		error("run: --allow-incomplete needs --series");
		job_opts_release(&o);
		return KFLAKE_EXIT_USAGE;
	}
	o.argc = argc;
	o.argv = (const char *const *)argv;
	progress_init(o.progress);
	ret = o.series ? seriesrun_run(&o) : job_run(&o, NULL);
	job_opts_release(&o);
	return ret;
}
