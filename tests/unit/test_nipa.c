/*
 * test_nipa.c - the small parsers behind imports and exports: NIPA's
 * branch names (stream and date), the --since dates exports accept, and
 * KCIDB's dotted test paths.
 */
#include <stdlib.h>
#include <string.h>

#include "../../harness/export.h"
#include "../../harness/nipa.h"
#include "test.h"

TEST(nipa_branch_split)
{
	char *stream, *date;

	nipa_branch_split("net-next-2025-06-20--00-00", &stream, &date);
	CHECK_STR(stream, "net-next");
	CHECK_STR(date, "2025-06-20T00:00:00Z");
	free(stream);
	free(date);
	nipa_branch_split("net-2025-07-01--12-30", &stream, &date);
	CHECK_STR(stream, "net");
	CHECK_STR(date, "2025-07-01T12:30:00Z");
	free(stream);
	free(date);
	/* No date suffix: the branch is its own stream. */
	nipa_branch_split("my-branch", &stream, &date);
	CHECK_STR(stream, "my-branch");
	CHECK(date == NULL);
	free(stream);
	nipa_branch_split("x-2025-06-20--0a-00", &stream, &date);
	CHECK_STR(stream, "x-2025-06-20--0a-00");
	CHECK(date == NULL);
	free(stream);
	nipa_branch_split("", &stream, &date);
	CHECK_STR(stream, "");
	free(stream);
}

TEST(export_since_and_paths)
{
	char *p;

	CHECK_INT(export_since_valid("2025-06-01"), 0);
	CHECK_INT(export_since_valid("2025-06-01T10:20"), 0);
	CHECK_INT(export_since_valid("2025-06-01T10:20:30Z"), 0);
	CHECK_INT(export_since_valid("2025-6-1"), -1);
	CHECK_INT(export_since_valid("yesterday"), -1);
	CHECK_INT(export_since_valid("2025-06-01 10:20"), -1);
	CHECK_INT(export_since_valid("2025-06-01T10:20:30+02"), -1);
	p = export_kcidb_path("net", "udpgro_bench.sh");
	CHECK_STR(p, "net.udpgro_bench_sh");
	free(p);
	p = export_kcidb_path("path", "a b/c.sh");
	CHECK_STR(p, "path.a_b_c_sh");
	free(p);
	/* An empty name still makes a level. */
	p = export_kcidb_path("", "");
	CHECK_STR(p, "_._");
	free(p);
}
