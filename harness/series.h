/*
 * series.h - `--series SRC`: where a patch series comes from (an mbox
 * file or a directory of format-patch files, an http(s) mbox such as
 * lore's t.mbox.gz, "pw:URL/ID" for patchwork, "git:URL#BRANCH" for a
 * branch of another repository), turning it into commits on a base in
 * the tree's repository, and its series and patches rows.
 */
#ifndef KFLAKE_SERIES_H
#define KFLAKE_SERIES_H

#include <stddef.h>

#include <jansson.h>

#include "store.h"
#include "strbuf.h"

#define SERIES_MAX_COMMITS 1000	/* commits of a git: branch series */

struct series_opts {
	const char *source;
	const char *tree;	/* NULL: the default tree */
	const char *ref;	/* base; NULL: the tree's default branch */
	int allow_incomplete;
};

struct series_result {
	long long id;		/* series row */
	const char *kind;	/* mbox, lore, patchwork, branch */
	char *state;		/* the row's: applied, apply-failed, incomplete,
				   already-applied, tested (a reused row
				   keeps its state) */
	int reused;		/* an earlier fetch's row, ref and commits */
	int complete;		/* 0: patches were missing */
	int total;		/* n of [m/n]; 0 for a branch */
	char *subject;
	int version;
	int applied;		/* 0: apply-failed or incomplete, error says */
	size_t npatches;
	char base[41];		/* what the series sits on */
	char result[41];	/* last commit, "" unless applied */
	char *ref;		/* refs/kflake/series/<id>-<commit12>, when applied */
	char *error;
	char *notes;		/* parse notes, one per line, or NULL */
	char *tree_source;
};

/* "mbox", "lore", "patchwork" or "branch", or NULL for junk. */
const char *series_kind_of(const char *source);

/*
 * Fetch, parse and apply o->source and record it. Returns 0 when it
 * applied, 1 when a patch did not apply (the series row says
 * apply-failed with the error, nothing else changed) or patches are
 * missing and o->allow_incomplete is not set (state incomplete, the
 * notes say what is missing) or the base has the series already (state
 * already-applied: every patch applies in reverse), -1 with one line in
 * err on anything else (nothing recorded).
 *
 * Identity: the same mails (Message-IDs) on the same base are the same
 * series. A re-fetch of it reuses its row, commits and ref (r->reused);
 * a row `kflake poll` queued for the same patchwork series (sources are
 * compared in patchwork_source_canonical() form) becomes the fetched
 * series, as does an incomplete row once --allow-incomplete is given.
 */
int series_fetch(struct store *st, const struct series_opts *o,
		 struct series_result *r, struct strbuf *err);
void series_result_release(struct series_result *r);
json_t *series_result_json(const struct series_result *r);

/*
 * The row of patchwork series pw_id from source ("pw:BASE/ID"): found,
 * or made 'queued' (`kflake poll`) with *fresh set. Its id, or -1.
 */
long long series_queue(struct store *st, const char *source, long pw_id,
		       int version, const char *name, int *fresh);

/* A series' state once it has been tested ("tested"), by seriesrun. */
int series_set_state(struct store *st, long long id, const char *state);

/* Reads of the series and patches tables --------------------------------- */

struct series_info {
	long long id;
	char *source, *kind, *msgid, *subject, *submitter, *state, *error;
	char *base_commit, *result_commit, *created_at, *notes;
	int version, patch_count, total, complete;
	long long pw_id;		/* 0: not from patchwork */
	long long tree_id;
};
struct series_patch_info {
	int seq;
	char *subject, *author, *date, *msgid, *commit_id;
};
/* 0, 1 when there is no such series, -1 on error. */
int series_load(struct store *st, long long id, struct series_info *s);
/* Newest first, a page of limit (*more: there is a next one). */
int series_list(struct store *st, long page, long limit,
		struct series_info **out, int *more);
int series_patches(struct store *st, long long series_id, long limit,
		   struct series_patch_info **out, int *more);
void series_info_release(struct series_info *s);
void series_list_release(struct series_info *v, int n);
void series_patches_release(struct series_patch_info *v, int n);
json_t *series_info_json(const struct series_info *s);
json_t *series_patch_json(const struct series_patch_info *p);

#endif
