/*
 * ctest.h - C reproducers (`--test FILE.c`) and per-test sysctls. A C
 * source is compiled statically on the host with gcc (cached by its
 * content and the compiler), then runs in the guest like any path test,
 * with kselftest's exit codes (0 pass, 1 fail, 4 skip). A line
 * "# value TEXT" in its output is the behaviour it observed (e.g.
 * "# value errno=EINPROGRESS"): stored with the iteration and shown in
 * `report --matrix` beside the verdict.
 */
#ifndef KFLAKE_CTEST_H
#define KFLAKE_CTEST_H

#include <stddef.h>

#define CTEST_MAX_SOURCE (1 << 20)
#define CTEST_MAX_VALUE 120

/* Whether a --test argument names a C source (ends in ".c"). */
int ctest_is_source(const char *arg);

/*
 * Compile src into <cache>/ctests/<key>/<stem>, key = sha1(source,
 * compiler version, flags), unless already there. *binary is the
 * executable's path (malloc'ed). On failure one error line naming src
 * and the compiler's first error.
 */
int ctest_build(const char *src, char **binary);

/* The text of the last "# value " line of output (malloc'ed), or NULL. */
char *ctest_value(const char *output);

/*
 * Write dir/run, a wrapper the guest runs instead of cmd: it saves and
 * sets each "key=value" of sysctls under /proc/sys, runs cmd in rundir
 * and puts the old values back (an iteration that stalls reboots the
 * guest anyway). A sysctl the kernel lacks makes the test skip (exit 4).
 * Keys and values must be plain (plan.c checks them; so does this).
 */
int ctest_wrapper(const char *dir, const char *rundir, const char *cmd,
		  char *const *sysctls, size_t n);

#endif
