/*
 * attempt.c - an iteration's results as one value (see attempt.h): their
 * one writer into the database, and their JSON line for the spool.
 */
#include <stdlib.h>
#include <string.h>

#include "attempt.h"
#include "crashwatch.h"
#include "snapshot.h"
#include "util.h"

void attempt_release(struct attempt *a)
{
	free(a->id);
	free(a->test);
	free(a->suite);
	free(a->reason);
	free(a->output);
	free(a->console);
	free(a->snapshot);
	free(a->artefact_error);
	crash_list_release(&a->crashes);
	memset(a, 0, sizeof(*a));
}

long long attempt_store(struct store *st, const struct attempt *a,
			long long run_id, long long boot_id,
			long long kernel_id)
{
	struct record_iteration it = {
		.attempt = a->id, .run_id = run_id, .boot_id = boot_id,
		.test = a->test, .suite = a->suite, .seq = a->seq,
		.outcome = a->outcome, .rc = a->rc, .reason = a->reason,
		.duration = a->duration, .guest_duration = a->guest_duration,
		.timeout = a->timeout, .max_silence = a->max_silence,
		.output = a->output, .console = a->console,
		.artefact_error = a->artefact_error,
		.started_at = a->started_at, .finished_at = a->finished_at,
	};
	long long id = record_iteration_add(st, &it);

	if (id <= 0)
		return id;
	if (record_subresults(st, id, a->output) ||
	    crashwatch_store(st, &a->crashes, id, run_id, kernel_id, a->test) ||
	    snapshot_store(st, id, a->snapshot))
		return -1;
	return id;
}

/* Length of the valid UTF-8 sequence at p (1-4), 0 when invalid. */
static size_t utf8_seq(const unsigned char *p)
{
	size_t n, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static json_t *opt_string(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	json_t *v;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v)
		return v;
	while (*p) {
		size_t n = utf8_seq(p);

		if (n) {
			strbuf_add(&sb, p, n);
			p += n;
		} else {
			strbuf_addstr(&sb, "\xef\xbf\xbd");
			p++;
		}
	}
	v = json_stringn(sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return v ? v : json_string("");
}

/* -1 (unknown) travels as null. */
static json_t *opt_real(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

json_t *attempt_crashes_to_json(const struct crash_list *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < l->nr; i++) {
		const struct crash_report *r = &l->v[i];

		json_array_append_new(a, json_pack(
			"{s:o, s:o, s:o, s:o, s:o, s:b, s:I}",
			"kind", opt_string(r->kind), "title", opt_string(r->title),
			"frames", opt_string(r->frames),
			"fingerprint", opt_string(r->fingerprint),
			"text", opt_string(r->text), "fatal", r->fatal,
			"line", (json_int_t)r->line));
	}
	return a;
}

json_t *attempt_to_json(const struct attempt *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "attempt", opt_string(a->id));
	json_object_set_new(o, "item", json_integer(a->item));
	json_object_set_new(o, "test", opt_string(a->test));
	json_object_set_new(o, "suite", opt_string(a->suite ? a->suite : ""));
	json_object_set_new(o, "k", json_integer(a->seq));
	json_object_set_new(o, "outcome",
			    json_string(record_outcome_name(a->outcome)));
	json_object_set_new(o, "rc", a->rc < 0 ? json_null()
					       : json_integer(a->rc));
	json_object_set_new(o, "reason", opt_string(a->reason));
	json_object_set_new(o, "duration", json_real(a->duration));
	json_object_set_new(o, "guest_duration", opt_real(a->guest_duration));
	json_object_set_new(o, "timeout", json_real(a->timeout));
	json_object_set_new(o, "max_silence", opt_real(a->max_silence));
	json_object_set_new(o, "output", opt_string(a->output));
	json_object_set_new(o, "console", opt_string(a->console));
	json_object_set_new(o, "crashes", attempt_crashes_to_json(&a->crashes));
	json_object_set_new(o, "snapshot", opt_string(a->snapshot));
	json_object_set_new(o, "started_at", json_real(a->started_at));
	json_object_set_new(o, "finished_at", json_real(a->finished_at));
	return o;
}

/* Optional text: absent or null gives NULL; another type is an error. */
static int get_str(json_t *o, const char *key, int required, char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? -1 : 0;
	if (!json_is_string(v))
		return -1;
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

/* Optional number: absent or null gives dflt. */
static int get_num(json_t *o, const char *key, int required, double dflt,
		   double *out)
{
	json_t *v = json_object_get(o, key);

	*out = dflt;
	if (!v || json_is_null(v))
		return required ? -1 : 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static int crash_from_json(json_t *o, struct crash_report *r)
{
	double line = 0;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o) || get_str(o, "kind", 1, &r->kind) ||
	    get_str(o, "title", 1, &r->title) ||
	    get_str(o, "frames", 0, &r->frames) ||
	    get_str(o, "fingerprint", 1, &r->fingerprint) ||
	    get_str(o, "text", 1, &r->text) ||
	    get_num(o, "line", 0, 0, &line))
		return -1;
	r->fatal = json_is_true(json_object_get(o, "fatal"));
	r->line = line > 0 ? (unsigned long)line : 0;
	return 0;
}

int attempt_crashes_from_json(json_t *arr, struct crash_list *l)
{
	size_t i;
	json_t *v;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return -1;
	json_array_foreach(arr, i, v) {
		struct crash_report r;

		if (l->nr >= CRASH_MAX_REPORTS)
			break;
		if (crash_from_json(v, &r)) {
			crash_report_release(&r);
			return -1;
		}
		ALLOC_GROW(l->v, l->nr, l->alloc);
		l->v[l->nr++] = r;
	}
	return 0;
}

int attempt_from_json(json_t *o, struct attempt *a, const char **why)
{
	char *outcome = NULL;
	double item, seq, rc;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	*why = "not a JSON object";
	if (!json_is_object(o))
		return -1;
	*why = "a field is missing or has the wrong type";
	if (get_str(o, "attempt", 1, &a->id) ||
	    get_num(o, "item", 1, 0, &item) ||
	    get_str(o, "test", 1, &a->test) ||
	    get_str(o, "suite", 0, &a->suite) ||
	    get_num(o, "k", 1, 0, &seq) ||
	    get_str(o, "outcome", 1, &outcome) ||
	    get_num(o, "rc", 0, -1, &rc) ||
	    get_str(o, "reason", 0, &a->reason) ||
	    get_num(o, "duration", 1, 0, &a->duration) ||
	    get_num(o, "guest_duration", 0, -1, &a->guest_duration) ||
	    get_num(o, "timeout", 1, 0, &a->timeout) ||
	    get_num(o, "max_silence", 0, -1, &a->max_silence) ||
	    get_str(o, "output", 0, &a->output) ||
	    get_str(o, "console", 0, &a->console) ||
	    get_str(o, "snapshot", 0, &a->snapshot) ||
	    get_num(o, "started_at", 1, 0, &a->started_at) ||
	    get_num(o, "finished_at", 1, 0, &a->finished_at))
		goto out;
	*why = "bad crash reports";
	if (attempt_crashes_from_json(json_object_get(o, "crashes"), &a->crashes))
		goto out;
	*why = "bad outcome, item or k";
	a->outcome = record_outcome_parse(outcome);
	if ((int)a->outcome < 0 || item < 0 || item > 1e9 || seq < 1 ||
	    seq > 1e9 || !*a->test || !*a->id)
		goto out;
	a->item = (int)item;
	a->seq = (int)seq;
	a->rc = rc < 0 || rc > 1e6 ? -1 : (int)rc;
	ret = 0;
out:
	free(outcome);
	if (ret)
		attempt_release(a);
	return ret;
}
