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
#include "doctor.h"
#include "job.h"
#include "plan.h"
#include "progress.h"
#include "report.h"
#include "seqtest.h"
#include "seriesrun.h"
#include "store.h"
#include "stress.h"
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
"  --until decided     stop each test at its first verdict instead: stable,\n"
"                      flaky or failing (docs/STATISTICS.md); with --series,\n"
"                      when a sequential test of base against series says\n"
"                      regression, improvement or no change (a 20-point\n"
"                      rise ruled out)\n"
"  --max N             with --until decided, at most N iterations of each\n"
"                      test (per side with --series; default 50, and 80\n"
"                      per side with --series)\n"
"  --kconfig FILE      extra kconfig fragment, merged last; repeatable\n"
"  --timeout DUR       stall limit per iteration, e.g. 90, 90s, 5m (default:\n"
"                      3x the p99 runtime of the test's last passes, at\n"
"                      least 30s; with under 5 passes recorded, 180s; never\n"
"                      above the target's settings timeout)\n"
"  --idle DUR          stall when a test prints nothing and starts no process\n"
"                      this long (default: 3x the p99 of its longest such\n"
"                      silence when passing, at least 15s, once 5 passes\n"
"                      are recorded; 0: off)\n"
"  --jobs N            parallel make jobs (default: number of CPUs)\n"
"  --cpus N, --mem MB  guest size (default 2 CPUs, 2048 MB)\n"
"  --stress MODES      load or timing noise beside the tests, to make rare\n"
"                      races show up: a comma list of the modes below, or\n"
"                      none. Recorded with the run; its iterations count\n"
"                      only with runs under the same stress (scores, stall\n"
"                      limits, --series bases)\n"
"  --vms N|auto        guests at once, taking iterations from one queue\n"
"                      (default auto: as many as the host's CPUs and memory\n"
"                      hold without sharing; more share CPUs, and the run is\n"
"                      pooled apart as stress 'overcommit')\n"
"  --executor local|slurm\n"
"                      slurm: run the iterations as a Slurm job array; this\n"
"                      process builds, submits, ingests and resubmits what\n"
"                      failed tasks did not finish (docs/SCALING.md)\n"
"  --partition P       Slurm partition (default: the cluster's)\n"
"  --tasks T           Slurm array tasks (default: one per 10 iterations)\n"
"  --shared DIR        directory every node sees, for the image, payload and\n"
"                      spool (default $KFLAKE_SHARED, else <data>/cluster)\n"
"  --no-sandbox        build a local --tree or the default source on the\n"
"                      host, not in bubblewrap\n"
"                      (recorded in the run; series and URL trees are\n"
"                      always sandboxed)\n"
"  --series SRC        test a patch series against its base: an mbox file or\n"
"                      directory, an http(s) mbox URL, pw:URL/ID (patchwork)\n"
"                      or git:URL#BRANCH; the base is --ref. Prints per\n"
"                      test the failure rates before and after, Fisher's p\n"
"                      and a verdict (regression, improvement, no change)\n"
"  --allow-incomplete  with --series: test what is there when patches are\n"
"                      missing\n"
"  --fail-on LIST      exit 3 when a test's verdict is in LIST, a comma list\n"
"                      of failing, flaky, undecided, stable and (with\n"
"                      --series) regression; e.g. --fail-on failing,regression\n"
"  --db PATH           database (default: $KFLAKE_DB or\n"
"                      ~/.local/share/kflake/kflake.db)\n"
"  -q, --quiet         only errors and the final table\n"
"  --json              one JSON object per event on stdout, then the report\n"
"\n"
"Before anything else it checks what the run needs (kflake doctor's fast\n"
"checks) and stops at once, naming the fix, when something is missing.\n"
"\n"
"Exit status: 0 when every planned iteration ran, 1 when the run could not\n"
"(e.g. a missing program, or the kernel did not build), 2 on bad usage, 3 when --fail-on named a\n"
"verdict the run reached, 130 when interrupted.\n"
"\n"
"Stress modes (docs/STRESS.md has what each costs and finds):\n";

enum { OPT_SERIES = JOB_OPT_LAST, OPT_INCOMPLETE, OPT_FAIL_ON, OPT_UNTIL,
       OPT_MAX };

static const struct option run_options[] = {
	JOB_LONG_OPTIONS,
	{ "series", required_argument, NULL, OPT_SERIES },
	{ "allow-incomplete", no_argument, NULL, OPT_INCOMPLETE },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "max", required_argument, NULL, OPT_MAX },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The job options, then run's own: 0 done, -1 bad (error printed). */
static int parse_opt(struct job_opts *o, int c, const char *arg, long *max)
{
	int ret = job_opts_parse(o, c, arg);

	if (ret <= 0)
		return ret;
	switch (c) {
	case OPT_SERIES:
		o->series = arg;
		return 0;
	case OPT_INCOMPLETE:
		o->allow_incomplete = 1;
		return 0;
	case OPT_FAIL_ON:
		return report_fail_on_parse(arg, &o->fail_on);
	case OPT_UNTIL:
		if (strcmp(arg, "decided"))
			return error("--until %s: the only value is 'decided'",
				     arg);
		o->until_decided = 1;
		return 0;
	case OPT_MAX:
		if (util_parse_int(arg, 1, 100000, max))
			return error("--max %s: expected a whole number from 1 "
				     "to 100000", arg);
		return 0;
	}
	return -1;
}

/* A finished plain run: exit 3 when a verdict --fail-on names shows. */
static int check_fail_on(const struct job_opts *o, long long run_id)
{
	struct store st;
	int hits;

	if (store_open(&st, o->db, STORE_READONLY))
		return KFLAKE_EXIT_FAIL;
	hits = report_fail_on(&st, run_id, o->fail_on);
	store_close(&st);
	return hits ? KFLAKE_EXIT_VERDICT : 0;
}

int cmd_run(int argc, char **argv)
{
	struct job_opts o;
	struct job_result res;
	long max = 0;
	int c, ret;

	job_opts_init(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", run_options, NULL)) != -1) {
		if (c == 'h') {
			struct strbuf modes = STRBUF_INIT;

			stress_help(&modes);
			fputs(run_usage, stdout);
			fputs(modes.buf, stdout);
			strbuf_release(&modes);
			job_opts_release(&o);
			return 0;
		}
		if (c == '?' || parse_opt(&o, c, optarg, &max)) {
			/* The error line says what is wrong; --help says the rest. */
			job_opts_release(&o);
			return util_usage_error("run");
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
	if ((o.fail_on & REPORT_FAIL_ON_REGRESSION) && !o.series) {
		error("run: --fail-on regression needs --series");
		job_opts_release(&o);
		return KFLAKE_EXIT_USAGE;
	}
	if ((max && !o.until_decided) || (o.until_decided && o.iterations_set)) {
		error("run: %s", max ? "--max goes with --until decided"
				     : "--until decided takes --max, not "
				       "--iterations");
		job_opts_release(&o);
		return KFLAKE_EXIT_USAGE;
	}
	if (o.until_decided)
		o.iterations = max ? (int)max : o.series ? SEQTEST_DEFAULT_MAX
							 : PLAN_DEFAULT_PLAIN_MAX;
	o.argc = argc;
	o.argv = (const char *const *)argv;
	progress_init(o.progress);
	/* A missing tool fails now, not after the import and the build. */
	if (doctor_preflight_for(o.tree, o.db, o.executor)) {
		job_opts_release(&o);
		return KFLAKE_EXIT_FAIL;
	}
	if (o.series) {
		ret = seriesrun_run(&o);
	} else {
		ret = job_run(&o, &res);
		if (!ret && o.fail_on)
			ret = check_fail_on(&o, res.run_id);
	}
	job_opts_release(&o);
	return ret;
}
