/*
 * bench/ingest.c - how fast the coordinator ingests a Slurm spool: W
 * workers' spool files of N iterations each, written by the real spool
 * writer (one fdatasync'ed line per iteration, with an udpgro_bench.sh
 * output that ingest parses into sub-results and metrics), then read by
 * spool_ingest() into a fresh database. Prints iterations per second,
 * and the rate of a second, fully duplicate pass (a restarted
 * coordinator that lost its read positions).
 *
 *   ingest [WORKERS [ITERATIONS]]   default 20 workers x 500 iterations
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "attempt.h"
#include "record.h"
#include "spool.h"
#include "store.h"
#include "util.h"

/*
 * An udpgro_bench.sh output as the guest prints it (~2 KB): two address
 * families, three blocks each of throughput lines; ingest turns it into
 * 6 sub-results and 30 metrics, like the real one.
 */
static char *make_output(void)
{
	static const char *const family[] = { "ipv4", "ipv6" };
	static const char *const block[] = {
		"tcp - over veth touching data",
		"udp gso - over veth touching data",
		"udp gso and gro - over veth touching data",
	};
	struct strbuf sb = STRBUF_INIT;
	int f, b, l;

	for (f = 0; f < 2; f++) {
		strbuf_addf(&sb, "%s\n", family[f]);
		for (b = 0; b < 3; b++) {
			const char *p = b ? "udp" : "tcp";

			strbuf_addf(&sb, "%s\n", block[b]);
			for (l = 0; l < 3; l++)
				strbuf_addf(&sb, "%s rx:     %2d MB/s    %5d "
					    "calls/s\n%s tx:     %2d MB/s    "
					    "%5d calls/s    %4d msg/s\n", p,
					    12 + l * 7, 8736 + l * 999, p,
					    24 + l, 419 + l * 11, 419 + l * 11);
			strbuf_addf(&sb, "%s rx:     %2d MB/s    %5d calls/s\n",
				    p, 25, 18284);
		}
	}
	return strbuf_detach(&sb);
}

/* CPU seconds (user + system) this process used so far. */
static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int write_spools(const char *dir, int workers, int iters,
			const char *output)
{
	int w, k;

	for (w = 0; w < workers; w++) {
		char *task = xasprintf("%d.%d_%d.bench", w, 1000, w);
		char job[32];
		struct spool *sp;

		snprintf(job, sizeof(job), "1000_%d", w);
		sp = spool_create(dir, task, w, job, 1);
		free(task);
		if (!sp || spool_boot(sp, 1, 1, "tcg", "qemu-system-x86_64 ...",
				      "/dev/null"))
			return -1;
		for (k = 0; k < iters; k++) {
			struct attempt a = {
				.item = w * iters + k,
				.test = xstrdup("udpgro_bench.sh"),
				.suite = xstrdup("net"),
				.seq = w * iters + k + 1,
				.outcome = k % 50 ? OUTCOME_PASS : OUTCOME_FAIL,
				.rc = k % 50 ? 0 : 1, .duration = 41.2,
				.guest_duration = 40.9, .timeout = 180,
				.max_silence = 3.5,
				.output = xstrdup(output),
				.console = xstrdup("[   12.3] random: crng init done\n"),
				.started_at = util_wallclock(),
				.finished_at = util_wallclock() + 41.2,
			};
			int rc = spool_attempt(sp, &a, 1);

			attempt_release(&a);
			if (rc)
				return -1;
		}
		spool_boot_end(sp, 1, 4.3, "done");
		spool_end(sp, "complete", NULL);
		spool_close(sp);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int workers = argc > 1 ? atoi(argv[1]) : 20;
	int iters = argc > 2 ? atoi(argv[2]) : 500;
	char tmpl[] = "/tmp/kflake-bench-ingest-XXXXXX";
	struct record_run r = { .kind = "run", .tests_json = "[\"udpgro_bench.sh\"]" };
	struct spool_ingest in = { 0 };
	struct store st;
	char *dir, *db, *art, *output;
	double t0, t1, t2, c1, c2;
	long long run;
	int n;

	if (workers < 1 || iters < 1 || !mkdtemp(tmpl))
		return 1;
	util_set_quiet(1);
	dir = xasprintf("%s/run", tmpl);
	db = xasprintf("%s/bench.db", tmpl);
	art = xasprintf("%s/artefacts", tmpl);
	output = make_output();
	t0 = util_now();
	if (write_spools(dir, workers, iters, output)) {
		fprintf(stderr, "ingest: cannot write the spool\n");
		return 1;
	}
	t1 = util_now();
	if (store_open(&st, db, 0))
		return 1;
	r.iterations = workers * iters;
	run = record_run_create(&st, &r);
	in = (struct spool_ingest){ .st = &st, .run_id = run, .dir = dir,
				    .artefacts = art };
	t1 = util_now();
	c1 = cpu_seconds();
	n = spool_ingest(&in);
	c2 = cpu_seconds();
	t2 = util_now();
	printf("spool written: %d worker(s) x %d iteration(s), %zu-byte "
	       "outputs, %.1f s (%.0f lines/s with fdatasync)\n", workers,
	       iters, strlen(output), t1 - t0,
	       (double)workers * iters / (t1 - t0));
	printf("ingest: %ld iteration(s) in %.2f s: %.0f iterations/s into "
	       "SQLite (%d lines, %ld sub-results, %ld metrics); %.2f CPU s: "
	       "%.0f iterations per CPU second\n", in.iterations, t2 - t1,
	       (double)in.iterations / (t2 - t1), n,
	       (long)store_query_int(&st, 0, "SELECT count(*) FROM subresults", ""),
	       (long)store_query_int(&st, 0, "SELECT count(*) FROM metrics", ""),
	       c2 - c1, (double)in.iterations / (c2 - c1));
	spool_forget(&st, run);
	t1 = util_now();
	spool_ingest(&in);
	t2 = util_now();
	printf("ingest again (read positions lost): %ld duplicate(s) in %.2f "
	       "s: %.0f lines/s, %lld iteration rows (unchanged)\n",
	       in.duplicates, t2 - t1, (double)in.duplicates / (t2 - t1),
	       store_query_int(&st, 0, "SELECT count(*) FROM iterations", ""));
	store_close(&st);
	util_rm_rf(tmpl);
	free(dir);
	free(db);
	free(art);
	free(output);
	return 0;
}
