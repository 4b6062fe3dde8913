/*
 * export.c - writes runs as JUnit XML (Surefire 3.0's report schema) and
 * KCIDB v5.3 JSON (see export.h). Everything a test printed is a
 * stranger's text: it is cleaned to valid UTF-8, stripped of characters
 * XML cannot carry, and escaped, so the files always parse.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "export.h"
#include "record.h"
#include "score.h"
#include "snapshot.h"
#include "utf8.h"
#include "util.h"

/* ---- text cleaning ---- */

/*
 * XML 1.0 carries tab, newline, CR and every character from U+0020 but
 * U+FFFE and U+FFFF: the sequence at s, len bytes of valid UTF-8.
 */
static int xml_char_ok(const unsigned char *s, size_t len)
{
	if (len == 1)
		return s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' ||
		       s[0] == '\r';
	return !(len == 3 && s[0] == 0xef && s[1] == 0xbf &&
		 (s[2] == 0xbe || s[2] == 0xbf));
}

/*
 * s as valid UTF-8 (bad bytes and characters XML cannot hold become
 * U+FFFD), keeping only its last max_chars characters (0: all).
 */
static char *clean(const char *s, size_t max_chars)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = s ? strlen(s) : 0, i = 0, chars = 0, skip;
	const char *p;

	while (i < n) {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t len = utf8_seq_len(u, n - i);

		if (!len || !xml_char_ok(u, len)) {
			strbuf_addstr(&sb, UTF8_REPLACEMENT);
			i += len ? len : 1;
		} else {
			strbuf_add(&sb, s + i, len);
			i += len;
		}
		chars++;
	}
	if (!max_chars || chars <= max_chars)
		return strbuf_detach(&sb);
	/* Keep the tail: a log's end says why it ended. */
	skip = chars - max_chars;
	for (p = strbuf_str(&sb); skip; p++)
		if (((unsigned char)p[1] & 0xc0) != 0x80)
			skip--;
	p = xstrdup(p);
	strbuf_release(&sb);
	return (char *)p;
}

static void xml_text(struct strbuf *out, const char *s, int attr)
{
	char *c = clean(s, 0), *p;

	for (p = c; *p; p++) {
		switch (*p) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, attr ? "&quot;" : "\""); break;
		case '\n': strbuf_addstr(out, attr ? "&#10;" : "\n"); break;
		case '\r': strbuf_addstr(out, "&#13;"); break;
		case '\t': strbuf_addstr(out, attr ? "&#9;" : "\t"); break;
		default: strbuf_addch(out, *p);
		}
	}
	free(c);
}

/* A printf'd attribute value, escaped. */
static void xml_attr(struct strbuf *out, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void xml_attr(struct strbuf *out, const char *name, const char *fmt, ...)
{
	struct strbuf v = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&v, fmt, ap);
	va_end(ap);
	strbuf_addf(out, " %s=\"", name);
	xml_text(out, strbuf_str(&v), 1);
	strbuf_addch(out, '"');
	strbuf_release(&v);
}

/* ---- selection ---- */

int export_since_valid(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(s), i;

	if (n && s[n - 1] == 'Z')
		n--;
	if (n != 10 && n != 16 && n != 19)
		return -1;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i])
				    : s[i] != shape[i])
			return -1;
	return 0;
}

static int select_runs_quiet(struct store *st, const struct export_sel *sel,
			     long long **out, int quiet)
{
	long long *v = NULL;
	size_t n = 0;

	*out = NULL;
	if (sel->since && export_since_valid(sel->since))
		return error("--since %s: expected a date (YYYY-MM-DD, or "
			     "YYYY-MM-DDTHH:MM[:SS], UTC)", sel->since);
	if (sel->run > 0) {
		if (record_run_exists(st, sel->run) > 0) {
			v = xmalloc(sizeof(*v));
			v[n++] = sel->run;
		}
	} else {
		int got = record_runs_with_iterations(st, sel->since, &v);

		if (got < 0)
			return -1;
		n = (size_t)got;
	}
	if (!n && quiet)
		return 0;
	if (!n) {
		if (sel->run > 0)
			error("no run %lld", sel->run);
		else if (sel->since)
			error("no run with iterations since %s", sel->since);
		else
			error("no run with iterations to export");
		return -1;
	}
	*out = v;
	return (int)n;
}

static int select_runs(struct store *st, const struct export_sel *sel,
		       long long **out)
{
	return select_runs_quiet(st, sel, out, 0);
}

int export_count_runs(struct store *st, const struct export_sel *sel)
{
	long long *ids;
	int n = select_runs_quiet(st, sel, &ids, 1);

	if (n > 0)
		free(ids);
	return n;
}

/* ---- iterations, grouped per test ---- */

struct iter {
	long long id;
	int seq;
	int outcome;
	int rc, has_rc;
	int retry;
	char *reason, *output, *console, *started, *finished;
	char *stall_class;	/* a stall's snapshot class, or NULL */
	double duration;
};

struct group {
	char *test, *suite;
	struct iter *it;
	size_t n, alloc;
	long counts[OUTCOME_NR];	/* first attempts: the rates */
	long all[OUTCOME_NR];		/* retries too: the JUnit element */
	double time;
};

struct run_info {
	long long id;
	char *commit, *ref, *tree, *kind, *accel, *started, *finished;
	char *key, *compiler, *kstate, *kerror, *kcreated, *config_hash;
	char *image_sha1, *fragments;
	double build_seconds;
	long long kernel_id, series_id;
	struct group *g;
	size_t ng, galloc;
};

static char *dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Suite, test, k, then id: the order the groups are written in. */
static int iter_cmp(const void *pa, const void *pb)
{
	const struct record_iteration_info *x = pa, *y = pb;
	int c;

	if ((c = strcmp(x->suite, y->suite)) || (c = strcmp(x->test, y->test)))
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void add_iteration(struct run_info *r,
			  const struct record_iteration_info *src)
{
	struct group *g = r->ng ? &r->g[r->ng - 1] : NULL;
	struct iter *it;

	if (!g || strcmp(g->test, src->test) || strcmp(g->suite, src->suite)) {
		ALLOC_GROW(r->g, r->ng, r->galloc);
		g = &r->g[r->ng++];
		memset(g, 0, sizeof(*g));
		g->test = xstrdup(src->test);
		g->suite = xstrdup(src->suite);
	}
	ALLOC_GROW(g->it, g->n, g->alloc);
	it = &g->it[g->n++];
	memset(it, 0, sizeof(*it));
	it->id = src->id;
	it->seq = src->seq;
	it->outcome = src->outcome;
	it->has_rc = src->has_rc;
	it->rc = src->rc;
	it->reason = dup(src->reason);
	it->duration = src->duration < 0 ? 0 : src->duration;
	it->output = dup(src->output);
	it->console = dup(src->console);
	it->started = dup(src->started_at);
	it->finished = dup(src->finished_at);
	it->retry = src->retry;
	if (!it->retry)
		g->counts[it->outcome]++;
	g->all[it->outcome]++;
	g->time += it->duration > 0 ? it->duration : 0;
}

/* Each stalled iteration's class, from its snapshot (snapshot.h). */
static int stall_classes(struct store *st, struct run_info *r, int niters)
{
	struct snapshot_info *s;
	int n = snapshot_list(st, r->id, 0, niters + 1, &s, NULL), i;
	size_t g, k;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		for (g = 0; g < r->ng && s[i].label; g++)
			for (k = 0; k < r->g[g].n; k++)
				if (r->g[g].it[k].id == s[i].iteration_id &&
				    !r->g[g].it[k].stall_class)
					r->g[g].it[k].stall_class =
						xstrdup(s[i].label);
	}
	if (n > 0)
		snapshot_list_release(s, n);
	return 0;
}

/* The run and its iterations, through the read model (record.h). */
static int load_run(struct store *st, long long id, struct run_info *r)
{
	struct record_filter f = RECORD_FILTER_INIT;
	struct record_iteration_info *v;
	struct record_run_info ri;
	int i, n;

	memset(r, 0, sizeof(*r));
	r->id = id;
	if (record_run_load(st, id, &ri))
		return -1;
	r->commit = dup(ri.commit_id);
	r->tree = dup(ri.tree);
	r->kind = dup(ri.kind);
	r->accel = dup(ri.accel);
	r->started = dup(ri.started_at);
	r->finished = dup(ri.finished_at);
	r->key = dup(ri.kernel_key);
	r->compiler = dup(ri.compiler);
	r->kstate = dup(ri.kernel_state);
	r->kerror = dup(ri.kernel_error);
	r->kcreated = dup(ri.kernel_created_at);
	r->config_hash = dup(ri.config_hash);
	r->image_sha1 = dup(ri.image_sha1);
	r->fragments = ri.fragments ? json_dumps(ri.fragments, JSON_COMPACT)
				    : NULL;
	r->build_seconds = ri.build_seconds < 0 ? 0 : ri.build_seconds;
	r->kernel_id = ri.kernel_id;
	r->series_id = ri.series_id;
	r->ref = dup(ri.ref);
	record_run_info_release(&ri);
	f.run_id = id;
	f.with_text = 1;
	n = record_iteration_list(st, &f, &v, NULL);
	if (n < 0)
		return -1;
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), iter_cmp);
	for (i = 0; i < n; i++)
		add_iteration(r, &v[i]);
	record_iteration_list_release(v, n);
	return stall_classes(st, r, n);
}

static void release_run(struct run_info *r)
{
	char **strs[] = { &r->commit, &r->ref, &r->tree, &r->kind, &r->accel,
			  &r->started, &r->finished, &r->key, &r->compiler,
			  &r->kstate, &r->kerror, &r->kcreated,
			  &r->config_hash, &r->image_sha1, &r->fragments };
	size_t i, j, k;

	for (i = 0; i < ARRAY_SIZE(strs); i++)
		free(*strs[i]);
	for (i = 0; i < r->ng; i++) {
		struct group *g = &r->g[i];

		for (j = 0; j < g->n; j++) {
			char **s2[] = { &g->it[j].reason, &g->it[j].output,
					&g->it[j].console, &g->it[j].started,
					&g->it[j].finished, &g->it[j].stall_class };

			for (k = 0; k < ARRAY_SIZE(s2); k++)
				free(*s2[k]);
		}
		free(g->it);
		free(g->test);
		free(g->suite);
	}
	free(r->g);
}

static int load_runs(struct store *st, const struct export_sel *sel,
		     struct run_info **out)
{
	long long *ids;
	int n = select_runs(st, sel, &ids), i;
	struct run_info *v;

	if (n < 0)
		return -1;
	v = xcalloc((size_t)n, sizeof(*v));
	for (i = 0; i < n; i++) {
		if (load_run(st, ids[i], &v[i])) {
			while (i >= 0)
				release_run(&v[i--]);
			free(v);
			free(ids);
			return -1;
		}
	}
	free(ids);
	*out = v;
	return n;
}

static void release_runs(struct run_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		release_run(&v[i]);
	free(v);
}

/* ---- JUnit ---- */

enum verdict { J_PASSED, J_ERROR, J_FAILURE, J_FLAKY, J_SKIPPED };

/*
 * Retries count here: a failure NIPA retried into a pass is exactly what
 * Surefire calls a flaky failure.
 */
static enum verdict junit_verdict(const struct group *g)
{
	const long *c = g->all;

	if (c[OUTCOME_STALL] || c[OUTCOME_CRASH] || c[OUTCOME_ERROR])
		return J_ERROR;
	if (c[OUTCOME_FAIL] && !c[OUTCOME_PASS])
		return J_FAILURE;
	if (c[OUTCOME_FAIL])
		return J_FLAKY;
	if (c[OUTCOME_SKIP] && !c[OUTCOME_PASS])
		return J_SKIPPED;
	return J_PASSED;
}

/* The first iteration with outcome o. */
static const struct iter *first_of(const struct group *g, int o)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->it[i].outcome == o)
			return &g->it[i];
	return NULL;
}

static const char *reason_of(const struct iter *it)
{
	return it && it->reason ? it->reason : "";
}

/* "k=3 exit 1: reason" then the output's tail, for a failed iteration. */
static void junit_trace(struct strbuf *out, const struct iter *it)
{
	struct strbuf sb = STRBUF_INIT;
	char *tail = clean(it->output ? it->output : "", EXPORT_JUNIT_OUTPUT);

	strbuf_addf(&sb, "iteration %d%s: %s", it->seq,
		    it->retry ? " (retry)" : "",
		    record_outcome_name(it->outcome));
	if (it->has_rc)
		strbuf_addf(&sb, " (exit %d)", it->rc);
	if (it->reason && *it->reason)
		strbuf_addf(&sb, ": %s", it->reason);
	strbuf_addf(&sb, "\n%s", tail);
	xml_text(out, sb.buf, 0);
	strbuf_release(&sb);
	free(tail);
}

static void junit_error(struct strbuf *out, const struct group *g)
{
	static const int order[] = { OUTCOME_CRASH, OUTCOME_STALL,
				     OUTCOME_ERROR };
	const struct iter *it = NULL;
	size_t i;
	int o = OUTCOME_ERROR;

	const char *cls;

	for (i = 0; i < ARRAY_SIZE(order) && !it; i++)
		if ((it = first_of(g, order[i])))
			o = order[i];
	cls = o == OUTCOME_STALL && it ? it->stall_class : NULL;
	strbuf_addstr(out, "      <error");
	xml_attr(out, "message", "%ld of %zu iteration(s) %s%s%s%s: %s",
		 g->all[o], g->n, o == OUTCOME_CRASH ? "crashed" :
		 o == OUTCOME_STALL ? "stalled" : "errored", cls ? " (" : "",
		 cls ? cls : "", cls ? ")" : "", reason_of(it));
	xml_attr(out, "type", "%s", record_outcome_name(o));
	strbuf_addstr(out, ">");
	for (i = 0; i < g->n; i++) {
		int oc = g->it[i].outcome;

		if (oc == OUTCOME_CRASH || oc == OUTCOME_STALL ||
		    oc == OUTCOME_ERROR || oc == OUTCOME_FAIL) {
			junit_trace(out, &g->it[i]);
			strbuf_addch(out, '\n');
		}
	}
	strbuf_addstr(out, "</error>\n");
}

static void junit_case(struct strbuf *out, const struct run_info *r,
		       const struct group *g, int multi)
{
	enum verdict v = junit_verdict(g);
	const struct iter *it;
	size_t i;

	strbuf_addstr(out, "    <testcase");
	if (multi)
		xml_attr(out, "name", "%s [run %lld]", g->test, r->id);
	else
		xml_attr(out, "name", "%s", g->test);
	xml_attr(out, "classname", "%s", g->suite);
	xml_attr(out, "time", "%.3f", g->time);
	if (v == J_PASSED) {
		strbuf_addstr(out, "/>\n");
		return;
	}
	strbuf_addstr(out, ">\n");
	switch (v) {
	case J_ERROR:
		junit_error(out, g);
		break;
	case J_FAILURE:
		it = first_of(g, OUTCOME_FAIL);
		strbuf_addstr(out, "      <failure");
		xml_attr(out, "message", "%ld of %zu iteration(s) failed: %s",
			 g->all[OUTCOME_FAIL], g->n, reason_of(it));
		xml_attr(out, "type", "fail");
		strbuf_addstr(out, ">");
		for (i = 0; i < g->n; i++) {
			if (g->it[i].outcome != OUTCOME_FAIL)
				continue;
			junit_trace(out, &g->it[i]);
			strbuf_addch(out, '\n');
		}
		strbuf_addstr(out, "</failure>\n");
		break;
	case J_FLAKY:
		for (i = 0; i < g->n; i++) {
			if (g->it[i].outcome != OUTCOME_FAIL)
				continue;
			strbuf_addstr(out, "      <flakyFailure");
			xml_attr(out, "message", "iteration %d failed: %s",
				 g->it[i].seq, reason_of(&g->it[i]));
			xml_attr(out, "type", "fail");
			strbuf_addstr(out, ">\n        <stackTrace>");
			junit_trace(out, &g->it[i]);
			strbuf_addstr(out, "</stackTrace>\n      </flakyFailure>\n");
		}
		break;
	case J_SKIPPED:
		it = first_of(g, OUTCOME_SKIP);
		strbuf_addstr(out, "      <skipped");
		xml_attr(out, "message", "%s", reason_of(it));
		strbuf_addstr(out, "/>\n");
		break;
	case J_PASSED:
		break;
	}
	strbuf_addstr(out, "    </testcase>\n");
}

/* <property name="PREFIXWHAT" value="..."/>; a prefix ends in its dot. */
static void property(struct strbuf *out, const char *prefix, const char *what,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void property(struct strbuf *out, const char *prefix, const char *what,
		     const char *fmt, ...)
{
	struct strbuf v = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&v, fmt, ap);
	va_end(ap);
	strbuf_addstr(out, "      <property");
	if (prefix && *prefix)
		xml_attr(out, "name", "%s%s", prefix, what);
	else
		xml_attr(out, "name", "%s", what);
	xml_attr(out, "value", "%s", v.buf);
	strbuf_addstr(out, "/>\n");
	strbuf_release(&v);
}

static long retries(const struct group *g)
{
	long n = 0;
	int o;

	for (o = 0; o < OUTCOME_NR; o++)
		n += g->all[o] - g->counts[o];
	return n;
}

/* A test's counts (first attempts), retries and score, under "KEY.". */
static void test_properties(struct strbuf *out, const char *key,
			    const struct group *g)
{
	struct score sc = { 0 };
	int o;

	memcpy(sc.counts, g->counts, sizeof(sc.counts));
	score_finish(&sc);
	for (o = 0; o < OUTCOME_NR; o++)
		property(out, key, record_outcome_name(o), "%ld",
			 g->counts[o]);
	property(out, key, "retries", "%ld", retries(g));
	property(out, key, "failure_rate", "%.4f", sc.rate);
	property(out, key, "ci95", "%.4f %.4f", sc.lo, sc.hi);
	property(out, key, "verdict", "%s", score_verdict_name(&sc) ?
		 score_verdict_name(&sc) : "none");
}

/*
 * Surefire has properties on the suite only: each test's figures are
 * there under "[run N.]<suite>/<test>.<what>".
 */
static void junit_properties(struct strbuf *out, const struct run_info *r,
			     int nr, int multi)
{
	int i;
	size_t j;

	strbuf_addstr(out, "    <properties>\n");
	property(out, NULL, "kflake.runs", "%d", nr);
	for (i = 0; i < nr; i++) {
		char *p = multi ? xasprintf("run %lld.", r[i].id) : xstrdup("");

		property(out, p, "run", "%lld", r[i].id);
		property(out, p, "commit", "%s", r[i].commit ? r[i].commit : "");
		property(out, p, "tree", "%s", r[i].tree ? r[i].tree : "");
		for (j = 0; j < r[i].ng; j++) {
			char *key = xasprintf("%s%s/%s.", p, r[i].g[j].suite,
					      r[i].g[j].test);

			test_properties(out, key, &r[i].g[j]);
			free(key);
		}
		free(p);
	}
	strbuf_addstr(out, "    </properties>\n");
}

int export_junit(struct store *st, const struct export_sel *sel,
		 struct strbuf *out)
{
	struct run_info *r;
	int n = load_runs(st, sel, &r), i;
	long tests = 0, failures = 0, errors = 0, skipped = 0;
	double time = 0;
	size_t j;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < r[i].ng; j++) {
			enum verdict v = junit_verdict(&r[i].g[j]);

			tests++;
			failures += v == J_FAILURE;
			errors += v == J_ERROR;
			skipped += v == J_SKIPPED;
			time += r[i].g[j].time;
		}
	}
	strbuf_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<testsuite");
	if (n == 1)
		xml_attr(out, "name", "kflake run %lld", r[0].id);
	else
		xml_attr(out, "name", "kflake runs %lld-%lld", r[0].id,
			 r[n - 1].id);
	xml_attr(out, "tests", "%ld", tests);
	xml_attr(out, "failures", "%ld", failures);
	xml_attr(out, "errors", "%ld", errors);
	xml_attr(out, "skipped", "%ld", skipped);
	xml_attr(out, "time", "%.3f", time);
	strbuf_addstr(out, ">\n");
	junit_properties(out, r, n, n > 1);
	for (i = 0; i < n; i++)
		for (j = 0; j < r[i].ng; j++)
			junit_case(out, &r[i], &r[i].g[j], n > 1);
	strbuf_addstr(out, "</testsuite>\n");
	release_runs(r, n);
	return 0;
}

/* ---- KCIDB ---- */

#define KCIDB_ORIGIN "kflake"

char *export_kcidb_path(const char *suite, const char *test)
{
	struct strbuf sb = STRBUF_INIT;
	const char *parts[2] = { suite, test };
	size_t i;
	const char *p;

	for (i = 0; i < 2; i++) {
		if (i)
			strbuf_addch(&sb, '.');
		for (p = parts[i]; *p; p++)
			strbuf_addch(&sb, isalnum((unsigned char)*p) ||
					  *p == '-' || *p == '_' ? *p : '_');
		if (!*parts[i])
			strbuf_addch(&sb, '_');
	}
	return strbuf_detach(&sb);
}

static json_t *jstr(const char *s, size_t max_chars)
{
	char *c = clean(s ? s : "", max_chars);
	json_t *j = json_string(c);

	free(c);
	return j;
}

static int is_commit(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 40)
		return 0;
	for (i = 0; i < 40; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char *kcidb_status(int outcome)
{
	switch (outcome) {
	case OUTCOME_PASS:
		return "PASS";
	case OUTCOME_SKIP:
		return "SKIP";
	case OUTCOME_ERROR:
		return "ERROR";
	default:
		return "FAIL";	/* fail, and stall and crash with misc.reason */
	}
}

/* "kflake:" and s as clean UTF-8 (ids may hold any text after the colon). */
static char *jsonable_id(const char *s)
{
	char *c = clean(s, 0), *id = xasprintf(KCIDB_ORIGIN ":%s", c);

	free(c);
	return id;
}

/* A commit; an imported run has only its branch; else the run itself. */
static char *checkout_id(const struct run_info *r)
{
	if (r->commit)
		return xasprintf(KCIDB_ORIGIN ":%s", r->commit);
	if (r->ref)
		return jsonable_id(r->ref);
	return xasprintf(KCIDB_ORIGIN ":run-%lld", r->id);
}

static int imported(const struct run_info *r)
{
	return r->kind && !strcmp(r->kind, "import");
}

static json_t *kcidb_checkout(const struct run_info *r)
{
	char *id = checkout_id(r);
	json_t *o = json_pack("{s:s, s:s, s:b}", "id", id, "origin",
			      KCIDB_ORIGIN, "valid", 1);

	free(id);
	if (is_commit(r->commit))
		json_object_set_new(o, "git_commit_hash", json_string(r->commit));
	if (r->tree)
		json_object_set_new(o, "tree_name", jstr(r->tree, 0));
	if (r->ref && !r->commit)
		json_object_set_new(o, "git_repository_branch", jstr(r->ref, 0));
	if (r->started)
		json_object_set_new(o, "start_time", jstr(r->started, 0));
	if (r->series_id)
		json_object_set_new(o, "misc", json_pack("{s:I}", "series",
			(json_int_t)r->series_id));
	return o;
}

static char *build_id(const struct run_info *r)
{
	return r->key ? xasprintf(KCIDB_ORIGIN ":%s", r->key) :
			xasprintf(KCIDB_ORIGIN ":run-%lld", r->id);
}

static json_t *kcidb_build(const struct run_info *r)
{
	char *id = build_id(r), *co = checkout_id(r);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id,
			      "checkout_id", co, "origin", KCIDB_ORIGIN,
			      "architecture", "x86_64", "status",
			      !r->kstate ? "MISS" : !strcmp(r->kstate, "ok") ?
			      "PASS" : !strcmp(r->kstate, "failed") ? "FAIL" :
			      "MISS");
	json_t *misc = json_object();

	free(id);
	free(co);
	if (r->compiler)
		json_object_set_new(o, "compiler", jstr(r->compiler, 0));
	if (r->kcreated)
		json_object_set_new(o, "start_time", jstr(r->kcreated, 0));
	if (r->build_seconds > 0)
		json_object_set_new(o, "duration", json_real(r->build_seconds));
	if (r->kerror)
		json_object_set_new(o, "log_excerpt",
				    jstr(r->kerror, EXPORT_KCIDB_EXCERPT));
	if (r->config_hash)
		json_object_set_new(misc, "config_hash", jstr(r->config_hash, 0));
	if (r->image_sha1)
		json_object_set_new(misc, "image_sha1", jstr(r->image_sha1, 0));
	if (r->fragments)
		json_object_set_new(misc, "fragments", jstr(r->fragments, 0));
	json_object_set_new(o, "misc", misc);
	return o;
}

static json_t *kcidb_test(const struct run_info *r, const struct group *g,
			  const struct iter *it)
{
	char *id = xasprintf(KCIDB_ORIGIN ":%lld", it->id);
	char *bid = build_id(r), *path = export_kcidb_path(g->suite, g->test);
	struct strbuf log = STRBUF_INIT;
	json_t *o, *misc;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "id", id, "build_id",
		      bid, "origin", KCIDB_ORIGIN, "path", path, "status",
		      kcidb_status(it->outcome), "duration",
		      it->duration > 0 ? it->duration : 0.0);
	json_object_set_new(o, "comment", jstr(g->test, 0));
	if (it->started)
		json_object_set_new(o, "start_time", jstr(it->started, 0));
	/* A crash's report is on the console; both, the end kept. */
	strbuf_addstr(&log, it->output ? it->output : "");
	if ((it->outcome == OUTCOME_CRASH || it->outcome == OUTCOME_STALL) &&
	    it->console && *it->console)
		strbuf_addf(&log, "%s--- console ---\n%s",
			    log.len && log.buf[log.len - 1] != '\n' ? "\n" : "",
			    it->console);
	if (log.len)
		json_object_set_new(o, "log_excerpt",
				    jstr(log.buf, EXPORT_KCIDB_EXCERPT));
	misc = json_pack("{s:I, s:i, s:s, s:s, s:b}", "run", (json_int_t)r->id,
			 "iteration", it->seq, "outcome",
			 record_outcome_name(it->outcome), "suite", g->suite,
			 "retry", it->retry);
	if (it->reason && *it->reason)
		json_object_set_new(misc, "reason", jstr(it->reason, 0));
	if (it->outcome == OUTCOME_STALL && it->stall_class)
		json_object_set_new(misc, "stall_class",
				    jstr(it->stall_class, 0));
	if (it->has_rc)
		json_object_set_new(misc, "rc", json_integer(it->rc));
	if (imported(r))
		json_object_set_new(misc, "imported_from", json_string("nipa"));
	json_object_set_new(o, "misc", misc);
	if (r->accel)
		json_object_set_new(o, "environment", json_pack("{s:o}",
			"comment", jstr(r->accel, 0)));
	free(id);
	free(bid);
	free(path);
	strbuf_release(&log);
	return o;
}

/* Append o to arr unless an object with the same id is there. */
static void add_unique(json_t *arr, json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (!strcmp(json_string_value(json_object_get(v, "id")), id)) {
			json_decref(o);
			return;
		}
	}
	json_array_append_new(arr, o);
}

int export_kcidb(struct store *st, const struct export_sel *sel,
		 struct strbuf *out)
{
	struct run_info *r;
	int n = load_runs(st, sel, &r), i;
	json_t *doc, *checkouts, *builds, *tests;
	size_t j, k;
	char *s;

	if (n < 0)
		return -1;
	checkouts = json_array();
	builds = json_array();
	tests = json_array();
	for (i = 0; i < n; i++) {
		add_unique(checkouts, kcidb_checkout(&r[i]));
		add_unique(builds, kcidb_build(&r[i]));
		for (j = 0; j < r[i].ng; j++)
			for (k = 0; k < r[i].g[j].n; k++)
				json_array_append_new(tests, kcidb_test(&r[i],
					&r[i].g[j], &r[i].g[j].it[k]));
	}
	doc = json_pack("{s:{s:i, s:i}, s:o, s:o, s:o}", "version", "major", 5,
			"minor", 3, "checkouts", checkouts, "builds", builds,
			"tests", tests);
	s = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	strbuf_addstr(out, s);
	strbuf_addch(out, '\n');
	free(s);
	json_decref(doc);
	release_runs(r, n);
	return 0;
}

/* ---- files, for a CI pass ---- */

static int export_file(struct store *st, const struct export_sel *sel,
		       const char *dir, const char *base, int junit, json_t *o)
{
	struct strbuf out = STRBUF_INIT;
	char *path = xasprintf("%s/%s.%s", dir, base,
			       junit ? "junit.xml" : "kcidb.json");
	int ret = junit ? export_junit(st, sel, &out) :
			  export_kcidb(st, sel, &out);

	if (!ret && (util_mkdir_p(dir) ||
		     util_write_file(path, out.buf, out.len)))
		ret = error("%s: cannot write: %s", path, strerror(errno));
	if (!ret)
		json_object_set_new(o, junit ? "junit" : "kcidb",
				    json_string(path));
	strbuf_release(&out);
	free(path);
	return ret;
}

int export_files(struct store *st, const char *since, const char *dir,
		 const char *name, int junit, int kcidb, json_t *o)
{
	struct export_sel sel = { .since = since };
	int n = export_count_runs(st, &sel), ret = 0;
	char *base, *q;

	json_object_set_new(o, "runs", json_integer(n > 0 ? n : 0));
	if (n <= 0)
		return n < 0 ? -1 : 0;
	/* "nightly-2026-11-30T00-45-00Z": no ':' in a file name. */
	base = xasprintf("%s-%s", name, since);
	for (q = base; *q; q++)
		if (*q == ':' || *q == '/')
			*q = '-';
	if (junit)
		ret |= export_file(st, &sel, dir, base, 1, o);
	if (kcidb)
		ret |= export_file(st, &sel, dir, base, 0, o);
	free(base);
	return ret ? -1 : 0;
}
