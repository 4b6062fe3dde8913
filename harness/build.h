/*
 * build.h - configuring and building a kernel out of tree, with a cache
 * of finished images keyed by (commit, final .config hash, compiler).
 */
#ifndef KFLAKE_BUILD_H
#define KFLAKE_BUILD_H

#include <git2.h>

#include "tree.h"

/*
 * How a build is confined (sandbox.c). Every build runs in bubblewrap
 * unless --no-sandbox (local trees only); untrusted ones (a series, a
 * tree from a URL) also get private layers over ccache and, when trusted
 * builds share it, over the object directory.
 */
enum build_isolation {
	BUILD_SANDBOXED,
	BUILD_UNTRUSTED,
	BUILD_UNSANDBOXED,
};

/* Per-process CPU time (RLIMIT_CPU) and whole-build wall-clock limits. */
#define BUILD_CPU_LIMIT 1800
#define BUILD_TIME_LIMIT (4 * 3600.0)

struct build_opts {
	struct tree *tree;
	enum build_isolation isolation;
	int layered_objdir;	/* BUILD_UNTRUSTED sharing the trusted objdir */
	git_oid commit;
	const char *const *fragments;	/* paths, merged in order */
	size_t nfrag;
	int jobs;
	/* Called about every 2 s while make runs. */
	void (*progress)(void *data, const char *what, double elapsed);
	void *progress_data;
};

struct build_result {
	char key[41];
	char config_hash[41];
	char *compiler;
	char *dir;		/* the cached image directory */
	char *image;		/* bzImage */
	char *vmlinux;
	char *headers;		/* installed uapi headers (include dir) */
	char *config;		/* the final .config text */
	char *fragment;		/* the merged fragment text */
	char *notes;		/* overrides between fragments */
	char *warnings;		/* requested values missing from .config */
	char *log_path;
	char *error;		/* first compiler error, when failed */
	double seconds;
	int cached;
};

/* Returns 0 with an image, or -1 with res->error set when the build failed. */
int build_kernel(const struct build_opts *o, struct build_result *res);
void build_result_release(struct build_result *res);

/* First line of the log that looks like the cause of a failed build. */
char *build_first_error(const char *log_text);

#endif
