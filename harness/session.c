/*
 * session.c - the iteration loop of a run.
 *
 * The plan is interleaved (iteration 1 of every test, then 2, ...) so a
 * run stopped early still has balanced data. Each boot gets a plan file
 * with the items not yet done; the guest (runners/init) runs them in order
 * and reports BEGIN/END over the record channel. A crash, a stall or a
 * lost VM ends the boot; the next boot starts at the next item. The host
 * keeps its own watchdog in case the guest cannot enforce its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "cmdlog.h"
#include "crashwatch.h"
#include "progress.h"
#include "seqtest.h"
#include "session.h"
#include "util.h"
#include "vm.h"

#define BOOT_TIMEOUT_TCG 180.0
#define BOOT_TIMEOUT_KVM 60.0
#define EXIT_GRACE 30.0		/* for the guest to reboot after a stall */
#define OUTPUT_CAP (256 << 10)
#define CONSOLE_CAP (64 << 10)
#define MAX_BOOT_FAILURES 2

volatile sig_atomic_t session_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	session_interrupted = 1;
	util_interrupted = 1;
}

void session_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* What one boot is doing now. */
struct boot {
	struct vm vm;
	long long boot_id;
	char *dir;
	char *outdir;
	char *console;
	int first_item;		/* plan line 0 is this item */
	int ready;
	double ready_at;
	int cur;		/* item running, -1 none */
	double cur_start;
	double cur_wall;
	struct strbuf con;	/* console lines during the current item */
	struct crashwatch *scan;
	char *end_reason;
};

static struct session_test *item_test(struct session *s, int item)
{
	return &s->tests[s->sched[item]];
}

/* k of "k/N": the item is the test's next iteration. */
static int item_seq(struct session *s, int item)
{
	return item_test(s, item)->done + 1;
}

/*
 * The items from items_done on: round-robin over the tests that still
 * have iterations to run, so a run stopped early has balanced data.
 * Items already done keep their numbers.
 */
static void schedule(struct session *s)
{
	int *left = xcalloc(s->ntests, sizeof(*left));
	int total = s->items_done, k, more = 1;
	size_t i;

	for (i = 0; i < s->ntests; i++) {
		struct session_test *t = &s->tests[i];

		if (!t->target)
			t->target = s->iterations;
		left[i] = t->stopped ? 0 : t->target - t->done;
		if (left[i] > 0)
			total += left[i];
	}
	s->sched = xrealloc(s->sched, ((size_t)total + 1) * sizeof(*s->sched));
	for (k = s->items_done; more;) {
		more = 0;
		for (i = 0; i < s->ntests; i++)
			if (left[i]-- > 0) {
				s->sched[k++] = (int)i;
				more = 1;
			}
	}
	s->items_total = k;
	free(left);
}

/* --until decided: has this test's verdict settled? */
static void check_decided(struct session *s, struct session_test *t)
{
	long fails = t->prior_failures + t->counts[OUTCOME_FAIL] +
		     t->counts[OUTCOME_STALL] + t->counts[OUTCOME_CRASH];
	long runs = t->prior_runs + t->done - t->counts[OUTCOME_ERROR] -
		    t->counts[OUTCOME_SKIP];

	if (!t->until_decided || t->stopped || t->done >= t->target ||
	    !seqtest_plain_decided(fails, runs))
		return;
	t->stopped = 1;
	progress_step("run", "%s: %s after %ld run(s); no more iterations",
		      t->t->name, stats_verdict_name(stats_verdict(fails, runs)),
		      runs);
	schedule(s);
	s->replan = 1;
}

/*
 * The plan, and the host directories the guest must still see where its
 * tmpfs mounts (/tmp, /var/tmp, /var/log) would hide them ("keep"), go
 * into the boot's output share, which the guest mounts first.
 */
static int write_plan(struct session *s, struct boot *b)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/plan", b->outdir), *runners;
	size_t k;
	int i, ret;

	for (i = b->first_item; i < s->items_total; i++) {
		struct session_test *t = item_test(s, i);

		strbuf_addf(&sb, "%d\t%s\t%s\t%s\t%.0f\t%.0f\n", i, t->t->name,
			    t->run_dir, t->cmd, t->timeout, t->idle);
	}
	ret = util_write_file(path, sb.buf, sb.len);
	free(path);
	strbuf_reset(&sb);
	path = xasprintf("%s/runners", util_home());
	runners = util_realpath(path);
	strbuf_addf(&sb, "%s\n", runners);
	free(runners);
	free(path);
	if (s->payload)
		strbuf_addf(&sb, "%s\n", s->payload);
	for (k = 0; k < s->ntests; k++)
		if (!s->payload || !util_path_under(s->tests[k].run_dir,
						    s->payload))
			strbuf_addf(&sb, "%s\n", s->tests[k].run_dir);
	path = xasprintf("%s/keep", b->outdir);
	if (!ret)
		ret = util_write_file(path, sb.buf, sb.len);
	strbuf_release(&sb);
	if (ret)
		error("%s: cannot write the plan", b->outdir);
	free(path);
	return ret;
}

/* Keep the tail of a capped buffer: the end is where crashes are. */
static void append_capped(struct strbuf *sb, const char *line, size_t cap)
{
	strbuf_addstr(sb, line);
	strbuf_addch(sb, '\n');
	if (sb->len > cap) {
		size_t cut = sb->len - cap / 2;

		memmove(sb->buf, sb->buf + cut, sb->len - cut);
		strbuf_setlen(sb, sb->len - cut);
	}
}

static char *read_output(const char *outdir, int item, const char *suffix)
{
	char *path = xasprintf("%s/%d.%s", outdir, item, suffix);
	struct strbuf sb = STRBUF_INIT;
	int rc = util_read_file(path, &sb, OUTPUT_CAP);

	free(path);
	if (rc) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

static void show_status(struct session *s)
{
	struct strbuf sb = STRBUF_INIT;
	double eta = 0, per = 0;
	char etabuf[32];
	size_t i;
	int left = s->items_total - s->items_done;

	for (i = 0; i < s->ntests; i++) {
		struct session_test *t = &s->tests[i];

		per += t->done ? t->seconds / t->done : 60;
		strbuf_addf(&sb, "%s%s %ld/%ld", i ? ", " : "", t->t->name,
			    t->counts[OUTCOME_PASS], (long)t->done);
	}
	eta = per / (double)s->ntests * left;
	progress_fmt_duration(eta, etabuf);
	progress_status("iteration %d/%d | passed: %s | ETA %s",
			s->items_done + 1 > s->items_total ? s->items_total
							  : s->items_done + 1,
			s->items_total, sb.buf, etabuf);
	strbuf_release(&sb);
}

static void save_progress(struct session *s, const char *test, int k)
{
	json_t *tallies = json_object(), *p;
	double per = 0, eta;
	size_t i;
	char *js;

	for (i = 0; i < s->ntests; i++) {
		struct session_test *t = &s->tests[i];
		json_t *o = json_object();
		int j;

		for (j = 0; j < OUTCOME_NR; j++)
			if (t->counts[j])
				json_object_set_new(o, record_outcome_name(j),
						    json_integer(t->counts[j]));
		json_object_set_new(tallies, t->t->name, o);
		per += t->done ? t->seconds / t->done : 60;
	}
	eta = per / (double)s->ntests * (s->items_total - s->items_done);
	p = json_pack("{s:i, s:i, s:f, s:s, s:i, s:i, s:o}", "done",
		      s->items_done, "total", s->items_total, "eta", eta,
		      "test", test ? test : "", "k", k, "n", s->iterations,
		      "tallies", tallies);
	js = json_dumps(p, JSON_COMPACT);
	record_run_progress(s->st, s->run_id, "run", js);
	free(js);
	json_decref(p);
}

/* Record a finished item (one transaction) and report it. */
static void finish_item(struct session *s, struct boot *b, int item,
			const struct classify_input *in, double guest_secs,
			double silence)
{
	struct session_test *t = item_test(s, item);
	struct record_iteration it = { 0 };
	enum record_outcome o;
	char *reason = NULL, *output = NULL;
	double now = util_now();

	o = classify_iteration(in, &reason);
	output = read_output(b->outdir, item, "out");
	it = (struct record_iteration){
		.run_id = s->run_id, .boot_id = b->boot_id, .test = t->t->name,
		.suite = t->t->suite, .seq = item_seq(s, item), .outcome = o,
		.rc = in->ended ? in->rc : -1, .reason = reason,
		.duration = now - b->cur_start, .guest_duration = guest_secs,
		.timeout = t->timeout, .max_silence = silence,
		.output = output, .console = b->con.buf,
		.started_at = b->cur_wall,
		.finished_at = b->cur_wall + (now - b->cur_start),
	};
	if (!store_begin(s->st)) {
		long long id = record_iteration_add(s->st, &it);

		if (id > 0)
			record_subresults(s->st, id, output);
		if (id > 0)
			crashwatch_store(s->st, b->scan, id, s->run_id,
						  s->kernel_id, t->t->name,
						  b->outdir, item);
		t->done++;
		t->counts[o]++;
		t->seconds += it.duration;
		s->items_done = item + 1;
		save_progress(s, t->t->name, t->done);
		store_commit(s->st);
	}
	progress_step("run", "%s %d/%d: %s%s%s (%.1f s)", t->t->name,
		      t->done, t->target, record_outcome_name(o),
		      reason ? " - " : "", reason ? reason : "", it.duration);
	progress_json(json_pack("{s:s, s:s, s:i, s:s, s:s?, s:f, s:f}",
				"event", "iteration", "test", t->t->name,
				"k", t->done, "outcome",
				record_outcome_name(o), "reason", reason,
				"duration", it.duration, "guest_duration",
				guest_secs));
	s->errors_in_a_row = o == OUTCOME_ERROR ? s->errors_in_a_row + 1 : 0;
	if (s->enough) {
		long counts[OUTCOME_NR] = { 0 };
		size_t i;
		int k;

		for (i = 0; i < s->ntests; i++)
			for (k = 0; k < OUTCOME_NR; k++)
				counts[k] += s->tests[i].counts[k];
		if (s->enough(s->enough_data, counts))
			s->decided = 1;
	}
	check_decided(s, t);
	free(reason);
	free(output);
	b->cur = -1;
	strbuf_reset(&b->con);
	crashwatch_reset(b->scan);
}

/*
 * Reports printed outside any test (while booting, between two tests or
 * after the last) are kept against the run alone: no test's failure
 * rate pays for a kernel that warns at boot.
 */
static void stray_reports(struct session *s, struct boot *b)
{
	const char *title;
	int fatal, warn;

	crashwatch_finish(b->scan);
	crashwatch_verdict(b->scan, &fatal, &warn, &title);
	if (warn) {
		progress_step("run", "kernel report outside any test%s: %s",
			      b->ready ? "" : " (while booting)", title);
		if (!store_begin(s->st)) {
			crashwatch_store(s->st, b->scan, 0, s->run_id,
					 s->kernel_id, NULL, NULL, -1);
			store_commit(s->st);
		}
	}
	crashwatch_reset(b->scan);
}

static void on_console(struct boot *b, const char *line)
{
	append_capped(&b->con, line, CONSOLE_CAP);
	crashwatch_feed(b->scan, line);
}

static void on_record(struct session *s, struct boot *b, const char *line)
{
	int id = -1, rc = 0;
	double secs = -1, silence = -1;
	char status[16] = "";

	if (!strncmp(line, "KFLAKE READY", 12)) {
		b->ready = 1;
		b->ready_at = util_now() - b->vm.started;
		progress_json(json_pack("{s:s, s:i, s:f}", "event", "ready",
					"boot", s->boots, "seconds",
					b->ready_at));
		/* Host-side stress acts on tests, not on the boot. */
		if (vm_stress_start(&b->vm)) {
			s->abort_reason = xstrdup("--stress could not be "
						  "applied to the guest");
			b->end_reason = xstrdup("lost");
		}
		return;
	}
	if (sscanf(line, "KFLAKE BEGIN %d", &id) == 1) {
		/* The guest runs the plan in order; anything else is not ours. */
		if (id != s->items_done || b->cur >= 0) {
			warning("guest began item %d, expected %d; ignored", id,
				s->items_done);
			return;
		}
		stray_reports(s, b);
		b->cur = id;
		b->cur_start = util_now();
		b->cur_wall = util_wallclock();
		strbuf_reset(&b->con);
		progress_json(json_pack("{s:s, s:s, s:i, s:f}", "event", "begin",
					"test", item_test(s, id)->t->name,
					"k", item_seq(s, id), "elapsed",
					util_uptime()));
		return;
	}
	if (sscanf(line, "KFLAKE END %d %d %lf %15s %lf", &id, &rc, &secs,
		   status, &silence) >= 4 && id == b->cur) {
		struct classify_input in = {
			.ended = 1, .rc = rc, .status = status,
			.timeout = item_test(s, id)->timeout,
			.idle = item_test(s, id)->idle,
		};
		const char *con;

		/* Console lines printed before END may still be in flight. */
		while (vm_console_drain(&b->vm, 0.05, &con))
			on_console(b, con);
		crashwatch_finish(b->scan);
		crashwatch_verdict(b->scan, &in.crash_fatal, &in.crash_warn,
				      &in.crash_title);
		finish_item(s, b, id, &in, secs, silence);
		if (strcmp(status, "exit"))
			b->end_reason = xstrdup("stall");
	}
}

/* The VM is gone or being killed: account for the item it was running. */
static void vm_ended(struct session *s, struct boot *b, int watchdog)
{
	struct classify_input in = { 0 };

	if (b->cur < 0)
		return;
	in.timeout = item_test(s, b->cur)->timeout;
	in.vm_lost = !watchdog;
	in.host_watchdog = watchdog;
	crashwatch_finish(b->scan);
	crashwatch_verdict(b->scan, &in.crash_fatal, &in.crash_warn,
			      &in.crash_title);
	if (!b->end_reason)
		b->end_reason = xstrdup(in.crash_fatal ? "crash" :
					watchdog ? "stall" : "lost");
	finish_item(s, b, b->cur, &in, -1, -1);
}

/* A boot that never reached READY consumes one item as `error`. */
static void boot_failed(struct session *s, struct boot *b, const char *why)
{
	struct classify_input in = { 0 };
	int item = b->first_item;

	b->cur = item;
	b->cur_start = util_now();
	b->cur_wall = util_wallclock();
	in.vm_lost = 1;
	in.boot_failed = 1;
	crashwatch_finish(b->scan);
	crashwatch_verdict(b->scan, &in.crash_fatal, &in.crash_warn,
			      &in.crash_title);
	progress_step("boot", "boot %d failed: %s (console: %s)", s->boots,
		      why, b->console);
	/* QEMU says on stderr why it would not run the guest: show it. */
	if (b->vm.exited && b->vm.exit_status) {
		char *qlog = xasprintf("%s/qemu.log", b->dir);

		cmdlog_show_tail(qlog);
		free(qlog);
	}
	free(b->end_reason);
	b->end_reason = xstrdup("boot-failed");
	finish_item(s, b, item, &in, -1, -1);
}

static double deadline_for(struct session *s, struct boot *b)
{
	double boot_to = strcmp(s->accel, "kvm") ? BOOT_TIMEOUT_TCG
						 : BOOT_TIMEOUT_KVM;

	if (!b->ready)
		return b->vm.started + boot_to;
	if (b->cur >= 0)
		return b->cur_start + item_test(s, b->cur)->timeout +
		       CLASSIFY_HOST_GRACE;
	if (b->end_reason)
		return util_now() + EXIT_GRACE;
	/* Between items the guest answers within seconds. */
	return util_now() + CLASSIFY_HOST_GRACE;
}

static void event_loop(struct session *s, struct boot *b)
{
	double deadline = deadline_for(s, b);
	struct vm_event ev;

	for (;;) {
		if (session_interrupted)
			return;
		vm_poll(&b->vm, deadline - util_now(), &ev);
		switch (ev.type) {
		case VM_EV_CONSOLE:
			on_console(b, ev.line);
			break;
		case VM_EV_RECORD:
			on_record(s, b, ev.line);
			if (s->abort_reason)
				return;
			if ((s->decided || s->replan) && b->cur < 0)
				return;
			deadline = deadline_for(s, b);
			show_status(s);
			break;
		case VM_EV_EXIT:
			if (!b->ready)
				boot_failed(s, b, "QEMU exited before the "
					    "guest was ready");
			else
				vm_ended(s, b, 0);
			return;
		case VM_EV_INTR:
			break;
		case VM_EV_TIMEOUT:
			if (util_now() < deadline)
				break;
			if (!b->ready)
				boot_failed(s, b, "guest not ready in time");
			else
				vm_ended(s, b, b->cur >= 0);
			return;
		}
	}
}

static void boot_release(struct boot *b)
{
	vm_stop(&b->vm);
	crashwatch_free(b->scan);
	strbuf_release(&b->con);
	free(b->dir);
	free(b->outdir);
	free(b->console);
	free(b->end_reason);
}

static int run_boot(struct session *s)
{
	struct boot b = { .cur = -1, .first_item = s->items_done };
	struct vm_config cfg = { 0 };
	struct strbuf cmd = STRBUF_INIT;
	char *qlog, *init;
	int ret = 0;

	s->boots++;
	b.dir = xasprintf("%s/boot-%d", s->workdir, s->boots);
	b.outdir = xasprintf("%s/out", b.dir);
	b.console = xasprintf("%s/console.log", b.dir);
	b.scan = crashwatch_new(s->vmlinux, s->srcdir);
	qlog = xasprintf("%s/qemu.log", b.dir);
	init = xasprintf("%s/runners/init", util_home());
	if (util_mkdir_p(b.outdir) || write_plan(s, &b)) {
		ret = error("%s: cannot prepare boot directory", b.dir);
		goto out;
	}
	cfg = (struct vm_config){ .kernel = s->kernel, .accel = s->accel,
				  .cpus = s->cpus, .mem_mb = s->mem_mb,
				  .init = init, .stress = s->stress,
				  .outdir = b.outdir, .console_log = b.console,
				  .qemu_log = qlog };
	progress_step("boot", "boot %d (%s), %d iteration(s) left", s->boots,
		      s->accel, s->items_total - s->items_done);
	if (vm_start(&b.vm, &cfg)) {
		ret = -1;
		s->abort_reason = xasprintf("cannot start QEMU (see %s)", qlog);
		s->abort_log = xstrdup(qlog);
		goto out;
	}
	vm_cmdline(&b.vm, &cmd);
	if (!s->first_cmdline) {
		s->first_cmdline = xstrdup(cmd.buf);
		record_run_set(s->st, s->run_id, "qemu_cmdline", cmd.buf);
	}
	b.boot_id = record_boot_create(s->st, s->run_id, s->boots, s->accel,
				       cmd.buf, b.console);
	event_loop(s, &b);
	if (s->abort_reason)
		ret = -1;
	if (b.cur < 0)
		stray_reports(s, &b);
	if (session_interrupted && !b.end_reason)
		b.end_reason = xstrdup("interrupted");
	record_boot_finish(s->st, b.boot_id, b.ready ? b.ready_at : -1,
			   b.end_reason ? b.end_reason : "done");
	if (b.ready && !session_interrupted)
		progress_step("boot", "boot %d ended (%s), guest was ready "
			      "after %.1f s", s->boots,
			      b.end_reason ? b.end_reason : "done", b.ready_at);
out:
	boot_release(&b);
	strbuf_release(&cmd);
	free(qlog);
	free(init);
	return ret;
}

/* What QEMU said on stderr, when it said anything; else the console. */
static char *last_boot_log(const struct session *s)
{
	char *q = xasprintf("%s/boot-%d/qemu.log", s->workdir, s->boots);
	struct stat st;

	if (!stat(q, &st) && st.st_size > 0)
		return q;
	free(q);
	return xasprintf("%s/boot-%d/console.log", s->workdir, s->boots);
}

int session_execute(struct session *s)
{
	size_t i;

	schedule(s);
	for (i = 0; i < s->ntests; i++)
		check_decided(s, &s->tests[i]);
	s->replan = 0;
	s->started = util_now();
	while (s->items_done < s->items_total && !session_interrupted &&
	       !s->decided) {
		s->replan = 0;
		if (run_boot(s))
			return -1;
		if (s->errors_in_a_row >= MAX_BOOT_FAILURES) {
			char *log = last_boot_log(s);

			/* Each failed boot showed its QEMU log already. */
			s->abort_reason = xasprintf("%d iterations in a row "
						    "failed for infrastructure "
						    "reasons (see %s)",
						    s->errors_in_a_row, log);
			free(log);
			return -1;
		}
	}
	progress_clear();
	return session_interrupted ? 1 : 0;
}

void session_release(struct session *s)
{
	size_t i;

	for (i = 0; i < s->ntests; i++) {
		free(s->tests[i].run_dir);
		free(s->tests[i].cmd);
	}
	free(s->tests);
	free(s->sched);
	free(s->workdir);
	free(s->first_cmdline);
	free(s->abort_reason);
	free(s->abort_log);
}
