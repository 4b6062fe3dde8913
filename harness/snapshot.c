/*
 * snapshot.c - parses and stores stall snapshots (see snapshot.h). The
 * parser reads iproute2's `ss -tinmoe` layout: a socket line (state,
 * Recv-Q, Send-Q, local, peer) followed by indented detail lines holding
 * key:value fields such as unacked, bytes_sent, bytes_acked, lastack,
 * retrans and notsent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "utf8.h"
#include "util.h"

#define SNAPSHOT_CAP (512 << 10)

struct sock_info {
	char state[16];
	char local[64];
	char peer[64];
	long sendq;
	long unacked;
	long notsent;
	long lastack;
	long long bytes_sent;
	long long bytes_acked;
	char retrans[24];
	int timer_retries;	/* third field of timer:(on,450ms,5) */
	int valid;
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

/*
 * Data waiting and no ACK for a while; without tcp_info (ss reading
 * /proc/net/tcp: no lastack), data waiting while the retransmit timer
 * has already fired.
 */
static int stuck(const struct sock_info *s)
{
	if (!s->valid || strcmp(s->state, "ESTAB"))
		return 0;
	if (s->unacked <= 0 && s->notsent <= 0 && s->sendq <= 0)
		return 0;
	if (s->lastack >= 0)
		return s->lastack >= SNAPSHOT_STUCK_MS;
	return s->timer_retries > 0;
}

static void describe(const struct sock_info *s, const char *ns,
		     struct strbuf *out)
{
	strbuf_addf(out, "%s: %s -> %s unacked %ld, Send-Q %ld, notsent %ld, "
		    "bytes sent %lld acked %lld, ", ns, s->local, s->peer,
		    s->unacked, s->sendq, s->notsent, s->bytes_sent,
		    s->bytes_acked);
	if (s->lastack >= 0)
		strbuf_addf(out, "no ACK for %.1f s", s->lastack / 1000.0);
	else
		strbuf_addf(out, "retransmit timer fired %d time(s)",
			    s->timer_retries);
	strbuf_addf(out, ", retrans %s\n", *s->retrans ? s->retrans : "0");
}

static void parse_detail(const char *line, struct sock_info *s)
{
	const char *t = strstr(line, "timer:(on,");

	if (t && strchr(t + 10, ','))
		s->timer_retries = atoi(strchr(t + 10, ',') + 1);
	s->unacked = field_long(line, "unacked", s->unacked);
	s->notsent = field_long(line, "notsent", s->notsent);
	s->lastack = field_long(line, "lastack", s->lastack);
	s->bytes_sent = field_long(line, "bytes_sent", (long)s->bytes_sent);
	s->bytes_acked = field_long(line, "bytes_acked", (long)s->bytes_acked);
	field_str(line, "retrans", s->retrans, sizeof(s->retrans));
}

/* A socket line: "ESTAB 0 1234 1.2.3.4:5 6.7.8.9:10 ...". */
static int parse_sock_line(const char *line, struct sock_info *s)
{
	long recvq;

	memset(s, 0, sizeof(*s));
	if (sscanf(line, "%15s %ld %ld %63s %63s", s->state, &recvq, &s->sendq,
		   s->local, s->peer) != 5)
		return 0;
	s->lastack = -1;
	s->valid = 1;
	/* ss prints timer:(on,450ms,5) and /proc fields on the same line. */
	parse_detail(line, s);
	return 1;
}

int snapshot_analyze(const char *text, char **label, char **summary)
{
	struct strbuf out = STRBUF_INIT;
	struct sock_info s = { 0 };
	char ns[80] = "";
	const char *p = text;
	int in_ss = 0, socks = 0, nstuck = 0, lines = 0;

	*label = NULL;
	*summary = NULL;
	while (p && *p && lines++ < 200000) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);

		if (!strncmp(line, "=== ", 4)) {
			if (stuck(&s) && ++nstuck)
				describe(&s, ns, &out);
			s.valid = 0;
			in_ss = !strncmp(line, "=== ss ", 7);
			snprintf(ns, sizeof(ns), "%s", strstr(line, "(") ?
				 strstr(line, "(") : "init namespace");
		} else if (in_ss && (*line == ' ' || *line == '\t')) {
			if (s.valid)
				parse_detail(line, &s);
		} else if (in_ss && *line && strncmp(line, "State", 5)) {
			if (stuck(&s) && ++nstuck)
				describe(&s, ns, &out);
			if (parse_sock_line(line, &s))
				socks++;
		}
		free(line);
		p += len;
		if (*p)
			p++;
	}
	if (stuck(&s) && ++nstuck)
		describe(&s, ns, &out);
	if (nstuck) {
		*label = xstrdup("tcp-sender-stuck");
		strbuf_trim(&out);
		*summary = strbuf_detach(&out);
		return 1;
	}
	strbuf_release(&out);
	if (socks)
		*label = xstrdup("no-stuck-tcp-sender");
	return 0;
}

int snapshot_store(struct store *st, long long iteration_id,
		   const char *outdir, int item)
{
	char *path = xasprintf("%s/%d.snapshot", outdir, item);
	struct strbuf sb = STRBUF_INIT;
	char *label = NULL, *summary = NULL;
	int ret = 0;

	if (util_read_file(path, &sb, SNAPSHOT_CAP) || !sb.len)
		goto out;
	snapshot_analyze(sb.buf, &label, &summary);
	ret = store_exec(st, "INSERT INTO snapshots(iteration_id, label, "
			 "summary, content) VALUES (?, ?, ?, ?)", "Isss",
			 iteration_id, label, summary, sb.buf);
out:
	strbuf_release(&sb);
	free(label);
	free(summary);
	free(path);
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
