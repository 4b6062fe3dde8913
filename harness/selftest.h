/*
 * selftest.h - kselftests as kflake runs them: naming (`net:udpgro.sh`,
 * a bare script name, or a path to any executable), the target's
 * settings (timeout) and kconfig needs, and the payload (scripts plus
 * the programs and BPF objects they call) built from the same tree.
 */
#ifndef KFLAKE_SELFTEST_H
#define KFLAKE_SELFTEST_H

#include <stddef.h>

#define SELFTEST_DEFAULT_TIMEOUT 45.0	/* kselftest runner's default */

struct selftest {
	char *name;	/* script name: udpgro_bench.sh */
	char *suite;	/* kselftest target (net), or "path" */
	char *path;	/* for suite "path": absolute path of the script */
	double settings_timeout;	/* from the target's settings file */
};

/* Parse one --test argument; srcdir is the kernel tree's work tree. */
int selftest_parse(const char *arg, const char *srcdir, struct selftest *t);
void selftest_release(struct selftest *t);

/*
 * The kconfig fragment a test needs: kconfigs/tests/<stem>.config when
 * kflake ships a trimmed one for it, else the target's own `config`.
 * Returns a malloc'ed path or NULL (for path tests).
 */
char *selftest_kconfig(const struct selftest *t, const char *srcdir);

/*
 * Build (or find in the cache) the payload for tests of commit: every
 * file of each target directory, the TEST_GEN_FILES the scripts call
 * (gcc, or clang -target bpf for .o) and ../bpf/X.bpf.o objects.
 * headers: the tree's installed uapi headers (make headers_install).
 * On success *dir is the payload root (with one subdirectory per target).
 * sandboxed: the compilers run in the build sandbox (sandbox.c), seeing
 * the tree, the headers and the payload only.
 */
int selftest_payload(const struct selftest *tests, size_t n,
		     const char *srcdir, const char *headers,
		     const char *commit_hex, int sandboxed, char **dir,
		     int *cached);

/* Directory the guest runs the test in, and the command, for the plan. */
char *selftest_run_dir(const struct selftest *t, const char *payload);
char *selftest_command(const struct selftest *t);

#endif
