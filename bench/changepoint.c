/*
 * bench/changepoint.c - how well kflake's change point detector
 * (harness/changepoint.c, the one alerts use) does on simulated
 * histories: 200 commits with 10 iterations each, half with no change
 * and half with one change at a uniformly random commit, for each of
 * the failure-rate pairs issue 12 names. Prints one table row a pair:
 *
 *   false alerts   alerts per no-change history        target <= 5%
 *   detected       change histories with >= 50 commits after the change
 *                  that got an alert for a rising rate  target >= 90%
 *                  (none for 0.05 -> 0.1)
 *   covered        of those alerts, how often the true commit lies in
 *                  the reported 99% interval            target >= 95%
 *   width          mean commits that interval spans
 *   iterations     iterations after the change before the alert first
 *                  appears, replaying each history commit by commit
 *                  (median and 90th percentile of the detected ones)
 *
 *   changepoint [--histories N] [--seed S]   (N per pair, default 1000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changepoint.h"
#include "stats.h"
#include "util.h"

#define COMMITS 200
#define PER_COMMIT 10
#define MIN_AFTER 50

static const struct {
	double p0, p1;
	double target;		/* detection target, 0 for none */
} pairs[] = {
	{ 0.0, 0.2, 0.90 },
	{ 0.02, 0.3, 0.90 },
	{ 0.1, 0.5, 0.90 },
	{ 0.05, 0.1, 0 },
};

/* splitmix64: a reproducible stream for a given seed on any libc. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_unit(void)
{
	return (rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static void simulate(struct changepoint_count *v, double p0, double p1,
		     size_t change)
{
	size_t i;
	int j;

	for (i = 0; i < COMMITS; i++) {
		double p = i >= change ? p1 : p0;

		v[i].runs = PER_COMMIT;
		v[i].fails = 0;
		for (j = 0; j < PER_COMMIT; j++)
			v[i].fails += rng_unit() < p;
	}
}

static int rising(const struct changepoint *c)
{
	return c->k1 * c->n0 > c->k0 * c->n1;
}

/* The rising change nearest to the true one, or NULL. */
static const struct changepoint *nearest_rise(const struct changepoint *cp,
					      size_t n, size_t change)
{
	const struct changepoint *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		size_t d = cp[i].pos > change ? cp[i].pos - change :
						change - cp[i].pos;
		size_t bd;

		if (!rising(&cp[i]))
			continue;
		bd = best ? (best->pos > change ? best->pos - change :
						  change - best->pos) : SIZE_MAX;
		if (d < bd)
			best = &cp[i];
	}
	return best;
}

/* Commits after the change before a prefix of the history first alerts. */
static long delay(const struct changepoint_count *v, size_t change,
		  const struct changepoint_params *p)
{
	size_t m;

	for (m = change + 1; m <= COMMITS; m++) {
		struct changepoint *cp;
		size_t n = changepoint_find(v, m, p, &cp);
		int found = nearest_rise(cp, n, change) != NULL;

		free(cp);
		if (found)
			return (long)(m - change);
	}
	return -1;
}

struct row {
	long quiet, false_alerts, quiet_with_alert;
	long eligible, detected, covered, extra, width;
	double *delays;
	size_t ndelays;
};

static void run_pair(double p0, double p1, long histories,
		     const struct changepoint_params *p, struct row *r)
{
	struct changepoint_count v[COMMITS];
	long h;

	memset(r, 0, sizeof(*r));
	r->delays = xcalloc(histories, sizeof(*r->delays));
	for (h = 0; h < histories; h++) {
		struct changepoint *cp;
		const struct changepoint *hit;
		size_t n, change;

		if (h % 2 == 0) {
			simulate(v, p0, p0, COMMITS);
			n = changepoint_find(v, COMMITS, p, &cp);
			r->quiet++;
			r->false_alerts += n;
			r->quiet_with_alert += n > 0;
			free(cp);
			continue;
		}
		change = 1 + rng_next() % (COMMITS - 1);
		simulate(v, p0, p1, change);
		if (COMMITS - change < MIN_AFTER)
			continue;
		r->eligible++;
		n = changepoint_find(v, COMMITS, p, &cp);
		hit = nearest_rise(cp, n, change);
		if (hit) {
			long d = delay(v, change, p);

			r->detected++;
			r->extra += n - 1;
			r->covered += hit->lo <= change && change <= hit->hi;
			r->width += hit->hi - hit->lo + 1;
			if (d > 0)
				r->delays[r->ndelays++] = d * PER_COMMIT;
		} else {
			r->extra += n;
		}
		free(cp);
	}
}

static const char *pct(char *buf, long num, long den)
{
	if (!den)
		return "-";
	snprintf(buf, 16, "%.1f%%", 100.0 * num / den);
	return buf;
}

int main(int argc, char **argv)
{
	struct changepoint_params p;
	long histories = 1000;
	unsigned long long seed = 12;
	size_t i;
	int a, missed = 0;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--histories") && a + 1 < argc)
			histories = atol(argv[++a]);
		else if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seed = strtoull(argv[++a], NULL, 10);
		else {
			fprintf(stderr, "usage: changepoint [--histories N] "
				"[--seed S]\n");
			return 2;
		}
	}
	if (histories < 2) {
		fprintf(stderr, "changepoint: --histories must be >= 2\n");
		return 2;
	}
	rng_state = seed;
	changepoint_params_default(&p);
	printf("change point accuracy: %d commits x %d iterations, %ld "
	       "histories per pair (half without a change), seed %llu\n",
	       COMMITS, PER_COMMIT, histories, seed);
	printf("prior Beta(%g, %g), change point prior %g, %.0f%% interval\n\n",
	       p.a, p.b, p.prior, 100 * (1 - 2 * p.tail));
	printf("%-12s %13s %10s %8s %9s %7s %19s %6s\n", "p0 -> p1",
	       "false alerts", "detected", "target", "covered", "width",
	       "iterations p50/p90", "extra");
	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		struct row r;
		char b1[16], b2[16], b3[16], name[32], it[32];
		double fa;

		run_pair(pairs[i].p0, pairs[i].p1, histories, &p, &r);
		fa = r.quiet ? (double)r.false_alerts / r.quiet : 0;
		snprintf(name, sizeof(name), "%g -> %g", pairs[i].p0,
			 pairs[i].p1);
		if (r.ndelays)
			snprintf(it, sizeof(it), "%.0f / %.0f",
				 stats_percentile(r.delays, r.ndelays, 50),
				 stats_percentile(r.delays, r.ndelays, 90));
		else
			snprintf(it, sizeof(it), "-");
		snprintf(b3, sizeof(b3), "%s",
			 pairs[i].target > 0 ? ">= 90%" : "none");
		printf("%-12s %12.1f%% %10s %8s %9s %7.1f %19s %6.2f\n", name,
		       100 * fa, pct(b1, r.detected, r.eligible), b3,
		       pct(b2, r.covered, r.detected),
		       r.detected ? (double)r.width / r.detected : 0, it,
		       r.eligible ? (double)r.extra / r.eligible : 0);
		if (fa > 0.05 ||
		    (r.detected && (double)r.covered / r.detected < 0.95) ||
		    (pairs[i].target > 0 && r.eligible &&
		     (double)r.detected / r.eligible < pairs[i].target))
			missed++;
		free(r.delays);
	}
	printf("\nfalse alerts: target <= 5%% per no-change history; "
	       "covered: target >= 95%%;\n"
	       "width: mean commits in the 99%% interval; extra: other "
	       "alerts per change history.\n");
	printf("%s\n", missed ? "some targets missed (see above)" :
				"all targets met");
	return 0;
}
