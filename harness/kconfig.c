/*
 * kconfig.c - parses and merges kconfig fragments and verifies a final
 * .config against them. The merged fragment is fed to the kernel's own
 * `make allnoconfig KCONFIG_ALLCONFIG=...` by build.c, which is what
 * merge_config.sh -n does; resolving dependencies stays the kernel's job.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kconfig.h"
#include "util.h"

static int valid_sym(const char *s, size_t len)
{
	size_t i;

	if (len < 8 || strncmp(s, "CONFIG_", 7))
		return 0;
	for (i = 7; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

const struct kconfig_entry *kconfig_get(const struct kconfig *kc,
					const char *sym)
{
	size_t i;

	for (i = 0; i < kc->nr; i++)
		if (!strcmp(kc->v[i].sym, sym))
			return &kc->v[i];
	return NULL;
}

static void set_entry(struct kconfig *kc, const char *sym, size_t symlen,
		      const char *value, const char *origin,
		      struct strbuf *notes)
{
	char *name = xstrndup(sym, symlen);
	struct kconfig_entry *e = (struct kconfig_entry *)kconfig_get(kc, name);

	if (!e) {
		ALLOC_GROW(kc->v, kc->nr, kc->alloc);
		e = &kc->v[kc->nr++];
		e->sym = name;
		e->value = value ? xstrdup(value) : NULL;
		e->origin = xstrdup(origin);
		return;
	}
	free(name);
	if (notes && !(e->value && value && !strcmp(e->value, value)) &&
	    (e->value || value))
		strbuf_addf(notes, "%s: %s=%s (from %s) overridden by %s\n",
			    origin, e->sym, e->value ? e->value : "n",
			    e->origin, value ? value : "n");
	free(e->value);
	free(e->origin);
	e->value = value ? xstrdup(value) : NULL;
	e->origin = xstrdup(origin);
}

static int merge_line(struct kconfig *kc, const char *line, size_t len,
		      const char *origin, struct strbuf *notes)
{
	const char *eq;
	char *value;

	while (len && isspace((unsigned char)line[len - 1]))
		len--;
	while (len && isspace((unsigned char)*line)) {
		line++;
		len--;
	}
	if (!len)
		return 0;
	if (*line == '#') {
		/* "# CONFIG_FOO is not set" is a setting; other comments are not. */
		const char *tail = " is not set";
		size_t tl = strlen(tail);

		if (len > 2 + tl && line[1] == ' ' &&
		    !memcmp(line + len - tl, tail, tl) &&
		    valid_sym(line + 2, len - 2 - tl))
			set_entry(kc, line + 2, len - 2 - tl, NULL, origin,
				  notes);
		return 0;
	}
	eq = memchr(line, '=', len);
	if (!eq || !valid_sym(line, (size_t)(eq - line)))
		return -1;
	value = xstrndup(eq + 1, len - (size_t)(eq + 1 - line));
	if (!*value) {
		free(value);
		return -1;
	}
	set_entry(kc, line, (size_t)(eq - line),
		  strcmp(value, "n") ? value : NULL, origin, notes);
	free(value);
	return 0;
}

int kconfig_merge_text(struct kconfig *kc, const char *text,
		       const char *origin, struct strbuf *notes)
{
	const char *p = text;
	int lineno = 0;

	while (*p) {
		size_t len = strcspn(p, "\n");

		lineno++;
		if (merge_line(kc, p, len, origin, notes))
			return error("%s:%d: not a kconfig setting: %.*s",
				     origin, lineno, (int)(len > 60 ? 60 : len),
				     p);
		p += len;
		if (*p)
			p++;
	}
	return 0;
}

int kconfig_merge_file(struct kconfig *kc, const char *path,
		       struct strbuf *notes)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (util_read_file(path, &sb, 1 << 20)) {
		strbuf_release(&sb);
		return error("%s: cannot read kconfig fragment", path);
	}
	ret = kconfig_merge_text(kc, strbuf_str(&sb), path, notes);
	strbuf_release(&sb);
	return ret;
}

void kconfig_format(const struct kconfig *kc, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < kc->nr; i++) {
		if (kc->v[i].value)
			strbuf_addf(out, "%s=%s\n", kc->v[i].sym,
				    kc->v[i].value);
		else
			strbuf_addf(out, "# %s is not set\n", kc->v[i].sym);
	}
}

void kconfig_release(struct kconfig *kc)
{
	size_t i;

	for (i = 0; i < kc->nr; i++) {
		free(kc->v[i].sym);
		free(kc->v[i].value);
		free(kc->v[i].origin);
	}
	free(kc->v);
	memset(kc, 0, sizeof(*kc));
}

static int satisfied(const char *want, const struct kconfig_entry *have,
		     int modules)
{
	if (!want)
		return !have || !have->value;
	if (!have || !have->value)
		return 0;
	if (!strcmp(want, have->value))
		return 1;
	return !modules && !strcmp(want, "m") && !strcmp(have->value, "y");
}

int kconfig_verify(const struct kconfig *requested, const char *final_config,
		   struct strbuf *warnings)
{
	struct kconfig fin = { 0 };
	const struct kconfig_entry *mods;
	size_t i;
	int missing = 0;

	kconfig_merge_text(&fin, final_config, ".config", NULL);
	mods = kconfig_get(&fin, "CONFIG_MODULES");
	for (i = 0; i < requested->nr; i++) {
		const struct kconfig_entry *want = &requested->v[i];
		const struct kconfig_entry *have = kconfig_get(&fin, want->sym);

		if (satisfied(want->value, have, mods && mods->value))
			continue;
		missing++;
		strbuf_addf(warnings, "%s=%s requested by %s, final .config "
			    "has %s\n", want->sym,
			    want->value ? want->value : "n", want->origin,
			    have && have->value ? have->value : "n");
	}
	kconfig_release(&fin);
	return missing;
}
