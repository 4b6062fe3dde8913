/*
 * snapshot.c - parses and stores stall snapshots (see snapshot.h). The
 * parser reads iproute2's `ss -tinmoe` layout: a socket line (state,
 * Recv-Q, Send-Q, local, peer, timer) followed by indented detail lines
 * holding key:value fields such as unacked, bytes_sent, bytes_received,
 * bytes_retrans, lastack, backoff and notsent. Sockets of every namespace
 * are read first, so a sender can be paired with its receiver (the
 * socket whose addresses are its own, swapped) before it is classified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "utf8.h"
#include "util.h"

#define MAX_SOCKS 4096

struct sock_info {
	char ns[80];
	char state[16];
	char local[64];
	char peer[64];
	char timer[16];		/* on, persist, keepalive, timewait, ... */
	int timer_retries;	/* third field of timer:(on,450ms,5) */
	long recvq, sendq;
	long unacked, notsent, lost, backoff;
	long lastack;		/* -1: not shown (no tcp_info) */
	long long bytes_sent, bytes_acked, bytes_received, bytes_retrans;
	int has_received, has_sent;
	char retrans[24];
};

/* The value after " key:" in an ss detail line (whole key only). */
static const char *field(const char *line, const char *key)
{
	const char *p = line;
	size_t len = strlen(key);

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') &&
		    p[len] == ':')
			return p + len + 1;
		p += len;
	}
	return NULL;
}

static long field_long(const char *line, const char *key, long dflt)
{
	const char *v = field(line, key);

	return v ? strtol(v, NULL, 10) : dflt;
}

static long long field_ll(const char *line, const char *key, long long dflt,
			  int *seen)
{
	const char *v = field(line, key);

	if (!v)
		return dflt;
	if (seen)
		*seen = 1;
	return strtoll(v, NULL, 10);
}

static void field_str(const char *line, const char *key, char *out,
		      size_t size)
{
	const char *v = field(line, key);
	size_t n;

	if (!v)
		return;
	n = strcspn(v, " \t");
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), v);
}

static void parse_detail(const char *line, struct sock_info *s)
{
	const char *t = strstr(line, "timer:(");

	if (t) {
		size_t n = strcspn(t + 7, ",)");

		snprintf(s->timer, sizeof(s->timer), "%.*s",
			 (int)(n < sizeof(s->timer) ? n : sizeof(s->timer) - 1),
			 t + 7);
		t = strchr(t + 7, ',');
		if (t && (t = strchr(t + 1, ',')))
			s->timer_retries = atoi(t + 1);
	}
	s->unacked = field_long(line, "unacked", s->unacked);
	s->notsent = field_long(line, "notsent", s->notsent);
	s->lastack = field_long(line, "lastack", s->lastack);
	s->lost = field_long(line, "lost", s->lost);
	s->backoff = field_long(line, "backoff", s->backoff);
	s->bytes_sent = field_ll(line, "bytes_sent", s->bytes_sent,
				 &s->has_sent);
	s->bytes_acked = field_ll(line, "bytes_acked", s->bytes_acked, NULL);
	s->bytes_retrans = field_ll(line, "bytes_retrans", s->bytes_retrans,
				    NULL);
	s->bytes_received = field_ll(line, "bytes_received",
				     s->bytes_received, &s->has_received);
	field_str(line, "retrans", s->retrans, sizeof(s->retrans));
}

/* A socket line: "ESTAB 0 1234 1.2.3.4:5 6.7.8.9:10 timer:(...) ...". */
static int parse_sock_line(const char *line, const char *ns,
			   struct sock_info *s)
{
	memset(s, 0, sizeof(*s));
	if (sscanf(line, "%15s %ld %ld %63s %63s", s->state, &s->recvq,
		   &s->sendq, s->local, s->peer) != 5)
		return 0;
	snprintf(s->ns, sizeof(s->ns), "%s", ns);
	s->lastack = -1;
	/* ss prints timer:(on,450ms,5) and /proc fields on the same line. */
	parse_detail(line, s);
	return 1;
}

/* ---- the snapshot's sections ---- */

struct parsed {
	struct sock_info *socks;
	size_t n, alloc;
	struct strbuf tasks;	/* the test's processes, and blocked ones */
	int blocked;
};

static int kernel_thread(const char *args)
{
	return *args == '[';
}

/*
 * "  PID STAT WCHAN ELAPSED ARGS" lines of `ps`: keep the processes in
 * uninterruptible sleep, and the user-space ones but the snapshot's own.
 */
static void parse_process(const char *line, struct parsed *p)
{
	char stat[16], wchan[64];
	int pid, n = 0;
	long secs;
	const char *args;

	if (sscanf(line, " %d %15s %63s %ld %n", &pid, stat, wchan, &secs,
		   &n) != 4 || !n)
		return;
	args = line + n;
	if (kernel_thread(args) || strstr(args, "forensics") ||
	    !strncmp(args, "ps ", 3) || pid == 1)
		return;
	if (*stat == 'D')
		p->blocked++;
	if (p->tasks.len < 2048)
		strbuf_addf(&p->tasks, "  %d %s %s %.120s\n", pid, stat, wchan,
			    args);
}

/* sysrq-w's "task:NAME state:D" lines, from the kernel log. */
static void parse_dmesg(const char *line, struct parsed *p)
{
	const char *t = strstr(line, "task:");

	if (!t || !strstr(t, " state:D") || p->tasks.len >= 4096)
		return;
	p->blocked++;
	strbuf_addf(&p->tasks, "  blocked: %.160s\n", t);
}

static void parse(const char *text, struct parsed *out)
{
	enum { OTHER, SS, PS, DMESG } sec = OTHER;
	struct sock_info *cur = NULL;
	char ns[80] = "";
	const char *p = text;
	int lines = 0;

	while (p && *p && lines++ < 200000) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);

		if (!strncmp(line, "=== ", 4)) {
			cur = NULL;
			sec = !strncmp(line, "=== ss ", 7) ? SS :
			      !strncmp(line, "=== processes", 13) ? PS :
			      !strncmp(line, "=== dmesg", 9) ? DMESG : OTHER;
			snprintf(ns, sizeof(ns), "%s", strstr(line, "(") ?
				 strstr(line, "(") : "init namespace");
		} else if (sec == SS && (*line == ' ' || *line == '\t')) {
			if (cur)
				parse_detail(line, cur);
		} else if (sec == SS && *line && strncmp(line, "State", 5)) {
			cur = NULL;
			if (out->n < MAX_SOCKS) {
				ALLOC_GROW(out->socks, out->n, out->alloc);
				if (parse_sock_line(line, ns, &out->socks[out->n]))
					cur = &out->socks[out->n++];
			}
		} else if (sec == PS) {
			parse_process(line, out);
		} else if (sec == DMESG) {
			parse_dmesg(line, out);
		}
		free(line);
		p += len;
		if (*p)
			p++;
	}
}

/* ---- the classes ---- */

static int estab(const struct sock_info *s)
{
	return !strcmp(s->state, "ESTAB");
}

static int waiting(const struct sock_info *s)
{
	return s->unacked > 0 || s->notsent > 0 || s->sendq > 0;
}

/* The other end of s in the snapshot (any namespace), or NULL. */
static const struct sock_info *peer_of(const struct parsed *p,
				       const struct sock_info *s)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (estab(&p->socks[i]) && !strcmp(p->socks[i].local, s->peer) &&
		    !strcmp(p->socks[i].peer, s->local))
			return &p->socks[i];
	return NULL;
}

/* New data the sender sent: snd_nxt - ISN, bytes_sent less retransmits. */
static long long sent_new(const struct sock_info *s)
{
	return s->bytes_sent - s->bytes_retrans;
}

static int quiet(const struct sock_info *s)
{
	return s->lastack < 0 || s->lastack >= SNAPSHOT_STUCK_MS;
}

/*
 * Unacknowledged data, no ACK for a while, and the retransmit timer
 * firing again and again (its retry count, the RTO backoff, lost
 * segments): the sender is resending the head of its queue.
 */
static int retransmitting(const struct sock_info *s)
{
	return s->unacked > 0 && quiet(s) &&
	       ((!strcmp(s->timer, "on") && s->timer_retries > 0) ||
		s->backoff > 0 || s->lost > 0);
}

static enum snapshot_class classify(const struct parsed *p,
				    const struct sock_info *s,
				    const struct sock_info **peer)
{
	*peer = peer_of(p, s);
	if (!estab(s) || !waiting(s))
		return SNAPSHOT_NONE;
	if (*peer && (*peer)->has_received && s->has_sent &&
	    (*peer)->bytes_received > sent_new(s) && retransmitting(s))
		return SNAPSHOT_RECEIVER_AHEAD;
	if (!strcmp(s->timer, "persist"))
		return SNAPSHOT_ZERO_WINDOW;
	if (retransmitting(s))
		return SNAPSHOT_RTO_BACKOFF;
	if (s->lastack >= 0 ? s->lastack >= SNAPSHOT_STUCK_MS
			    : s->timer_retries > 0)
		return SNAPSHOT_SENDER_STUCK;
	return SNAPSHOT_NONE;
}

static const char *const class_names[] = {
	[SNAPSHOT_NONE] = NULL,
	[SNAPSHOT_NO_TCP] = "no-tcp",
	[SNAPSHOT_SENDER_STUCK] = "tcp-sender-stuck",
	[SNAPSHOT_RTO_BACKOFF] = "tcp-rto-backoff",
	[SNAPSHOT_ZERO_WINDOW] = "tcp-zero-window",
	[SNAPSHOT_RECEIVER_AHEAD] = "tcp-receiver-ahead",
};

const char *snapshot_class_name(enum snapshot_class c)
{
	return c >= 0 && (size_t)c < ARRAY_SIZE(class_names) ?
	       class_names[c] : NULL;
}

static void describe(const struct sock_info *s, const struct sock_info *peer,
		     enum snapshot_class c, struct strbuf *out)
{
	strbuf_addf(out, "%s: %s -> %s %s: unacked %ld, Send-Q %ld, notsent "
		    "%ld, bytes sent %lld acked %lld, ", s->ns, s->local,
		    s->peer, snapshot_class_name(c), s->unacked, s->sendq,
		    s->notsent, s->bytes_sent, s->bytes_acked);
	switch (c) {
	case SNAPSHOT_ZERO_WINDOW:
		strbuf_addf(out, "persist timer armed (probe %d)",
			    s->timer_retries);
		if (peer)
			strbuf_addf(out, "; the receiver %s is not reading: "
				    "Recv-Q %ld", peer->ns, peer->recvq);
		break;
	case SNAPSHOT_RECEIVER_AHEAD:
		strbuf_addf(out, "the receiver %s got %lld bytes, %lld more "
			    "than the %lld sent as new data (rcv_nxt beyond "
			    "snd_nxt), while the sender retransmits (retrans "
			    "%s, backoff %ld)", peer->ns, peer->bytes_received,
			    peer->bytes_received - sent_new(s), sent_new(s),
			    *s->retrans ? s->retrans : "0", s->backoff);
		break;
	default:
		if (s->lastack >= 0)
			strbuf_addf(out, "no ACK for %.1f s",
				    s->lastack / 1000.0);
		else
			strbuf_addf(out, "retransmit timer fired %d time(s)",
				    s->timer_retries);
		strbuf_addf(out, ", backoff %ld, lost %ld", s->backoff,
			    s->lost);
	}
	strbuf_addf(out, ", retrans %s\n", *s->retrans ? s->retrans : "0");
}

enum snapshot_class snapshot_classify(const char *text, char **summary)
{
	struct parsed p = { 0 };
	struct strbuf out = STRBUF_INIT;
	enum snapshot_class worst = SNAPSHOT_NONE;
	size_t i;

	parse(text, &p);
	for (i = 0; i < p.n; i++) {
		const struct sock_info *peer;
		enum snapshot_class c = classify(&p, &p.socks[i], &peer);

		if (c == SNAPSHOT_NONE)
			continue;
		describe(&p.socks[i], peer, c, &out);
		if (c > worst)
			worst = c;
	}
	if (worst == SNAPSHOT_NONE && (p.n || p.tasks.len || strstr(text,
						"=== ss "))) {
		worst = SNAPSHOT_NO_TCP;
		strbuf_addf(&out, "no TCP connection stuck (%zu socket(s) "
			    "seen); %d task(s) blocked in the kernel; the "
			    "test's processes:\n%s", p.n, p.blocked,
			    p.tasks.len ? p.tasks.buf : "  (none listed)\n");
	}
	strbuf_trim(&out);
	*summary = out.len ? strbuf_detach(&out) : NULL;
	strbuf_release(&out);
	strbuf_release(&p.tasks);
	free(p.socks);
	return worst;
}

int snapshot_analyze(const char *text, char **label, char **summary)
{
	enum snapshot_class c = snapshot_classify(text, summary);
	const char *name = snapshot_class_name(c);

	*label = name ? xstrdup(name) : NULL;
	return c >= SNAPSHOT_SENDER_STUCK;
}

/*
 * One row per class: stall iterations (the snapshots the stall left),
 * with the runs and tests they hit, first and last seen, and the newest
 * as an example. Iterations that stalled without a snapshot (the guest
 * died before forensics ran) count under "no snapshot".
 */
int snapshot_groups(struct store *st, long long run_id, const char *test,
		    struct snapshot_group **out)
{
	struct snapshot_group *v = NULL;
	size_t n = 0, alloc = 0, i;
	sqlite3_stmt *stmt;

	*out = NULL;
	stmt = store_prepare(st,
		"SELECT coalesce(n.label, 'no snapshot') AS class, count(*), "
		"count(DISTINCT i.run_id), count(DISTINCT i.test), "
		"min(i.started_at), max(i.started_at), max(i.id), "
		"group_concat(DISTINCT i.test) FROM iterations i "
		"LEFT JOIN snapshots n ON n.iteration_id = i.id "
		"WHERE i.outcome = 'stall' AND (:run = 0 OR i.run_id = :run) "
		"AND (:test IS NULL OR i.test = :test) "
		"GROUP BY class ORDER BY count(*) DESC, class",
		":run I :test s", run_id, test);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		struct snapshot_group *g;

		ALLOC_GROW(v, n, alloc);
		g = &v[n++];
		memset(g, 0, sizeof(*g));
		g->label = xstrdup(store_col_text(stmt, 0));
		g->iterations = (long)sqlite3_column_int64(stmt, 1);
		g->runs = (long)sqlite3_column_int64(stmt, 2);
		g->tests = (long)sqlite3_column_int64(stmt, 3);
		g->first_seen = xstrdup(store_col_text(stmt, 4));
		g->last_seen = xstrdup(store_col_text(stmt, 5));
		g->example = sqlite3_column_int64(stmt, 6);
		g->test_names = xstrdup(store_col_text(stmt, 7));
	}
	sqlite3_finalize(stmt);
	for (i = 0; i < n; i++)
		v[i].summary = store_query_str(st, "SELECT summary FROM "
					       "snapshots WHERE iteration_id = "
					       "? ORDER BY id LIMIT 1", "I",
					       v[i].example);
	*out = v;
	return (int)n;
}

void snapshot_groups_release(struct snapshot_group *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].label);
		free(v[i].first_seen);
		free(v[i].last_seen);
		free(v[i].test_names);
		free(v[i].summary);
	}
	free(v);
}

int snapshot_store(struct store *st, long long iteration_id,
		   const char *text)
{
	char *label = NULL, *summary = NULL;
	int ret;

	if (!text || !*text)
		return 0;
	snapshot_analyze(text, &label, &summary);
	ret = store_exec(st, "INSERT INTO snapshots(iteration_id, label, "
			 "summary, content) VALUES (?, ?, ?, ?)", "Isss",
			 iteration_id, label, summary, text);
	free(label);
	free(summary);
	return ret;
}

#define SNAPSHOT_SELECT \
	"SELECT n.id, n.iteration_id, i.test, i.seq, n.label, n.summary, " \
	"n.content FROM snapshots n JOIN iterations i ON i.id = n.iteration_id"

int snapshot_list(struct store *st, long long run_id, long long iteration_id,
		  long limit, struct snapshot_info **out, int *more)
{
	struct snapshot_info *v = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt;

	*out = NULL;
	if (more)
		*more = 0;
	/* Two texts rather than an OR, which would defeat the indexes. */
	if (iteration_id)
		stmt = store_prepare(st, SNAPSHOT_SELECT
				     " WHERE n.iteration_id = :it ORDER BY n.id "
				     "LIMIT :limit", ":it I :limit I",
				     iteration_id, (long long)limit + 1);
	else
		stmt = store_prepare(st, SNAPSHOT_SELECT
				     " WHERE i.run_id = :run ORDER BY n.id "
				     "LIMIT :limit", ":run I :limit I", run_id,
				     (long long)limit + 1);
	if (!stmt)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if ((long)n == limit) {
			if (more)
				*more = 1;
			break;
		}
		ALLOC_GROW(v, n, alloc);
		v[n].id = sqlite3_column_int64(stmt, 0);
		v[n].iteration_id = sqlite3_column_int64(stmt, 1);
		v[n].test = xstrdup(store_col_text(stmt, 2));
		v[n].seq = sqlite3_column_int(stmt, 3);
		v[n].label = sqlite3_column_type(stmt, 4) == SQLITE_NULL ? NULL
			     : xstrdup(store_col_text(stmt, 4));
		v[n].summary = sqlite3_column_type(stmt, 5) == SQLITE_NULL ?
			       NULL : xstrdup(store_col_text(stmt, 5));
		v[n++].content = xstrdup(store_col_text(stmt, 6));
	}
	sqlite3_finalize(stmt);
	*out = v;
	return (int)n;
}

void snapshot_list_release(struct snapshot_info *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(v[i].test);
		free(v[i].label);
		free(v[i].summary);
		free(v[i].content);
	}
	free(v);
}

json_t *snapshot_json(const struct snapshot_info *s)
{
	return json_pack("{s:I, s:I, s:o, s:o, s:o}", "id", (json_int_t)s->id,
			 "iteration_id", (json_int_t)s->iteration_id,
			 "label", utf8_json_str(s->label),
			 "summary", utf8_json_str(s->summary),
			 "content", utf8_json_str(s->content));
}
