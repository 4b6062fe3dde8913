/*
 * matrix.h - test x kernel: for every kernel a CI plan tested (its
 * tracked refs, each series and the series' base) and every test run on
 * them, the failure rate with its 95% Wilson interval, the verdict, and
 * the values a C reproducer printed ("# value ...", ctest.h), so a
 * behaviour that differs between kernels shows. `kflake report --matrix`
 * prints it; the status server's /matrix page and /api/matrix show it.
 * Kernels are pools (pool.h): a ref and a series' base on the same
 * commit, built and run alike, are one column.
 */
#ifndef KFLAKE_MATRIX_H
#define KFLAKE_MATRIX_H

#include <stddef.h>

#include <jansson.h>

#include "pool.h"
#include "store.h"
#include "strbuf.h"

#define MATRIX_MAX_KERNELS 32
#define MATRIX_MAX_TESTS 200
#define MATRIX_MAX_VALUES 4	/* distinct values shown per cell */

struct matrix_kernel {
	struct pool_key key;	/* run parts: kernel and line */
	char *commit;
	char *label;		/* "master@0123456789ab", "series 3 'x'", ... */
	char *line;		/* pool_describe() */
};

struct matrix_value {
	char *text;
	long count;
};

struct matrix_cell {
	long iterations, failures, runs;	/* runs: with a verdict */
	struct matrix_value values[MATRIX_MAX_VALUES];
	size_t nvalues;
	long other_values;	/* iterations with a value not listed */
};

struct matrix {
	char **tests, **suites;
	size_t ntests;
	struct matrix_kernel *kernels;
	size_t nkernels;
	struct matrix_cell *cells;	/* [test * nkernels + kernel] */
};

/*
 * The kernels of plan's CI items (plan NULL: of every plan; with no CI
 * items at all, of the latest runs), newest last, and every test on them.
 */
int matrix_load(struct store *st, const char *plan, struct matrix *m);
void matrix_release(struct matrix *m);
const struct matrix_cell *matrix_cell(const struct matrix *m, size_t test,
				      size_t kernel);
/* "3/10 30% [11-60]", then " flaky" and " | VALUE, ..." as flags say. */
#define MATRIX_VERDICT 1
#define MATRIX_VALUES 2
void matrix_cell_text(const struct matrix_cell *c, struct strbuf *sb,
		      int flags);
json_t *matrix_json(const struct matrix *m);
void matrix_print(const struct matrix *m);

#endif
