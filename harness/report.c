/*
 * report.c - prints the score table (or its JSON form). The failure rate
 * counts fail, stall and crash over the runs that produced a verdict:
 * `error` is our infrastructure failing and `skip` says nothing about the
 * kernel, so both are left out of the rate (but shown). A run where most
 * iterations are `error` says so loudly: its table cannot be trusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pool.h"
#include "record.h"
#include "report.h"
#include "stats.h"
#include "util.h"

static void print_row(const struct record_tally *t, int pool)
{
	const struct score *s = &t->score;
	char rate[40];

	if (pool)
		printf("%-4d ", pool);
	if (s->decided)
		snprintf(rate, sizeof(rate), "%5.1f%% [%4.1f, %5.1f]",
			 100 * s->rate, 100 * s->lo, 100 * s->hi);
	else
		snprintf(rate, sizeof(rate), "   -  [no verdicts]");
	printf("%-24.24s %4ld %4ld %4ld %4ld %5ld %5ld %5ld  %-21s %7.1f %7.1f  %s\n",
	       t->test, s->iterations, s->counts[OUTCOME_PASS],
	       s->counts[OUTCOME_FAIL], s->counts[OUTCOME_SKIP],
	       s->counts[OUTCOME_STALL], s->counts[OUTCOME_CRASH],
	       s->counts[OUTCOME_ERROR], rate, t->median_duration,
	       t->max_duration, stats_verdict_name(s->verdict));
}

static void print_hint(const struct record_tally *t)
{
	const struct score *s = &t->score;
	long more = stats_runs_to_stable(s->failures, s->verdict_runs);

	if (s->verdict == STATS_UNDECIDED && more > 0)
		printf("  %s: %ld more clean run(s) would call it stable "
		       "(failure rate below %.0f%% at 95%% confidence)\n",
		       t->test, more, 100 * STATS_STABLE_FLOOR);
}

static void print_subcases(const struct record_subtally *v, int n,
			   int pooled)
{
	int i;
	size_t m;

	if (n <= 0)
		return;
	printf("\nsub-cases:\n");
	for (i = 0; i < n; i++) {
		const struct score *s = &v[i].score;

		printf("  %s: %s", v[i].key.test, v[i].name);
		if (pooled)
			printf(" (kernel %lld, commit %.12s)", v[i].key.kernel_id,
			       v[i].commit_id);
		printf("\n    %ld run(s): %ld pass, %ld fail, %ld skip",
		       s->iterations,
		       s->counts[OUTCOME_PASS], s->failures,
		       s->counts[OUTCOME_SKIP]);
		if (s->decided)
			printf("; fail-rate %.1f%% [%.1f, %.1f]", 100 * s->rate,
			       100 * s->lo, 100 * s->hi);
		putchar('\n');
		for (m = 0; m < v[i].nmetrics; m++)
			printf("%s%s %.0f%s", m ? ", " : "    median: ",
			       v[i].metrics[m].name, v[i].metrics[m].median,
			       m + 1 == v[i].nmetrics ? "\n" : "");
	}
}

static json_t *subcases_json(const struct record_subtally *v, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, record_subtally_json(&v[i]));
	return a;
}

/*
 * Without a run, rows come per test and pool: number the pools (kernel,
 * guest size, kconfig set, stress, executor) and say what each is, so
 * nobody reads two kernels' rows as one. Returns each row's pool number.
 */
/* The run parts of two rows' keys, kernel first: the pools' order. */
static int pool_cmp(const struct record_tally *x, const struct record_tally *y)
{
	const struct pool_key *a = &x->key, *b = &y->key;
	int c;

	if (a->kernel_id != b->kernel_id)
		return a->kernel_id < b->kernel_id ? -1 : 1;
	if ((c = strcmp(a->kconfig_set, b->kconfig_set)))
		return c;
	if (a->guest_cpus != b->guest_cpus)
		return a->guest_cpus - b->guest_cpus;
	if (a->guest_mem_mb != b->guest_mem_mb)
		return a->guest_mem_mb - b->guest_mem_mb;
	if ((c = strcmp(a->stress, b->stress)))
		return c;
	return strcmp(a->executor, b->executor);
}

static int pool_ptr_cmp(const void *pa, const void *pb)
{
	return pool_cmp(*(const struct record_tally *const *)pa,
			*(const struct record_tally *const *)pb);
}

/*
 * Without a run, rows come per test and pool: number the pools (kernel,
 * guest size, kconfig set, stress, executor) in kernel order and say
 * what each is, so nobody reads two kernels' rows as one. Returns each
 * row's pool number.
 */
static int *print_pools(const struct record_tally *t, int n)
{
	const struct record_tally **first = xcalloc((size_t)n + 1,
						    sizeof(*first));
	int *num = xcalloc((size_t)n + 1, sizeof(*num));
	int i, j, npool = 0;

	/* One row per pool (its first), in pool order. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < npool && pool_cmp(first[j], &t[i]); j++)
			;
		if (j == npool)
			first[npool++] = &t[i];
	}
	if (npool > 1)
		qsort(first, (size_t)npool, sizeof(*first), pool_ptr_cmp);
	for (i = 0; i < n; i++)
		for (j = 0; j < npool; j++)
			if (!pool_cmp(first[j], &t[i]))
				num[i] = j + 1;
	printf("pooled per kernel and run setup (iterations count together "
	       "only within one pool):\n");
	for (j = 0; j < npool; j++) {
		char *d = pool_describe(&first[j]->key);

		if (first[j]->key.kernel_id > 0)
			printf("  pool %d: kernel %lld (commit %.12s), %s\n",
			       j + 1, first[j]->key.kernel_id,
			       first[j]->commit_id, d);
		else
			printf("  pool %d: run %lld alone (no kernel on record), "
			       "%s\n", j + 1, -first[j]->key.kernel_id, d);
		free(d);
	}
	putchar('\n');
	free(first);
	return num;
}

int report_print(struct store *st, long long run_id, const char *commit,
		 enum report_format fmt)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_subtally *sub = NULL;
	int nsub;
	struct record_tally *t = NULL;
	long errors = 0, total = 0;
	int n, i, *pools;

	n = record_tally(st, run_id, commit, &t);
	if (n < 0)
		return -1;
	f.run_id = run_id;
	f.commit = commit;
	f.with_metrics = 1;
	nsub = record_subtally(st, &f, &sub);
	if (nsub < 0)
		nsub = 0;
	for (i = 0; i < n; i++) {
		errors += t[i].score.counts[OUTCOME_ERROR];
		total += t[i].score.iterations;
	}
	if (fmt == REPORT_JSON) {
		json_t *a = json_array(), *o;
		char *s;

		for (i = 0; i < n; i++)
			json_array_append_new(a, record_tally_json(&t[i]));
		o = json_pack("{s:s, s:I, s:o, s:o, s:b}", "event", "report",
			      "run", (json_int_t)run_id, "tests", a,
			      "subcases", subcases_json(sub, nsub),
			      "mostly_errors", total && 2 * errors > total);
		s = json_dumps(o, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(o);
		record_tally_release(t, n);
		record_subtally_release(sub, nsub);
		return 0;
	}
	pools = run_id ? NULL : print_pools(t, n);
	if (pools)
		printf("%-4s ", "pool");
	printf("%-24s %4s %4s %4s %4s %5s %5s %5s  %-21s %7s %7s  %s\n", "test",
	       "iter", "pass", "fail", "skip", "stall", "crash", "error",
	       "fail-rate [95% CI]", "median", "max", "verdict");
	for (i = 0; i < n; i++)
		print_row(&t[i], pools ? pools[i] : 0);
	free(pools);
	if (!n)
		printf("(no iterations)\n");
	for (i = 0; i < n; i++)
		print_hint(&t[i]);
	print_subcases(sub, nsub, !run_id);
	record_subtally_release(sub, nsub);
	if (total && 2 * errors > total)
		printf("WARNING: %ld of %ld iterations are infrastructure errors "
		       "(boot failures, lost VMs): these results say little "
		       "about the kernel.\n", errors, total);
	record_tally_release(t, n);
	return 0;
}

int report_run(struct store *st, long long run_id, enum report_format fmt)
{
	struct pool_key k = { 0 };

	/* A stressed run says so: its rates are not plain rates. */
	if (fmt == REPORT_TABLE && !pool_key_of_run(st, run_id, &k) &&
	    k.stress && *k.stress)
		printf("\nrun %lld, stress %s:\n", run_id, k.stress);
	else if (fmt == REPORT_TABLE)
		printf("\nrun %lld:\n", run_id);
	pool_key_release(&k);
	return report_print(st, run_id, NULL, fmt);
}

int report_fail_on_parse(const char *list, unsigned *mask)
{
	char *copy = xstrdup(list), *save = NULL, *w;
	int v, ret = 0;

	*mask = 0;
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (v = STATS_UNDECIDED; v <= STATS_FAILING; v++)
			if (!strcmp(w, stats_verdict_name(v)))
				break;
		if (v <= STATS_FAILING) {
			*mask |= 1u << v;
		} else if (!strcmp(w, "regression")) {
			*mask |= REPORT_FAIL_ON_REGRESSION;
		} else {
			ret = error("--fail-on %s: '%s' is not one of failing, "
				    "flaky, undecided, stable, regression",
				    list, w);
			break;
		}
	}
	if (!ret && !*mask)
		ret = error("--fail-on '%s': no verdict named", list);
	free(copy);
	return ret;
}

int report_fail_on(struct store *st, long long run_id, unsigned mask)
{
	struct record_tally *t;
	int i, n = record_tally(st, run_id, NULL, &t), hits = 0;

	for (i = 0; i < n; i++) {
		long k = t[i].score.failures, m = t[i].score.verdict_runs;
		enum stats_verdict v = t[i].score.verdict;

		if (!(mask & (1u << v)))
			continue;
		hits++;
		fprintf(stderr, "kflake: run %lld: %s is %s (%ld of %ld "
			"failed; --fail-on)\n", run_id, t[i].test,
			stats_verdict_name(v), k, m);
	}
	if (n > 0)
		record_tally_release(t, n);
	return hits;
}
