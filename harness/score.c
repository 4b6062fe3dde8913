/*
 * score.c - outcome names and the score (see score.h): the one place
 * that turns outcome counts into a rate, an interval and a verdict.
 */
#include <string.h>

#include "score.h"

static const char *const outcome_names[OUTCOME_NR] = {
	"pass", "fail", "skip", "stall", "crash", "error",
};

const char *record_outcome_name(enum record_outcome o)
{
	return (unsigned)o < OUTCOME_NR ? outcome_names[o] : "error";
}

int record_outcome_parse(const char *s)
{
	int i;

	for (i = 0; s && i < OUTCOME_NR; i++)
		if (!strcmp(s, outcome_names[i]))
			return i;
	return -1;
}

int record_outcome_failed(int o)
{
	return o == OUTCOME_FAIL || o == OUTCOME_STALL || o == OUTCOME_CRASH;
}

void score_finish(struct score *s)
{
	int o;

	s->iterations = 0;
	for (o = 0; o < OUTCOME_NR; o++)
		s->iterations += s->counts[o];
	s->failures = s->counts[OUTCOME_FAIL] + s->counts[OUTCOME_STALL] +
		      s->counts[OUTCOME_CRASH];
	s->verdict_runs = s->failures + s->counts[OUTCOME_PASS];
	s->decided = s->verdict_runs > 0;
	s->rate = s->decided ? (double)s->failures / (double)s->verdict_runs
			     : 0;
	stats_wilson(s->failures, s->verdict_runs, STATS_Z95, &s->lo, &s->hi);
	s->verdict = stats_verdict(s->failures, s->verdict_runs);
}

void score_add(struct score *dst, const struct score *src)
{
	int o;

	for (o = 0; o < OUTCOME_NR; o++)
		dst->counts[o] += src->counts[o];
	score_finish(dst);
}

const char *score_verdict_name(const struct score *s)
{
	return s->decided ? stats_verdict_name(s->verdict) : NULL;
}

void score_json_into(json_t *o, const struct score *s)
{
	json_t *c = json_object();
	int i;

	for (i = 0; i < OUTCOME_NR; i++)
		json_object_set_new(c, record_outcome_name(i),
				    json_integer(s->counts[i]));
	json_object_set_new(o, "iterations", json_integer(s->iterations));
	json_object_set_new(o, "counts", c);
	json_object_set_new(o, "failures", json_integer(s->failures));
	json_object_set_new(o, "verdict_runs", json_integer(s->verdict_runs));
	json_object_set_new(o, "rate", s->decided ? json_real(s->rate)
						   : json_null());
	json_object_set_new(o, "interval", json_pack("[f, f]", s->lo, s->hi));
	json_object_set_new(o, "verdict", s->decided ?
			    json_string(stats_verdict_name(s->verdict)) :
			    json_null());
}

json_t *score_json(const struct score *s)
{
	json_t *o = json_object();

	score_json_into(o, s);
	return o;
}
