/*
 * nipa.c - reads NIPA contest results and stores them as imported runs
 * (see nipa.h). Owns the imports table. The format is NIPA's
 * (contest/remote/vmksft-p.py writes a run, contest/results-collector.py
 * combines them): a run is {executor, branch, start, end, results,
 * [remote], [link]}; each result {test, group, result, [link], [time],
 * [retry], [crashes], [results: [{test, result, [retry], [time]}]]}.
 * The input is a stranger's: every field is type-checked first, and one
 * bad field rejects the whole input with a line that names it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fetch.h"
#include "nipa.h"
#include "record.h"
#include "util.h"

#define NIPA_MAX_FILE ((size_t)64 << 20)
#define NIPA_MAX_MANIFEST 2000	/* result files one manifest may name */

/* The parsed input: borrowed from the JSON documents kept in docs. */
struct nrun {
	const char *where;	/* for messages: "FILE: run 3" */
	const char *remote, *executor, *branch, *start, *end, *link;
	json_t *results;	/* array, or NULL while NIPA still runs it */
	char *label;
};

struct nipa_input {
	const char *src;
	json_t **docs;
	size_t ndocs, docs_alloc;
	struct nrun *runs;
	size_t nruns, runs_alloc;
};

static const char *opt_str(json_t *o, const char *key, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

static int result_ok(const char *r)
{
	return r && (!strcasecmp(r, "pass") || !strcasecmp(r, "fail") ||
		     !strcasecmp(r, "skip"));
}

/* Check one entry of a run's results; where names it in messages. */
static int check_result(json_t *t, const char *where, size_t i)
{
	json_t *v, *c;
	size_t j;
	int bad = 0;
	const char *test = opt_str(t, "test", &bad);
	const char *res = opt_str(t, "result", &bad);
	const char *retry = opt_str(t, "retry", &bad);

	if (!json_is_object(t))
		return error("%s: results[%zu]: not an object", where, i);
	if (!test || !*test || bad)
		return error("%s: results[%zu]: no test name", where, i);
	if (!opt_str(t, "group", &bad) || bad)
		return error("%s: results[%zu] (%.80s): no group", where, i,
			     test);
	if (!result_ok(res))
		return error("%s: results[%zu] (%.80s): result must be pass, "
			     "fail or skip", where, i, test);
	if (retry && !result_ok(retry))
		return error("%s: results[%zu] (%.80s): retry must be pass, "
			     "fail or skip", where, i, test);
	opt_str(t, "link", &bad);
	v = json_object_get(t, "time");
	if (bad || (v && !json_is_null(v) && !json_is_number(v)))
		return error("%s: results[%zu] (%.80s): bad link or time",
			     where, i, test);
	c = json_object_get(t, "crashes");
	if (c && !json_is_null(c) && !json_is_array(c))
		return error("%s: results[%zu] (%.80s): crashes must be a list",
			     where, i, test);
	v = json_object_get(t, "results");
	if (v && !json_is_null(v) && !json_is_array(v))
		return error("%s: results[%zu] (%.80s): results must be a list",
			     where, i, test);
	json_array_foreach(v, j, c) {
		const char *n = opt_str(c, "test", &bad);

		if (!json_is_object(c) || !n || !*n || bad ||
		    !result_ok(opt_str(c, "result", &bad)) ||
		    (opt_str(c, "retry", &bad) &&
		     !result_ok(opt_str(c, "retry", &bad))) || bad)
			return error("%s: results[%zu] (%.80s): sub-result %zu: "
				     "needs a test name and a result of pass, "
				     "fail or skip", where, i, test, j);
	}
	return 0;
}

static int add_run(struct nipa_input *in, json_t *o, const char *where)
{
	struct nrun r = { 0 };
	json_t *res = json_object_get(o, "results");
	size_t i;
	int bad = 0;

	r.label = xstrdup(where);
	r.where = r.label;
	r.remote = opt_str(o, "remote", &bad);
	r.executor = opt_str(o, "executor", &bad);
	r.branch = opt_str(o, "branch", &bad);
	r.start = opt_str(o, "start", &bad);
	r.end = opt_str(o, "end", &bad);
	r.link = opt_str(o, "link", &bad);
	if (bad || !r.executor || !*r.executor || !r.branch || !*r.branch) {
		error("%s: a run needs executor and branch (strings)", where);
		goto fail;
	}
	if (res && !json_is_null(res) && !json_is_array(res)) {
		error("%s: results must be a list (or null)", where);
		goto fail;
	}
	r.results = json_is_array(res) ? res : NULL;
	json_array_foreach(r.results, i, res)
		if (check_result(res, where, i))
			goto fail;
	ALLOC_GROW(in->runs, in->nruns, in->runs_alloc);
	in->runs[in->nruns++] = r;
	return 0;
fail:
	free(r.label);
	return -1;
}

static int load_text(const char *src, struct strbuf *sb)
{
	struct fetch_response r = FETCH_RESPONSE_INIT;
	struct strbuf err = STRBUF_INIT;
	int ret = 0;

	if (!fetch_is_url(src)) {
		if (util_read_file(src, sb, NIPA_MAX_FILE))
			return error("%s: cannot read (missing, unreadable, or "
				     "over 64 MiB)", src);
		return 0;
	}
	if (fetch_get(src, NULL, &r, &err)) {
		ret = error("%s", strbuf_str(&err));
	} else {
		strbuf_add(sb, r.body.buf, r.body.len);
	}
	fetch_response_release(&r);
	strbuf_release(&err);
	return ret;
}

static json_t *load_json(struct nipa_input *in, const char *src)
{
	struct strbuf sb = STRBUF_INIT;
	json_error_t je;
	json_t *doc;

	if (load_text(src, &sb)) {
		strbuf_release(&sb);
		return NULL;
	}
	doc = json_loadb(sb.buf ? sb.buf : "", sb.len, JSON_REJECT_DUPLICATES,
			 &je);
	strbuf_release(&sb);
	if (!doc) {
		error("%s: not JSON: line %d: %s", src, je.line, je.text);
		return NULL;
	}
	ALLOC_GROW(in->docs, in->ndocs, in->docs_alloc);
	in->docs[in->ndocs++] = doc;
	return doc;
}

/*
 * Where a manifest's result file is: an http(s) URL as it is; a
 * relative name next to the manifest (its directory, or its URL's).
 * Names that climb out (..) or are absolute paths are refused.
 */
static char *resolve(const char *manifest, const char *url)
{
	const char *slash = strrchr(manifest, '/');
	const char *p;

	if (fetch_is_url(url))
		return xstrdup(url);
	if (!*url || *url == '/' || strstr(url, ".."))
		return NULL;
	for (p = url; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-/", *p))
			return NULL;
	if (!slash)
		return xstrdup(url);
	return xasprintf("%.*s/%s", (int)(slash - manifest), manifest, url);
}

static int add_manifest(struct nipa_input *in, json_t *arr)
{
	size_t i;
	json_t *e;

	if (json_array_size(arr) > NIPA_MAX_MANIFEST)
		return error("%s: more than %d result files in one manifest",
			     in->src, NIPA_MAX_MANIFEST);
	json_array_foreach(arr, i, e) {
		int bad = 0;
		const char *url = opt_str(e, "url", &bad);
		char *path, *where;
		json_t *doc;

		if (bad || !opt_str(e, "branch", &bad) ||
		    !opt_str(e, "executor", &bad) || bad)
			return error("%s: entry %zu: a manifest entry needs url, "
				     "branch and executor", in->src, i);
		if (!url) {
			/* NIPA is still running it: a run with no results. */
			where = xasprintf("%s: entry %zu", in->src, i);
			bad = add_run(in, e, where);
			free(where);
			if (bad)
				return -1;
			continue;
		}
		path = resolve(in->src, url);
		if (!path)
			return error("%s: entry %zu: url %.200s: not an http(s) "
				     "URL or a plain relative name", in->src, i,
				     url);
		doc = load_json(in, path);
		where = xasprintf("%s", path);
		bad = !doc || !json_is_object(doc) ? -1 : add_run(in, doc, where);
		if (doc && !json_is_object(doc))
			error("%s: not a NIPA run (an object)", path);
		free(where);
		free(path);
		if (bad)
			return -1;
	}
	return 0;
}

static int parse_input(struct nipa_input *in, const char *src)
{
	json_t *doc = load_json(in, src), *e;
	size_t i;

	if (!doc)
		return -1;
	if (json_is_object(doc))
		return add_run(in, doc, src);
	if (!json_is_array(doc))
		return error("%s: not a NIPA results file (an object or a "
			     "list)", src);
	e = json_array_get(doc, 0);
	/* A manifest lists {url, branch, executor} without results. */
	if (e && json_is_object(e) && json_object_get(e, "url") &&
	    !json_object_get(e, "results"))
		return add_manifest(in, doc);
	json_array_foreach(doc, i, e) {
		char *where = xasprintf("%s: run %zu", src, i);
		int bad = !json_is_object(e) ?
			  error("%s: not an object", where) :
			  add_run(in, e, where);

		free(where);
		if (bad)
			return -1;
	}
	return 0;
}

static void input_release(struct nipa_input *in)
{
	size_t i;

	for (i = 0; i < in->nruns; i++)
		free(in->runs[i].label);
	free(in->runs);
	for (i = 0; i < in->ndocs; i++)
		json_decref(in->docs[i]);
	free(in->docs);
}

/* ---- writing ---- */

void nipa_branch_split(const char *branch, char **stream, char **date)
{
	static const char shape[] = "-dddd-dd-dd--dd-dd";
	size_t n = strlen(branch), k = sizeof(shape) - 1, i;
	const char *d = branch + n - k;

	*date = NULL;
	if (n > k) {
		for (i = 0; i < k; i++)
			if (shape[i] == 'd' ? !isdigit((unsigned char)d[i])
					    : d[i] != shape[i])
				break;
		if (i == k) {
			*stream = xstrndup(branch, n - k);
			*date = xasprintf("%.10sT%.2s:%.2s:00Z", d + 1, d + 13,
					  d + 16);
			return;
		}
	}
	*stream = xstrdup(branch);
}

/* NIPA's "2025-06-20 00:30:12.1+00:00" as "2025-06-20T00:30:12Z". */
static char *iso(const char *s)
{
	static const char shape[] = "dddd-dd-dd?dd:dd:dd";
	size_t i;

	if (!s || strlen(s) < sizeof(shape) - 1)
		return NULL;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    shape[i] == '?' ? (s[i] != ' ' && s[i] != 'T') :
		    s[i] != shape[i])
			return NULL;
	return xasprintf("%.10sT%.8sZ", s, s + 11);
}

static double epoch(const char *iso8601)
{
	struct tm tm = { 0 };

	if (!iso8601 || !strptime(iso8601, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return util_wallclock();
	return (double)timegm(&tm);
}

static enum record_outcome outcome_of(const char *r)
{
	if (!strcasecmp(r, "pass"))
		return OUTCOME_PASS;
	if (!strcasecmp(r, "skip"))
		return OUTCOME_SKIP;
	return OUTCOME_FAIL;
}

static char *crash_text(json_t *crashes)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *c;

	json_array_foreach(crashes, i, c) {
		char *s = json_is_string(c) ? xstrdup(json_string_value(c)) :
			  json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY);

		strbuf_addf(&sb, "%s%s", sb.len ? "; " : "", s ? s : "?");
		free(s);
	}
	return strbuf_detach(&sb);
}

static int store_subs(struct store *st, long long iter, json_t *subs,
		      int retry, struct nipa_result *res)
{
	size_t i;
	json_t *c;

	json_array_foreach(subs, i, c) {
		int bad = 0;
		const char *name = opt_str(c, "test", &bad);
		const char *r = opt_str(c, retry ? "retry" : "result", &bad);
		json_t *t = json_object_get(c, "time");
		char *detail;
		int ret;

		if (!r)
			continue;
		detail = json_is_number(t) ?
			 xasprintf("%.0f s", json_number_value(t)) : NULL;
		ret = record_subresult_add(st, iter, name,
			record_outcome_name(outcome_of(r)), detail);
		free(detail);
		if (ret)
			return -1;
		res->subresults++;
	}
	return 0;
}

static int store_test(struct store *st, long long run, json_t *t,
		      double start, double end,
		      struct nipa_result *res)
{
	int bad = 0, attempt;
	const char *test = opt_str(t, "test", &bad);
	const char *group = opt_str(t, "group", &bad);
	const char *link = opt_str(t, "link", &bad);
	const char *retry = opt_str(t, "retry", &bad);
	json_t *crashes = json_object_get(t, "crashes");
	json_t *time = json_object_get(t, "time");
	char *crash = json_array_size(crashes) ? crash_text(crashes) : NULL;
	char *output = link ? xasprintf("NIPA log: %s\n", link) : NULL;
	int ret = 0;

	for (attempt = 0; attempt < (retry ? 2 : 1) && !ret; attempt++) {
		const char *rs = attempt ? retry : opt_str(t, "result", &bad);
		char *reason;
		struct record_iteration it = {
			.run_id = run, .test = test,
			.suite = !strncmp(group, "selftests-", 10) && group[10] ?
				 group + 10 : group,
			.seq = 1, .outcome = outcome_of(rs), .rc = -1,
			.duration = json_is_number(time) && !attempt ?
				    json_number_value(time) : 0,
			.guest_duration = -1, .max_silence = -1,
			.output = output, .started_at = start,
			.finished_at = end, .retry = attempt,
		};
		long long id;

		if (crash && !attempt) {
			it.outcome = OUTCOME_CRASH;
			reason = xasprintf("nipa: %s with a kernel crash: %.400s",
					   rs, crash);
		} else {
			reason = xasprintf("nipa: %s%s", rs, attempt ?
					   " (retry after a failure)" : "");
		}
		it.reason = reason;
		id = record_iteration_add(st, &it);
		free(reason);
		if (id < 0 || store_subs(st, id, json_object_get(t, "results"),
					 attempt, res))
			ret = -1;
		if (attempt)
			res->retries++;
		else
			res->iterations++;
	}
	free(crash);
	free(output);
	return ret;
}

static void note_stream(struct nipa_result *res, const char *stream)
{
	int i;

	for (i = 0; i < res->nstreams; i++)
		if (!strcmp(res->streams[i], stream))
			return;
	res->streams = xrealloc(res->streams, (size_t)(res->nstreams + 1) *
				sizeof(*res->streams));
	res->streams[res->nstreams++] = xstrdup(stream);
}

static int store_run(struct store *st, const char *src, const struct nrun *r,
		     struct nipa_result *res)
{
	const char *remote = r->remote ? r->remote : "";
	char *stream, *date, *start = iso(r->start), *end = iso(r->end);
	const char *argv[] = { "kflake", "import", "--nipa", src };
	char *argv_json = record_json_strings(argv, 4), now[32];
	struct strbuf tests = STRBUF_INIT;
	char *executor = xasprintf("nipa:%s%s%s", remote, *remote ? "/" : "",
				   r->executor);
	struct record_run rr = { .kind = "import", .ref = r->branch,
				 .iterations = 1, .argv_json = argv_json,
				 .executor = executor };
	long long run;
	size_t i;
	json_t *t;
	int ret = -1;

	nipa_branch_split(r->branch, &stream, &date);
	if (store_query_int(st, 0, "SELECT count(*) FROM imports WHERE source "
			    "= 'nipa' AND remote = :remote AND executor = "
			    ":executor AND branch = :branch", ":remote s "
			    ":executor s :branch s", remote, r->executor,
			    r->branch)) {
		res->known++;
		ret = 0;
		goto out;
	}
	{
		json_t *names = json_array();
		char *s;

		json_array_foreach(r->results, i, t)
			json_array_append_new(names, json_string(
				json_string_value(json_object_get(t, "test"))));
		s = json_dumps(names, JSON_COMPACT);
		strbuf_addstr(&tests, s);
		free(s);
		json_decref(names);
	}
	rr.tests_json = tests.buf;
	run = record_run_create(st, &rr);
	if (run < 0 || record_run_finish(st, run, "done", NULL))
		goto out;
	if (!start)
		start = xstrdup(date ? date : util_iso8601(util_wallclock(), now));
	if (!end)
		end = xstrdup(start);
	if (record_run_set(st, run, "started_at", start) ||
	    record_run_set(st, run, "finished_at", end))
		goto out;
	json_array_foreach(r->results, i, t)
		if (store_test(st, run, t, epoch(start), epoch(end), res))
			goto out;
	if (store_exec(st, "INSERT INTO imports(source, origin, remote, "
		       "executor, branch, stream, branch_date, link, run_id, "
		       "imported_at) VALUES ('nipa', :origin, :remote, "
		       ":executor, :branch, :stream, :date, :link, :run, :now)",
		       ":origin s :remote s :executor s :branch s :stream s "
		       ":date s :link s :run I :now s", src, remote,
		       r->executor, r->branch, stream, date ? date : start,
		       r->link, run, util_iso8601(util_wallclock(), now)))
		goto out;
	res->runs++;
	note_stream(res, stream);
	ret = 0;
out:
	strbuf_release(&tests);
	free(argv_json);
	free(executor);
	free(stream);
	free(date);
	free(start);
	free(end);
	return ret;
}

int nipa_import(struct store *st, const char *src, struct nipa_result *res)
{
	struct nipa_input in = { .src = src };
	size_t i;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (parse_input(&in, src))
		goto out;
	if (store_begin(st))
		goto out;
	for (i = 0; i < in.nruns; i++) {
		if (!in.runs[i].results) {
			res->pending++;
			continue;
		}
		if (store_run(st, src, &in.runs[i], res)) {
			store_rollback(st);
			error("%s: nothing imported", src);
			goto out;
		}
	}
	ret = store_commit(st);
out:
	input_release(&in);
	return ret;
}

void nipa_result_release(struct nipa_result *res)
{
	int i;

	for (i = 0; i < res->nstreams; i++)
		free(res->streams[i]);
	free(res->streams);
	memset(res, 0, sizeof(*res));
}
