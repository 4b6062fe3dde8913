/*
 * logcap.h - a log file with a size cap that keeps both ends: the first
 * half of the cap is written as it comes, the last half is kept in
 * memory and written when the log is closed, after a line saying how
 * much was cut. A build that prints gigabytes (on purpose or not) costs
 * at most the cap on disk, and the end, where the error is, survives.
 */
#ifndef KFLAKE_LOGCAP_H
#define KFLAKE_LOGCAP_H

#include <stddef.h>

#define LOGCAP_DEFAULT (64UL << 20)

struct logcap {
	int fd;
	size_t cap;
	size_t head;		/* bytes written so far (at most cap/2 before close) */
	char *ring;		/* the last cap/2 bytes once head is full */
	size_t ring_len, ring_pos;
	unsigned long long cut;	/* bytes dropped between head and tail */
};

/* Append to path (created 0644); cap 0 means LOGCAP_DEFAULT. */
int logcap_open(struct logcap *l, const char *path, size_t cap);
void logcap_write(struct logcap *l, const char *buf, size_t n);
/* Write the kept tail (and the cut note); 0 or -1 when a write failed. */
int logcap_close(struct logcap *l);

#endif
