/*
 * builtin/check.c - `kflake check`: build and test one commit and say
 * good or bad in the exit status `git bisect run` expects, so a user can
 * bisect in their own checkout with kflake as the test. It owns the
 * mapping from evidence to an exit code and the "--tree ." convenience
 * (the repository around the current directory, its HEAD as git sees it);
 * the kernel itself goes through job_run() like every other run.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "bisect.h"
#include "builtin.h"
#include "doctor.h"
#include "job.h"
#include "progress.h"
#include "record.h"
#include "stats.h"
#include "tree.h"
#include "util.h"

static const char check_usage[] =
"usage: kflake check --test T [--iterations N | --sprt --p0 X --p1 Y]\n"
"                    [--tree PATH|URL] [--ref REF] [options]\n"
"\n"
"Build one commit, boot it and run the tests; answer in the exit status,\n"
"as `git bisect run` reads it. Inside your own checkout:\n"
"\n"
"    git bisect run kflake check --tree . --ref HEAD --test net:udpgro.sh\n"
"\n"
"  --tree PATH|URL     kernel tree (default: linux-source-6.1); '.' is the\n"
"                      repository around the current directory (kflake\n"
"                      works in its own clone, never in your work tree)\n"
"  --ref REF           commit to test (default: HEAD; with a local --tree,\n"
"                      resolved in that repository, so a `git bisect`\n"
"                      checkout is what gets tested)\n"
"  --test T            test to run; repeatable\n"
"  --iterations N      fixed count (default 10): bad when any failed\n"
"  --sprt              run until Wald's SPRT decides, H0 p0 (good) against\n"
"                      H1 p1 (bad), at most --cap iterations (default 40)\n"
"  --p0 X, --p1 Y      failure rates of a good and of a bad commit\n"
"  --alpha A, --beta B SPRT error rates (default 0.01 each)\n"
"  --kconfig FILE      extra kconfig fragment; repeatable\n"
"  --timeout DUR, --idle DUR, --jobs N, --cpus N, --mem MB, --stress MODES\n"
"                      as for kflake run (see kflake run --help)\n"
"  --db PATH           database\n"
"  -q, --quiet         only the verdict line\n"
"  --json              JSON events, then the verdict as one JSON object\n"
"\n"
"Failures are fail, stall and crash outcomes; error and skip outcomes\n"
"count for nothing. Exit status: 0 good, 1 bad, 125 could not test (the\n"
"kernel does not build or boot, no usable iteration, or the SPRT reached\n"
"the cap undecided), 128 harness fault, a missing prerequisite (see\n"
"kflake doctor) or bad usage (which makes `git bisect run` stop rather\n"
"than mark commits), 130 interrupted.\n";

enum {
	OPT_SPRT = JOB_OPT_LAST, OPT_P0, OPT_P1, OPT_ALPHA, OPT_BETA, OPT_CAP,
};

static const struct option check_options[] = {
	JOB_LONG_OPTIONS,
	{ "sprt", no_argument, NULL, OPT_SPRT },
	{ "p0", required_argument, NULL, OPT_P0 },
	{ "p1", required_argument, NULL, OPT_P1 },
	{ "alpha", required_argument, NULL, OPT_ALPHA },
	{ "beta", required_argument, NULL, OPT_BETA },
	{ "cap", required_argument, NULL, OPT_CAP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct check {
	struct job_opts o;
	int sprt;
	int cap;
	struct stats_sprt s;
	char *tree;		/* absolute top of a local repository, or NULL */
	char *ref;		/* resolved commit id when found locally */
};

static int check_enough(void *data, const long *counts)
{
	const struct check *c = data;
	struct bisect_evidence ev = { 0 };

	bisect_evidence_add(&ev, counts);
	return bisect_step_verdict(&c->s, c->cap, &ev, 0) != BISECT_CONTINUE;
}

static int parse_rate(const char *opt, const char *arg, double lo, double hi,
		      double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (!*arg || *end || !(v >= lo && v <= hi))
		return error("%s %s: expected a number from %g to %g", opt, arg,
			     lo, hi);
	*out = v;
	return 0;
}

/*
 * A local --tree names the user's repository: kflake clones it into the
 * cache under its absolute path (so "." in two checkouts are two trees),
 * and the ref is resolved there, where `git bisect` moved HEAD, then
 * fetched into the clone by name when the clone lacks it.
 */
static int resolve_local(struct check *c, const char *tree, const char *ref)
{
	git_repository *repo = NULL;
	git_object *obj = NULL;
	git_reference *named = NULL;
	char real[PATH_MAX];
	const char *top;
	int ret = -1;

	if (!tree || access(tree, F_OK))
		return 0;	/* a URL or the default tree */
	if (git_repository_open_ext(&repo, tree, 0, NULL)) {
		error("%s: not in a git repository: %s", tree, tree_git_error());
		goto out;
	}
	top = git_repository_workdir(repo) ? git_repository_workdir(repo)
					   : git_repository_path(repo);
	if (!realpath(top, real)) {
		error("%s: cannot resolve the path", top);
		goto out;
	}
	c->tree = xstrdup(real);
	if (git_revparse_single(&obj, repo, ref ? ref : "HEAD")) {
		error("%s: unknown ref '%s'", real, ref ? ref : "HEAD");
		goto out;
	}
	{
		git_object *commit = NULL;

		if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) {
			error("%s: '%s' is not a commit", real, ref ? ref : "HEAD");
			goto out;
		}
		c->ref = xstrdup(tree_oid_hex(git_object_id(commit)));
		git_object_free(commit);
	}
	/* A detached HEAD or a branch: fetchable by name if the clone lacks it. */
	if (!git_reference_dwim(&named, repo, ref ? ref : "HEAD")) {
		struct tree t;
		git_oid oid;
		git_commit *have = NULL;

		if (tree_open(&t, c->tree))
			goto out;
		git_oid_fromstr(&oid, c->ref);
		if (git_commit_lookup(&have, t.repo, &oid)) {
			char *spec = xasprintf("+%s:refs/kflake/check",
					       git_reference_name(named));
			char *specs[] = { spec };
			git_strarray refspecs = { specs, 1 };
			git_remote *origin = NULL;

			if (git_remote_lookup(&origin, t.repo, "origin") ||
			    git_remote_fetch(origin, &refspecs, NULL,
					     "kflake check"))
				warning("cannot fetch %s into kflake's clone: %s",
					git_reference_name(named),
					tree_git_error());
			git_remote_free(origin);
			free(spec);
		}
		git_commit_free(have);
		tree_close(&t);
	}
	ret = 0;
out:
	git_reference_free(named);
	git_object_free(obj);
	git_repository_free(repo);
	return ret;
}

static int verdict_exit(enum bisect_verdict v)
{
	switch (v) {
	case BISECT_VERDICT_GOOD:
		return KFLAKE_EXIT_OK;
	case BISECT_VERDICT_BAD:
		return KFLAKE_EXIT_FAIL;
	default:
		return KFLAKE_EXIT_SKIP;
	}
}

static void print_verdict(const struct check *c, const struct job_result *res,
			  const struct bisect_evidence *ev,
			  enum bisect_verdict v, const char *why)
{
	if (progress_mode() == PROGRESS_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:i, s:i, s:i, s:i, s:s?}",
				      "event", "check", "commit", res->commit,
				      "run_id", (json_int_t)res->run_id,
				      "iterations", (int)ev->runs,
				      "failures", (int)ev->failures,
				      "errors", (int)ev->errors,
				      "exit", verdict_exit(v),
				      "reason", why);

		json_object_set_new(o, "verdict",
				    json_string(bisect_verdict_name(v)));
		{
			char *s = json_dumps(o, JSON_COMPACT);

			printf("%s\n", s);
			free(s);
		}
		json_decref(o);
		return;
	}
	printf("check: %.12s %s: %ld failure(s) in %ld iteration(s)%s%s "
	       "(run %lld, %s)\n", res->commit, bisect_verdict_name(v),
	       ev->failures, ev->runs, why ? "; " : "", why ? why : "",
	       res->run_id, c->sprt ? "SPRT" : "fixed count");
}

static int run_check(struct check *c)
{
	struct job_result res;
	struct bisect_evidence ev = { 0 };
	enum bisect_verdict v;
	const char *why = NULL;
	int rc;

	rc = job_run(&c->o, &res);
	if (rc == 130)
		return 130;
	if (rc && !res.run_id)
		return KFLAKE_EXIT_FAULT;	/* tree or ref: nothing tested */
	if (rc == KFLAKE_EXIT_USAGE || rc >= KFLAKE_EXIT_FAULT)
		return KFLAKE_EXIT_FAULT;
	bisect_evidence_add(&ev, res.counts);
	if (res.build_failed) {
		v = BISECT_VERDICT_SKIP;
		why = "the kernel does not build";
	} else if (!ev.runs) {
		v = BISECT_VERDICT_SKIP;
		why = "no usable iteration (boot failures, errors or skips)";
	} else if (c->sprt) {
		v = bisect_step_verdict(&c->s, c->cap, &ev, 1);
		if (v == BISECT_VERDICT_SKIP)
			why = "the SPRT did not decide";
	} else {
		v = ev.failures ? BISECT_VERDICT_BAD : BISECT_VERDICT_GOOD;
	}
	print_verdict(c, &res, &ev, v, why);
	return verdict_exit(v);
}

int cmd_check(int argc, char **argv)
{
	struct check c;
	const char *tree = NULL, *ref = NULL;
	int ch, ret = KFLAKE_EXIT_FAULT, have_p0 = 0, have_p1 = 0;
	long v;

	memset(&c, 0, sizeof(c));
	job_opts_init(&c.o);
	c.o.kind = "check";
	c.o.no_report = 1;
	c.o.iterations = 10;
	c.cap = BISECT_DEFAULT_CAP;
	c.s.alpha = BISECT_DEFAULT_ALPHA;
	c.s.beta = BISECT_DEFAULT_BETA;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", check_options, NULL)) != -1) {
		int rc = ch == '?' ? -1 : job_opts_parse(&c.o, ch, optarg);

		if (rc < 0)
			goto usage;
		if (!rc)
			continue;
		switch (ch) {
		case OPT_SPRT:
			c.sprt = 1;
			break;
		case OPT_P0:
			if (parse_rate("--p0", optarg, 0, 1, &c.s.p0))
				goto usage;
			have_p0 = 1;
			break;
		case OPT_P1:
			if (parse_rate("--p1", optarg, 0, 1, &c.s.p1))
				goto usage;
			have_p1 = 1;
			break;
		case OPT_ALPHA:
			if (parse_rate("--alpha", optarg, 1e-6, 0.5, &c.s.alpha))
				goto usage;
			break;
		case OPT_BETA:
			if (parse_rate("--beta", optarg, 1e-6, 0.5, &c.s.beta))
				goto usage;
			break;
		case OPT_CAP:
			if (util_parse_int(optarg, 1, 100000, &v)) {
				error("--cap %s: expected 1 to 100000", optarg);
				goto usage;
			}
			c.cap = (int)v;
			break;
		case 'h':
			fputs(check_usage, stdout);
			ret = 0;
			goto out;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		error("check: unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	if (!c.o.ntests) {
		error("check: --test is required");
		goto usage;
	}
	if (c.sprt) {
		if (!have_p0 || !have_p1 || c.s.p1 <= c.s.p0) {
			error("check: --sprt needs --p0 and --p1 with p1 > p0");
			goto usage;
		}
		if (c.o.iterations_set)
			warning("--iterations is ignored with --sprt (see --cap)");
		/* Room for error and skip outcomes beyond the evidence cap. */
		c.o.iterations = c.cap + c.cap / 4 + 2;
		c.o.enough = check_enough;
		c.o.enough_data = &c;
	} else if (have_p0 || have_p1) {
		error("check: --p0 and --p1 go with --sprt");
		goto usage;
	}
	progress_init(c.o.progress);
	/* A machine that cannot run kernels says nothing about the commit. */
	if (doctor_preflight(c.o.tree, c.o.db))
		goto out;
	tree = c.o.tree;
	ref = c.o.ref;
	if (resolve_local(&c, tree, ref))
		goto out;
	c.o.tree = c.tree ? c.tree : tree;
	c.o.ref = c.ref ? c.ref : ref;
	c.o.argc = argc;
	c.o.argv = (const char *const *)argv;
	ret = run_check(&c);
	goto out;
usage:
	/* Not 2: `git bisect run` would take a usage error for "bad". */
	util_usage_error("check");
	ret = KFLAKE_EXIT_FAULT;
out:
	job_opts_release(&c.o);
	free(c.tree);
	free(c.ref);
	return ret;
}
