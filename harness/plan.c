/*
 * plan.c - reads and checks a CI plan file (see plan.h, docs/CI.md).
 * Every field is checked for its type and range before anything runs;
 * unknown fields are refused too, so a typo ("iteratons") cannot turn
 * a setting off without a word. Relative paths are taken from the
 * plan's directory, so a plan and its tests can move together.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctest.h"
#include "fetch.h"
#include "patchwork.h"
#include "plan.h"
#include "stress.h"
#include "util.h"

#define PLAN_MAX_SIZE (1 << 20)
#define PLAN_MAX_TOKEN 512

struct ctx {
	const char *file;
	char *dir;
	struct strbuf *err;
};

static int bad(struct ctx *c, const char *field, const char *fmt, ...)
	PRINTF(3, 4);
static int bad(struct ctx *c, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (c->err->len)	/* the first problem is the one reported */
		return -1;
	strbuf_addf(c->err, "%s: %s: ", c->file, field);
	va_start(ap, fmt);
	strbuf_vaddf(c->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* Refuse keys not in allowed (NULL-terminated). */
static int only_keys(struct ctx *c, json_t *obj, const char *where,
		     const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (!allowed[i]) {
			char *f = *where ? xasprintf("%s.%s", where, key)
					 : xstrdup(key);

			bad(c, f, "unknown field (see docs/CI.md)");
			free(f);
			return -1;
		}
	}
	return 0;
}

static char *field_name(const char *where, const char *key)
{
	return *where ? xasprintf("%s.%s", where, key) : xstrdup(key);
}

/* An optional string: 0 (absent: *out untouched) or -1. */
static int opt_string(struct ctx *c, json_t *obj, const char *where,
		      const char *key, size_t max, char **out)
{
	json_t *v = json_object_get(obj, key);
	char *f;
	int ret = 0;

	if (!v)
		return 0;
	f = field_name(where, key);
	if (!json_is_string(v))
		ret = bad(c, f, "expected a string");
	else if (!*json_string_value(v) ||
		 strlen(json_string_value(v)) > max)
		ret = bad(c, f, "expected 1 to %zu characters", max);
	else if (strlen(json_string_value(v)) != json_string_length(v))
		ret = bad(c, f, "contains a NUL character");
	if (!ret) {
		free(*out);
		*out = xstrdup(json_string_value(v));
	}
	free(f);
	return ret;
}

static int opt_int(struct ctx *c, json_t *obj, const char *where,
		   const char *key, long min, long max, int *out)
{
	json_t *v = json_object_get(obj, key);
	char *f;
	int ret = 0;

	if (!v)
		return 0;
	f = field_name(where, key);
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		ret = bad(c, f, "expected a whole number from %ld to %ld", min,
			  max);
	else
		*out = (int)json_integer_value(v);
	free(f);
	return ret;
}

/* A duration: a number of seconds or a string such as "90s", "5m", "4h". */
static int opt_duration(struct ctx *c, json_t *obj, const char *where,
			const char *key, double *out, int *set)
{
	json_t *v = json_object_get(obj, key);
	char *f;
	double d = -1;
	int ret = 0;

	if (!v)
		return 0;
	f = field_name(where, key);
	if (json_is_number(v))
		d = json_number_value(v);
	else if (json_is_string(v) &&
		 util_parse_duration(json_string_value(v), &d))
		d = -1;
	if (!(d >= 0 && d <= 366 * 86400.0))
		ret = bad(c, f, "expected a duration such as 90, \"90s\", "
			  "\"5m\" or \"4h\"");
	else
		*out = d;
	if (!ret && set)
		*set = 1;
	free(f);
	return ret;
}

static int opt_bool(struct ctx *c, json_t *obj, const char *where,
		    const char *key, int *out)
{
	json_t *v = json_object_get(obj, key);
	char *f;

	if (!v)
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	f = field_name(where, key);
	bad(c, f, "expected true or false");
	free(f);
	return -1;
}

/* Absolute form of a plan-relative path. */
static char *plan_path(struct ctx *c, const char *p)
{
	return p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", c->dir, p);
}

static int is_slug(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return n > 0 && n <= max;
}

/* ---- sections ---- */

static int parse_trees(struct ctx *c, json_t *arr, struct plan *p)
{
	static const char *const keys[] = { "tree", "refs", NULL };
	size_t i, j;

	if (!json_is_array(arr) || !json_array_size(arr) ||
	    json_array_size(arr) > PLAN_MAX_ITEMS)
		return bad(c, "trees", "expected a list of 1 to %d "
			   "{\"tree\", \"refs\"} objects", PLAN_MAX_ITEMS);
	p->trees = xcalloc(json_array_size(arr), sizeof(*p->trees));
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i), *refs;
		struct plan_tree *t = &p->trees[p->ntrees++];
		char where[64];

		snprintf(where, sizeof(where), "trees[%zu]", i);
		if (!json_is_object(o))
			return bad(c, where, "expected an object");
		if (only_keys(c, o, where, keys) ||
		    opt_string(c, o, where, "tree", 4096, &t->tree))
			return -1;
		if (t->tree && !strcmp(t->tree, "default")) {
			free(t->tree);
			t->tree = NULL;
		} else if (t->tree && !fetch_is_url(t->tree) &&
			   strncmp(t->tree, "git://", 6) &&
			   strncmp(t->tree, "ssh://", 6)) {
			char *abs = plan_path(c, t->tree);

			free(t->tree);
			t->tree = abs;
		}
		refs = json_object_get(o, "refs");
		snprintf(where, sizeof(where), "trees[%zu].refs", i);
		if (!json_is_array(refs) || !json_array_size(refs) ||
		    json_array_size(refs) > PLAN_MAX_ITEMS)
			return bad(c, where, "expected a list of 1 to %d refs",
				   PLAN_MAX_ITEMS);
		t->refs = xcalloc(json_array_size(refs), sizeof(*t->refs));
		for (j = 0; j < json_array_size(refs); j++) {
			json_t *r = json_array_get(refs, j);
			const char *s = json_string_value(r);

			if (!s || !*s || strlen(s) > 255 || strchr(s, ' ') ||
			    s[0] == '-') {
				snprintf(where, sizeof(where),
					 "trees[%zu].refs[%zu]", i, j);
				return bad(c, where, "expected a branch, tag "
					   "or commit name");
			}
			t->refs[t->nrefs++] = xstrdup(s);
		}
	}
	return 0;
}

static int parse_kconfigs(struct ctx *c, json_t *obj, struct plan *p)
{
	const char *name;
	json_t *frags;

	if (!obj) {
		p->kconfigs = xcalloc(1, sizeof(*p->kconfigs));
		p->kconfigs[0].name = xstrdup("default");
		p->nkconfigs = 1;
		return 0;
	}
	if (!json_is_object(obj) || !json_object_size(obj) ||
	    json_object_size(obj) > PLAN_MAX_ITEMS)
		return bad(c, "kconfigs", "expected an object of 1 to %d sets, "
			   "each a list of fragment files", PLAN_MAX_ITEMS);
	p->kconfigs = xcalloc(json_object_size(obj), sizeof(*p->kconfigs));
	json_object_foreach(obj, name, frags) {
		struct plan_kconfig *k = &p->kconfigs[p->nkconfigs++];
		char *where = xasprintf("kconfigs.%s", name);
		size_t j;

		k->name = xstrdup(name);
		if (!is_slug(name, 32)) {
			bad(c, where, "a set's name is 1 to 32 letters, digits, "
			    "'.', '_' or '-'");
			free(where);
			return -1;
		}
		if (!json_is_array(frags) ||
		    json_array_size(frags) > PLAN_MAX_ITEMS) {
			bad(c, where, "expected a list of kconfig fragment files");
			free(where);
			return -1;
		}
		k->fragments = xcalloc(json_array_size(frags) + 1,
				       sizeof(*k->fragments));
		for (j = 0; j < json_array_size(frags); j++) {
			const char *s = json_string_value(json_array_get(frags, j));
			char *abs = s && *s ? plan_path(c, s) : NULL;

			if (!abs || access(abs, R_OK)) {
				bad(c, where, "%s: cannot read the fragment",
				    s ? s : "(not a string)");
				free(abs);
				free(where);
				return -1;
			}
			k->fragments[k->nfragments++] = abs;
		}
		free(where);
	}
	return 0;
}

static int valid_sysctl(const char *key, const char *value)
{
	const char *s;

	/* Written to /proc/sys/<key with '/' for '.'>: no way out of it. */
	if (!*key || strlen(key) > 128 || key[0] == '.' || strstr(key, ".."))
		return 0;
	for (s = key; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	if (strlen(value) > 128)
		return 0;
	for (s = value; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(" \t._-:,", *s))
			return 0;
	return 1;
}

static int parse_sysctls(struct ctx *c, json_t *obj, const char *where,
			 struct plan_test *t)
{
	const char *key;
	json_t *v;
	char *f = xasprintf("%s.sysctls", where);
	int ret = 0;

	if (!json_is_object(obj) || json_object_size(obj) > PLAN_MAX_SYSCTLS) {
		ret = bad(c, f, "expected an object of up to %d \"key\": "
			  "\"value\" pairs", PLAN_MAX_SYSCTLS);
		goto out;
	}
	t->sysctls = xcalloc(json_object_size(obj) + 1, sizeof(*t->sysctls));
	json_object_foreach(obj, key, v) {
		char num[32];
		const char *val = json_string_value(v);

		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(v));
			val = num;
		}
		if (!val || !valid_sysctl(key, val)) {
			free(f);
			f = xasprintf("%s.sysctls.%s", where, key);
			ret = bad(c, f, "expected a sysctl name such as "
				  "net.ipv4.tcp_fastopen and a number or a "
				  "short plain value");
			goto out;
		}
		t->sysctls[t->nsysctls++] = xasprintf("%s=%s", key, val);
	}
out:
	free(f);
	return ret;
}

static int parse_test(struct ctx *c, json_t *o, size_t i, struct plan_test *t)
{
	static const char *const keys[] = {
		"test", "name", "iterations", "until", "max", "sysctls", NULL,
	};
	char where[64];
	char *until = NULL;
	json_t *sc;
	int ret = -1;

	snprintf(where, sizeof(where), "tests[%zu]", i);
	if (!json_is_object(o))
		return bad(c, where, "expected an object such as {\"test\": "
			   "\"net:udpgro_bench.sh\", \"iterations\": 10}");
	if (only_keys(c, o, where, keys) ||
	    opt_string(c, o, where, "test", 4096, &t->test) ||
	    opt_string(c, o, where, "name", 64, &t->name) ||
	    opt_string(c, o, where, "until", 16, &until))
		goto out;
	if (!t->test) {
		bad(c, where, "\"test\" is required");
		goto out;
	}
	/* Paths (and C sources) are the plan's; kselftest names are not. */
	if (strchr(t->test, '/') || ctest_is_source(t->test)) {
		char *abs = plan_path(c, t->test);

		free(t->test);
		t->test = abs;
	}
	if (t->name && !is_slug(t->name, 64)) {
		char *f = xasprintf("%s.name", where);

		bad(c, f, "1 to 64 letters, digits, '.', '_' or '-'");
		free(f);
		goto out;
	}
	if (until && strcmp(until, "decided")) {
		char *f = xasprintf("%s.until", where);

		bad(c, f, "the only value is \"decided\"");
		free(f);
		goto out;
	}
	t->until_decided = until != NULL;
	if (t->until_decided) {
		if (json_object_get(o, "iterations")) {
			char *f = xasprintf("%s.iterations", where);

			bad(c, f, "give either \"iterations\" (a fixed count) or "
			    "\"until\": \"decided\" with \"max\"");
			free(f);
			goto out;
		}
		t->iterations = 0;
		if (opt_int(c, o, where, "max", 1, 100000, &t->iterations))
			goto out;
	} else {
		if (json_object_get(o, "max")) {
			char *f = xasprintf("%s.max", where);

			bad(c, f, "\"max\" goes with \"until\": \"decided\"");
			free(f);
			goto out;
		}
		t->iterations = 5;
		if (opt_int(c, o, where, "iterations", 1, 100000,
			    &t->iterations))
			goto out;
	}
	sc = json_object_get(o, "sysctls");
	if (sc && parse_sysctls(c, sc, where, t))
		goto out;
	ret = 0;
out:
	free(until);
	return ret;
}

static const char *test_label(const struct plan_test *t)
{
	const char *slash;

	if (t->name)
		return t->name;
	slash = strrchr(t->test, '/');
	if (slash)
		return slash + 1;
	slash = strrchr(t->test, ':');
	return slash ? slash + 1 : t->test;
}

static int parse_tests(struct ctx *c, json_t *arr, struct plan *p)
{
	size_t i, j;

	if (!json_is_array(arr) || !json_array_size(arr) ||
	    json_array_size(arr) > PLAN_MAX_ITEMS)
		return bad(c, "tests", "expected a list of 1 to %d tests",
			   PLAN_MAX_ITEMS);
	p->tests = xcalloc(json_array_size(arr), sizeof(*p->tests));
	for (i = 0; i < json_array_size(arr); i++) {
		if (parse_test(c, json_array_get(arr, i), i, &p->tests[i])) {
			p->ntests = i + 1;
			return -1;
		}
		p->ntests = i + 1;
		/* Results are stored by name: two entries need two names. */
		for (j = 0; j < i; j++) {
			if (strcmp(test_label(&p->tests[i]),
				   test_label(&p->tests[j])))
				continue;
			{
				char f[64];

				snprintf(f, sizeof(f), "tests[%zu]", i);
				return bad(c, f, "records under the same name as "
					   "tests[%zu] ('%s'); give one a "
					   "\"name\"", j,
					   test_label(&p->tests[j]));
			}
		}
	}
	return 0;
}

static int read_token(struct ctx *c, const char *file, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	char *path = plan_path(c, file);
	int ret = -1;

	if (stat(path, &st) || util_read_file(path, &sb, PLAN_MAX_TOKEN + 2)) {
		bad(c, "patchwork.token_file", "%s: %s", path,
		    errno ? strerror(errno) : "cannot read");
		goto out;
	}
	strbuf_trim(&sb);
	if (!sb.len || sb.len > PLAN_MAX_TOKEN ||
	    strcspn(sb.buf, " \t\r\n") != sb.len) {
		bad(c, "patchwork.token_file", "%s: expected one token on one "
		    "line", path);
		goto out;
	}
	if (st.st_mode & 0077)
		warning("%s: the patchwork token is readable by others "
			"(chmod 600 it)", path);
	*out = strbuf_detach(&sb);
	ret = 0;
out:
	strbuf_release(&sb);
	free(path);
	return ret;
}

static int parse_patchwork(struct ctx *c, json_t *o, struct plan *p)
{
	static const char *const keys[] = {
		"url", "project", "token_file", "tree", "base", NULL,
	};
	char *url = NULL, *token_file = NULL;
	int ret = -1;

	if (!json_is_object(o))
		return bad(c, "patchwork", "expected an object with \"url\" "
			   "and \"project\"");
	if (only_keys(c, o, "patchwork", keys) ||
	    opt_string(c, o, "patchwork", "url", 1024, &url) ||
	    opt_string(c, o, "patchwork", "project", 128, &p->pw_project) ||
	    opt_string(c, o, "patchwork", "token_file", 4096, &token_file) ||
	    opt_string(c, o, "patchwork", "tree", 4096, &p->pw_tree) ||
	    opt_string(c, o, "patchwork", "base", 255, &p->pw_base))
		goto out;
	if (!url || !fetch_is_url(url)) {
		bad(c, "patchwork.url", "expected the http(s) URL of a "
		    "patchwork instance");
		goto out;
	}
	if (!p->pw_project) {
		bad(c, "patchwork.project", "required (the project's link "
		    "name, e.g. netdevbpf)");
		goto out;
	}
	p->pw_url = patchwork_base(url);
	if (p->pw_tree && !strcmp(p->pw_tree, "default")) {
		free(p->pw_tree);
		p->pw_tree = NULL;
	} else if (p->pw_tree && !fetch_is_url(p->pw_tree)) {
		char *abs = plan_path(c, p->pw_tree);

		free(p->pw_tree);
		p->pw_tree = abs;
	}
	if (token_file && read_token(c, token_file, &p->pw_token))
		goto out;
	ret = 0;
out:
	free(url);
	free(token_file);
	return ret;
}

/* results.exports: {"dir": PATH, "junit": bool, "kcidb": bool}. */
static int parse_exports(struct ctx *c, json_t *o, struct plan *p)
{
	static const char *const keys[] = { "dir", "junit", "kcidb", NULL };
	char *dir = NULL;

	if (!json_is_object(o))
		return bad(c, "results.exports", "expected an object");
	p->export_junit = p->export_kcidb = 1;
	if (only_keys(c, o, "results.exports", keys) ||
	    opt_string(c, o, "results.exports", "dir", 4096, &dir) ||
	    opt_bool(c, o, "results.exports", "junit", &p->export_junit) ||
	    opt_bool(c, o, "results.exports", "kcidb", &p->export_kcidb)) {
		free(dir);
		return -1;
	}
	if (!dir || !*dir) {
		free(dir);
		return bad(c, "results.exports.dir", "required: the directory "
			   "each pass's JUnit and KCIDB files go to");
	}
	p->exports_dir = plan_path(c, dir);
	free(dir);
	if (!p->export_junit && !p->export_kcidb)
		return bad(c, "results.exports", "junit and kcidb are both "
			   "false: nothing to export");
	return 0;
}

static int parse_results(struct ctx *c, json_t *o, struct plan *p)
{
	static const char *const keys[] = {
		"checks", "context", "status_url", "webhook", "exports", NULL,
	};

	if (!json_is_object(o))
		return bad(c, "results", "expected an object");
	if (only_keys(c, o, "results", keys) ||
	    opt_bool(c, o, "results", "checks", &p->checks) ||
	    opt_string(c, o, "results", "context", 32, &p->context) ||
	    opt_string(c, o, "results", "status_url", 1024, &p->status_url) ||
	    opt_string(c, o, "results", "webhook", 1024, &p->webhook))
		return -1;
	if (!is_slug(p->context, 32) || strchr(p->context, '.'))
		return bad(c, "results.context", "1 to 32 letters, digits, "
			   "'_' or '-' (patchwork's context slug)");
	if (p->status_url && !fetch_is_url(p->status_url))
		return bad(c, "results.status_url", "expected an http(s) URL");
	if (p->webhook && !fetch_is_url(p->webhook))
		return bad(c, "results.webhook", "expected an http(s) URL");
	if (json_object_get(o, "exports") &&
	    parse_exports(c, json_object_get(o, "exports"), p))
		return -1;
	return 0;
}

static int parse_stress(struct ctx *c, const char *text, struct plan *p)
{
	struct strbuf e = STRBUF_INIT;
	int ret = 0;

	if (stress_parse_err(text, &p->stress, &e))
		ret = bad(c, "stress", "%s", e.buf);
	strbuf_release(&e);
	return ret;
}

/* "executor": {"name": "local"|"slurm", "partition", "tasks", "shared"} */
static int parse_executor(struct ctx *c, json_t *o, struct plan *p)
{
	static const char *const keys[] = {
		"name", "partition", "tasks", "shared", NULL,
	};
	size_t i;

	if (!json_is_object(o))
		return bad(c, "executor", "expected an object");
	if (only_keys(c, o, "executor", keys) ||
	    opt_string(c, o, "executor", "name", 16, &p->executor) ||
	    opt_string(c, o, "executor", "partition", 64, &p->partition) ||
	    opt_int(c, o, "executor", "tasks", 1, 1000, &p->tasks) ||
	    opt_string(c, o, "executor", "shared", 4096, &p->shared))
		return -1;
	if (!p->executor || (strcmp(p->executor, "local") &&
			     strcmp(p->executor, "slurm")))
		return bad(c, "executor.name", "expected \"local\" or \"slurm\"");
	if (!strcmp(p->executor, "local") &&
	    (p->partition || p->tasks || p->shared))
		return bad(c, "executor", "partition, tasks and shared are for "
			   "\"slurm\"");
	if (p->shared && p->shared[0] != '/')
		return bad(c, "executor.shared", "expected an absolute path");
	if (p->partition && strpbrk(p->partition, " \t\n"))
		return bad(c, "executor.partition", "expected a partition name");
	if (!strcmp(p->executor, "slurm") && p->stress)
		return bad(c, "executor.name", "slurm does not apply \"stress\" "
			   "(local only)");
	for (i = 0; !strcmp(p->executor, "slurm") && i < p->ntests; i++)
		if (p->tests[i].until_decided)
			return bad(c, "executor.name", "slurm runs fixed "
				   "iteration counts; tests[%zu] is \"until\": "
				   "\"decided\" (local only)", i);
	return 0;
}

static int parse_top(struct ctx *c, json_t *j, struct plan *p)
{
	static const char *const keys[] = {
		"name", "trees", "kconfigs", "tests", "budget", "interval",
		"detect", "timeout", "idle", "guest", "stress", "patchwork",
		"results", "retention", "executor", NULL,
	};
	static const char *const guest_keys[] = { "cpus", "mem", "vms", NULL };
	static const char *const ret_keys[] = { "days", NULL };
	json_t *v;

	if (!json_is_object(j))
		return bad(c, "(top)", "expected a JSON object");
	if (only_keys(c, j, "", keys) ||
	    opt_string(c, j, "", "name", 64, &p->name))
		return -1;
	if (!p->name || !is_slug(p->name, 64))
		return bad(c, "name", "required: 1 to 64 letters, digits, '.', "
			   "'_' or '-' (work items are filed under it)");
	v = json_object_get(j, "trees");
	if (v && parse_trees(c, v, p))
		return -1;
	if (parse_kconfigs(c, json_object_get(j, "kconfigs"), p) ||
	    parse_tests(c, json_object_get(j, "tests"), p))
		return -1;
	if (opt_duration(c, j, "", "budget", &p->budget, NULL) ||
	    opt_duration(c, j, "", "interval", &p->interval, NULL) ||
	    opt_duration(c, j, "", "timeout", &p->timeout, NULL) ||
	    opt_duration(c, j, "", "idle", &p->idle, &p->idle_set))
		return -1;
	if (p->interval < 60 && json_object_get(j, "interval"))
		return bad(c, "interval", "at least 60 seconds between passes");
	v = json_object_get(j, "detect");
	if (v && (!json_is_number(v) || !(json_number_value(v) >= 0.01 &&
					  json_number_value(v) <= 0.9)))
		return bad(c, "detect", "expected the rise in failure rate "
			   "that matters, from 0.01 to 0.9 (e.g. 0.2)");
	if (v)
		p->delta = json_number_value(v);
	v = json_object_get(j, "guest");
	if (v && (!json_is_object(v) || only_keys(c, v, "guest", guest_keys) ||
		  opt_int(c, v, "guest", "cpus", 1, 64, &p->cpus) ||
		  opt_int(c, v, "guest", "mem", 256, 65536, &p->mem_mb) ||
		  opt_int(c, v, "guest", "vms", 1, 64, &p->vms)))
		return json_is_object(v) ? -1
					 : bad(c, "guest", "expected an object");
	v = json_object_get(j, "stress");
	if (v && !json_is_string(v))
		return bad(c, "stress", "expected modes as --stress takes them, "
			   "e.g. \"cpu,throttle\"");
	if (v && parse_stress(c, json_string_value(v), p))
		return -1;
	v = json_object_get(j, "executor");
	if (v && parse_executor(c, v, p))
		return -1;
	v = json_object_get(j, "patchwork");
	if (v && parse_patchwork(c, v, p))
		return -1;
	v = json_object_get(j, "results");
	if (v && parse_results(c, v, p))
		return -1;
	if (p->checks && !p->pw_url)
		return bad(c, "results.checks", "needs a \"patchwork\" section");
	if (p->checks && !p->pw_token)
		return bad(c, "patchwork.token_file", "required to post checks");
	v = json_object_get(j, "retention");
	if (v && (!json_is_object(v) ||
		  only_keys(c, v, "retention", ret_keys) ||
		  opt_int(c, v, "retention", "days", 0, 100000,
			  &p->retention_days)))
		return json_is_object(v) ? -1
					 : bad(c, "retention", "expected an object");
	if (!p->ntrees && !p->pw_url)
		return bad(c, "trees", "nothing to test: give \"trees\" or "
			   "\"patchwork\"");
	return 0;
}

int plan_load(const char *path, struct plan *p, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct ctx c = { path, NULL, err };
	json_error_t je;
	char *copy;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	p->interval = 3600;
	p->delta = 0.20;
	p->cpus = 2;
	p->mem_mb = 2048;
	p->context = xstrdup("kflake");
	if (util_read_file(path, &sb, PLAN_MAX_SIZE)) {
		strbuf_addf(err, "%s: cannot read the plan (missing, or over "
			    "%d KiB)", path, PLAN_MAX_SIZE >> 10);
		goto out;
	}
	p->json = json_loadb(sb.buf ? sb.buf : "", sb.len, JSON_REJECT_DUPLICATES,
			     &je);
	if (!p->json) {
		strbuf_addf(err, "%s:%d:%d: not valid JSON: %s", path, je.line,
			    je.column, je.text);
		goto out;
	}
	copy = util_realpath(path);
	c.dir = xstrdup(dirname(copy));
	free(copy);
	p->path = xstrdup(path);
	ret = parse_top(&c, p->json, p);
out:
	free(c.dir);
	strbuf_release(&sb);
	if (ret)
		plan_release(p);
	return ret;
}

static void free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void plan_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->ntrees; i++) {
		free(p->trees[i].tree);
		free_strings(p->trees[i].refs, p->trees[i].nrefs);
	}
	free(p->trees);
	for (i = 0; i < p->nkconfigs; i++) {
		free(p->kconfigs[i].name);
		free_strings(p->kconfigs[i].fragments, p->kconfigs[i].nfragments);
	}
	free(p->kconfigs);
	for (i = 0; i < p->ntests; i++) {
		free(p->tests[i].test);
		free(p->tests[i].name);
		free_strings(p->tests[i].sysctls, p->tests[i].nsysctls);
	}
	free(p->tests);
	free(p->path);
	free(p->name);
	free(p->executor);
	free(p->partition);
	free(p->shared);
	free(p->pw_url);
	free(p->pw_project);
	if (p->pw_token)
		memset(p->pw_token, 0, strlen(p->pw_token));
	free(p->pw_token);
	free(p->pw_tree);
	free(p->pw_base);
	free(p->context);
	free(p->status_url);
	free(p->webhook);
	free(p->exports_dir);
	json_decref(p->json);
	memset(p, 0, sizeof(*p));
}

const char *plan_test_label(const struct plan_test *t)
{
	return test_label(t);
}
