/*
 * logcap.c - capped logs keeping head and tail (see logcap.h). The tail
 * is a ring of cap/2 bytes: once the head is full, every byte goes into
 * the ring and the oldest falls out, counted in l->cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logcap.h"
#include "util.h"

int logcap_open(struct logcap *l, const char *path, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap ? cap : LOGCAP_DEFAULT;
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		     O_NOFOLLOW, 0644);
	if (l->fd < 0)
		return error("%s: %s", path, strerror(errno));
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void ring_add(struct logcap *l, const char *buf, size_t n)
{
	size_t size = l->cap / 2;

	if (!l->ring)
		l->ring = xmalloc(size);
	if (n >= size) {
		l->cut += l->ring_len + (n - size);
		memcpy(l->ring, buf + n - size, size);
		l->ring_len = size;
		l->ring_pos = 0;
		return;
	}
	while (n) {
		size_t room = size - l->ring_pos;
		size_t k = n < room ? n : room;

		if (l->ring_len == size)
			l->cut += k;
		memcpy(l->ring + l->ring_pos, buf, k);
		l->ring_pos = (l->ring_pos + k) % size;
		if (l->ring_len < size)
			l->ring_len = l->ring_len + k > size ? size
							     : l->ring_len + k;
		buf += k;
		n -= k;
	}
}

void logcap_write(struct logcap *l, const char *buf, size_t n)
{
	size_t room = l->head < l->cap / 2 ? l->cap / 2 - l->head : 0;
	size_t k = n < room ? n : room;

	if (l->fd < 0)
		return;
	if (k && !write_all(l->fd, buf, k))
		l->head += k;
	if (n > k)
		ring_add(l, buf + k, n - k);
}

int logcap_close(struct logcap *l)
{
	size_t size = l->cap / 2, start;
	int ret = 0;

	if (l->fd < 0)
		return -1;
	if (l->cut) {
		char note[160];

		snprintf(note, sizeof(note), "\n[kflake: log capped at %zu "
			 "bytes: %llu bytes cut here; the first and last %zu "
			 "are kept]\n", l->cap, l->cut, size);
		ret |= write_all(l->fd, note, strlen(note));
	}
	if (l->ring_len) {
		start = l->ring_len == size ? l->ring_pos : 0;
		ret |= write_all(l->fd, l->ring + start, l->ring_len - start);
		if (start)
			ret |= write_all(l->fd, l->ring, start);
	}
	ret |= close(l->fd);
	free(l->ring);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	return ret ? -1 : 0;
}
