/*
 * tfo-probe.c - what a TCP fast-open client sees on this kernel (Exim
 * bug 2518). Exim 4.88 sent its first SMTP bytes with
 * sendto(..., MSG_FASTOPEN) on a fresh socket and expected EINPROGRESS
 * (kernels >= 3.6); older kernels answer EPIPE and raise SIGPIPE, which
 * broke every remote delivery. The probe does the same on a new
 * non-blocking socket towards a listener on loopback and prints what it
 * got as "# value ..." for kflake's matrix. (A blocking socket to a
 * closed port would just get ECONNREFUSED on 6.1.)
 *
 * Exit codes as kselftest: 0 the modern behaviour (EINPROGRESS, or the
 * data went out with the SYN), 1 the old one (EPIPE), 4 (skip) when the
 * kernel has client fast open turned off (net.ipv4.tcp_fastopen & 1 = 0:
 * EOPNOTSUPP), anything else 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static const char *errno_name(int e)
{
	switch (e) {
	case EINPROGRESS: return "EINPROGRESS";
	case EPIPE: return "EPIPE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EINVAL: return "EINVAL";
	default: return NULL;
	}
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	const char *name;
	ssize_t n;
	int l, fd, e;

	/* Old kernels raise SIGPIPE with EPIPE: report it, do not die. */
	signal(SIGPIPE, SIG_IGN);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 4) || getsockname(l, (struct sockaddr *)&a, &len)) {
		printf("# cannot set up a listener: %s\n", strerror(errno));
		return 4;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		printf("# socket: %s\n", strerror(errno));
		return 4;
	}
	n = sendto(fd, "EHLO kflake\r\n", 13, MSG_FASTOPEN,
		   (struct sockaddr *)&a, sizeof(a));
	if (n >= 0) {
		printf("# value sent=%zd\n", n);
		return 0;
	}
	e = errno;
	name = errno_name(e);
	if (name)
		printf("# value errno=%s\n", name);
	else
		printf("# value errno=%d\n", e);
	printf("sendto(MSG_FASTOPEN) on a fresh non-blocking socket: %s\n",
	       strerror(e));
	if (e == EINPROGRESS)
		return 0;
	if (e == EOPNOTSUPP)
		return 4;
	return 1;
}
