/*
 * test_scale.c - parallel guests and the Slurm executor without QEMU or
 * Slurm: how many guests a host holds, an attempt's JSON round trip, the
 * spool's writer and its idempotent ingest (twice, torn lines, the same
 * item from two tasks, links planted in a boot directory), and squeue
 * parsing. The real thing runs in e2e 45-vms and 48-slurm.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../harness/attempt.h"
#include "../../harness/record.h"
#include "../../harness/session.h"
#include "../../harness/slurm.h"
#include "../../harness/spool.h"
#include "../../harness/store.h"
#include "../../harness/util.h"
#include "test.h"

TEST(session_auto_vms_fits_host)
{
	/* 2 cores, 2-vCPU guests: one guest, whatever the memory. */
	CHECK_INT(session_auto_vms(2, 20000, 2, 2048, 100), 1);
	/* 16 cores, 2-vCPU guests, memory for 5 guests of 2 GiB + QEMU. */
	CHECK_INT(session_auto_vms(16, 1024 + 5 * (2048 + 256), 2, 2048, 100),
		  5);
	CHECK_INT(session_auto_vms(16, 64000, 2, 2048, 100), 8);
	/* Never more guests than iterations, never fewer than one. */
	CHECK_INT(session_auto_vms(64, 640000, 1, 512, 3), 3);
	CHECK_INT(session_auto_vms(1, 100, 4, 4096, 10), 1);
}

static void fill_attempt(struct attempt *a, int item, int seq,
			 enum record_outcome o)
{
	memset(a, 0, sizeof(*a));
	a->item = item;
	a->test = xstrdup("quick.sh");
	a->suite = xstrdup("path");
	a->seq = seq;
	a->outcome = o;
	a->rc = o == OUTCOME_PASS ? 0 : 1;
	a->reason = o == OUTCOME_PASS ? NULL : xstrdup("exit code 1");
	a->duration = 1.5;
	a->guest_duration = 1.25;
	a->timeout = 30;
	a->max_silence = -1;
	/* Not UTF-8: the spool must still carry it. */
	a->output = xstrdup("ok 1 - case\n\xff\xfe tail\n");
	a->console = xstrdup("[    1.0] hello\n");
	a->started_at = 1700000000.5;
	a->finished_at = 1700000002.0;
}

TEST(attempt_json_round_trip)
{
	struct attempt a, b;
	struct crash_report r = { 0 };
	const char *why = NULL;
	json_t *o;

	fill_attempt(&a, 7, 4, OUTCOME_FAIL);
	a.id = xstrdup("0.12_0.abcd/7");
	a.snapshot = xstrdup("=== ss -tinm\n");
	r.kind = xstrdup("warning");
	r.title = xstrdup("WARNING in foo");
	r.frames = xstrdup("foo\nbar");
	r.fingerprint = xstrdup("0123456789abcdef0123456789abcdef01234567");
	r.text = xstrdup("WARNING: CPU: 0 PID: 1 at foo\n");
	r.line = 12;
	ALLOC_GROW(a.crashes.v, a.crashes.nr, a.crashes.alloc);
	a.crashes.v[a.crashes.nr++] = r;
	o = attempt_to_json(&a);
	CHECK(o != NULL);
	CHECK_INT(attempt_from_json(o, &b, &why), 0);
	CHECK_STR(b.id, "0.12_0.abcd/7");
	CHECK_INT(b.item, 7);
	CHECK_INT(b.seq, 4);
	CHECK_INT(b.outcome, OUTCOME_FAIL);
	CHECK_INT(b.rc, 1);
	CHECK_STR(b.reason, "exit code 1");
	CHECK_NEAR(b.guest_duration, 1.25, 1e-9);
	CHECK_NEAR(b.max_silence, -1, 1e-9);
	CHECK_STR(b.output, "ok 1 - case\n\xef\xbf\xbd\xef\xbf\xbd tail\n");
	CHECK_STR(b.snapshot, "=== ss -tinm\n");
	CHECK_INT((int)b.crashes.nr, 1);
	if (b.crashes.nr) {
		CHECK_STR(b.crashes.v[0].frames, "foo\nbar");
		CHECK_INT((int)b.crashes.v[0].line, 12);
	}
	attempt_release(&b);
	/* A line that lacks what a worker writes is refused, with a reason. */
	json_object_del(o, "outcome");
	CHECK_INT(attempt_from_json(o, &b, &why), -1);
	CHECK(why != NULL);
	json_decref(o);
	attempt_release(&a);
}

static long long new_run(struct store *st)
{
	struct record_run r = { .kind = "run", .tests_json = "[\"quick.sh\"]",
				.iterations = 3 };

	return record_run_create(st, &r);
}

static int count(struct store *st, const char *sql, long long run)
{
	return (int)store_query_int(st, -1, sql, "I", run);
}

/* Append raw bytes to a spool file, as a worker killed mid-write would. */
static void append_raw(const char *dir, const char *task, const char *text)
{
	char *path = xasprintf("%s/spool/%s.jsonl", dir, task);
	int fd = open(path, O_WRONLY | O_APPEND);

	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_INT(write(fd, text, strlen(text)), (long)strlen(text));
		close(fd);
	}
	free(path);
}

struct seen {
	int fresh, again, tasks;
};

static void seen_iteration(void *data, const char *task,
			   const struct attempt *a, int fresh)
{
	struct seen *s = data;

	(void)task;
	(void)a;
	if (fresh)
		s->fresh++;
	else
		s->again++;
}

static void seen_task(void *data, const char *task, json_t *line)
{
	(void)task;
	(void)line;
	((struct seen *)data)->tasks++;
}

TEST(spool_ingest_is_idempotent)
{
	struct store st;
	struct seen seen = { 0 };
	struct spool *a, *b;
	struct attempt it;
	struct spool_ingest in = { 0 };
	char *dir = xasprintf("%s/run", test_tmpdir());
	char *art = xasprintf("%s/artefacts", test_tmpdir());
	char *path = xasprintf("%s/s.db", test_tmpdir()), *link;
	long long run;

	CHECK_INT(store_open(&st, path, 0), 0);
	free(path);
	run = new_run(&st);
	in = (struct spool_ingest){ .st = &st, .run_id = run, .dir = dir,
				    .artefacts = art,
				    .on_iteration = seen_iteration,
				    .on_task = seen_task, .data = &seen };
	/* Task A: two iterations in boot 1, then killed mid-line. */
	a = spool_create(dir, "0.5_0.aaaa", 0, "5_0", 1);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_INT(spool_boot(a, 1, 1, "tcg", "qemu ...", "/x/console.log"), 0);
	fill_attempt(&it, 0, 1, OUTCOME_PASS);
	CHECK_INT(spool_attempt(a, &it, 1), 0);
	CHECK_STR(it.id, "0.5_0.aaaa/0");
	attempt_release(&it);
	fill_attempt(&it, 1, 2, OUTCOME_FAIL);
	CHECK_INT(spool_attempt(a, &it, 1), 0);
	attempt_release(&it);
	/* A link the guest planted in its output share is never followed. */
	path = xasprintf("%s/boot-1/out", spool_workdir(a));
	CHECK_INT(util_mkdir_p(path), 0);
	link = xasprintf("%s/0.out", path);
	CHECK_INT(symlink("/etc/passwd", link), 0);
	free(link);
	link = xasprintf("%s/1.out", path);
	CHECK_INT(util_write_file(link, "fail output\n", 12), 0);
	free(link);
	free(path);
	CHECK_INT(spool_boot_end(a, 1, 4.5, "interrupted"), 0);
	append_raw(dir, "0.5_0.aaaa", "{\"type\":\"iteration\",\"attempt\":\"0.5_");
	spool_close(a);

	CHECK_INT(spool_ingest(&in), 5);	/* task, boot, 2 x it, boot-end */
	CHECK_INT(seen.fresh, 2);
	CHECK_INT(seen.tasks, 1);
	CHECK_INT(count(&st, "SELECT count(*) FROM iterations WHERE run_id = ?",
			run), 2);
	CHECK_INT(count(&st, "SELECT count(*) FROM boots WHERE run_id = ? AND "
			"end_reason = 'interrupted' AND host IS NOT NULL", run), 1);
	CHECK_INT(count(&st, "SELECT count(*) FROM iterations i JOIN boots b ON "
			"b.id = i.boot_id WHERE i.run_id = ?", run), 2);
	/* The boot's files are in the artefacts; the planted link is not. */
	path = xasprintf("%s/0.5_0.aaaa/boot-1/out/1.out", art);
	CHECK(util_file_exists(path));
	free(path);
	path = xasprintf("%s/0.5_0.aaaa/boot-1/out/0.out", art);
	CHECK(!util_file_exists(path));
	free(path);

	/* Nothing new: nothing read, nothing stored. */
	CHECK_INT(spool_ingest(&in), 0);
	/* The read position lost (a coordinator restarted): no duplicates. */
	spool_forget(&st, run);
	CHECK_INT(spool_ingest(&in), 5);
	CHECK_INT(seen.again, 2);
	CHECK_INT(count(&st, "SELECT count(*) FROM iterations WHERE run_id = ?",
			run), 2);

	/* Task B, resubmitted, runs item 1 again and item 2: k=2 once. */
	b = spool_create(dir, "3.6_3.bbbb", 3, "6_3", 1);
	CHECK(b != NULL);
	if (b) {
		CHECK_INT(spool_boot(b, 1, 1, "tcg", "qemu ...", "/y"), 0);
		fill_attempt(&it, 1, 2, OUTCOME_PASS);
		CHECK_INT(spool_attempt(b, &it, 1), 0);
		attempt_release(&it);
		fill_attempt(&it, 2, 3, OUTCOME_PASS);
		CHECK_INT(spool_attempt(b, &it, 1), 0);
		attempt_release(&it);
		CHECK_INT(spool_end(b, "complete", NULL), 0);
		spool_close(b);
	}
	/* A line naming another task's attempt is not this file's to store. */
	append_raw(dir, "3.6_3.bbbb", "{\"type\":\"boot\",\"id\":\"0.5_0.aaaa/boot-9\"}\n");
	CHECK_INT(spool_ingest(&in), 6);
	CHECK_INT(in.bad, 1);
	CHECK_INT(count(&st, "SELECT count(*) FROM iterations WHERE run_id = ?",
			run), 3);
	CHECK_INT(count(&st, "SELECT count(DISTINCT seq) FROM iterations WHERE "
			"run_id = ?", run), 3);
	/* The first attempt of k=2 (fail) is the one kept. */
	CHECK_INT(count(&st, "SELECT count(*) FROM iterations WHERE run_id = ? "
			"AND seq = 2 AND outcome = 'fail'", run), 1);
	/* One sub-result per stored iteration: the duplicate added none. */
	CHECK_INT(count(&st, "SELECT count(*) FROM subresults s JOIN iterations "
			"i ON i.id = s.iteration_id WHERE i.run_id = ?", run), 3);
	store_close(&st);
	free(dir);
	free(art);
}

TEST(slurm_parse_squeue_lines)
{
	struct slurm_task *v = NULL;
	int n = slurm_parse_squeue("12_1|RUNNING|node3|1\n"
				   "12_2|PENDING||2\n"
				   "garbage\n"
				   "13|COMPLETED|node1|N/A\n", &v);

	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(v[0].job, "12_1");
		CHECK_STR(v[0].state, "RUNNING");
		CHECK_STR(v[0].node, "node3");
		CHECK_INT(v[0].index, 1);
		CHECK_STR(v[1].node, "");
		CHECK_INT(v[2].index, -1);
	}
	free(v);
	CHECK(slurm_state_final("CANCELLED"));
	CHECK(slurm_state_final("NODE_FAIL"));
	CHECK(!slurm_state_final("RUNNING"));
	CHECK(!slurm_state_final("COMPLETING"));
}
