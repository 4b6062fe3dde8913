/*
 * web_svg.c - the inline charts (see web_svg.h). Drawn on the server so
 * the pages need no JavaScript; every label that may come from the
 * database goes through web_htmlf's %h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "score.h"
#include "util.h"
#include "web_html.h"
#include "web_svg.h"

static const char *const outcome_fill[OUTCOME_NR] = {
	"#2e9d4f", "#d1352b", "#9e9e9e", "#f08c00", "#8e3cc4", "#555555",
};

static const char *fill_of(int outcome)
{
	return outcome >= 0 && outcome < OUTCOME_NR ? outcome_fill[outcome]
						    : "#3465a4";
}

void web_svg_sparkline(struct strbuf *sb, const char *outcomes, int n,
		       int cell)
{
	int i, w = n * cell;

	if (n <= 0) {
		strbuf_addstr(sb, "<span class=\"muted\">-</span>");
		return;
	}
	web_htmlf(sb, "<svg class=\"spark\" width=\"%d\" height=\"14\" "
		  "viewBox=\"0 0 %d 14\" role=\"img\"><title>", w, w);
	for (i = 0; i < n; i++)
		web_htmlf(sb, "%R%R", i ? " " : "",
			  record_outcome_name(outcomes[i]));
	strbuf_addstr(sb, "</title>");
	/*
	 * A run of one outcome is one dashed line, a dash per iteration: a
	 * page of sparklines is thousands of cells, mostly passes.
	 */
	for (i = 0; i < n; ) {
		int j = i + 1, pass = outcomes[i] == OUTCOME_PASS;

		while (j < n && outcomes[j] == outcomes[i])
			j++;
		web_htmlf(sb, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			  "stroke=\"%R\" stroke-width=\"%d\"", i * cell,
			  pass ? 10 : 7, j * cell, pass ? 10 : 7,
			  fill_of(outcomes[i]), pass ? 6 : 12);
		if (cell > 2)
			web_htmlf(sb, " stroke-dasharray=\"%d,1\"", cell - 1);
		strbuf_addstr(sb, "/>");
		i = j;
	}
	strbuf_addstr(sb, "</svg>");
}

void web_svg_interval(struct strbuf *sb, double rate, double lo, double hi)
{
	web_htmlf(sb, "<svg class=\"ci\" width=\"100\" height=\"12\" "
		  "viewBox=\"0 0 100 12\" role=\"img\"><title>%.1f%% "
		  "(95%% interval %.1f%%-%.1f%%)</title>"
		  "<rect width=\"100\" height=\"12\" fill=\"#eee\"/>"
		  "<rect x=\"%.1f\" y=\"2\" width=\"%.1f\" height=\"8\" "
		  "fill=\"#f4a6a0\"/>"
		  "<rect x=\"%.1f\" y=\"0\" width=\"2\" height=\"12\" "
		  "fill=\"#b3261e\"/></svg>",
		  rate * 100, lo * 100, hi * 100, lo * 100,
		  fmax((hi - lo) * 100, 0.5), fmin(rate * 100, 98));
}

void web_svg_progress(struct strbuf *sb, long done, long total)
{
	double f = total > 0 ? (double)done / (double)total : 0;

	if (f > 1)
		f = 1;
	web_htmlf(sb, "<svg class=\"progress\" width=\"200\" height=\"12\" "
		  "viewBox=\"0 0 200 12\" role=\"img\"><title>%ld of %ld"
		  "</title><rect width=\"200\" height=\"12\" fill=\"#eee\"/>"
		  "<rect width=\"%.1f\" height=\"12\" fill=\"#3465a4\"/>"
		  "</svg>", done, total, f * 200);
}

/* Plots ---------------------------------------------------------------------- */

#define PLOT_W 640
#define PLOT_H 200
#define PLOT_L 52	/* room for y tick labels */
#define PLOT_R 8
#define PLOT_T 8
#define PLOT_B 40	/* room for group labels and the x caption */

/* The smallest step of 1, 2 or 5 x 10^k that needs at most 5 ticks. */
static double tick_step(double lo, double hi)
{
	static const double m[] = { 1, 2, 5, 10 };
	double span = hi - lo, mag = pow(10, floor(log10(span / 5)));
	size_t i;

	for (i = 0; i < ARRAY_SIZE(m); i++)
		if (span / (m[i] * mag) <= 5)
			return m[i] * mag;
	return 10 * mag;
}

static void plot_range(const struct web_plot *p, double *lo, double *hi)
{
	int i;

	*lo = *hi = p->pts[0].y;
	for (i = 1; i < p->n; i++) {
		*lo = fmin(*lo, p->pts[i].y);
		*hi = fmax(*hi, p->pts[i].y);
	}
	if (p->limit >= 0)
		*hi = fmax(*hi, p->limit);
	/* Anchor at zero when close: durations and rates read better so. */
	if (*lo > 0 && *lo < *hi * 0.5)
		*lo = 0;
	if (*hi - *lo < 1e-9)
		*hi = *lo + 1;
}

static double plot_y(double v, double lo, double hi)
{
	return PLOT_T + (PLOT_H - PLOT_T - PLOT_B) * (1 - (v - lo) / (hi - lo));
}

static void plot_axes(struct strbuf *sb, double lo, double hi)
{
	double step = tick_step(lo, hi), t;

	web_htmlf(sb, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		  "stroke=\"#999\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		  "y2=\"%d\" stroke=\"#999\"/>", PLOT_L, PLOT_T, PLOT_L,
		  PLOT_H - PLOT_B, PLOT_L, PLOT_H - PLOT_B, PLOT_W - PLOT_R,
		  PLOT_H - PLOT_B);
	for (t = ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
		double y = plot_y(t, lo, hi);

		web_htmlf(sb, "<g class=\"ytick\"><line x1=\"%d\" y1=\"%.1f\" "
			  "x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"%d\" "
			  "y=\"%.1f\" text-anchor=\"end\">%g</text></g>",
			  PLOT_L, y, PLOT_W - PLOT_R, y, PLOT_L - 4, y + 3, t);
	}
}

/* Vertical rules where the group (kernel) changes, labelled. */
static void plot_groups(struct strbuf *sb, const struct web_plot *p, double dx)
{
	double last_label = -1e9, x;
	int i;

	for (i = 0; i < p->n; i++) {
		const char *g = p->pts[i].group, *prev = i ? p->pts[i - 1].group
							 : NULL;

		if (!g || (prev && !strcmp(g, prev)))
			continue;
		x = PLOT_L + 4 + dx * i - (i ? dx / 2 : 0);
		if (i)
			web_htmlf(sb, "<line class=\"boundary\" x1=\"%.1f\" "
				  "y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
				  "stroke=\"#888\" stroke-dasharray=\"2,2\"/>",
				  x, PLOT_T, x, PLOT_H - PLOT_B + 4);
		if (x - last_label < 80)
			continue;
		web_htmlf(sb, "<text class=\"group\" x=\"%.1f\" y=\"%d\">"
			  "%.12h</text>", x + 2, PLOT_H - PLOT_B + 14, g);
		last_label = x;
	}
}

static void plot_legend(struct strbuf *sb, const struct web_plot *p)
{
	int seen[OUTCOME_NR] = { 0 }, i, x = PLOT_L;

	for (i = 0; i < p->n; i++)
		if (p->pts[i].outcome >= 0 && p->pts[i].outcome < OUTCOME_NR)
			seen[p->pts[i].outcome] = 1;
	strbuf_addstr(sb, "<g class=\"legend\">");
	for (i = 0; i < OUTCOME_NR; i++) {
		if (!seen[i])
			continue;
		web_htmlf(sb, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%R\"/>"
			  "<text x=\"%d\" y=\"%d\">%R</text>", x,
			  PLOT_H - 6, fill_of(i), x + 6, PLOT_H - 3,
			  record_outcome_name(i));
		x += 52;
	}
	if (p->limit >= 0)
		web_htmlf(sb, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			  "stroke=\"#b3261e\" stroke-dasharray=\"5,3\"/>"
			  "<text x=\"%d\" y=\"%d\">%h</text>", x - 4, PLOT_H - 6,
			  x + 12, PLOT_H - 6, x + 16, PLOT_H - 3,
			  p->limit_label ? p->limit_label : "limit");
	strbuf_addstr(sb, "</g>");
}

void web_svg_plot(struct strbuf *sb, const struct web_plot *p)
{
	double lo, hi, dx;
	int i;

	if (p->n <= 0)
		return;
	plot_range(p, &lo, &hi);
	dx = p->n > 1 ? (double)(PLOT_W - PLOT_L - PLOT_R - 8) / (p->n - 1)
		      : 0;
	web_htmlf(sb, "<figure class=\"plot\"><figcaption>%h", p->title);
	if (p->unit && *p->unit)
		web_htmlf(sb, " (%h)", p->unit);
	web_htmlf(sb, "</figcaption><svg viewBox=\"0 0 %d %d\" role=\"img\" "
		  "preserveAspectRatio=\"none\"><title>%h, %d points</title>",
		  PLOT_W, PLOT_H, p->title, p->n);
	plot_axes(sb, lo, hi);
	plot_groups(sb, p, dx);
	if (p->limit >= 0)
		web_htmlf(sb, "<line class=\"limit\" x1=\"%d\" y1=\"%.1f\" "
			  "x2=\"%d\" y2=\"%.1f\" stroke=\"#b3261e\" "
			  "stroke-dasharray=\"5,3\"/>", PLOT_L,
			  plot_y(p->limit, lo, hi), PLOT_W - PLOT_R,
			  plot_y(p->limit, lo, hi));
	for (i = 0; i < p->n; i++)
		web_htmlf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
			  "fill=\"%R\"/>", PLOT_L + 4 + dx * i,
			  plot_y(p->pts[i].y, lo, hi), fill_of(p->pts[i].outcome));
	web_htmlf(sb, "<text class=\"xlabel\" x=\"%d\" y=\"%d\" "
		  "text-anchor=\"end\">%h &#8594;</text>", PLOT_W - PLOT_R,
		  PLOT_H - PLOT_B + 26, p->x_label ? p->x_label
						   : "oldest to newest");
	plot_legend(sb, p);
	strbuf_addstr(sb, "</svg></figure>");
}
