/*
 * test_crash.c - crash report detection and fingerprints on console
 * output written the way a 6.1 x86_64 kernel with PRINTK_TIME and
 * PRINTK_CALLER prints it.
 */
#include <stdlib.h>
#include <string.h>

#include "../../harness/crash.h"
#include "../../harness/util.h"
#include "test.h"

/* echo c > /proc/sysrq-trigger: since 5.x sysrq-c calls panic() itself. */
static const char sysrq_crash[] =
	"[   45.668012][  T321] sysrq: Trigger a crash\n"
	"[   45.672001][  T321] Kernel panic - not syncing: sysrq triggered crash\n"
	"[   45.672801][  T321] CPU: 1 PID: 321 Comm: sh Not tainted 6.1.0-kflake #1\n"
	"[   45.673512][  T321] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014\n"
	"[   45.674511][  T321] Call Trace:\n"
	"[   45.674833][  T321]  <TASK>\n"
	"[   45.675121][  T321]  dump_stack_lvl+0x49/0x63\n"
	"[   45.675602][  T321]  panic+0x11e/0x2f1\n"
	"[   45.676011][  T321]  ? _printk+0x58/0x73\n"
	"[   45.676422][  T321]  sysrq_handle_crash+0x16/0x20\n"
	"[   45.676912][  T321]  __handle_sysrq.cold+0x43/0x11b\n"
	"[   45.677408][  T321]  write_sysrq_trigger+0x24/0x40\n"
	"[   45.677901][  T321]  proc_reg_write+0x59/0x90\n"
	"[   45.678356][  T321]  vfs_write+0xb8/0x2b0\n"
	"[   45.678783][  T321]  ksys_write+0x5f/0xe0\n"
	"[   45.679201][  T321]  do_syscall_64+0x3b/0x90\n"
	"[   45.679634][  T321]  entry_SYSCALL_64_after_hwframe+0x63/0xcd\n"
	"[   45.680178][  T321] RIP: 0033:0x7f4b8b1d2f33\n"
	"[   45.680598][  T321] Code: 0c 00 f7 d8 64 89 01 48 83 c8 ff c3 66 2e 0f 1f 84 00 00 00 00 00 64 8b 04 25 18 00 00 00 85 c0 75 14 b8 01 00 00 00 0f 05 <48> 3d 00 f0 ff ff 77 55 c3 0f 1f 40 00 48 83 ec 28 48 89 54 24 18\n"
	"[   45.682421][  T321] RSP: 002b:00007ffd2c3c8a48 EFLAGS: 00000246 ORIG_RAX: 0000000000000001\n"
	"[   45.683192][  T321] RAX: ffffffffffffffda RBX: 0000000000000002 RCX: 00007f4b8b1d2f33\n"
	"[   45.683960][  T321] RDX: 0000000000000002 RSI: 0000558e5d3c6c10 RDI: 0000000000000001\n"
	"[   45.687011][  T321]  </TASK>\n"
	"[   45.687512][  T321] Kernel Offset: 0x2a200000 from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)\n"
	"[   45.688534][  T321] ---[ end Kernel panic - not syncing: sysrq triggered crash ]---\n";

/* A NULL dereference in softirq that the kernel then panics on. */
#define NULL_OOPS(ts, cpu, addr, pid, off, sfx)				\
	"[  " ts "][    C" cpu "] BUG: kernel NULL pointer dereference, address: " addr "\n" \
	"[  " ts "][    C" cpu "] #PF: supervisor read access in kernel mode\n" \
	"[  " ts "][    C" cpu "] #PF: error_code(0x0000) - not-present page\n" \
	"[  " ts "][    C" cpu "] PGD 0 P4D 0 \n"				\
	"[  " ts "][    C" cpu "] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"	\
	"[  " ts "][    C" cpu "] CPU: " cpu " PID: " pid " Comm: udpgso_bench_tx Not tainted 6.1.0-kflake #1\n" \
	"[  " ts "][    C" cpu "] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014\n" \
	"[  " ts "][    C" cpu "] RIP: 0010:skb_gro_receive_list" sfx "+" off "/0xe0\n" \
	"[  " ts "][    C" cpu "] Code: 48 89 e5 41 55 41 54 53 48 8b 5f 08 <48> 8b 43 10 48 85 c0 74 4a\n" \
	"[  " ts "][    C" cpu "] RSP: 0018:ffffc90000003b48 EFLAGS: 00010286\n" \
	"[  " ts "][    C" cpu "] RAX: 0000000000000000 RBX: " addr " RCX: ffff888005a1c000\n" \
	"[  " ts "][    C" cpu "] CR2: " addr " CR3: 0000000004a0c000 CR4: 00000000000006f0\n" \
	"[  " ts "][    C" cpu "] Call Trace:\n"				\
	"[  " ts "][    C" cpu "]  <IRQ>\n"				\
	"[  " ts "][    C" cpu "]  ? __die+0x1f/0x70\n"			\
	"[  " ts "][    C" cpu "]  ? page_fault_oops+0x15a/0x2e0\n"	\
	"[  " ts "][    C" cpu "]  ? exc_page_fault+0x6a/0x150\n"		\
	"[  " ts "][    C" cpu "]  ? asm_exc_page_fault+0x22/0x30\n"	\
	"[  " ts "][    C" cpu "]  ? skb_gro_receive_list+0x2a/0xe0\n"	\
	"[  " ts "][    C" cpu "]  udp_gro_receive" sfx "+0x1d5/0x3e0\n"	\
	"[  " ts "][    C" cpu "]  udp4_gro_receive+0x1b3/0x2e0\n"		\
	"[  " ts "][    C" cpu "]  inet_gro_receive+0x23c/0x2d0\n"		\
	"[  " ts "][    C" cpu "]  dev_gro_receive+0x2c7/0x6d0\n"		\
	"[  " ts "][    C" cpu "]  napi_gro_receive+0x64/0x1e0\n"		\
	"[  " ts "][    C" cpu "]  veth_xdp_rcv.constprop.0+0x10e/0x2c0 [veth]\n" \
	"[  " ts "][    C" cpu "]  veth_poll+0x6c/0x220 [veth]\n"		\
	"[  " ts "][    C" cpu "]  __napi_poll+0x2b/0x1a0\n"		\
	"[  " ts "][    C" cpu "]  net_rx_action+0x27a/0x300\n"		\
	"[  " ts "][    C" cpu "]  __do_softirq+0xd6/0x2b6\n"		\
	"[  " ts "][    C" cpu "]  </IRQ>\n"				\
	"[  " ts "][    C" cpu "]  <TASK>\n"				\
	"[  " ts "][    C" cpu "]  do_softirq+0x62/0x80\n"			\
	"[  " ts "][    C" cpu "]  __local_bh_enable_ip+0x67/0x80\n"	\
	"[  " ts "][    C" cpu "]  </TASK>\n"				\
	"[  " ts "][    C" cpu "] Modules linked in: veth\n"		\
	"[  " ts "][    C" cpu "] CR2: " addr "\n"				\
	"[  " ts "][    C" cpu "] ---[ end trace 0000000000000000 ]---\n"	\
	"[  " ts "][    C" cpu "] RIP: 0010:skb_gro_receive_list" sfx "+" off "/0xe0\n" \
	"[  " ts "][    C" cpu "] Code: 48 89 e5 41 55 41 54 53 48 8b 5f 08 <48> 8b 43 10 48 85 c0 74 4a\n" \
	"[  " ts "][    C" cpu "] RSP: 0018:ffffc90000003b48 EFLAGS: 00010286\n" \
	"[  " ts "][    C" cpu "] Kernel panic - not syncing: Fatal exception in interrupt\n" \
	"[  " ts "][    C" cpu "] Kernel Offset: disabled\n"		\
	"[  " ts "][    C" cpu "] ---[ end Kernel panic - not syncing: Fatal exception in interrupt ]---\n"

static const char null_oops[] =
	NULL_OOPS(" 12.345678", "0", "0000000000000010", "412", "0x2a", "");
/* Same bug: other CPU, pid, address, time, build (offset, .isra.0). */
static const char null_oops_again[] =
	NULL_OOPS("301.000412", "1", "0000000000000018", "977", "0x2e", ".isra.0");

#define WARN_LINES(p, c, ts)						\
	p "[   " ts "][  T" c "] ------------[ cut here ]------------\n"	\
	p "[   " ts "][  T" c "] WARNING: CPU: 1 PID: " c " at net/ipv4/udp_offload.c:317 __udp_gso_segment+0x4e2/0x5a0\n" \
	p "[   " ts "][  T" c "] Modules linked in: veth\n"		\
	p "[   " ts "][  T" c "] CPU: 1 PID: " c " Comm: udpgso_bench_tx Not tainted 6.1.0-kflake #1\n" \
	p "[   " ts "][  T" c "] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014\n" \
	p "[   " ts "][  T" c "] RIP: 0010:__udp_gso_segment+0x4e2/0x5a0\n" \
	p "[   " ts "][  T" c "] Code: 0f 0b e9 5e fc ff ff <0f> 0b 31 db e9 8b fe ff ff\n" \
	p "[   " ts "][  T" c "] RSP: 0018:ffffc900005bb8b0 EFLAGS: 00010246\n" \
	p "[   " ts "][  T" c "] Call Trace:\n"				\
	p "[   " ts "][  T" c "]  <TASK>\n"				\
	p "[   " ts "][  T" c "]  ? __warn+0x7d/0x130\n"			\
	p "[   " ts "][  T" c "]  ? __udp_gso_segment+0x4e2/0x5a0\n"	\
	p "[   " ts "][  T" c "]  ? report_bug+0x18d/0x1c0\n"		\
	p "[   " ts "][  T" c "]  ? handle_bug+0x3c/0x70\n"		\
	p "[   " ts "][  T" c "]  ? exc_invalid_op+0x14/0x70\n"		\
	p "[   " ts "][  T" c "]  ? asm_exc_invalid_op+0x16/0x20\n"	\
	p "[   " ts "][  T" c "]  udp4_ufo_fragment+0x1c4/0x220\n"		\
	p "[   " ts "][  T" c "]  inet_gso_segment+0x154/0x3d0\n"		\
	p "[   " ts "][  T" c "]  skb_mac_gso_segment+0x9f/0x110\n"	\
	p "[   " ts "][  T" c "]  __skb_gso_segment+0xb3/0x160\n"		\
	p "[   " ts "][  T" c "]  validate_xmit_skb+0x15c/0x300\n"		\
	p "[   " ts "][  T" c "]  __dev_queue_xmit+0x3b2/0xb10\n"		\
	p "[   " ts "][  T" c "]  </TASK>\n"				\
	p "[   " ts "][  T" c "] ---[ end trace 0000000000000000 ]---\n"

static const char warn_report[] = WARN_LINES("", "456", "30.100001");

#define KASAN_LINES(p, c)						\
	p "[   31.000000][  T" c "] ==================================================================\n" \
	p "[   31.000000][  T" c "] BUG: KASAN: use-after-free in udp_gro_receive+0x2f0/0x3e0\n" \
	p "[   31.000000][  T" c "] Read of size 8 at addr ffff888004a3c010 by task udpgso_bench_rx/" c "\n" \
	p "[   31.000000][  T" c "] \n"					\
	p "[   31.000000][  T" c "] CPU: 0 PID: " c " Comm: udpgso_bench_rx Not tainted 6.1.0-kflake #1\n" \
	p "[   31.000000][  T" c "] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014\n" \
	p "[   31.000000][  T" c "] Call Trace:\n"				\
	p "[   31.000000][  T" c "]  <TASK>\n"				\
	p "[   31.000000][  T" c "]  dump_stack_lvl+0x49/0x63\n"		\
	p "[   31.000000][  T" c "]  print_report+0x177/0x46e\n"		\
	p "[   31.000000][  T" c "]  ? udp_gro_receive+0x2f0/0x3e0\n"		\
	p "[   31.000000][  T" c "]  kasan_report+0xb0/0x140\n"		\
	p "[   31.000000][  T" c "]  udp_gro_receive+0x2f0/0x3e0\n"		\
	p "[   31.000000][  T" c "]  udp6_gro_receive+0x1c1/0x2f0\n"		\
	p "[   31.000000][  T" c "]  ipv6_gro_receive+0x33b/0x8f0\n"		\
	p "[   31.000000][  T" c "]  dev_gro_receive+0x2c7/0x6d0\n"		\
	p "[   31.000000][  T" c "]  </TASK>\n"				\
	p "[   31.000000][  T" c "] \n"					\
	p "[   31.000000][  T" c "] Allocated by task 1:\n"		\
	p "[   31.000000][  T" c "]  kasan_save_stack+0x22/0x40\n"		\
	p "[   31.000000][  T" c "]  __kasan_kmalloc+0x7f/0x90\n"		\
	p "[   31.000000][  T" c "]  __alloc_skb+0xb8/0x1f0\n"		\
	p "[   31.000000][  T" c "] \n"					\
	p "[   31.000000][  T" c "] Freed by task " c ":\n"		\
	p "[   31.000000][  T" c "]  kasan_save_stack+0x22/0x40\n"		\
	p "[   31.000000][  T" c "]  kfree_skb_reason+0x5e/0x140\n"		\
	p "[   31.000000][  T" c "] \n"					\
	p "[   31.000000][  T" c "] The buggy address belongs to the object at ffff888004a3c000\n" \
	p "[   31.000000][  T" c "]  which belongs to the cache skbuff_head_cache of size 224\n" \
	p "[   31.000000][  T" c "] Memory state around the buggy address:\n" \
	p "[   31.000000][  T" c "]  ffff888004a3bf00: fc fc fc fc fc fc fc fc fc fc fc fc fc fc fc fc\n" \
	p "[   31.000000][  T" c "] >ffff888004a3c000: fa fb fb fb fb fb fb fb fb fb fb fb fb fb fb fb\n" \
	p "[   31.000000][  T" c "]                          ^\n"		\
	p "[   31.000000][  T" c "] ==================================================================\n" \
	p "[   31.000000][  T" c "] Disabling lock debugging due to kernel taint\n"

static const char kasan[] = KASAN_LINES("", "789");

static const char hung_task[] =
	"[  245.101234][   T30] INFO: task kworker/u4:2:57 blocked for more than 122 seconds.\n"
	"[  245.102011][   T30]       Not tainted 6.1.0-kflake #1\n"
	"[  245.102511][   T30] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n"
	"[  245.103311][   T30] task:kworker/u4:2    state:D stack:0     pid:57    ppid:2      flags:0x00004000\n"
	"[  245.104011][   T30] Workqueue: netns cleanup_net\n"
	"[  245.104511][   T30] Call Trace:\n"
	"[  245.104811][   T30]  <TASK>\n"
	"[  245.105011][   T30]  __schedule+0x2f6/0x9a0\n"
	"[  245.105411][   T30]  schedule+0x5e/0xd0\n"
	"[  245.105811][   T30]  schedule_timeout+0x98/0x160\n"
	"[  245.106211][   T30]  ? __bpf_trace_tick_stop+0x10/0x10\n"
	"[  245.106611][   T30]  msleep+0x2d/0x40\n"
	"[  245.107011][   T30]  netdev_run_todo+0x1c7/0x4c0\n"
	"[  245.107411][   T30]  default_device_exit_batch+0x18e/0x1c0\n"
	"[  245.107811][   T30]  ops_exit_list+0x5d/0x70\n"
	"[  245.108211][   T30]  cleanup_net+0x1fb/0x330\n"
	"[  245.108611][   T30]  process_one_work+0x1e2/0x3b0\n"
	"[  245.109011][   T30]  worker_thread+0x50/0x3a0\n"
	"[  245.109411][   T30]  kthread+0xe6/0x110\n"
	"[  245.109811][   T30]  ret_from_fork+0x1f/0x30\n"
	"[  245.110211][   T30]  </TASK>\n"
	"[  245.110611][   T30] \n"
	"[  245.111011][   T30] Showing all locks held in the system:\n"
	"[  245.111411][   T30] 1 lock held by khungtaskd/30:\n";

#define SOFT_LOCKUP(ts, cpu, secs, pid)					\
	"[  " ts "][    C" cpu "] watchdog: BUG: soft lockup - CPU#" cpu " stuck for " secs "s! [udpgso_bench_tx:" pid "]\n" \
	"[  " ts "][    C" cpu "] Modules linked in: veth\n"		\
	"[  " ts "][    C" cpu "] CPU: " cpu " PID: " pid " Comm: udpgso_bench_tx Not tainted 6.1.0-kflake #1\n" \
	"[  " ts "][    C" cpu "] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014\n" \
	"[  " ts "][    C" cpu "] RIP: 0010:native_queued_spin_lock_slowpath+0x63/0x2e0\n" \
	"[  " ts "][    C" cpu "] Code: 6e f0 0f ba 2f 08 0f 92 c0 0f b6 c0 c1 e0 08 89 c2 8b 07 <30> e4 09 d0 a9 00 01 ff ff\n" \
	"[  " ts "][    C" cpu "] RSP: 0018:ffffc90000bd3c48 EFLAGS: 00000202\n" \
	"[  " ts "][    C" cpu "] Call Trace:\n"				\
	"[  " ts "][    C" cpu "]  <TASK>\n"				\
	"[  " ts "][    C" cpu "]  _raw_spin_lock+0x25/0x30\n"		\
	"[  " ts "][    C" cpu "]  udp_lib_get_port+0x1b8/0x640\n"		\
	"[  " ts "][    C" cpu "]  __inet_bind+0x1ca/0x270\n"		\
	"[  " ts "][    C" cpu "]  __sys_bind+0xe9/0x110\n"		\
	"[  " ts "][    C" cpu "]  __x64_sys_bind+0x14/0x20\n"		\
	"[  " ts "][    C" cpu "]  </TASK>\n"

static const char soft_lockup[] = SOFT_LOCKUP(" 88.000001", "0", "22", "412");
static const char soft_lockup_again[] = SOFT_LOCKUP("143.120044", "1", "48", "977");

static const char gpf_kasan[] =
	"[   50.100000][  T600] general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN NOPTI\n"
	"[   50.100000][  T600] KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]\n"
	"[   50.100000][  T600] CPU: 0 PID: 600 Comm: ip Not tainted 6.1.0-kflake #1\n"
	"[   50.100000][  T600] RIP: 0010:fib6_nh_release+0x3c/0x1e0\n"
	"[   50.100000][  T600] Call Trace:\n"
	"[   50.100000][  T600]  <TASK>\n"
	"[   50.100000][  T600]  fib6_info_destroy_rcu+0xb0/0x160\n"
	"[   50.100000][  T600]  rcu_core+0x32c/0x8b0\n"
	"[   50.100000][  T600]  </TASK>\n"
	"[   50.100000][  T600] ---[ end trace 0000000000000000 ]---\n";

static const char lockdep[] =
	"[   60.000000][  T700] ======================================================\n"
	"[   60.000000][  T700] WARNING: possible circular locking dependency detected\n"
	"[   60.000000][  T700] 6.1.0-kflake #1 Not tainted\n"
	"[   60.000000][  T700] ------------------------------------------------------\n"
	"[   60.000000][  T700] ip/700 is trying to acquire lock:\n"
	"[   60.000000][  T700] ffffffff83a5b2e8 (rtnl_mutex){+.+.}-{3:3}, at: veth_newlink+0x39/0x4a0 [veth]\n"
	"[   60.000000][  T700] \n"
	"[   60.000000][  T700] -> #1 (&net->xdp.lock){+.+.}-{3:3}:\n"
	"[   60.000000][  T700]        __mutex_lock+0x9a/0x9b0\n"
	"[   60.000000][  T700]        xdp_attachment_setup+0x22/0x60\n"
	"[   60.000000][  T700] \n"
	"[   60.000000][  T700] stack backtrace:\n"
	"[   60.000000][  T700] CPU: 1 PID: 700 Comm: ip Not tainted 6.1.0-kflake #1\n"
	"[   60.000000][  T700] Call Trace:\n"
	"[   60.000000][  T700]  <TASK>\n"
	"[   60.000000][  T700]  dump_stack_lvl+0x5b/0x77\n"
	"[   60.000000][  T700]  check_noncircular+0x104/0x120\n"
	"[   60.000000][  T700]  __lock_acquire+0x11c6/0x1e40\n"
	"[   60.000000][  T700]  lock_acquire+0xc4/0x2e0\n"
	"[   60.000000][  T700]  ? veth_newlink+0x39/0x4a0 [veth]\n"
	"[   60.000000][  T700]  __mutex_lock+0x9a/0x9b0\n"
	"[   60.000000][  T700]  veth_newlink+0x39/0x4a0 [veth]\n"
	"[   60.000000][  T700]  __rtnl_newlink+0x5f8/0x9a0\n"
	"[   60.000000][  T700]  rtnl_newlink+0x44/0x70\n"
	"[   60.000000][  T700]  rtnetlink_rcv_msg+0x16b/0x440\n"
	"[   60.000000][  T700]  </TASK>\n";

static size_t scan(const char *text, struct crash_list *list)
{
	memset(list, 0, sizeof(*list));
	crash_scan(text, strlen(text), list);
	return list->nr;
}

TEST(crash_sysrq_panic)
{
	struct crash_list l;

	CHECK_INT(scan(sysrq_crash, &l), 1);
	if (l.nr == 1) {
		CHECK_STR(l.v[0].kind, "panic");
		CHECK_STR(l.v[0].title,
			  "Kernel panic - not syncing: sysrq triggered crash");
		/* panic() and dump_stack are machinery; sysrq is the cause */
		CHECK_STR(l.v[0].frames,
			  "sysrq_handle_crash\n__handle_sysrq\n"
			  "write_sysrq_trigger\nproc_reg_write");
		CHECK_INT(l.v[0].fatal, 1);
		CHECK_INT(l.v[0].line, 2);
		CHECK_INT(strlen(l.v[0].fingerprint), 40);
		CHECK(strstr(l.v[0].text, "---[ end Kernel panic") != NULL);
		CHECK(strstr(l.v[0].text, "sysrq: Trigger a crash") == NULL);
	}
	crash_list_release(&l);
}

TEST(crash_oops_then_panic_is_one_fatal_report)
{
	struct crash_list l;

	CHECK_INT(scan(null_oops, &l), 1);
	if (l.nr == 1) {
		CHECK_STR(l.v[0].kind, "oops");
		CHECK_STR(l.v[0].title,
			  "BUG: kernel NULL pointer dereference, address: ADDR");
		/* the RIP function first: x86 call traces omit it */
		CHECK_STR(l.v[0].frames,
			  "skb_gro_receive_list\nudp_gro_receive\n"
			  "udp4_gro_receive\ninet_gro_receive");
		CHECK_INT(l.v[0].fatal, 1);
		CHECK(strstr(l.v[0].text, "Oops: 0000 [#1]") != NULL);
		CHECK(strstr(l.v[0].text, "Fatal exception in interrupt ]---") != NULL);
	}
	crash_list_release(&l);
}

TEST(crash_same_bug_same_fingerprint_other_bug_differs)
{
	struct crash_list a, b, c, d;

	scan(null_oops, &a);
	scan(null_oops_again, &b);
	scan(soft_lockup, &c);
	scan(soft_lockup_again, &d);
	CHECK_INT(a.nr, 1);
	CHECK_INT(b.nr, 1);
	CHECK_INT(c.nr, 1);
	CHECK_INT(d.nr, 1);
	if (a.nr == 1 && b.nr == 1 && c.nr == 1 && d.nr == 1) {
		CHECK_STR(a.v[0].fingerprint, b.v[0].fingerprint);
		CHECK_STR(c.v[0].fingerprint, d.v[0].fingerprint);
		CHECK(strcmp(a.v[0].fingerprint, c.v[0].fingerprint) != 0);
		CHECK_STR(c.v[0].kind, "soft_lockup");
		CHECK_STR(c.v[0].title,
			  "watchdog: BUG: soft lockup - CPU#N stuck for Ns!");
		CHECK_STR(c.v[0].frames,
			  "native_queued_spin_lock_slowpath\n_raw_spin_lock\n"
			  "udp_lib_get_port\n__inet_bind");
		CHECK_INT(c.v[0].fatal, 0);
	}
	crash_list_release(&a);
	crash_list_release(&b);
	crash_list_release(&c);
	crash_list_release(&d);
}

TEST(crash_warning_with_end_trace)
{
	struct crash_list l;

	CHECK_INT(scan(warn_report, &l), 1);
	if (l.nr == 1) {
		CHECK_STR(l.v[0].kind, "warning");
		CHECK_STR(l.v[0].title,
			  "WARNING: CPU: N PID: N at net/ipv4/udp_offload.c:N __udp_gso_segment");
		CHECK_STR(l.v[0].frames,
			  "__udp_gso_segment\nudp4_ufo_fragment\n"
			  "inet_gso_segment\nskb_mac_gso_segment");
		CHECK_INT(l.v[0].fatal, 0);
		CHECK(strstr(l.v[0].text, "---[ end trace 0000000000000000 ]---\n") != NULL);
	}
	crash_list_release(&l);
}

TEST(crash_hung_task)
{
	struct crash_list l;

	CHECK_INT(scan(hung_task, &l), 1);
	if (l.nr == 1) {
		CHECK_STR(l.v[0].kind, "hung_task");
		CHECK_STR(l.v[0].title,
			  "INFO: task blocked for more than N seconds.");
		/* the scheduler and msleep say nothing about which hang */
		CHECK_STR(l.v[0].frames,
			  "netdev_run_todo\ndefault_device_exit_batch\n"
			  "ops_exit_list\ncleanup_net");
		CHECK(strstr(l.v[0].text, "Showing all locks held") != NULL);
	}
	crash_list_release(&l);
}

TEST(crash_kasan_use_after_free)
{
	struct crash_list l;

	CHECK_INT(scan(kasan, &l), 1);
	if (l.nr == 1) {
		CHECK_STR(l.v[0].kind, "kasan");
		CHECK_STR(l.v[0].title,
			  "BUG: KASAN: use-after-free in udp_gro_receive");
		CHECK_STR(l.v[0].frames,
			  "udp_gro_receive\nudp6_gro_receive\n"
			  "ipv6_gro_receive\ndev_gro_receive");
		/* the whole report up to its closing rule, not past it */
		CHECK(strstr(l.v[0].text, "Memory state around") != NULL);
		CHECK(strstr(l.v[0].text, "Disabling lock debugging") == NULL);
	}
	crash_list_release(&l);
}

TEST(crash_gpf_with_kasan_range_is_one_report)
{
	struct crash_list l;

	CHECK_INT(scan(gpf_kasan, &l), 1);
	if (l.nr == 1) {
		CHECK_STR(l.v[0].kind, "gpf");
		CHECK_STR(l.v[0].title,
			  "general protection fault, probably for non-canonical address ADDR: N");
		CHECK_STR(l.v[0].frames,
			  "fib6_nh_release\nfib6_info_destroy_rcu\nrcu_core");
	}
	crash_list_release(&l);
}

TEST(crash_lockdep_skips_lock_machinery)
{
	struct crash_list l;

	CHECK_INT(scan(lockdep, &l), 1);
	if (l.nr == 1) {
		CHECK_STR(l.v[0].kind, "lockdep");
		CHECK_STR(l.v[0].title,
			  "WARNING: possible circular locking dependency detected");
		/* the dependency chain's frames are not the call trace */
		CHECK_STR(l.v[0].frames,
			  "veth_newlink\n__rtnl_newlink\nrtnl_newlink\n"
			  "rtnetlink_rcv_msg");
	}
	crash_list_release(&l);
}

/* Lines of text, taken one by one from each of two buffers in turn. */
static char *interleave(const char *a, const char *b)
{
	struct strbuf sb = STRBUF_INIT;
	const char *na, *nb;

	while (*a || *b) {
		na = *a ? strchr(a, '\n') + 1 : a;
		nb = *b ? strchr(b, '\n') + 1 : b;
		strbuf_add(&sb, a, na - a);
		strbuf_add(&sb, b, nb - b);
		a = na;
		b = nb;
	}
	return strbuf_detach(&sb);
}

TEST(crash_interleaved_reports_are_separated)
{
	struct crash_list alone_w, alone_k, l;
	char *mixed = interleave(warn_report, kasan);

	scan(warn_report, &alone_w);
	scan(kasan, &alone_k);
	CHECK_INT(scan(mixed, &l), 2);
	if (l.nr == 2 && alone_w.nr == 1 && alone_k.nr == 1) {
		CHECK_STR(l.v[0].kind, "warning");
		CHECK_STR(l.v[1].kind, "kasan");
		CHECK_STR(l.v[0].fingerprint, alone_w.v[0].fingerprint);
		CHECK_STR(l.v[1].fingerprint, alone_k.v[0].fingerprint);
		CHECK(strstr(l.v[0].text, "KASAN") == NULL);
		CHECK(strstr(l.v[1].text, "udp_offload") == NULL);
	}
	crash_list_release(&alone_w);
	crash_list_release(&alone_k);
	crash_list_release(&l);
	free(mixed);
}

/* No caller ids; userspace and other kernel lines land mid-report. */
TEST(crash_report_split_by_unrelated_lines)
{
	static const char split[] =
		"[   30.100001] ------------[ cut here ]------------\n"
		"[   30.100001] WARNING: CPU: 1 PID: 456 at net/ipv4/udp_offload.c:317 __udp_gso_segment+0x4e2/0x5a0\n"
		"[   30.100001] Modules linked in: veth\n"
		"[   30.100001] RIP: 0010:__udp_gso_segment+0x4e2/0x5a0\n"
		"[   30.100001] Call Trace:\n"
		"[   30.100001]  <TASK>\n"
		"[   30.100001]  ? __warn+0x7d/0x130\n"
		"# ok 3 selftests: net: udpgro_bench.sh\n"
		"[   30.100001]  udp4_ufo_fragment+0x1c4/0x220\n"
		"[   30.100002] IPv6: ADDRCONF(NETDEV_CHANGE): veth0: link becomes ready\n"
		"\n"
		"[   30.100001]  inet_gso_segment+0x154/0x3d0\n"
		"[   30.100001]  skb_mac_gso_segment+0x9f/0x110\n"
		"[   30.100001]  </TASK>\n"
		"udp tx:    754 MB/s    12790 calls/s  12790 msg/s\n"
		"[   30.100001] ---[ end trace 0000000000000000 ]---\n";
	struct crash_list whole, l;

	scan(warn_report, &whole);
	CHECK_INT(scan(split, &l), 1);
	if (l.nr == 1 && whole.nr == 1) {
		CHECK_STR(l.v[0].fingerprint, whole.v[0].fingerprint);
		CHECK(strstr(l.v[0].text, "---[ end trace") != NULL);
	}
	crash_list_release(&whole);
	crash_list_release(&l);
}

TEST(crash_refcount_and_its_warning_are_one_report)
{
	static const char text[] =
		"[   70.000001][  T456] ------------[ cut here ]------------\n"
		"[   70.000001][  T456] refcount_t: underflow; use-after-free.\n"
		"[   70.000001][  T456] WARNING: CPU: 0 PID: 456 at lib/refcount.c:28 refcount_warn_saturate+0xba/0x110\n"
		"[   70.000001][  T456] RIP: 0010:refcount_warn_saturate+0xba/0x110\n"
		"[   70.000001][  T456] Call Trace:\n"
		"[   70.000001][  T456]  <TASK>\n"
		"[   70.000001][  T456]  sock_wfree+0x1a9/0x1c0\n"
		"[   70.000001][  T456]  skb_release_head_state+0x2b/0x90\n"
		"[   70.000001][  T456]  kfree_skb_reason+0x44/0x140\n"
		"[   70.000001][  T456]  udp_gro_receive_segment+0xdc/0x1b0\n"
		"[   70.000001][  T456]  </TASK>\n"
		"[   70.000001][  T456] ---[ end trace 0000000000000000 ]---\n";
	struct crash_list l;

	CHECK_INT(scan(text, &l), 1);
	if (l.nr == 1) {
		CHECK_STR(l.v[0].kind, "refcount");
		CHECK_STR(l.v[0].title, "refcount_t: underflow; use-after-free.");
		CHECK_STR(l.v[0].frames,
			  "sock_wfree\nskb_release_head_state\nkfree_skb_reason\n"
			  "udp_gro_receive_segment");
	}
	crash_list_release(&l);
}

TEST(crash_kmemleak_and_ref_tracker_stacks)
{
	static const char text[] =
		"unreferenced object 0xffff888004a3c000 (size 64):\n"
		"  comm \"ip\", pid 700, jiffies 4294892296 (age 32.940s)\n"
		"  hex dump (first 32 bytes):\n"
		"    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................\n"
		"  backtrace:\n"
		"    [<000000003f9b6cc0>] __kmalloc+0x4b/0x150\n"
		"    [<00000000a1b2c3d4>] fib6_info_alloc+0x2a/0x80\n"
		"    [<00000000deadbeef>] ip6_route_info_create+0x1a3/0x6f0\n"
		"[   80.000001][  T900] leaked reference.\n"
		"[   80.000001][  T900]      ref_tracker_alloc+0x7b/0x120\n"
		"[   80.000001][  T900]      netdev_queue_update_kobjects+0xa1/0x1e0\n"
		"[   80.000001][  T900]      register_netdevice+0x4d5/0x6a0\n"
		"[   80.000001][  T900] WARNING: CPU: 0 PID: 900 at lib/ref_tracker.c:38 ref_tracker_dir_exit+0x10f/0x150\n"
		"[   80.000001][  T900] RIP: 0010:ref_tracker_dir_exit+0x10f/0x150\n"
		"[   80.000001][  T900] Call Trace:\n"
		"[   80.000001][  T900]  <TASK>\n"
		"[   80.000001][  T900]  free_netdev+0x12e/0x1a0\n"
		"[   80.000001][  T900]  </TASK>\n"
		"[   80.000001][  T900] ---[ end trace 0000000000000000 ]---\n";
	struct crash_list l;

	CHECK_INT(scan(text, &l), 2);
	if (l.nr == 2) {
		CHECK_STR(l.v[0].kind, "kmemleak");
		CHECK_STR(l.v[0].title, "unreferenced object ADDR (size N):");
		CHECK_STR(l.v[0].frames, "fib6_info_alloc\nip6_route_info_create");
		CHECK_STR(l.v[1].kind, "ref_tracker");
		CHECK_STR(l.v[1].frames,
			  "netdev_queue_update_kobjects\nregister_netdevice");
	}
	crash_list_release(&l);
}

TEST(crash_panic_lines)
{
	CHECK(crash_is_panic_line("[   45.672001][  T321] Kernel panic - not syncing: sysrq triggered crash"));
	CHECK(crash_is_panic_line("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"));
	CHECK(crash_is_panic_line("[    3.151310] ---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009 ]---"));
	CHECK(!crash_is_panic_line("[   45.668012][  T321] sysrq: Trigger a crash"));
	CHECK(!crash_is_panic_line("echo Kernel panic - not syncing"));
	CHECK(!crash_is_panic_line(""));
}

static void feed_text(struct crash_scanner *sc, const char *text)
{
	struct strbuf line = STRBUF_INIT;
	const char *nl;

	while ((nl = strchr(text, '\n'))) {
		strbuf_reset(&line);
		strbuf_add(&line, text, nl - text);
		crash_scanner_feed(sc, line.buf);
		text = nl + 1;
	}
	strbuf_release(&line);
}

TEST(crash_scanner_live_pop_and_fatal)
{
	struct crash_scanner *sc = crash_scanner_new();
	struct crash_report r;
	struct crash_list l = { 0 };
	int i;

	feed_text(sc, warn_report);
	/* kept back for a while: a panic may still join it */
	CHECK_INT(crash_scanner_pop(sc, &r), 0);
	for (i = 0; i < 60; i++)
		crash_scanner_feed(sc, "[   31.000000][  T456] veth0: link up");
	CHECK_INT(crash_scanner_pop(sc, &r), 1);
	CHECK_STR(r.kind, "warning");
	crash_report_release(&r);
	CHECK_INT(crash_scanner_seen_fatal(sc), 0);

	feed_text(sc, sysrq_crash);
	CHECK_INT(crash_scanner_seen_fatal(sc), 1);
	/* a panic is final: no need to wait */
	CHECK_INT(crash_scanner_pop(sc, &r), 1);
	CHECK_STR(r.kind, "panic");
	crash_report_release(&r);

	feed_text(sc, hung_task);
	crash_scanner_finish(sc, &l);
	CHECK_INT(l.nr, 1);
	if (l.nr == 1)
		CHECK_STR(l.v[0].kind, "hung_task");
	CHECK_INT(crash_scanner_pop(sc, &r), 0);
	crash_scanner_free(sc);
	crash_list_release(&l);
}

TEST(crash_hostile_input_is_bounded)
{
	struct strbuf sb = STRBUF_INIT;
	struct crash_list l = { 0 };
	struct crash_scanner *sc;
	int i;

	for (i = 0; i < CRASH_MAX_REPORTS + 100; i++)
		strbuf_addf(&sb, "[  T%d] BUG: scheduling while atomic: a/%d\n", i, i);
	sc = crash_scanner_new();
	feed_text(sc, sb.buf);
	crash_scanner_finish(sc, &l);
	CHECK_INT(l.nr, CRASH_MAX_REPORTS);
	CHECK_INT(crash_scanner_dropped(sc), 100);
	if (l.nr)
		CHECK_STR(l.v[0].title, "BUG: scheduling while atomic: a/N");
	crash_scanner_free(sc);
	crash_list_release(&l);

	/* an endless trace, overlong lines, brackets that never close */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "BUG: looping\nCall Trace:\n <TASK>\n");
	for (i = 0; i < 5000; i++)
		strbuf_addf(&sb, " f%d+0x1/0x2\n", i);
	for (i = 0; i < 3000; i++)
		strbuf_addch(&sb, '[');
	strbuf_addstr(&sb, "\n[<\n? \n[   1.0][  T\n");
	CHECK_INT(scan(sb.buf, &l), 1);
	if (l.nr == 1) {
		CHECK_STR(l.v[0].frames, "f0\nf1\nf2\nf3");
		CHECK(strlen(l.v[0].text) <= 32 * 1024 + 1024);
	}
	crash_list_release(&l);

	CHECK_INT(crash_scan(NULL, 0, &l), 0);
	CHECK_INT(l.nr, 0);
	strbuf_release(&sb);
}

TEST(crash_netdev_refcount_leak)
{
	/* Printed every 10 s while a netdev reference leaks; same bug each time. */
	static const char leak[] =
		"[  130.101010][  T231] unregister_netdevice: waiting for veth0 to become free. Usage count = 2\n"
		"[  140.202020][  T231] unregister_netdevice: waiting for veth1 to become free. Usage count = 3\n";
	struct crash_list l;

	CHECK_INT(scan(leak, &l), 2);
	if (l.nr == 2) {
		CHECK_STR(l.v[0].kind, "netdev_leak");
		CHECK_STR(l.v[0].title, "unregister_netdevice: waiting for "
			  "DEV to become free. Usage count = N");
		CHECK(!l.v[0].fatal);
		CHECK_STR(l.v[0].fingerprint, l.v[1].fingerprint);
	}
	crash_list_release(&l);
}
