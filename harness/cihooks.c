/*
 * cihooks.c - the table of ci pass summary hooks (see cihooks.h) and
 * the ones that live here for want of a better home.
 */
#include <stdio.h>
#include <stdlib.h>

#include "alert.h"
#include "cihooks.h"
#include "export.h"
#include "util.h"

/*
 * Alerts: scan each tracked ref's history for change points (the pass
 * may have added a commit), then list what is open.
 */
static int hook_alerts(struct store *st, const struct plan *p,
		       json_t *summary)
{
	json_t *o = json_object(), *open = json_array();
	struct alert_filter f = { 0 };
	struct alert *v = NULL;
	size_t i, r;
	int n, k, ret = 0;

	json_object_set_new(summary, "alerts", o);
	for (i = 0; i < p->ntrees; i++)
		for (r = 0; r < p->trees[i].nrefs; r++) {
			struct alert_scan_result res = { 0 };

			if (alert_scan_ref(st, p->trees[i].tree,
					   p->trees[i].refs[r], NULL, &res))
				ret = -1;
		}
	f.open_only = 1;
	f.limit = 50;
	n = alert_list(st, &f, &v);
	for (k = 0; k < n; k++) {
		char *s = alert_summary(&v[k]);

		json_array_append_new(open, json_string(s));
		free(s);
	}
	if (n > 0)
		alert_list_release(v, n);
	json_object_set_new(o, "open", open);
	if (ret)
		json_object_set_new(o, "error", json_string("a scan failed"));
	return ret;
}

/*
 * Exports (results.exports): the runs this pass made, as JUnit XML and
 * KCIDB JSON files named after the plan and the pass's start.
 */
static int hook_exports(struct store *st, const struct plan *p,
			json_t *summary)
{
	const char *started = json_string_value(json_object_get(summary,
								"started"));
	json_t *o;
	int ret;

	if (!p->exports_dir || !started)
		return 0;
	o = json_object();
	json_object_set_new(summary, "exports", o);
	ret = export_files(st, started, p->exports_dir, p->name,
			   p->export_junit, p->export_kcidb, o);
	if (ret)
		json_object_set_new(o, "error", json_string("an export failed"));
	return ret;
}

static const struct cihook cihooks[] = {
	{ "alerts", hook_alerts },
	{ "exports", hook_exports },
};

void cihooks_run(struct store *st, const struct plan *p, json_t *summary)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cihooks); i++)
		if (cihooks[i].fn(st, p, summary))
			warning("ci: %s: see the summary", cihooks[i].name);
}
