/*
 * test.h - the unit test framework: TEST(name) defines a case that
 * registers itself; CHECK* record failures without stopping the case.
 * run-unit prints "N passed, N failed" as its last line, which CI reads.
 */
#ifndef KFLAKE_TEST_H
#define KFLAKE_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	const char *file;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *tc);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A scratch directory, removed after the case; unique per case. */
const char *test_tmpdir(void);
/*
 * Run git with args in dir (no shell, no user or system config, fixed
 * committer and dates), stdout into out (or /dev/null); its exit code.
 */
int test_git(const char *dir, const char *out, const char *author_date,
	     const char *const *args);

/*
 * ../shared/corpus beside the checkout run-unit was built in ($KFLAKE_CORPUS
 * overrides), or NULL when absent: a user's clone has no shared corpus,
 * and tests that need it skip with one line.
 */
const char *test_corpus_dir(void);

#define TEST(name)                                                     \
	static void test_##name(void);                                 \
	static struct test_case tc_##name = { #name, __FILE__,         \
					      test_##name, NULL };     \
	__attribute__((constructor)) static void reg_##name(void)      \
	{                                                              \
		test_register(&tc_##name);                             \
	}                                                              \
	static void test_##name(void)

#define CHECK(cond)                                                    \
	do {                                                           \
		if (!(cond))                                           \
			test_fail(__FILE__, __LINE__, "%s", #cond);    \
	} while (0)

#define CHECK_INT(a, b)                                                \
	do {                                                           \
		long long _a = (long long)(a), _b = (long long)(b);    \
		if (_a != _b)                                          \
			test_fail(__FILE__, __LINE__,                  \
				  "%s == %lld, expected %lld", #a, _a, _b); \
	} while (0)

#define CHECK_STR(a, b)                                                \
	do {                                                           \
		const char *_a = (a), *_b = (b);                       \
		if (!_a || !_b || strcmp(_a, _b))                      \
			test_fail(__FILE__, __LINE__,                  \
				  "%s == \"%s\", expected \"%s\"", #a,     \
				  _a ? _a : "(null)", _b ? _b : "(null)"); \
	} while (0)

#define CHECK_NEAR(a, b, eps)                                          \
	do {                                                           \
		double _a = (a), _b = (b);                             \
		if (!(fabs(_a - _b) <= (eps)))                         \
			test_fail(__FILE__, __LINE__,                  \
				  "%s == %.6f, expected %.6f", #a, _a, _b); \
	} while (0)

#endif
