/*
 * web_cache.c - the reply cache (see web_cache.h): a direct-mapped table
 * of WEB_CACHE_SLOTS entries (a colliding key replaces the old one),
 * under one mutex; a hit costs a hash, a compare and a copy.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"
#include "web_cache.h"

struct entry {
	char *key;
	long long version;
	double at;
	char *body;
	size_t len;
	const char *ctype;
	int status;
};

struct web_cache {
	pthread_mutex_t lock;
	struct store watch;	/* only ever asked for data_version */
	struct entry slot[WEB_CACHE_SLOTS];
};

struct web_cache *web_cache_new(const char *db_path)
{
	struct web_cache *c = xcalloc(1, sizeof(*c));

	if (store_open(&c->watch, db_path, STORE_READONLY)) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void entry_clear(struct entry *e)
{
	free(e->key);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

void web_cache_free(struct web_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < WEB_CACHE_SLOTS; i++)
		entry_clear(&c->slot[i]);
	store_close(&c->watch);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

long long web_cache_version(struct web_cache *c)
{
	long long v;

	pthread_mutex_lock(&c->lock);
	v = store_query_int(&c->watch, -1, "PRAGMA data_version", "");
	pthread_mutex_unlock(&c->lock);
	return v;
}

/* FNV-1a. */
static size_t slot_of(const char *key)
{
	unsigned long long h = 1469598103934665603ULL;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return (size_t)(h % WEB_CACHE_SLOTS);
}

int web_cache_get(struct web_cache *c, const char *key, long long version,
		  struct strbuf *body, const char **ctype, int *status)
{
	struct entry *e = &c->slot[slot_of(key)];
	int hit = 0;

	if (version < 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	if (e->key && e->version == version && !strcmp(e->key, key) &&
	    util_now() - e->at < WEB_CACHE_TTL) {
		strbuf_add(body, e->body, e->len);
		*ctype = e->ctype;
		*status = e->status;
		hit = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void web_cache_put(struct web_cache *c, const char *key, long long version,
		   const struct strbuf *body, const char *ctype, int status)
{
	struct entry *e = &c->slot[slot_of(key)];
	char *copy, *k;

	if (version < 0 || body->len > WEB_CACHE_MAX_BODY)
		return;
	copy = xmalloc(body->len + 1);
	memcpy(copy, body->buf ? body->buf : "", body->len);
	k = xstrdup(key);
	pthread_mutex_lock(&c->lock);
	entry_clear(e);
	e->key = k;
	e->version = version;
	e->at = util_now();
	e->body = copy;
	e->len = body->len;
	e->ctype = ctype;
	e->status = status;
	pthread_mutex_unlock(&c->lock);
}
