/*
 * fuzz_ktap.c - libFuzzer entry for the KTAP parser and the udpgro
 * extractor: any bytes must parse, within the caps, into sane results.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ktap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_case(const struct ktap_case *c, size_t idx, size_t nr)
{
	if (!c->name || strlen(c->name) >= KTAP_MAX_NAME)
		abort();
	if (c->reason && strlen(c->reason) >= KTAP_MAX_NAME)
		abort();
	if ((unsigned)c->result > KTAP_ERROR)
		abort();
	if (c->depth < 0 || c->depth > KTAP_MAX_DEPTH)
		abort();
	/* kselftest prints a parent's result after its children */
	if (c->parent != -1 && (c->parent <= (int)idx || c->parent >= (int)nr))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ktap_results res;
	struct ktap_doc doc;
	size_t i;

	ktap_parse((const char *)data, size, &doc);
	if (doc.nr > KTAP_MAX_CASES)
		abort();
	for (i = 0; i < doc.nr; i++)
		check_case(&doc.cases[i], i, doc.nr);
	ktap_release(&doc);

	ktap_extract((const char *)data, size, &res);
	if (res.nr > KTAP_MAX_CASES || res.nmetrics > KTAP_MAX_METRICS)
		abort();
	for (i = 0; i < res.nmetrics; i++)
		if (!res.metrics[i].subcase || !res.metrics[i].name ||
		    !res.metrics[i].unit || res.metrics[i].value < 0)
			abort();
	ktap_results_release(&res);
	return 0;
}
