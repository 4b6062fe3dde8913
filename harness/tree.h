/*
 * tree.h - kernel source trees as git repositories (libgit2): the
 * embedded default (Debian's linux-source tarball imported once), clones
 * of URLs and local repositories, ref resolution and checkout.
 */
#ifndef KFLAKE_TREE_H
#define KFLAKE_TREE_H

#include <git2.h>

#define TREE_DEFAULT_SOURCE "linux-source-6.1"
#define TREE_DEFAULT_TARBALL "/usr/src/linux-source-6.1.tar.xz"

struct tree {
	char *source;		/* what the user named, or the default */
	char *path;		/* work tree in the cache */
	git_repository *repo;
	int lock_fd;		/* held while the work tree is in use */
};

/*
 * Where a tree comes from: Debian's source package, a local repository
 * (the user's), or a URL (anyone's: its builds are untrusted).
 */
enum tree_origin {
	TREE_ORIGIN_DEFAULT,
	TREE_ORIGIN_LOCAL,
	TREE_ORIGIN_URL,
};
enum tree_origin tree_origin(const struct tree *t);

/* Open (importing or cloning into the cache on first use) a tree. */
int tree_open(struct tree *t, const char *source);
void tree_close(struct tree *t);

/*
 * Take the tree's lock (waiting, with a message, if another kflake holds
 * it) for as long as its work tree and build directory are in use:
 * checkout, build and payload. Released by tree_unlock or tree_close.
 */
int tree_lock(struct tree *t);
void tree_unlock(struct tree *t);

/* Resolve a ref (branch, tag, commit id, HEAD, origin/x) to a commit id. */
int tree_resolve(struct tree *t, const char *ref, git_oid *out);
/* Make the work tree match commit (forced, detached HEAD). */
int tree_checkout(struct tree *t, const git_oid *commit);
/* The commit HEAD points at now. */
int tree_head(struct tree *t, git_oid *out);

/* Hex form of an oid in a static buffer (two slots, for printf pairs). */
const char *tree_oid_hex(const git_oid *oid);
const char *tree_oid_short(const git_oid *oid);

/* "libgit2: <message>" for the last libgit2 failure. */
const char *tree_git_error(void);

#endif
