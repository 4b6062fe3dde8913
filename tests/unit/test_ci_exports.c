/*
 * test_ci_exports.c - `kflake ci`'s results.exports: the plan field
 * (errors name it) and the files a pass writes (export_files): the
 * pass's runs only, as JUnit and KCIDB, named after the plan and the
 * pass's start; nothing when the pass ran nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../harness/export.h"
#include "../../harness/plan.h"
#include "../../harness/record.h"
#include "../../harness/store.h"
#include "../../harness/util.h"
#include "test.h"

static int load(const char *results, struct plan *p, struct strbuf *err)
{
	char *path = xasprintf("%s/plan.json", test_tmpdir());
	char *text = xasprintf("{\"name\": \"nightly\", \"trees\": [{\"refs\": "
			       "[\"master\"]}], \"tests\": [{\"test\": "
			       "\"a.sh\"}], \"results\": %s}", results);
	int rc = util_write_file(path, text, strlen(text));

	strbuf_reset(err);
	if (!rc)
		rc = plan_load(path, p, err);
	free(text);
	free(path);
	return rc;
}

TEST(plan_results_exports)
{
	struct strbuf err = STRBUF_INIT;
	struct plan p;
	char *want = xasprintf("%s/out", test_tmpdir());

	CHECK_INT(load("{\"exports\": {\"dir\": \"out\", \"kcidb\": false}}",
		       &p, &err), 0);
	CHECK_STR(p.exports_dir, want);
	CHECK(p.export_junit && !p.export_kcidb);
	plan_release(&p);
	CHECK_INT(load("{}", &p, &err), 0);
	CHECK(p.exports_dir == NULL);
	plan_release(&p);
	CHECK_INT(load("{\"exports\": {\"junit\": true}}", &p, &err), -1);
	CHECK(strstr(strbuf_str(&err), "results.exports.dir: required"));
	CHECK_INT(load("{\"exports\": {\"dir\": \"o\", \"junit\": false, "
		       "\"kcidb\": false}}", &p, &err), -1);
	CHECK(strstr(strbuf_str(&err), "results.exports: junit and kcidb"));
	CHECK_INT(load("{\"exports\": {\"dir\": \"o\", \"xml\": 1}}", &p,
		       &err), -1);
	CHECK(strstr(strbuf_str(&err), "results.exports.xml: unknown field"));
	CHECK_INT(load("{\"exports\": \"o\"}", &p, &err), -1);
	CHECK(strstr(strbuf_str(&err), "results.exports: expected an object"));
	free(want);
	strbuf_release(&err);
}

static void add_run(struct store *st, double when, const char *test)
{
	struct record_run r = { .kind = "run", .commit_id = "c0ffee",
				.tests_json = "[]", .iterations = 1 };
	struct record_iteration it = {
		.test = test, .suite = "net", .seq = 1,
		.outcome = OUTCOME_PASS, .rc = 0, .duration = 1,
		.guest_duration = -1, .max_silence = -1, .started_at = when,
		.finished_at = when + 1,
	};
	char ts[32];

	it.run_id = record_run_create(st, &r);
	record_run_set(st, it.run_id, "started_at", util_iso8601(when, ts));
	record_iteration_add(st, &it);
}

TEST(export_files_of_a_pass)
{
	char *db = xasprintf("%s/e.db", test_tmpdir());
	char *dir = xasprintf("%s/exports", test_tmpdir()), *path;
	struct strbuf sb = STRBUF_INIT;
	struct store st;
	json_t *o = json_object(), *doc;

	CHECK_INT(store_open(&st, db, 0), 0);
	add_run(&st, 1.7e9, "before.sh");
	add_run(&st, 1.7e9 + 3600, "during.sh");
	/* Nothing since the pass started: no file. */
	CHECK_INT(export_files(&st, "2030-01-01T00:00:00Z", dir, "nightly", 1,
			       1, o), 0);
	CHECK_INT(json_integer_value(json_object_get(o, "runs")), 0);
	CHECK(!util_file_exists(dir));
	/* The pass started between the two runs: only the second. */
	CHECK_INT(export_files(&st, "2023-11-14T23:00:00Z", dir, "nightly", 1,
			       1, o), 0);
	CHECK_INT(json_integer_value(json_object_get(o, "runs")), 1);
	path = xasprintf("%s/nightly-2023-11-14T23-00-00Z.junit.xml", dir);
	CHECK_STR(json_string_value(json_object_get(o, "junit")), path);
	CHECK_INT(util_read_file(path, &sb, 1 << 20), 0);
	CHECK(strstr(strbuf_str(&sb), "name=\"during.sh\""));
	CHECK(!strstr(strbuf_str(&sb), "before.sh"));
	free(path);
	path = xasprintf("%s/nightly-2023-11-14T23-00-00Z.kcidb.json", dir);
	doc = json_load_file(path, 0, NULL);
	CHECK(doc != NULL);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(doc,
		  "version"), "minor")), 3);
	CHECK_INT(json_array_size(json_object_get(doc, "tests")), 1);
	json_decref(doc);
	free(path);
	json_decref(o);
	strbuf_release(&sb);
	store_close(&st);
	free(dir);
	free(db);
}
