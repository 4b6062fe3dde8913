/*
 * plan.h - the CI plan file (`kflake ci --plan FILE`): one JSON object
 * naming the tracked trees and refs, the kconfig sets, the tests with
 * their iteration policy, the time budget of a pass, the patchwork
 * instance, where results go and how long artefacts are kept.
 * docs/CI.md documents every field. A bad plan is refused whole, with
 * one line naming the field ("plan.json: tests[2].max: ...").
 */
#ifndef KFLAKE_PLAN_H
#define KFLAKE_PLAN_H

#include <stddef.h>

#include <jansson.h>

#include "strbuf.h"

#define PLAN_MAX_ITEMS 64		/* trees, refs, kconfig sets, tests */
#define PLAN_DEFAULT_PLAIN_MAX 50	/* until decided, plain runs */
#define PLAN_MAX_SYSCTLS 16

struct plan_test {
	char *test;		/* as --test takes it; paths made absolute */
	char *name;		/* recorded name; NULL: the test's own */
	char **sysctls;		/* "key=value", set in the guest before it */
	size_t nsysctls;
	int iterations;		/* fixed count, or the cap when until_decided */
	int until_decided;
};

struct plan_tree {
	char *tree;		/* NULL: the default tree */
	char **refs;
	size_t nrefs;
};

struct plan_kconfig {
	char *name;
	char **fragments;	/* absolute paths */
	size_t nfragments;
};

struct plan {
	char *path;
	char *name;
	struct plan_tree *trees;
	size_t ntrees;
	struct plan_kconfig *kconfigs;	/* at least one ("default") */
	size_t nkconfigs;
	struct plan_test *tests;
	size_t ntests;
	double budget;		/* seconds of work per pass; 0: no limit */
	double interval;	/* seconds between passes without --once */
	double delta;		/* the rise in failure rate a series must not cause */
	double timeout, idle;	/* 0: learned, as for run */
	int idle_set;
	int cpus, mem_mb;
	unsigned stress;	/* --stress modes for every run (stress.h) */
	int vms;		/* guests at once; 0: automatic */
	char *executor;		/* NULL: local; "slurm" */
	char *partition;	/* Slurm partition, NULL: the cluster's */
	int tasks;		/* Slurm array tasks, 0: one per 10 iterations */
	char *shared;		/* Slurm shared directory, NULL: default */
	/* patchwork: all NULL when the plan tests no series */
	char *pw_url;		/* normalised base URL */
	char *pw_project;
	char *pw_token;		/* read from token_file; NULL: no checks */
	char *pw_tree;		/* the tree series apply to (NULL: default) */
	char *pw_base;		/* their base ref (NULL: the tree's default) */
	int checks;		/* post patchwork checks */
	char *context;		/* check context prefix, e.g. "kflake" */
	char *status_url;	/* base URL of `kflake serve` for links */
	char *webhook;		/* URL the pass summary is POSTed to */
	char *exports_dir;	/* each pass's runs as JUnit/KCIDB here; NULL: none */
	int export_junit, export_kcidb;
	int retention_days;	/* 0: keep everything */
	json_t *json;		/* the whole file, for fields other modules own */
};

/* Parse and check path; on error one line in err, nothing allocated. */
int plan_load(const char *path, struct plan *p, struct strbuf *err);
void plan_release(struct plan *p);
/* The name a test's results are recorded under. */
const char *plan_test_label(const struct plan_test *t);

#endif
