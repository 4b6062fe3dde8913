/*
 * slurmrun.c - the Slurm executor: the coordinator's loop (submit,
 * watch, ingest, resubmit) and the worker's side (see slurmrun.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "progress.h"
#include "record.h"
#include "runcmd.h"
#include "slurm.h"
#include "slurmrun.h"
#include "spool.h"
#include "util.h"
#include "vm.h"

#define POLL_SECONDS 1.0
#define CANCEL_GRACE 3.0	/* a cancelled task's siblings may follow */
#define STOP_WAIT 60.0		/* for cancelled tasks to end, on Ctrl-C */
#define TASK_MEM_OVERHEAD 256	/* MB per guest beside its memory */

/* One submitted slice: an array task. */
struct task {
	int slice;
	int parent;		/* slice resubmitted, -1 none */
	int depth;		/* resubmissions in its line */
	char *array_job;	/* the array's job id */
	char *job;		/* ARRAYJOB_SLICE */
	int *items;
	size_t nitems;
	int done;		/* of its items, ingested */
	char state[32];
	char node[128];
	int final;
	double final_at;
	int handled;		/* its end was acted on */
	long long row;		/* run_tasks id */
};

struct coord {
	struct session *s;
	const struct slurmrun_opts *o;
	char *shared;
	char *dir;		/* <shared>/runs/<run> */
	char *kflake;		/* this binary, for the workers */
	char *kernel;		/* shared copies */
	char *payload;
	struct task *tasks;
	size_t ntasks, alloc;
	struct session_item *plan;	/* the whole run, in order */
	size_t nplan;
	unsigned char *done;	/* per plan position */
	int next_slice;
	int cancelled_all;	/* the whole array was cancelled */
	struct spool_ingest in;
};

/* ---- the shared directory ---- */

static char *shared_root(const struct slurmrun_opts *o)
{
	const char *env = getenv("KFLAKE_SHARED");
	char *dir;

	if (o->shared)
		dir = xstrdup(o->shared);
	else if (env && *env)
		dir = xstrdup(env);
	else
		dir = xasprintf("%s/cluster", util_data_dir());
	if (util_mkdir_p(dir)) {
		error("%s: cannot create the shared directory: %s", dir,
		      strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* cp -a src to dst (via a temporary name), unless dst is there. */
static int place(const char *src, const char *dst)
{
	char *tmp;
	int rc;

	if (util_file_exists(dst))
		return 0;
	tmp = xasprintf("%s.tmp.%d", dst, (int)getpid());
	{
		const char *argv[] = { "cp", "-a", "--", src, tmp, NULL };
		struct runcmd c = RUNCMD_INIT;
		char *slash = strrchr(tmp, '/');

		*slash = '\0';
		util_mkdir_p(tmp);
		*slash = '/';
		c.argv = argv;
		rc = runcmd_run(&c);
	}
	if (!rc && rename(tmp, dst) && !util_file_exists(dst))
		rc = -1;
	if (rc) {
		util_rm_rf(tmp);
		error("cannot copy %s to the shared directory %s", src, dst);
	}
	free(tmp);
	return rc ? -1 : 0;
}

/* The image and payload, where every node sees them. */
static int place_inputs(struct coord *c)
{
	struct session *s = c->s;
	char *kdir = xstrdup(s->kernel), *slash = strrchr(kdir, '/');

	if (slash)
		*slash = '\0';
	c->kernel = xasprintf("%s/kernels/%s/bzImage", c->shared,
			      base_name(kdir));
	free(kdir);
	c->payload = xasprintf("%s/payload/%s", c->shared,
			       base_name(s->payload));
	if (place(s->kernel, c->kernel) || place(s->payload, c->payload))
		return -1;
	return 0;
}

/* A test's directory: inside the shared payload when it was in ours. */
static char *shared_run_dir(struct coord *c, const char *run_dir)
{
	size_t n = strlen(c->s->payload);

	if (util_path_under(run_dir, c->s->payload))
		return xasprintf("%s%s", c->payload, run_dir + n);
	return xstrdup(run_dir);
}

static int write_json(const char *path, json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(1));
	int ret = s ? util_write_file(path, s, strlen(s)) : -1;

	free(s);
	json_decref(o);
	if (ret)
		error("%s: cannot write", path);
	return ret;
}

static int write_job(struct coord *c)
{
	struct session *s = c->s;
	json_t *tests = json_array(), *job;
	char *path;
	size_t i;
	int ret;

	for (i = 0; i < s->ntests; i++) {
		struct session_test *t = &s->tests[i];
		char *dir = shared_run_dir(c, t->run_dir);

		json_array_append_new(tests, json_pack(
			"{s:s, s:s, s:s, s:s, s:f, s:f}", "name", t->t->name,
			"suite", t->t->suite ? t->t->suite : "net",
			"run_dir", dir, "cmd", t->cmd, "timeout", t->timeout,
			"idle", t->idle));
		free(dir);
	}
	job = json_pack("{s:i, s:I, s:s, s:s, s:s?, s:s?, s:i, s:o, s:i, "
			"s:i, s:i}", "version", 1, "run", (json_int_t)s->run_id,
			"kernel", c->kernel, "payload", c->payload,
			"vmlinux", s->vmlinux, "srcdir", s->srcdir,
			"iterations", s->iterations, "tests", tests,
			"cpus", s->cpus, "mem_mb", s->mem_mb, "vms", s->vms);
	path = xasprintf("%s/job.json", c->dir);
	ret = write_json(path, job);
	free(path);
	if (ret)
		return -1;
	path = xasprintf("%s/task.sh", c->dir);
	/* The arguments are argv elements; the script interprets none. */
	ret = util_write_file(path, "#!/bin/sh\nexec \"$@\"\n", 20);
	if (!ret)
		ret = chmod(path, 0755);
	free(path);
	return ret ? error("%s: cannot write task.sh", c->dir) : 0;
}

static int write_slice(struct coord *c, int slice, const int *items,
		       size_t n)
{
	json_t *a = json_array();
	char *path = xasprintf("%s/slices/%d", c->dir, slice);
	size_t i;
	int ret;

	/* [plan position, test, k]: the worker needs no plan of its own. */
	for (i = 0; i < n; i++) {
		const struct session_item *it = &c->plan[items[i]];

		json_array_append_new(a, json_pack("[i, i, i]", it->plan,
						   it->test, it->k));
	}
	ret = write_json(path, a);
	free(path);
	return ret;
}

/* ---- tasks ---- */

static void task_row(struct coord *c, struct task *t)
{
	char ts[32];
	struct store *st = c->s->st;

	util_iso8601(util_wallclock(), ts);
	if (!t->row) {
		store_exec(st, "INSERT INTO run_tasks(run_id, slice, parent, "
			   "job, items, state, submitted_at) VALUES (?, ?, "
			   "nullif(?, -1), ?, ?, ?, ?)", "Iiisiss", c->s->run_id, t->slice, t->parent,
			   t->job, (int)t->nitems, t->state, ts);
		t->row = store_last_id(st);
		return;
	}
	store_exec(st, "UPDATE run_tasks SET state = ?, host = nullif(?, ''), "
		   "done = ?, finished_at = CASE WHEN ? THEN coalesce("
		   "finished_at, ?) END WHERE id = ?", "ssiisI", t->state,
		   t->node, t->done, t->final, ts, t->row);
}

static int submit(struct coord *c, int parent, const int *items, size_t n,
		  int first, int count)
{
	struct session *s = c->s;
	char *array, *name, *output, *job = NULL;
	const char *args[] = { c->kflake, "worker", "--dir", c->dir, NULL };
	char *script = xasprintf("%s/task.sh", c->dir);
	int vms = s->vms > 0 ? s->vms : 1, i, ret;
	struct slurm_submit sub = { 0 };

	array = count > 1 ? xasprintf("%d-%d", first, first + count - 1)
			  : xasprintf("%d", first);
	name = xasprintf("kflake-%lld", s->run_id);
	output = xasprintf("%s/logs/%%A_%%a.log", c->dir);
	sub = (struct slurm_submit){
		.script = script, .args = args, .array = array, .name = name,
		.partition = c->o->partition, .cpus = s->cpus * vms,
		.mem_mb = vms * (s->mem_mb + TASK_MEM_OVERHEAD),
		.output = output,
	};
	ret = slurm_submit(&sub, &job);
	for (i = 0; !ret && i < count; i++) {
		struct task *t;
		size_t from = n * (size_t)i / (size_t)count;
		size_t to = n * (size_t)(i + 1) / (size_t)count;

		ALLOC_GROW(c->tasks, c->ntasks, c->alloc);
		t = &c->tasks[c->ntasks++];
		memset(t, 0, sizeof(*t));
		t->slice = first + i;
		t->parent = parent;
		t->array_job = xstrdup(job);
		t->job = xasprintf("%s_%d", job, t->slice);
		t->nitems = to - from;
		t->items = xcalloc(t->nitems + 1, sizeof(*t->items));
		memcpy(t->items, items + from, t->nitems * sizeof(*items));
		snprintf(t->state, sizeof(t->state), "PENDING");
		if (parent >= 0) {
			struct task *p;
			size_t k;

			for (k = 0; k + 1 < c->ntasks; k++) {
				p = &c->tasks[k];
				if (p->slice == parent)
					t->depth = p->depth + 1;
			}
		}
		task_row(c, t);
	}
	if (!ret)
		progress_step("slurm", "submitted job %s: %d task(s), %zu "
			      "iteration(s)%s", job, count, n,
			      parent >= 0 ? " again" : "");
	free(job);
	free(array);
	free(name);
	free(output);
	free(script);
	return ret;
}

/* Slices first..first+count-1 over items, their files, one array. */
static int submit_slices(struct coord *c, int parent, const int *items,
			 size_t n, int count)
{
	int first = c->next_slice, i;

	for (i = 0; i < count; i++) {
		size_t from = n * (size_t)i / (size_t)count;
		size_t to = n * (size_t)(i + 1) / (size_t)count;

		if (write_slice(c, first + i, items + from, to - from))
			return -1;
	}
	c->next_slice += count;
	return submit(c, parent, items, n, first, count);
}

static struct task *task_of_slice(struct coord *c, int slice)
{
	size_t i;

	for (i = 0; i < c->ntasks; i++)
		if (c->tasks[i].slice == slice)
			return &c->tasks[i];
	return NULL;
}

/* "<slice>.<job>.<token>" names a spool file; its slice. */
static struct task *task_of_spool(struct coord *c, const char *task)
{
	return task_of_slice(c, atoi(task));
}

/* ---- ingest callbacks ---- */

static void on_iteration(void *data, const char *task, const struct attempt *a,
			 int fresh)
{
	struct coord *c = data;
	struct session *s = c->s;
	struct session_test *t;
	struct task *tk = task_of_spool(c, task);

	if (a->item < 0 || (size_t)a->item >= c->nplan)
		return;
	if (!c->done[a->item]) {
		c->done[a->item] = 1;
		if (tk)
			tk->done++;
	}
	if (!fresh)
		return;
	t = &s->tests[c->plan[a->item].test];
	t->done++;
	t->counts[a->outcome]++;
	t->seconds += a->duration;
	s->items_done++;
	progress_step("run", "%s %d/%d: %s%s%s (%.1f s, task %s)", a->test,
		      a->seq, t->target, record_outcome_name(a->outcome),
		      a->reason ? " - " : "", a->reason ? a->reason : "",
		      a->duration, tk ? tk->job : task);
	progress_json(json_pack("{s:s, s:s, s:i, s:s, s:s?, s:f, s:s}",
				"event", "iteration", "test", a->test, "k",
				a->seq, "outcome",
				record_outcome_name(a->outcome), "reason",
				a->reason, "duration", a->duration, "task",
				tk ? tk->job : task));
}

static void on_task(void *data, const char *task, json_t *line)
{
	struct coord *c = data;
	struct task *tk = task_of_spool(c, task);
	const char *type = json_string_value(json_object_get(line, "type"));
	const char *host = json_string_value(json_object_get(line, "host"));
	const char *status = json_string_value(json_object_get(line, "status"));
	const char *err = json_string_value(json_object_get(line, "error"));

	if (!tk || !type)
		return;
	if (!strcmp(type, "task") && host)
		snprintf(tk->node, sizeof(tk->node), "%s", host);
	if (!strcmp(type, "end") && status && strcmp(status, "complete"))
		progress_step("slurm", "task %s ended %s%s%s", tk->job, status,
			      err ? ": " : "", err ? err : "");
}

/* ---- watching ---- */

static int active(const struct task *t)
{
	return !t->final;
}

/* Ask Slurm where each task is; a task it forgot has ended. */
static int poll_states(struct coord *c)
{
	size_t i, k;

	for (i = 0; i < c->ntasks; i++) {
		struct task *t = &c->tasks[i];
		struct slurm_task *v = NULL;
		int n, seen = 0, j;

		if (t->final)
			continue;
		/* One query per array job covers its tasks. */
		for (k = 0; k < i; k++)
			if (!strcmp(c->tasks[k].array_job, t->array_job))
				break;
		if (k < i)
			continue;
		n = slurm_query(t->array_job, &v);
		if (n < 0)
			return -1;
		for (k = i; k < c->ntasks; k++) {
			struct task *u = &c->tasks[k];
			char old[32];

			if (u->final || strcmp(u->array_job, t->array_job))
				continue;
			snprintf(old, sizeof(old), "%s", u->state);
			seen = 0;
			for (j = 0; j < n; j++) {
				if (v[j].index != u->slice)
					continue;
				snprintf(u->state, sizeof(u->state), "%s",
					 v[j].state);
				if (*v[j].node)
					snprintf(u->node, sizeof(u->node), "%s",
						 v[j].node);
				seen = 1;
			}
			if (!seen)
				snprintf(u->state, sizeof(u->state), "%s",
					 strcmp(old, "PENDING") &&
					 strcmp(old, "RUNNING") ? old : "GONE");
			if (slurm_state_final(u->state)) {
				u->final = 1;
				u->final_at = util_now();
			}
			if (strcmp(old, u->state) || u->final)
				task_row(c, u);
		}
		free(v);
	}
	return 0;
}

static void update_rows(struct coord *c)
{
	size_t i;

	for (i = 0; i < c->ntasks; i++)
		task_row(c, &c->tasks[i]);
}

static int items_left(const struct coord *c)
{
	return c->s->items_total - c->s->items_done;
}

/* What a finished task left undone: into *out, returns how many. */
static size_t undone(struct coord *c, const struct task *t, int **out)
{
	size_t i, n = 0;

	*out = xcalloc(t->nitems + 1, sizeof(**out));
	for (i = 0; i < t->nitems; i++)
		if (!c->done[t->items[i]])
			(*out)[n++] = t->items[i];
	return n;
}

/*
 * Every task still owing items ended CANCELLED and none is pending or
 * running: the array was cancelled as a whole, which stops the run.
 */
static int all_cancelled(const struct coord *c)
{
	size_t i;
	int cancelled = 0;

	for (i = 0; i < c->ntasks; i++) {
		const struct task *t = &c->tasks[i];

		if (!t->final)
			return 0;
		if (t->handled || (size_t)t->done >= t->nitems)
			continue;
		if (strcmp(t->state, "CANCELLED"))
			return 0;
		cancelled++;
	}
	/*
	 * One cancelled task whose siblings all finished their items looks
	 * the same as a whole array cancelled after they finished: take it
	 * as one task cancelled (resubmit), unless it is the run's only one.
	 * Seen when the siblings' items are short (e2e 48).
	 */
	return cancelled >= 2 || (cancelled == 1 && c->ntasks == 1);
}

/* Act on tasks that ended: resubmit what they did not finish. */
static int handle_ended(struct coord *c)
{
	size_t i, n = c->ntasks;

	for (i = 0; i < n; i++) {
		struct task *t = &c->tasks[i];
		int *rest, slice, depth;
		size_t nrest;

		if (!t->final || t->handled)
			continue;
		if (!strcmp(t->state, "CANCELLED") &&
		    util_now() - t->final_at < CANCEL_GRACE)
			continue;
		nrest = undone(c, t, &rest);
		if (!nrest) {
			t->handled = 1;
			free(rest);
			continue;
		}
		if (!strcmp(t->state, "CANCELLED") && all_cancelled(c)) {
			c->cancelled_all = 1;
			free(rest);
			return 0;
		}
		slice = t->slice;
		depth = t->depth;
		t->handled = 1;
		progress_step("slurm", "task %s ended %s with %zu of %zu "
			      "iteration(s) not run%s", t->job, t->state, nrest,
			      t->nitems, depth < SLURMRUN_MAX_RESUBMIT ?
			      ": resubmitting them" : "");
		if (depth >= SLURMRUN_MAX_RESUBMIT) {
			c->s->abort_reason = xasprintf(
				"slice %d failed %d times (last: task %s, %s; "
				"log: %s/logs/%s.log)", slice, depth + 1,
				t->job, t->state, c->dir, t->job);
			free(rest);
			return -1;
		}
		/* t may move: submit() grows the array. */
		if (submit_slices(c, slice, rest, nrest, 1)) {
			c->s->abort_reason = xstrdup("cannot resubmit to Slurm");
			free(rest);
			return -1;
		}
		free(rest);
	}
	return 0;
}

static void show_status(struct coord *c)
{
	struct session *s = c->s;
	struct strbuf sb = STRBUF_INIT;
	double per = 0;
	size_t i;
	int running = 0;
	char eta[32];

	for (i = 0; i < c->ntasks; i++) {
		struct task *t = &c->tasks[i];

		if (t->final)
			continue;
		running += !strcmp(t->state, "RUNNING");
		strbuf_addf(&sb, "%s%s %s %d/%zu", sb.len ? ", " : "", t->job,
			    t->state, t->done, t->nitems);
	}
	for (i = 0; i < s->ntests; i++)
		per += s->tests[i].done ? s->tests[i].seconds /
					  s->tests[i].done : 60;
	progress_fmt_duration(per / (double)s->ntests * items_left(c) /
			      (running ? running : 1), eta);
	progress_status("iteration %d/%d | tasks: %s | ETA %s", s->items_done,
			s->items_total, sb.len ? sb.buf : "none", eta);
	strbuf_release(&sb);
}

static void save_progress(struct coord *c)
{
	struct session *s = c->s;
	json_t *tasks = json_array(), *p;
	size_t i;
	char *js;

	for (i = 0; i < c->ntasks; i++) {
		struct task *t = &c->tasks[i];

		json_array_append_new(tasks, json_pack(
			"{s:s, s:i, s:s, s:i, s:i, s:s}", "job", t->job,
			"slice", t->slice, "state", t->state, "done", t->done,
			"items", (int)t->nitems, "host", t->node));
	}
	p = json_pack("{s:i, s:i, s:s, s:o}", "done", s->items_done, "total",
		      s->items_total, "executor", "slurm", "tasks", tasks);
	js = json_dumps(p, JSON_COMPACT);
	record_run_progress(s->st, s->run_id, "run", js);
	free(js);
	json_decref(p);
}

static void cancel_all(struct coord *c)
{
	size_t i, k;

	for (i = 0; i < c->ntasks; i++) {
		if (c->tasks[i].final)
			continue;
		for (k = 0; k < i; k++)
			if (!c->tasks[k].final &&
			    !strcmp(c->tasks[k].array_job, c->tasks[i].array_job))
				break;
		if (k == i)
			slurm_cancel(c->tasks[i].array_job);
	}
}

static int any_active(const struct coord *c)
{
	size_t i;

	for (i = 0; i < c->ntasks; i++)
		if (active(&c->tasks[i]))
			return 1;
	return 0;
}

/* Sleep up to secs; a signal ends it early. */
static void nap(double secs)
{
	struct timespec ts = { (time_t)secs,
			       (long)((secs - (double)(time_t)secs) * 1e9) };

	nanosleep(&ts, NULL);
}

/* Tasks were cancelled: wait for them to end, keeping what they wrote. */
static void drain(struct coord *c)
{
	double until = util_now() + STOP_WAIT;

	while (any_active(c) && util_now() < until) {
		if (poll_states(c))
			break;
		spool_ingest(&c->in);
		nap(POLL_SECONDS);
	}
	spool_ingest(&c->in);
	update_rows(c);
}

static int watch(struct coord *c)
{
	int ingest_errors = 0;

	for (;;) {
		if (session_interrupted) {
			progress_step("slurm", "interrupted: cancelling the "
				      "run's tasks");
			cancel_all(c);
			drain(c);
			return 1;
		}
		if (poll_states(c)) {
			c->s->abort_reason = xstrdup("cannot ask Slurm for the "
						     "tasks' states");
			cancel_all(c);
			return -1;
		}
		/* After the states: lines written before a task ended are in. */
		if (spool_ingest(&c->in) < 0 && ++ingest_errors > 30) {
			c->s->abort_reason = xstrdup("cannot ingest the spool");
			cancel_all(c);
			return -1;
		}
		update_rows(c);
		save_progress(c);
		show_status(c);
		if (!items_left(c))
			break;
		if (handle_ended(c) < 0) {
			cancel_all(c);
			drain(c);
			return -1;
		}
		if (c->cancelled_all) {
			progress_step("slurm", "the run's tasks were cancelled");
			drain(c);
			return 1;
		}
		if (!any_active(c) && items_left(c)) {
			size_t i;
			int pending = 0;

			for (i = 0; i < c->ntasks; i++)
				pending += !c->tasks[i].handled;
			if (!pending) {
				c->s->abort_reason = xasprintf(
					"every task ended with %d iteration(s) "
					"not run (logs: %s/logs)",
					items_left(c), c->dir);
				return -1;
			}
		}
		nap(POLL_SECONDS);
	}
	/* Every item is in; tasks still listed are done or about to be. */
	return 0;
}

static int default_tasks(int items)
{
	int t = (items + SLURMRUN_ITEMS_PER_TASK - 1) / SLURMRUN_ITEMS_PER_TASK;

	return t < 1 ? 1 : t;
}

static void coord_release(struct coord *c)
{
	size_t i;

	for (i = 0; i < c->ntasks; i++) {
		free(c->tasks[i].array_job);
		free(c->tasks[i].job);
		free(c->tasks[i].items);
	}
	free(c->tasks);
	free(c->done);
	free(c->plan);
	free(c->shared);
	free(c->dir);
	free(c->kflake);
	free(c->kernel);
	free(c->payload);
}

int slurmrun_execute(struct session *s, const struct slurmrun_opts *o)
{
	struct coord c = { .s = s, .o = o };
	int *items, i, tasks, ret = -1;
	char *sub;

	c.nplan = session_plan(s, &c.plan);
	s->items_total = (int)c.nplan;
	s->started = util_now();
	c.done = xcalloc((size_t)s->items_total + 1, 1);
	c.shared = shared_root(o);
	c.kflake = util_realpath("/proc/self/exe");
	if (!c.shared) {
		s->abort_reason = xstrdup("no shared directory");
		goto out;
	}
	c.dir = xasprintf("%s/runs/%lld", c.shared, s->run_id);
	util_rm_rf(c.dir);	/* a database reset reuses run ids */
	sub = xasprintf("%s/slices", c.dir);
	i = util_mkdir_p(sub);
	free(sub);
	sub = xasprintf("%s/logs", c.dir);
	i |= util_mkdir_p(sub);
	free(sub);
	if (i || place_inputs(&c) || write_job(&c)) {
		s->abort_reason = xasprintf("cannot prepare %s", c.dir);
		goto out;
	}
	c.in = (struct spool_ingest){
		.st = s->st, .run_id = s->run_id, .kernel_id = s->kernel_id,
		.dir = c.dir, .artefacts = s->workdir,
		.on_iteration = on_iteration, .on_task = on_task, .data = &c,
	};
	tasks = o->tasks > 0 ? o->tasks : default_tasks(s->items_total);
	if (tasks > s->items_total)
		tasks = s->items_total;
	if (tasks > SLURMRUN_MAX_TASKS)
		tasks = SLURMRUN_MAX_TASKS;
	items = xcalloc((size_t)s->items_total + 1, sizeof(*items));
	for (i = 0; i < s->items_total; i++)
		items[i] = i;
	progress_step("slurm", "shared directory %s", c.dir);
	if (submit_slices(&c, -1, items, (size_t)s->items_total, tasks)) {
		free(items);
		s->abort_reason = xstrdup("cannot submit to Slurm (is "
					  "slurmctld running? see sinfo)");
		goto out;
	}
	free(items);
	ret = watch(&c);
	if (ret == 0) {
		/* Every item is in; let the tasks finish their last boots. */
		drain(&c);
		if (any_active(&c))
			cancel_all(&c);
	}
	update_rows(&c);
	save_progress(&c);
	if (ret == 0 && !any_active(&c)) {
		/* Everything is in the database and the artefacts: tidy up. */
		spool_forget(s->st, s->run_id);
		util_rm_rf(c.dir);
	}
out:
	progress_clear();
	coord_release(&c);
	return ret;
}

/* ---- the worker ---- */

static char *task_token(void)
{
	unsigned char r[4] = { 0 };

	if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
		unsigned long v = (unsigned long)getpid() ^
				  (unsigned long)(util_wallclock() * 1e6);

		memcpy(r, &v, sizeof(r));
	}
	return xasprintf("%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
}

struct worker {
	struct session s;
	struct selftest *tests;
	struct session_item *items;
	size_t nitems;
	char *kernel;
	char *payload;
	char *vmlinux;
	char *srcdir;
};

static int read_items(const char *dir, int slice, struct worker *w)
{
	char *path = xasprintf("%s/slices/%d", dir, slice);
	json_error_t jerr;
	json_t *a = json_load_file(path, 0, &jerr), *v;
	size_t i;
	int ret = -1;

	if (!json_is_array(a)) {
		error("%s: %s", path, a ? "not a JSON array" : jerr.text);
		goto out;
	}
	w->items = xcalloc(json_array_size(a) + 1, sizeof(*w->items));
	json_array_foreach(a, i, v) {
		json_int_t plan = -1, test = -1, k = 0;

		if (json_unpack(v, "[III]", &plan, &test, &k) || plan < 0 ||
		    plan > 1000000000 || test < 0 ||
		    test >= (json_int_t)w->s.ntests || k < 1 || k > 1000000) {
			error("%s: entry %zu is not [plan, test, k] of this run",
			      path, i);
			goto out;
		}
		w->items[w->nitems++] = (struct session_item){ (int)test,
							       (int)k,
							       (int)plan };
	}
	ret = 0;
out:
	json_decref(a);
	free(path);
	return ret;
}

static char *dup_field(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? xstrdup(s) : NULL;
}

static int read_job(const char *dir, struct worker *w)
{
	char *path = xasprintf("%s/job.json", dir);
	json_error_t jerr;
	json_t *job = json_load_file(path, 0, &jerr), *tests, *t;
	struct session *s = &w->s;
	size_t i;
	int ret = -1;

	if (!job) {
		error("%s: %s", path, jerr.text);
		goto out;
	}
	tests = json_object_get(job, "tests");
	w->kernel = dup_field(job, "kernel");
	w->payload = dup_field(job, "payload");
	w->vmlinux = dup_field(job, "vmlinux");
	w->srcdir = dup_field(job, "srcdir");
	s->run_id = json_integer_value(json_object_get(job, "run"));
	s->iterations = (int)json_integer_value(json_object_get(job,
								"iterations"));
	s->cpus = (int)json_integer_value(json_object_get(job, "cpus"));
	s->mem_mb = (int)json_integer_value(json_object_get(job, "mem_mb"));
	s->vms = (int)json_integer_value(json_object_get(job, "vms"));
	if (!w->kernel || !w->payload || !json_is_array(tests) ||
	    !json_array_size(tests) || s->iterations < 1 || s->cpus < 1 ||
	    s->mem_mb < 1) {
		error("%s: not a kflake job file", path);
		goto out;
	}
	s->ntests = json_array_size(tests);
	s->tests = xcalloc(s->ntests, sizeof(*s->tests));
	w->tests = xcalloc(s->ntests, sizeof(*w->tests));
	json_array_foreach(tests, i, t) {
		struct session_test *st = &s->tests[i];

		w->tests[i].name = dup_field(t, "name");
		w->tests[i].suite = dup_field(t, "suite");
		st->t = &w->tests[i];
		st->run_dir = dup_field(t, "run_dir");
		st->cmd = dup_field(t, "cmd");
		st->timeout = json_number_value(json_object_get(t, "timeout"));
		st->idle = json_number_value(json_object_get(t, "idle"));
		if (!w->tests[i].name || !w->tests[i].suite || !st->run_dir ||
		    !st->cmd || st->timeout <= 0) {
			error("%s: test %zu is incomplete", path, i);
			goto out;
		}
	}
	ret = 0;
out:
	json_decref(job);
	free(path);
	return ret;
}

static void worker_release(struct worker *w)
{
	size_t i;

	for (i = 0; w->tests && i < w->s.ntests; i++)
		selftest_release(&w->tests[i]);
	free(w->tests);
	free(w->items);
	free(w->kernel);
	free(w->payload);
	free(w->vmlinux);
	free(w->srcdir);
	w->s.workdir = NULL;	/* the spool's */
	session_release(&w->s);
}

int slurmrun_worker(const char *dir, int slice, const char *job)
{
	struct worker w = { 0 };
	struct session *s = &w.s;
	struct spool *sp = NULL;
	char *token = task_token(), *task, *init;
	int rc, status = KFLAKE_EXIT_FAIL;

	task = xasprintf("%d.%s.%s", slice, job, token);
	init = xasprintf("%s/runners/init", util_home());
	session_catch_signals();
	if (read_job(dir, &w) || read_items(dir, slice, &w))
		goto out;
	if (!w.s.vms)
		w.s.vms = session_auto_vms_here(s->cpus, s->mem_mb,
						(int)w.nitems);
	sp = spool_create(dir, task, slice, job, w.s.vms);
	if (!sp)
		goto out;
	s->spool = sp;
	s->items = w.items;
	s->nitems = w.nitems;
	s->kernel = w.kernel;
	s->payload = w.payload;
	s->vmlinux = w.vmlinux;
	s->srcdir = w.srcdir;
	s->workdir = (char *)spool_workdir(sp);
	s->accel = vm_pick_accel(w.kernel, init);
	progress_step("worker", "task %s: %zu iteration(s) of run %lld, %d "
		      "guest(s), %s", task, w.nitems, s->run_id, s->vms,
		      s->accel);
	rc = session_execute(s);
	if (rc < 0) {
		spool_end(sp, "failed", s->abort_reason);
		error("task %s stopped: %s", task, s->abort_reason);
	} else if (rc > 0) {
		spool_end(sp, "interrupted", NULL);
		status = 130;
	} else {
		status = spool_end(sp, "complete", NULL) ? KFLAKE_EXIT_FAIL : 0;
	}
out:
	spool_close(sp);
	worker_release(&w);
	free(token);
	free(task);
	free(init);
	return status;
}
