/*
 * pool.c - the pooling key (see pool.h): binding it into the SQL that
 * matches iterations, reading it from run rows, and the canonical forms
 * of its kconfig set and stress modes.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pool.h"
#include "utf8.h"
#include "util.h"

static int bind_text(sqlite3_stmt *stmt, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(stmt, name);

	if (!i)
		return SQLITE_OK;
	return v ? sqlite3_bind_text(stmt, i, v, -1, SQLITE_TRANSIENT)
		 : sqlite3_bind_null(stmt, i);
}

static int bind_int(sqlite3_stmt *stmt, const char *name, long long v)
{
	int i = sqlite3_bind_parameter_index(stmt, name);

	return i ? sqlite3_bind_int64(stmt, i, v) : SQLITE_OK;
}

int pool_bind(sqlite3_stmt *stmt, const struct pool_key *k)
{
	int rc = bind_text(stmt, ":pool_test", k->test);

	if (rc == SQLITE_OK)
		rc = bind_text(stmt, ":pool_suite", k->suite);
	if (rc == SQLITE_OK)
		rc = bind_int(stmt, ":pool_kernel_id", k->kernel_id);
	if (rc == SQLITE_OK)
		rc = bind_text(stmt, ":pool_kconfig_set",
			       k->kconfig_set ? k->kconfig_set : "");
	if (rc == SQLITE_OK)
		rc = bind_int(stmt, ":pool_guest_cpus", k->guest_cpus);
	if (rc == SQLITE_OK)
		rc = bind_int(stmt, ":pool_guest_mem_mb", k->guest_mem_mb);
	if (rc == SQLITE_OK)
		rc = bind_text(stmt, ":pool_stress", k->stress ? k->stress : "");
	if (rc == SQLITE_OK)
		rc = bind_text(stmt, ":pool_executor", k->executor ? k->executor
						     : POOL_EXECUTOR_LOCAL);
	return rc == SQLITE_OK ? 0 : error("pool: cannot bind the key");
}

static char *col_dup(sqlite3_stmt *stmt, int col)
{
	return xstrdup(store_col_text(stmt, col));
}

int pool_key_list_read(sqlite3_stmt *stmt, struct pool_key **out)
{
	struct pool_key *v = NULL;
	size_t n = 0, alloc = 0;

	*out = NULL;
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		ALLOC_GROW(v, n, alloc);
		memset(&v[n], 0, sizeof(v[n]));
		pool_key_from_row(stmt, 0, &v[n++]);
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void pool_key_from_row(sqlite3_stmt *stmt, int col, struct pool_key *k)
{
	free(k->kconfig_set);
	free(k->stress);
	free(k->executor);
	k->kernel_id = sqlite3_column_int64(stmt, col);
	k->kconfig_set = col_dup(stmt, col + 1);
	k->guest_cpus = sqlite3_column_int(stmt, col + 2);
	k->guest_mem_mb = sqlite3_column_int(stmt, col + 3);
	k->stress = col_dup(stmt, col + 4);
	k->executor = col_dup(stmt, col + 5);
}

int pool_key_of_run(struct store *st, long long run_id, struct pool_key *k)
{
	sqlite3_stmt *stmt;
	int ret = -1;

	memset(k, 0, sizeof(*k));
	stmt = store_prepare(st, "SELECT " POOL_RUN_COLUMNS " FROM runs r "
			     "WHERE r.id = ?", "I", run_id);
	if (!stmt)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		pool_key_from_row(stmt, 0, k);
		ret = 0;
	}
	sqlite3_finalize(stmt);
	return ret;
}

int pool_line_parse(const char *text, struct pool_key *k)
{
	json_t *v = json_loads(text ? text : "", 0, NULL);
	const char *kc = NULL, *stress = NULL, *exec = NULL;
	int cpus = 0, mem = 0, ret = -1;

	memset(k, 0, sizeof(*k));
	if (v && !json_unpack(v, "[s, i, i, s, s]", &kc, &cpus, &mem, &stress,
			      &exec)) {
		k->kconfig_set = xstrdup(kc);
		k->guest_cpus = cpus;
		k->guest_mem_mb = mem;
		k->stress = xstrdup(stress);
		k->executor = xstrdup(exec);
		ret = 0;
	}
	json_decref(v);
	return ret;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void pool_key_copy(struct pool_key *dst, const struct pool_key *src)
{
	*dst = *src;
	dst->test = dup_or_null(src->test);
	dst->suite = dup_or_null(src->suite);
	dst->kconfig_set = dup_or_null(src->kconfig_set);
	dst->stress = dup_or_null(src->stress);
	dst->executor = dup_or_null(src->executor);
}

void pool_key_release(struct pool_key *k)
{
	free(k->test);
	free(k->suite);
	free(k->kconfig_set);
	free(k->stress);
	free(k->executor);
	memset(k, 0, sizeof(*k));
}

static int same_str(const char *a, const char *b, const char *dflt)
{
	return !strcmp(a ? a : dflt, b ? b : dflt);
}

int pool_key_same(const struct pool_key *a, const struct pool_key *b,
		  enum pool_scope scope)
{
	if (a->test && b->test && (strcmp(a->test, b->test) ||
				   !same_str(a->suite, b->suite, "")))
		return 0;
	if (scope == POOL_KERNEL && a->kernel_id != b->kernel_id)
		return 0;
	return same_str(a->kconfig_set, b->kconfig_set, "") &&
	       a->guest_cpus == b->guest_cpus &&
	       a->guest_mem_mb == b->guest_mem_mb &&
	       same_str(a->stress, b->stress, "") &&
	       same_str(a->executor, b->executor, POOL_EXECUTOR_LOCAL);
}

/* "file:NAME@SHA1": a fragment outside both roots, named by its content. */
static char *file_identity(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *base = strrchr(path, '/');
	char hex[41];
	char *s;

	base = base ? base + 1 : path;
	if (util_read_file(path, &sb, 16 << 20))
		return xasprintf("file:%s", path);
	util_sha1_hex(sb.buf, sb.len, hex);
	strbuf_release(&sb);
	s = xasprintf("file:%s@%.12s", base, hex);
	return s;
}

static char *fragment_identity(const char *path, const char *home,
			       const char *tree)
{
	char *real = util_realpath(path), *id;

	/* The tree first: a cache may live inside kflake's checkout. */
	if (tree && util_path_under(real, tree) && strcmp(real, tree))
		id = xasprintf("tree:%s", real + strlen(tree) + 1);
	else if (home && util_path_under(real, home) && strcmp(real, home))
		id = xasprintf("kflake:%s", real + strlen(home) + 1);
	else
		id = file_identity(real);
	free(real);
	return id;
}

char *pool_kconfig_set(const char *const *paths, size_t n,
		       const char *tree_path)
{
	char *home = util_realpath(util_home());
	char *tree = tree_path ? util_realpath(tree_path) : NULL;
	json_t *a = json_array();
	size_t i;
	char *s;

	for (i = 0; i < n; i++) {
		char *id = fragment_identity(paths[i], home, tree);

		/* Paths are bytes: keep them even when not UTF-8. */
		json_array_append_new(a, json_string_nocheck(id));
		free(id);
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	free(home);
	free(tree);
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *pool_stress_canonical(const char *modes)
{
	char *copy = xstrdup(modes ? modes : ""), *save = NULL, *w;
	const char **v = NULL;
	size_t n = 0, alloc = 0, i;
	struct strbuf sb = STRBUF_INIT;

	for (w = strtok_r(copy, ", \t\n", &save); w;
	     w = strtok_r(NULL, ", \t\n", &save)) {
		ALLOC_GROW(v, n, alloc);
		v[n++] = w;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		if (sb.len)
			strbuf_addch(&sb, ',');
		strbuf_addstr(&sb, v[i]);
	}
	free(v);
	free(copy);
	return sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

/* "base.config+net/config": each fragment's last two path parts. */
static void describe_kconfig(struct strbuf *sb, const char *set)
{
	json_t *a = json_loads(set ? set : "", 0, NULL), *v;
	size_t i;

	if (!json_is_array(a) || !json_array_size(a)) {
		strbuf_addstr(sb, "kconfig unknown");
		json_decref(a);
		return;
	}
	strbuf_addstr(sb, "kconfig ");
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v), *p, *at;

		if (!s)
			continue;
		p = strchr(s, ':');
		p = p ? p + 1 : s;
		if (util_starts_with(p, "kconfigs/"))
			p += strlen("kconfigs/");
		else if (util_starts_with(p, "tools/testing/selftests/"))
			p += strlen("tools/testing/selftests/");
		at = strrchr(p, '@');
		if (i)
			strbuf_addch(sb, '+');
		strbuf_add(sb, p, at && util_starts_with(s, "file:") ?
			   (size_t)(at - p) : strlen(p));
	}
	json_decref(a);
}

json_t *pool_key_json(const struct pool_key *k)
{
	json_t *set = json_loads(k->kconfig_set ? k->kconfig_set : "", 0,
				 NULL);

	if (!json_is_array(set)) {
		json_decref(set);
		set = json_array();
	}
	/* An executor can be an import's (nipa:REMOTE/...): any bytes. */
	return json_pack("{s:I, s:o, s:i, s:i, s:o, s:o}", "kernel_id",
			 (json_int_t)k->kernel_id, "kconfig_set", set,
			 "guest_cpus", k->guest_cpus, "guest_mem_mb",
			 k->guest_mem_mb, "stress",
			 utf8_json_str(k->stress ? k->stress : ""), "executor",
			 utf8_json_str(k->executor ? k->executor
						   : POOL_EXECUTOR_LOCAL));
}

char *pool_describe(const struct pool_key *k)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%d vCPU%s, %d MiB, ", k->guest_cpus,
		    k->guest_cpus == 1 ? "" : "s", k->guest_mem_mb);
	describe_kconfig(&sb, k->kconfig_set);
	if (k->stress && *k->stress)
		strbuf_addf(&sb, ", stress %s", k->stress);
	else
		strbuf_addstr(&sb, ", no stress");
	strbuf_addf(&sb, ", %s", k->executor && *k->executor ? k->executor
							     : POOL_EXECUTOR_LOCAL);
	return strbuf_detach(&sb);
}
