/*
 * test_ci.c - unit tests for the CI loop's parts that need no VM: the
 * stopping rules (harness/seqtest.c), plan files (harness/plan.c) and C
 * reproducers (harness/ctest.c).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../harness/checks.h"
#include "../../harness/ctest.h"
#include "../../harness/plan.h"
#include "../../harness/runcmd.h"
#include "../../harness/seqtest.h"
#include "../../harness/store.h"
#include "../../harness/stress.h"
#include "../../harness/util.h"
#include "../../harness/workq.h"
#include "test.h"

TEST(seqtest_plain_rule)
{
	/* Stable needs 35 clean runs: 0/35 has a Wilson upper bound 0.0989. */
	CHECK(!seqtest_plain_decided(0, 34));
	CHECK(seqtest_plain_decided(0, 35));
	/* Failing: 16/16 has a lower bound 16 / (16 + 1.96^2) = 0.806. */
	CHECK(!seqtest_plain_decided(15, 15));
	CHECK(seqtest_plain_decided(16, 16));
	/* Flaky as soon as both outcomes showed. */
	CHECK(seqtest_plain_decided(1, 2));
	CHECK(!seqtest_plain_decided(1, 1));
}

TEST(seqtest_diff_upper_by_hand)
{
	double z = SEQTEST_FUTILITY_Z, u = z * z / (20 + z * z);

	/* 0/20 on both sides: only the series' Wilson upper bound counts. */
	CHECK_NEAR(seqtest_diff_upper(0, 20, 0, 20, z), u, 1e-12);
	/* Equal rates: sqrt((u2 - p)^2 + (p - l1)^2) with the same interval. */
	{
		double lo, hi;

		stats_wilson(5, 20, z, &lo, &hi);
		CHECK_NEAR(seqtest_diff_upper(5, 20, 5, 20, z),
			   sqrt((hi - 0.25) * (hi - 0.25) +
				(0.25 - lo) * (0.25 - lo)), 1e-12);
	}
	CHECK_NEAR(seqtest_diff_upper(0, 0, 3, 5, z), 1, 0);
}

TEST(seqtest_decisions)
{
	struct seqtest s;

	seqtest_init(&s, 0.20, 80);
	CHECK_INT(s.max, 80);
	CHECK_INT(s.step, SEQTEST_STEP);
	CHECK_NEAR(s.level, seqtest_level(16), 0);
	/* Under one step per side nothing is decided. */
	CHECK_INT(seqtest_decide(&s, 0, 4, 4, 4), SEQTEST_CONTINUE);
	/* 0/10 against 10/10: Fisher "worse" p = 1/C(20,10) = 5.4e-6. */
	CHECK_INT(seqtest_decide(&s, 0, 10, 10, 10), SEQTEST_REGRESSION);
	CHECK_INT(seqtest_decide(&s, 10, 10, 0, 10), SEQTEST_IMPROVEMENT);
	/* 0/25 each: the difference is below +0.18 at 99% < 0.20. */
	CHECK_INT(seqtest_decide(&s, 0, 25, 0, 25), SEQTEST_NO_CHANGE);
	/* 0/5 each: a 20-point rise cannot be ruled out yet. */
	CHECK_INT(seqtest_decide(&s, 0, 5, 0, 5), SEQTEST_CONTINUE);
	/* At the cap, neither way. */
	CHECK_INT(seqtest_decide(&s, 30, 80, 38, 80), SEQTEST_UNDECIDED);
	CHECK_INT(seqtest_next_look(&s, 0), 5);
	CHECK_INT(seqtest_next_look(&s, 12), 15);
	CHECK_INT(seqtest_next_look(&s, 78), 80);
	/* Caps round up to whole looks; long caps look less often. */
	seqtest_init(&s, 0.20, 12);
	CHECK_INT(s.max, 15);
	seqtest_init(&s, 0.20, 1000);
	CHECK_INT(s.step, 25);
	CHECK_INT(s.max, 1000);
}

TEST(seqtest_levels_hold)
{
	int i;

	for (i = 2; i <= SEQTEST_MAX_LOOKS; i++)
		CHECK(seqtest_level(i) <= seqtest_level(i - 1));
	/* The table's promise, re-checked exactly for short designs. */
	CHECK(seqtest_sup_alpha(seqtest_level(4), SEQTEST_STEP, 4) <=
	      SEQTEST_ALPHA);
	CHECK(seqtest_sup_alpha(seqtest_level(6), SEQTEST_STEP, 6) <=
	      SEQTEST_ALPHA);
	/* and the level is not needlessly low: 0.0025 more breaks it. */
	CHECK(seqtest_sup_alpha(seqtest_level(6) + 0.0025, SEQTEST_STEP, 6) >
	      SEQTEST_ALPHA);
}

TEST(seqtest_error_rates)
{
	double pr[SEQTEST_NR], en, p;
	struct seqtest s;

	/* The rates docs/STATISTICS.md states for the default design. */
	seqtest_init(&s, SEQTEST_DEFAULT_DELTA, SEQTEST_DEFAULT_MAX);
	for (p = 0.05; p < 0.96; p += 0.15) {
		seqtest_oc(&s, p, p, pr, &en);
		CHECK(pr[SEQTEST_REGRESSION] <= SEQTEST_ALPHA);
		CHECK(en <= s.max);
		if (p + s.delta <= 1) {
			seqtest_oc(&s, p, p + s.delta, pr, &en);
			CHECK(pr[SEQTEST_NO_CHANGE] <= 0.10);
		}
	}
	/* Probabilities add up; a sure difference stops early. */
	seqtest_oc(&s, 0, 0.5, pr, &en);
	CHECK_NEAR(pr[SEQTEST_REGRESSION] + pr[SEQTEST_NO_CHANGE] +
		   pr[SEQTEST_IMPROVEMENT] + pr[SEQTEST_UNDECIDED], 1, 1e-9);
	CHECK(pr[SEQTEST_REGRESSION] > 0.999);
	CHECK(en < 15);
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	if (util_write_file(path, text, strlen(text)))
		return NULL;
	return path;
}

/* Load text as a plan: 0, or -1 with the error in err. */
static int load(const char *text, struct plan *p, struct strbuf *err)
{
	const char *path = write_tmp("plan.json", text);

	strbuf_reset(err);
	return path ? plan_load(path, p, err) : -1;
}

TEST(plan_good)
{
	struct strbuf err = STRBUF_INIT;
	struct plan p;
	const char *tok = write_tmp("pw.token", "abc123\n");

	chmod(tok, 0600);
	write_tmp("extra.config", "CONFIG_KASAN=y\n");
	CHECK_INT(load("{\"name\": \"nightly\", \"trees\": [{\"tree\": "
		       "\"default\", \"refs\": [\"master\", \"v6.1\"]}],"
		       "\"kconfigs\": {\"default\": [], \"kasan\": "
		       "[\"extra.config\"]},"
		       "\"tests\": [{\"test\": \"net:udpgro_bench.sh\", "
		       "\"until\": \"decided\", \"max\": 40},"
		       "{\"test\": \"tfo.c\", \"name\": \"tfo-off\", "
		       "\"sysctls\": {\"net.ipv4.tcp_fastopen\": 0}},"
		       "{\"test\": \"tfo.c\", \"iterations\": 3}],"
		       "\"budget\": \"2h\", \"detect\": 0.3, "
		       "\"stress\": \"throttle,cpu\","
		       "\"patchwork\": {\"url\": \"http://pw.example/api/1.3/\","
		       "\"project\": \"netdevbpf\", \"token_file\": \"pw.token\"},"
		       "\"results\": {\"checks\": true, \"webhook\": "
		       "\"http://hook.example/x\"}, \"retention\": {\"days\": 30}}",
		       &p, &err), 0);
	CHECK_STR(strbuf_str(&err), "");
	CHECK_STR(p.name, "nightly");
	CHECK_INT(p.ntrees, 1);
	CHECK(p.trees[0].tree == NULL);
	CHECK_INT(p.trees[0].nrefs, 2);
	CHECK_INT(p.nkconfigs, 2);
	CHECK_INT(p.ntests, 3);
	CHECK(p.tests[0].until_decided);
	CHECK_INT(p.tests[0].iterations, 40);
	CHECK_STR(p.tests[0].test, "net:udpgro_bench.sh");
	CHECK(p.tests[1].test[0] == '/');
	CHECK_STR(p.tests[1].sysctls[0], "net.ipv4.tcp_fastopen=0");
	CHECK_STR(plan_test_label(&p.tests[1]), "tfo-off");
	CHECK_STR(plan_test_label(&p.tests[2]), "tfo.c");
	CHECK_INT(p.tests[2].iterations, 3);
	CHECK_NEAR(p.budget, 7200, 0);
	CHECK_NEAR(p.delta, 0.3, 1e-12);
	CHECK_STR(p.pw_url, "http://pw.example");
	CHECK_STR(p.pw_token, "abc123");
	CHECK(p.checks);
	CHECK_INT(p.retention_days, 30);
	CHECK_INT(p.stress, STRESS_CPU | STRESS_THROTTLE);
	plan_release(&p);
	strbuf_release(&err);
}

TEST(plan_executor_and_guests)
{
	struct strbuf err = STRBUF_INIT;
	struct plan p;

	CHECK_INT(load("{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], "
		       "\"tests\": [{\"test\": \"a.sh\", \"iterations\": 20}], "
		       "\"guest\": {\"cpus\": 1, \"vms\": 2}, \"executor\": "
		       "{\"name\": \"slurm\", \"partition\": \"debug\", "
		       "\"tasks\": 4, \"shared\": \"/nfs/kflake\"}}", &p, &err), 0);
	CHECK_STR(strbuf_str(&err), "");
	CHECK_INT(p.vms, 2);
	CHECK_INT(p.cpus, 1);
	CHECK_STR(p.executor, "slurm");
	CHECK_STR(p.partition, "debug");
	CHECK_INT(p.tasks, 4);
	CHECK_STR(p.shared, "/nfs/kflake");
	plan_release(&p);
	strbuf_release(&err);
}

TEST(plan_errors_name_the_field)
{
	static const struct {
		const char *plan, *error;
	} bad[] = {
		{ "{\"name\": \"x\", \"tests\": [{\"test\": \"a.sh\"}],"
		  "\"trees\": [{\"refs\": [\"master\"]}], \"budjet\": 3}",
		  "budjet: unknown field" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\", \"iteratons\": 3}]}",
		  "tests[0].iteratons: unknown field" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\", \"iterations\": 0}]}",
		  "tests[0].iterations: expected a whole number" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\", \"until\": \"decided\", "
		  "\"iterations\": 4}]}", "tests[0].iterations: give either" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\"}, {\"test\": \"b/a.sh\"}]}",
		  "tests[1]: records under the same name as tests[0]" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\", \"sysctls\": {\"../../etc\": 1}}]}",
		  "tests[0].sysctls.../../etc: expected a sysctl name" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\", \"sysctls\": {\"a.b\": \"1; reboot\"}}]}",
		  "tests[0].sysctls.a.b: expected a sysctl name" },
		{ "{\"trees\": [{\"refs\": [\"m\"]}], \"tests\": [{\"test\": "
		  "\"a.sh\"}]}", "name: required" },
		{ "{\"name\": \"x\", \"tests\": [{\"test\": \"a.sh\"}]}",
		  "trees: nothing to test" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\"}], \"results\": {\"checks\": true}}",
		  "results.checks: needs a \"patchwork\" section" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\"}], \"patchwork\": {\"url\": "
		  "\"ftp://x\", \"project\": \"p\"}}", "patchwork.url: expected" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\"}], \"budget\": \"soon\"}",
		  "budget: expected a duration" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\"}], \"stress\": \"cpu,fast\"}",
		  "stress: cpu,fast: unknown mode 'fast'" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\"}], \"stress\": [\"cpu\"]}",
		  "stress: expected modes as --stress takes them" },
		{ "{\"name\": \"x\",\n \"tests\": [}", ":2:" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\"}], \"executor\": {\"name\": \"pbs\"}}",
		  "executor.name: expected \"local\" or \"slurm\"" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\", \"until\": \"decided\"}], \"executor\": "
		  "{\"name\": \"slurm\"}}", "executor.name: slurm runs fixed" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\"}], \"executor\": {\"name\": \"local\", "
		  "\"tasks\": 4}}", "executor: partition, tasks and shared" },
		{ "{\"name\": \"x\", \"trees\": [{\"refs\": [\"m\"]}], \"tests\": "
		  "[{\"test\": \"a.sh\"}], \"guest\": {\"vms\": 0}}",
		  "guest.vms: expected a whole number from 1 to 64" },
	};
	struct strbuf err = STRBUF_INIT;
	struct plan p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_INT(load(bad[i].plan, &p, &err), -1);
		if (!strstr(strbuf_str(&err), bad[i].error))
			test_fail(__FILE__, __LINE__, "case %zu: '%s' lacks '%s'",
				  i, strbuf_str(&err), bad[i].error);
		/* One line, naming the file. */
		CHECK(!strchr(strbuf_str(&err), '\n'));
		CHECK(strstr(strbuf_str(&err), "plan.json") != NULL);
	}
	strbuf_release(&err);
}

TEST(ctest_value_lines)
{
	char *v = ctest_value("start\n# value errno=EPIPE\nmore\n"
			      "# value errno=EINPROGRESS  \n# values no\n");

	CHECK_STR(v, "errno=EINPROGRESS");
	free(v);
	CHECK(ctest_value("nothing here\n") == NULL);
	CHECK(ctest_value("# value \n") == NULL);
	v = ctest_value("# value a\tb\x01");
	CHECK_STR(v, "a?b?");
	free(v);
	CHECK(ctest_is_source("x/tfo.c"));
	CHECK(!ctest_is_source("x.c.sh"));
	CHECK(!ctest_is_source(".c"));
}

TEST(ctest_wrapper_text)
{
	char *const ok[] = { "net.ipv4.tcp_fastopen=1", "kernel.a-b=x y" };
	char *const bad[] = { "net.ipv4.x=1'; reboot" };
	char dir[512];
	struct strbuf sb = STRBUF_INIT;
	char *file;

	snprintf(dir, sizeof(dir), "%s/w", test_tmpdir());
	CHECK_INT(ctest_wrapper(dir, "/tmp/it's", "./t", ok, 2), 0);
	file = xasprintf("%s/run", dir);
	CHECK_INT(util_read_file(file, &sb, 65536), 0);
	CHECK(!access(file, X_OK));
	CHECK(strstr(sb.buf, "old0=$(cat /proc/sys/net/ipv4/tcp_fastopen "
			     "2>/dev/null)\nif [ -z \"$old0\" ]"));
	CHECK(strstr(sb.buf, "echo '1' > /proc/sys/net/ipv4/tcp_fastopen"));
	CHECK(strstr(sb.buf, "/proc/sys/kernel/a-b"));
	CHECK(strstr(sb.buf, "cd '/tmp/it'\\''s' || exit 127"));
	CHECK(strstr(sb.buf, "echo \"$old0\" > /proc/sys/net/ipv4/tcp_fastopen"));
	CHECK(strstr(sb.buf, "exit 4"));
	CHECK_INT(ctest_wrapper(dir, "/tmp", "./t", bad, 1), -1);
	free(file);
	strbuf_release(&sb);
}

/* Entries of dir whose name contains part. */
static int count_entries(const char *dir, const char *part)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	while (d && (e = readdir(d)))
		n += strstr(e->d_name, part) != NULL;
	if (d)
		closedir(d);
	return n;
}

TEST(ctest_build_static)
{
	const char *src = write_tmp("probe.c",
				    "#include <stdio.h>\n"
				    "int main(void) { puts(\"# value 42\"); "
				    "return 4; }\n");
	char *bin = NULL, *bin2 = NULL, *cache;
	const char *argv[2] = { NULL, NULL };
	const char *file[] = { "file", NULL, NULL };
	struct strbuf out = STRBUF_INIT;

	/* The same private cache test_series.c uses (the path is fixed once). */
	cache = xasprintf("/tmp/kflake-unit-cache-%d", (int)getpid());
	setenv("KFLAKE_CACHE", cache, 1);
	if (strcmp(util_cache_dir(), cache)) {
		test_fail(__FILE__, __LINE__, "cache dir is %s", util_cache_dir());
		free(cache);
		return;
	}
	CHECK_INT(ctest_build(src, &bin), 0);
	CHECK(bin && strstr(bin, "/ctests/") && strstr(bin, "/probe"));
	argv[0] = bin;
	CHECK_INT(runcmd_capture(argv, &out, 4096), 4);
	CHECK_STR(out.buf, "# value 42\n");
	/* Static: no interpreter to find in the guest. */
	strbuf_reset(&out);
	file[1] = bin;
	if (!runcmd_capture(file, &out, 4096))
		CHECK(strstr(out.buf, "statically linked") != NULL);
	/* Cached by content. */
	CHECK_INT(ctest_build(src, &bin2), 0);
	CHECK_STR(bin2, bin);
	src = write_tmp("broken.c", "int main(void) { return x; }\n");
	free(bin2);
	CHECK_INT(ctest_build(src, &bin2), -1);
	CHECK(bin2 == NULL);
	free(bin);
	/* A failed build leaves its log (the error names it), nothing else. */
	bin = xasprintf("%s/ctests", cache);
	CHECK_INT(count_entries(bin, ".tmp-"), 0);
	CHECK_INT(count_entries(bin, ".log"), 1);
	util_rm_rf(bin);
	free(bin);
	free(cache);
	strbuf_release(&out);
}

TEST(plan_example_loads)
{
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	/* run-unit is build/<variant>/tests/unit/run-unit in the checkout. */
	char *src = xasprintf("%s/../../../../docs/deploy/plan.example.json",
			      util_home());
	char *path;
	struct plan p;

	if (getenv("KFLAKE_HOME")) {
		free(src);
		src = xasprintf("%s/docs/deploy/plan.example.json",
				getenv("KFLAKE_HOME"));
	}
	/* The documented example stays valid (with its token beside it). */
	CHECK_INT(util_read_file(src, &text, 1 << 20), 0);
	chmod(write_tmp("patchwork.token", "t0ken\n"), 0600);
	path = xstrdup(write_tmp("example.json", strbuf_str(&text)));
	CHECK_INT(plan_load(path, &p, &err), 0);
	free(path);
	CHECK_STR(strbuf_str(&err), "");
	CHECK_INT(p.ntests, 4);
	CHECK(p.checks);
	plan_release(&p);
	free(src);
	strbuf_release(&text);
	strbuf_release(&err);
}

TEST(checks_state_and_context)
{
	char *c;

	CHECK_STR(checks_state("regression", 1), "fail");
	CHECK_STR(checks_state("improvement", 1), "success");
	CHECK_STR(checks_state("no change", 1), "success");
	CHECK_STR(checks_state("no change", 0), "warning");
	c = checks_context("kflake", "udpgro_bench.sh", "default");
	CHECK_STR(c, "kflake-udpgro_bench");
	free(c);
	c = checks_context("kflake", "tfo probe.c", "kasan");
	CHECK_STR(c, "kflake-tfo_probe-kasan");
	free(c);
}

static int open_db(struct store *st)
{
	char *path = xasprintf("%s/q.db", test_tmpdir());
	int ret = store_open(st, path, 0);

	free(path);
	return ret;
}

TEST(workq_order_once_recover)
{
	struct workq_item a = { 0 }, got;
	struct store st;

	if (open_db(&st)) {
		CHECK(0);
		return;
	}
	a.plan = "p";
	a.kconfig_set = "default";
	a.kind = "ref";
	a.key = "ref:t#master@abc";
	a.ref = "master";
	a.commit = "abc";
	CHECK_INT(workq_add(&st, &a), 1);
	CHECK_INT(workq_add(&st, &a), 0);	/* never queued twice */
	a.kind = "series";
	a.key = "series:7";
	a.ref = a.commit = NULL;
	CHECK_INT(workq_add(&st, &a), 1);
	/* Series first, though queued later. */
	CHECK_INT(workq_claim(&st, "p", &got), 1);
	CHECK_STR(got.kind, "series");
	CHECK_INT(got.attempts, 1);
	CHECK_INT(workq_count_state(&st, "p", "running"), 1);
	/* A SIGTERM does not count as an attempt; a kill does. */
	CHECK_INT(workq_requeue(&st, got.id, "stop", 0), 0);
	workq_item_release(&got);
	CHECK_INT(workq_claim(&st, "p", &got), 1);
	CHECK_INT(got.attempts, 1);
	workq_item_release(&got);
	CHECK_INT(workq_recover(&st), 1);		/* "killed" */
	CHECK_INT(workq_claim(&st, "p", &got), 1);
	CHECK_INT(got.attempts, 2);
	workq_item_release(&got);
	CHECK_INT(workq_recover(&st), 1);
	CHECK_INT(workq_claim(&st, "p", &got), 1);
	CHECK_INT(got.attempts, 3);
	workq_item_release(&got);
	/* Started three times, never finished: failed, not retried. */
	CHECK_INT(workq_recover(&st), 0);
	CHECK_INT(workq_count_state(&st, "p", "failed"), 1);
	CHECK_INT(workq_claim(&st, "p", &got), 1);
	CHECK_STR(got.kind, "ref");
	CHECK_INT(workq_finish(&st, got.id, "done", "{}", NULL), 0);
	workq_item_release(&got);
	CHECK_INT(workq_claim(&st, "p", &got), 0);
	CHECK_INT(workq_count_state(&st, "p", "done"), 1);
	store_close(&st);
}
