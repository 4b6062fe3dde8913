/*
 * hunkplace.h - where `git apply` (and so `git am`) puts each hunk of a
 * patch. libgit2 applies a hunk only at the line its header names and
 * never checks the anchors git enforces (a hunk starting at line 1 must
 * match the file's start, one without trailing context its end), so it
 * both refuses patches git applies at an offset and applies some that
 * git refuses, in the wrong place. This module finds git's position for
 * every text hunk against the real file and rewrites the headers, so
 * libgit2 then applies each hunk exactly there.
 */
#ifndef KFLAKE_HUNKPLACE_H
#define KFLAKE_HUNKPLACE_H

#include <git2.h>

#include "strbuf.h"

/*
 * Place the hunks of diff (one mail's patch text) on tree. Returns 0 and
 * the rewritten text in *out (malloc'ed; NULL when every hunk sits where
 * its header says), or -1 when git would refuse a hunk: *file (malloc'ed)
 * names the file and err the hunk ("hunk #2 (@@ -80,6 +81,7 @@) does not
 * match"). A patch this module cannot follow (it and libgit2 disagree on
 * its files) is left to libgit2: 0, *out NULL.
 */
int hunkplace_rewrite(git_repository *repo, git_tree *tree, const char *diff,
		      char **out, char **file, struct strbuf *err);

#endif
