/*
 * web.h - `kflake serve`: the HTTP server behind the status pages and
 * the JSON API, over read-only connections to the database.
 *
 * Layers, each calling only those below it (no loops):
 *   web.c        server, connections, Host allow-list, limits, routing,
 *                the response cache
 *   web_api.c    JSON endpoints       web_page_*.c  pages
 *   web_history.c  alerts, stalls and exports (pages and endpoints)
 *   web_page.c   what pages share     web_svg.c     inline charts
 *   web_req.c    parameters, filters, error replies
 *   web_html.c   the escaping HTML builder and the page layout
 * and under them all the read model (record.h, crashwatch.h, series.h,
 * bisectlog.h, snapshot.h).
 */
#ifndef KFLAKE_WEB_H
#define KFLAKE_WEB_H

#include <stddef.h>

struct web_config {
	const char *host;	/* numeric address; NULL: 127.0.0.1 */
	int port;		/* 0: any free port */
	const char *db_path;	/* NULL: store_default_path() */
	int threads;		/* 0: one per CPU, at least 2 */
	/*
	 * Host header values accepted besides the loopback names and the
	 * listen address (--allow-host); anything else gets 421, so a page
	 * on another site cannot read the API through DNS rebinding.
	 */
	const char *const *allow_hosts;
	size_t nallow_hosts;
};

struct web_server;

struct web_server *web_start(const struct web_config *cfg);
int web_port(const struct web_server *srv);
void web_stop(struct web_server *srv);

/* "HOST:PORT", "[V6]:PORT" or ":PORT"; host is malloc'ed. */
int web_parse_listen(const char *arg, char **host, int *port);
/* Whether a Host header value names this server (see allow_hosts). */
int web_host_allowed(const struct web_config *cfg, const char *host);

#endif
