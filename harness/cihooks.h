/*
 * cihooks.h - what other modules add to a `kflake ci` pass summary. Each
 * hook gets the database and the plan after the pass's work is done,
 * and adds its own member to the summary JSON (which is printed and
 * POSTed to the plan's webhook). Alerts add "alerts"; exports can add
 * theirs the same way: one line in the table in cihooks.c.
 */
#ifndef KFLAKE_CIHOOKS_H
#define KFLAKE_CIHOOKS_H

#include <jansson.h>

#include "plan.h"
#include "store.h"

struct cihook {
	const char *name;	/* the summary member it owns */
	/* 0, or -1 after adding {"error": ...} under its name */
	int (*fn)(struct store *st, const struct plan *p, json_t *summary);
};

/* Run every hook in order; a failing hook does not stop the others. */
void cihooks_run(struct store *st, const struct plan *p, json_t *summary);

#endif
