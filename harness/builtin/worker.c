/*
 * builtin/worker.c - `kflake worker`: what one Slurm array task runs. It
 * boots the run's image from the shared directory, runs its slice of the
 * plan and writes every iteration into the spool; it never opens the
 * database (the coordinator ingests the spool). See slurmrun.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "progress.h"
#include "slurmrun.h"
#include "util.h"

static const char worker_usage[] =
"usage: kflake worker --dir DIR [--slice N] [--job ID]\n"
"\n"
"Run one slice of a run that `kflake run --executor slurm` prepared: the\n"
"coordinator submits this command as a Slurm job array; there is rarely a\n"
"reason to run it by hand.\n"
"\n"
"  --dir DIR    the run's shared directory (<shared>/runs/<run>)\n"
"  --slice N    the slice to run (default: $SLURM_ARRAY_TASK_ID)\n"
"  --job ID     the Slurm job it runs as, for the spool (default:\n"
"               $SLURM_ARRAY_JOB_ID_$SLURM_ARRAY_TASK_ID, else \"local\")\n"
"  -q, --quiet  only errors\n"
"\n"
"Exit status: 0 when the slice ran, 1 when it could not, 130 when stopped\n"
"(scancel). Either way every finished iteration is in the spool.\n";

static const struct option worker_options[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "slice", required_argument, NULL, 's' },
	{ "job", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_slice(const char *arg, const char *what, long *slice)
{
	if (util_parse_int(arg, 0, 1000000, slice))
		return error("worker: %s '%s': expected a slice number", what,
			     arg);
	return 0;
}

int cmd_worker(int argc, char **argv)
{
	const char *dir = NULL, *job = NULL, *env;
	enum progress_mode mode = PROGRESS_LINES;
	char *job_buf = NULL;
	long slice = -1;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", worker_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(worker_usage, stdout);
			return 0;
		case 'd':
			dir = optarg;
			break;
		case 's':
			if (parse_slice(optarg, "--slice", &slice))
				return KFLAKE_EXIT_USAGE;
			break;
		case 'j':
			job = optarg;
			break;
		case 'q':
			mode = PROGRESS_QUIET;
			break;
		default:
			return util_usage_error("worker");
		}
	}
	if (!dir || optind < argc) {
		error("worker: %s", dir ? "unexpected argument" : "--dir is required");
		return util_usage_error("worker");
	}
	env = getenv("SLURM_ARRAY_TASK_ID");
	if (slice < 0 && env && parse_slice(env, "SLURM_ARRAY_TASK_ID", &slice))
		return KFLAKE_EXIT_USAGE;
	if (slice < 0) {
		error("worker: no --slice and no SLURM_ARRAY_TASK_ID");
		return KFLAKE_EXIT_USAGE;
	}
	if (!job && getenv("SLURM_ARRAY_JOB_ID"))
		job = job_buf = xasprintf("%s_%ld", getenv("SLURM_ARRAY_JOB_ID"),
					  slice);
	/* The job id names the spool file: keep it to safe characters. */
	if (job && (!*job || strspn(job, "0123456789_") != strlen(job))) {
		error("worker: job id '%s': expected digits and '_'", job);
		free(job_buf);
		return KFLAKE_EXIT_USAGE;
	}
	progress_init(mode);
	ret = slurmrun_worker(dir, (int)slice, job ? job : "local");
	free(job_buf);
	return ret;
}
