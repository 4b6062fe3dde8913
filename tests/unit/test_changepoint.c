/*
 * test_changepoint.c - the change point detector on hand-made histories
 * (values worked out with Python's math.lgamma), and alert scans of a
 * real git history through a real database: one alert per change, found
 * again by the next scan with its state kept, withdrawn when it goes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "../../harness/alert.h"
#include "../../harness/changepoint.h"
#include "../../harness/history.h"
#include "../../harness/record.h"
#include "../../harness/store.h"
#include "../../harness/tree.h"
#include "../../harness/util.h"
#include "test.h"

static struct changepoint_params P;

static void params(void)
{
	changepoint_params_default(&P);
}

/* n copies of (k, runs) appended at v[*len]. */
static void fill(struct changepoint_count *v, size_t *len, size_t n, long k,
		 long runs)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[(*len)++] = (struct changepoint_count){ k, runs };
}

TEST(changepoint_loglik)
{
	params();
	/* No runs: probability 1. One failure: the prior mean a/(a+b). */
	CHECK_NEAR(changepoint_loglik(&P, 0, 0), 0, 1e-12);
	CHECK_NEAR(changepoint_loglik(&P, 1, 1), log(0.05 / 0.55), 1e-12);
	CHECK_NEAR(changepoint_loglik(&P, 0, 1), log(0.5 / 0.55), 1e-12);
}

TEST(changepoint_no_change)
{
	struct changepoint_count v[64];
	struct changepoint *cp;
	size_t n = 0;

	params();
	fill(v, &n, 40, 0, 10);
	CHECK_INT(changepoint_find(v, n, &P, &cp), 0);
	CHECK(cp == NULL);
	/* A steady 20% flake is not a change either. */
	n = 0;
	fill(v, &n, 30, 2, 10);
	CHECK_INT(changepoint_find(v, n, &P, &cp), 0);
	/* Nor is a history too short to say: one commit. */
	CHECK_INT(changepoint_find(v, 1, &P, &cp), 0);
}

TEST(changepoint_threshold)
{
	struct changepoint_count v[] = { { 0, 5 }, { 5, 5 }, { 5, 5 } };
	struct changepoint_count w[] = { { 0, 5 }, { 0, 5 }, { 5, 5 }, { 5, 5 } };
	struct changepoint *cp;

	params();
	/*
	 * ln BF of a split before position 1 is 9.058, just short of
	 * ln(1e4) = 9.210: no alert. One more clean commit makes it 13.35.
	 */
	CHECK_INT(changepoint_find(v, 3, &P, &cp), 0);
	CHECK_INT(changepoint_find(w, 4, &P, &cp), 1);
	CHECK_INT(cp[0].pos, 2);
	CHECK_INT(cp[0].lo, 2);
	CHECK_INT(cp[0].hi, 2);
	CHECK_NEAR(cp[0].log_bf, 13.35, 0.005);
	CHECK_INT(cp[0].k0, 0);
	CHECK_INT(cp[0].n0, 10);
	CHECK_INT(cp[0].k1, 10);
	CHECK_INT(cp[0].n1, 10);
	free(cp);
}

TEST(changepoint_interval)
{
	struct changepoint_count v[16];
	struct changepoint *cp;
	size_t n = 0;

	params();
	/*
	 * 0/10 x3, 1/2, 10/10 x3: the change is before position 3
	 * (posterior 0.908) or 4 (0.092); the 99% interval holds both.
	 */
	fill(v, &n, 3, 0, 10);
	fill(v, &n, 1, 1, 2);
	fill(v, &n, 3, 10, 10);
	CHECK_INT(changepoint_find(v, n, &P, &cp), 1);
	CHECK_INT(cp[0].pos, 3);
	CHECK_INT(cp[0].lo, 3);
	CHECK_INT(cp[0].hi, 4);
	CHECK_NEAR(cp[0].prob, 0.90785, 1e-4);
	free(cp);
	/*
	 * 0/10 x3, 0/1, 1/1, 8/10 x3: position 4 (0.828), 3 (0.171), 5
	 * (0.0017, below the 0.005 tail): the interval is [3, 4].
	 */
	n = 0;
	fill(v, &n, 3, 0, 10);
	fill(v, &n, 1, 0, 1);
	fill(v, &n, 1, 1, 1);
	fill(v, &n, 3, 8, 10);
	CHECK_INT(changepoint_find(v, n, &P, &cp), 1);
	CHECK_INT(cp[0].pos, 4);
	CHECK_INT(cp[0].lo, 3);
	CHECK_INT(cp[0].hi, 4);
	CHECK_NEAR(cp[0].prob, 0.82756, 1e-4);
	free(cp);
}

TEST(changepoint_rise_and_fall)
{
	struct changepoint_count v[64];
	struct changepoint *cp;
	size_t n = 0;

	params();
	fill(v, &n, 10, 0, 10);
	fill(v, &n, 10, 9, 10);
	fill(v, &n, 10, 0, 10);
	CHECK_INT(changepoint_find(v, n, &P, &cp), 2);
	CHECK_INT(cp[0].pos, 10);
	CHECK_INT(cp[1].pos, 20);
	/* Each change's counts are its neighbouring segments'. */
	CHECK_INT(cp[0].start, 0);
	CHECK_INT(cp[0].end, 20);
	CHECK_INT(cp[0].k0, 0);
	CHECK_INT(cp[0].n0, 100);
	CHECK_INT(cp[0].k1, 90);
	CHECK_INT(cp[1].start, 10);
	CHECK_INT(cp[1].end, 30);
	CHECK_INT(cp[1].k0, 90);
	CHECK_INT(cp[1].k1, 0);
	CHECK(cp[0].lo <= 10 && cp[0].hi >= 10);
	free(cp);
}

TEST(changepoint_untested_positions)
{
	struct changepoint_count v[32];
	struct changepoint *cp;
	size_t n = 0;

	params();
	/* Commits 5 and 6 were never run: the change lands on 7. */
	fill(v, &n, 5, 0, 10);
	fill(v, &n, 2, 0, 0);
	fill(v, &n, 5, 6, 10);
	CHECK_INT(changepoint_find(v, n, &P, &cp), 1);
	CHECK_INT(cp[0].pos, 7);
	CHECK_INT(cp[0].lo, 7);
	CHECK_INT(cp[0].hi, 7);
	free(cp);
}

/* ---- alerts over a real git history and database ---- */

static int git(const char *dir, const char *const *args, const char *out)
{
	return test_git(dir, out, "2024-01-02T03:04:05Z", args);
}

/* A repository with n empty commits; their ids, oldest first, in ids. */
static int make_repo(const char *dir, int n, char ids[][41])
{
	const char *init[] = { "init", "-q", "-b", "main", dir, NULL };
	const char *list[] = { "rev-list", "--reverse", "main", NULL };
	char out[256];
	struct strbuf sb = STRBUF_INIT;
	int i, ret = -1;

	snprintf(out, sizeof(out), "%s/revs", test_tmpdir());
	if (git(test_tmpdir(), init, NULL))
		return -1;
	for (i = 0; i < n; i++) {
		char msg[16];
		const char *ci[] = { "commit", "-q", "--allow-empty", "-m",
				     msg, "--author", "A U Thor <a@example.org>",
				     NULL };

		snprintf(msg, sizeof(msg), "c%d", i);
		if (git(dir, ci, NULL))
			return -1;
	}
	if (git(dir, list, out) || util_read_file(out, &sb, 1 << 20) ||
	    sb.len < (size_t)41 * n)
		goto out;
	for (i = 0; i < n; i++) {
		memcpy(ids[i], sb.buf + 41 * i, 40);
		ids[i][40] = '\0';
	}
	ret = 0;
out:
	strbuf_release(&sb);
	return ret;
}

/* A run of test on commit with fails failures in runs iterations. */
static void add_run(struct store *st, long long tree_id, const char *commit,
		    const char *test, int fails, int runs)
{
	struct record_run r = { .kind = "run", .tree_id = tree_id,
				.commit_id = commit, .tests_json = "[]",
				.iterations = runs,
				.argv_json = "[\"kflake\",\"run\",\"--test\","
					     "\"/t/quick.sh\"]" };
	long long id = record_run_create(st, &r);
	int i;

	for (i = 0; i < runs; i++) {
		struct record_iteration it = {
			.run_id = id, .test = test, .suite = "path",
			.seq = i + 1,
			.outcome = i < fails ? OUTCOME_FAIL : OUTCOME_PASS,
			.duration = 1, .guest_duration = 1, .timeout = 60,
			.max_silence = -1, .started_at = 1.7e9,
			.finished_at = 1.7e9 + 1,
		};
		record_iteration_add(st, &it);
	}
	/* A skip and an error say nothing about the rate. */
	{
		struct record_iteration it = {
			.run_id = id, .test = test, .suite = "path",
			.seq = runs + 1, .outcome = OUTCOME_SKIP,
			.max_silence = -1, .started_at = 1.7e9,
		};

		record_iteration_add(st, &it);
		it.outcome = OUTCOME_ERROR;
		it.seq++;
		record_iteration_add(st, &it);
	}
}

static int scan(struct store *st, struct tree *t, long long tree_id,
		struct alert_scan_result *r)
{
	struct history h;
	int ret = history_load_git(st, t, tree_id, "main", NULL, &h);

	if (!ret)
		ret = alert_scan(st, &h, r);
	history_release(&h);
	return ret;
}

TEST(alert_scan_git_history)
{
	char ids[12][41], *repo = xasprintf("%s/repo", test_tmpdir());
	char *db = xasprintf("%s/a.db", test_tmpdir());
	struct alert_scan_result r;
	struct alert_filter f = { .open_only = 1 };
	struct alert *v;
	struct tree t = { .source = "repo" };
	struct store st;
	long long tree;
	int i, n;

	git_libgit2_init();
	CHECK_INT(make_repo(repo, 12, ids), 0);
	CHECK_INT(git_repository_open(&t.repo, repo), 0);
	CHECK_INT(store_open(&st, db, 0), 0);
	tree = record_tree_id(&st, "repo", repo);
	/* Commits 0..9 run; 0..5 at 0/6, 6..9 at 4/6 (10, 11 untested). */
	for (i = 0; i < 10; i++)
		add_run(&st, tree, ids[i], "quick.sh", i < 6 ? 0 : 4, 6);
	/* A run on a commit off the branch counts for nothing. */
	add_run(&st, tree, "0123456789012345678901234567890123456789",
		"quick.sh", 6, 6);
	CHECK_INT(scan(&st, &t, tree, &r), 0);
	CHECK_INT(r.positions, 10);
	CHECK_INT(r.found, 1);
	CHECK_INT(r.created, 1);
	n = alert_list(&st, &f, &v);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(v[0].direction, "worse");
		CHECK_STR(v[0].nominal, ids[6]);
		CHECK_STR(v[0].good, ids[5]);
		CHECK_STR(v[0].state, "new");
		CHECK_INT(v[0].k0, 0);
		CHECK_INT(v[0].n0, 36);
		CHECK_INT(v[0].k1, 16);
		CHECK_INT(v[0].n1, 24);
		CHECK_STR(v[0].test_arg, "/t/quick.sh");
		CHECK(v[0].fisher_p < 1e-6);
	}
	alert_list_release(v, n);
	/* Acknowledged, then scanned again with more data: same alert. */
	CHECK_INT(alert_set_state(&st, 1, "acknowledged", "looking"), 0);
	add_run(&st, tree, ids[10], "quick.sh", 3, 6);
	CHECK_INT(scan(&st, &t, tree, &r), 0);
	CHECK_INT(r.created, 0);
	CHECK_INT(r.updated, 1);
	n = alert_list(&st, &f, &v);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(v[0].id, 1);
		CHECK_STR(v[0].state, "acknowledged");
		CHECK_INT(v[0].n1, 30);
	}
	alert_list_release(v, n);
	CHECK_INT(alert_set_state(&st, 1, "broken", NULL), -1);
	CHECK_INT(alert_set_state(&st, 99, "fixed", NULL), -1);
	/*
	 * The failures turn out to be something else: with commits 6..10
	 * clean, the next scan withdraws the alert (kept, not current).
	 */
	CHECK_INT(store_exec(&st, "UPDATE iterations SET outcome = 'pass'", ""), 0);
	CHECK_INT(scan(&st, &t, tree, &r), 0);
	CHECK_INT(r.found, 0);
	CHECK_INT(r.withdrawn, 1);
	CHECK_INT(alert_list(&st, &f, &v), 0);
	alert_list_release(v, 0);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM alerts "
				  "WHERE current = 0", ""), 1);
	CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM "
				  "alert_histories", ""), 1);
	store_close(&st);
	git_repository_free(t.repo);
	git_libgit2_shutdown();
	free(repo);
	free(db);
}

TEST(history_test_arg)
{
	char *s;

	s = history_test_arg("[\"kflake\",\"run\",\"--test\",\"/x/a.sh\"]",
			     "a.sh", "path");
	CHECK_STR(s, "/x/a.sh");
	free(s);
	s = history_test_arg("[\"kflake\",\"run\",\"--test=net:u.sh\"]",
			     "u.sh", "net");
	CHECK_STR(s, "net:u.sh");
	free(s);
	/* A kselftest can always be named; a path test only from argv. */
	CHECK_STR((s = history_test_arg("junk", "u.sh", "net")), "net:u.sh");
	free(s);
	CHECK(history_test_arg("[\"--test\",\"/y/b.sh\"]", "a.sh", "path") ==
	      NULL);
}
