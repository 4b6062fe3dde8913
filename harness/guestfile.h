/*
 * guestfile.h - reading what a guest wrote into its output share
 * (<item>.out, <item>.snapshot). The guest runs a stranger's kernel and
 * test, and the share is a host directory it writes through QEMU: any
 * name in it may be a symlink to the operator's SSH key, a fifo that
 * blocks the reader forever, or a file of a terabyte.
 */
#ifndef KFLAKE_GUESTFILE_H
#define KFLAKE_GUESTFILE_H

#include <stddef.h>

#include "strbuf.h"

/* The share's directory (opened by the host, never through a link). */
int guestfile_opendir(const char *dir);

/*
 * Read name (one path component) from the directory dirfd: opened with
 * openat(O_NOFOLLOW | O_NONBLOCK), regular files only; a file larger
 * than max keeps its first and last max/2 bytes with a line saying what
 * was cut. Returns 0 with sb filled, 1 when name does not exist, -1 when
 * it is refused; then *why (malloc'ed) says why in one line, which the
 * caller records against the iteration. A capped file also sets *why.
 */
int guestfile_read(int dirfd, const char *name, size_t max,
		   struct strbuf *sb, char **why);

#endif
