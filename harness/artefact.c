/*
 * artefact.c - the artefact directory of a database (see artefact.h).
 *
 * Run ids start at 1 in every database, so artefacts keyed by run id
 * alone overwrote each other when two databases were used in turn. The
 * directory is named after the database file instead, next to it: the
 * path stored in the database is the one written, and a reader refuses
 * anything a database names outside its own directory (a database copied
 * from elsewhere, or edited, cannot make kflake serve /etc/shadow).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artefact.h"
#include "util.h"

#define SUFFIX ".artefacts"

/* The directory part of path, resolved when it exists. */
static char *resolved_dir(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	*base = slash ? slash + 1 : path;
	if (!slash) {
		char cwd[PATH_MAX];

		dir = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	} else {
		dir = slash == path ? xstrdup("/")
				    : xstrndup(path, (size_t)(slash - path));
	}
	real = realpath(dir, NULL);
	if (real) {
		free(dir);
		return real;
	}
	return dir;
}

char *artefact_dir_for(const char *db_path)
{
	const char *base;
	char *dir = resolved_dir(db_path, &base), *ret;
	size_t len = strlen(base);

	if (len > 3 && !strcmp(base + len - 3, ".db"))
		len -= 3;
	ret = xasprintf("%s%s%.*s" SUFFIX, dir,
			dir[strlen(dir) - 1] == '/' ? "" : "/", (int)len, base);
	free(dir);
	return ret;
}

char *artefact_dir(const struct store *st)
{
	return artefact_dir_for(st->path ? st->path : store_default_path());
}

char *artefact_run_dir(const struct store *st, long long run_id)
{
	char *dir = artefact_dir(st);
	char *ret = xasprintf("%s/runs/%lld", dir, run_id);

	free(dir);
	return ret;
}

/* The resolved path, when it lies inside st's artefact directory. */
static char *inside(const struct store *st, const char *path)
{
	char *dir = artefact_dir(st), *rdir, *real;

	rdir = realpath(dir, NULL);
	free(dir);
	if (!rdir) {
		/* A database without artefacts (a copy, say) owns no path. */
		errno = EPERM;
		return NULL;
	}
	real = realpath(path, NULL);
	if (!real) {
		free(rdir);
		return NULL;
	}
	if (!util_path_under(real, rdir) || !strcmp(real, rdir)) {
		free(rdir);
		free(real);
		errno = EPERM;
		return NULL;
	}
	free(rdir);
	return real;
}

int artefact_open(const struct store *st, const char *path)
{
	struct stat sb;
	char *real;
	int fd, err;

	if (!path || !*path) {
		errno = ENOENT;
		return -1;
	}
	real = inside(st, path);
	if (!real)
		return -1;
	/* Resolved already: a link swapped in since then is not followed. */
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
		  O_NONBLOCK);
	err = errno;
	free(real);
	if (fd < 0) {
		errno = err;
		return -1;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	/* Blocking reads from here on (regular files never block anyway). */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int artefact_path_ok(const struct store *st, const char *path)
{
	int fd = artefact_open(st, path);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}
