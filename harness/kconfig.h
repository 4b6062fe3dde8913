/*
 * kconfig.h - kconfig fragments: merging them the way the kernel's
 * scripts/kconfig/merge_config.sh does (later fragments override earlier
 * ones, overrides are reported) and checking that the final .config has
 * what was asked for.
 */
#ifndef KFLAKE_KCONFIG_H
#define KFLAKE_KCONFIG_H

#include <stddef.h>

#include "strbuf.h"

struct kconfig_entry {
	char *sym;	/* CONFIG_FOO */
	char *value;	/* y, m, "string", 123, or NULL for "is not set" */
	char *origin;	/* the fragment it came from */
};

struct kconfig {
	struct kconfig_entry *v;
	size_t nr, alloc;
};

/*
 * Merge a fragment file into kc. A symbol set again replaces the earlier
 * value; "notes" gets a line per override. Returns -1 (naming the file
 * and line) on a line that is neither a setting, a comment nor blank.
 */
int kconfig_merge_file(struct kconfig *kc, const char *path,
		       struct strbuf *notes);
int kconfig_merge_text(struct kconfig *kc, const char *text,
		       const char *origin, struct strbuf *notes);
/* The merged fragment as text, in first-seen order. */
void kconfig_format(const struct kconfig *kc, struct strbuf *out);
const struct kconfig_entry *kconfig_get(const struct kconfig *kc,
					const char *sym);
void kconfig_release(struct kconfig *kc);

/*
 * Compare requested values against a final .config; append a line per
 * value that did not survive (like merge_config.sh's "Value requested for
 * X not in final .config"). "m" is satisfied by "y" when modules are off.
 * Returns the number of such values.
 */
int kconfig_verify(const struct kconfig *requested, const char *final_config,
		   struct strbuf *warnings);

#endif
