/*
 * slurm.h - the Slurm commands kflake runs (sbatch, squeue, scancel):
 * by argv, never through a shell, each with a deadline, and the parsing
 * of what they print. The commands find their cluster the usual way
 * (SLURM_CONF or /etc/slurm/slurm.conf).
 */
#ifndef KFLAKE_SLURM_H
#define KFLAKE_SLURM_H

#include <stddef.h>

#define SLURM_CMD_TIMEOUT 60.0	/* seconds for one sbatch/squeue/scancel */
#define SLURM_PING_TIMEOUT 10.0	/* seconds for doctor's sinfo */

struct slurm_task {
	char job[48];		/* the task's id: ARRAYJOB_INDEX */
	int index;		/* array index (-1 when not an array task) */
	char state[32];		/* PENDING, RUNNING, COMPLETED, CANCELLED, ... */
	char node[128];		/* where it runs or ran ("" while pending) */
};

struct slurm_submit {
	const char *script;	/* the batch script */
	const char *const *args;	/* its arguments, NULL-terminated */
	const char *array;	/* --array, e.g. "0-3" or "5" */
	const char *name;	/* --job-name */
	const char *partition;	/* NULL: the cluster's default */
	int cpus;		/* --cpus-per-task */
	int mem_mb;		/* --mem */
	const char *output;	/* --output pattern (%A job, %a index) */
};

/* Submit; *job gets the array job id (malloc'ed). */
int slurm_submit(const struct slurm_submit *s, char **job);
/*
 * Every task of array job `job`, pending, running or recently ended (as
 * long as the controller remembers it: MinJobAge). Returns the number
 * of tasks (0: the controller no longer knows the job), -1 on error.
 */
int slurm_query(const char *job, struct slurm_task **out);
/* Parse squeue -h -r -o '%i|%T|%N|%K' output; returns the number of tasks. */
int slurm_parse_squeue(const char *text, struct slurm_task **out);
/* scancel a job or one task (ARRAYJOB_INDEX). */
int slurm_cancel(const char *job);
/*
 * Does a controller answer, with a partition that is up and a node that
 * takes jobs? 0 and the partitions in detail ("e2e: 1 node(s) idle"),
 * else -1 and why in detail. Within SLURM_PING_TIMEOUT (doctor).
 */
struct strbuf;
int slurm_cluster(struct strbuf *detail);
/* The state will not change any more (COMPLETED, FAILED, CANCELLED, ...). */
int slurm_state_final(const char *state);

#endif
