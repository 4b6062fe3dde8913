/*
 * mbox.h - patch mails in, patch series out: split mbox files (plain or
 * gzip, as lore's t.mbox.gz), single mails and directories of
 * `git format-patch` output into decoded mails, then pick the one series
 * to apply (newest version, [m/n] order, cover letter, replies dropped).
 */
#ifndef KFLAKE_MBOX_H
#define KFLAKE_MBOX_H

#include <stddef.h>

#include "strbuf.h"

#define MBOX_MAX_SIZE ((size_t)64 << 20)	/* bytes, also once inflated */
#define MBOX_MAX_MAILS 1000

/*
 * Every string is UTF-8 and non-NULL ("" when the mail lacked it), except
 * in_reply_to, diff and warning, which are NULL when absent.
 */
struct mbox_mail {
	char *from;		/* From: header, decoded */
	char *author_name;	/* the in-body From: line wins over From: */
	char *author_email;
	char *date;
	char *subject;		/* decoded, unfolded, blanks collapsed */
	char *msgid;		/* without the angle brackets */
	char *in_reply_to;	/* without the angle brackets */
	char *body;		/* decoded text of the text/plain parts */
	char *diff;		/* from the first "diff --git" or "--- a/" */
	char *message;		/* body up to "---", trailers kept */
	char **trailers;	/* "Signed-off-by: A <a@b>", in mail order */
	size_t ntrailers;
	int version;		/* [PATCH v2 ...]; 1 when absent */
	int seq, total;		/* [m/n]; 0/0 when absent */
	char *title;		/* subject without "Re:" and [...] tags */
	int is_reply;		/* subject starts with "Re:" */
	char *warning;		/* first decoding problem in the body */
};

/*
 * The series picked out of a set of mails. patches and cover point into
 * the mails array given to mbox_series_build(), which must outlive it.
 */
struct mbox_series {
	struct mbox_mail **patches;	/* in [m/n] order */
	size_t npatches;
	struct mbox_mail *cover;	/* the 0/n mail, or NULL */
	int version;
	int total;			/* n of [m/n]; 1 for a lone patch */
	char *title;			/* cover letter's, or patch 1's */
	int complete;			/* all of 1..total are there */
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

/*
 * Pick the series out of mails. Failing, return -1 with the one-line
 * problem in msg ("patch 2/3 is missing"). With allow_incomplete, gaps,
 * duplicates and diff-less patches are skipped and described in msg, one
 * line each, and what is left is returned. A missing series (no patches,
 * or a cover letter alone) always fails. msg may hold notes on success
 * ("using v2, ignoring 2 mails of older versions", "patch 1/3 (<id>):
 * broken base64"), each line ending in '\n'.
 */
int mbox_series_build(struct mbox_mail *mails, size_t n, int allow_incomplete,
		      struct mbox_series *out, struct strbuf *msg);
void mbox_series_release(struct mbox_series *s);

#endif
