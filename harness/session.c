/*
 * session.c - the iteration loop of a run, over one or more guests.
 *
 * The plan is interleaved (iteration 1 of every test, then 2, ...) so a
 * run stopped early still has balanced data. Up to `vms` guests run at
 * once, each in a slot (struct guest) that holds its current boot. The
 * host hands out items one at a time from a shared queue: a guest says
 * READY (or END of its item) on its record channel and the host answers
 * on the same channel with the next plan line, or STOP. A crash, a stall
 * or a lost VM ends that boot only; its slot gets a fresh VM while items
 * remain, and the other guests go on. An item a guest took but never
 * began goes back to the queue, so k is never lost: a gap is only an
 * iteration interrupted mid-run, and the run reports it as missing.
 *
 * One thread does all of this: one poll over every guest's console and
 * channel (vm_poll_many), and every QEMU is started and reaped here. The
 * host keeps its own watchdog in case a guest cannot enforce its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "attempt.h"
#include "classify.h"
#include "cmdlog.h"
#include "crashwatch.h"
#include "guestfile.h"
#include "progress.h"
#include "seqtest.h"
#include "snapshot.h"
#include "session.h"
#include "snapshot.h"
#include "spool.h"
#include "util.h"
#include "vm.h"

#define BOOT_TIMEOUT_TCG 180.0
#define BOOT_TIMEOUT_KVM 60.0
#define EXIT_GRACE 30.0		/* for the guest to reboot after a stall */
#define OUTPUT_CAP (256 << 10)
#define CONSOLE_CAP (64 << 10)
#define MAX_BOOT_FAILURES 2
#define MAX_EMULATOR_CRASHES 3	/* per run: QEMU's own crashes not charged */
#define QEMU_OVERHEAD_MB 256	/* QEMU's own memory beside the guest's */
#define HOST_RESERVE_MB 1024
#define SIGNAL_RACE 2.0		/* a guest's death vs. our stop signal */

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

int session_auto_vms(int host_cpus, long host_avail_mb, int guest_cpus,
		     int guest_mem_mb, int items)
{
	long by_cpu, by_mem, n;

	if (guest_cpus < 1)
		guest_cpus = 1;
	by_cpu = host_cpus / guest_cpus;
	by_mem = (host_avail_mb - HOST_RESERVE_MB) /
		 (guest_mem_mb + QEMU_OVERHEAD_MB);
	n = by_cpu < by_mem ? by_cpu : by_mem;
	if (n > items)
		n = items;
	if (n > VM_POLL_MAX)
		n = VM_POLL_MAX;
	return n < 1 ? 1 : (int)n;
}

static long avail_mb(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	long kb = 0;

	if (!util_read_file("/proc/meminfo", &sb, 1 << 16) &&
	    (p = strstr(strbuf_str(&sb), "MemAvailable:")))
		kb = strtol(p + 13, NULL, 10);
	strbuf_release(&sb);
	return kb / 1024;
}

int session_auto_vms_here(int guest_cpus, int guest_mem_mb, int items)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return session_auto_vms(cpus > 0 ? (int)cpus : 1, avail_mb(),
				guest_cpus, guest_mem_mb, items);
}

/* One guest slot and the boot running in it. */
struct guest {
	int slot;		/* 1..vms, shown in progress */
	int active;		/* a VM runs in this slot */
	struct vm vm;
	int seq;		/* boot number in the run (boots.seq) */
	long long boot_id;
	char *dir;
	char *outdir;
	char *console;
	int ready;
	double ready_at;
	int item;		/* handed out, -1 none */
	int began;		/* the guest said BEGIN for it */
	double since;		/* when the guest's state last changed */
	double cur_start;
	double cur_wall;
	int stopping;		/* told STOP: it shuts down */
	struct strbuf con;	/* console lines during the current item */
	struct crashwatch *scan;
	char *end_reason;
};

/* What item id (as the guest knows it) stands for. */
static struct session_item *item_of(struct session *s, int id)
{
	return &s->issued[id];
}

static struct session_test *item_test(struct session *s, int id)
{
	return &s->tests[item_of(s, id)->test];
}

static int item_seq(struct session *s, int id)
{
	return item_of(s, id)->k;
}

/* The next iteration of the round-robin over tests not yet at target. */
static int next_of_plan(struct session *s, struct session_item *it)
{
	size_t j;

	for (j = 0; j < s->ntests; j++) {
		size_t i = (s->rr + j) % s->ntests;
		struct session_test *t = &s->tests[i];

		if (t->stopped || t->handed >= t->target)
			continue;
		s->rr = i + 1;
		*it = (struct session_item){ (int)i, ++t->handed, -1 };
		return 1;
	}
	return 0;
}

/* The next to hand out: one given back first, then the plan's next. */
static int queue_next(struct session *s, struct session_item *it)
{
	if (s->nrequeue) {
		*it = s->requeue[--s->nrequeue];
		return 1;
	}
	if (s->items) {
		if (s->next >= s->nitems)
			return 0;
		*it = s->items[s->next++];
		return 1;
	}
	return next_of_plan(s, it);
}

static void queue_return(struct session *s, int id)
{
	ALLOC_GROW(s->requeue, s->nrequeue, s->requeue_alloc);
	s->requeue[s->nrequeue++] = *item_of(s, id);
}

static size_t queue_left(const struct session *s)
{
	size_t n = s->nrequeue, i;

	if (s->items)
		return n + s->nitems - s->next;
	for (i = 0; i < s->ntests; i++)
		if (!s->tests[i].stopped)
			n += (size_t)(s->tests[i].target - s->tests[i].handed);
	return n;
}

/* Iterations the run will have: what was handed out plus what is left. */
static void count_total(struct session *s)
{
	size_t i;
	int n = 0;

	if (s->items) {
		s->items_total = (int)s->nitems;
		return;
	}
	for (i = 0; i < s->ntests; i++)
		n += s->tests[i].stopped ? s->tests[i].handed
					 : s->tests[i].target;
	s->items_total = n;
}

/* Register what the guest will know as item id. */
static int issue(struct session *s, const struct session_item *it)
{
	ALLOC_GROW(s->issued, s->nissued, s->issued_alloc);
	s->issued[s->nissued] = *it;
	return (int)s->nissued++;
}

static int handing_out(const struct session *s)
{
	return !session_interrupted && !s->decided && !s->abort_reason;
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

/*
 * The one place the host reads a file the guest wrote into its share
 * (<item>.out, <item>.snapshot), the only safe way (guestfile.c): NULL
 * when there is none. A refused or cut file adds a line to why.
 */
static char *read_guest_file(const char *outdir, int item, const char *suffix,
			     size_t cap, struct strbuf *why)
{
	char *name = xasprintf("%d.%s", item, suffix), *msg = NULL;
	struct strbuf sb = STRBUF_INIT;
	int dirfd = guestfile_opendir(outdir);
	int rc = guestfile_read(dirfd, name, cap, &sb, &msg);

	if (dirfd >= 0)
		close(dirfd);
	free(name);
	if (msg) {
		strbuf_addf(why, "%s%s", why->len ? "\n" : "", msg);
		warning("guest file refused or cut: %s", msg);
		free(msg);
	}
	if (rc || !sb.len) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

/*
 * The host paths the guest sees besides the system (sandbox.c): the
 * runners, the payload root (scripts reach ../bpf) and the directories
 * of path tests. NULL-terminated, malloc'ed strings.
 */
static char **guest_paths(struct session *s)
{
	char **v = xcalloc(2 * s->ntests + 3, sizeof(*v)), *path;
	size_t k, n = 0;

	path = xasprintf("%s/runners", util_home());
	v[n++] = util_realpath(path);
	free(path);
	if (s->payload)
		v[n++] = xstrdup(s->payload);
	for (k = 0; k < s->ntests; k++) {
		const char *inner = s->tests[k].inner_dir;

		if (!s->payload || !util_path_under(s->tests[k].run_dir,
						    s->payload))
			v[n++] = xstrdup(s->tests[k].run_dir);
		/* A sysctl wrapper's test: the wrapper cds to it. */
		if (inner && (!s->payload || !util_path_under(inner, s->payload)))
			v[n++] = xstrdup(inner);
	}
	return v;
}

static void free_paths(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
}

/*
 * The host directories the guest must still see where its tmpfs mounts
 * (/tmp, /var/tmp, /var/log) would hide them ("keep") go into the boot's
 * output share, which the guest mounts first: the same list the sandbox
 * shows it (guest_paths()).
 */
static int write_keep(struct session *s, struct guest *g)
{
	struct strbuf sb = STRBUF_INIT;
	char **v = guest_paths(s), **p, *path;
	int ret;

	for (p = v; *p; p++)
		strbuf_addf(&sb, "%s\n", *p);
	free_paths(v);
	path = xasprintf("%s/keep", g->outdir);
	ret = util_write_file(path, sb.buf, sb.len);
	strbuf_release(&sb);
	if (ret)
		error("%s: cannot write the keep file", g->outdir);
	free(path);
	return ret;
}

/*
 * A full disk under the database or the artefacts makes a test fail
 * (its output cannot be written) and then the commit: neither is the
 * kernel's doing. After every item, before recording it, check that
 * both still have room; otherwise stop the run, saying so.
 */
static int disk_full(struct session *s)
{
	const char *dirs[2] = { s->workdir, s->st->path };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *dir = xstrdup(dirs[i]), *slash = strrchr(dir, '/');
		struct statvfs sv;
		double mb;

		if (i && slash)
			*slash = '\0';
		if (!statvfs(dir, &sv)) {
			mb = (double)sv.f_bavail * (double)sv.f_frsize / (1 << 20);
			if (mb < SESSION_DISK_FLOOR_MB) {
				free(s->abort_reason);
				s->abort_reason = xasprintf("disk full: %s has %.1f MB "
							    "free (database and "
							    "artefacts need room "
							    "for every iteration)",
							    dir, mb);
				s->disk_full = 1;
				free(dir);
				return 1;
			}
		}
		free(dir);
	}
	return 0;
}

static double eta_of(struct session *s)
{
	double per = 0;
	size_t i;
	int vms = s->vms > 0 ? s->vms : 1;

	for (i = 0; i < s->ntests; i++) {
		struct session_test *t = &s->tests[i];

		per += t->done ? t->seconds / t->done : 60;
	}
	return per / (double)s->ntests * (s->items_total - s->items_done) /
	       vms;
}

/* "g1 fail.sh 3 (12s), g2 booting" */
static void guests_status(struct session *s, struct strbuf *sb)
{
	double now = util_now();
	int i;

	for (i = 0; i < s->vms; i++) {
		struct guest *g = &s->guests[i];

		strbuf_addf(sb, "%sg%d ", i ? ", " : "", g->slot);
		if (!g->active)
			strbuf_addstr(sb, "idle");
		else if (!g->ready)
			strbuf_addstr(sb, "booting");
		else if (g->item >= 0 && g->began)
			strbuf_addf(sb, "%s %d (%.0fs)",
				    item_test(s, g->item)->t->name,
				    item_seq(s, g->item), now - g->cur_start);
		else
			strbuf_addstr(sb, g->stopping ? "stopping" : "ready");
	}
}

static void show_status(struct session *s)
{
	struct strbuf sb = STRBUF_INIT, gs = STRBUF_INIT;
	char etabuf[32];
	size_t i;

	for (i = 0; i < s->ntests; i++) {
		struct session_test *t = &s->tests[i];

		strbuf_addf(&sb, "%s%s %ld/%ld", i ? ", " : "", t->t->name,
			    t->counts[OUTCOME_PASS], (long)t->done);
	}
	if (s->vms > 1) {
		strbuf_addstr(&gs, " | ");
		guests_status(s, &gs);
	}
	progress_fmt_duration(eta_of(s), etabuf);
	progress_status("iteration %d/%d%s | passed: %s | ETA %s",
			s->items_done + 1 > s->items_total ? s->items_total
							  : s->items_done + 1,
			s->items_total, strbuf_str(&gs), sb.buf, etabuf);
	strbuf_release(&sb);
	strbuf_release(&gs);
}

static json_t *guests_json(struct session *s)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < s->vms; i++) {
		struct guest *g = &s->guests[i];
		const char *state = !g->active ? "idle" : !g->ready ? "booting"
				  : g->item >= 0 && g->began ? "running"
				  : g->stopping ? "stopping" : "ready";
		json_t *o = json_pack("{s:i, s:s}", "guest", g->slot,
				      "state", state);

		if (g->active)
			json_object_set_new(o, "boot", json_integer(g->seq));
		if (g->active && g->item >= 0 && g->began) {
			json_object_set_new(o, "test", json_string(
				item_test(s, g->item)->t->name));
			json_object_set_new(o, "k", json_integer(
				item_seq(s, g->item)));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static void save_progress(struct session *s, const char *test, int k)
{
	json_t *tallies = json_object(), *p;
	size_t i;
	char *js;

	if (!s->st)
		return;
	for (i = 0; i < s->ntests; i++) {
		struct session_test *t = &s->tests[i];
		json_t *o = json_object();
		int j;

		for (j = 0; j < OUTCOME_NR; j++)
			if (t->counts[j])
				json_object_set_new(o, record_outcome_name(j),
						    json_integer(t->counts[j]));
		json_object_set_new(tallies, t->t->name, o);
	}
	p = json_pack("{s:i, s:i, s:f, s:s, s:i, s:i, s:o, s:i, s:o}", "done",
		      s->items_done, "total", s->items_total, "eta", eta_of(s),
		      "test", test ? test : "", "k", k, "n", s->iterations,
		      "tallies", tallies, "vms", s->vms, "guests",
		      guests_json(s));
	js = json_dumps(p, JSON_COMPACT);
	record_run_progress(s->st, s->run_id, "run", js);
	free(js);
	json_decref(p);
}

/* Into the database (one transaction) or the worker's spool. */
/*
 * One attempt in one transaction (or the spool). -1: not recorded, and
 * the run stops: a full disk (the iteration is not the kernel's doing)
 * or a database that cannot be written.
 */
static int store_attempt(struct session *s, struct guest *g,
			 struct attempt *a)
{
	struct session_test *t = &s->tests[item_of(s, g->item)->test];

	if (s->spool) {
		if (spool_attempt(s->spool, a, g->seq) && !s->abort_reason)
			s->abort_reason = xstrdup("cannot write the spool");
		return 0;
	}
	if (disk_full(s))
		return -1;
	if (store_begin(s->st))
		goto fail;
	if (attempt_store(s->st, a, s->run_id, g->boot_id, s->kernel_id) < 0)
		goto fail;
	save_progress(s, t->t->name, a->seq);
	if (store_commit(s->st))
		goto fail;
	return 0;
fail:
	store_rollback(s->st);
	if (!disk_full(s)) {
		free(s->abort_reason);
		s->abort_reason = xasprintf("cannot record %s %d/%d in %s",
					    t->t->name, a->seq, t->target,
					    s->st->path);
	}
	return -1;
}

/* --until decided: has this test's verdict settled? Then it stops. */
static void check_decided(struct session *s, struct session_test *t)
{
	long fails = t->prior_failures + t->counts[OUTCOME_FAIL] +
		     t->counts[OUTCOME_STALL] + t->counts[OUTCOME_CRASH];
	long runs = t->prior_runs + t->done - t->counts[OUTCOME_ERROR] -
		    t->counts[OUTCOME_SKIP];

	if (!t->until_decided || t->stopped || t->done >= t->target ||
	    !seqtest_plain_decided(fails, runs))
		return;
	/* Iterations already handed out still finish and count. */
	t->stopped = 1;
	count_total(s);
	progress_step("run", "%s: %s after %ld run(s); no more iterations",
		      t->t->name, stats_verdict_name(stats_verdict(fails, runs)),
		      runs);
}

static void check_enough(struct session *s)
{
	long counts[OUTCOME_NR] = { 0 };
	size_t i;
	int k;

	if (!s->enough)
		return;
	for (i = 0; i < s->ntests; i++)
		for (k = 0; k < OUTCOME_NR; k++)
			counts[k] += s->tests[i].counts[k];
	if (s->enough(s->enough_data, counts))
		s->decided = 1;
}

/* Record the guest's finished item and report it. */
static void finish_item(struct session *s, struct guest *g,
			const struct classify_input *in, double guest_secs,
			double silence)
{
	struct session_test *t = item_test(s, g->item);
	struct attempt a = { 0 };
	struct strbuf refused = STRBUF_INIT;
	char *reason = NULL;
	double now = util_now();
	enum record_outcome o;

	o = classify_iteration(in, &reason);
	a = (struct attempt){
		.item = item_of(s, g->item)->plan >= 0 ? item_of(s, g->item)->plan
						      : g->item,
		.test = xstrdup(t->t->name),
		.suite = xstrdup(t->t->suite ? t->t->suite : "net"),
		.seq = item_seq(s, g->item), .outcome = o,
		.rc = in->ended ? in->rc : -1, .reason = reason,
		.duration = now - g->cur_start, .guest_duration = guest_secs,
		.timeout = t->timeout, .max_silence = silence,
		.output = read_guest_file(g->outdir, g->item, "out",
					  OUTPUT_CAP, &refused),
		.console = xstrdup(strbuf_str(&g->con)),
		.snapshot = read_guest_file(g->outdir, g->item, "snapshot",
					    SNAPSHOT_CAP, &refused),
		.started_at = g->cur_wall,
		.finished_at = g->cur_wall + (now - g->cur_start),
	};
	a.artefact_error = refused.len ? strbuf_detach(&refused) : NULL;
	crashwatch_take(g->scan, &a.crashes);
	if (store_attempt(s, g, &a)) {
		/* Not recorded: the run stops (abort_reason says why). */
		progress_step("run", "%s %d/%d: not recorded: %s", t->t->name,
			      a.seq, t->target, s->abort_reason);
		strbuf_release(&refused);
		attempt_release(&a);
		g->item = -1;
		return;
	}
	t->done++;
	t->counts[o]++;
	t->seconds += a.duration;
	s->items_done++;
	if (s->vms > 1)
		progress_step("run", "%s %d/%d: %s%s%s (%.1f s, guest %d)",
			      t->t->name, a.seq, t->target,
			      record_outcome_name(o), reason ? " - " : "",
			      reason ? reason : "", a.duration, g->slot);
	else
		progress_step("run", "%s %d/%d: %s%s%s (%.1f s)", t->t->name,
			      a.seq, t->target, record_outcome_name(o),
			      reason ? " - " : "", reason ? reason : "",
			      a.duration);
	progress_json(json_pack("{s:s, s:s, s:i, s:s, s:s?, s:f, s:f, s:i}",
				"event", "iteration", "test", t->t->name,
				"k", a.seq, "outcome", record_outcome_name(o),
				"reason", reason, "duration", a.duration,
				"guest_duration", guest_secs, "guest",
				g->slot));
	s->errors_in_a_row = o == OUTCOME_ERROR ? s->errors_in_a_row + 1 : 0;
	check_enough(s);
	check_decided(s, t);
	attempt_release(&a);
	g->item = -1;
	g->began = 0;
	strbuf_reset(&g->con);
}

/*
 * Reports printed outside any test (while booting, between two tests or
 * after the last) are kept against the run alone: no test's failure
 * rate pays for a kernel that warns at boot.
 */
static void stray_reports(struct session *s, struct guest *g)
{
	struct crash_list l;
	const char *title;
	int fatal, warn;

	crashwatch_finish(g->scan);
	crashwatch_verdict(g->scan, &fatal, &warn, &title);
	if (warn)
		progress_step("run", "kernel report outside any test%s: %s",
			      g->ready ? "" : " (while booting)", title);
	crashwatch_take(g->scan, &l);
	if (!l.nr) {
		crash_list_release(&l);
		return;
	}
	if (s->spool) {
		spool_stray(s->spool, &l, g->seq);
	} else if (!store_begin(s->st)) {
		crashwatch_store(s->st, &l, 0, s->run_id, s->kernel_id, NULL);
		store_commit(s->st);
	}
	crash_list_release(&l);
}

static void on_console(struct guest *g, const char *line)
{
	append_capped(&g->con, line, CONSOLE_CAP);
	crashwatch_feed(g->scan, line);
}

/* Give the guest its next item, or tell it to stop. */
static void hand_out(struct session *s, struct guest *g)
{
	struct session_item it;
	struct session_test *t;
	char *line;
	int id;

	g->since = util_now();
	if (!handing_out(s) || !queue_next(s, &it)) {
		g->stopping = 1;
		vm_send(&g->vm, "STOP\n");
		return;
	}
	id = issue(s, &it);
	t = &s->tests[it.test];
	line = xasprintf("%d\t%s\t%s\t%s\t%.0f\t%.0f\n", id, t->t->name,
			 t->run_dir, t->cmd, t->timeout, t->idle);
	if (vm_send(&g->vm, line)) {
		/* The VM is going away; its end event follows. */
		queue_return(s, id);
	} else {
		g->item = id;
		g->began = 0;
	}
	free(line);
}

static void on_begin(struct session *s, struct guest *g, int id)
{
	/* The guest runs what it was given; anything else is not ours. */
	if (id != g->item || g->began) {
		warning("guest %d began item %d, expected %d; ignored",
			g->slot, id, g->item);
		return;
	}
	stray_reports(s, g);
	g->began = 1;
	g->cur_start = g->since = util_now();
	g->cur_wall = util_wallclock();
	strbuf_reset(&g->con);
	progress_json(json_pack("{s:s, s:s, s:i, s:f, s:i}", "event", "begin",
				"test", item_test(s, id)->t->name, "k",
				item_seq(s, id), "elapsed", util_uptime(),
				"guest", g->slot));
}

static void on_end(struct session *s, struct guest *g, int id, int rc,
		   double secs, const char *status, double silence)
{
	struct classify_input in = {
		.ended = 1, .rc = rc, .status = status,
		.timeout = item_test(s, id)->timeout,
		.idle = item_test(s, id)->idle,
	};
	const char *con;

	/* Console lines printed before END may still be in flight. */
	while (vm_console_drain(&g->vm, 0.05, &con))
		on_console(g, con);
	crashwatch_finish(g->scan);
	crashwatch_verdict(g->scan, &in.crash_fatal, &in.crash_warn,
			   &in.crash_title);
	finish_item(s, g, &in, secs, silence);
	g->since = util_now();
	if (strcmp(status, "exit"))
		g->end_reason = xstrdup("stall");	/* the guest reboots */
	else
		hand_out(s, g);
}

static void on_record(struct session *s, struct guest *g, const char *line)
{
	int id = -1, rc = 0;
	double secs = -1, silence = -1;
	char status[16] = "";

	if (!strncmp(line, "KFLAKE READY", 12) && !g->ready) {
		g->ready = 1;
		g->ready_at = util_now() - g->vm.started;
		progress_json(json_pack("{s:s, s:i, s:f, s:i}", "event",
					"ready", "boot", g->seq, "seconds",
					g->ready_at, "guest", g->slot));
		/* Host-side stress acts on tests, not on the boot. */
		if (vm_stress_start(&g->vm)) {
			if (!s->abort_reason)
				s->abort_reason = xstrdup("--stress could not "
							  "be applied to the "
							  "guest");
			free(g->end_reason);
			g->end_reason = xstrdup("lost");
			return;
		}
		hand_out(s, g);
		return;
	}
	if (sscanf(line, "KFLAKE BEGIN %d", &id) == 1) {
		on_begin(s, g, id);
		return;
	}
	if (sscanf(line, "KFLAKE END %d %d %lf %15s %lf", &id, &rc, &secs,
		   status, &silence) >= 4 && id == g->item && g->began)
		on_end(s, g, id, rc, secs, status, silence);
}

/* The VM is gone or being killed: account for the item it was running. */
static void vm_ended(struct session *s, struct guest *g, int watchdog)
{
	struct classify_input in = { 0 };

	if (g->item < 0)
		return;
	if (!g->began) {
		queue_return(s, g->item);	/* it never ran */
		g->item = -1;
		return;
	}
	in.timeout = item_test(s, g->item)->timeout;
	in.vm_lost = !watchdog;
	in.host_watchdog = watchdog;
	crashwatch_finish(g->scan);
	crashwatch_verdict(g->scan, &in.crash_fatal, &in.crash_warn,
			   &in.crash_title);
	if (!g->end_reason)
		g->end_reason = xstrdup(in.crash_fatal ? "crash" :
					watchdog ? "stall" : "lost");
	finish_item(s, g, &in, -1, -1);
}

/*
 * QEMU itself died of a fault signal (bwrap passes on 128 + the signal).
 * Debian 12's QEMU 7.2 does so now and then in multi-threaded TCG when a
 * guest with two online vCPUs changes its memory map while booting (PCI
 * BARs): SIGSEGV in memory_region_dispatch_write, fixed upstream in 8.1
 * ("softmmu: Use async_run_on_cpu in tcg_commit"). The emulator failed,
 * not the kernel under test.
 */
static int emulator_crashed(const struct guest *g)
{
	int st = g->vm.exit_status;

	return g->vm.exited && (st == 128 + SIGSEGV || st == 128 + SIGBUS ||
				st == 128 + SIGABRT || st == 128 + SIGILL);
}

/* A boot that never reached READY consumes one item as `error`. */
static void boot_failed(struct session *s, struct guest *g, const char *why)
{
	struct classify_input in = { 0 };

	progress_step("boot", "boot %d failed: %s (console: %s)", g->seq, why,
		      g->console);
	/* QEMU says on stderr why it would not run the guest: show it. */
	if (g->vm.exited && g->vm.exit_status) {
		char *qlog = xasprintf("%s/qemu.log", g->dir);

		cmdlog_show_tail(qlog);
		free(qlog);
	}
	/*
	 * An emulator crash before the guest was ready charges no test:
	 * boot again (the boots table keeps it as qemu-crashed). Capped,
	 * so a kernel that crashes QEMU every time still ends in errors.
	 */
	if (emulator_crashed(g) && s->emulator_crashes < MAX_EMULATOR_CRASHES) {
		s->emulator_crashes++;
		progress_step("boot", "QEMU itself crashed (exit status %d), "
			      "not the guest: booting again, no iteration "
			      "charged (%d of %d a run)", g->vm.exit_status,
			      s->emulator_crashes, MAX_EMULATOR_CRASHES);
		free(g->end_reason);
		g->end_reason = xstrdup("qemu-crashed");
		return;
	}
	free(g->end_reason);
	g->end_reason = xstrdup("boot-failed");
	s->failed_boot = g->seq;
	{
		struct session_item it;

		if (!handing_out(s) || !queue_next(s, &it))
			return;
		g->item = issue(s, &it);
	}
	g->began = 1;
	g->cur_start = util_now();
	g->cur_wall = util_wallclock();
	in.vm_lost = 1;
	in.boot_failed = 1;
	crashwatch_finish(g->scan);
	crashwatch_verdict(g->scan, &in.crash_fatal, &in.crash_warn,
			   &in.crash_title);
	finish_item(s, g, &in, -1, -1);
}

static double deadline_for(struct session *s, struct guest *g)
{
	double boot_to = strcmp(s->accel, "kvm") ? BOOT_TIMEOUT_TCG
						 : BOOT_TIMEOUT_KVM;

	if (!g->ready)
		return g->vm.started + boot_to;
	if (g->item >= 0 && g->began)
		return g->cur_start + item_test(s, g->item)->timeout +
		       CLASSIFY_HOST_GRACE;
	if (g->end_reason || g->stopping)
		return g->since + EXIT_GRACE;
	/* Given an item, the guest begins it within seconds. */
	return g->since + CLASSIFY_HOST_GRACE;
}

static void guest_release(struct guest *g)
{
	vm_stop(&g->vm);
	crashwatch_free(g->scan);
	strbuf_release(&g->con);
	free(g->dir);
	free(g->outdir);
	free(g->console);
	free(g->end_reason);
	memset(g, 0, sizeof(*g));
}

/* The boot in slot g is over (or being stopped): close it. */
static void end_guest(struct session *s, struct guest *g)
{
	int slot = g->slot;

	if (g->item >= 0 && !g->began)
		queue_return(s, g->item);
	if (g->item >= 0 && g->began) {
		/* Interrupted mid-test: this k never finished. */
		strbuf_addf(&s->missing, "%s%s k=%d", s->missing.len ? ", " : "",
			    item_test(s, g->item)->t->name,
			    item_seq(s, g->item));
	} else {
		stray_reports(s, g);
	}
	if (session_interrupted && !g->end_reason)
		g->end_reason = xstrdup("interrupted");
	if (s->spool)
		spool_boot_end(s->spool, g->seq, g->ready ? g->ready_at : -1,
			       g->end_reason ? g->end_reason : "done");
	else
		record_boot_finish(s->st, g->boot_id,
				   g->ready ? g->ready_at : -1,
				   g->end_reason ? g->end_reason : "done");
	if (g->ready && !session_interrupted)
		progress_step("boot", "boot %d ended (%s), guest was ready "
			      "after %.1f s", g->seq,
			      g->end_reason ? g->end_reason : "done",
			      g->ready_at);
	guest_release(g);
	g->slot = slot;
	g->item = -1;
}

static int start_guest(struct session *s, struct guest *g)
{
	struct vm_config cfg = { 0 };
	struct strbuf cmd = STRBUF_INIT;
	char *qlog, *init, **paths = guest_paths(s);
	int ret = 0;

	g->seq = ++s->boots;
	g->item = -1;
	g->dir = xasprintf("%s/boot-%d", s->workdir, g->seq);
	g->outdir = xasprintf("%s/out", g->dir);
	g->console = xasprintf("%s/console.log", g->dir);
	g->scan = crashwatch_new(s->vmlinux, s->srcdir);
	qlog = xasprintf("%s/qemu.log", g->dir);
	init = xasprintf("%s/runners/init", util_home());
	if (util_mkdir_p(g->outdir) || write_keep(s, g)) {
		s->abort_reason = xasprintf("%s: cannot prepare boot directory",
					    g->dir);
		ret = -1;
		goto out;
	}
	cfg = (struct vm_config){ .kernel = s->kernel, .accel = s->accel,
				  .cpus = s->cpus, .mem_mb = s->mem_mb,
				  .init = init, .stress = s->stress,
				  .outdir = g->outdir, .console_log = g->console,
				  .qemu_log = qlog,
				  .guest_paths = (const char *const *)paths };
	if (s->vms > 1)
		progress_step("boot", "boot %d (%s, guest %d), %zu iteration(s) "
			      "left", g->seq, s->accel, g->slot, queue_left(s));
	else
		progress_step("boot", "boot %d (%s), %zu iteration(s) left",
			      g->seq, s->accel, queue_left(s));
	if (vm_start(&g->vm, &cfg)) {
		vm_stop(&g->vm);
		s->abort_reason = xasprintf("cannot start QEMU (see %s)", qlog);
		s->abort_log = xstrdup(qlog);
		ret = -1;
		goto out;
	}
	g->active = 1;
	g->since = util_now();
	vm_cmdline(&g->vm, &cmd);
	if (!s->first_cmdline) {
		s->first_cmdline = xstrdup(cmd.buf);
		if (s->st)
			record_run_set(s->st, s->run_id, "qemu_cmdline",
				       cmd.buf);
	}
	if (s->spool) {
		spool_boot(s->spool, g->seq, g->slot, s->accel, cmd.buf,
			   g->console);
	} else {
		struct record_boot rb = {
			.run_id = s->run_id, .seq = g->seq, .guest = g->slot,
			.accel = s->accel, .cmdline = cmd.buf,
			.console_path = g->console,
		};

		g->boot_id = record_boot_add(s->st, &rb);
	}
out:
	strbuf_release(&cmd);
	free(qlog);
	free(init);
	free_paths(paths);
	return ret;
}

static int booting(const struct session *s)
{
	int i, n = 0;

	for (i = 0; i < s->vms; i++)
		if (s->guests[i].active && !s->guests[i].ready)
			n++;
	return n;
}

/* Start a VM in every empty slot while there are items for it. */
static void fill_slots(struct session *s)
{
	int i;

	for (i = 0; i < s->vms && handing_out(s); i++) {
		struct guest *g = &s->guests[i];

		if (g->active)
			continue;
		/* A guest still booting takes the next item: don't overbook. */
		if (queue_left(s) <= (size_t)booting(s))
			return;
		if (start_guest(s, g)) {
			int slot = g->slot;

			guest_release(g);
			g->slot = slot;
			return;
		}
	}
}

/* The host's watchdog: end guests past their deadline. */
static void check_deadlines(struct session *s)
{
	double now = util_now();
	int i;

	for (i = 0; i < s->vms; i++) {
		struct guest *g = &s->guests[i];

		if (!g->active || now < deadline_for(s, g))
			continue;
		if (!g->ready)
			boot_failed(s, g, "guest not ready in time");
		else
			vm_ended(s, g, g->item >= 0 && g->began);
		end_guest(s, g);
	}
}

/* The console showed a panic: the guest's death explains itself. */
static int kernel_died(struct guest *g)
{
	const char *title;
	int fatal, warn;

	crashwatch_verdict(g->scan, &fatal, &warn, &title);
	return fatal;
}

/* Wait up to secs for a stop signal (session_interrupted). */
static void await_signal(double secs)
{
	double until = util_now() + secs;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	while (!session_interrupted && util_now() < until)
		nanosleep(&ts, NULL);
}

static void on_event(struct session *s, struct guest *g,
		     const struct vm_event *ev)
{
	switch (ev->type) {
	case VM_EV_CONSOLE:
		on_console(g, ev->line);
		break;
	case VM_EV_RECORD:
		on_record(s, g, ev->line);
		show_status(s);
		break;
	case VM_EV_EXIT:
		/*
		 * A stop signal reaches every process of a Slurm task, QEMU
		 * too, in no set order: a guest that died mid-test may have
		 * died of ours. Then its test did not fail; it did not run.
		 */
		if ((g->item >= 0 || !g->ready) && !kernel_died(g))
			await_signal(SIGNAL_RACE);
		if (session_interrupted) {
			end_guest(s, g);
			break;
		}
		if (!g->ready)
			boot_failed(s, g, "QEMU exited before the guest was "
				    "ready");
		else
			vm_ended(s, g, 0);
		end_guest(s, g);
		break;
	case VM_EV_INTR:
	case VM_EV_TIMEOUT:
		break;
	}
}

/* One poll over every running guest; 0 when none is left. */
static int poll_guests(struct session *s)
{
	struct vm *vms[VM_POLL_MAX];
	struct guest *owner[VM_POLL_MAX];
	double deadline = 0;
	struct vm_event ev;
	size_t n = 0, which;
	int i;

	for (i = 0; i < s->vms; i++) {
		struct guest *g = &s->guests[i];
		double d;

		if (!g->active)
			continue;
		d = deadline_for(s, g);
		if (!n || d < deadline)
			deadline = d;
		owner[n] = g;
		vms[n++] = &g->vm;
	}
	if (!n)
		return 0;
	vm_poll_many(vms, n, deadline - util_now(), &which, &ev);
	if (ev.type != VM_EV_TIMEOUT && ev.type != VM_EV_INTR)
		on_event(s, owner[which], &ev);
	check_deadlines(s);
	return 1;
}

size_t session_plan(struct session *s, struct session_item **out)
{
	struct session_item *v = NULL, it;
	size_t n = 0, alloc = 0, i;

	for (i = 0; i < s->ntests; i++)
		if (!s->tests[i].target)
			s->tests[i].target = s->iterations;
	while (next_of_plan(s, &it)) {
		ALLOC_GROW(v, n, alloc);
		it.plan = (int)n;
		v[n++] = it;
	}
	*out = v;
	return n;
}

/* Targets, and tests already decided by what earlier runs recorded. */
static void plan_start(struct session *s)
{
	size_t i;

	for (i = 0; i < s->ntests; i++) {
		if (!s->tests[i].target)
			s->tests[i].target = s->iterations;
		if (!s->items)
			check_decided(s, &s->tests[i]);
	}
	count_total(s);
}

/* What QEMU said on stderr, when it said anything; else the console. */
static char *last_boot_log(const struct session *s)
{
	int seq = s->failed_boot ? s->failed_boot : s->boots;
	char *q = xasprintf("%s/boot-%d/qemu.log", s->workdir, seq);
	struct stat st;

	if (!stat(q, &st) && st.st_size > 0)
		return q;
	free(q);
	return xasprintf("%s/boot-%d/console.log", s->workdir, seq);
}

int session_execute(struct session *s)
{
	int i;

	plan_start(s);
	if (s->vms < 1)
		s->vms = 1;
	if (s->vms > s->items_total)
		s->vms = s->items_total > 0 ? s->items_total : 1;
	if (s->vms > VM_POLL_MAX)
		s->vms = VM_POLL_MAX;
	s->guests = xcalloc((size_t)s->vms, sizeof(*s->guests));
	for (i = 0; i < s->vms; i++) {
		s->guests[i].slot = i + 1;
		s->guests[i].item = -1;
	}
	s->started = util_now();
	for (;;) {
		fill_slots(s);
		if (session_interrupted || s->abort_reason || !poll_guests(s))
			break;
		if (s->errors_in_a_row >= MAX_BOOT_FAILURES &&
		    !s->abort_reason) {
			char *log = last_boot_log(s);

			/* Each failed boot showed its QEMU log already. */
			s->abort_reason = xasprintf(
				"%d iterations in a row failed for "
				"infrastructure reasons (see %s)",
				s->errors_in_a_row, log);
			free(log);
		}
	}
	for (i = 0; i < s->vms; i++)
		if (s->guests[i].active)
			end_guest(s, &s->guests[i]);
	progress_clear();
	if (s->abort_reason)
		return -1;
	return session_interrupted ? 1 : 0;
}

void session_release(struct session *s)
{
	size_t i;

	for (i = 0; i < s->ntests; i++) {
		free(s->tests[i].run_dir);
		free(s->tests[i].inner_dir);
		free(s->tests[i].cmd);
	}
	free(s->tests);
	free(s->workdir);
	free(s->first_cmdline);
	free(s->abort_reason);
	free(s->abort_log);
	free(s->guests);
	free(s->requeue);
	free(s->issued);
	strbuf_release(&s->missing);
}
