/*
 * test_safety.c - unit tests of what keeps strangers' kernels and tests
 * away from the host: the artefact directory of a database and the
 * refusal of paths outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artefact.h"
#include "store.h"
#include "util.h"
#include "test.h"

/* mkdir -p the directory part of path. */
static int mkparent(const char *path)
{
	char *p = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	int ret = util_mkdir_p(p);

	free(p);
	return ret;
}

TEST(artefact_dir_beside_database)
{
	char *d = artefact_dir_for("/nonexistent-dir/sub/kflake.db");

	CHECK_STR(d, "/nonexistent-dir/sub/kflake.artefacts");
	free(d);
	d = artefact_dir_for("/nonexistent-dir/plain");
	CHECK_STR(d, "/nonexistent-dir/plain.artefacts");
	free(d);
	d = artefact_dir_for("/x.db");
	CHECK_STR(d, "/x.artefacts");
	free(d);
}

TEST(artefact_open_refuses_outside)
{
	const char *tmp = test_tmpdir();
	char *db = xasprintf("%s/a.db", tmp), *db2 = xasprintf("%s/b.db", tmp);
	char *in = xasprintf("%s/a.artefacts/runs/1/boot-1/console.log", tmp);
	char *other = xasprintf("%s/b.artefacts/runs/1/boot-1/console.log", tmp);
	char *link = xasprintf("%s/a.artefacts/runs/1/boot-1/link", tmp);
	char *fifo = xasprintf("%s/a.artefacts/runs/1/boot-1/fifo", tmp);
	char *dir;
	struct store st = { 0 };
	int fd;

	st.path = db;
	dir = artefact_run_dir(&st, 1);
	CHECK(strstr(dir, "/a.artefacts/runs/1") != NULL);
	free(dir);
	CHECK_INT(mkparent(in), 0);
	CHECK_INT(util_write_file(in, "ok\n", 3), 0);
	fd = artefact_open(&st, in);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* Another database's artefacts, /etc/passwd, a link out, a fifo. */
	CHECK_INT(mkparent(other), 0);
	CHECK_INT(util_write_file(other, "b\n", 2), 0);
	errno = 0;
	CHECK_INT(artefact_open(&st, other), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(artefact_open(&st, "/etc/passwd"), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(symlink("/etc/passwd", link), 0);
	CHECK_INT(artefact_open(&st, link), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(mkfifo(fifo, 0600), 0);
	CHECK_INT(artefact_open(&st, fifo), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(artefact_open(&st, NULL), -1);
	/* The same file is fine for the database it belongs to. */
	st.path = db2;
	fd = artefact_open(&st, other);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(!artefact_path_ok(&st, in));
	free(db);
	free(db2);
	free(in);
	free(other);
	free(link);
	free(fifo);
}
