/*
 * bench/gendb.c - fills a kflake database with synthetic runs through the
 * project's own store and record API (so the rows look like a real run's),
 * and plays a run that keeps writing iterations while a benchmark reads.
 *
 *   gendb DB [ITERATIONS]     at least ITERATIONS (default 100000)
 *   gendb --writer DB SECS [RATE]
 *                             insert RATE iterations a second (default 10,
 *                             ten times the fastest real run) for SECS,
 *                             each in its own transaction as a run does
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record.h"
#include "store.h"
#include "util.h"

#define ITERS_PER_TEST 10

static const struct {
	const char *name;
	double fail, stall, crash;
} tests[] = {
	{ "udpgro_bench.sh", 0.02, 0.03, 0.0 },
	{ "udpgro_frglist.sh", 0.08, 0.0, 0.0 },
	{ "udpgro.sh", 0.0, 0.0, 0.0 },
	{ "udpgso_bench.sh", 0.01, 0.0, 0.001 },
	{ "tcp_fastopen_backup_key.sh", 0.0, 0.0, 0.0 },
	{ "fib_tests.sh", 0.15, 0.0, 0.0 },
	{ "pmtu.sh", 0.05, 0.01, 0.0 },
	{ "rtnetlink.sh", 0.0, 0.0, 0.0 },
	{ "so_txtime.sh", 0.3, 0.0, 0.0 },
	{ "txtimestamp.sh", 0.0, 0.02, 0.0 },
	{ "reuseport_bpf", 0.0, 0.0, 0.0 },
	{ "msg_zerocopy.sh", 0.01, 0.0, 0.0 },
};

static enum record_outcome pick(unsigned *seed, int t)
{
	double x = (double)rand_r(seed) / RAND_MAX;

	if ((x -= tests[t].fail) < 0)
		return OUTCOME_FAIL;
	if ((x -= tests[t].stall) < 0)
		return OUTCOME_STALL;
	if ((x -= tests[t].crash) < 0)
		return OUTCOME_CRASH;
	return x < 0.01 ? OUTCOME_SKIP : OUTCOME_PASS;
}

static long long add_iteration(struct store *st, long long run, int t,
			       int seq, unsigned *seed, double when)
{
	struct record_iteration it = {
		.run_id = run, .test = tests[t].name, .suite = "net",
		.seq = seq, .rc = 0, .timeout = 180, .guest_duration = -1,
		.started_at = when,
	};
	long long id;

	it.outcome = pick(seed, t);
	it.duration = it.outcome == OUTCOME_STALL ? 180.0
		      : 5.0 + (rand_r(seed) % 4000) / 100.0;
	it.finished_at = when + it.duration;
	it.rc = it.outcome == OUTCOME_FAIL ? 1 : 0;
	it.reason = it.outcome == OUTCOME_PASS ? "exit 0"
		    : record_outcome_name(it.outcome);
	it.output = "# selftests: net: synthetic\nok 1 synthetic\n";
	id = record_iteration_add(st, &it);
	if (id > 0 && t == 0)
		store_exec(st, "INSERT INTO metrics(iteration_id, subcase, name, "
			   "value, unit) VALUES (?, 'udp gro', 'rx', ?, 'MB/s')",
			   "Id", id, 900.0 + rand_r(seed) % 200);
	return id;
}

static long long make_run(struct store *st, long long tree, const char *commit)
{
	struct record_run r = {
		.kind = "run", .tree_id = tree, .ref = "HEAD",
		.commit_id = commit, .iterations = ITERS_PER_TEST,
		.argv_json = "[\"kflake\",\"run\"]",
		.guest_cpus = 2, .guest_mem_mb = 2048,
		.kconfig_set = "[\"kflake:kconfigs/base.config\","
			"\"kflake:kconfigs/tests/udpgro.config\"]",
	};
	struct strbuf json = STRBUF_INIT;
	long long id;
	size_t t;

	for (t = 0; t < ARRAY_SIZE(tests); t++)
		strbuf_addf(&json, "%s\"%s\"", t ? "," : "[", tests[t].name);
	strbuf_addch(&json, ']');
	r.tests_json = json.buf;
	id = record_run_create(st, &r);
	strbuf_release(&json);
	/* One kernel per commit, as a build would record it. */
	if (id > 0) {
		struct record_kernel k = {
			.tree_id = tree, .commit_id = commit,
			.config_hash = "cfg", .compiler = "gcc",
			.cache_key = commit, .fragments_json = "[]",
			.ok = 1, .image_path = "/tmp/bzImage",
			.image_sha1 = commit, .build_seconds = 600,
		};

		record_run_set_kernel(st, id, record_kernel_save(st, &k));
	}
	return id;
}

static int generate(struct store *st, long want)
{
	unsigned seed = 42;
	char commit[41];
	long done = 0;
	long long tree, run;
	double when = util_wallclock() - 86400.0 * 60;
	int t, k, nrun = 0;

	store_exec(st, "INSERT OR IGNORE INTO trees(source, path, created_at) "
		   "VALUES ('linux-source-6.1', '/tmp/linux', "
		   "'2024-01-01T00:00:00Z')", "");
	tree = store_query_int(st, 0, "SELECT id FROM trees WHERE source = "
			       "'linux-source-6.1'", "");
	while (done < want) {
		if (nrun++ % 20 == 0)
			util_sha1_hex(&nrun, sizeof(nrun), commit);
		if (store_begin(st))
			return -1;
		run = make_run(st, tree, commit);
		for (t = 0; t < (int)ARRAY_SIZE(tests); t++)
			for (k = 1; k <= ITERS_PER_TEST; k++, done++)
				add_iteration(st, run, t, k, &seed,
					      when += 7.0);
		record_run_finish(st, run, "done", NULL);
		if (store_commit(st))
			return -1;
	}
	printf("gendb: %d runs, %ld iterations\n", nrun, done);
	return 0;
}

static int writer(struct store *st, double secs, double rate)
{
	double start = util_now(), end = start + secs, next;
	unsigned seed = (unsigned)getpid();
	long long run, tree;
	char progress[160];
	long n = 0;

	tree = store_query_int(st, 0, "SELECT min(id) FROM trees", "");
	run = make_run(st, tree, "0123456789abcdef0123456789abcdef01234567");
	if (run < 0)
		return -1;
	while (util_now() < end) {
		snprintf(progress, sizeof(progress), "{\"done\":%ld,\"total\":"
			 "%ld,\"eta\":%.1f,\"test\":\"udpgro_bench.sh\","
			 "\"k\":%ld,\"n\":%ld}", n, n + 100, 100 * 0.005,
			 n % 10 + 1, 10L);
		if (store_begin(st))
			return -1;
		add_iteration(st, run, (int)(n % ARRAY_SIZE(tests)),
			      (int)(n / ARRAY_SIZE(tests)) + 1, &seed,
			      util_wallclock());
		record_run_progress(st, run, "run", progress);
		if (store_commit(st))
			return -1;
		n++;
		/* Paced from the start, so a slow commit does not lower it. */
		next = start + n / rate;
		if (next > util_now())
			usleep((useconds_t)((next - util_now()) * 1e6));
	}
	record_run_finish(st, run, "done", NULL);
	printf("writer: %ld iterations in %.0f s\n", n, secs);
	return 0;
}

int main(int argc, char **argv)
{
	struct store st;
	long n = 100000;
	int ret;

	util_set_argv0(argv[0]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "--writer")) {
		double rate = argc == 5 ? atof(argv[4]) : 10;

		if (rate <= 0)
			die("gendb: bad rate '%s'", argv[4]);
		if (store_open(&st, argv[2], 0))
			return 1;
		ret = writer(&st, atof(argv[3]), rate);
	} else if (argc == 2 || argc == 3) {
		if (argc == 3 && util_parse_int(argv[2], 1, 100000000, &n))
			die("gendb: bad iteration count '%s'", argv[2]);
		if (store_open(&st, argv[1], 0))
			return 1;
		ret = generate(&st, n);
	} else {
		fprintf(stderr, "usage: gendb DB [ITERATIONS] | "
			"gendb --writer DB SECONDS [PER_SECOND]\n");
		return 2;
	}
	store_close(&st);
	return ret ? 1 : 0;
}
