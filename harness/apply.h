/*
 * apply.h - a patch series onto a base commit with libgit2 alone: each
 * mail's diff is applied to the previous commit's tree in memory and
 * committed with the mail's author, date and message. Nothing touches a
 * work tree, the index or a ref; the caller names the result with a ref
 * once it is sure it wants it.
 */
#ifndef KFLAKE_APPLY_H
#define KFLAKE_APPLY_H

#include <git2.h>

#include "mbox.h"
#include "strbuf.h"

/*
 * Apply s on base in repo. On success commits[i] (s->npatches of them,
 * allocated by the caller) are the chained commits and the last one is
 * the result. On failure return -1 with one line in err naming the patch
 * and, when it can be found, the file ("patch 2/3 'net: foo' does not
 * apply to net/core/dev.c: <libgit2 message>"); *failed is then the
 * index of the patch that failed. Commits made before the failure exist
 * only as unreferenced objects.
 */
int apply_series(git_repository *repo, const git_oid *base,
		 const struct mbox_series *s, git_oid *commits, size_t *failed,
		 struct strbuf *err);

/*
 * Whether the whole series is in base already: every patch, last first,
 * applies in reverse as `git apply -R` would. Binary patches and copies
 * cannot be checked (0).
 */
int apply_already_in(git_repository *repo, const git_oid *base,
		     const struct mbox_series *s);

/* RFC 2822 date ("Tue, 2 Jan 2024 03:04:05 +0100") to a git time. */
int apply_parse_date(const char *s, git_time *out);

#endif
