/*
 * seriesrun.h - `kflake run --series SRC`: apply a patch series, run the
 * tests on the series and on its base (reusing the base's earlier
 * results when there are enough), and say whether the series changed
 * any test's failure rate.
 */
#ifndef KFLAKE_SERIESRUN_H
#define KFLAKE_SERIESRUN_H

#include "job.h"

#define SERIESRUN_ALPHA 0.05
#define SERIESRUN_POWER 0.80

/* Returns a process exit status like job_run(). */
int seriesrun_run(const struct job_opts *o);

#endif
