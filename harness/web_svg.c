/*
 * web_svg.c - the inline SVG the pages draw: outcome sparklines,
 * failure-rate interval bars, progress bars and small scatter plots.
 * Drawn on the server so the pages need no JavaScript; every label that
 * may come from the database goes through web_html_escape.
 */
#include <math.h>
#include <stdio.h>

#include "util.h"
#include "web.h"

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

	if (!n) {
		strbuf_addstr(sb, "<span class=\"muted\">-</span>");
		return;
	}
	strbuf_addf(sb, "<svg class=\"spark\" width=\"%d\" height=\"14\" "
		    "viewBox=\"0 0 %d 14\" role=\"img\"><title>", w, w);
	for (i = 0; i < n; i++)
		strbuf_addf(sb, "%s%s", i ? " " : "",
			    record_outcome_name(outcomes[i]));
	strbuf_addstr(sb, "</title>");
	for (i = 0; i < n; i++)
		strbuf_addf(sb, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			    "height=\"%d\" fill=\"%s\"/>", i * cell,
			    outcomes[i] == OUTCOME_PASS ? 7 : 1,
			    cell > 2 ? cell - 1 : cell,
			    outcomes[i] == OUTCOME_PASS ? 6 : 12,
			    fill_of(outcomes[i]));
	strbuf_addstr(sb, "</svg>");
}

/* A 0-100% track with the 95% interval shaded and the point estimate. */
void web_svg_interval(struct strbuf *sb, double rate, double lo, double hi)
{
	strbuf_addf(sb, "<svg class=\"ci\" width=\"100\" height=\"12\" "
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
	strbuf_addf(sb, "<svg class=\"progress\" width=\"200\" height=\"12\" "
		    "viewBox=\"0 0 200 12\" role=\"img\"><title>%ld of %ld"
		    "</title><rect width=\"200\" height=\"12\" fill=\"#eee\"/>"
		    "<rect width=\"%.1f\" height=\"12\" fill=\"#3465a4\"/>"
		    "</svg>", done, total, f * 200);
}

static void plot_range(const struct web_point *pts, int n, double *lo,
		       double *hi)
{
	int i;

	*lo = *hi = pts[0].y;
	for (i = 1; i < n; i++) {
		*lo = fmin(*lo, pts[i].y);
		*hi = fmax(*hi, pts[i].y);
	}
	/* Anchor at zero when close: durations and rates read better so. */
	if (*lo > 0 && *lo < *hi * 0.5)
		*lo = 0;
	if (*hi - *lo < 1e-9)
		*hi = *lo + 1;
}

#define PLOT_W 600
#define PLOT_H 160
#define PLOT_L 48
#define PLOT_B 14

void web_svg_plot(struct strbuf *sb, const char *title, const char *unit,
		  const struct web_point *pts, int n)
{
	double lo, hi, x, y, dx;
	int i;

	if (n <= 0)
		return;
	plot_range(pts, n, &lo, &hi);
	dx = n > 1 ? (double)(PLOT_W - PLOT_L - 8) / (n - 1) : 0;
	strbuf_addf(sb, "<figure class=\"plot\"><figcaption>");
	web_html_escape(sb, title);
	if (unit && *unit) {
		strbuf_addstr(sb, " (");
		web_html_escape(sb, unit);
		strbuf_addstr(sb, ")");
	}
	strbuf_addf(sb, "</figcaption><svg viewBox=\"0 0 %d %d\" "
		    "role=\"img\" preserveAspectRatio=\"none\">"
		    "<line x1=\"%d\" y1=\"4\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"#999\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		    "y2=\"%d\" stroke=\"#999\"/>"
		    "<text x=\"%d\" y=\"12\" text-anchor=\"end\">%.4g</text>"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.4g</text>",
		    PLOT_W, PLOT_H, PLOT_L, PLOT_L, PLOT_H - PLOT_B, PLOT_L,
		    PLOT_H - PLOT_B, PLOT_W, PLOT_H - PLOT_B, PLOT_L - 4, hi,
		    PLOT_L - 4, PLOT_H - PLOT_B, lo);
	for (i = 0; i < n; i++) {
		x = PLOT_L + 4 + dx * i;
		y = 4 + (PLOT_H - PLOT_B - 8) * (1 - (pts[i].y - lo) / (hi - lo));
		strbuf_addf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
			    "fill=\"%s\"/>", x, y, fill_of(pts[i].outcome));
	}
	strbuf_addf(sb, "<text x=\"%d\" y=\"%d\">oldest</text><text x=\"%d\" "
		    "y=\"%d\" text-anchor=\"end\">newest (%d points)</text>"
		    "</svg></figure>", PLOT_L, PLOT_H - 1, PLOT_W,
		    PLOT_H - 1, n);
}
