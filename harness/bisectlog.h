/*
 * bisectlog.h - the record of bisections: the bisects and bisect_steps
 * tables, read as typed rows (the `kflake bisect --show`, `bisects`,
 * the pages and the API all read them here), with one JSON form each.
 */
#ifndef KFLAKE_BISECTLOG_H
#define KFLAKE_BISECTLOG_H

#include <jansson.h>

#include "store.h"

struct bisectlog_info {
	long long id;
	char *good, *bad, *test, *state, *note;
	json_t *params;		/* object; {} when none */
	int has_p;		/* p0 and p1 measured */
	double p0, p1;
	char *culprit;		/* NULL until found */
	int has_confidence;
	double confidence;
	long long alert_id;	/* 0: none */
	char *started_at, *finished_at;
	long steps;		/* role 'step' rows */
};

struct bisectlog_step {
	long long id;
	char *commit_id, *role;
	long long run_id;	/* 0: none yet */
	long runs, failures, errors;
	char *decision;		/* NULL while measuring */
	int has_confidence;
	double confidence;
	char *image_sha1;	/* of the run's kernel, NULL if unknown */
	char *created_at;
};

/* 0, 1 when there is no such bisect, -1 on error. */
int bisectlog_load(struct store *st, long long id, struct bisectlog_info *b);
/* Newest first; limit 0: all. */
int bisectlog_list(struct store *st, long page, long limit,
		   struct bisectlog_info **out, int *more);
/* Its steps in the order they ran. */
int bisectlog_steps(struct store *st, long long bisect_id,
		    struct bisectlog_step **out);
void bisectlog_info_release(struct bisectlog_info *b);
void bisectlog_list_release(struct bisectlog_info *v, int n);
void bisectlog_steps_release(struct bisectlog_step *v, int n);
json_t *bisectlog_json(const struct bisectlog_info *b);
json_t *bisectlog_step_json(const struct bisectlog_step *s);

#endif
