/*
 * builtin/ci.c - `kflake ci --plan FILE`: the nightly loop. A pass polls
 * patchwork, fetches the tracked refs, queues what is new (series before
 * refs), runs the queue within the plan's time budget, posts a check per
 * patch, prunes old artefacts, and prints and sends a summary. Work
 * items live in the database (workq.c), so a killed ci resumes the
 * interrupted item on its next start and never redoes a finished one.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "builtin.h"
#include "checks.h"
#include "cihooks.h"
#include "doctor.h"
#include "fetch.h"
#include "job.h"
#include "patchwork.h"
#include "plan.h"
#include "progress.h"
#include "record.h"
#include "series.h"
#include "seriesrun.h"
#include "session.h"
#include "stats.h"
#include "store.h"
#include "tree.h"
#include "utf8.h"
#include "util.h"
#include "workq.h"

static const char ci_usage[] =
"usage: kflake ci --plan FILE [--once] [--db PATH] [-q] [--json]\n"
"       kflake ci --status [--plan FILE] [--db PATH] [--json]\n"
"\n"
"Run a CI plan (docs/CI.md): each pass polls the plan's patchwork project\n"
"for new series, fetches the tracked refs, queues what is new (series\n"
"first), runs the queue within the plan's budget, posts one patchwork\n"
"check per patch and test, prunes artefacts past the retention, and prints\n"
"a summary (also POSTed to the plan's webhook). Then it sleeps for the\n"
"plan's interval and starts again.\n"
"\n"
"  --plan FILE   the plan (JSON)\n"
"  --once        one pass, then exit (for cron or a systemd timer)\n"
"  --status      print the work queue and exit\n"
"  --db PATH     database (default: $KFLAKE_DB or\n"
"                ~/.local/share/kflake/kflake.db)\n"
"  -q, --quiet   only errors and the summary\n"
"  --json        the summary as one JSON object (and progress events)\n"
"\n"
"One ci runs per database; a second exits at once. SIGTERM (or Ctrl-C)\n"
"stops the running test like Ctrl-C stops a run (finished iterations\n"
"kept) and puts its work item back in the queue. After a kill -9 the\n"
"next start resumes the interrupted item.\n"
"\n"
"Exit status: 0 after a pass (or a clean stop between passes), 1 when\n"
"the plan cannot run (database, lock, doctor), 2 on a bad plan or usage,\n"
"130 when interrupted in a pass.\n";

enum { OPT_PLAN = 0x100, OPT_ONCE, OPT_STATUS, OPT_DB, OPT_JSON };

static const struct option ci_options[] = {
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "db", required_argument, NULL, OPT_DB },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct ci {
	struct plan plan;
	struct store st;
	const char *db;
	enum progress_mode progress;
	int argc;
	char **argv;
	int lock_fd;
	/* this pass */
	double started;
	json_t *summary;
	json_t *items;
	long posted, found, check_failures;
	int interrupted;
};

/* ---- one instance per database ---- */

static int take_lock(struct ci *c)
{
	char *path = xasprintf("%s.ci-lock", c->st.path), buf[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644), ret = -1;
	ssize_t n;

	if (fd < 0) {
		error("%s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		error("ci: another kflake ci (pid %ld) is working on %s; "
		      "exiting", atol(buf), c->st.path);
		close(fd);
		goto out;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
		warning("%s: cannot record our pid", path);
	c->lock_fd = fd;
	ret = 0;
out:
	free(path);
	return ret;
}

/* ---- queueing ---- */

static void queue_key(struct ci *c, const char *key, const char *kind,
		      long long series_id, const char *tree, const char *ref,
		      const char *commit, int *fresh)
{
	size_t k;

	for (k = 0; k < c->plan.nkconfigs; k++) {
		struct workq_item it = { 0 };

		it.plan = c->plan.name;
		it.key = (char *)key;
		it.kconfig_set = c->plan.kconfigs[k].name;
		it.kind = (char *)kind;
		it.series_id = series_id;
		it.tree = (char *)tree;
		it.ref = (char *)ref;
		it.commit = (char *)commit;
		if (workq_add(&c->st, &it) > 0)
			(*fresh)++;
	}
}

static void poll_patchwork(struct ci *c)
{
	struct strbuf err = STRBUF_INIT;
	struct patchwork_poll p;
	json_t *o = json_object();
	int fresh = 0;
	size_t i;

	json_object_set_new(c->summary, "patchwork", o);
	if (!c->plan.pw_url)
		return;
	progress_step("poll", "%s project %s", c->plan.pw_url,
		      c->plan.pw_project);
	if (patchwork_poll(&c->st, c->plan.pw_url, c->plan.pw_project, NULL,
			   &p, &err)) {
		error("ci: %s", strbuf_str(&err));
		json_object_set_new(o, "error", json_string(strbuf_str(&err)));
		strbuf_release(&err);
		return;
	}
	for (i = 0; i < p.n; i++) {
		char *key = xasprintf("series:%lld", p.v[i].series_id);

		queue_key(c, key, "series", p.v[i].series_id, c->plan.pw_tree,
			  NULL, NULL, &fresh);
		free(key);
	}
	json_object_set_new(o, "events_pages", json_integer(p.pages));
	json_object_set_new(o, "series_seen", json_integer((json_int_t)p.n));
	json_object_set_new(o, "queued", json_integer(fresh));
	progress_step("poll", "%zu series in new events, %d item(s) queued",
		      p.n, fresh);
	patchwork_poll_release(&p);
	strbuf_release(&err);
}

static void fetch_refs(struct ci *c)
{
	json_t *arr = json_array();
	size_t i, r;

	json_object_set_new(c->summary, "refs", arr);
	for (i = 0; i < c->plan.ntrees && !session_interrupted; i++) {
		const struct plan_tree *pt = &c->plan.trees[i];
		struct tree t;

		progress_step("fetch", "%s", pt->tree ? pt->tree
						      : TREE_DEFAULT_SOURCE);
		if (tree_open(&t, pt->tree)) {
			json_array_append_new(arr, json_pack("{s:s,s:s}", "tree",
				pt->tree ? pt->tree : TREE_DEFAULT_SOURCE,
				"error", "cannot open or fetch the tree"));
			continue;
		}
		for (r = 0; r < pt->nrefs; r++) {
			git_oid oid;
			char *key;
			int fresh = 0;

			if (tree_resolve(&t, pt->refs[r], &oid)) {
				json_array_append_new(arr, json_pack(
					"{s:s,s:s,s:s}", "tree", t.source, "ref",
					pt->refs[r], "error", "unknown ref"));
				continue;
			}
			key = xasprintf("ref:%s#%s@%s", t.source, pt->refs[r],
					tree_oid_hex(&oid));
			queue_key(c, key, "ref", 0, pt->tree, pt->refs[r],
				  tree_oid_hex(&oid), &fresh);
			json_array_append_new(arr, json_pack(
				"{s:s,s:s,s:s,s:b}", "tree", t.source, "ref",
				pt->refs[r], "commit", tree_oid_hex(&oid),
				"queued", fresh > 0));
			progress_step("fetch", "%s %s at %s%s", t.source,
				      pt->refs[r], tree_oid_short(&oid),
				      fresh ? ": queued" : ": tested already");
			free(key);
		}
		tree_close(&t);
	}
}

/* ---- running an item ---- */

struct item_run {
	struct ci *c;
	const struct workq_item *it;
	const char **args;
	struct job_test *xs;
	struct job_opts o;
};

static void on_started(void *data, long long run_id)
{
	const struct item_run *ir = data;

	workq_link_run(&ir->c->st, ir->it->id, run_id);
}

static const struct plan_kconfig *kset_of(struct ci *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->plan.nkconfigs; i++)
		if (!strcmp(c->plan.kconfigs[i].name, name))
			return &c->plan.kconfigs[i];
	return NULL;
}

/* The job options every run of an item shares (plan tests, set, guest). */
static int item_opts(struct item_run *ir, const char *tree)
{
	struct ci *c = ir->c;
	const struct plan_kconfig *k = kset_of(c, ir->it->kconfig_set);
	struct job_opts *o = &ir->o;
	size_t i;

	if (!k)
		return error("ci: item %lld: the plan has no kconfig set '%s' "
			     "any more", ir->it->id, ir->it->kconfig_set);
	job_opts_init(o);
	o->kind = "ci";
	o->tree = tree;
	o->db = c->db;
	o->progress = c->progress;
	o->argc = c->argc;
	o->argv = (const char *const *)c->argv;
	o->cpus = c->plan.cpus;
	o->mem_mb = c->plan.mem_mb;
	o->stress = c->plan.stress;
	o->vms = c->plan.vms;
	o->executor = c->plan.executor ? c->plan.executor : "local";
	o->partition = c->plan.partition;
	o->tasks = c->plan.tasks;
	o->shared = c->plan.shared;
	o->timeout = c->plan.timeout;
	o->idle = c->plan.idle;
	o->idle_set = c->plan.idle_set;
	o->kconfigs = (const char **)k->fragments;
	o->nkconfigs = k->nfragments;
	o->started = on_started;
	o->started_data = ir;
	o->no_report = 1;
	ir->args = xcalloc(c->plan.ntests, sizeof(*ir->args));
	ir->xs = xcalloc(c->plan.ntests, sizeof(*ir->xs));
	for (i = 0; i < c->plan.ntests; i++) {
		const struct plan_test *t = &c->plan.tests[i];

		ir->args[i] = t->test;
		ir->xs[i].name = t->name;
		ir->xs[i].sysctls = t->sysctls;
		ir->xs[i].nsysctls = t->nsysctls;
		ir->xs[i].until_decided = t->until_decided;
		ir->xs[i].iterations = t->iterations ? t->iterations :
				       t->until_decided ? PLAN_DEFAULT_PLAIN_MAX : 5;
	}
	o->tests = ir->args;
	o->ntests = c->plan.ntests;
	o->test_opts = ir->xs;
	o->iterations = ir->xs[0].iterations;
	return 0;
}

static void item_run_release(struct item_run *ir)
{
	free(ir->args);
	free(ir->xs);
}

/* What happened to an item, for the queue and the summary. */
enum outcome { ITEM_DONE, ITEM_FAILED, ITEM_REQUEUE, ITEM_INTERRUPTED };

static enum outcome job_outcome(int rc, const struct job_result *res)
{
	if (rc == 130 || session_interrupted)
		return ITEM_INTERRUPTED;
	if (!rc)
		return ITEM_DONE;
	if (res && res->build_failed)
		return ITEM_FAILED;
	return ITEM_REQUEUE;
}

/*
 * A tracked ref's commit: every plan test, each for what the item's
 * earlier runs (a killed predecessor) have not done yet.
 */
static enum outcome run_ref(struct item_run *ir, json_t *res_json)
{
	struct workq_count *cnt;
	struct job_result res;
	const char **args = xcalloc(ir->o.ntests, sizeof(*args));
	struct job_test *xs = xcalloc(ir->o.ntests, sizeof(*xs));
	struct job_opts o = ir->o;
	int n = workq_counts(&ir->c->st, ir->it->id, &cnt), rc;
	size_t i, k = 0;
	enum outcome out = ITEM_DONE;

	for (i = 0; i < ir->o.ntests; i++) {
		char *label = job_test_label(ir->args[i], &ir->xs[i]);
		struct job_test x = ir->xs[i];
		long done = 0;
		int j;

		for (j = 0; j < n; j++) {
			if (strcmp(cnt[j].test, label))
				continue;
			done = cnt[j].iterations;
			x.prior_failures = cnt[j].failures;
			x.prior_runs = cnt[j].runs;
		}
		free(label);
		if (done >= x.iterations)
			continue;
		x.iterations -= (int)done;
		args[k] = ir->args[i];
		xs[k++] = x;
	}
	if (n > 0)
		workq_counts_release(cnt, n);
	if (k) {
		o.ref = ir->it->commit;
		o.tests = args;
		o.ntests = k;
		o.test_opts = xs;
		o.iterations = xs[0].iterations;
		rc = job_run(&o, &res);
		out = job_outcome(rc, &res);
		if (out == ITEM_FAILED)
			json_object_set_new(res_json, "error", json_string(
				"the kernel does not build"));
	}
	/* What the item has now, per test. */
	n = workq_counts(&ir->c->st, ir->it->id, &cnt);
	{
		json_t *t = json_array();
		int j;

		for (j = 0; j < n; j++) {
			enum stats_verdict v = stats_verdict(cnt[j].failures,
							     cnt[j].runs);

			json_array_append_new(t, json_pack(
				"{s:o,s:i,s:i,s:i,s:s}", "test",
				utf8_json_str(cnt[j].test),
				"iterations", (int)cnt[j].iterations,
				"failures", (int)cnt[j].failures, "runs",
				(int)cnt[j].runs, "verdict",
				stats_verdict_name(v)));
		}
		json_object_set_new(res_json, "tests", t);
		if (n > 0)
			workq_counts_release(cnt, n);
	}
	free(args);
	free(xs);
	return out;
}

/* A series row as series_fetch() would have described it. */
static void load_series(struct store *st, long long id,
			struct series_result *sr)
{
	struct series_info si;

	memset(sr, 0, sizeof(*sr));
	if (series_load(st, id, &si))
		return;
	sr->id = id;
	sr->kind = "patchwork";
	sr->subject = xstrdup(si.subject ? si.subject : "");
	sr->version = si.version;
	sr->npatches = (size_t)si.patch_count;
	snprintf(sr->base, sizeof(sr->base), "%s",
		 si.base_commit ? si.base_commit : "");
	snprintf(sr->result, sizeof(sr->result), "%s",
		 si.result_commit ? si.result_commit : "");
	sr->state = xstrdup(si.state ? si.state : "");
	sr->error = si.error ? xstrdup(si.error) : NULL;
	sr->applied = *sr->result != '\0';
	sr->complete = si.complete;
	sr->total = si.total;
	series_info_release(&si);
}

/* Patchwork's patch ids of a series (GET; the rows do not keep them). */
static int pw_patch_ids(struct ci *c, long long series_id, long **ids,
			  size_t *n, struct strbuf *err)
{
	struct patchwork_series pw;
	struct series_info si;
	long pw_id = 0;
	size_t i;

	*ids = NULL;
	*n = 0;
	if (!series_load(&c->st, series_id, &si)) {
		pw_id = (long)si.pw_id;
		series_info_release(&si);
	}
	if (pw_id <= 0) {
		strbuf_addf(err, "series %lld has no patchwork id", series_id);
		return -1;
	}
	if (patchwork_series_get(c->plan.pw_url, pw_id, 0, &pw, err))
		return -1;
	*ids = xcalloc(pw.npatches + 1, sizeof(**ids));
	for (i = 0; i < pw.npatches; i++)
		if (pw.patches[i].id > 0)
			(*ids)[(*n)++] = pw.patches[i].id;
	patchwork_series_release(&pw);
	return 0;
}

static char *target_url(struct ci *c, long long series_id)
{
	const char *b = c->plan.status_url;
	size_t n;

	if (!b)
		return NULL;
	n = strlen(b);
	while (n && b[n - 1] == '/')
		n--;
	return xasprintf("%.*s/series/%lld", (int)n, b, series_id);
}

static void post(struct ci *c, struct checks_ctx *cc, const struct check *ck)
{
	int rc = checks_post(cc, ck);

	if (rc == 1)
		c->posted++;
	else if (rc == 2)
		c->found++;
	else if (rc < 0)
		c->check_failures++;
}

/* One check per patch for each test's verdict (or the apply failure). */
static int post_checks(struct ci *c, const struct workq_item *it,
		       const struct series_result *sr, json_t *tests,
		       json_t *res_json)
{
	struct checks_ctx cc = { &c->st, c->plan.pw_url, c->plan.pw_token,
				 it->id, 0 };
	struct strbuf err = STRBUF_INIT;
	char *url = target_url(c, sr->id), *kernel;
	long *ids;
	size_t n, p, t;

	if (!c->plan.checks)
		return 0;
	if (pw_patch_ids(c, sr->id, &ids, &n, &err)) {
		error("ci: series %lld: no checks posted: %s", sr->id,
		      strbuf_str(&err));
		json_object_set_new(res_json, "checks_error",
				    json_string(strbuf_str(&err)));
		strbuf_release(&err);
		free(url);
		return -1;
	}
	if (!tests) {
		/* Does not apply: the same for every kconfig set. */
		struct strbuf d = STRBUF_INIT;
		char *ctx = xasprintf("%s-apply", c->plan.context);

		strbuf_addf(&d, "the series does not apply on %.12s: %.300s",
			    sr->base, sr->error && *sr->error ? sr->error
							      : sr->state);
		kernel = xasprintf("apply@%s", sr->base);
		for (p = 0; p < n; p++)
			post(c, &cc, &(struct check){ ids[p], ctx, kernel,
						      "warning", d.buf, url });
		free(ctx);
		free(kernel);
		strbuf_release(&d);
	}
	kernel = xasprintf("%.40s/%s", sr->result, it->kconfig_set);
	for (t = 0; tests && t < json_array_size(tests); t++) {
		json_t *j = json_array_get(tests, t);
		json_t *b = json_object_get(j, "base"), *s = json_object_get(j,
									 "series");
		const char *name = json_string_value(json_object_get(j, "name"));
		const char *change = json_string_value(json_object_get(j,
								"change"));
		json_t *pv = json_object_get(j, "p_value");
		struct strbuf d = STRBUF_INIT;
		char *ctx;

		if (!name)
			continue;
		ctx = checks_context(c->plan.context, name, it->kconfig_set);
		strbuf_addf(&d, "base %lld/%lld failed, series %lld/%lld",
			    (long long)json_integer_value(json_object_get(b,
								"failures")),
			    (long long)json_integer_value(json_object_get(b, "runs")),
			    (long long)json_integer_value(json_object_get(s,
								"failures")),
			    (long long)json_integer_value(json_object_get(s, "runs")));
		if (json_is_number(pv))
			strbuf_addf(&d, ", Fisher p = %.3g", json_number_value(pv));
		strbuf_addf(&d, ": %s", json_string_value(json_object_get(j,
							"verdict")));
		for (p = 0; p < n; p++)
			post(c, &cc, &(struct check){
				ids[p], ctx, kernel,
				checks_state(change, json_is_true(
					json_object_get(j, "decided"))),
				d.buf, url });
		free(ctx);
		strbuf_release(&d);
	}
	free(kernel);
	free(ids);
	free(url);
	return 0;
}

static enum outcome run_series(struct item_run *ir, json_t *res_json)
{
	struct ci *c = ir->c;
	struct series_result sr;
	struct strbuf err = STRBUF_INIT;
	json_t *out = NULL;
	enum outcome o = ITEM_DONE;
	int rc;

	load_series(&c->st, ir->it->series_id, &sr);
	if (!sr.id) {
		json_object_set_new(res_json, "error",
				    json_string("no such series"));
		return ITEM_FAILED;
	}
	if (!strcmp(sr.state, "queued")) {
		struct series_opts so = { 0 };
		struct series_info si;
		char *source = NULL;

		if (!series_load(&c->st, sr.id, &si)) {
			source = xstrdup(si.source);
			series_info_release(&si);
		}
		series_result_release(&sr);
		so.source = source;
		so.tree = c->plan.pw_tree;
		so.ref = c->plan.pw_base;
		progress_step("series", "%s", source);
		rc = series_fetch(&c->st, &so, &sr, &err);
		free(source);
		if (rc < 0) {
			error("ci: %s", strbuf_str(&err));
			json_object_set_new(res_json, "error",
					    json_string(strbuf_str(&err)));
			strbuf_release(&err);
			return ITEM_REQUEUE;
		}
	}
	json_object_set_new(res_json, "series", series_result_json(&sr));
	if (!sr.applied) {
		progress_step("series", "series %lld does not apply: %s", sr.id,
			      sr.error ? sr.error : sr.state);
		post_checks(c, ir->it, &sr, NULL, res_json);
		goto out;
	}
	ir->o.series_id = sr.id;
	rc = seriesrun_execute(&c->st, &ir->o, &sr, c->plan.delta,
			       workq_last_run(&c->st, ir->it->id, sr.result),
			       &out, c->progress == PROGRESS_AUTO);
	o = job_outcome(rc, NULL);
	if (o != ITEM_DONE) {
		char *bad = workq_failed_build(&c->st, ir->it->id);
		int series_side = bad && !strcmp(bad, sr.result), failed = !!bad;

		free(bad);
		if (!failed || o == ITEM_INTERRUPTED)
			goto out;
		/*
		 * A kernel that does not build is a verdict, not a glitch:
		 * the series' own is a failure; its base's says nothing
		 * about the series.
		 */
		o = ITEM_FAILED;
		json_object_set_new(res_json, "error", json_string(series_side ?
			"the series does not build" : "the base does not build"));
		out = json_pack("{s:[{s:s,s:{s:i,s:i},s:{s:i,s:i},s:s,s:s,s:b}]}",
				"tests", "name", "build", "base", "failures", 0,
				"runs", 0, "series", "failures", 0, "runs", 0,
				"change", series_side ? "regression" : "no change",
				"verdict", series_side ? "the series does not build"
				: "undecided: the base does not build",
				"decided", series_side);
	}
	json_object_set_new(res_json, "comparison", json_incref(out));
	if (post_checks(c, ir->it, &sr, json_object_get(out, "tests"),
			res_json) && o == ITEM_DONE)
		o = ITEM_REQUEUE;	/* the verdicts stand; post next pass */
out:
	json_decref(out);
	series_result_release(&sr);
	strbuf_release(&err);
	return o;
}

static const char *item_what(const struct workq_item *it, char *buf,
			     size_t len)
{
	if (!strcmp(it->kind, "series"))
		snprintf(buf, len, "series %lld (%s)", it->series_id,
			 it->kconfig_set);
	else
		snprintf(buf, len, "%s %s@%.12s (%s)",
			 it->tree ? it->tree : TREE_DEFAULT_SOURCE, it->ref,
			 it->commit, it->kconfig_set);
	return buf;
}

static void run_item(struct ci *c, struct workq_item *it)
{
	struct item_run ir = { c, it, NULL, NULL };
	json_t *res = json_object();
	enum outcome o;
	char what[256], *s;
	const char *state;

	item_what(it, what, sizeof(what));
	progress_step("ci", "item %lld: %s, attempt %d", it->id, what,
		      it->attempts);
	if (item_opts(&ir, strcmp(it->kind, "series") ? it->tree
							: c->plan.pw_tree)) {
		o = ITEM_FAILED;
	} else if (!strcmp(it->kind, "series")) {
		o = run_series(&ir, res);
	} else {
		o = run_ref(&ir, res);
	}
	/* Whatever failed while stopping was the stop, not the item. */
	if (session_interrupted && o == ITEM_REQUEUE)
		o = ITEM_INTERRUPTED;
	s = json_dumps(res, JSON_COMPACT);
	switch (o) {
	case ITEM_DONE:
		state = "done";
		workq_finish(&c->st, it->id, "done", s, NULL);
		break;
	case ITEM_FAILED:
		state = "failed";
		workq_finish(&c->st, it->id, "failed", s, json_string_value(
				     json_object_get(res, "error")));
		break;
	case ITEM_INTERRUPTED:
		state = "interrupted";
		workq_requeue(&c->st, it->id, "interrupted (SIGTERM or Ctrl-C); "
			      "back in the queue", 0);
		c->interrupted = 1;
		break;
	default:
		if (it->attempts >= WORKQ_MAX_ATTEMPTS) {
			state = "failed";
			workq_finish(&c->st, it->id, "failed", s,
				     "failed on every attempt");
		} else {
			state = "requeued";
			workq_requeue(&c->st, it->id, json_string_value(
					      json_object_get(res, "error")), 1);
		}
	}
	progress_step("ci", "item %lld: %s", it->id, state);
	json_object_set_new(res, "id", json_integer(it->id));
	json_object_set_new(res, "what", json_string(what));
	json_object_set_new(res, "state", json_string(state));
	json_array_append_new(c->items, res);
	free(s);
	item_run_release(&ir);
}

/* ---- the pass ---- */

static void run_queue(struct ci *c)
{
	struct workq_item it;
	int rc;

	while (!session_interrupted) {
		if (c->plan.budget > 0 &&
		    util_now() - c->started >= c->plan.budget) {
			json_object_set_new(c->summary, "budget_exhausted",
					    json_true());
			progress_step("ci", "the pass's budget of %.0f s is used "
				      "up; the rest waits for the next pass",
				      c->plan.budget);
			break;
		}
		rc = workq_claim(&c->st, c->plan.name, &it);
		if (rc <= 0)
			break;
		run_item(c, &it);
		workq_item_release(&it);
	}
}

/* Checks that failed (or were cut short) in earlier passes, once more. */
static void retry_checks(struct ci *c)
{
	struct checks_ctx cc = { &c->st, c->plan.pw_url, c->plan.pw_token, 0, 0 };
	struct checks_pending *v;
	int i, n;

	if (!c->plan.checks)
		return;
	n = checks_pending_list(&c->st, c->plan.pw_url, &v);
	for (i = 0; i < n && !session_interrupted; i++) {
		cc.item_id = v[i].item_id;
		post(c, &cc, &v[i].ck);
	}
	if (n > 0)
		checks_pending_release(v, n);
}

static void send_webhook(struct ci *c, const char *body)
{
	struct fetch_opts fo = FETCH_OPTS_INIT;
	struct fetch_response r = FETCH_RESPONSE_INIT;
	struct strbuf err = STRBUF_INIT;

	if (!c->plan.webhook)
		return;
	fo.timeout = 30;
	fo.retries = 2;
	fo.max_size = (size_t)1 << 20;
	if (fetch_post(c->plan.webhook, &fo, "application/json", body,
		       strlen(body), &r, &err))
		warning("ci: webhook: %s", strbuf_str(&err));
	fetch_response_release(&r);
	strbuf_release(&err);
}

static void print_summary(struct ci *c)
{
	json_t *s = c->summary, *q = json_object_get(s, "queue");
	size_t i;
	json_t *it;

	if (c->progress == PROGRESS_JSON) {
		char *txt = json_dumps(s, JSON_COMPACT);

		puts(txt);
		free(txt);
		return;
	}
	printf("ci pass of plan %s: %.0f s, %zu item(s) worked on; checks: "
	       "%ld posted, %ld found posted before, %ld failed; queue: %lld "
	       "queued, %lld done, %lld failed\n", c->plan.name,
	       json_number_value(json_object_get(s, "seconds")),
	       json_array_size(c->items), c->posted, c->found,
	       c->check_failures,
	       (long long)json_integer_value(json_object_get(q, "queued")),
	       (long long)json_integer_value(json_object_get(q, "done")),
	       (long long)json_integer_value(json_object_get(q, "failed")));
	json_array_foreach(c->items, i, it) {
		json_t *tests = json_object_get(json_object_get(it, "comparison"),
						"tests");
		json_t *t;
		size_t k;

		if (!tests)
			tests = json_object_get(it, "tests");
		printf("  item %lld %s: %s\n",
		       (long long)json_integer_value(json_object_get(it, "id")),
		       json_string_value(json_object_get(it, "what")),
		       json_string_value(json_object_get(it, "state")));
		json_array_foreach(tests, k, t)
			printf("    %s: %s\n",
			       json_string_value(json_object_get(t, json_object_get(
					t, "name") ? "name" : "test")),
			       json_string_value(json_object_get(t, "verdict")));
	}
}

static int pass(struct ci *c)
{
	char ts[32];
	json_t *q;
	char *body;

	c->started = util_now();
	c->posted = c->found = c->check_failures = 0;
	c->summary = json_object();
	c->items = json_array();
	json_object_set_new(c->summary, "plan", json_string(c->plan.name));
	json_object_set_new(c->summary, "started",
			    json_string(util_iso8601(util_wallclock(), ts)));
	json_object_set_new(c->summary, "budget_exhausted", json_false());
	record_reap_stale(&c->st);
	if (workq_recover(&c->st) > 0)
		progress_step("ci", "resuming work a killed ci left running");
	poll_patchwork(c);
	if (!session_interrupted)
		fetch_refs(c);
	retry_checks(c);
	run_queue(c);
	json_object_set_new(c->summary, "items", c->items);
	json_object_set_new(c->summary, "checks", json_pack("{s:I,s:I,s:I}",
		"posted", (json_int_t)c->posted, "already_there",
		(json_int_t)c->found, "failed", (json_int_t)c->check_failures));
	if (c->plan.retention_days > 0)
		json_object_set_new(c->summary, "pruned_runs", json_integer(
			record_prune_artefacts(&c->st, util_wallclock() -
					       86400.0 * c->plan.retention_days)));
	cihooks_run(&c->st, &c->plan, c->summary);
	q = json_pack("{s:I,s:I,s:I,s:I}",
		"queued", (json_int_t)workq_count_state(&c->st, c->plan.name,
							"queued"),
		"running", (json_int_t)workq_count_state(&c->st, c->plan.name,
							 "running"),
		"done", (json_int_t)workq_count_state(&c->st, c->plan.name,
						      "done"),
		"failed", (json_int_t)workq_count_state(&c->st, c->plan.name,
							"failed"));
	json_object_set_new(c->summary, "queue", q);
	json_object_set_new(c->summary, "interrupted",
			    json_boolean(session_interrupted));
	json_object_set_new(c->summary, "finished",
			    json_string(util_iso8601(util_wallclock(), ts)));
	json_object_set_new(c->summary, "seconds",
			    json_real(util_now() - c->started));
	print_summary(c);
	body = json_dumps(c->summary, JSON_COMPACT);
	send_webhook(c, body);
	free(body);
	json_decref(c->summary);
	c->summary = c->items = NULL;
	return session_interrupted ? 130 : 0;
}

static void nap(double secs)
{
	double end = util_now() + secs;

	progress_step("ci", "next pass in %.0f s", secs);
	while (!session_interrupted && util_now() < end)
		sleep(1);
}

static int status(const char *db, const char *plan_path, int json)
{
	struct strbuf err = STRBUF_INIT;
	struct plan p = { 0 };
	struct store st;
	int ret;

	if (plan_path && plan_load(plan_path, &p, &err)) {
		error("%s", strbuf_str(&err));
		strbuf_release(&err);
		return KFLAKE_EXIT_USAGE;
	}
	if (store_open(&st, db, STORE_READONLY)) {
		plan_release(&p);
		return KFLAKE_EXIT_FAIL;
	}
	ret = workq_print(&st, p.name, json, 200) ? KFLAKE_EXIT_FAIL : 0;
	store_close(&st);
	plan_release(&p);
	return ret;
}

int cmd_ci(int argc, char **argv)
{
	const char *plan_path = NULL;
	struct strbuf err = STRBUF_INIT;
	struct ci c;
	int opt, once = 0, want_status = 0, ret = 0;

	memset(&c, 0, sizeof(c));
	c.progress = PROGRESS_AUTO;
	c.lock_fd = -1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "qh", ci_options, NULL)) != -1) {
		switch (opt) {
		case OPT_PLAN:
			plan_path = optarg;
			break;
		case OPT_ONCE:
			once = 1;
			break;
		case OPT_STATUS:
			want_status = 1;
			break;
		case OPT_DB:
			c.db = optarg;
			break;
		case OPT_JSON:
			c.progress = PROGRESS_JSON;
			break;
		case 'q':
			c.progress = PROGRESS_QUIET;
			break;
		case 'h':
			fputs(ci_usage, stdout);
			return 0;
		default:
			return util_usage_error("ci");
		}
	}
	if (optind < argc) {
		error("ci: unexpected argument '%s'", argv[optind]);
		return util_usage_error("ci");
	}
	if (want_status)
		return status(c.db, plan_path, c.progress == PROGRESS_JSON);
	if (!plan_path) {
		error("ci: --plan FILE is required");
		return util_usage_error("ci");
	}
	if (plan_load(plan_path, &c.plan, &err)) {
		error("%s", strbuf_str(&err));
		strbuf_release(&err);
		return KFLAKE_EXIT_USAGE;
	}
	progress_init(c.progress);
	c.argc = argc;
	c.argv = argv;
	if (store_open(&c.st, c.db, 0)) {
		plan_release(&c.plan);
		return KFLAKE_EXIT_FAIL;
	}
	if (take_lock(&c)) {
		ret = KFLAKE_EXIT_FAIL;
		goto out;
	}
	session_catch_signals();
	/* A missing tool fails here, not after a poll and a build. */
	if (doctor_preflight_for(c.plan.ntrees ? c.plan.trees[0].tree
					       : c.plan.pw_tree, c.db,
				 c.plan.executor)) {
		ret = KFLAKE_EXIT_FAIL;
		goto out;
	}
	for (;;) {
		ret = pass(&c);
		if (once || session_interrupted)
			break;
		nap(c.plan.interval);
		if (session_interrupted) {
			ret = 0;
			break;
		}
	}
out:
	if (c.lock_fd >= 0)
		close(c.lock_fd);
	store_close(&c.st);
	plan_release(&c.plan);
	return ret;
}
