/*
 * tree.c - kernel trees in the cache, all handled with libgit2. The
 * default tree is Debian's linux-source tarball, unpacked once and
 * committed with a fixed author and date so every machine gets the same
 * commit id for the same tarball. URLs and local repositories are
 * cloned into the cache (and fetched on later runs): kflake never checks
 * out anything in a user's own work tree.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runcmd.h"
#include "gitnet.h"
#include "tree.h"
#include "util.h"

const char *tree_git_error(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

const char *tree_oid_hex(const git_oid *oid)
{
	static char buf[2][GIT_OID_HEXSZ + 1];
	static int slot;

	slot ^= 1;
	git_oid_tostr(buf[slot], sizeof(buf[slot]), oid);
	return buf[slot];
}

const char *tree_oid_short(const git_oid *oid)
{
	static char buf[2][13];
	static int slot;

	slot ^= 1;
	git_oid_tostr(buf[slot], sizeof(buf[slot]), oid);
	return buf[slot];
}

static int is_default(const char *source)
{
	return !source || !*source || !strcmp(source, TREE_DEFAULT_SOURCE);
}

static char *cache_path_for(const char *source)
{
	char hex[41];
	const char *base = strrchr(source, '/');
	struct strbuf name = STRBUF_INIT;
	const char *p;

	if (is_default(source))
		return xasprintf("%s/trees/%s", util_cache_dir(),
				 TREE_DEFAULT_SOURCE);
	util_sha1_hex(source, strlen(source), hex);
	base = base && base[1] ? base + 1 : source;
	/* A readable, safe suffix: the last path component, sanitised. */
	for (p = base; *p && name.len < 32; p++)
		strbuf_addch(&name, (isalnum((unsigned char)*p) || *p == '-' ||
				     *p == '_' || *p == '.') ? *p : '_');
	p = xasprintf("%s/trees/%.12s-%s", util_cache_dir(), hex,
		      strbuf_str(&name));
	strbuf_release(&name);
	return (char *)p;
}

static int extract_tarball(const char *tarball, const char *dest)
{
	const char *argv[] = { "tar", "-xJf", tarball, "-C", dest,
			       "--strip-components=1", NULL };
	struct runcmd c = RUNCMD_INIT;

	c.argv = argv;
	if (util_mkdir_p(dest))
		return error("%s: cannot create: %s", dest, strerror(errno));
	if (runcmd_run(&c))
		return error("%s: cannot unpack", tarball);
	return 0;
}

static int kernel_version(const char *dir, struct strbuf *out)
{
	struct strbuf mk = STRBUF_INIT;
	char *path = xasprintf("%s/Makefile", dir);
	const char *keys[] = { "VERSION = ", "PATCHLEVEL = ", "SUBLEVEL = " };
	size_t i;
	int ret = -1;

	if (util_read_file(path, &mk, 4096))
		goto out;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *p = strstr(mk.buf, keys[i]);

		if (!p)
			goto out;
		p += strlen(keys[i]);
		if (i)
			strbuf_addch(out, '.');
		strbuf_add(out, p, strcspn(p, "\n"));
	}
	ret = 0;
out:
	strbuf_release(&mk);
	free(path);
	return ret;
}

/*
 * Write dir (recursively) as a git tree. A treebuilder walk, not the
 * index: the tarball holds files its own .gitignore names, and this is
 * several times faster than staging 80,000 files.
 */
static int write_tree(git_repository *repo, const char *dir, git_oid *out,
		      int depth)
{
	git_treebuilder *tb = NULL;
	DIR *d = NULL;
	struct dirent *de;
	int ret = -1;

	if (depth > 64 || git_treebuilder_new(&tb, repo, NULL))
		goto out;
	d = opendir(dir);
	if (!d)
		goto out;
	while ((de = readdir(d))) {
		char *path;
		struct stat st;
		git_oid oid;
		git_filemode_t mode;
		int rc = -1;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (depth == 0 && !strcmp(de->d_name, ".git")))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st)) {
			free(path);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			mode = GIT_FILEMODE_TREE;
			rc = write_tree(repo, path, &oid, depth + 1);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(path, target, sizeof(target));

			mode = GIT_FILEMODE_LINK;
			rc = n < 0 ? -1 : git_blob_create_from_buffer(
						  &oid, repo, target, (size_t)n);
		} else if (S_ISREG(st.st_mode)) {
			mode = st.st_mode & 0111 ? GIT_FILEMODE_BLOB_EXECUTABLE
						 : GIT_FILEMODE_BLOB;
			rc = git_blob_create_from_disk(&oid, repo, path);
		} else {
			rc = 1;	/* sockets, fifos: not in a source tree */
		}
		free(path);
		if (rc < 0)
			goto out;
		/* Git stores no empty trees. */
		if (!rc && !(mode == GIT_FILEMODE_TREE && git_oid_is_zero(&oid)) &&
		    git_treebuilder_insert(NULL, tb, de->d_name, &oid, mode))
			goto out;
	}
	if (git_treebuilder_entrycount(tb) == 0) {
		memset(out, 0, sizeof(*out));
		ret = 0;
		goto out;
	}
	ret = git_treebuilder_write(out, tb);
out:
	if (d)
		closedir(d);
	git_treebuilder_free(tb);
	return ret;
}

/* Commit every file of dir as the root commit of a new repository. */
static int import_dir(const char *dir, time_t when)
{
	git_repository *repo = NULL;
	git_index *idx = NULL;
	git_signature *sig = NULL;
	git_tree *gtree = NULL;
	git_oid tree_oid, commit_oid;
	struct strbuf msg = STRBUF_INIT, ver = STRBUF_INIT;
	int ret = -1;

	if (git_repository_init(&repo, dir, 0) ||
	    write_tree(repo, dir, &tree_oid, 0))
		goto out;
	if (git_tree_lookup(&gtree, repo, &tree_oid) ||
	    git_signature_new(&sig, "kflake", "kflake@localhost", when, 0))
		goto out;
	kernel_version(dir, &ver);
	strbuf_addf(&msg, "Import %s (Linux %s)\n\nUnpacked from %s.\n",
		    TREE_DEFAULT_SOURCE, strbuf_str(&ver),
		    TREE_DEFAULT_TARBALL);
	if (git_commit_create(&commit_oid, repo, "HEAD", sig, sig, NULL,
			      msg.buf, gtree, 0, NULL))
		goto out;
	/* An index matching HEAD, so later checkouts see a clean tree. */
	if (git_repository_index(&idx, repo) ||
	    git_index_read_tree(idx, gtree) ||
	    git_index_add_all(idx, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL) ||
	    git_index_write(idx))
		goto out;
	ret = 0;
out:
	if (ret)
		error("%s: import failed: %s", dir, tree_git_error());
	strbuf_release(&msg);
	strbuf_release(&ver);
	git_tree_free(gtree);
	git_signature_free(sig);
	git_index_free(idx);
	git_repository_free(repo);
	return ret;
}

static int import_default(const char *path)
{
	char *tmp = xasprintf("%s.importing", path);
	struct stat st;
	double t0 = util_now();
	int ret = -1;

	if (stat(TREE_DEFAULT_TARBALL, &st)) {
		error("%s: not found (apt-get install linux-source-6.1)",
		      TREE_DEFAULT_TARBALL);
		goto out;
	}
	info("importing %s into %s (once)", TREE_DEFAULT_TARBALL, path);
	util_rm_rf(tmp);
	if (extract_tarball(TREE_DEFAULT_TARBALL, tmp) ||
	    import_dir(tmp, st.st_mtime))
		goto out;
	/* Rename last: an interrupted import never looks finished. */
	if (rename(tmp, path)) {
		error("%s: cannot rename: %s", path, strerror(errno));
		goto out;
	}
	info("imported in %.0f s", util_now() - t0);
	ret = 0;
out:
	if (ret)
		util_rm_rf(tmp);
	free(tmp);
	return ret;
}

static int fetch_origin(git_repository *repo, const char *source)
{
	struct strbuf err = STRBUF_INIT;
	git_odb *odb = NULL;
	int ret;

	/* In a child killed at the network deadline (gitnet.c). */
	ret = gitnet_fetch(git_repository_path(repo), NULL, NULL, 0, &err);
	if (ret)
		error("%s: %s", source, err.buf);
	else if (!git_repository_odb(&odb, repo))
		git_odb_refresh(odb);	/* the child wrote new packs */
	git_odb_free(odb);
	strbuf_release(&err);
	return ret;
}

static int clone_source(const char *source, const char *path)
{
	struct strbuf err = STRBUF_INIT;
	char *tmp = xasprintf("%s.cloning", path);
	int ret = -1;

	info("cloning %s", source);
	util_rm_rf(tmp);
	if (gitnet_clone(source, tmp, &err)) {
		error("%s: %s", source, err.buf);
		goto out;
	}
	if (rename(tmp, path)) {
		error("%s: cannot rename: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret)
		util_rm_rf(tmp);
	strbuf_release(&err);
	free(tmp);
	return ret;
}

/* scheme://..., or scp-like host:path (a colon before any slash). */
static int looks_like_url(const char *s)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');

	return strstr(s, "://") || (colon && (!slash || colon < slash));
}

enum tree_origin tree_origin(const struct tree *t)
{
	if (is_default(t->source))
		return TREE_ORIGIN_DEFAULT;
	return looks_like_url(t->source) ? TREE_ORIGIN_URL : TREE_ORIGIN_LOCAL;
}

static int ensure_trees_dir(void)
{
	char *dir = xasprintf("%s/trees", util_cache_dir());
	int ret = util_mkdir_p(dir);

	if (ret)
		error("%s: cannot create: %s", dir, strerror(errno));
	free(dir);
	return ret;
}

int tree_open(struct tree *t, const char *source)
{
	int fresh = 0;

	memset(t, 0, sizeof(*t));
	t->source = xstrdup(is_default(source) ? TREE_DEFAULT_SOURCE : source);
	t->path = cache_path_for(t->source);
	if (ensure_trees_dir())
		goto fail;
	if (!is_default(source) && !looks_like_url(source) &&
	    !util_file_exists(source)) {
		error("--tree %s: no such directory (and not a URL)", source);
		goto fail;
	}
	if (!util_file_exists(t->path)) {
		fresh = 1;
		if (is_default(source) ? import_default(t->path)
				       : clone_source(source, t->path))
			goto fail;
	}
	if (git_repository_open(&t->repo, t->path)) {
		error("%s: not a git repository: %s", t->path,
		      tree_git_error());
		goto fail;
	}
	if (!fresh && !is_default(source) && fetch_origin(t->repo, source))
		goto fail;
	return 0;
fail:
	tree_close(t);
	return -1;
}

/*
 * The lock files libgit2 leaves when a kflake is killed inside a
 * checkout. Only checkouts write the index and HEAD of a cache tree,
 * and they run under the tree lock, so whoever holds that lock knows
 * these are leftovers: libgit2 would refuse every later checkout
 * ("the index is locked"), and a killed bisect could never resume.
 * unlink() removes a planted symlink itself, never its target.
 */
static void clear_stale_locks(struct tree *t)
{
	static const char *const names[] = { "index.lock", "HEAD.lock" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		char *path = xasprintf("%s/.git/%s", t->path, names[i]);

		if (!unlink(path))
			info("%s: removed %s, left by a kflake killed in a "
			     "checkout", t->source, names[i]);
		free(path);
	}
}

int tree_lock(struct tree *t)
{
	char *path;

	if (t->lock_fd > 0)
		return 0;
	path = xasprintf("%s/.git/kflake.lock", t->path);
	t->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(path);
	if (t->lock_fd < 0) {
		t->lock_fd = 0;
		return error("%s: cannot create lock: %s", t->path,
			     strerror(errno));
	}
	if (flock(t->lock_fd, LOCK_EX | LOCK_NB)) {
		info("%s: waiting for another kflake using this tree",
		     t->source);
		while (flock(t->lock_fd, LOCK_EX)) {
			if (errno != EINTR || util_interrupted) {
				tree_unlock(t);
				return error("%s: interrupted while waiting "
					     "for the tree", t->source);
			}
		}
	}
	clear_stale_locks(t);
	return 0;
}

void tree_unlock(struct tree *t)
{
	if (t->lock_fd > 0)
		close(t->lock_fd);
	t->lock_fd = 0;
}

void tree_close(struct tree *t)
{
	tree_unlock(t);
	git_repository_free(t->repo);
	free(t->source);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

int tree_resolve(struct tree *t, const char *ref, git_oid *out)
{
	git_object *obj = NULL;
	char *remote_ref;
	int rc;

	if (!ref || !*ref || !strcmp(ref, "HEAD")) {
		/*
		 * kflake moves HEAD (detached) with every checkout, so "HEAD"
		 * means the tree's own default branch: the remote's, or the
		 * import's.
		 */
		static const char *const defaults[] = {
			"refs/remotes/origin/HEAD", "refs/heads/master",
			"refs/heads/main", "HEAD",
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(defaults); i++)
			if (!git_revparse_single(&obj, t->repo, defaults[i]))
				break;
		if (i == ARRAY_SIZE(defaults))
			return error("%s: no default branch", t->source);
		rc = 0;
	} else {
		rc = git_revparse_single(&obj, t->repo, ref);
	}
	if (rc) {
		/* A branch of a cloned tree lives under origin/. */
		remote_ref = xasprintf("origin/%s", ref);
		rc = git_revparse_single(&obj, t->repo, remote_ref);
		free(remote_ref);
	}
	if (rc)
		return error("%s: unknown ref '%s'", t->source, ref);
	{
		git_object *commit = NULL;

		if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) {
			git_object_free(obj);
			return error("%s: '%s' is not a commit", t->source, ref);
		}
		git_oid_cpy(out, git_object_id(commit));
		git_object_free(commit);
	}
	git_object_free(obj);
	return 0;
}

int tree_head(struct tree *t, git_oid *out)
{
	return git_reference_name_to_id(out, t->repo, "HEAD") ? -1 : 0;
}

/* Whether the work tree holds a checkout: its index has entries. */
static int checked_out(struct tree *t)
{
	git_index *index;
	int ret;

	if (git_repository_index(&index, t->repo))
		return 0;
	ret = git_index_entrycount(index) > 0;
	git_index_free(index);
	return ret;
}

int tree_checkout(struct tree *t, const git_oid *commit)
{
	git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
	git_commit *c = NULL;
	git_oid head;
	int ret = -1;

	/*
	 * Build outputs live outside (O=), so a matching HEAD is clean,
	 * once something was checked out: a clone is made without a
	 * checkout (gitnet.c), so its HEAD matches over an empty work
	 * tree and an empty index.
	 */
	if (!tree_head(t, &head) && git_oid_equal(&head, commit) &&
	    checked_out(t))
		return 0;
	if (git_commit_lookup(&c, t->repo, commit)) {
		error("%s: no commit %s", t->source, tree_oid_hex(commit));
		return -1;
	}
	opts.checkout_strategy = GIT_CHECKOUT_FORCE |
				 GIT_CHECKOUT_REMOVE_UNTRACKED;
	if (git_checkout_tree(t->repo, (git_object *)c, &opts) ||
	    git_repository_set_head_detached(t->repo, commit)) {
		error("%s: checkout of %s failed: %s", t->source,
		      tree_oid_short(commit), tree_git_error());
		goto out;
	}
	ret = 0;
out:
	git_commit_free(c);
	return ret;
}
