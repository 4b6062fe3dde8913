/*
 * test_pool.c - the pooling key: its canonical parts (kconfig set, stress
 * modes), and the readers that must keep pools apart (tallies, learned
 * limits' history) on a real SQLite database.
 */
#include <stdlib.h>
#include <string.h>

#include "../../harness/pool.h"
#include "../../harness/record.h"
#include "../../harness/store.h"
#include "../../harness/util.h"
#include "test.h"

static char *path_in(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	char *slash = strrchr(p, '/');

	*slash = '\0';
	CHECK_INT(util_mkdir_p(p), 0);
	*slash = '/';
	CHECK_INT(util_write_file(p, text, strlen(text)), 0);
	return p;
}

TEST(pool_kconfig_set_names_fragments_by_root)
{
	char *tree = xasprintf("%s/tree", test_tmpdir());
	char *home_frag = xasprintf("%s/kconfigs/base.config", util_home());
	char *tree_frag = path_in(tree, "tools/testing/selftests/net/config",
				  "CONFIG_NET=y\n");
	char *a = path_in(test_tmpdir(), "a/extra.config", "CONFIG_X=y\n");
	char *b = path_in(test_tmpdir(), "b/extra.config", "CONFIG_X=y\n");
	char *c = path_in(test_tmpdir(), "c/extra.config", "CONFIG_X=n\n");
	const char *v[3] = { home_frag, tree_frag, a };
	char *s1, *s2, *s3;

	s1 = pool_kconfig_set(v, 3, tree);
	CHECK(!strncmp(s1, "[\"kflake:kconfigs/base.config\","
		       "\"tree:tools/testing/selftests/net/config\","
		       "\"file:extra.config@", 89));
	/* The same text in another temporary file is the same set... */
	v[2] = b;
	s2 = pool_kconfig_set(v, 3, tree);
	CHECK_STR(s2, s1);
	/* ...other text is not, and neither is another order. */
	v[2] = c;
	s3 = pool_kconfig_set(v, 3, tree);
	CHECK(strcmp(s3, s1) != 0);
	free(s3);
	v[0] = tree_frag;
	v[1] = home_frag;
	v[2] = a;
	s3 = pool_kconfig_set(v, 3, tree);
	CHECK(strcmp(s3, s1) != 0);
	free(s1);
	free(s2);
	free(s3);
	free(tree);
	free(home_frag);
	free(tree_frag);
	free(a);
	free(b);
	free(c);
}

TEST(pool_stress_canonical_sorts_and_dedups)
{
	char *s;

	s = pool_stress_canonical("net, cpu,net\tio");
	CHECK_STR(s, "cpu,io,net");
	free(s);
	s = pool_stress_canonical(NULL);
	CHECK_STR(s, "");
	free(s);
	s = pool_stress_canonical(" , ");
	CHECK_STR(s, "");
	free(s);
}

TEST(pool_describe_is_readable)
{
	struct pool_key k = {
		.kernel_id = 3, .guest_cpus = 1, .guest_mem_mb = 512,
		.kconfig_set = "[\"kflake:kconfigs/base.config\","
			"\"tree:tools/testing/selftests/net/config\","
			"\"file:x.config@0123456789ab\"]",
		.stress = "cpu,net", .executor = "slurm",
	};
	char *d = pool_describe(&k);

	CHECK_STR(d, "1 vCPU, 512 MiB, kconfig base.config+net/config+"
		  "x.config, stress cpu,net, slurm");
	free(d);
}

/* Runs on two kernels and two guest sizes, all writing a.sh. */
struct pools {
	struct store st;
	long long k1, k2, run1, run2, run3;
};

static long long kernel(struct store *st, const char *commit)
{
	CHECK_INT(store_exec(st, "INSERT INTO kernels(tree_id, commit_id, "
			     "config_hash, compiler, cache_key, fragments, "
			     "config, state, created_at) VALUES (1, ?, 'h', "
			     "'gcc', ?, '[]', '', 'ok', 'now')", "ss", commit,
			     commit), 0);
	return store_last_id(st);
}

static long long run_on(struct pools *p, long long kernel_id,
			const char *commit, int cpus)
{
	struct record_run r = {
		.kind = "run", .tree_id = 1, .commit_id = commit,
		.tests_json = "[\"a.sh\"]", .iterations = 3,
		.guest_cpus = cpus, .guest_mem_mb = 2048,
		.kconfig_set = "[\"kflake:kconfigs/base.config\"]",
	};
	long long id = record_run_create(&p->st, &r);

	CHECK(id > 0);
	CHECK_INT(record_run_set_kernel(&p->st, id, kernel_id), 0);
	return id;
}

static void iter(struct pools *p, long long run, enum record_outcome o,
		 double guest)
{
	struct record_iteration it = {
		.run_id = run, .test = "a.sh", .suite = "net", .seq = 1,
		.outcome = o, .rc = o != OUTCOME_PASS, .duration = guest + 1,
		.guest_duration = guest, .max_silence = -1, .timeout = 60,
		.started_at = 1.7e9, .finished_at = 1.7e9 + guest,
	};

	CHECK(record_iteration_add(&p->st, &it) > 0);
}

static void pools_setup(struct pools *p)
{
	char *path = xasprintf("%s/pool.db", test_tmpdir());
	int i;

	CHECK_INT(store_open(&p->st, path, 0), 0);
	free(path);
	CHECK_INT(store_exec(&p->st, "INSERT INTO trees(source, path, "
			     "created_at) VALUES ('t', '/t', 'now')", ""), 0);
	p->k1 = kernel(&p->st, "1111111111111111111111111111111111111111");
	p->k2 = kernel(&p->st, "2222222222222222222222222222222222222222");
	/* k1 with 2 vCPUs: 4 passes and a failure. */
	p->run1 = run_on(p, p->k1, "1111111111111111111111111111111111111111", 2);
	for (i = 0; i < 4; i++)
		iter(p, p->run1, OUTCOME_PASS, 10 + i);
	iter(p, p->run1, OUTCOME_FAIL, 50);
	/* k2, same setup: 2 passes. */
	p->run2 = run_on(p, p->k2, "2222222222222222222222222222222222222222", 2);
	iter(p, p->run2, OUTCOME_PASS, 20);
	iter(p, p->run2, OUTCOME_PASS, 21);
	/* k1 again with 1 vCPU: slower passes, a pool of its own. */
	p->run3 = run_on(p, p->k1, "1111111111111111111111111111111111111111", 1);
	for (i = 0; i < 3; i++)
		iter(p, p->run3, OUTCOME_PASS, 100 + i);
}

TEST(record_tally_keeps_pools_apart)
{
	struct pools p;
	struct record_tally *t;
	int n;

	pools_setup(&p);
	n = record_tally(&p.st, 0, NULL, &t);
	/* Without a run: one row per pool, never one a.sh over all. */
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(t[0].key.kernel_id, p.k1);
		CHECK_INT(t[0].key.guest_cpus, 1);
		CHECK_INT(t[0].score.iterations, 3);
		CHECK_INT(t[1].key.kernel_id, p.k1);
		CHECK_INT(t[1].key.guest_cpus, 2);
		CHECK_INT(t[1].score.iterations, 5);
		CHECK_INT(t[1].score.failures, 1);
		CHECK_NEAR(t[1].max_duration, 51, 1e-9);
		CHECK_INT(t[2].key.kernel_id, p.k2);
		CHECK_INT(t[2].score.iterations, 2);
		CHECK_NEAR(t[2].median_duration, 21.5, 1e-9);
		CHECK_STR(t[2].commit_id,
			  "2222222222222222222222222222222222222222");
		CHECK_STR(t[2].test, "a.sh");
		CHECK_STR(t[2].key.suite, "net");
	}
	record_tally_release(t, n);
	/* One commit: its kernel's two pools. */
	n = record_tally(&p.st, 0, "1111111111111111111111111111111111111111",
			 &t);
	CHECK_INT(n, 2);
	record_tally_release(t, n);
	/* One run: one row. */
	n = record_tally(&p.st, p.run2, NULL, &t);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(t[0].score.iterations, 2);
	record_tally_release(t, n);
	store_close(&p.st);
}

TEST(record_pass_history_follows_the_pool)
{
	struct pools p;
	struct pool_key k;
	double *v;
	size_t n;

	pools_setup(&p);
	CHECK_INT(pool_key_of_run(&p.st, p.run1, &k), 0);
	k.test = xstrdup("a.sh");
	k.suite = xstrdup("net");
	/* This kernel, 2 vCPUs: its 4 passes, newest first; no failure. */
	n = record_pass_history(&p.st, &k, POOL_KERNEL, RECORD_GUEST_DURATION,
				200, &v);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_NEAR(v[0], 13, 1e-9);
		CHECK_NEAR(v[3], 10, 1e-9);
	}
	free(v);
	/* The line: both kernels at 2 vCPUs, never the 1-vCPU guest. */
	n = record_pass_history(&p.st, &k, POOL_LINE, RECORD_GUEST_DURATION,
				200, &v);
	CHECK_INT(n, 6);
	if (n == 6)
		CHECK_NEAR(v[0], 21, 1e-9);
	free(v);
	n = record_pass_history(&p.st, &k, POOL_LINE, RECORD_GUEST_DURATION,
				3, &v);
	CHECK_INT(n, 3);
	free(v);
	/* No silences recorded: none. */
	n = record_pass_history(&p.st, &k, POOL_LINE, RECORD_MAX_SILENCE, 200,
				&v);
	CHECK_INT(n, 0);
	free(v);
	/* Another suite is another test. */
	free(k.suite);
	k.suite = xstrdup("bpf");
	n = record_pass_history(&p.st, &k, POOL_LINE, RECORD_GUEST_DURATION,
				200, &v);
	CHECK_INT(n, 0);
	free(v);
	pool_key_release(&k);
	store_close(&p.st);
}

/* Three kernels of one line: clean, clean, then half failing. */
TEST(record_lines_onset_before_after_change)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_line *v;
	struct store st;
	char *path = xasprintf("%s/lines.db", test_tmpdir());
	long long k[3], run;
	int i, j, n;

	CHECK_INT(store_open(&st, path, 0), 0);
	free(path);
	CHECK_INT(store_exec(&st, "INSERT INTO trees(source, path, created_at) "
			     "VALUES ('t', '/t', 'now')", ""), 0);
	for (i = 0; i < 3; i++) {
		struct pools p = { .st = st };
		char commit[41];

		snprintf(commit, sizeof(commit), "%040d", i + 1);
		k[i] = kernel(&st, commit);
		run = run_on(&p, k[i], commit, 2);
		for (j = 0; j < 10; j++) {
			struct record_iteration it = {
				.run_id = run, .test = "a.sh", .suite = "net",
				.seq = j + 1, .outcome = i == 2 && j < 5 ?
				OUTCOME_FAIL : OUTCOME_PASS, .duration = 1,
				.guest_duration = 1, .max_silence = -1,
				.started_at = 1.7e9 + 1000 * i + j,
				.finished_at = 1.7e9 + 1000 * i + j + 1,
			};

			CHECK(record_iteration_add(&st, &it) > 0);
		}
	}
	n = record_lines(&st, &f, &v);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(v[0].n, 3);
		CHECK_INT(v[0].kernels[0].key.kernel_id, k[0]);
		CHECK_INT(v[0].onset, 2);
		CHECK_INT(v[0].before.verdict_runs, 20);
		CHECK_INT(v[0].before.failures, 0);
		CHECK_INT(v[0].after.failures, 5);
		CHECK_INT(v[0].change, RECORD_CHANGE_WORSE);
		CHECK(v[0].change_p > 0 && v[0].change_p < 0.05);
		CHECK_INT(v[0].trend, RECORD_TREND_NONE);
	}
	record_lines_release(v, n);
	store_close(&st);
}
