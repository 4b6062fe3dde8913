/*
 * web_api.c - the JSON endpoints (see web_api.h). Each is a loader of
 * the read model and its encoder; a nested list is paged and flagged
 * like a top-level one, never cut short silently.
 */
#include <stdlib.h>
#include <string.h>

#include "bisectlog.h"
#include "crashwatch.h"
#include "series.h"
#include "seriesrun.h"
#include "snapshot.h"
#include "utf8.h"
#include "util.h"
#include "web_api.h"

#define NESTED_MAX 1000

static json_t *runs_json(const struct record_run_info *v, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, record_run_json(&v[i]));
	return a;
}

int web_api_running(struct web_req *r)
{
	struct record_run_info *v;
	int n = record_run_running(r->st, 50, &v);

	if (n < 0)
		return web_error(r, 500, "query failed");
	web_send_json(r, web_list_json(runs_json(v, n), 1, 50, 0));
	record_run_list_release(v, n);
	return 0;
}

int web_api_runs(struct web_req *r)
{
	struct record_run_info *v;
	struct web_filter wf;
	int n, more;

	if (web_filter_parse(r, &wf, 50))
		return -1;
	n = record_run_list(r->st, &wf.f, &v, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	web_send_json(r, web_list_json(runs_json(v, n), wf.f.page, wf.f.limit,
				       more));
	record_run_list_release(v, n);
	return 0;
}

static json_t *tallies_json(const struct record_tally *t, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, record_tally_json(&t[i]));
	return a;
}

static json_t *boots_json(struct web_req *r)
{
	struct record_boot_info *b;
	json_t *a = json_array();
	int i, more, n = record_boot_list(r->st, r->id, NESTED_MAX, &b, &more);

	for (i = 0; i < n; i++)
		json_array_append_new(a, record_boot_json(&b[i]));
	if (n > 0)
		record_boot_list_release(b, n);
	return web_list_json(a, 1, NESTED_MAX, more);
}

static json_t *iterations_json(struct web_req *r, const struct record_filter *f)
{
	struct record_iteration_info *v;
	json_t *a = json_array();
	int i, more, n = record_iteration_list(r->st, f, &v, &more);

	for (i = 0; i < n; i++)
		json_array_append_new(a, record_iteration_json(&v[i]));
	if (n > 0)
		record_iteration_list_release(v, n);
	return web_list_json(a, f->page, f->limit, more);
}

int web_api_run(struct web_req *r)
{
	struct record_run_info run;
	struct record_tally *t;
	struct web_filter wf;
	json_t *o;
	int n, found;

	if (web_filter_parse(r, &wf, 200))
		return -1;
	found = record_run_load(r->st, r->id, &run);
	if (found)
		return found > 0 ? web_error(r, 404, "no run %lld", r->id)
				 : web_error(r, 500, "query failed");
	o = record_run_json(&run);
	record_run_info_release(&run);
	n = record_tally(r->st, r->id, NULL, &t);
	json_object_set_new(o, "results", tallies_json(t, n));
	if (n > 0)
		record_tally_release(t, n);
	json_object_set_new(o, "boots", boots_json(r));
	wf.f.run_id = r->id;
	json_object_set_new(o, "iterations", iterations_json(r, &wf.f));
	return web_send_json(r, o);
}

static json_t *subresults_json(struct web_req *r)
{
	struct record_subresult_info *v;
	json_t *a = json_array();
	int i, more, n = record_subresult_list(r->st, r->id, NESTED_MAX, &v,
					       &more);

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}",
			"name", utf8_json_str(v[i].name),
			"outcome", utf8_json_str(v[i].outcome),
			"detail", utf8_json_str(v[i].detail)));
	if (n > 0)
		record_subresult_list_release(v, n);
	return web_list_json(a, 1, NESTED_MAX, more);
}

static json_t *metrics_json(struct web_req *r)
{
	struct record_metric_info *v;
	json_t *a = json_array();
	int i, more, n = record_metric_list(r->st, r->id, NESTED_MAX, &v,
					    &more);

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:f, s:o}",
			"subcase", utf8_json_str(v[i].subcase),
			"name", utf8_json_str(v[i].name), "value", v[i].value,
			"unit", utf8_json_str(v[i].unit)));
	if (n > 0)
		record_metric_list_release(v, n);
	return web_list_json(a, 1, NESTED_MAX, more);
}

static json_t *snapshots_json(struct web_req *r)
{
	struct snapshot_info *v;
	json_t *a = json_array();
	int i, more, n = snapshot_list(r->st, 0, r->id, 100, &v, &more);

	for (i = 0; i < n; i++)
		json_array_append_new(a, snapshot_json(&v[i]));
	if (n > 0)
		snapshot_list_release(v, n);
	return web_list_json(a, 1, 100, more);
}

/* The iteration's test scored in its run, for the reproduce command. */
static char *iteration_reproduce(struct web_req *r,
				 const struct record_iteration_info *it)
{
	struct record_run_info run;
	struct record_tally *t;
	const struct score *s = NULL;
	char *cmd;
	int i, n;

	if (record_run_load(r->st, it->run_id, &run))
		return NULL;
	n = record_tally(r->st, it->run_id, NULL, &t);
	for (i = 0; i < n && !s; i++)
		if (!strcmp(t[i].test, it->test) &&
		    !strcmp(t[i].key.suite, it->suite))
			s = &t[i].score;
	cmd = record_reproduce(&run, it->suite, it->test, s);
	if (n > 0)
		record_tally_release(t, n);
	record_run_info_release(&run);
	return cmd;
}

int web_api_iteration(struct web_req *r)
{
	struct record_iteration_info it;
	char *repro;
	json_t *o;
	int found = record_iteration_load(r->st, r->id, &it);

	if (found)
		return found > 0 ? web_error(r, 404, "no iteration %lld", r->id)
				 : web_error(r, 500, "query failed");
	o = record_iteration_json(&it);
	repro = iteration_reproduce(r, &it);
	json_object_set_new(o, "reproduce", utf8_json_str(repro));
	free(repro);
	record_iteration_info_release(&it);
	json_object_set_new(o, "subresults", subresults_json(r));
	json_object_set_new(o, "metrics", metrics_json(r));
	json_object_set_new(o, "snapshots", snapshots_json(r));
	return web_send_json(r, o);
}

/* Tally rows with their sub-cases nested (one read for all of them). */
static json_t *tallies_with_subcases(struct web_req *r,
				     const struct record_tally *t, int n,
				     int with_subcases)
{
	struct record_subtally *sub = NULL;
	json_t *a = json_array();
	int i, j, nsub = 0;

	if (with_subcases)
		nsub = record_subtally_of(r->st, t, n, &sub);
	if (nsub < 0)
		nsub = 0;
	for (i = 0; i < n; i++) {
		json_t *o = record_tally_json(&t[i]), *subs = json_array();

		for (j = 0; j < nsub; j++)
			if (pool_key_same(&sub[j].key, &t[i].key, POOL_KERNEL))
				json_array_append_new(subs,
					record_subtally_json(&sub[j]));
		json_object_set_new(o, "subcases", subs);
		json_array_append_new(a, o);
	}
	record_subtally_release(sub, nsub);
	return a;
}

int web_api_tests(struct web_req *r)
{
	struct record_tally *t;
	struct web_filter wf;
	int n, more;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	n = record_tally_list(r->st, &wf.f, web_filter_sort(&wf),
			      RECORD_TALLY_RECENT, &t, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	web_send_json(r, web_list_json(tallies_with_subcases(r, t, n,
					!wf.f.since && !wf.f.until),
				       wf.f.page, wf.f.limit, more));
	record_tally_release(t, n);
	return 0;
}

/* Lines (a test across kernels) of test, or those that changed. */
static json_t *lines_json(struct web_req *r, const char *test,
			  int changed_only)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_line *v;
	json_t *a = json_array();
	int i, n;

	f.test_exact = test;
	n = record_lines(r->st, &f, &v);
	for (i = 0; i < n; i++)
		if (!changed_only || v[i].change != RECORD_CHANGE_NONE)
			json_array_append_new(a, record_line_json(&v[i]));
	if (n > 0)
		record_lines_release(v, n);
	return a;
}

/* What the overview's "since the previous kernel" shows. */
int web_api_changes(struct web_req *r)
{
	json_t *a = lines_json(r, NULL, 1);

	return web_send_json(r, web_list_json(a, 1, (long)json_array_size(a),
					      0));
}

int web_api_test(struct web_req *r)
{
	struct record_filter all = RECORD_FILTER_INIT;
	struct record_tally *t;
	struct web_filter wf;
	json_t *o;
	int n;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	all.test_exact = r->name;
	n = record_tally_list(r->st, &all, RECORD_SORT_NAME,
			      RECORD_TALLY_RECENT, &t, NULL);
	if (n < 0)
		return web_error(r, 500, "query failed");
	/* Only a test that never ran is missing; a filter may match none. */
	if (!n)
		return web_error(r, 404, "no iterations of test '%.*s'", 200,
				 r->name);
	o = json_pack("{s:o, s:o, s:o}", "test", utf8_json_str(r->name),
		      "kernels", tallies_with_subcases(r, t, n, 1),
		      "lines", lines_json(r, r->name, 0));
	record_tally_release(t, n);
	wf.f.test_exact = r->name;
	json_object_set_new(o, "iterations", iterations_json(r, &wf.f));
	return web_send_json(r, o);
}

int web_api_crashes(struct web_req *r)
{
	struct crash_info *v;
	struct web_filter wf;
	json_t *a;
	int i, n, more;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	n = crashwatch_list(r->st, wf.f.page, wf.f.limit, &v, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, crashwatch_json(&v[i]));
	crashwatch_list_release(v, n);
	return web_send_json(r, web_list_json(a, wf.f.page, wf.f.limit, more));
}

int web_api_crash(struct web_req *r)
{
	struct crash_hit_info *h;
	struct crash_info c;
	struct web_filter wf;
	json_t *o, *a;
	int i, n, more, found;

	if (web_filter_parse(r, &wf, 500))
		return -1;
	found = crashwatch_load(r->st, r->id, &c);
	if (found)
		return found > 0 ? web_error(r, 404, "no crash %lld", r->id)
				 : web_error(r, 500, "query failed");
	o = crashwatch_json(&c);
	crashwatch_info_release(&c);
	n = crashwatch_hits(r->st, r->id, wf.f.page, wf.f.limit, &h, &more);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, crashwatch_hit_json(&h[i]));
	if (n > 0)
		crashwatch_hits_release(h, n);
	json_object_set_new(o, "hits", web_list_json(a, wf.f.page, wf.f.limit,
						     more));
	return web_send_json(r, o);
}

int web_api_series_list(struct web_req *r)
{
	struct series_info *v;
	struct web_filter wf;
	json_t *a;
	int i, n, more;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	n = series_list(r->st, wf.f.page, wf.f.limit, &v, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, series_info_json(&v[i]));
	series_list_release(v, n);
	return web_send_json(r, web_list_json(a, wf.f.page, wf.f.limit, more));
}

static json_t *verdicts_json(struct web_req *r)
{
	struct seriesrun_verdict *v;
	json_t *a = json_array();
	int i, n = seriesrun_verdicts(r->st, r->id, &v);

	for (i = 0; i < n; i++)
		json_array_append_new(a, seriesrun_verdict_json(&v[i]));
	if (n > 0)
		seriesrun_verdicts_release(v, n);
	return web_list_json(a, 1, n > 0 ? n : 0, 0);
}

int web_api_series(struct web_req *r)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct series_patch_info *p;
	struct record_run_info *v;
	struct series_info s;
	json_t *o, *a;
	int i, n, more, found = series_load(r->st, r->id, &s);

	if (found)
		return found > 0 ? web_error(r, 404, "no series %lld", r->id)
				 : web_error(r, 500, "query failed");
	o = series_info_json(&s);
	series_info_release(&s);
	n = series_patches(r->st, r->id, NESTED_MAX, &p, &more);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, series_patch_json(&p[i]));
	if (n > 0)
		series_patches_release(p, n);
	json_object_set_new(o, "patches", web_list_json(a, 1, NESTED_MAX,
							more));
	f.series_id = r->id;
	f.limit = 200;
	n = record_run_list(r->st, &f, &v, &more);
	json_object_set_new(o, "runs", web_list_json(runs_json(v, n), 1, 200,
						     more));
	if (n > 0)
		record_run_list_release(v, n);
	json_object_set_new(o, "verdicts", verdicts_json(r));
	return web_send_json(r, o);
}

int web_api_bisects(struct web_req *r)
{
	struct bisectlog_info *v;
	struct web_filter wf;
	json_t *a;
	int i, n, more;

	if (web_filter_parse(r, &wf, 100))
		return -1;
	n = bisectlog_list(r->st, wf.f.page, wf.f.limit, &v, &more);
	if (n < 0)
		return web_error(r, 500, "query failed");
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, bisectlog_json(&v[i]));
	bisectlog_list_release(v, n);
	return web_send_json(r, web_list_json(a, wf.f.page, wf.f.limit, more));
}

int web_api_bisect(struct web_req *r)
{
	struct bisectlog_info b;
	struct bisectlog_step *s;
	json_t *o, *a;
	int i, n, found = bisectlog_load(r->st, r->id, &b);

	if (found)
		return found > 0 ? web_error(r, 404, "no bisect %lld", r->id)
				 : web_error(r, 500, "query failed");
	o = bisectlog_json(&b);
	bisectlog_info_release(&b);
	n = bisectlog_steps(r->st, r->id, &s);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, bisectlog_step_json(&s[i]));
	if (n > 0)
		bisectlog_steps_release(s, n);
	json_object_set_new(o, "step_list", web_list_json(a, 1, n > 0 ? n : 0,
							  0));
	return web_send_json(r, o);
}

