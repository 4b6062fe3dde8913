/*
 * test_snapshot.c - stall classes read from forensic snapshots: the
 * shapes iproute2's `ss -tinmoe` prints for each (zero window from a
 * real capture, the others as the guest prints them), the pairing of a
 * sender with its receiver across namespaces, and user-space hangs.
 */
#include <stdlib.h>
#include <string.h>

#include "../../harness/snapshot.h"
#include "test.h"

/* ACKs dropped after connect (tests/e2e/tests/tcp-stall.sh). */
static const char ss_rto[] =
"=== ss -tinm (init namespace)\n"
"State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
"=== ss -tinm (netns kfa-12)\n"
"State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
"ESTAB 0      2588672 10.77.0.1:51724 10.77.0.2:9000 timer:(on,12sec,6) ino:33 sk:1 <->\n"
"\t skmem:(r0,rb131072,t0,tb2626560,f2048,w2638848,o0,bl0,d0) ts sack cubic "
"wscale:7,7 rto:12800 backoff:6 rtt:0.5/0.25 mss:1448 pmtu:1500 rcvmss:536 "
"advmss:1448 cwnd:1 ssthresh:7 bytes_sent:1101568 bytes_retrans:5792 "
"bytes_acked:1001537 segs_out:770 segs_in:300 data_segs_out:769 send 23.2Mbps "
"lastsnd:3200 lastrcv:15000 lastack:15000 pacing_rate 46.3Mbps delivery_rate 1.1Gbps "
"delivered:692 busy:15000ms rwnd_limited:20ms unacked:69 retrans:1/6 lost:69 "
"rcv_space:14480 rcv_ssthresh:64088 notsent:1487104 minrtt:0.04\n"
"=== ss -tinm (netns kfb-12)\n"
"State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
"ESTAB 0      0      10.77.0.2:9000 10.77.0.1:51724 ino:34 sk:2 <->\n"
"\t cubic rto:204 bytes_received:1001536 lastsnd:15000 lastrcv:3200 lastack:15000\n"
"=== nstat -az\n"
"TcpExtTCPTimeouts 6 0.0\n";

/* A receiver that stopped reading (captured on this machine's ss). */
static const char ss_zero[] =
"=== ss -tinm (netns kfb-7)\n"
"State Recv-Q Send-Q  Local Address:Port  Peer Address:Port Process\n"
"ESTAB 128512 0           10.78.0.2:9000     10.78.0.1:35040 ino:100119 sk:1 cgroup:/ <->\n"
"\t skmem:(r131840,rb131072,t0,tb3939840,f3328,w0,o0,bl0,d4) ts sack bbr wscale:10,10 "
"rto:200 rtt:0.027/0.013 ato:80 mss:32768 pmtu:65535 rcvmss:47616 advmss:65483 cwnd:10 "
"bytes_received:128512 segs_out:5 segs_in:11 data_segs_in:6 lastsnd:2532 lastrcv:2268 "
"lastack:2268 delivered:1 app_limited rcv_rtt:0.057 rcv_space:65483 rcv_ssthresh:95232 "
"minrtt:0.027 snd_wnd:65536\n"
"=== ss -tinm (netns kfa-7)\n"
"State Recv-Q Send-Q  Local Address:Port  Peer Address:Port Process\n"
"ESTAB 0      3782144     10.78.0.1:35040    10.78.0.2:9000  timer:(persist,916ms,0) ino:100137 sk:2 cgroup:/ <->\n"
"\t skmem:(r0,rb131072,t0,tb4194304,f2368,w3847872,o0,bl0,d0) ts sack bbr wscale:10,10 "
"rto:208 backoff:3 rtt:4.853/9.614 mss:47616 pmtu:65535 rcvmss:536 advmss:65483 cwnd:16 "
"bytes_sent:176128 bytes_retrans:47616 bytes_acked:128513 segs_out:11 segs_in:6 "
"data_segs_out:6 lastsnd:2268 lastrcv:2532 lastack:748 delivered:7 busy:2524ms "
"rwnd_limited:2524ms(100.0%) retrans:0/1 dsack_dups:1 rcv_space:65495 "
"rcv_ssthresh:65495 notsent:3782144 minrtt:0.038\n";

/*
 * The udpgro GSO shape: the receiver holds 60000 bytes more than the
 * sender's new data (1000000 sent less 50000 retransmitted), while the
 * sender, its ACKs rejected, resends the head of its queue.
 */
static const char ss_ahead[] =
"=== ss -tinm (netns ns1)\n"
"State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
"ESTAB 0 120000 192.168.1.1:40000 192.168.1.2:8000 timer:(on,3.2sec,7) ino:1 sk:1 <->\n"
"\t cubic rto:6400 backoff:7 bytes_sent:1000000 bytes_retrans:50000 "
"bytes_acked:900001 lastsnd:200 lastrcv:21000 lastack:21000 unacked:40 "
"retrans:1/40 lost:0 notsent:60000\n"
"=== ss -tinm (netns ns2)\n"
"State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
"ESTAB 0 0 192.168.1.2:8000 192.168.1.1:40000 ino:2 sk:2 <->\n"
"\t cubic rto:204 bytes_received:1010000 bytes_acked:1 lastrcv:21000 lastsnd:180\n";

static const char ss_healthy[] =
"=== ss -tinm (netns peer)\n"
"State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
"ESTAB 0 0 192.168.1.2:5000 192.168.1.1:8000 ino:1 sk:2 <->\n"
"\t cubic rto:204 bytes_sent:100 bytes_acked:101 lastsnd:10 lastrcv:10 lastack:10 rcv_space:14480\n"
"ESTAB 0 1000 192.168.1.2:5001 192.168.1.1:8000 ino:1 sk:3 <->\n"
"\t cubic rto:204 bytes_sent:100 bytes_acked:50 lastsnd:10 lastrcv:10 lastack:200 unacked:2\n"
"=== processes\n"
"  PID STAT WCHAN                             ELAPSED COMMAND\n"
"    1 S    do_wait                                20 /bin/sh /run/kflake/runners/init\n"
"    7 I    rescuer_thread                         20 [kworker/0:1]\n"
"  310 S    do_wait                                12 /bin/sh /t/hang.sh\n"
"  311 S    hrtimer_nanosleep                      12 sleep 1000\n"
"  312 D    io_schedule                            12 cat /mnt/stuck\n"
"  400 R    -                                       0 ps -eo pid,stat,wchan:32,etimes,args\n"
"=== dmesg (last 150 lines)\n"
"[   20.1] sysrq: Show Blocked State\n"
"[   20.1] task:cat             state:D stack:0     pid:312   ppid:310    flags:0x00004000\n";

/* ss without sock_diag (reading /proc/net/tcp): no lastack, one line. */
static const char ss_proc[] =
"=== ss -tinm (netns kfa-59)\n"
"State Recv-Q Send-Q  Local Address:Port  Peer Address:PortProcess\n"
"ESTAB 0      4199576     10.77.0.1:43072    10.77.0.2:9000 timer:(on,450ms,5) "
"ino:110 sk:9d828080 rto:6.43 cwnd:1 ssthresh:739 retrans:5/0 reordering:0\n"
"ESTAB 0      0           10.77.0.1:43074    10.77.0.2:9001 ino:111 sk:9d828081 "
"rto:0.2 cwnd:10\n"
"=== nstat -az\n";

#define HAS(s, sub) CHECK((s) && strstr((s), (sub)))

TEST(snapshot_rto_backoff)
{
	char *label, *summary;

	CHECK_INT(snapshot_analyze(ss_rto, &label, &summary), 1);
	CHECK_STR(label, "tcp-rto-backoff");
	HAS(summary, "(netns kfa-12): 10.77.0.1:51724 -> 10.77.0.2:9000 "
		     "tcp-rto-backoff: unacked 69, Send-Q 2588672");
	HAS(summary, "no ACK for 15.0 s, backoff 6, lost 69, retrans 1/6");
	/* The receiver has everything the sender sent new: not ahead. */
	CHECK(!strstr(summary, "receiver-ahead"));
	free(label);
	free(summary);
}

TEST(snapshot_zero_window)
{
	char *label, *summary;

	CHECK_INT(snapshot_classify(ss_zero, &summary), SNAPSHOT_ZERO_WINDOW);
	HAS(summary, "10.78.0.1:35040 -> 10.78.0.2:9000 tcp-zero-window");
	HAS(summary, "persist timer armed (probe 0); the receiver (netns "
		     "kfb-7) is not reading: Recv-Q 128512");
	free(summary);
	CHECK_INT(snapshot_analyze(ss_zero, &label, &summary), 1);
	CHECK_STR(label, "tcp-zero-window");
	free(label);
	free(summary);
}

TEST(snapshot_receiver_ahead)
{
	char *summary;

	CHECK_INT(snapshot_classify(ss_ahead, &summary), SNAPSHOT_RECEIVER_AHEAD);
	HAS(summary, "the receiver (netns ns2) got 1010000 bytes, 60000 more "
		     "than the 950000 sent as new data");
	free(summary);
}

TEST(snapshot_no_tcp)
{
	char *label, *summary;

	/* Data in flight but ACKs 200 ms old: busy flows, not stuck ones. */
	CHECK_INT(snapshot_analyze(ss_healthy, &label, &summary), 0);
	CHECK_STR(label, "no-tcp");
	HAS(summary, "no TCP connection stuck (2 socket(s) seen); 2 task(s) "
		     "blocked in the kernel");
	HAS(summary, "311 S hrtimer_nanosleep sleep 1000");
	HAS(summary, "blocked: task:cat             state:D");
	/* Neither kernel threads, PID 1 nor the snapshot's own ps. */
	CHECK(!strstr(summary, "kworker") && !strstr(summary, "ps -eo") &&
	      !strstr(summary, "runners/init"));
	free(label);
	free(summary);
}

TEST(snapshot_no_tcp_info)
{
	char *label, *summary;

	CHECK_INT(snapshot_analyze(ss_proc, &label, &summary), 1);
	CHECK_STR(label, "tcp-sender-stuck");
	HAS(summary, "10.77.0.1:43072 -> 10.77.0.2:9000 tcp-sender-stuck: "
		     "unacked 0, Send-Q 4199576");
	HAS(summary, "retransmit timer fired 5 time(s)");
	CHECK(!strstr(summary, "43074"));
	free(label);
	free(summary);
	CHECK_INT(snapshot_analyze("=== nstat -az\nnothing\n", &label, &summary), 0);
	CHECK(label == NULL);
	CHECK(summary == NULL);
	CHECK_INT(snapshot_analyze("", &label, &summary), 0);
	CHECK(label == NULL);
}
