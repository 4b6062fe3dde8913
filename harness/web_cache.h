/*
 * web_cache.h - finished replies kept for the next identical request,
 * keyed by the request line and the database's change counter (PRAGMA
 * data_version, read on a connection of the cache's own): a reply is
 * served again until any process commits to the database, or for at most
 * WEB_CACHE_TTL seconds (what is not in the database, such as whether a
 * run's process is still alive, changes too).
 */
#ifndef KFLAKE_WEB_CACHE_H
#define KFLAKE_WEB_CACHE_H

#include <stddef.h>

#include "strbuf.h"

#define WEB_CACHE_SLOTS 1024
#define WEB_CACHE_TTL 2.0
#define WEB_CACHE_MAX_BODY (1 << 20)

struct web_cache;

/* NULL (after an error) when the database cannot be opened. */
struct web_cache *web_cache_new(const char *db_path);
void web_cache_free(struct web_cache *c);
/* The database's change counter now; -1 when it cannot be read. */
long long web_cache_version(struct web_cache *c);
/*
 * The reply kept for key at version, copied into body; ctype and status
 * as stored (ctype is the string constant the handler set). 1 on a hit.
 */
int web_cache_get(struct web_cache *c, const char *key, long long version,
		  struct strbuf *body, const char **ctype, int *status);
void web_cache_put(struct web_cache *c, const char *key, long long version,
		   const struct strbuf *body, const char *ctype, int status);

#endif
