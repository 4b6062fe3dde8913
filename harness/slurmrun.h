/*
 * slurmrun.h - a run executed by Slurm (kflake run --executor slurm).
 *
 * The coordinator has built the kernel and payload; it copies them into
 * a directory every node sees (the shared directory), writes the run's
 * job file and its slices (lists of plan items), and submits one job
 * array, a task per slice; each task runs `kflake worker`, which boots
 * the image and runs its slice, writing every iteration into the spool
 * (spool.h). The coordinator, the database's only writer, ingests the
 * spool as it grows, shows progress from it, and resubmits what a failed
 * or cancelled task did not finish; iterations it did finish are kept
 * and nothing is counted twice.
 *
 * Shared directory layout (docs/SCALING.md):
 *   kernels/<key>/bzImage, payload/<key>/     copied once per kernel
 *   runs/<run>/job.json, slices/<n>, task.sh  the run's description
 *   runs/<run>/spool/<task>.jsonl             what the workers wrote
 *   runs/<run>/work/<task>/boot-N/            their boots' files
 *   runs/<run>/logs/<job>_<n>.log             Slurm's task output
 */
#ifndef KFLAKE_SLURMRUN_H
#define KFLAKE_SLURMRUN_H

#include "session.h"

#define SLURMRUN_ITEMS_PER_TASK 10	/* default slice size */
#define SLURMRUN_MAX_TASKS 1000		/* Slurm's default MaxArraySize - 1 */
#define SLURMRUN_MAX_RESUBMIT 3		/* per slice, then the run fails */

struct slurmrun_opts {
	const char *partition;	/* NULL: the cluster's default */
	int tasks;		/* 0: one per SLURMRUN_ITEMS_PER_TASK items */
	const char *shared;	/* NULL: $KFLAKE_SHARED or <data>/cluster */
};

/*
 * Execute the session's plan on Slurm instead of local guests: s is
 * filled as for session_execute() (st, run_id, tests with their limits,
 * iterations, kernel, payload, cpus, mem_mb, vms per task, workdir for
 * the artefacts). Same return value: 0 all ran, 1 interrupted (Ctrl-C,
 * or the whole array cancelled), -1 failed (s->abort_reason).
 */
int slurmrun_execute(struct session *s, const struct slurmrun_opts *o);

/*
 * `kflake worker`: run slice of the run whose shared directory is dir.
 * Returns the process exit status (0 complete, 1 failed, 130 stopped).
 */
int slurmrun_worker(const char *dir, int slice, const char *job);

#endif
