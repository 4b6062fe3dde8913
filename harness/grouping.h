/*
 * grouping.h - which mails form which series, as patchwork groups them
 * (patchwork/parser.py: parse_mail(), find_series()), and the one series
 * to test out of them: the newest version, and of it the newest
 * complete send, with a note for everything left out.
 */
#ifndef KFLAKE_GROUPING_H
#define KFLAKE_GROUPING_H

#include <stddef.h>

#include "mbox.h"
#include "strbuf.h"

/* Patchwork's SERIES_DELAY_INTERVAL: a send spans at most 20 minutes. */
#define GROUPING_WINDOW (20 * 60)

enum grouping_kind {
	GROUPING_COMMENT,	/* a reply, or nothing to apply */
	GROUPING_PATCH,
	GROUPING_COVER,
	GROUPING_DUPLICATE,	/* a second copy of a Message-ID */
};

struct grouping_series {
	struct mbox_mail *cover;	/* or NULL */
	struct mbox_mail **patches;	/* in number order */
	int *numbers;
	size_t npatches, alloc;
	int version, total;
	long long time;		/* Date: of the mail that started it */
	size_t order;		/* creation order */
	const char *submitter;	/* sender address of that mail */
	int orphan;		/* an unnumbered patch sent in reply into
				   another series (not a new version of it) */
};

struct grouping {
	struct grouping_series *v;	/* by date, then creation */
	size_t n;
	struct mbox_mail *mails;	/* the input */
	enum grouping_kind *kind;	/* per mail, in input order */
	size_t nmails;
	size_t covers, patches, comments, duplicates;
};

/*
 * Group mails (in arrival order) into series as patchwork does: by
 * Message-ID references first, then by sender, version and total within
 * GROUPING_WINDOW; a number already taken starts a new series (a
 * resend). Mails without a Message-ID (`git format-patch` output never
 * sent) group by version and total alone. The groups point into mails.
 */
void grouping_build(struct mbox_mail *mails, size_t n, struct grouping *g);
void grouping_release(struct grouping *g);

/*
 * The series to test: not an orphan, the highest version, complete
 * (all of 1..total) before incomplete, of partial sends the fuller one,
 * then the newest send. out->complete says whether
 * patches are missing and out->gap which ("patch 2/3 is missing").
 * Notes get one line per series or mail left out. -1 with one line in
 * notes when there is no patch at all.
 */
int grouping_pick(const struct grouping *g, struct mbox_series *out,
		  struct strbuf *notes);

#endif
