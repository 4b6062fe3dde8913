/*
 * ktap.c - turns a selftest's stdout into per-case results: the KTAP/TAP
 * parser (kselftest nests a test's own TAP under "# " prefixes), the
 * kselftest exit code names, and the extractor for the udpgro scripts,
 * whose sub-cases and throughput lines are plain text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ktap.h"
#include "util.h"

/* Longer lines are cut: no result or throughput line comes close. */
#define LINE_CAP 4096
#define MAX_SERIES 16
#define MAX_SAMPLES 4096
/* printf " %-40s" in udpgro.sh: the name field ends at this column. */
#define UDPGRO_NAME_END 41

struct line_iter {
	const char *p, *end;
	char buf[LINE_CAP];
};

/*
 * Copy the next line into it->buf, NUL-terminated, CR stripped and cut to
 * LINE_CAP; stray NULs become '?' so the rest of the line is still seen.
 */
static char *next_line(struct line_iter *it)
{
	const char *nl;
	size_t n, i;

	if (it->p >= it->end)
		return NULL;
	nl = memchr(it->p, '\n', it->end - it->p);
	n = (nl ? nl : it->end) - it->p;
	if (n >= LINE_CAP)
		n = LINE_CAP - 1;
	for (i = 0; i < n; i++)
		it->buf[i] = it->p[i] ? it->p[i] : '?';
	while (n && it->buf[n - 1] == '\r')
		n--;
	it->buf[n] = '\0';
	it->p = nl ? nl + 1 : it->end;
	return it->buf;
}

static char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return (char *)s;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* A bounded copy of s with surrounding blanks trimmed. */
static char *dup_trimmed(const char *s, size_t n)
{
	char *r;

	n = strnlen(s, n);
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= KTAP_MAX_NAME)
		n = KTAP_MAX_NAME - 1;
	r = xstrndup(s, n);
	return r;
}

/* Both indentation styles nest: two spaces (KTAP) and "# " (kselftest). */
static char *strip_nesting(char *s, int *depth)
{
	*depth = 0;
	while (*depth <= KTAP_MAX_DEPTH) {
		if (s[0] == ' ' && s[1] == ' ')
			s += 2;
		else if (s[0] == '#' && s[1] == ' ')
			s += 2;
		else
			break;
		(*depth)++;
	}
	return s;
}

/* Parse up to 9 digits; -1 when there are none. */
static int parse_number(const char **sp)
{
	const char *s = *sp;
	int v = 0, n = 0;

	while (isdigit((unsigned char)*s)) {
		if (n < 9)
			v = v * 10 + (*s - '0');
		n++;
		s++;
	}
	*sp = s;
	if (!n)
		return -1;
	return n > 9 ? 999999999 : v;
}

static int parse_version(const char *s, int *version)
{
	if (util_starts_with(s, "KTAP version "))
		s += 13;
	else if (util_starts_with(s, "TAP version "))
		s += 12;
	else
		return 0;
	*version = parse_number(&s);
	if (*version < 0)
		*version = 0;
	return 1;
}

static int parse_plan(const char *s, int *plan, int *skip_all)
{
	const char *hash;

	if (!util_starts_with(s, "1.."))
		return 0;
	s += 3;
	*plan = parse_number(&s);
	if (*plan < 0 || (*s && !isspace((unsigned char)*s)))
		return 0;
	hash = strchr(s, '#');
	*skip_all = *plan == 0 && hash &&
		    !strncasecmp(skip_space(hash + 1), "skip", 4);
	return 1;
}

/* The '#' opening a directive: preceded by a blank or the start, unescaped. */
static const char *find_directive(const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		if (*p != '#')
			continue;
		if (p == s || p[-1] == ' ' || p[-1] == '\t')
			return p;
	}
	return NULL;
}

static const struct {
	const char *word;
	enum ktap_result result;
} directives[] = {
	{ "skip", KTAP_SKIP },
	{ "todo", KTAP_TODO },
	{ "xfail", KTAP_XFAIL },
	{ "timeout", KTAP_TIMEOUT },
	{ "error", KTAP_ERROR },
};

/* Apply "# DIRECTIVE reason" to c; unknown text ("# exit=1") is a reason. */
static void apply_directive(const char *d, struct ktap_case *c)
{
	size_t i, n;

	d = skip_space(d);
	for (i = 0; i < ARRAY_SIZE(directives); i++) {
		n = strlen(directives[i].word);
		if (strncasecmp(d, directives[i].word, n))
			continue;
		c->result = directives[i].result;
		/* TAP 13 allows "# Skipped: why" as well as "# SKIP why". */
		while (isalpha((unsigned char)d[n]))
			n++;
		if (d[n] == ':')
			n++;
		d += n;
		break;
	}
	if (*skip_space(d))
		c->reason = dup_trimmed(d, strlen(d));
}

static int parse_result(const char *s, struct ktap_case *c)
{
	const char *name, *hash;
	size_t len;
	int ok;

	int number;

	ok = util_starts_with(s, "ok");
	if (ok)
		s += 2;
	else if (util_starts_with(s, "not ok"))
		s += 6;
	else
		return 0;
	if (*s != ' ' && *s != '\t')
		return 0;
	/* KTAP requires the number; a bare "ok" is some script's chatter. */
	s = skip_space(s);
	number = parse_number(&s);
	if (number < 0 || (*s && *s != ' ' && *s != '\t'))
		return 0;
	memset(c, 0, sizeof(*c));
	c->result = ok ? KTAP_PASS : KTAP_FAIL;
	c->number = number;
	s = skip_space(s);
	if (s[0] == '-' && (s[1] == ' ' || !s[1]))
		s = skip_space(s + 1);
	name = s;
	hash = find_directive(name);
	len = hash ? (size_t)(hash - name) : strlen(name);
	c->name = dup_trimmed(name, len);
	if (hash)
		apply_directive(hash + 1, c);
	return 1;
}

/* Cases one level deeper that precede c belong to it (kselftest order). */
static void adopt_children(struct ktap_doc *doc, size_t idx)
{
	int depth = doc->cases[idx].depth;
	size_t i = idx;

	while (i-- > 0 && doc->cases[i].depth > depth) {
		if (doc->cases[i].depth == depth + 1 &&
		    doc->cases[i].parent < 0)
			doc->cases[i].parent = (int)idx;
	}
}

static void parse_line(struct ktap_doc *doc, char *line)
{
	struct ktap_case c;
	int depth, v, skip;
	char *s = strip_nesting(line, &depth);

	if (depth > KTAP_MAX_DEPTH)
		return;
	if (parse_version(s, &v)) {
		if (!depth) {
			doc->saw_version = 1;
			doc->version = v;
		}
		return;
	}
	if (parse_plan(s, &v, &skip)) {
		if (!depth && doc->plan < 0) {
			doc->plan = v;
			doc->skip_all = skip;
		}
		return;
	}
	if (util_starts_with(s, "Bail out!")) {
		doc->bail_out = 1;
		return;
	}
	if (!parse_result(s, &c))
		return;
	if (doc->nr >= KTAP_MAX_CASES) {
		doc->truncated = 1;
		free(c.name);
		free(c.reason);
		return;
	}
	c.depth = depth;
	c.parent = -1;
	ALLOC_GROW(doc->cases, doc->nr, doc->alloc);
	doc->cases[doc->nr] = c;
	adopt_children(doc, doc->nr);
	doc->nr++;
}

int ktap_parse(const char *text, size_t len, struct ktap_doc *doc)
{
	struct line_iter *it = xmalloc(sizeof(*it));
	char *line;

	memset(doc, 0, sizeof(*doc));
	doc->plan = -1;
	it->p = text;
	it->end = text ? text + len : text;
	while ((line = next_line(it)))
		parse_line(doc, line);
	free(it);
	return 0;
}

static void release_cases(struct ktap_case *cases, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(cases[i].name);
		free(cases[i].reason);
	}
	free(cases);
}

void ktap_release(struct ktap_doc *doc)
{
	release_cases(doc->cases, doc->nr);
	memset(doc, 0, sizeof(*doc));
	doc->plan = -1;
}

const char *ktap_result_name(enum ktap_result r)
{
	static const char *const names[] = {
		[KTAP_PASS] = "pass",	    [KTAP_FAIL] = "fail",
		[KTAP_SKIP] = "skip",	    [KTAP_XFAIL] = "xfail",
		[KTAP_TODO] = "todo",	    [KTAP_TIMEOUT] = "timeout",
		[KTAP_ERROR] = "error",
	};

	if ((unsigned)r >= ARRAY_SIZE(names))
		return "unknown";
	return names[r];
}

const char *ktap_rc_name(int rc)
{
	switch (rc) {
	case 0:
		return "pass";
	case 4:
		return "skip";
	case 124:
		return "timeout";
	case 2:
		return "xfail";
	case 3:
		return "xpass";
	default:
		return "fail";
	}
}

/*
 * The udpgro extractor. udpgro_bench.sh and udpgro_frglist.sh echo a
 * family ("ipv4"), then a header per sub-case ("tcp - over veth touching
 * data") followed by udpgso_bench_{tx,rx}'s per-second lines on stderr;
 * they never print a verdict, so a block passes when tx reported and no
 * error line showed up. udpgro.sh prints " %-40s" then "ok" or "failed".
 */
enum block_kind { BLOCK_NONE, BLOCK_BENCH, BLOCK_UDPGRO };

struct series {
	char name[32];
	char unit[16];
	double *v;
	size_t nr, alloc;
};

struct extractor {
	struct ktap_results *out;
	char family[8];
	enum block_kind kind;
	char *name;
	int depth;
	int has_tx;
	int skip;
	int verdict;		/* udpgro.sh: -1 none yet, else a result */
	/*
	 * A " name" line with no verdict is only believed to be a udpgro.sh
	 * case cut short if it printed errors, or was the last one of an
	 * output that had real udpgro.sh cases: other tests indent too.
	 */
	int udpgro_seen;
	int at_end;
	char *err;
	struct series series[MAX_SERIES];
	int nseries;
	int number;
};

static int is_family(const char *s)
{
	return !strcmp(s, "ipv4") || !strcmp(s, "ipv6");
}

/* "udp gso and gro - over veth touching data", never "udp tx: ..." */
static int is_bench_header(const char *s)
{
	if (!util_starts_with(s, "udp ") && !util_starts_with(s, "tcp "))
		return 0;
	return strstr(s, " - ") && !strchr(s, ':');
}

/* Checked before trimming: the padding is how the line is recognised. */
static int is_udpgro_case(const struct extractor *ex, const char *s)
{
	return ex->family[0] && s[0] == ' ' && s[1] &&
	       !isspace((unsigned char)s[1]) && strlen(s) >= UDPGRO_NAME_END;
}

/* "udp tx:    754 MB/s ...", not the "sum udp tx:" of -a. */
static int is_throughput(const char *s)
{
	if (!util_starts_with(s, "udp ") && !util_starts_with(s, "tcp "))
		return 0;
	if (!util_starts_with(s + 4, "tx:") && !util_starts_with(s + 4, "rx:"))
		return 0;
	return isdigit((unsigned char)*skip_space(s + 7));
}

/*
 * Lines the scripts' tools print only when something went wrong:
 * error(3) from udpgso_bench_*, iproute2's complaints, bash reporting a
 * crashed child, and the scripts' own "failed" / missing-file messages.
 */
static int is_error_line(const char *s)
{
	static const char *const prefixes[] = {
		"Error: ", "RTNETLINK answers: ", "Cannot ", "poll timeout",
		"Missing ",
	};
	static const char *const infixes[] = {
		"udpgso_bench_tx: ", "udpgso_bench_rx: ", "Segmentation fault",
		"Aborted", "core dumped",
	};
	size_t i;

	if (!strcmp(s, "failed"))
		return 1;
	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (util_starts_with(s, prefixes[i]))
			return 1;
	for (i = 0; i < ARRAY_SIZE(infixes); i++)
		if (strstr(s, infixes[i]))
			return 1;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v in place. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	if (n % 2)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void add_case(struct ktap_results *out, const char *name,
		     enum ktap_result r, int number, int depth,
		     const char *reason)
{
	struct ktap_case *c;

	if (out->nr >= KTAP_MAX_CASES)
		return;
	ALLOC_GROW(out->cases, out->nr, out->alloc);
	c = &out->cases[out->nr++];
	c->name = xstrdup(name);
	c->result = r;
	c->number = number;
	c->depth = depth;
	c->parent = -1;
	c->reason = reason ? xstrdup(reason) : NULL;
}

static void flush_metrics(struct extractor *ex)
{
	struct ktap_results *out = ex->out;
	struct ktap_metric *m;
	int i;

	for (i = 0; i < ex->nseries; i++) {
		struct series *s = &ex->series[i];

		if (s->nr && out->nmetrics < KTAP_MAX_METRICS) {
			ALLOC_GROW(out->metrics, out->nmetrics,
				   out->metrics_alloc);
			m = &out->metrics[out->nmetrics++];
			m->subcase = xstrdup(ex->name);
			m->name = xstrdup(s->name);
			m->unit = xstrdup(s->unit);
			m->value = median(s->v, s->nr);
		}
		free(s->v);
	}
	memset(ex->series, 0, sizeof(ex->series));
	ex->nseries = 0;
}

static void close_block(struct extractor *ex)
{
	enum ktap_result r;
	const char *reason = ex->err;

	if (ex->kind == BLOCK_NONE)
		return;
	if (ex->kind == BLOCK_UDPGRO && ex->verdict >= 0) {
		r = (enum ktap_result)ex->verdict;
		ex->udpgro_seen = 1;
		/* The script checked exit codes: stray output is no cause. */
		if (r == KTAP_PASS)
			reason = NULL;
	} else if (ex->kind == BLOCK_UDPGRO) {
		r = KTAP_ERROR;
		if (!reason)
			reason = "no ok/failed verdict printed";
	} else if (ex->err) {
		r = KTAP_FAIL;
	} else if (ex->skip) {
		r = KTAP_SKIP;
	} else if (ex->has_tx) {
		r = KTAP_PASS;
	} else {
		r = KTAP_FAIL;
		reason = "no throughput reported";
	}
	if (ex->kind == BLOCK_BENCH || ex->verdict >= 0 || ex->err ||
	    (ex->at_end && ex->udpgro_seen))
		add_case(ex->out, ex->name, r, ++ex->number, ex->depth, reason);
	flush_metrics(ex);
	free(ex->name);
	free(ex->err);
	ex->name = ex->err = NULL;
	ex->kind = BLOCK_NONE;
	ex->has_tx = ex->skip = 0;
}

static void open_block(struct extractor *ex, enum block_kind kind,
		       const char *name, size_t len, int depth)
{
	char *base = dup_trimmed(name, len);

	close_block(ex);
	ex->kind = kind;
	ex->depth = depth;
	ex->verdict = -1;
	if (ex->family[0])
		ex->name = xasprintf("%s: %s", ex->family, base);
	else
		ex->name = xstrdup(base);
	free(base);
}

static void note_error(struct extractor *ex, const char *s)
{
	if (!ex->err)
		ex->err = dup_trimmed(s, strlen(s));
}

static struct series *find_series(struct extractor *ex, const char *name,
				  const char *unit)
{
	struct series *s;
	int i;

	for (i = 0; i < ex->nseries; i++)
		if (!strcmp(ex->series[i].name, name))
			return &ex->series[i];
	if (ex->nseries >= MAX_SERIES)
		return NULL;
	s = &ex->series[ex->nseries++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->unit, sizeof(s->unit), "%s", unit);
	return s;
}

/* "udp tx:    123 MB/s     4567 calls/s     89 msg/s": value/unit pairs. */
static void parse_throughput(struct extractor *ex, const char *line)
{
	char unit[16], name[32];
	const char *p = line + 7;
	struct series *s;
	double v;
	char *end;
	size_t n;
	int pairs;

	for (pairs = 0; pairs < 8; pairs++) {
		p = skip_space(p);
		if (!isdigit((unsigned char)*p))
			break;
		v = strtod(p, &end);
		p = skip_space(end);
		n = strcspn(p, " \t");
		if (!n || n >= sizeof(unit))
			break;
		memcpy(unit, p, n);
		unit[n] = '\0';
		p += n;
		snprintf(name, sizeof(name), "%.6s %s", line, unit);
		s = find_series(ex, name, unit);
		if (!s || s->nr >= MAX_SAMPLES)
			continue;
		ALLOC_GROW(s->v, s->nr, s->alloc);
		s->v[s->nr++] = v;
	}
	if (pairs && !strncmp(line + 4, "tx", 2))
		ex->has_tx = 1;
}

static void udpgro_verdict(struct extractor *ex, const char *s)
{
	if (!strcmp(s, "ok"))
		ex->verdict = KTAP_PASS;
	else if (!strcmp(s, "failed"))
		ex->verdict = KTAP_FAIL;
	else if (is_error_line(s))
		note_error(ex, s);
}

static void extract_line(struct extractor *ex, char *line)
{
	int depth = 0;
	char *s = line, *t;

	/* Only kselftest's "# " nests here: udpgro.sh's cases are ' '. */
	while (depth <= KTAP_MAX_DEPTH && s[0] == '#' && s[1] == ' ') {
		s += 2;
		depth++;
	}
	if (depth < ex->depth) {
		/* The runner's own line: the test's output is over. */
		ex->at_end = 1;
		close_block(ex);
		ex->at_end = 0;
		ex->family[0] = '\0';
		ex->depth = depth;
	}
	if (is_udpgro_case(ex, s)) {
		rtrim(s);
		open_block(ex, BLOCK_UDPGRO, s + 1, UDPGRO_NAME_END - 1, depth);
		t = s + strnlen(s, UDPGRO_NAME_END);
		udpgro_verdict(ex, skip_space(t));
		return;
	}
	rtrim(s);
	t = skip_space(s);
	if (is_family(s)) {
		close_block(ex);
		snprintf(ex->family, sizeof(ex->family), "%s", s);
	} else if (is_bench_header(s)) {
		open_block(ex, BLOCK_BENCH, s, strlen(s), depth);
	} else if (is_throughput(s)) {
		/* udpgro_bench.sh run with arguments prints no header */
		if (ex->kind == BLOCK_NONE)
			open_block(ex, BLOCK_BENCH, "udpgso_bench", 12, depth);
		parse_throughput(ex, s);
	} else if (ex->kind == BLOCK_UDPGRO && ex->verdict < 0 &&
		   (!strcmp(t, "ok") || !strcmp(t, "failed"))) {
		udpgro_verdict(ex, t);
	} else if (ex->kind == BLOCK_NONE) {
		return;
	} else if (util_starts_with(t, "SO_ZEROCOPY not supported")) {
		ex->skip = 1;
	} else if (is_error_line(t)) {
		note_error(ex, t);
	}
}

static void extract_blocks(const char *text, size_t len,
			   struct ktap_results *out)
{
	struct line_iter *it = xmalloc(sizeof(*it));
	struct extractor ex;
	char *line;

	memset(&ex, 0, sizeof(ex));
	ex.out = out;
	it->p = text;
	it->end = text ? text + len : text;
	while ((line = next_line(it)))
		extract_line(&ex, line);
	ex.at_end = 1;
	close_block(&ex);
	free(it);
}

int ktap_extract(const char *output, size_t len, struct ktap_results *out)
{
	struct ktap_doc doc;

	memset(out, 0, sizeof(*out));
	ktap_parse(output, len, &doc);
	out->is_tap = doc.saw_version || doc.nr;
	out->plan = doc.plan;
	out->cases = doc.cases;
	out->nr = doc.nr;
	out->alloc = doc.alloc;
	extract_blocks(output, len, out);
	return 0;
}

void ktap_results_release(struct ktap_results *res)
{
	size_t i;

	release_cases(res->cases, res->nr);
	for (i = 0; i < res->nmetrics; i++) {
		free(res->metrics[i].subcase);
		free(res->metrics[i].name);
		free(res->metrics[i].unit);
	}
	free(res->metrics);
	memset(res, 0, sizeof(*res));
	res->plan = -1;
}
