/*
 * seriesrun.h - `kflake run --series SRC`: apply a patch series, run the
 * tests on the series and on its base (reusing the base's earlier
 * results when there are enough), and say whether the series changed
 * any test's failure rate.
 */
#ifndef KFLAKE_SERIESRUN_H
#define KFLAKE_SERIESRUN_H

#include <jansson.h>

#include "job.h"
#include "store.h"

#define SERIESRUN_ALPHA 0.05
#define SERIESRUN_POWER 0.80

/* Returns a process exit status like job_run(). */
int seriesrun_run(const struct job_opts *o);

struct series_result;
/*
 * Base against series for an applied series sr: runs each side until
 * every test has its fixed count per side, or (o->until_decided, or a
 * test's until_decided) until seqtest.h's design decides, looking every
 * SEQTEST_STEP runs per side. Iterations already on record for a side's
 * commit and config count (a rerun, or a CI item resumed after a kill,
 * goes on from there). series_run: an earlier run of this series in the
 * pool to compare in (a resumed item), else 0 (the series side runs
 * first and its run gives the pool). delta:
 * the rise in failure rate that matters. *out: the comparison as JSON
 * (tests[]: name, base, series, change, verdict, decided, ...); text:
 * print it too. Returns an exit status like job_run().
 */
int seriesrun_execute(struct store *st, const struct job_opts *o,
		      const struct series_result *sr, double delta,
		      long long series_run, json_t **out, int text);

/*
 * A stored verdict of a series (db/012-series-verdicts.sql): one test,
 * or one of its sub-cases, base against series.
 */
struct seriesrun_verdict {
	long long series_run, base_run;	/* base_run 0: base reused */
	char *test;
	char *subcase;			/* NULL: the test itself */
	long base_failures, base_runs, series_failures, series_runs;
	int has_p;
	double p_value;
	char *change;			/* regression, improvement, no change */
	char *verdict;
	char *created_at;
};
/* The newest set of verdicts of a series, tests before their sub-cases. */
int seriesrun_verdicts(struct store *st, long long series_id,
		       struct seriesrun_verdict **out);
void seriesrun_verdicts_release(struct seriesrun_verdict *v, int n);
json_t *seriesrun_verdict_json(const struct seriesrun_verdict *v);

#endif
