/*
 * job.c - the pipeline behind `kflake run` (see job.h). The run row is
 * created first and closed last (done, failed or interrupted), so every
 * attempt, even one whose kernel did not build, is on record.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <jansson.h>

#include "artefact.h"
#include "build.h"
#include "cmdlog.h"
#include "ctest.h"
#include "job.h"
#include "kconfig.h"
#include "pool.h"
#include "record.h"
#include "report.h"
#include "runcmd.h"
#include "selftest.h"
#include "stats.h"
#include "session.h"
#include "stress.h"
#include "slurmrun.h"
#include "store.h"
#include "tree.h"
#include "util.h"
#include "vm.h"

static const char *const default_tests[] = {
	"net:udpgro_frglist.sh", "net:udpgro_bench.sh",
};

size_t job_default_count(void)
{
	return ARRAY_SIZE(default_tests);
}

const char *job_default_test(size_t i)
{
	return i < ARRAY_SIZE(default_tests) ? default_tests[i] : NULL;
}

/*
 * A kselftest by its script (net:udpgro.sh -> udpgro.sh), a path or C
 * source by its file name, unless the plan gave a name.
 */
char *job_test_label(const char *arg, const struct job_test *x)
{
	const char *slash;

	if (x && x->name)
		return xstrdup(x->name);
	slash = strrchr(arg, '/');
	if (slash)
		return xstrdup(slash + 1);
	slash = strchr(arg, ':');
	return xstrdup(slash ? slash + 1 : arg);
}

/* The suite selftest_parse() gives it: the target, or "path". */
char *job_test_suite(const char *arg)
{
	const char *colon = strchr(arg, ':');

	if (strchr(arg, '/') && !colon)
		return xstrdup("path");
	if (ctest_is_source(arg))
		return xstrdup("path");
	return colon ? xstrndup(arg, (size_t)(colon - arg)) : xstrdup("net");
}

void job_opts_init(struct job_opts *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->iterations = JOB_DEFAULT_ITERATIONS;
	o->jobs = n > 0 ? (int)n : 2;
	o->cpus = 2;
	o->mem_mb = 2048;
	o->progress = PROGRESS_AUTO;
	o->kind = "run";
	o->executor = "local";
}

static int bad_value(const char *opt, const char *val, const char *what)
{
	error("%s %s: %s", opt, val, what);
	return -1;
}

int job_opts_parse(struct job_opts *o, int opt, const char *arg)
{
	long v;

	switch (opt) {
	case JOB_OPT_TREE:
		o->tree = arg;
		break;
	case JOB_OPT_REF:
		o->ref = arg;
		break;
	case JOB_OPT_TEST:
		ALLOC_GROW(o->tests, o->ntests, o->tests_alloc);
		o->tests[o->ntests++] = arg;
		break;
	case JOB_OPT_KCONFIG:
		if (access(arg, R_OK))
			return bad_value("--kconfig", arg, "cannot read file");
		ALLOC_GROW(o->kconfigs, o->nkconfigs, o->kconfigs_alloc);
		o->kconfigs[o->nkconfigs++] = arg;
		break;
	case JOB_OPT_ITER:
		if (util_parse_int(arg, 1, 100000, &v))
			return bad_value("--iterations", arg,
					 "expected a whole number from 1 to 100000");
		o->iterations = (int)v;
		o->iterations_set = 1;
		break;
	case JOB_OPT_TIMEOUT:
		if (util_parse_duration(arg, &o->timeout) || o->timeout < 1)
			return bad_value("--timeout", arg,
					 "expected a duration such as 90, 90s or 5m");
		break;
	case JOB_OPT_IDLE:
		if (util_parse_duration(arg, &o->idle))
			return bad_value("--idle", arg,
					 "expected a duration such as 30s (0: off)");
		o->idle_set = 1;
		break;
	case JOB_OPT_JOBS:
		if (util_parse_int(arg, 1, 1024, &v))
			return bad_value("--jobs", arg, "expected 1 to 1024");
		o->jobs = (int)v;
		break;
	case JOB_OPT_CPUS:
		if (util_parse_int(arg, 1, 64, &v))
			return bad_value("--cpus", arg, "expected 1 to 64");
		o->cpus = (int)v;
		break;
	case JOB_OPT_MEM:
		if (util_parse_int(arg, 256, 65536, &v))
			return bad_value("--mem", arg, "expected 256 to 65536 (MB)");
		o->mem_mb = (int)v;
		break;
	case JOB_OPT_STRESS:
		return stress_parse(arg, &o->stress);
	case JOB_OPT_VMS:
		if (!strcmp(arg, "auto"))
			o->vms = 0;
		else if (util_parse_int(arg, 1, VM_POLL_MAX, &v))
			return bad_value("--vms", arg, "expected auto or 1 to 64");
		else
			o->vms = (int)v;
		break;
	case JOB_OPT_EXECUTOR:
		if (strcmp(arg, "local") && strcmp(arg, "slurm"))
			return bad_value("--executor", arg,
					 "expected local or slurm");
		o->executor = arg;
		break;
	case JOB_OPT_PARTITION:
		if (!*arg || arg[0] == '-' || strpbrk(arg, " \t\n"))
			return bad_value("--partition", arg,
					 "expected a Slurm partition name");
		o->partition = arg;
		break;
	case JOB_OPT_TASKS:
		if (util_parse_int(arg, 1, SLURMRUN_MAX_TASKS, &v))
			return bad_value("--tasks", arg, "expected 1 to 1000");
		o->tasks = (int)v;
		break;
	case JOB_OPT_SHARED:
		if (arg[0] != '/')
			return bad_value("--shared", arg,
					 "expected an absolute path");
		o->shared = arg;
		break;
	case JOB_OPT_DB:
		o->db = arg;
		break;
	case JOB_OPT_QUIET:
	case 'q':
		o->progress = PROGRESS_QUIET;
		break;
	case JOB_OPT_JSON:
		o->progress = PROGRESS_JSON;
		break;
	case JOB_OPT_NO_SANDBOX:
		o->no_sandbox = 1;
		break;
	default:
		return 1;
	}
	return 0;
}

int job_opts_check(const struct job_opts *o)
{
	size_t i;

	if (!strcmp(o->executor, "slurm")) {
		/* Slices are cut up front: a test cannot stop half-way. */
		for (i = 0; o->test_opts && i < o->ntests; i++)
			if (o->test_opts[i].until_decided)
				break;
		if (o->until_decided || (o->test_opts && i < o->ntests))
			return error("--until decided needs --executor local "
				     "(Slurm runs every planned iteration)");
		/* The worker's guests are not stressed: do not say they were. */
		if (o->stress)
			return error("--stress needs --executor local");
		return 0;
	}
	if (o->partition || o->tasks || o->shared)
		return error("--partition, --tasks and --shared need "
			     "--executor slurm");
	return 0;
}

void job_opts_release(struct job_opts *o)
{
	free(o->tests);
	free(o->kconfigs);
	memset(o, 0, sizeof(*o));
}

static char *argv_json(const struct job_opts *o)
{
	const char **v = xcalloc((size_t)o->argc + 1, sizeof(*v));
	char *s;
	int i;

	v[0] = "kflake";
	for (i = 0; i < o->argc; i++)
		v[i + 1] = o->argv[i];
	s = record_json_strings(v, (size_t)o->argc + 1);
	free(v);
	return s;
}

static char *tests_json(char *const *labels, size_t n)
{
	return record_json_strings((const char *const *)labels, n);
}

static long long kernel_row(struct store *st, long long tree_id,
			    const git_oid *commit, const struct build_result *b,
			    const char *frags_json, int ok)
{
	struct record_kernel k = {
		.tree_id = tree_id, .commit_id = tree_oid_hex(commit),
		.config_hash = b->config_hash, .compiler = b->compiler,
		.cache_key = b->key, .fragments_json = frags_json,
		.config = b->config, .config_warnings = b->warnings, .ok = ok,
		.build_seconds = b->cached ? 0.0 : b->seconds,
		.build_log = b->log_path, .error = b->error,
	};
	struct strbuf img = STRBUF_INIT;
	char sha[41] = "";

	if (ok && !util_read_file(b->image, &img, 256 << 20))
		util_sha1_hex(img.buf, img.len, sha);
	strbuf_release(&img);
	k.image_path = ok ? b->image : NULL;
	k.image_sha1 = ok ? sha : NULL;
	return record_kernel_save(st, &k);
}

static void build_progress(void *data, const char *what, double elapsed)
{
	char buf[32];

	(void)data;
	progress_fmt_duration(elapsed, buf);
	progress_status("%s, %s", what, buf);
}

struct job {
	const struct job_opts *o;
	struct job_result *res;
	struct store st;
	struct tree tree;
	git_oid commit;
	struct selftest *tests;
	size_t ntests;
	char **labels;		/* the names results are recorded under */
	const char **frags;
	size_t nfrag, frag_alloc;
	struct build_result build;
	char *payload;
	int sandboxed;		/* builds run in bwrap (not --no-sandbox) */
	long long tree_id;
	long long run_id;
	long long kernel_id;
	struct pool_key pool;	/* the run's part of the pooling key */
	int vms;		/* guests at once */
};

static void add_fragment(struct job *j, char *path)
{
	size_t i;

	for (i = 0; i < j->nfrag; i++) {
		if (!strcmp(j->frags[i], path)) {
			free(path);
			return;
		}
	}
	ALLOC_GROW(j->frags, j->nfrag, j->frag_alloc);
	j->frags[j->nfrag++] = path;
}

/*
 * A test given by path declares no kconfig needs: it runs on the kernel
 * of the default tests, so custom tests share that (cached) build.
 */
static int default_fragments(struct job *j)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(default_tests); i++) {
		struct selftest t;
		char *f;

		if (selftest_parse(default_tests[i], j->tree.path, &t))
			return -1;
		f = selftest_kconfig(&t, j->tree.path);
		if (f)
			add_fragment(j, f);
		selftest_release(&t);
	}
	return 0;
}

/* A broken fragment is the user's input error: say so before any run. */
static int check_fragments(struct job *j)
{
	struct kconfig kc = { 0 };
	size_t i;
	int ret = 0;

	for (i = 0; i < j->nfrag && !ret; i++)
		ret = kconfig_merge_file(&kc, j->frags[i], NULL);
	kconfig_release(&kc);
	return ret;
}

/*
 * One test: a C source is compiled first and runs as a path test,
 * recorded under the source's name (tfo.c) unless the plan names it.
 */
static int parse_test(struct job *j, const char *arg, size_t i)
{
	const struct job_test *x = j->o->test_opts ? &j->o->test_opts[i] : NULL;
	char *bin = NULL;
	int ret;

	if (ctest_is_source(arg)) {
		progress_step("test", "compiling %s (static)", arg);
		if (ctest_build(arg, &bin))
			return -1;
	}
	ret = selftest_parse(bin ? bin : arg, j->tree.path, &j->tests[i]);
	free(bin);
	if (ret)
		return -1;
	j->labels[i] = job_test_label(arg, x);
	return 0;
}

static int parse_tests(struct job *j)
{
	const struct job_opts *o = j->o;
	const char *const *names = o->ntests ? o->tests : default_tests;
	size_t n = o->ntests ? o->ntests : ARRAY_SIZE(default_tests), i;

	j->tests = xcalloc(n, sizeof(*j->tests));
	j->labels = xcalloc(n, sizeof(*j->labels));
	for (i = 0; i < n; i++) {
		if (parse_test(j, names[i], i))
			return -1;
		j->ntests++;
	}
	add_fragment(j, xasprintf("%s/kconfigs/base.config", util_home()));
	for (i = 0; i < j->ntests; i++) {
		char *f = selftest_kconfig(&j->tests[i], j->tree.path);

		if (f)
			add_fragment(j, f);
		else if (default_fragments(j))
			return -1;
	}
	for (i = 0; i < o->nkconfigs; i++)
		add_fragment(j, xstrdup(o->kconfigs[i]));
	return check_fragments(j);
}

static int fail_run(struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail_run(struct job *j, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	error("%s", sb.buf);
	if (j->run_id > 0)
		record_run_finish(&j->st, j->run_id, "failed", sb.buf);
	strbuf_release(&sb);
	return KFLAKE_EXIT_FAIL;
}

/*
 * Who wrote the code being built: a series or a tree from a URL is a
 * stranger's (untrusted: private layers over ccache and, for a series,
 * over the object directory the base's trusted builds use). Only a
 * local tree or the default source (Debian's package, installed by
 * apt) may be built outside the sandbox, and the run says so.
 */
static int choose_isolation(struct job *j, struct build_opts *bo)
{
	enum tree_origin origin = tree_origin(&j->tree);
	const char *how;

	if (j->o->no_sandbox && (origin == TREE_ORIGIN_URL ||
				 j->o->series_id > 0))
		return fail_run(j, "--no-sandbox: only for a local tree "
				"(--tree PATH) or the default source; series "
				"and trees from URLs are always built in the "
				"sandbox");
	bo->isolation = BUILD_SANDBOXED;
	how = "bwrap";
	if (j->o->series_id > 0 || origin == TREE_ORIGIN_URL) {
		bo->isolation = BUILD_UNTRUSTED;
		bo->layered_objdir = origin != TREE_ORIGIN_URL;
		how = "bwrap-untrusted";
	} else if (j->o->no_sandbox) {
		bo->isolation = BUILD_UNSANDBOXED;
		how = "none";
		progress_step("build", "--no-sandbox: building %s on the host",
			      j->tree.source);
	}
	j->sandboxed = bo->isolation != BUILD_UNSANDBOXED;
	return record_run_set(&j->st, j->run_id, "build_sandbox", how) ?
		       KFLAKE_EXIT_FAULT : 0;
}

static int do_build(struct job *j)
{
	struct build_opts bo = { 0 };
	char *frags_json;
	int rc;

	rc = choose_isolation(j, &bo);
	if (rc)
		return rc;
	frags_json = record_json_strings(j->frags, j->nfrag);
	bo.tree = &j->tree;
	git_oid_cpy(&bo.commit, &j->commit);
	bo.fragments = j->frags;
	bo.nfrag = j->nfrag;
	bo.jobs = j->o->jobs;
	bo.progress = build_progress;
	record_run_set(&j->st, j->run_id, "fragments", frags_json);
	record_run_progress(&j->st, j->run_id, "build", NULL);
	progress_step("build", "kernel %s with %zu fragment(s)",
		      tree_oid_short(&j->commit), j->nfrag);
	rc = build_kernel(&bo, &j->build);
	progress_clear();
	if (j->build.key[0])
		j->kernel_id = kernel_row(&j->st, j->tree_id, &j->commit,
					  &j->build, frags_json, !rc);
	free(frags_json);
	if (j->kernel_id > 0)
		record_run_set_kernel(&j->st, j->run_id, j->kernel_id);
	if (rc && util_interrupted)
		return 130;
	if (rc) {
		if (j->res)
			j->res->build_failed = 1;
		rc = fail_run(j, "kernel %s does not build: %s (full log: %s)",
			      tree_oid_short(&j->commit),
			      j->build.error ? j->build.error : "unknown error",
			      j->build.log_path ? j->build.log_path : "none");
		cmdlog_show_tail(j->build.log_path);
		return rc;
	}
	if (j->build.cached)
		progress_step("build", "cached image %s", j->build.image);
	else
		progress_step("build", "built %s in %.0f s", j->build.image,
			      j->build.seconds);
	if (j->build.warnings && *j->build.warnings && !util_quiet())
		fprintf(stderr, "kflake: config: values not in the final "
			".config:\n%s", j->build.warnings);
	return 0;
}

static int do_payload(struct job *j)
{
	char *real;
	int cached = 0;

	record_run_progress(&j->st, j->run_id, "payload", NULL);
	if (selftest_payload(j->tests, j->ntests, j->tree.path,
			     j->build.headers, tree_oid_hex(&j->commit),
			     j->sandboxed, &j->payload, &cached))
		return fail_run(j, "cannot build the test payload");
	progress_step("payload", "%s %s", cached ? "cached" : "built",
		      j->payload);
	/*
	 * The guest resolves symlinks in its own namespace, where /tmp is
	 * a tmpfs: a cache reached through a link must be named by its
	 * real path in the plan and the keep file.
	 */
	real = util_realpath(j->payload);
	free(j->payload);
	j->payload = real;
	return 0;
}

/* p99 of a column over the last passes in key's pool; how many passes. */
static int pass_p99(struct store *st, const struct pool_key *key,
		    enum pool_scope scope, enum record_pass_column column,
		    double *p99)
{
	double *v = NULL;
	size_t n;

	n = record_pass_history(st, key, scope, column, JOB_HISTORY, &v);
	if (n)
		*p99 = stats_percentile(v, n, 99);
	free(v);
	return (int)n;
}

/*
 * The history a limit is learned from: this kernel's passes when it has
 * enough, else those of its line (a new commit starts from its
 * predecessors'). Returns how many passes, and the scope in *scope.
 */
static int pool_p99(struct job *j, const struct selftest *t,
		    enum record_pass_column column, double *p99,
		    enum pool_scope *scope)
{
	struct pool_key key = j->pool;
	int n;

	key.test = (char *)t->name;
	key.suite = (char *)t->suite;
	key.kernel_id = j->kernel_id;
	*scope = POOL_KERNEL;
	n = pass_p99(&j->st, &key, POOL_KERNEL, column, p99);
	if (n >= JOB_MIN_HISTORY)
		return n;
	*scope = POOL_LINE;
	return pass_p99(&j->st, &key, POOL_LINE, column, p99);
}

/*
 * Stall limits: what the user gave, else learned from this test's passing
 * history (a multiple of the p99 runtime, and of the p99 longest silence
 * for the output watchdog), never above the target's settings timeout;
 * with too little history, the settings timeout capped at 180 s and no
 * output watchdog.
 */
static void learn_limits(struct job *j, const struct selftest *t,
			 double *timeout, double *idle)
{
	const struct job_opts *o = j->o;
	double cap = t->settings_timeout, p99 = 0;
	enum pool_scope scope, iscope;
	int n;

	*timeout = cap < JOB_MAX_DEFAULT_TIMEOUT ? cap : JOB_MAX_DEFAULT_TIMEOUT;
	n = pool_p99(j, t, RECORD_GUEST_DURATION, &p99, &scope);
	if (n >= JOB_MIN_HISTORY) {
		double learned = JOB_TIMEOUT_FACTOR * p99;

		if (learned < JOB_MIN_TIMEOUT)
			learned = JOB_MIN_TIMEOUT;
		*timeout = learned < cap ? learned : cap;
	}
	if (o->timeout > 0)
		*timeout = o->timeout;
	*idle = 0;
	if (o->idle >= 0 && o->idle_set) {
		*idle = o->idle;
	} else if (pool_p99(j, t, RECORD_MAX_SILENCE, &p99, &iscope) >=
		   JOB_MIN_HISTORY) {
		double learned = JOB_TIMEOUT_FACTOR * p99;

		*idle = learned < JOB_MIN_IDLE ? JOB_MIN_IDLE : learned;
		if (*idle >= *timeout)
			*idle = 0;
	}
	if (*idle > 0)
		progress_step("limits", "%s: stall after %.0f s, or after %.0f s "
			      "without output (%d passing iteration(s) of "
			      "history on %s)", t->name, *timeout, *idle, n,
			      scope == POOL_KERNEL ? "this kernel"
						   : "kernels like it");
	else
		progress_step("limits", "%s: stall after %.0f s (%d passing "
			      "iteration(s) of history on %s)", t->name,
			      *timeout, n, scope == POOL_KERNEL ? "this kernel"
							      : "kernels like it");
	if (*idle <= 0)
		*idle = 0;
}

/*
 * A test as the session runs it: its name becomes the label (after the
 * command was made from the script's own name), and its sysctls go into
 * a wrapper the guest runs instead.
 */
static int setup_test(struct job *j, struct session *s, size_t i)
{
	const struct job_test *x = j->o->test_opts ? &j->o->test_opts[i] : NULL;
	struct session_test *st = &s->tests[i];
	struct selftest *t = &j->tests[i];

	st->t = t;
	st->run_dir = selftest_run_dir(t, j->payload);
	st->cmd = selftest_command(t);
	free(t->name);
	t->name = xstrdup(j->labels[i]);
	learn_limits(j, t, &st->timeout, &st->idle);
	st->until_decided = j->o->until_decided;
	if (x) {
		st->target = x->iterations;
		st->until_decided |= x->until_decided;
		st->prior_failures = x->prior_failures;
		st->prior_runs = x->prior_runs;
	}
	if (x && x->nsysctls) {
		char *dir = xasprintf("%s/wrap-%zu", s->workdir, i);

		if (ctest_wrapper(dir, st->run_dir, st->cmd, x->sysctls,
				  x->nsysctls)) {
			free(dir);
			return -1;
		}
		/* The wrapper cds there: the guest must see it too. */
		st->inner_dir = st->run_dir;
		free(st->cmd);
		st->run_dir = dir;
		st->cmd = xstrdup("./run");
	}
	return 0;
}

/*
 * Guests at once: what the user said, else what the host holds. More
 * guests than the host has CPUs for share them: each runs slower, so the
 * run is pooled apart (stress mode "overcommit", docs/SCALING.md) and
 * says so.
 */
static int pick_vms(struct job *j, int *overcommit)
{
	const struct job_opts *o = j->o;
	int items = o->iterations * (int)j->ntests;
	long host = sysconf(_SC_NPROCESSORS_ONLN);
	int n;

	*overcommit = 0;
	/* Slurm places tasks itself: one guest per task unless told. */
	if (o->vms || !strcmp(o->executor, "slurm"))
		n = o->vms ? o->vms : 1;
	else
		n = session_auto_vms_here(o->cpus, o->mem_mb, items);
	if (n > items)
		n = items;
	if (strcmp(o->executor, "slurm") && host > 0 &&
	    (long)n * o->cpus > host)
		*overcommit = 1;
	return n;
}

static void show_vms(struct job *j, int overcommit)
{
	const struct job_opts *o = j->o;
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", j->vms);
	record_run_set(&j->st, j->run_id, "vms", buf);
	if (strcmp(o->executor, "slurm") && (j->vms > 1 || o->vms))
		progress_step("run", "%d guest(s) at once (%s), %d vCPU(s) "
			      "each, %ld host CPU(s)%s", j->vms,
			      o->vms ? "--vms" : "auto", o->cpus,
			      sysconf(_SC_NPROCESSORS_ONLN), overcommit ?
			      ": oversubscribed, pooled as stress "
			      "'overcommit'" : "");
}

/* "interrupted; 7 iteration(s) kept; not finished: a.sh k=4" */
static char *interrupted_why(int kept, const struct strbuf *missing)
{
	if (!missing->len)
		return xasprintf("interrupted; %d iteration(s) kept", kept);
	return xasprintf("interrupted; %d iteration(s) kept; not finished: %s",
			 kept, missing->buf);
}

/*
 * A megabyte held in the artefact directory (beside the database) and
 * given back when the disk fills during the run, so the run can still
 * be closed as failed, with the reason, in the database.
 */
#define RESERVE_BYTES (1 << 20)

static char *reserve_space(struct store *st)
{
	char *dir = artefact_dir(st), *path = xasprintf("%s/.reserve", dir);
	int fd;

	free(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || posix_fallocate(fd, 0, RESERVE_BYTES)) {
		if (fd >= 0)
			close(fd);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

static int do_session(struct job *j)
{
	struct session s = { 0 };
	char *init = xasprintf("%s/runners/init", util_home()), *reserve;
	size_t i;
	int rc;

	s.st = &j->st;
	s.run_id = j->run_id;
	s.kernel_id = j->kernel_id;
	s.ntests = j->ntests;
	s.tests = xcalloc(j->ntests, sizeof(*s.tests));
	s.workdir = artefact_run_dir(&j->st, j->run_id);
	for (i = 0; i < j->ntests; i++) {
		if (setup_test(j, &s, i)) {
			rc = fail_run(j, "run %lld: cannot prepare %s", j->run_id,
				      j->labels[i]);
			s.ntests = i + 1;
			goto out;
		}
	}
	s.iterations = j->o->iterations;
	s.enough = j->o->enough;
	s.enough_data = j->o->enough_data;
	s.kernel = j->build.image;
	s.payload = j->payload;
	/* Decoding only adds file:line, which needs the image's debug info. */
	if (j->build.config && strstr(j->build.config, "\nCONFIG_DEBUG_INFO=y")) {
		s.vmlinux = j->build.vmlinux;
		s.srcdir = j->tree.path;
	}
	s.cpus = j->o->cpus;
	s.mem_mb = j->o->mem_mb;
	s.stress = j->o->stress;
	s.vms = j->vms;
	record_run_progress(&j->st, j->run_id, "boot", NULL);
	if (!strcmp(j->o->executor, "slurm")) {
		struct slurmrun_opts so = { .partition = j->o->partition,
					    .tasks = j->o->tasks,
					    .shared = j->o->shared };

		rc = slurmrun_execute(&s, &so);
	} else {
		s.accel = vm_pick_accel(j->build.image, init);
		record_run_set(&j->st, j->run_id, "accel", s.accel);
		reserve = reserve_space(&j->st);
		rc = session_execute(&s);
		if (rc < 0 && s.disk_full && reserve)
			unlink(reserve);
		free(reserve);
	}
	if (rc < 0) {
		rc = fail_run(j, "run %lld stopped: %s", j->run_id,
			      s.abort_reason ? s.abort_reason : "unknown");
		cmdlog_show_tail(s.abort_log);
	} else if (rc > 0) {
		char *why = interrupted_why(s.items_done, &s.missing);

		record_run_finish(&j->st, j->run_id, "interrupted", why);
		progress_step("run", "%s", why);
		free(why);
		rc = 130;
	} else {
		record_run_finish(&j->st, j->run_id, "done", NULL);
	}
	if (j->res) {
		for (i = 0; i < j->ntests; i++) {
			int k;

			for (k = 0; k < OUTCOME_NR; k++)
				j->res->counts[k] += s.tests[i].counts[k];
		}
	}
out:
	session_release(&s);
	free(init);
	return rc;
}

static int start_run(struct job *j)
{
	struct record_run r = { 0 };
	char *aj = argv_json(j->o), *tj = tests_json(j->labels, j->ntests);
	char *kset = pool_kconfig_set(j->frags, j->nfrag, j->tree.path);
	char *stress;
	int overcommit;

	j->vms = pick_vms(j, &overcommit);
	stress = stress_name(j->o->stress |
			     (overcommit ? STRESS_OVERCOMMIT : 0));
	r.kind = j->o->kind;
	r.tree_id = j->tree_id;
	r.ref = j->o->ref ? j->o->ref : "HEAD";
	r.commit_id = tree_oid_hex(&j->commit);
	r.series_id = j->o->series_id;
	r.bisect_id = j->o->bisect_id;
	r.tests_json = tj;
	r.iterations = j->o->iterations;
	r.argv_json = aj;
	r.guest_cpus = j->o->cpus;
	r.guest_mem_mb = j->o->mem_mb;
	r.kconfig_set = kset;
	r.stress = stress;
	r.executor = j->o->executor;
	j->run_id = record_run_create(&j->st, &r);
	free(aj);
	free(tj);
	free(kset);
	if (j->run_id <= 0 || pool_key_of_run(&j->st, j->run_id, &j->pool)) {
		free(stress);
		return -1;
	}
	show_vms(j, overcommit);
	if (j->res)
		j->res->run_id = j->run_id;
	if (j->o->started)
		j->o->started(j->o->started_data, j->run_id);
	progress_step("run", "run %lld: %s at %s, %zu test(s) x %s%d%s%s",
		      j->run_id, j->tree.source, tree_oid_short(&j->commit),
		      j->ntests, j->o->until_decided ? "until decided, at most "
						     : "",
		      j->o->iterations, *stress ? ", stress " : "", stress);
	free(stress);
	return 0;
}

/*
 * The free-space floor: JOB_MIN_FREE_MB, or $KFLAKE_MIN_FREE_MB (a
 * machine with a small data disk, or a test of what happens when the
 * disk fills during a run).
 */
long job_min_free_mb(void)
{
	const char *env = getenv("KFLAKE_MIN_FREE_MB");
	long v;

	if (env && *env && !util_parse_int(env, 0, 1L << 30, &v))
		return v;
	return JOB_MIN_FREE_MB;
}

/* A full disk mid-build or mid-run looks like a kernel problem: refuse early. */
static int check_disk(const char *dir)
{
	struct statvfs sv;
	long floor = job_min_free_mb();
	double mb;

	if (util_mkdir_p(dir) || statvfs(dir, &sv))
		return error("%s: %s", dir, strerror(errno));
	mb = (double)sv.f_bavail * (double)sv.f_frsize / (1 << 20);
	if (mb < floor)
		return error("%s: only %.0f MB free; kflake needs %ld MB for "
			     "builds, logs and the database (KFLAKE_MIN_FREE_MB "
			     "sets the floor)", dir, mb, floor);
	return 0;
}

/*
 * Whether this run reads the kernel tree's work tree before its boot:
 * a kselftest (its script, its config fragment, its payload) or a
 * --kconfig fragment inside the tree. Runs of path tests and C
 * reproducers read only kflake's and their own files, and a cached
 * image needs no sources, so they skip the checkout: switching the
 * kernel tree to another commit costs 20-25 s (a bisect's runs start
 * 2 s apart on one commit, 20-27 s apart across commits), more than a
 * bisect step's iterations. build_kernel() checks the commit out itself
 * when it has to build. The default tests only lend such a run their
 * fragment, kflake's kconfigs/tests/udpgro.config (their scripts are
 * looked for in the tree as it is).
 */
static int needs_worktree(const struct job *j)
{
	const struct job_opts *o = j->o;
	char *tree = util_realpath(j->tree.path);
	size_t i;
	int ret = 0;

	for (i = 0; i < o->ntests && !ret; i++) {
		const char *t = o->tests[i];

		ret = !ctest_is_source(t) && (!strchr(t, '/') || strchr(t, ':'));
	}
	for (i = 0; i < o->nkconfigs && !ret; i++) {
		char *real = util_realpath(o->kconfigs[i]);

		ret = util_path_under(real, tree);
		free(real);
	}
	free(tree);
	return ret || !o->ntests;
}

static int job_steps(struct job *j)
{
	const struct job_opts *o = j->o;
	char *artefacts;
	int rc;

	session_catch_signals();
	artefacts = artefact_dir(&j->st);
	rc = check_disk(util_cache_dir()) || check_disk(artefacts);
	free(artefacts);
	if (rc)
		return KFLAKE_EXIT_FAIL;
	if (stress_preflight(o->stress, o->cpus))
		return KFLAKE_EXIT_FAIL;
	progress_step("tree", "%s", o->tree ? o->tree : TREE_DEFAULT_SOURCE);
	if (tree_open(&j->tree, o->tree))
		return KFLAKE_EXIT_FAIL;
	if (tree_resolve(&j->tree, o->ref, &j->commit))
		return KFLAKE_EXIT_FAIL;
	if (j->res)
		snprintf(j->res->commit, sizeof(j->res->commit), "%s",
			 tree_oid_hex(&j->commit));
	j->tree_id = record_tree_id(&j->st, j->tree.source, j->tree.path);
	if (tree_lock(&j->tree) ||
	    (needs_worktree(j) && tree_checkout(&j->tree, &j->commit)))
		return KFLAKE_EXIT_FAIL;
	if (parse_tests(j))
		return KFLAKE_EXIT_USAGE;
	if (start_run(j))
		return KFLAKE_EXIT_FAULT;
	rc = do_build(j);
	if (!rc)
		rc = do_payload(j);
	/* The guest reads only the cached image and payload: free the tree. */
	tree_unlock(&j->tree);
	if (!rc && session_interrupted)
		rc = 130;
	if (!rc)
		rc = do_session(j);
	else if (rc == 130)
		record_run_finish(&j->st, j->run_id, "interrupted",
				  "interrupted before the first boot");
	if (j->res)
		j->res->kernel_id = j->kernel_id;
	if (!o->no_report && (rc == 0 || rc == 130))
		report_run(&j->st, j->run_id,
			   o->progress == PROGRESS_JSON ? REPORT_JSON
							: REPORT_TABLE);
	return rc;
}

int job_run(const struct job_opts *o, struct job_result *res)
{
	struct job j = { 0 };
	size_t i;
	int rc;

	j.o = o;
	j.res = res;
	if (res)
		memset(res, 0, sizeof(*res));
	if (job_opts_check(o))
		return KFLAKE_EXIT_USAGE;
	if (store_open(&j.st, o->db, 0))
		return KFLAKE_EXIT_FAIL;
	/* What a SIGKILLed kflake left: its QEMU and builds, then its runs. */
	runcmd_reap_orphans();
	record_reap_stale(&j.st);
	rc = job_steps(&j);
	for (i = 0; i < j.ntests; i++) {
		selftest_release(&j.tests[i]);
		free(j.labels[i]);
	}
	free(j.tests);
	free(j.labels);
	for (i = 0; i < j.nfrag; i++)
		free((char *)j.frags[i]);
	free(j.frags);
	free(j.payload);
	build_result_release(&j.build);
	pool_key_release(&j.pool);
	tree_close(&j.tree);
	store_close(&j.st);
	return rc;
}
