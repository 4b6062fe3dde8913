/*
 * matrix.c - owns the test x kernel view (see matrix.h). It only reads,
 * and holds no SQL: the kernels are the pools of the plan's runs
 * (workq.c), the counts and printed values come from the pools of
 * iterations (record_pool.c, pool.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctest.h"
#include "matrix.h"
#include "record.h"
#include "stats.h"
#include "utf8.h"
#include "util.h"
#include "workq.h"

#define MATRIX_FALLBACK_KERNELS 8

static int find_kernel(const struct matrix *m, const struct pool_key *k)
{
	size_t i;

	for (i = 0; i < m->nkernels; i++)
		if (pool_key_same(&m->kernels[i].key, k, POOL_KERNEL))
			return (int)i;
	return -1;
}

static void add_kernel(struct matrix *m, const struct pool_key *k)
{
	struct matrix_kernel *mk;

	if (m->nkernels >= MATRIX_MAX_KERNELS || find_kernel(m, k) >= 0)
		return;
	m->kernels = xrealloc(m->kernels, (m->nkernels + 1) * sizeof(*mk));
	mk = &m->kernels[m->nkernels++];
	memset(mk, 0, sizeof(*mk));
	pool_key_copy(&mk->key, k);
}

/* Each of the n pools v is a kernel; v is released. */
static void kernels_from(struct matrix *m, struct pool_key *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		add_kernel(m, &v[i]);
	record_pool_keys_release(v, n > 0 ? n : 0);
}

/*
 * A series whose base was reused (no base run under its item): the
 * base's pool is the series' line on the base kernel built alike.
 */
static void reused_bases(struct store *st, struct matrix *m)
{
	size_t i, n = m->nkernels;

	for (i = 0; i < n; i++) {
		struct pool_key k;
		long long base = record_series_base_kernel(st,
				m->kernels[i].key.kernel_id);

		if (!base)
			continue;
		pool_key_copy(&k, &m->kernels[i].key);
		k.kernel_id = base;
		if (record_pool_runs(st, &k) > 0)
			add_kernel(m, &k);
		pool_key_release(&k);
	}
}

/* "master@0123456789ab / base of series 3": what the plan calls it. */
static void label_kernel(struct store *st, struct matrix_kernel *mk)
{
	mk->commit = record_kernel_commit(st, mk->key.kernel_id);
	if (!mk->commit)
		mk->commit = xstrdup("?");
	mk->label = workq_commit_label(st, mk->commit);
	if (!mk->label)
		mk->label = xasprintf("%.12s", mk->commit);
	mk->line = pool_describe(&mk->key);
}

static void add_test(struct matrix *m, const char *test, const char *suite)
{
	size_t i;

	for (i = 0; i < m->ntests; i++)
		if (!strcmp(m->tests[i], test) && !strcmp(m->suites[i], suite))
			return;
	if (m->ntests >= MATRIX_MAX_TESTS)
		return;
	m->tests = xrealloc(m->tests, (m->ntests + 1) * sizeof(*m->tests));
	m->suites = xrealloc(m->suites, (m->ntests + 1) * sizeof(*m->suites));
	m->tests[m->ntests] = xstrdup(test);
	m->suites[m->ntests++] = xstrdup(suite);
}

static void load_tests(struct store *st, struct matrix *m)
{
	size_t k;

	for (k = 0; k < m->nkernels; k++) {
		struct record_test_name *v;
		int n, i;

		n = record_pool_tests(st, &m->kernels[k].key, MATRIX_MAX_TESTS,
				      &v);
		for (i = 0; i < n; i++)
			add_test(m, v[i].test, v[i].suite);
		record_test_names_release(v, n > 0 ? n : 0);
	}
}

static void add_value(struct matrix_cell *c, const char *v)
{
	size_t i;

	for (i = 0; i < c->nvalues; i++)
		if (!strcmp(c->values[i].text, v)) {
			c->values[i].count++;
			return;
		}
	if (c->nvalues == MATRIX_MAX_VALUES) {
		c->other_values++;
		return;
	}
	c->values[c->nvalues].text = xstrdup(v);
	c->values[c->nvalues++].count = 1;
}

static void cell_value(void *data, const char *output)
{
	char *v = ctest_value(output);

	if (v)
		add_value(data, v);
	free(v);
}

static void load_cell(struct store *st, const struct pool_key *kernel,
		      const char *test, const char *suite, struct matrix_cell *c)
{
	struct pool_key k;
	struct score s;

	pool_key_copy(&k, kernel);
	k.test = xstrdup(test);
	k.suite = xstrdup(suite);
	if (!record_pool_score(st, &k, 0, &s)) {
		c->iterations = s.iterations;
		c->failures = s.failures;
		c->runs = s.verdict_runs;
	}
	/* What a reproducer printed: read back from its (small) output. */
	record_pool_outputs(st, &k, "# value ", cell_value, c);
	pool_key_release(&k);
}

int matrix_load(struct store *st, const char *plan, struct matrix *m)
{
	struct pool_key *v;
	size_t t, k;
	int n;

	memset(m, 0, sizeof(*m));
	n = workq_pools(st, plan, MATRIX_MAX_KERNELS, &v);
	kernels_from(m, v, n);
	reused_bases(st, m);
	/* Without CI: the kernels of the latest runs. */
	if (!m->nkernels && !plan && !workq_count_all(st)) {
		n = record_pools_latest(st, MATRIX_FALLBACK_KERNELS, &v);
		kernels_from(m, v, n);
	}
	for (k = 0; k < m->nkernels; k++)
		label_kernel(st, &m->kernels[k]);
	load_tests(st, m);
	m->cells = xcalloc(m->ntests * m->nkernels + 1, sizeof(*m->cells));
	for (t = 0; t < m->ntests; t++)
		for (k = 0; k < m->nkernels; k++)
			load_cell(st, &m->kernels[k].key, m->tests[t],
				  m->suites[t], &m->cells[t * m->nkernels + k]);
	return 0;
}

void matrix_release(struct matrix *m)
{
	size_t i, j;

	for (i = 0; i < m->ntests; i++) {
		free(m->tests[i]);
		free(m->suites[i]);
	}
	for (i = 0; i < m->ntests * m->nkernels; i++)
		for (j = 0; j < m->cells[i].nvalues; j++)
			free(m->cells[i].values[j].text);
	for (i = 0; i < m->nkernels; i++) {
		pool_key_release(&m->kernels[i].key);
		free(m->kernels[i].commit);
		free(m->kernels[i].label);
		free(m->kernels[i].line);
	}
	free(m->tests);
	free(m->suites);
	free(m->kernels);
	free(m->cells);
	memset(m, 0, sizeof(*m));
}

const struct matrix_cell *matrix_cell(const struct matrix *m, size_t test,
				      size_t kernel)
{
	return &m->cells[test * m->nkernels + kernel];
}

void matrix_cell_text(const struct matrix_cell *c, struct strbuf *sb,
		      int flags)
{
	int with_values = flags & MATRIX_VALUES;
	double lo, hi;
	size_t i;

	if (!c->iterations) {
		strbuf_addstr(sb, "-");
		return;
	}
	stats_wilson(c->failures, c->runs, STATS_Z95, &lo, &hi);
	if (c->runs)
		strbuf_addf(sb, "%ld/%ld %.0f%% [%.0f-%.0f]%s%s", c->failures,
			    c->runs, 100.0 * c->failures / c->runs, 100 * lo,
			    100 * hi, flags & MATRIX_VERDICT ? " " : "",
			    flags & MATRIX_VERDICT ? stats_verdict_name(
				    stats_verdict(c->failures, c->runs)) : "");
	else
		strbuf_addf(sb, "%ld run(s), none with a verdict",
			    c->iterations);
	for (i = 0; with_values && i < c->nvalues; i++) {
		strbuf_addf(sb, "%s%s", i ? ", " : " | ", c->values[i].text);
		if (c->values[i].count != c->iterations)
			strbuf_addf(sb, " x%ld", c->values[i].count);
	}
	if (with_values && c->other_values)
		strbuf_addf(sb, ", %ld other", c->other_values);
}

json_t *matrix_json(const struct matrix *m)
{
	json_t *ks = json_array(), *ts = json_array();
	size_t t, k, v;

	for (k = 0; k < m->nkernels; k++)
		json_array_append_new(ks, json_pack("{s:I,s:o,s:o,s:o}",
			"kernel_id", (json_int_t)m->kernels[k].key.kernel_id,
			"commit", utf8_json_str(m->kernels[k].commit), "label",
			utf8_json_str(m->kernels[k].label), "pool",
			utf8_json_str(m->kernels[k].line)));
	for (t = 0; t < m->ntests; t++) {
		json_t *cells = json_array();

		for (k = 0; k < m->nkernels; k++) {
			const struct matrix_cell *c = matrix_cell(m, t, k);
			json_t *vals = json_array();
			double lo, hi;

			stats_wilson(c->failures, c->runs, STATS_Z95, &lo, &hi);
			for (v = 0; v < c->nvalues; v++)
				json_array_append_new(vals, json_pack("{s:o,s:I}",
					"value", utf8_json_str(c->values[v].text),
					"count",
					(json_int_t)c->values[v].count));
			json_array_append_new(cells, json_pack(
				"{s:I,s:I,s:I,s:o,s:[f,f],s:s,s:o}",
				"iterations", (json_int_t)c->iterations,
				"failures", (json_int_t)c->failures,
				"runs", (json_int_t)c->runs,
				"rate", c->runs ? json_real((double)c->failures /
							    c->runs) : json_null(),
				"ci95", lo, hi, "verdict",
				stats_verdict_name(stats_verdict(c->failures,
								 c->runs)),
				"values", vals));
		}
		json_array_append_new(ts, json_pack("{s:o,s:o,s:o}", "test",
			utf8_json_str(m->tests[t]), "suite",
			utf8_json_str(m->suites[t]), "cells", cells));
	}
	return json_pack("{s:o,s:o}", "kernels", ks, "tests", ts);
}

void matrix_print(const struct matrix *m)
{
	struct strbuf sb = STRBUF_INIT;
	size_t t, k, w = 4, tw = 4;

	if (!m->nkernels) {
		printf("no kernels to show (no CI items, and no runs)\n");
		return;
	}
	printf("kernels:\n");
	for (k = 0; k < m->nkernels; k++)
		printf("  K%-2zu %s (%.12s; %s)\n", k + 1, m->kernels[k].label,
		       m->kernels[k].commit, m->kernels[k].line);
	/* Column widths from the longest cell, capped. */
	for (t = 0; t < m->ntests; t++) {
		tw = strlen(m->tests[t]) > tw ? strlen(m->tests[t]) : tw;
		for (k = 0; k < m->nkernels; k++) {
			strbuf_reset(&sb);
			matrix_cell_text(matrix_cell(m, t, k), &sb,
					 MATRIX_VERDICT | MATRIX_VALUES);
			w = sb.len > w ? sb.len : w;
		}
	}
	w = w > 60 ? 60 : w;
	tw = tw > 32 ? 32 : tw;
	printf("\n%-*s", (int)tw, "test");
	for (k = 0; k < m->nkernels; k++) {
		char h[24];

		snprintf(h, sizeof(h), "K%zu", k + 1);
		printf("  %-*s", (int)w, h);
	}
	putchar('\n');
	for (t = 0; t < m->ntests; t++) {
		printf("%-*.*s", (int)tw, (int)tw, m->tests[t]);
		for (k = 0; k < m->nkernels; k++) {
			strbuf_reset(&sb);
			matrix_cell_text(matrix_cell(m, t, k), &sb,
					 MATRIX_VERDICT | MATRIX_VALUES);
			printf("  %-*.*s", (int)w, (int)w, sb.buf);
		}
		putchar('\n');
	}
	strbuf_release(&sb);
}
