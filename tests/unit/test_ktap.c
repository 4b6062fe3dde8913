/*
 * test_ktap.c - the KTAP/TAP parser and the udpgro sub-case extractor on
 * output shaped like what the 6.1 selftests and kselftest runner print.
 */
#include <stdlib.h>
#include <string.h>

#include "../../harness/ktap.h"
#include "../../harness/util.h"
#include "test.h"

/* Documentation/dev-tools/ktap.rst's example, verbatim. */
static const char ktap_doc_example[] =
	"KTAP version 1\n"
	"1..1\n"
	"  KTAP version 1\n"
	"  1..3\n"
	"    KTAP version 1\n"
	"    1..1\n"
	"    # test_1: initializing test_1\n"
	"    ok 1 test_1\n"
	"  ok 1 example_test_1\n"
	"    KTAP version 1\n"
	"    1..2\n"
	"    ok 1 test_1 # SKIP test_1 skipped\n"
	"    ok 2 test_2\n"
	"  ok 2 example_test_2\n"
	"    KTAP version 1\n"
	"    1..3\n"
	"    ok 1 test_1\n"
	"    # test_2: FAIL\n"
	"    not ok 2 test_2\n"
	"    ok 3 test_3 # SKIP test_3 skipped\n"
	"  not ok 3 example_test_3\n"
	"not ok 1 main_test\n";

/*
 * run_kselftest.sh over a kselftest_harness test and udpgro.sh, as 6.1's
 * runner.sh and kselftest_harness.h print them.
 */
static const char runner_output[] =
	"TAP version 13\n"
	"1..2\n"
	"# selftests: net: reuseaddr_ports_exhausted\n"
	"# TAP version 13\n"
	"# 1..3\n"
	"# # Starting 3 tests from 1 test cases.\n"
	"# #  RUN           global.reuseaddr_ports_exhausted_unreusable ...\n"
	"# #            OK  global.reuseaddr_ports_exhausted_unreusable\n"
	"# ok 1 global.reuseaddr_ports_exhausted_unreusable\n"
	"# #  RUN           global.reuseaddr_ports_exhausted_reusable_same_euid ...\n"
	"# # reuseaddr_ports_exhausted.c:110:reuseaddr_ports_exhausted_reusable_same_euid:Expected bind_result (98) == 0 (0)\n"
	"# # reuseaddr_ports_exhausted_reusable_same_euid: Test terminated by assertion\n"
	"# #          FAIL  global.reuseaddr_ports_exhausted_reusable_same_euid\n"
	"# not ok 2 global.reuseaddr_ports_exhausted_reusable_same_euid\n"
	"# #  RUN           global.reuseaddr_ports_exhausted_reusable_different_euid ...\n"
	"# #      SKIP      need root\n"
	"# #            OK  global.reuseaddr_ports_exhausted_reusable_different_euid\n"
	"# ok 3 # SKIP need root\n"
	"# # FAILED: 1 / 3 tests passed.\n"
	"# # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0\n"
	"not ok 1 selftests: net: reuseaddr_ports_exhausted # exit=1\n"
	"# selftests: net: udpgro_bench.sh\n"
	"#\n"
	"not ok 2 selftests: net: udpgro_bench.sh # TIMEOUT 1500 seconds\n";

TEST(ktap_parses_spec_example_with_hierarchy)
{
	struct ktap_doc doc;
	static const struct {
		const char *name;
		enum ktap_result r;
		int depth, parent;
	} want[] = {
		{ "test_1", KTAP_PASS, 2, 1 },
		{ "example_test_1", KTAP_PASS, 1, 9 },
		{ "test_1", KTAP_SKIP, 2, 4 },
		{ "test_2", KTAP_PASS, 2, 4 },
		{ "example_test_2", KTAP_PASS, 1, 9 },
		{ "test_1", KTAP_PASS, 2, 8 },
		{ "test_2", KTAP_FAIL, 2, 8 },
		{ "test_3", KTAP_SKIP, 2, 8 },
		{ "example_test_3", KTAP_FAIL, 1, 9 },
		{ "main_test", KTAP_FAIL, 0, -1 },
	};
	size_t i;

	CHECK_INT(ktap_parse(ktap_doc_example, strlen(ktap_doc_example), &doc), 0);
	CHECK_INT(doc.saw_version, 1);
	CHECK_INT(doc.version, 1);
	CHECK_INT(doc.plan, 1);
	CHECK_INT(doc.nr, ARRAY_SIZE(want));
	for (i = 0; i < doc.nr && i < ARRAY_SIZE(want); i++) {
		CHECK_STR(doc.cases[i].name, want[i].name);
		CHECK_INT(doc.cases[i].result, want[i].r);
		CHECK_INT(doc.cases[i].depth, want[i].depth);
		CHECK_INT(doc.cases[i].parent, want[i].parent);
	}
	CHECK_STR(doc.cases[2].reason, "test_1 skipped");
	CHECK(doc.cases[3].reason == NULL);
	ktap_release(&doc);
}

TEST(ktap_parses_kselftest_runner_nesting)
{
	struct ktap_doc doc;

	ktap_parse(runner_output, strlen(runner_output), &doc);
	CHECK_INT(doc.version, 13);
	CHECK_INT(doc.plan, 2);
	CHECK_INT(doc.nr, 5);
	if (doc.nr != 5)
		goto out;
	CHECK_STR(doc.cases[0].name, "global.reuseaddr_ports_exhausted_unreusable");
	CHECK_INT(doc.cases[0].depth, 1);
	CHECK_INT(doc.cases[0].parent, 3);
	CHECK_INT(doc.cases[1].result, KTAP_FAIL);
	/* kselftest_harness prints skips with no name at all */
	CHECK_STR(doc.cases[2].name, "");
	CHECK_INT(doc.cases[2].result, KTAP_SKIP);
	CHECK_INT(doc.cases[2].number, 3);
	CHECK_STR(doc.cases[2].reason, "need root");
	CHECK_STR(doc.cases[3].name, "selftests: net: reuseaddr_ports_exhausted");
	CHECK_INT(doc.cases[3].result, KTAP_FAIL);
	CHECK_STR(doc.cases[3].reason, "exit=1");
	CHECK_INT(doc.cases[3].depth, 0);
	CHECK_INT(doc.cases[4].result, KTAP_TIMEOUT);
	CHECK_STR(doc.cases[4].reason, "1500 seconds");
	CHECK_INT(doc.cases[4].number, 2);
out:
	ktap_release(&doc);
}

TEST(ktap_directives_and_odd_names)
{
	static const char text[] =
		"TAP version 14\n"
		"1..9\n"
		"ok 1 - udp gso # SKIP no veth\n"
		"not ok 2 tcp # skip kernel too old\n"
		"not ok 3 later # TODO not written\n"
		"ok 4 # XFAIL known race\n"
		"not ok 5 slow one # TIMEOUT 45 seconds\n"
		"not ok 6 # error bad setup\n"
		"ok 7 name#with hash\n"
		"ok 8 - # Skipped: no ipv6\n"
		"not ok 9 dir # EXIT=3\r\n"
		"ok\n"
		"okay 10 not a result\n"
		"ok ten not a result either\n";
	struct ktap_doc doc;

	ktap_parse(text, strlen(text), &doc);
	CHECK_INT(doc.version, 14);
	CHECK_INT(doc.nr, 9);
	if (doc.nr != 9)
		goto out;
	CHECK_STR(doc.cases[0].name, "udp gso");
	CHECK_INT(doc.cases[0].result, KTAP_SKIP);
	CHECK_STR(doc.cases[0].reason, "no veth");
	CHECK_INT(doc.cases[1].result, KTAP_SKIP);
	CHECK_INT(doc.cases[2].result, KTAP_TODO);
	CHECK_INT(doc.cases[3].result, KTAP_XFAIL);
	CHECK_STR(doc.cases[3].reason, "known race");
	CHECK_INT(doc.cases[4].result, KTAP_TIMEOUT);
	CHECK_INT(doc.cases[5].result, KTAP_ERROR);
	CHECK_STR(doc.cases[5].reason, "bad setup");
	CHECK_STR(doc.cases[6].name, "name#with hash");
	CHECK_INT(doc.cases[6].result, KTAP_PASS);
	CHECK_INT(doc.cases[7].result, KTAP_SKIP);
	CHECK_STR(doc.cases[7].reason, "no ipv6");
	CHECK_INT(doc.cases[8].result, KTAP_FAIL);
	CHECK_STR(doc.cases[8].reason, "EXIT=3");
out:
	ktap_release(&doc);
}

TEST(ktap_skip_all_plan_and_bail_out)
{
	static const char skip[] = "TAP version 13\n1..0 # SKIP no CONFIG_VETH\n";
	static const char bail[] = "TAP version 13\n1..4\nok 1 a\nBail out! no memory\n";
	struct ktap_doc doc;

	ktap_parse(skip, strlen(skip), &doc);
	CHECK_INT(doc.plan, 0);
	CHECK_INT(doc.skip_all, 1);
	CHECK_INT(doc.bail_out, 0);
	ktap_release(&doc);
	ktap_parse(bail, strlen(bail), &doc);
	CHECK_INT(doc.plan, 4);
	CHECK_INT(doc.skip_all, 0);
	CHECK_INT(doc.bail_out, 1);
	CHECK_INT(doc.nr, 1);
	ktap_release(&doc);
}

TEST(ktap_caps_hostile_input)
{
	struct strbuf sb = STRBUF_INIT;
	struct ktap_doc doc;
	char *junk;
	int i;

	for (i = 0; i < KTAP_MAX_CASES + 50; i++)
		strbuf_addf(&sb, "ok %d case_%d\n", i + 1, i);
	ktap_parse(sb.buf, sb.len, &doc);
	CHECK_INT(doc.nr, KTAP_MAX_CASES);
	CHECK_INT(doc.truncated, 1);
	ktap_release(&doc);

	/* One 100 KB name, NULs, a 30-digit number, deep nesting. */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "not ok 123456789012345678901234567890 ");
	for (i = 0; i < 100000; i++)
		strbuf_addch(&sb, 'x');
	strbuf_add(&sb, "\nok 2 a\0b\n", 10);
	strbuf_add(&sb, "ok 3 c\0d # SKIP\n", 16);
	for (i = 0; i < 40; i++)
		strbuf_addstr(&sb, "# ");
	strbuf_addstr(&sb, "not ok 4 too deep\n");
	ktap_parse(sb.buf, sb.len, &doc);
	CHECK_INT(doc.nr, 3);
	if (doc.nr == 3) {
		CHECK_INT(strlen(doc.cases[0].name), KTAP_MAX_NAME - 1);
		CHECK_INT(doc.cases[0].number, 999999999);
		CHECK_STR(doc.cases[1].name, "a?b");
		CHECK_STR(doc.cases[2].name, "c?d");
		CHECK_INT(doc.cases[2].result, KTAP_SKIP);
	}
	ktap_release(&doc);

	ktap_parse(NULL, 0, &doc);
	CHECK_INT(doc.nr, 0);
	CHECK_INT(doc.plan, -1);
	ktap_release(&doc);

	junk = xmalloc(4096);
	for (i = 0; i < 4096; i++)
		junk[i] = (char)(i * 7919 % 251);
	ktap_parse(junk, 4096, &doc);
	ktap_release(&doc);
	free(junk);
	strbuf_release(&sb);
}

TEST(ktap_rc_and_result_names)
{
	CHECK_STR(ktap_rc_name(0), "pass");
	CHECK_STR(ktap_rc_name(4), "skip");
	CHECK_STR(ktap_rc_name(124), "timeout");
	CHECK_STR(ktap_rc_name(2), "xfail");
	CHECK_STR(ktap_rc_name(3), "xpass");
	CHECK_STR(ktap_rc_name(1), "fail");
	CHECK_STR(ktap_rc_name(255), "fail");
	CHECK_STR(ktap_rc_name(-1), "fail");
	CHECK_STR(ktap_result_name(KTAP_PASS), "pass");
	CHECK_STR(ktap_result_name(KTAP_TIMEOUT), "timeout");
	CHECK_STR(ktap_result_name(KTAP_ERROR), "error");
	CHECK_STR(ktap_result_name((enum ktap_result)42), "unknown");
}

/*
 * udpgro_bench.sh run directly: its echo'd headers on stdout and
 * udpgso_bench_{tx,rx}'s "%s tx: %6lu MB/s %8lu calls/s %6lu msg/s" and
 * "%s rx: %6lu MB/s %8lu calls/s" lines on stderr. Note the script's
 * "ipv6" tcp case really runs with ipv4_args.
 */
static const char bench_output[] =
	"ipv4\n"
	"tcp - over veth touching data\n"
	"tcp tx:  13584 MB/s   217348 calls/s 217348 msg/s\n"
	"tcp rx:  13592 MB/s   221830 calls/s\n"
	"tcp tx:  14055 MB/s   224880 calls/s 224880 msg/s\n"
	"tcp rx:  14048 MB/s   226813 calls/s\n"
	"tcp tx:  13823 MB/s   221168 calls/s 221168 msg/s\n"
	"tcp rx:  13830 MB/s   223442 calls/s\n"
	"tcp rx:   9120 MB/s   147000 calls/s\n"
	"udp gso - over veth touching data\n"
	"udp tx:    754 MB/s    12790 calls/s  12790 msg/s\n"
	"udp rx:    751 MB/s   535132 calls/s\n"
	"udp tx:    790 MB/s    13401 calls/s  13401 msg/s\n"
	"udp rx:    788 MB/s   561046 calls/s\n"
	"udp tx:    772 MB/s    13095 calls/s  13095 msg/s\n"
	"udp rx:    770 MB/s   548272 calls/s\n"
	"udp tx:    780 MB/s    13230 calls/s  13230 msg/s\n"
	"udp gso and gro - over veth touching data\n"
	"udp tx:   1830 MB/s    31040 calls/s  31040 msg/s\n"
	"./udpgso_bench_tx: sendmsg: Connection refused\n"
	"ipv6\n"
	"tcp - over veth touching data\n"
	"udp gso - over veth touching data\n"
	"RTNETLINK answers: File exists\n"
	"udp tx:    701 MB/s    11890 calls/s  11890 msg/s\n"
	"udp gso and gro - over veth touching data\n"
	"udp tx:   1790 MB/s    30362 calls/s  30362 msg/s\n"
	"udp rx:   1788 MB/s    30354 calls/s\n";

static const struct ktap_metric *find_metric(const struct ktap_results *res,
					     const char *subcase,
					     const char *name)
{
	size_t i;

	for (i = 0; i < res->nmetrics; i++)
		if (!strcmp(res->metrics[i].subcase, subcase) &&
		    !strcmp(res->metrics[i].name, name))
			return &res->metrics[i];
	return NULL;
}

static double metric(const struct ktap_results *res, const char *subcase,
		     const char *name)
{
	const struct ktap_metric *m = find_metric(res, subcase, name);

	return m ? m->value : -1;
}

TEST(ktap_extracts_udpgro_bench_blocks)
{
	struct ktap_results res;
	const struct ktap_metric *m;
	static const struct {
		const char *name;
		enum ktap_result r;
	} want[] = {
		{ "ipv4: tcp - over veth touching data", KTAP_PASS },
		{ "ipv4: udp gso - over veth touching data", KTAP_PASS },
		{ "ipv4: udp gso and gro - over veth touching data", KTAP_FAIL },
		{ "ipv6: tcp - over veth touching data", KTAP_FAIL },
		{ "ipv6: udp gso - over veth touching data", KTAP_FAIL },
		{ "ipv6: udp gso and gro - over veth touching data", KTAP_PASS },
	};
	size_t i;

	ktap_extract(bench_output, strlen(bench_output), &res);
	CHECK_INT(res.is_tap, 0);
	CHECK_INT(res.nr, ARRAY_SIZE(want));
	for (i = 0; i < res.nr && i < ARRAY_SIZE(want); i++) {
		CHECK_STR(res.cases[i].name, want[i].name);
		CHECK_INT(res.cases[i].result, want[i].r);
		CHECK_INT(res.cases[i].number, i + 1);
	}
	if (res.nr == ARRAY_SIZE(want)) {
		CHECK_STR(res.cases[2].reason,
			  "./udpgso_bench_tx: sendmsg: Connection refused");
		CHECK_STR(res.cases[3].reason, "no throughput reported");
		CHECK_STR(res.cases[4].reason, "RTNETLINK answers: File exists");
		CHECK(res.cases[0].reason == NULL);
	}
	/* medians: odd count, even count, and a slow outlier ignored */
	CHECK_NEAR(metric(&res, "ipv4: tcp - over veth touching data",
			  "tcp tx MB/s"), 13823, 1e-9);
	CHECK_NEAR(metric(&res, "ipv4: tcp - over veth touching data",
			  "tcp rx MB/s"), (13592 + 13830) / 2.0, 1e-9);
	CHECK_NEAR(metric(&res, "ipv4: tcp - over veth touching data",
			  "tcp tx calls/s"), 221168, 1e-9);
	CHECK_NEAR(metric(&res, "ipv4: udp gso - over veth touching data",
			  "udp tx MB/s"), (772 + 780) / 2.0, 1e-9);
	CHECK_NEAR(metric(&res, "ipv4: udp gso - over veth touching data",
			  "udp tx msg/s"), (13095 + 13230) / 2.0, 1e-9);
	CHECK_NEAR(metric(&res, "ipv4: udp gso - over veth touching data",
			  "udp rx calls/s"), 548272, 1e-9);
	m = find_metric(&res, "ipv6: udp gso and gro - over veth touching data",
			"udp rx MB/s");
	CHECK(m != NULL);
	if (m)
		CHECK_STR(m->unit, "MB/s");
	CHECK(find_metric(&res, "ipv6: tcp - over veth touching data",
			  "tcp tx MB/s") == NULL);
	CHECK(find_metric(&res, "ipv4: tcp - over veth touching data",
			  "udp tx MB/s") == NULL);
	ktap_results_release(&res);
}

/* udpgro_frglist.sh also echoes its argument lists: they are no cases. */
TEST(ktap_extracts_udpgro_frglist_with_echoed_args)
{
	static const char text[] =
		"ipv6\n"
		"tcp - over veth touching data\n"
		"-l 4 -6 -D 2001:db8::1 -t rx -4 -t\n"
		"-4 -t\n"
		"tcp tx:   3712 MB/s    59392 calls/s  59392 msg/s\n"
		"tcp rx:   3716 MB/s    58043 calls/s\n"
		"udp gso - over veth touching data\n"
		"-l 4 -6 -D 2001:db8::1 -u -S 0 rx -4 -v\n"
		"-4 -v\n"
		"udp tx:    640 MB/s    10855 calls/s  10855 msg/s\n"
		"sum udp tx:    999 MB/s      1 calls (1/s)      1 msgs (1/s)\n";
	struct ktap_results res;

	ktap_extract(text, strlen(text), &res);
	CHECK_INT(res.nr, 2);
	if (res.nr == 2) {
		CHECK_STR(res.cases[0].name, "ipv6: tcp - over veth touching data");
		CHECK_INT(res.cases[0].result, KTAP_PASS);
		CHECK_STR(res.cases[1].name, "ipv6: udp gso - over veth touching data");
		CHECK_INT(res.cases[1].result, KTAP_PASS);
	}
	/* the -a audit summary is not a per-second sample */
	CHECK_NEAR(metric(&res, "ipv6: udp gso - over veth touching data",
			  "udp tx MB/s"), 640, 1e-9);
	CHECK_INT(res.nmetrics, 5 + 3);
	ktap_results_release(&res);
}

/* Build udpgro.sh output the way its printf " %-40s" lays it out. */
static void udpgro_case(struct strbuf *sb, const char *name, const char *rest)
{
	strbuf_addf(sb, "#  %-40s%s\n", name, rest);
}

TEST(ktap_extracts_udpgro_sh_under_runner)
{
	struct strbuf sb = STRBUF_INIT;
	struct ktap_results res;

	strbuf_addstr(&sb, "TAP version 13\n1..1\n# selftests: net: udpgro.sh\n");
	strbuf_addstr(&sb, "# ipv4\n");
	udpgro_case(&sb, "no GRO", "ok");
	udpgro_case(&sb, "no GRO chk cmsg", "ok");
	udpgro_case(&sb, "GRO", "./udpgso_bench_rx: wrong packet number! got 0, expected 1");
	strbuf_addstr(&sb, "# \n# failed\n");
	udpgro_case(&sb, "GRO with custom segment size cmsg", "ok");
	strbuf_addstr(&sb, "# ipv6\n");
	udpgro_case(&sb, "no GRO", "ok");
	/* killed by the runner's timeout: its "#" lands on the same line */
	udpgro_case(&sb, "multiple GRO socks", "#");
	strbuf_addstr(&sb, "not ok 1 selftests: net: udpgro.sh # TIMEOUT 1500 seconds\n");

	ktap_extract(sb.buf, sb.len, &res);
	CHECK_INT(res.is_tap, 1);
	CHECK_INT(res.plan, 1);
	CHECK_INT(res.nr, 7);
	if (res.nr != 7)
		goto out;
	CHECK_STR(res.cases[0].name, "selftests: net: udpgro.sh");
	CHECK_INT(res.cases[0].result, KTAP_TIMEOUT);
	CHECK_STR(res.cases[1].name, "ipv4: no GRO");
	CHECK_INT(res.cases[1].result, KTAP_PASS);
	CHECK_INT(res.cases[1].depth, 1);
	CHECK_STR(res.cases[3].name, "ipv4: GRO");
	CHECK_INT(res.cases[3].result, KTAP_FAIL);
	CHECK_STR(res.cases[3].reason,
		  "./udpgso_bench_rx: wrong packet number! got 0, expected 1");
	CHECK_STR(res.cases[4].name, "ipv4: GRO with custom segment size cmsg");
	CHECK_INT(res.cases[4].result, KTAP_PASS);
	CHECK_STR(res.cases[5].name, "ipv6: no GRO");
	CHECK_STR(res.cases[6].name, "ipv6: multiple GRO socks");
	CHECK_INT(res.cases[6].result, KTAP_ERROR);
	CHECK_INT(res.nmetrics, 0);
out:
	ktap_results_release(&res);
	strbuf_release(&sb);
}

/* Indented lines after an "ipv4" in some other test are no udpgro cases. */
TEST(ktap_extract_ignores_lookalikes)
{
	static const char text[] =
		"ipv4\n"
		" TEST: ping out, device bind - ns-A IP                  [ OK ]\n"
		" TEST: ping in - ns-A IP                                 [ OK ]\n"
		"udp tx: garbage\n"
		"tcp: not a header - really\n";
	struct ktap_results res;

	ktap_extract(text, strlen(text), &res);
	CHECK_INT(res.nr, 0);
	CHECK_INT(res.nmetrics, 0);
	ktap_results_release(&res);

	ktap_extract("all good\n", 9, &res);
	CHECK_INT(res.nr, 0);
	CHECK_INT(res.is_tap, 0);
	ktap_results_release(&res);
}
