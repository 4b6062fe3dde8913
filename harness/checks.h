/*
 * checks.h - patchwork checks for tested series (table ci_checks): one
 * POST /api/1.3/patches/ID/checks/ per (patch, context, kernel), with
 * the token in "Authorization: Token ...", never twice. The intent is
 * committed before the POST; after a crash (or an answer that never
 * came) the patch's checks are read back (GET) before posting again.
 */
#ifndef KFLAKE_CHECKS_H
#define KFLAKE_CHECKS_H

#include "store.h"

#define CHECKS_TIMEOUT 30	/* seconds per request */
#define CHECKS_TRIES 3		/* POSTs per check per pass, with backoff */
#define CHECKS_MAX_DESCRIPTION 1000

/*
 * Test hook (e2e): when this environment variable names a file, kflake
 * creates it after patchwork answered 201 and before it records the
 * check, then waits 30 s: a kill -9 in that window is the crash the
 * intent and the GET exist for.
 */
#define CHECKS_HOOK_ENV "KFLAKE_TEST_CHECK_POSTED_HOOK"

struct checks_ctx {
	struct store *st;
	const char *patchwork;	/* canonical base URL */
	const char *token;
	long long item_id;
	double backoff;		/* first retry delay, s (0: 2) */
};

struct check {
	long patch_id;
	const char *context;	/* kflake-udpgro_bench */
	const char *kernel;	/* <commit>/<kconfig set> */
	const char *state;	/* success, warning, fail */
	const char *description;
	const char *target_url;	/* NULL: none */
};

/*
 * Post ck unless it was posted (or found on patchwork) before. Returns
 * 1 posted now, 2 found on patchwork now (an earlier POST landed after
 * all), 0 recorded as there before, -1 failed (recorded with the error;
 * the next pass tries again).
 */
int checks_post(struct checks_ctx *c, const struct check *ck);

/* patchwork's context slug for a test: prefix-stem[-kconfig set]. */
char *checks_context(const char *prefix, const char *test, const char *kset);
/*
 * The state a verdict gives: regression -> fail; improvement, or no
 * change with the power to see the change that matters -> success;
 * anything undecided -> warning.
 */
const char *checks_state(const char *change, int decided);

/*
 * The checks for patchwork that failed or were cut short (intent, failed),
 * oldest first, to post again; *_release frees them.
 */
struct checks_pending {
	long long item_id;
	struct check ck;	/* its strings are owned */
};
int checks_pending_list(struct store *st, const char *patchwork,
			struct checks_pending **out);
void checks_pending_release(struct checks_pending *v, int n);

/* How many checks of an item (0: all) are in status. */
long long checks_count(struct store *st, long long item_id,
		       const char *status);

#endif
