/*
 * web_matrix.c - the Matrix page and /api/matrix: test x kernel for the
 * kernels CI tested (matrix.h), one cell per test and kernel with the
 * failure rate, its interval, the verdict and what reproducers printed.
 * The data comes from matrix.c; this file only renders (%h escapes test
 * names, labels and values: they come from strangers' tests and series).
 */
#include <string.h>

#include "matrix.h"
#include "stats.h"
#include "util.h"
#include "web_html.h"
#include "web_matrix.h"
#include "web_page.h"

static int plan_arg(struct web_req *r, const char **plan)
{
	*plan = web_arg(r, "plan");
	if (*plan && (!**plan || strlen(*plan) > 64))
		return web_error(r, 400, "plan: expected a plan name");
	return 0;
}

static void cell(struct strbuf *sb, const struct matrix_cell *c)
{
	struct strbuf t = STRBUF_INIT;
	size_t v;

	matrix_cell_text(c, &t, 0);
	web_htmlf(sb, "<td class=\"num\">%h ", t.buf);
	if (c->runs)
		web_html_verdict(sb, stats_verdict_name(stats_verdict(
						 c->failures, c->runs)));
	for (v = 0; v < c->nvalues; v++) {
		web_htmlf(sb, "<br><code>%h</code>", c->values[v].text);
		if (c->values[v].count != c->iterations)
			web_htmlf(sb, " &times;%ld", c->values[v].count);
	}
	strbuf_addstr(sb, "</td>");
	strbuf_release(&t);
}

int web_page_matrix(struct web_req *r)
{
	struct strbuf *sb = &r->body;
	const char *plan;
	struct matrix m;
	size_t t, k;

	if (plan_arg(r, &plan))
		return -1;
	if (matrix_load(r->st, plan, &m))
		return web_error(r, 500, "cannot load the matrix");
	web_page_start(r, "Matrix", "/matrix");
	strbuf_addstr(sb, "<h1>Test &times; kernel</h1>");
	if (plan)
		web_htmlf(sb, "<p>Plan %h.</p>", plan);
	if (!m.nkernels)
		strbuf_addstr(sb, "<p class=\"muted\">No kernels yet: nothing "
			      "CI tested, and no runs.</p>");
	strbuf_addstr(sb, "<div class=\"scroll\"><table><tr><th>Test</th>");
	for (k = 0; k < m.nkernels; k++) {
		web_htmlf(sb, "<th title=\"%h\">%h<br>", m.kernels[k].line,
			  m.kernels[k].label);
		web_html_commit(sb, m.kernels[k].commit);
		strbuf_addstr(sb, "</th>");
	}
	strbuf_addstr(sb, "</tr>");
	for (t = 0; t < m.ntests; t++) {
		strbuf_addstr(sb, "<tr><td>");
		web_html_test_link(sb, m.tests[t]);
		strbuf_addstr(sb, "</td>");
		for (k = 0; k < m.nkernels; k++)
			cell(sb, matrix_cell(&m, t, k));
		strbuf_addstr(sb, "</tr>");
	}
	strbuf_addstr(sb, "</table></div><p class=\"muted\">Columns are the "
		      "kernels CI items tested (tracked refs, series, and each "
		      "series' base); a cell is failures/runs, the failure rate "
		      "with its 95% interval, the verdict, and what a "
		      "reproducer printed (<code># value</code>). As JSON: "
		      "<a href=\"/api/matrix\">/api/matrix</a>.</p>");
	matrix_release(&m);
	return web_page_end(r);
}

int web_api_matrix(struct web_req *r)
{
	const char *plan;
	struct matrix m;
	json_t *j;

	if (plan_arg(r, &plan))
		return -1;
	if (matrix_load(r->st, plan, &m))
		return web_error(r, 500, "cannot load the matrix");
	j = matrix_json(&m);
	matrix_release(&m);
	return web_send_json(r, j);
}
