/*
 * kflake.c - entry point: global options, then dispatch to the builtin
 * named by the first argument.
 */
#include <stdio.h>
#include <string.h>

#include <git2.h>

#include "builtin.h"
#include "util.h"

static const struct builtin builtins[] = {
	{ "run", cmd_run, "build, boot and run tests repeatedly; score them" },
	{ "runs", cmd_runs, "list runs" },
	{ "show", cmd_show, "show one run with its iterations" },
	{ "report", cmd_report, "flakiness table per test" },
	{ "serve", cmd_serve, "serve the status pages and JSON API" },
	{ "bisect", cmd_bisect, "find the commit that made a test fail or flakier" },
	{ "bisects", cmd_bisects, "list bisects" },
	{ "check", cmd_check, "test one commit; exit 0/1/125 for git bisect run" },
	{ "series", cmd_series, "fetch a patch series and apply it" },
	{ "poll", cmd_poll, "queue new series from a patchwork project" },
	{ "ci", cmd_ci, "run a CI plan: series and tracked refs, checks, summary" },
	{ "doctor", cmd_doctor, "check what a run needs and say how to fix it" },
	{ "alert", cmd_alert, "change-point alerts along tracked branches" },
	{ "export", cmd_export, "write runs as JUnit XML or KCIDB JSON" },
	{ "import", cmd_import, "import NIPA contest results" },
	{ "tally", cmd_tally, "check or rebuild the kept score tallies" },
	{ "worker", cmd_worker, "run one Slurm task of a run (run --executor slurm)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kflake <command> [options]\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(builtins); i++)
		fprintf(f, "  %-10s %s\n", builtins[i].name,
			builtins[i].summary);
	fprintf(f, "\n'kflake <command> --help' shows a command's options.\n");
}

int main(int argc, char **argv)
{
	size_t i;
	int ret;

	util_set_argv0(argv[0]);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? KFLAKE_EXIT_USAGE : 0;
	}
	for (i = 0; i < ARRAY_SIZE(builtins); i++) {
		if (strcmp(argv[1], builtins[i].name))
			continue;
		git_libgit2_init();
		ret = builtins[i].fn(argc - 1, argv + 1);
		git_libgit2_shutdown();
		return ret;
	}
	error("unknown command '%s' (see kflake --help)", argv[1]);
	return KFLAKE_EXIT_USAGE;
}
