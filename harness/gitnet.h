/*
 * gitnet.h - libgit2's network operations (clone, fetch) bounded by the
 * network deadline (fetch_deadline()). libgit2 1.5 has no server
 * timeout and calls none of its callbacks while a server stays silent,
 * so each operation runs in a child process that is killed, with its
 * process group (an ssh transport included), when the deadline passes.
 */
#ifndef KFLAKE_GITNET_H
#define KFLAKE_GITNET_H

#include <stddef.h>

#include "strbuf.h"

/*
 * Clone url into path (no checkout). -1 with one line in err, which the
 * caller prefixes with what it fetched ("clone failed: libgit2: ...",
 * "no answer within the 120 s network deadline (...)").
 */
int gitnet_clone(const char *url, const char *path, struct strbuf *err);

/*
 * Fetch into the repository at repo_path: from its "origin" remote when
 * url is NULL (pruning, as `git fetch --prune`), else from url with the
 * refspecs given. -1 with one line in err, as gitnet_clone().
 */
int gitnet_fetch(const char *repo_path, const char *url,
		 const char *const *refspecs, size_t nspecs,
		 struct strbuf *err);

#endif
