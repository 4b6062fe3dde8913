/*
 * ktap.h - what a selftest said about itself: KTAP v1 / TAP 13-14 results
 * as kselftest prints them, the kselftest exit code convention, and the
 * sub-cases and throughput numbers of the udpgro scripts, which print no
 * TAP at all.
 */
#ifndef KFLAKE_KTAP_H
#define KFLAKE_KTAP_H

#include <stddef.h>

/* Output is untrusted: everything past these caps is ignored. */
#define KTAP_MAX_CASES 10000
#define KTAP_MAX_NAME 256
#define KTAP_MAX_DEPTH 16
#define KTAP_MAX_METRICS 10000

enum ktap_result {
	KTAP_PASS,
	KTAP_FAIL,
	KTAP_SKIP,
	KTAP_XFAIL,
	KTAP_TODO,
	KTAP_TIMEOUT,
	KTAP_ERROR,
};

struct ktap_case {
	char *name;		/* never NULL, may be "" */
	enum ktap_result result;
	int number;		/* as printed; sub-cases count from 1 */
	int depth;		/* 0 top level, 1 for "# ok ..." etc. */
	int parent;		/* index of the enclosing case, -1 if none */
	char *reason;		/* directive text or failure reason, or NULL */
};

struct ktap_doc {
	struct ktap_case *cases;
	size_t nr, alloc;
	int plan;		/* top-level 1..N, -1 when absent */
	int saw_version;	/* a top-level version line was seen */
	int version;		/* KTAP 1, TAP 13 or 14; 0 when absent */
	int skip_all;		/* "1..0 # SKIP" */
	int bail_out;		/* "Bail out!" at any depth */
	int truncated;		/* more than KTAP_MAX_CASES results */
};

/* Parse len bytes of test output; always succeeds on any input (0). */
int ktap_parse(const char *text, size_t len, struct ktap_doc *doc);
void ktap_release(struct ktap_doc *doc);
const char *ktap_result_name(enum ktap_result r);

/* kselftest exit codes: "pass", "skip", "timeout", "xfail", "xpass", "fail". */
const char *ktap_rc_name(int rc);

struct ktap_metric {
	char *subcase;		/* qualified sub-case name */
	char *name;		/* "udp tx MB/s" */
	double value;		/* median over the sub-case's report lines */
	char *unit;		/* "MB/s", "calls/s", "msg/s" */
};

struct ktap_results {
	struct ktap_case *cases;
	size_t nr, alloc;
	struct ktap_metric *metrics;
	size_t nmetrics, metrics_alloc;
	int is_tap;		/* the output carried TAP/KTAP results */
	int plan;		/* top-level plan, -1 when absent */
};

/*
 * Every result the output reports: its TAP cases, if any, followed by the
 * udpgro-style sub-cases ("ipv4: udp gso - over veth touching data",
 * "ipv6: GRO chk cmsg") found in it, "# " prefixes stripped, with the
 * median of each throughput figure per sub-case. Zero cases means the
 * output proves nothing: callers must then go by the exit code.
 */
int ktap_extract(const char *output, size_t len, struct ktap_results *out);
void ktap_results_release(struct ktap_results *res);

#endif
