/*
 * mbox.h - patch mails in: split mbox files (plain or gzip, as lore's
 * t.mbox.gz), single mails and directories of `git format-patch` output
 * into decoded mails with what grouping.c needs to form series (tags,
 * threading headers, sender, date). grouping.c picks the series.
 */
#ifndef KFLAKE_MBOX_H
#define KFLAKE_MBOX_H

#include <stddef.h>

#include "strbuf.h"

#define MBOX_MAX_SIZE ((size_t)64 << 20)	/* bytes, also once inflated */
#define MBOX_MAX_MAILS 1000

/*
 * Every string is UTF-8 and non-NULL ("" when the mail lacked it), except
 * in_reply_to, diff, pull_url and warning, which are NULL when absent.
 */
struct mbox_mail {
	char *from;		/* From: header, decoded */
	char *from_email;	/* its address, lower case: the sender */
	char *author_name;	/* the in-body From: line wins over From: */
	char *author_email;
	char *date;
	long long time;		/* Date: in seconds since the epoch, 0 if unreadable */
	char *subject;		/* decoded, unfolded, blanks collapsed */
	char *msgid;		/* without the angle brackets */
	char *in_reply_to;	/* without the angle brackets */
	char **refs;		/* In-Reply-To, then References newest first */
	size_t nrefs;
	char *body;		/* decoded text of the text/plain parts */
	char *diff;		/* from the first "diff --git" or "--- a/" */
	char *pull_url;		/* "URL BRANCH" of a pull request, or NULL */
	char *pull_tip;		/* its "up to <sha>" commit, or NULL */
	char *message;		/* body up to "---", trailers kept */
	char **trailers;	/* "Signed-off-by: A <a@b>", in mail order */
	size_t ntrailers;
	int version;		/* [PATCH v2 ...], "(v2)"; 1 when absent */
	int seq, total;		/* [m/n] or [m of n]; 0/0 when absent */
	char *title;		/* the subject as git mailinfo cleans it */
	char *pw_name;		/* as patchwork names it: "[v2,1/3] title" */
	int is_reply;		/* subject starts with "Re:" */
	size_t index;		/* position in the input, from 0 */
	char *warning;		/* first decoding problem in the body */
};

/*
 * The series picked out of a set of mails (grouping_pick()). patches and
 * cover point into the mails, which must outlive it.
 */
struct mbox_series {
	struct mbox_mail **patches;	/* in [m/n] order */
	size_t npatches;
	struct mbox_mail *cover;	/* the 0/n mail, or NULL */
	int version;
	int total;			/* n of [m/n]; 1 for a lone patch */
	char *title;			/* cover letter's, or patch 1's */
	int complete;			/* as many patches as total says */
	char *gap;			/* "patch 2/3 is missing", or NULL */
	/*
	 * Per patch, the trailer lines (Acked-by: ...) that replies to it
	 * gave, "\n"-terminated, or NULL; patchwork's mbox adds them to
	 * the message and so does apply.c. ack_ids are the replies'
	 * Message-IDs (they make the commits, so the series' identity).
	 */
	char **acks;
	const char **ack_ids;
	size_t nack_ids;
	size_t group;			/* its index in the grouping */
};

/*
 * Split buf (an mbox, gzip'd or not, or one mail) into *mails. On error
 * return -1 with a one-line reason in err and nothing to free.
 */
int mbox_parse(const char *buf, size_t len, struct mbox_mail **mails,
	       size_t *n, struct strbuf *err);
/* Same for a file, or a directory of mail files taken in name order. */
int mbox_read_path(const char *path, struct mbox_mail **mails, size_t *n,
		   struct strbuf *err);
void mbox_mails_free(struct mbox_mail *mails, size_t n);

void mbox_series_release(struct mbox_series *s);

#endif
