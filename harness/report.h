/*
 * report.h - the score table: per test, runs, outcome counts, failure
 * rate with its 95% Wilson interval, median and max duration, verdict.
 */
#ifndef KFLAKE_REPORT_H
#define KFLAKE_REPORT_H

#include "store.h"

enum report_format { REPORT_TABLE, REPORT_JSON };

/* Score one run (run_id > 0) or, with run_id 0, every run of commit
 * (NULL: of every commit). */
int report_print(struct store *st, long long run_id, const char *commit,
		 enum report_format fmt);
int report_run(struct store *st, long long run_id, enum report_format fmt);

/*
 * `run --fail-on LIST`: which verdicts make the exit status non-zero.
 * The bits are 1 << enum stats_verdict, plus one for a series' change.
 */
#define REPORT_FAIL_ON_REGRESSION (1u << 8)
/* Parse "failing,flaky,...": 0 or -1 (error printed). */
int report_fail_on_parse(const char *list, unsigned *mask);
/*
 * The tests of run_id whose verdict is in mask, each named on stderr;
 * returns how many.
 */
int report_fail_on(struct store *st, long long run_id, unsigned mask);

#endif
