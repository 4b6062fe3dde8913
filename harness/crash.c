/*
 * crash.c - finds kernel crash reports (oopses, WARNINGs, sanitizer
 * reports, lockups, hangs, leaks, panics) in console output and gives
 * each a fingerprint: kind, normalised title and top stack frames.
 *
 * Console lines carry "[   12.345678][  T123]" prefixes (PRINTK_TIME and
 * PRINTK_CALLER); lines are grouped by caller id, so reports that two
 * CPUs print interleaved are told apart. Without caller ids every line
 * is one group, and a report tolerates unrelated lines in its middle.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crash.h"
#include "util.h"

#define LINE_CAP 1024
#define TITLE_CAP 200
#define SYMBOL_CAP 128
#define MAX_SLOTS 16
#define MAX_REPORT_LINES 400
#define MAX_REPORT_TEXT (32 * 1024)
#define MAX_TRACE_LINES 128
/* Lines after "</TASK>" still taken: "Modules linked in", "---[ end". */
#define TAIL_LINES 30
/* A closed report waits this long for the panic it may cause. */
#define LINGER_LINES 40
#define LINGER_TOTAL 400
/* A report whose caller went quiet for this many lines is over. */
#define IDLE_LINES 2000

enum start_class {
	S_PRIMARY,
	S_PANIC,	/* joins the open report of its caller: fatal */
	S_OOPS_HDR,	/* "Oops: 0002 [#1]" after "BUG: kernel NULL ..." */
	S_KASAN_BARE,	/* "KASAN: null-ptr-deref" after a gpf */
	S_WARN_CPU,	/* the WARN_ONCE after "refcount_t: ..." */
};

struct start_rule {
	const char *prefix;
	const char *also;	/* must appear somewhere too, or NULL */
	const char *kind;
	enum start_class cls;
};

/* First match wins: specific "BUG: ..." forms come before "BUG: ". */
static const struct start_rule rules[] = {
	{ "Kernel panic - not syncing", NULL, "panic", S_PANIC },
	{ "BUG: KASAN: ", NULL, "kasan", S_PRIMARY },
	{ "BUG: KFENCE: ", NULL, "kfence", S_PRIMARY },
	{ "UBSAN: ", NULL, "ubsan", S_PRIMARY },
	{ "BUG: unable to handle", NULL, "oops", S_PRIMARY },
	{ "BUG: kernel NULL pointer dereference", NULL, "oops", S_PRIMARY },
	{ "Unable to handle kernel ", NULL, "oops", S_PRIMARY },
	{ "watchdog: BUG: soft lockup", NULL, "soft_lockup", S_PRIMARY },
	{ "BUG: soft lockup", NULL, "soft_lockup", S_PRIMARY },
	{ "watchdog: ", "detected hard LOCKUP", "hard_lockup", S_PRIMARY },
	{ "NMI watchdog: ", "detected hard LOCKUP", "hard_lockup", S_PRIMARY },
	{ "INFO: task ", " blocked for more than ", "hung_task", S_PRIMARY },
	{ "rcu: INFO: ", "stall", "rcu_stall", S_PRIMARY },
	{ "INFO: rcu_", "stall", "rcu_stall", S_PRIMARY },
	{ "refcount_t: ", NULL, "refcount", S_PRIMARY },
	{ "ref_tracker: ", NULL, "ref_tracker", S_PRIMARY },
	/* 6.1's lib/ref_tracker.c has no "ref_tracker: " prefix yet. */
	{ "leaked reference.", NULL, "ref_tracker", S_PRIMARY },
	{ "reference already released.", NULL, "ref_tracker", S_PRIMARY },
	{ "unreferenced object 0x", NULL, "kmemleak", S_PRIMARY },
	/* A leaked netdev reference: the classic net selftest flake. */
	{ "unregister_netdevice: waiting for ", NULL, "netdev_leak", S_PRIMARY },
	{ "general protection fault", NULL, "gpf", S_PRIMARY },
	{ "WARNING: CPU: ", NULL, "warning", S_WARN_CPU },
	{ "WARNING: ", "lock", "lockdep", S_PRIMARY },
	{ "WARNING: ", "RCU", "lockdep", S_PRIMARY },
	{ "Oops: ", NULL, "oops", S_OOPS_HDR },
	{ "Internal error: Oops", NULL, "oops", S_OOPS_HDR },
	{ "invalid opcode: ", NULL, "oops", S_OOPS_HDR },
	{ "kernel BUG at ", NULL, "bug", S_PRIMARY },
	{ "BUG: ", NULL, "bug", S_PRIMARY },
	{ "KASAN: ", NULL, "kasan", S_KASAN_BARE },
};

/* Frames every report of a kind has: reporting machinery, not the bug. */
static const char *const generic_frames[] = {
	"dump_stack_lvl", "dump_stack", "__dump_stack", "show_stack",
	"show_trace_log_lvl", "show_regs", "panic", "__warn",
	"warn_slowpath_fmt", "warn_slowpath_null", "__warn_printk",
	"report_bug", "handle_bug", "exc_invalid_op", "asm_exc_invalid_op",
	"check_panic_on_warn", "print_report", "print_address_description",
	"__might_resched", "__might_sleep", "___might_sleep", "__might_fault",
	"refcount_warn_saturate", "ubsan_epilogue", "nmi_cpu_backtrace",
	"nmi_trigger_cpumask_backtrace", "arch_trigger_cpumask_backtrace",
	"__die", "__die_body", "die", "die_addr", "oops_end", "do_trap",
	"do_error_trap", "page_fault_oops", "kernelmode_fixup_or_oops",
	"__bad_area_nosemaphore", "bad_area_nosemaphore",
	"do_user_addr_fault", "exc_page_fault", "asm_exc_page_fault",
	"exc_general_protection", "asm_exc_general_protection",
	"dump_backtrace", "bug_handler", "call_break_hook", "brk_handler",
	"do_debug_exception", "el1_dbg", "el1h_64_sync_handler",
	"el1h_64_sync", "ref_tracker_alloc", "ref_tracker_free",
	"ref_tracker_dir_exit", "stack_trace_save", "stack_depot_save",
	"kfence_report_error",
};

static const char *const generic_prefixes[] = {
	"__asan_", "__kasan_", "kasan_", "__ubsan_handle_", "__sanitizer_",
	"kmemleak_", "kmsan_", "__kmsan_",
};

/* A hung task always sleeps in the scheduler: where it waits matters. */
static const char *const hung_task_frames[] = {
	"__schedule", "schedule", "schedule_timeout",
	"schedule_preempt_disabled", "schedule_hrtimeout_range_clock",
	"schedule_hrtimeout_range", "io_schedule", "io_schedule_timeout",
	"__mutex_lock", "mutex_lock_nested", "mutex_lock", "__down_common",
	"__down", "down", "rwsem_down_read_slowpath",
	"rwsem_down_write_slowpath", "down_read", "down_write",
	"__wait_for_common", "do_wait_for_common", "wait_for_completion",
	"wait_for_completion_timeout", "wait_for_completion_killable",
	"wait_for_completion_interruptible", "bit_wait_io", "__wait_on_bit",
	"out_of_line_wait_on_bit", "msleep", "usleep_range_state",
};

/* Lockdep's own checker and the lock primitives it instruments. */
static const char *const lockdep_frames[] = {
	"__lock_acquire", "lock_acquire", "lock_release", "__lock_release",
	"check_noncircular", "check_prev_add", "check_prevs_add",
	"validate_chain", "print_circular_bug", "print_deadlock_bug",
	"check_deadlock", "mark_lock", "mark_lock_irq", "mark_usage",
	"print_usage_bug", "valid_state", "lockdep_rcu_suspicious",
	"print_unlock_imbalance_bug", "debug_check_no_locks_freed",
	"__mutex_lock", "mutex_lock_nested", "_raw_spin_lock",
	"_raw_spin_lock_irqsave", "_raw_spin_lock_irq", "_raw_spin_lock_bh",
	"_raw_read_lock", "_raw_write_lock", "_raw_read_lock_bh",
	"_raw_write_lock_bh", "down_read", "down_write", "down_read_nested",
	"down_write_nested", "lock_sock_nested",
};

/* A leak's backtrace starts in the allocator. */
static const char *const kmemleak_prefixes[] = {
	"kmem_cache_alloc", "__kmem_cache_alloc", "kmalloc", "__kmalloc",
	"kvmalloc", "__kvmalloc", "krealloc", "kmemdup", "kstrdup", "kzalloc",
	"slab_post_alloc_hook", "__alloc_pages", "alloc_pages", "__vmalloc",
};

struct building {
	int used;
	char caller[16];
	const char *kind;
	char *title;
	struct strbuf text;
	char *frames[CRASH_FRAMES];
	int nframes;
	int fatal;
	int nlines;
	unsigned long line, seq, last;
	int have_rip;
	int in_trace, trace_marked, trace_seen, trace_lines;
	int tail;		/* lines still taken, 0: no limit */
	int warned;
	int lingering;
	int linger_lines;
};

struct queued {
	unsigned long seq;
	struct crash_report r;
};

struct crash_scanner {
	struct building slot[MAX_SLOTS];
	struct queued *done;
	size_t ndone, done_alloc;
	unsigned long lineno, seq, dropped;
	int seen_fatal;
	char line[LINE_CAP];
};

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "[   12.345678]" or "[  T123]" / "[    C0]": 1, with the caller id. */
static int console_field(const char *s, size_t n, char caller[16])
{
	size_t i = 0, j;

	while (i < n && s[i] == ' ')
		i++;
	if (i < n && (s[i] == 'T' || s[i] == 'C')) {
		for (j = i + 1; j < n && isdigit((unsigned char)s[j]); j++)
			;
		if (j == i + 1 || j != n || n - i >= 16)
			return 0;
		memcpy(caller, s + i, n - i);
		caller[n - i] = '\0';
		return 1;
	}
	for (j = i; j < n && isdigit((unsigned char)s[j]); j++)
		;
	if (j == i || j >= n || s[j] != '.')
		return 0;
	for (j++; j < n && isdigit((unsigned char)s[j]); j++)
		;
	return j == n;
}

/* Strip "<4>", "[ time]" and "[caller]"; caller is "" when absent. */
static const char *console_body(const char *line, char caller[16])
{
	const char *s = line, *rb;
	int i, stripped = 0;

	caller[0] = '\0';
	if (s[0] == '<' && isdigit((unsigned char)s[1])) {
		rb = strchr(s, '>');
		if (rb && rb - s <= 4) {
			s = rb + 1;
			stripped = 1;
		}
	}
	for (i = 0; i < 3 && *s == '['; i++) {
		rb = memchr(s, ']', strnlen(s, 32));
		if (!rb || !console_field(s + 1, rb - s - 1, caller))
			break;
		s = rb + 1;
		stripped = 1;
	}
	if (stripped && *s == ' ')
		s++;
	return s;
}

static int is_panic_text(const char *t)
{
	return util_starts_with(t, "Kernel panic - not syncing") ||
	       util_starts_with(t, "---[ end Kernel panic");
}

int crash_is_panic_line(const char *line)
{
	char caller[16];

	return is_panic_text(skip_blank(console_body(line, caller)));
}

static const struct start_rule *classify(const char *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rules); i++) {
		if (!util_starts_with(t, rules[i].prefix))
			continue;
		if (rules[i].also && !strstr(t, rules[i].also))
			continue;
		return &rules[i];
	}
	return NULL;
}

static int kind_is(const struct building *b, const char *kind)
{
	return !strcmp(b->kind, kind);
}

/* Sanitizer reports are framed by "=====" lines and go on past the trace. */
static int is_sanitizer(const struct building *b)
{
	return kind_is(b, "kasan") || kind_is(b, "kfence") ||
	       kind_is(b, "ubsan");
}

/* Reports whose stack is printed without a "Call Trace:" header. */
static int has_implicit_trace(const struct building *b)
{
	return kind_is(b, "kfence") || kind_is(b, "ref_tracker");
}

static int in_list(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return 1;
	return 0;
}

static int has_prefix_in(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (util_starts_with(name, list[i]))
			return 1;
	return 0;
}

static int is_generic(const struct building *b, const char *name)
{
	if (in_list(name, generic_frames, ARRAY_SIZE(generic_frames)) ||
	    has_prefix_in(name, generic_prefixes, ARRAY_SIZE(generic_prefixes)))
		return 1;
	if (kind_is(b, "hung_task"))
		return in_list(name, hung_task_frames,
			       ARRAY_SIZE(hung_task_frames));
	if (kind_is(b, "lockdep"))
		return in_list(name, lockdep_frames,
			       ARRAY_SIZE(lockdep_frames));
	if (kind_is(b, "kmemleak"))
		return has_prefix_in(name, kmemleak_prefixes,
				     ARRAY_SIZE(kmemleak_prefixes));
	return 0;
}

/*
 * "foo.isra.0+0x1a/0x40 [mod]" -> "foo": offsets, modules and compiler
 * suffixes (.constprop.N, .isra.N, .part.N, .cold) change between builds
 * of the same code. Returns the length of the name, 0 if s is no symbol.
 */
static size_t symbol_name(const char *s, char out[SYMBOL_CAP])
{
	size_t n = 0, keep;

	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '.' ||
	       s[n] == '$')
		n++;
	if (!n || isdigit((unsigned char)s[0]) || !util_starts_with(s + n, "+0x"))
		return 0;
	for (keep = 1; keep < n && s[keep] != '.'; keep++)
		;
	if (keep >= SYMBOL_CAP)
		keep = SYMBOL_CAP - 1;
	memcpy(out, s, keep);
	out[keep] = '\0';
	return keep;
}

enum frame_type { NOT_FRAME, FRAME, FRAME_UNRELIABLE };

static enum frame_type parse_frame(const char *t, char name[SYMBOL_CAP])
{
	int unreliable = 0;

	if (t[0] == '?' && t[1] == ' ') {
		unreliable = 1;
		t += 2;
	}
	/* kmemleak and older kernels: "[<ffffffff81234567>] foo+0x1/0x2" */
	if (t[0] == '[' && t[1] == '<') {
		t = strstr(t, ">] ");
		if (!t)
			return NOT_FRAME;
		t += 3;
	}
	if (util_starts_with(t, "0x") && strchr(t, '+') == NULL &&
	    isxdigit((unsigned char)t[2]))
		return FRAME_UNRELIABLE;
	if (!symbol_name(t, name))
		return NOT_FRAME;
	return unreliable ? FRAME_UNRELIABLE : FRAME;
}

static void add_frame(struct building *b, const char *name)
{
	if (b->nframes >= CRASH_FRAMES || is_generic(b, name))
		return;
	if (b->nframes && !strcmp(b->frames[b->nframes - 1], name))
		return;
	b->frames[b->nframes++] = xstrdup(name);
}

/* "RIP: 0010:strlen+0x0/0x20" (x86) or "pc : foo+0x1c/0x30" (arm64). */
static void take_rip(struct building *b, const char *t)
{
	char name[SYMBOL_CAP];

	if (util_starts_with(t, "RIP: ")) {
		t += 5;
		if (strlen(t) < 5 || t[4] != ':')
			return;
		t += 5;
	} else if (util_starts_with(t, "pc : ")) {
		t += 5;
	} else {
		return;
	}
	b->have_rip = 1;
	if (symbol_name(t, name))
		add_frame(b, name);
}

static int is_trace_header(const char *t)
{
	size_t n = strlen(t);

	if (!strncasecmp(t, "Call Trace:", 11))
		return 1;
	/* kmemleak: "backtrace:", newer "backtrace (crc 1234abcd):" */
	return util_starts_with(t, "backtrace") && n && t[n - 1] == ':';
}

/* What ends a stack printed without <TASK> markers (arm64, kfence...). */
static int ends_unmarked_trace(const char *t)
{
	static const char *const prefixes[] = {
		"Code: ", "---[", "CPU: ", "Hardware name:",
		"Modules linked in", "RIP: ", "pc : ", "lr : ", "Workqueue:",
	};
	size_t n = strlen(t);

	if (!n || t[n - 1] == ':' || classify(t))
		return 1;
	return has_prefix_in(t, prefixes, ARRAY_SIZE(prefixes));
}

static void end_trace(struct building *b)
{
	b->in_trace = 0;
	b->trace_seen = 1;
	if (!is_sanitizer(b))
		b->tail = TAIL_LINES;
}

static void begin_trace(struct building *b)
{
	b->in_trace = 1;
	b->trace_marked = 0;
	b->trace_lines = 0;
}

/*
 * Follow the report's structure: the first trace gives the frames, the
 * RIP before it gives the faulting function. Later traces ("Allocated
 * by", NMI backtraces, the panic's own dump) describe something else.
 */
static void track(struct building *b, const char *t)
{
	char name[SYMBOL_CAP];
	enum frame_type ft;

	if (!b->trace_seen && !b->in_trace && !b->have_rip)
		take_rip(b, t);
	if (is_trace_header(t)) {
		if (!b->trace_seen && !b->in_trace)
			begin_trace(b);
		return;
	}
	if (!strcmp(t, "</TASK>")) {
		if (b->in_trace)
			end_trace(b);
		else if (!is_sanitizer(b))
			b->tail = TAIL_LINES;
		return;
	}
	if (t[0] == '<' && strchr(t, '>')) {
		b->trace_marked |= b->in_trace;
		return;
	}
	ft = parse_frame(t, name);
	if (!b->in_trace && !b->trace_seen && ft != NOT_FRAME &&
	    has_implicit_trace(b))
		begin_trace(b);
	if (!b->in_trace)
		return;
	if (++b->trace_lines > MAX_TRACE_LINES)
		end_trace(b);
	else if (ft == FRAME)
		add_frame(b, name);
	else if (ft == NOT_FRAME && !b->trace_marked && ends_unmarked_trace(t))
		end_trace(b);
}

static int is_rule_line(const char *t)
{
	size_t i;

	for (i = 0; i < 20; i++)
		if (t[i] != '=')
			return 0;
	return 1;
}

static void release_building(struct building *b)
{
	int i;

	free(b->title);
	strbuf_release(&b->text);
	for (i = 0; i < b->nframes; i++)
		free(b->frames[i]);
	memset(b, 0, sizeof(*b));
}

/* Whether a digit run starting at s[i] is a number, not part of a name. */
static int number_starts(const char *s, size_t i)
{
	return isdigit((unsigned char)s[i]) &&
	       (!i || !(isalpha((unsigned char)s[i - 1]) || s[i - 1] == '_'));
}

/* Length of a run of >= 8 hex digits with a decimal among them, or 0. */
static size_t hex_run(const char *s, size_t i)
{
	size_t n = 0;
	int digit = 0;

	if (i && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_'))
		return 0;
	while (isxdigit((unsigned char)s[i + n])) {
		digit |= isdigit((unsigned char)s[i + n]);
		n++;
	}
	if (n < 8 || !digit || isalnum((unsigned char)s[i + n]) ||
	    s[i + n] == '_')
		return 0;
	return n;
}

/* Addresses become ADDR and standalone numbers N; symbols lose offsets. */
static void normalize_word(struct strbuf *sb, const char *w)
{
	char name[SYMBOL_CAP];
	size_t i = 0, n;

	if (symbol_name(w, name)) {
		strbuf_addstr(sb, name);
		return;
	}
	while (w[i]) {
		if (w[i] == '0' && (w[i + 1] == 'x' || w[i + 1] == 'X') &&
		    isxdigit((unsigned char)w[i + 2]) &&
		    (!i || !isalnum((unsigned char)w[i - 1]))) {
			for (i += 2; isxdigit((unsigned char)w[i]); i++)
				;
			strbuf_addstr(sb, "ADDR");
		} else if ((n = hex_run(w, i))) {
			i += n;
			strbuf_addstr(sb, "ADDR");
		} else if (number_starts(w, i)) {
			while (isdigit((unsigned char)w[i]))
				i++;
			strbuf_addch(sb, 'N');
		} else {
			strbuf_addch(sb, w[i++]);
		}
	}
}

static char *normalize_title(const char *kind, const char *raw)
{
	struct strbuf sb = STRBUF_INIT;
	char *t = xstrndup(raw, TITLE_CAP), *p, *word, *save = NULL;
	size_t n;

	/* "Oops: 0002 [#1] PREEMPT SMP NOPTI": the rest is configuration. */
	p = strstr(t, " [#");
	if (p)
		*p = '\0';
	/* "[comm:pid]" of a soft lockup, " [module]" after a symbol */
	n = strlen(t);
	p = strrchr(t, '[');
	if (n && t[n - 1] == ']' && p && p > t && p[-1] == ' ')
		p[-1] = '\0';
	/* "INFO: task kworker/0:1:23 blocked ...": which task varies. */
	p = strstr(t, " blocked for more than ");
	if (!strcmp(kind, "hung_task") && p)
		memmove(t + strlen("INFO: task"), p, strlen(p) + 1);
	/* "waiting for veth1 to become free": the leak, not which device. */
	p = strstr(t, " to become free");
	if (!strcmp(kind, "netdev_leak") && p && p - t > 33) {
		char *dev = xasprintf("%.33s DEV%s", t, p);

		free(t);
		t = dev;
	}
	for (word = strtok_r(t, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save)) {
		if (sb.len)
			strbuf_addch(&sb, ' ');
		normalize_word(&sb, word);
	}
	free(t);
	if (!sb.len)
		strbuf_addstr(&sb, kind);
	return strbuf_detach(&sb);
}

static void queue_report(struct crash_scanner *sc, unsigned long seq,
			 struct crash_report *r)
{
	size_t i;

	if (sc->ndone >= CRASH_MAX_REPORTS) {
		sc->dropped++;
		crash_report_release(r);
		return;
	}
	ALLOC_GROW(sc->done, sc->ndone, sc->done_alloc);
	/* Keep start order even when interleaved reports end out of order. */
	for (i = sc->ndone; i > 0 && sc->done[i - 1].seq > seq; i--)
		sc->done[i] = sc->done[i - 1];
	sc->done[i].seq = seq;
	sc->done[i].r = *r;
	sc->ndone++;
}

static void finalize(struct crash_scanner *sc, struct building *b)
{
	struct strbuf key = STRBUF_INIT, frames = STRBUF_INIT;
	struct crash_report r;
	char hex[41];
	int i;

	memset(&r, 0, sizeof(r));
	r.kind = xstrdup(b->kind);
	r.title = normalize_title(b->kind, b->title);
	strbuf_addf(&key, "%s|%s", r.kind, r.title);
	for (i = 0; i < b->nframes; i++) {
		strbuf_addf(&frames, "%s%s", i ? "\n" : "", b->frames[i]);
		strbuf_addf(&key, "|%s", b->frames[i]);
	}
	util_sha1_hex(key.buf, key.len, hex);
	r.fingerprint = xstrdup(hex);
	r.frames = xstrdup(strbuf_str(&frames));
	r.text = xstrdup(strbuf_str(&b->text));
	r.fatal = b->fatal;
	r.line = b->line;
	queue_report(sc, b->seq, &r);
	strbuf_release(&key);
	strbuf_release(&frames);
	release_building(b);
}

/* A fatal report is complete; others may still be joined by a panic. */
static void close_report(struct crash_scanner *sc, struct building *b)
{
	if (b->fatal) {
		finalize(sc, b);
		return;
	}
	b->lingering = 1;
	b->linger_lines = 0;
}

static void add_line(struct crash_scanner *sc, struct building *b,
		     const char *t)
{
	b->last = sc->lineno;
	if (b->nlines >= MAX_REPORT_LINES || b->text.len >= MAX_REPORT_TEXT) {
		close_report(sc, b);
		return;
	}
	strbuf_addstr(&b->text, sc->line);
	strbuf_addch(&b->text, '\n');
	b->nlines++;
	track(b, t);
	if (util_starts_with(t, "---[ end trace") ||
	    util_starts_with(t, "---[ end Kernel panic") ||
	    (is_sanitizer(b) && b->nlines > 1 && is_rule_line(t))) {
		close_report(sc, b);
		return;
	}
	if (util_starts_with(t, "Kernel Offset:")) {
		/* Only "---[ end Kernel panic ...]---" follows. */
		b->tail = 2;
	}
	if (b->tail && --b->tail == 0)
		close_report(sc, b);
}

static struct building *find_slot(struct crash_scanner *sc,
				  const char *caller)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (sc->slot[i].used && !strcmp(sc->slot[i].caller, caller))
			return &sc->slot[i];
	return NULL;
}

static struct building *free_slot(struct crash_scanner *sc)
{
	struct building *oldest = NULL;
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		if (!sc->slot[i].used)
			return &sc->slot[i];
		if (!oldest || sc->slot[i].last < oldest->last)
			oldest = &sc->slot[i];
	}
	finalize(sc, oldest);
	return oldest;
}

static void start_report(struct crash_scanner *sc, const char *caller,
			 const struct start_rule *rule, const char *t)
{
	struct building *b = free_slot(sc);

	b->used = 1;
	snprintf(b->caller, sizeof(b->caller), "%s", caller);
	b->kind = rule->kind;
	b->title = xstrndup(t, TITLE_CAP);
	b->line = sc->lineno;
	b->seq = ++sc->seq;
	b->fatal = rule->cls == S_PANIC;
	strbuf_init(&b->text);
	add_line(sc, b, t);
}

/* Start lines that continue the open report rather than begin one. */
static int joins(const struct building *b, const struct start_rule *rule)
{
	switch (rule->cls) {
	case S_PANIC:
		return 1;
	case S_OOPS_HDR:
		return !b->trace_seen && !b->in_trace;
	case S_KASAN_BARE:
		return !b->trace_seen;
	case S_WARN_CPU:
		return !b->warned &&
		       (kind_is(b, "refcount") || kind_is(b, "ref_tracker"));
	default:
		return 0;
	}
}

static void expire(struct crash_scanner *sc)
{
	struct building *b;
	unsigned long limit;
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		b = &sc->slot[i];
		limit = b->lingering ? LINGER_TOTAL : IDLE_LINES;
		if (b->used && sc->lineno - b->last > limit)
			finalize(sc, b);
	}
}

static void feed_open(struct crash_scanner *sc, struct building *b,
		      const struct start_rule *rule, const char *caller,
		      const char *t)
{
	if (rule && joins(b, rule)) {
		b->fatal |= rule->cls == S_PANIC;
		b->warned |= rule->cls == S_WARN_CPU;
		/* The joining part brings its own trace and end marker. */
		b->tail = 0;
		add_line(sc, b, t);
		return;
	}
	if (rule) {
		finalize(sc, b);
		start_report(sc, caller, rule, t);
		return;
	}
	add_line(sc, b, t);
}

void crash_scanner_feed(struct crash_scanner *sc, const char *line)
{
	const struct start_rule *rule;
	struct building *b;
	char caller[16];
	const char *t;
	size_t n = strnlen(line, LINE_CAP - 1);

	memcpy(sc->line, line, n);
	while (n && (sc->line[n - 1] == '\r' || sc->line[n - 1] == '\n'))
		n--;
	sc->line[n] = '\0';
	sc->lineno++;
	t = skip_blank(console_body(sc->line, caller));
	if (is_panic_text(t))
		sc->seen_fatal = 1;
	expire(sc);
	rule = classify(t);
	b = find_slot(sc, caller);
	if (b && b->lingering) {
		if (rule && rule->cls == S_PANIC) {
			b->lingering = 0;
			b->fatal = 1;
			b->tail = 0;
			add_line(sc, b, t);
			return;
		}
		if (!rule && ++b->linger_lines <= LINGER_LINES)
			return;
		finalize(sc, b);
		b = NULL;
	}
	if (b)
		feed_open(sc, b, rule, caller, t);
	else if (rule)
		start_report(sc, caller, rule, t);
}

struct crash_scanner *crash_scanner_new(void)
{
	return xcalloc(1, sizeof(struct crash_scanner));
}

int crash_scanner_pop(struct crash_scanner *sc, struct crash_report *out)
{
	if (!sc->ndone)
		return 0;
	*out = sc->done[0].r;
	sc->ndone--;
	memmove(sc->done, sc->done + 1, sc->ndone * sizeof(*sc->done));
	return 1;
}

int crash_scanner_seen_fatal(const struct crash_scanner *sc)
{
	return sc->seen_fatal;
}

unsigned long crash_scanner_dropped(const struct crash_scanner *sc)
{
	return sc->dropped;
}

void crash_scanner_finish(struct crash_scanner *sc, struct crash_list *out)
{
	struct crash_report r;
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (sc->slot[i].used)
			finalize(sc, &sc->slot[i]);
	while (crash_scanner_pop(sc, &r)) {
		ALLOC_GROW(out->v, out->nr, out->alloc);
		out->v[out->nr++] = r;
	}
}

void crash_scanner_free(struct crash_scanner *sc)
{
	size_t i;

	if (!sc)
		return;
	for (i = 0; i < MAX_SLOTS; i++)
		release_building(&sc->slot[i]);
	for (i = 0; i < sc->ndone; i++)
		crash_report_release(&sc->done[i].r);
	free(sc->done);
	free(sc);
}

int crash_scan(const char *text, size_t len, struct crash_list *out)
{
	struct crash_scanner *sc = crash_scanner_new();
	const char *p = text, *end = text ? text + len : NULL, *nl;
	char *buf = xmalloc(LINE_CAP);
	size_t n;

	while (text && p < end) {
		nl = memchr(p, '\n', end - p);
		n = (nl ? nl : end) - p;
		if (n >= LINE_CAP)
			n = LINE_CAP - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		crash_scanner_feed(sc, buf);
		p = nl ? nl + 1 : end;
	}
	crash_scanner_finish(sc, out);
	crash_scanner_free(sc);
	free(buf);
	return 0;
}

void crash_report_release(struct crash_report *r)
{
	free(r->kind);
	free(r->title);
	free(r->frames);
	free(r->fingerprint);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

void crash_list_release(struct crash_list *list)
{
	size_t i;

	for (i = 0; i < list->nr; i++)
		crash_report_release(&list->v[i]);
	free(list->v);
	memset(list, 0, sizeof(*list));
}
