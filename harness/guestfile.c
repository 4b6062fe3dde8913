/*
 * guestfile.c - safe reads of guest-written files (see guestfile.h).
 *
 * openat() relative to a directory fd the host opened, O_NOFOLLOW on the
 * one component the guest controls, fstat() on what was opened (never a
 * stat of the name: the guest can swap it in between), O_NONBLOCK so a
 * fifo cannot hang the open, and pread() of the head and tail only, so a
 * sparse file of any size costs max bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestfile.h"
#include "util.h"

int guestfile_opendir(const char *dir)
{
	return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static const char *kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a fifo";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device node";
	return "not a regular file";
}

static int read_range(int fd, off_t off, size_t len, struct strbuf *sb)
{
	char buf[65536];

	while (len) {
		ssize_t n = pread(fd, buf, len < sizeof(buf) ? len : sizeof(buf),
				  off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		strbuf_add(sb, buf, (size_t)n);
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

static void human(double bytes, char *buf, size_t size)
{
	const char *unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int i = 0;

	while (bytes >= 1024 && i < 5) {
		bytes /= 1024;
		i++;
	}
	snprintf(buf, size, i ? "%.1f %s" : "%.0f %s", bytes, unit[i]);
}

int guestfile_read(int dirfd, const char *name, size_t max,
		   struct strbuf *sb, char **why)
{
	struct stat st;
	int fd, ret = 0;

	*why = NULL;
	if (dirfd < 0) {
		*why = xasprintf("%s: the output share cannot be opened", name);
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0) {
		*why = xasprintf("%s: %s; not read", name, errno == ELOOP
				 ? "a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		*why = xasprintf("%s: %s; not read", name, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = xasprintf("%s: %s; not read", name, kind(st.st_mode));
		close(fd);
		return -1;
	}
	if ((size_t)st.st_size <= max) {
		ret = read_range(fd, 0, max, sb);
	} else {
		char size[32], keep[32];

		human((double)st.st_size, size, sizeof(size));
		human((double)(max / 2), keep, sizeof(keep));
		ret = read_range(fd, 0, max / 2, sb);
		strbuf_addf(sb, "\n[kflake: %s cut here: %s, the first and "
			    "last %s kept]\n", name, size, keep);
		if (!ret)
			ret = read_range(fd, st.st_size - (off_t)(max / 2),
					 max / 2, sb);
		*why = xasprintf("%s: %s, more than %zu KiB; kept the first "
				 "and last %s", name, size, max >> 10, keep);
	}
	close(fd);
	if (ret) {
		free(*why);
		*why = xasprintf("%s: read error: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}
