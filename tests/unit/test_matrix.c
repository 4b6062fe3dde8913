/*
 * test_matrix.c - the test x kernel view (matrix.c) over a real database
 * written through record.c: without CI items its kernels are the latest
 * pools (a guest size apart is a column of its own), each cell counts
 * first attempts only, and reproducers' "# value" lines are tallied.
 */
#include <stdlib.h>
#include <string.h>

#include "../../harness/matrix.h"
#include "../../harness/record.h"
#include "../../harness/store.h"
#include "../../harness/util.h"
#include "test.h"

static long long kernel(struct store *st, long long tree, const char *commit,
			const char *key)
{
	struct record_kernel k = { .tree_id = tree, .commit_id = commit,
				   .config_hash = "h", .compiler = "gcc",
				   .cache_key = key, .fragments_json = "[]",
				   .config = "", .ok = 1, .image_path = "/k" };

	return record_kernel_save(st, &k);
}

static long long run(struct store *st, long long tree, long long kernel_id,
		     const char *commit, int cpus)
{
	struct record_run r = { .kind = "run", .tree_id = tree,
				.commit_id = commit, .kernel_id = kernel_id,
				.tests_json = "[]", .iterations = 4,
				.argv_json = "[]", .guest_cpus = cpus,
				.guest_mem_mb = 2048 };

	return record_run_create(st, &r);
}

static void iteration(struct store *st, long long run_id, const char *test,
		      enum record_outcome o, const char *output, int retry)
{
	static int seq;
	struct record_iteration it = {
		.run_id = run_id, .test = test, .suite = "path", .seq = ++seq,
		.outcome = o, .duration = 1, .guest_duration = 1,
		.timeout = 60, .max_silence = -1, .output = output,
		.started_at = 1.7e9, .finished_at = 1.7e9 + 1, .retry = retry,
	};

	CHECK(record_iteration_add(st, &it) > 0);
}

TEST(matrix_latest_pools_first_attempts_and_values)
{
	const char *c1 = "1111111111111111111111111111111111111111";
	const char *c2 = "2222222222222222222222222222222222222222";
	char *db = xasprintf("%s/m.db", test_tmpdir());
	struct matrix m;
	struct store st;
	long long tree, ka, kb, a, b, a4;
	const struct matrix_cell *c;

	CHECK_INT(store_open(&st, db, 0), 0);
	tree = record_tree_id(&st, "linux", "/t");
	ka = kernel(&st, tree, c1, "ka");
	kb = kernel(&st, tree, c2, "kb");
	a = run(&st, tree, ka, c1, 2);
	iteration(&st, a, "p.sh", OUTCOME_PASS, "# value 7\n", 0);
	iteration(&st, a, "p.sh", OUTCOME_PASS, "x\n# value 7\n", 0);
	iteration(&st, a, "p.sh", OUTCOME_PASS, "# value 8\n", 0);
	iteration(&st, a, "p.sh", OUTCOME_FAIL, "no value\n", 0);
	/* A retry (an import's second attempt) counts for nothing. */
	iteration(&st, a, "p.sh", OUTCOME_FAIL, "# value 9\n", 1);
	b = run(&st, tree, kb, c2, 2);
	iteration(&st, b, "p.sh", OUTCOME_FAIL, NULL, 0);
	iteration(&st, b, "p.sh", OUTCOME_FAIL, NULL, 0);
	iteration(&st, b, "p.sh", OUTCOME_PASS, NULL, 0);
	iteration(&st, b, "p.sh", OUTCOME_PASS, NULL, 0);
	iteration(&st, b, "p.sh", OUTCOME_SKIP, NULL, 0);
	iteration(&st, b, "q.sh", OUTCOME_PASS, NULL, 0);
	/* The same kernel with four vCPUs is a pool, so a column, apart. */
	a4 = run(&st, tree, ka, c1, 4);
	iteration(&st, a4, "p.sh", OUTCOME_STALL, NULL, 0);

	CHECK_INT(matrix_load(&st, NULL, &m), 0);
	CHECK_INT(m.nkernels, 3);
	CHECK_INT(m.ntests, 2);
	if (m.nkernels == 3 && m.ntests == 2) {
		CHECK_INT(m.kernels[0].key.kernel_id, ka);
		CHECK_INT(m.kernels[0].key.guest_cpus, 2);
		CHECK_INT(m.kernels[1].key.kernel_id, kb);
		CHECK_INT(m.kernels[2].key.guest_cpus, 4);
		CHECK_STR(m.kernels[1].label, "222222222222");
		CHECK_STR(m.tests[0], "p.sh");
		CHECK_STR(m.tests[1], "q.sh");
		c = &m.cells[0];
		CHECK_INT(c->iterations, 4);
		CHECK_INT(c->failures, 1);
		CHECK_INT(c->runs, 4);
		CHECK_INT(c->nvalues, 2);
		if (c->nvalues == 2) {
			CHECK_STR(c->values[0].text, "7");
			CHECK_INT(c->values[0].count, 2);
			CHECK_STR(c->values[1].text, "8");
			CHECK_INT(c->values[1].count, 1);
		}
		c = &m.cells[1];
		CHECK_INT(c->iterations, 5);
		CHECK_INT(c->failures, 2);
		CHECK_INT(c->runs, 4);
		c = &m.cells[2];
		CHECK_INT(c->failures, 1);
		CHECK_INT(c->runs, 1);
		CHECK_INT(m.cells[3].iterations, 0);
		CHECK_INT(m.cells[4].iterations, 1);
	}
	matrix_release(&m);
	store_close(&st);
	free(db);
}
