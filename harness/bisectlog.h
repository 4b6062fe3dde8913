/*
 * bisectlog.h - the record of bisections: the bisects and bisect_steps
 * tables, written only here (for builtin/bisect.c) and read as typed
 * rows (`kflake bisect --show`, `bisects`, the pages and the API), with
 * one JSON form each.
 */
#ifndef KFLAKE_BISECTLOG_H
#define KFLAKE_BISECTLOG_H

#include <stddef.h>

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

/* Writes (builtin/bisect.c drives them) --------------------------------- */

struct bisectlog_new {
	long long tree_id;
	const char *good, *bad, *test, *params_json;
	long long alert_id;	/* 0: none */
};
/* A running bisect's row; its id, or -1. */
long long bisectlog_create(struct store *st, const struct bisectlog_new *b);
/* state running keeps finished_at NULL; culprit and note may be NULL. */
int bisectlog_set_state(struct store *st, long long id, const char *state,
			const char *culprit, double confidence,
			const char *note);
int bisectlog_set_rates(struct store *st, long long id, double p0, double p1);
/* The open (undecided) step row of commit in role, made when missing. */
long long bisectlog_step_open(struct store *st, long long bisect_id,
			      const char *commit, const char *role);
int bisectlog_step_run(struct store *st, long long step_id, long long run_id);
/* has_confidence 0 stores NULL (the ends are not SPRT decisions). */
int bisectlog_step_finish(struct store *st, long long step_id, long runs,
			  long failures, long errors, const char *decision,
			  int has_confidence, double confidence);

/* Reads ------------------------------------------------------------------- */

/* The newest decided step of commit (in role; any role when NULL). 1: found. */
int bisectlog_step_decided(struct store *st, long long bisect_id,
			   const char *commit, const char *role,
			   struct bisectlog_step *s);
/* Confidences of the decided steps and confirmations, in order. */
size_t bisectlog_confidences(struct store *st, long long bisect_id,
			     double **out);
/* The image the bisect's newest run of commit booted, or NULL. */
char *bisectlog_image_sha1(struct store *st, long long bisect_id,
			   const char *commit);

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
void bisectlog_step_release(struct bisectlog_step *s);
void bisectlog_steps_release(struct bisectlog_step *v, int n);
json_t *bisectlog_json(const struct bisectlog_info *b);
json_t *bisectlog_step_json(const struct bisectlog_step *s);

#endif
