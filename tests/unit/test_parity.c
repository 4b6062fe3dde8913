/*
 * test_parity.c - apply.c against `git am`. Every series of the
 * patchwork corpus (../shared/corpus/patchwork-series), on a base made
 * for it by the corpus' mktree.py, is applied by kflake and by `git am`
 * on the same mails in the same order: the trees, messages and authors
 * must be identical, and where `git am` refuses a patch kflake must
 * refuse the same one. Hand-written mails cover the same shapes (and
 * the ones the corpus lacks) in a clone without the corpus.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "../../harness/apply.h"
#include "../../harness/grouping.h"
#include "../../harness/mbox.h"
#include "../../harness/util.h"
#include "test.h"

static const char *const git_env[] = {
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_COMMITTER_NAME=Com Mitter", "GIT_COMMITTER_EMAIL=c@example.org",
	"GIT_COMMITTER_DATE=2024-01-02T03:04:05Z", "LC_ALL=C", NULL,
};

/*
 * Run argv in dir; stdout into out (may be NULL); the exit status.
 * posix_spawn, not fork: forking this ASan process for each of the few
 * hundred git and python runs costs seconds.
 */
static int run_in(const char *dir, const char *const *argv, struct strbuf *out)
{
	posix_spawn_file_actions_t fa;
	char *path = xasprintf("%s/.parity-out", test_tmpdir());
	char **env;
	size_t n = 0, i, k;
	pid_t pid;
	int status = -1;

	for (n = 0; environ[n]; n++)
		;
	env = xcalloc(n + ARRAY_SIZE(git_env) + 1, sizeof(*env));
	for (i = 0, k = 0; i < n; i++)
		if (strncmp(environ[i], "GIT_", 4) &&
		    strncmp(environ[i], "LC_ALL=", 7))
			env[k++] = environ[i];
	for (i = 0; git_env[i]; i++)
		env[k++] = (char *)git_env[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT |
					 O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (!posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, env))
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (out) {
		strbuf_reset(out);
		util_read_file(path, out, 1 << 24);
	}
	unlink(path);
	free(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void chomp(struct strbuf *sb)
{
	while (sb->len && sb->buf[sb->len - 1] == '\n')
		strbuf_setlen(sb, sb->len - 1);
}

/* "author <email> when tz\n\nmessage" of a commit, as git log shows it. */
static void describe_commit(git_repository *repo, const git_oid *id,
			    struct strbuf *out)
{
	git_commit *c = NULL;
	const git_signature *a;

	if (git_commit_lookup(&c, repo, id)) {
		strbuf_addstr(out, "(no commit)\n");
		return;
	}
	a = git_commit_author(c);
	strbuf_addf(out, "%s <%s> %lld %c%02d%02d\n%s", a->name, a->email,
		    (long long)a->when.time, a->when.offset < 0 ? '-' : '+',
		    abs(a->when.offset) / 60, abs(a->when.offset) % 60,
		    git_commit_message(c));
	git_commit_free(c);
}

struct result {
	int applied;		/* patches applied before one was refused */
	char tree[41];
	struct strbuf commits;	/* describe_commit() of each, in order */
	struct strbuf why;	/* the refusal */
};

static void result_release(struct result *r)
{
	strbuf_release(&r->commits);
	strbuf_release(&r->why);
}

static int head_of(const char *repo, const char *what, char out[41])
{
	const char *rp[] = { "git", "rev-parse", what, NULL };
	struct strbuf sb = STRBUF_INIT;
	int rc = run_in(repo, rp, &sb);

	chomp(&sb);
	snprintf(out, 41, "%s", rc || sb.len != 40 ? "" : sb.buf);
	strbuf_release(&sb);
	return *out ? 0 : -1;
}

/* kflake's apply.c on the base commit of repo. */
static void kflake_side(const char *dir, struct mbox_mail **patches, size_t n,
			int total, struct result *r)
{
	struct mbox_series s = { 0 };
	git_repository *repo = NULL;
	git_oid base, *commits = xcalloc(n + 1, sizeof(*commits));
	git_commit *c = NULL;
	size_t failed = n, i;
	char hex[41];

	memset(r, 0, sizeof(*r));
	if (git_repository_open(&repo, dir) ||
	    git_reference_name_to_id(&base, repo, "HEAD")) {
		strbuf_addstr(&r->why, "cannot open the base");
		goto out;
	}
	s.patches = patches;
	s.npatches = n;
	s.total = total;
	if (apply_series(repo, &base, &s, commits, &failed, &r->why)) {
		r->applied = (int)failed;
		goto out;
	}
	r->applied = (int)n;
	for (i = 0; i < n; i++)
		describe_commit(repo, &commits[i], &r->commits);
	if (!git_commit_lookup(&c, repo, &commits[n - 1])) {
		git_oid_tostr(hex, sizeof(hex), git_commit_tree_id(c));
		snprintf(r->tree, sizeof(r->tree), "%s", hex);
		git_commit_free(c);
	}
out:
	free(commits);
	git_repository_free(repo);
}

/* `git am` of files (the same mails) in the work tree of dir. */
static void git_side(const char *dir, char **files, size_t n, struct result *r)
{
	const char **am = xcalloc(n + 4, sizeof(*am));
	const char *abort_am[] = { "git", "am", "--abort", NULL };
	const char *count[] = { "git", "rev-list", "--count", "ORIG_BASE..HEAD",
				NULL };
	const char *tag[] = { "git", "tag", "ORIG_BASE", NULL };
	const char *reset[] = { "git", "reset", "-q", "--hard", "ORIG_BASE",
				NULL };
	const char *untag[] = { "git", "tag", "-d", "ORIG_BASE", NULL };
	struct strbuf sb = STRBUF_INIT;
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	git_oid id;
	size_t i;

	memset(r, 0, sizeof(*r));
	run_in(dir, tag, NULL);
	am[0] = "git";
	am[1] = "am";
	am[2] = "-q";
	for (i = 0; i < n; i++)
		am[3 + i] = files[i];
	if (run_in(dir, am, NULL)) {
		run_in(dir, count, &sb);
		chomp(&sb);
		r->applied = atoi(strbuf_str(&sb));
		strbuf_addstr(&r->why, "git am refused it");
		run_in(dir, abort_am, NULL);
		goto out;
	}
	r->applied = (int)n;
	head_of(dir, "HEAD^{tree}", r->tree);
	if (git_repository_open(&repo, dir) || git_revwalk_new(&walk, repo) ||
	    git_revwalk_push_ref(walk, "HEAD") ||
	    git_revwalk_hide_ref(walk, "refs/tags/ORIG_BASE"))
		goto out;
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	while (!git_revwalk_next(&id, walk))
		describe_commit(repo, &id, &r->commits);
out:
	/* Back to the base, so the next series with these files reuses it. */
	run_in(dir, reset, NULL);
	run_in(dir, untag, NULL);
	git_revwalk_free(walk);
	git_repository_free(repo);
	strbuf_release(&sb);
	free(am);
}

/* $KFLAKE_PARITY_DUMP=DIR: both sides' commits into files, to diff. */
static void dump(const char *what, const struct result *g,
		 const struct result *k)
{
	const char *dir = getenv("KFLAKE_PARITY_DUMP");
	char *p;

	if (!dir)
		return;
	p = xasprintf("%s/%s.git", dir, what);
	util_write_file(p, strbuf_str(&g->commits), g->commits.len);
	free(p);
	p = xasprintf("%s/%s.kflake", dir, what);
	util_write_file(p, strbuf_str(&k->commits), k->commits.len);
	free(p);
}

struct tally {
	size_t series, mails, same, refused_both, differ;
};

/*
 * Compare both sides on one series; 0 when they agree. what names the
 * series in a failure.
 */
static int compare(const char *dir, char **files, struct mbox_mail **patches,
		   size_t n, int total, const char *what, struct tally *t)
{
	struct result k, g;
	int ret = 0;

	/* kflake first: `git am` moves HEAD, kflake's base. */
	kflake_side(dir, patches, n, total, &k);
	git_side(dir, files, n, &g);
	t->series++;
	t->mails += n;
	if (g.applied == (int)n && k.applied == (int)n &&
	    !strcmp(g.tree, k.tree) && *g.tree &&
	    !strcmp(g.commits.buf ? g.commits.buf : "",
		    k.commits.buf ? k.commits.buf : "")) {
		t->same++;
	} else if (g.applied < (int)n && k.applied == g.applied) {
		t->refused_both++;
		/* kflake says which hunk of which file, as git does. */
		if (!strstr(strbuf_str(&k.why), "hunk #") &&
		    !strstr(strbuf_str(&k.why), "already exists") &&
		    !strstr(strbuf_str(&k.why), "removal"))
			test_fail(__FILE__, __LINE__, "%s: refused without "
				  "naming the hunk: %s", what, k.why.buf);
		if (getenv("KFLAKE_PARITY_DUMP"))
			printf("    %s: both refuse: %s\n", what, k.why.buf);
	} else {
		t->differ++;
		ret = -1;
		dump(what, &g, &k);
		test_fail(__FILE__, __LINE__, "%s: git am applied %d, kflake %d "
			  "of %zu (%s); trees %s / %s\n--- git am:\n%s--- "
			  "kflake:\n%s", what, g.applied, k.applied, n,
			  strbuf_str(&k.why), g.tree, k.tree,
			  strbuf_str(&g.commits), strbuf_str(&k.commits));
	}
	result_release(&k);
	result_release(&g);
	return ret;
}

/* ---- the corpus ---- */

static int split_mails(const char *mbox, const char *dir, char ***files,
		       size_t *n)
{
	char *opt = xasprintf("-o%s", dir);
	const char *ms[] = { "git", "mailsplit", opt, mbox, NULL };
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int rc;

	util_mkdir_p(dir);
	rc = run_in(dir, ms, &sb);
	chomp(&sb);
	*n = rc ? 0 : (size_t)atoi(strbuf_str(&sb));
	*files = xcalloc(*n + 1, sizeof(**files));
	for (i = 0; i < *n; i++)
		(*files)[i] = xasprintf("%s/%04zu", dir, i + 1);
	strbuf_release(&sb);
	free(opt);
	return rc;
}

static void free_files(char **files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

/* A base repository for these mails: the corpus' mktree.py. */
static int make_base(const char *corpus, const char *mbox, const char *dir,
		     struct mbox_mail **patches, size_t n)
{
	struct strbuf ids = STRBUF_INIT;
	char *tool = xasprintf("%s/mktree.py", corpus);
	const char *mk[] = { "python3", tool, mbox, dir, NULL, NULL };
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		strbuf_addf(&ids, "%s%s", i ? " " : "", patches[i]->msgid);
	mk[4] = ids.buf;
	rc = run_in(test_tmpdir(), mk, NULL);
	strbuf_release(&ids);
	free(tool);
	return rc;
}

/* Where the base for a series' diffs lives: the same diffs, one base. */
static char *base_dir(const struct grouping_series *s)
{
	struct strbuf sb = STRBUF_INIT;
	char hex[41];
	size_t k;

	for (k = 0; k < s->npatches; k++)
		strbuf_addf(&sb, "%s\n", s->patches[k]->diff ?
			    s->patches[k]->diff : "");
	util_sha1_hex(sb.buf ? sb.buf : "", sb.len, hex);
	strbuf_release(&sb);
	return xasprintf("%s/base-%.16s", test_tmpdir(), hex);
}

static void corpus_file(const char *corpus, const char *name, struct tally *t)
{
	struct strbuf err = STRBUF_INIT;
	char *mbox = xasprintf("%s/patchwork-series/%s", corpus, name);
	char *split = xasprintf("%s/%s.split", test_tmpdir(), name);
	struct mbox_mail *mails = NULL;
	char **files = NULL, **mine;
	size_t n = 0, nfiles = 0, i, k;
	struct grouping g = { 0 };

	if (mbox_read_path(mbox, &mails, &n, &err) ||
	    split_mails(mbox, split, &files, &nfiles)) {
		test_fail(__FILE__, __LINE__, "%s: cannot read (%s)", name,
			  strbuf_str(&err));
		goto out;
	}
	if (nfiles != n) {
		test_fail(__FILE__, __LINE__, "%s: git mailsplit finds %zu "
			  "mails, kflake %zu", name, nfiles, n);
		goto out;
	}
	grouping_build(mails, n, &g);
	for (i = 0; i < g.n; i++) {
		struct grouping_series *s = &g.v[i];
		char *dir = base_dir(s), *what;

		what = xasprintf("%s series %zu", name, i + 1);
		if (!s->npatches)
			goto next;
		/* mktree.py costs most of this test: one base per diff set. */
		if (!util_file_exists(dir) &&
		    make_base(corpus, mbox, dir, s->patches, s->npatches)) {
			test_fail(__FILE__, __LINE__, "%s: mktree.py failed", what);
			util_rm_rf(dir);
			goto next;
		}
		mine = xcalloc(s->npatches, sizeof(*mine));
		for (k = 0; k < s->npatches; k++)
			mine[k] = files[s->patches[k]->index];
		compare(dir, mine, s->patches, s->npatches, s->total, what, t);
		free(mine);
next:
		free(dir);
		free(what);
	}
out:
	grouping_release(&g);
	mbox_mails_free(mails, n);
	free_files(files, nfiles);
	strbuf_release(&err);
	free(mbox);
	free(split);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(parity_git_am_on_the_corpus)
{
	const char *corpus = test_corpus_dir();
	struct tally t = { 0 };
	struct strbuf sb = STRBUF_INIT;
	char **names = NULL, *dir;
	size_t n = 0, alloc = 0, i;
	const char *ls[] = { "ls", NULL, NULL };

	if (!corpus) {
		printf("skip parity_git_am_on_the_corpus: no ../shared/corpus "
		       "beside this checkout\n");
		return;
	}
	git_libgit2_init();
	dir = xasprintf("%s/patchwork-series", corpus);
	ls[1] = dir;
	run_in(test_tmpdir(), ls, &sb);
	for (char *p = strtok(sb.buf, "\n"); p; p = strtok(NULL, "\n")) {
		size_t l = strlen(p);

		if (l < 5 || strcmp(p + l - 5, ".mbox"))
			continue;
		ALLOC_GROW(names, n, alloc);
		names[n++] = xstrdup(p);
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		corpus_file(corpus, names[i], &t);
	CHECK_INT(n, 28);
	printf("    parity: %zu files, %zu series, %zu patch mails: %zu series "
	       "identical to git am, %zu refused by both at the same patch, "
	       "%zu differ\n", n, t.series, t.mails, t.same, t.refused_both,
	       t.differ);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	strbuf_release(&sb);
	git_libgit2_shutdown();
}

/* ---- hand-written: the shapes where libgit2 alone differs ---- */

/* A repository at dir with one commit of files ("name", "content", ...). */
static int make_repo(const char *dir, const char *const *files)
{
	const char *init[] = { "git", "init", "-q", dir, NULL };
	const char *add[] = { "git", "add", "-A", NULL };
	const char *ci[] = { "git", "-c", "user.name=B", "-c",
			     "user.email=b@example.org", "commit", "-qm",
			     "base", NULL };
	size_t i;

	if (run_in(test_tmpdir(), init, NULL))
		return -1;
	for (i = 0; files[i]; i += 2) {
		char *p = xasprintf("%s/%s", dir, files[i]);

		if (util_write_file(p, files[i + 1], strlen(files[i + 1])))
			return -1;
		free(p);
	}
	return run_in(dir, add, NULL) || run_in(dir, ci, NULL) ? -1 : 0;
}

/*
 * Apply mbox (its mails in order) with both on a repository of files;
 * want: "same" (identical results) or "refused" (both refuse at the
 * same patch, kflake naming the hunk). Returns kflake's refusal.
 */
static char *parity_case(const char *name, const char *const *files,
			 const char *mbox, const char *want)
{
	char *dir = xasprintf("%s/%s", test_tmpdir(), name);
	char *path = xasprintf("%s/%s.mbox", test_tmpdir(), name);
	struct strbuf err = STRBUF_INIT;
	struct mbox_mail *mails = NULL, **p = NULL;
	struct tally t = { 0 };
	char **split = NULL, *sdir = xasprintf("%s.split", dir), *why = NULL;
	size_t n = 0, nsplit = 0, i;

	if (make_repo(dir, files) || util_write_file(path, mbox, strlen(mbox)) ||
	    mbox_read_path(path, &mails, &n, &err) ||
	    split_mails(path, sdir, &split, &nsplit) || nsplit != n) {
		test_fail(__FILE__, __LINE__, "%s: setup failed (%s; %zu/%zu)",
			  name, strbuf_str(&err), n, nsplit);
		goto out;
	}
	p = xcalloc(n, sizeof(*p));
	for (i = 0; i < n; i++)
		p[i] = &mails[i];
	compare(dir, split, p, n, (int)n, name, &t);
	if (!strcmp(want, "same") ? t.same != 1 : t.refused_both != 1)
		test_fail(__FILE__, __LINE__, "%s: expected %s", name, want);
	if (!strcmp(want, "refused")) {
		struct result k;

		kflake_side(dir, p, n, (int)n, &k);
		why = strbuf_detach(&k.why);
		result_release(&k);
	}
out:
	free(p);
	mbox_mails_free(mails, n);
	free_files(split, nsplit);
	strbuf_release(&err);
	util_rm_rf(dir);
	free(dir);
	free(path);
	free(sdir);
	return why;
}

static void add_mail(struct strbuf *sb, const char *headers, const char *body)
{
	strbuf_addf(sb, "From x@y Thu Jan  1 00:00:00 1970\n"
		    "From: Ann Other <ann@example.org>\n"
		    "Date: Tue, 2 Jan 2024 03:04:05 +0100\n%s\n%s", headers, body);
}

TEST(parity_git_am_shapes_by_hand)
{
	static const char *const abcd[] = { "f", "a\nb\nc\nd\n", NULL };
	static const char *const ten[] = {
		"f", "x1\nx2\nx3\nl1\nl2\nl3\nl4\nl5\nl6\nl7\n", NULL };
	static const char *const crlf[] = { "w", "one\r\ntwo\r\nthree\r\n", NULL };
	static const char *const py[] = {
		"p.py", "def f():\n    x = 1\n\n    for a in b:\n        pass\n\n"
		"    return x\n", NULL };
	struct strbuf sb = STRBUF_INIT;
	char *why;

	git_libgit2_init();
	/*
	 * Appending after "c" with no trailing context anchors the hunk to
	 * the end of the file, which is "d": git refuses; libgit2 alone
	 * put x between c and d.
	 */
	add_mail(&sb, "Subject: [PATCH] f: add x\nMessage-ID: <e@x>\n",
		 "Add x.\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n"
		 "@@ -2,2 +2,3 @@\n b\n c\n+x\n");
	why = parity_case("eof-anchor", abcd, sb.buf, "refused");
	CHECK(why && strstr(why, "f: hunk #1 (@@ -2,2 +2,3 @@) does not match"));
	free(why);

	/* Three lines more above the hunk than it says: git finds it. */
	strbuf_reset(&sb);
	add_mail(&sb, "Subject: [PATCH] f: add n\nMessage-ID: <o@x>\n",
		 "Add n.\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n"
		 "@@ -2,3 +2,4 @@\n l2\n l3\n+n\n l4\n");
	free(parity_case("offset", ten, sb.buf, "same"));

	/* Two hunks, the second one refused: named as #2. */
	strbuf_reset(&sb);
	add_mail(&sb, "Subject: [PATCH] f: two hunks\nMessage-ID: <t@x>\n",
		 "Two.\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n"
		 "@@ -4,2 +4,3 @@\n l1\n+n\n l2\n@@ -8,2 +9,3 @@\n l5\n+m\n q\n");
	why = parity_case("second-hunk", ten, sb.buf, "refused");
	CHECK(why && strstr(why, "hunk #2 (@@ -8,2 +9,3 @@)"));
	free(why);

	/*
	 * multipart/alternative whose text part ends in an empty context
	 * line right before the boundary (patchwork's mail 0019).
	 */
	strbuf_reset(&sb);
	add_mail(&sb, "Subject: [PATCH] p: skip\nMessage-ID: <mp@x>\n"
		 "Content-Type: multipart/alternative; boundary=\"BB\"\n",
		 "\n--BB\nContent-Type: text/plain; charset=\"UTF-8\"\n"
		 "Content-Transfer-Encoding: 8bit\n\nSkip.\n---\n"
		 "diff --git a/p.py b/p.py\n--- a/p.py\n+++ b/p.py\n"
		 "@@ -2,5 +2,6 @@ def f():\n     x = 1\n\n     for a in b:\n"
		 "+        # none\n         pass\n\n--BB\nContent-Type: text/html;"
		 " charset=\"UTF-8\"\n\n<div>Skip.</div>\n\n--BB--\n");
	free(parity_case("multipart-alternative", py, sb.buf, "same"));

	/* A base64 body with CRLF line ends, on a CRLF file. */
	strbuf_reset(&sb);
	add_mail(&sb, "Subject: [PATCH] w: fix two\nMessage-ID: <b64@x>\n"
		 "Content-Type: text/plain; charset=utf-8\n"
		 "Content-Transfer-Encoding: base64\n",
		 /* "Fix two.\r\n\r\n---\r\ndiff --git a/w b/w\r\n--- a/w\r\n
		  *  +++ b/w\r\n@@ -1,3 +1,3 @@\r\n one\r\n-two\r\n+2\r\n
		  *  three\r\n" */
		 "Rml4IHR3by4NCg0KLS0tDQpkaWZmIC0tZ2l0IGEvdyBiL3cNCi0tLSBhL3cN\n"
		 "CisrKyBiL3cNCkBAIC0xLDMgKzEsMyBAQA0KIG9uZQ0KLXR3bw0KKzINCiB0\n"
		 "aHJlZQ0K\n");
	free(parity_case("base64-crlf", crlf, sb.buf, "same"));

	/*
	 * Raw latin-1 bytes in From: and Subject: (git reads them as
	 * latin-1 whatever the body says), "[Patch 2/2]:" titles, a
	 * quoted-printable body with a soft line break.
	 */
	strbuf_reset(&sb);
	strbuf_addf(&sb, "From x@y Thu Jan  1 00:00:00 1970\n"
		    "From: Ren\xe9 Caf\xe9 <rene@example.org>\n"
		    "Date: Tue, 2 Jan 2024 03:04:05 +0100\n"
		    "Subject: [Patch 1/2]: caf\xe9: add y\nMessage-ID: <l1@x>\n"
		    "Content-Type: text/plain; charset=koi8-r\n\nBody.\n---\n"
		    "diff --git a/f b/f\n--- a/f\n+++ b/f\n"
		    "@@ -1,2 +1,3 @@\n a\n+y\n b\n");
	add_mail(&sb, "Subject: [PATCH 2/2] f: a long line\nMessage-ID: <q@x>\n"
		 "Content-Type: text/plain; charset=utf-8\n"
		 "Content-Transfer-Encoding: quoted-printable\n",
		 "A =C3=BCmlaut.\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n"
		 "@@ -3,2 +3,3 @@\n c\n d\n+a very long line that is soft-=\n"
		 "broken =3D here\n");
	free(parity_case("headers-and-qp", abcd, sb.buf, "same"));

	/* Creating a file that is there already: both refuse. */
	strbuf_reset(&sb);
	add_mail(&sb, "Subject: [PATCH] f: again\nMessage-ID: <n@x>\n",
		 "Again.\n---\ndiff --git a/f b/f\nnew file mode 100644\n"
		 "--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+z\n");
	why = parity_case("exists", abcd, sb.buf, "refused");
	CHECK(why && strstr(why, "already exists"));
	free(why);
	strbuf_release(&sb);
	git_libgit2_shutdown();
}
