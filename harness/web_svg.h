/*
 * web_svg.h - the inline SVG the pages draw on the server (no scripts):
 * outcome sparklines, failure-rate interval bars, progress bars and plots
 * with an axis along commits, kernel boundaries, y ticks, a legend and a
 * limit line. Labels go through the HTML builder's escaping.
 */
#ifndef KFLAKE_WEB_SVG_H
#define KFLAKE_WEB_SVG_H

#include "strbuf.h"

/* Outcomes (enum record_outcome), oldest first, cell pixels each. */
void web_svg_sparkline(struct strbuf *sb, const char *outcomes, int n,
		       int cell);
/* A 0-100% track with the 95% interval shaded and the point estimate. */
void web_svg_interval(struct strbuf *sb, double rate, double lo, double hi);
void web_svg_progress(struct strbuf *sb, long done, long total);

struct web_point {
	double y;
	int outcome;		/* enum record_outcome; -1: a plain point */
	const char *group;	/* kernel (commit) it belongs to, or NULL */
};

struct web_plot {
	const char *title, *unit;
	const struct web_point *pts;	/* oldest first */
	int n;
	/* A horizontal limit (the stall timeout), drawn dashed; < 0: none. */
	double limit;
	const char *limit_label;
	const char *x_label;	/* what the x axis runs along */
};
/*
 * Points left to right; a vertical rule and the group's first 12
 * characters where the group (kernel) changes; 4 or 5 y ticks; a legend
 * of the outcomes drawn.
 */
void web_svg_plot(struct strbuf *sb, const struct web_plot *p);

#endif
