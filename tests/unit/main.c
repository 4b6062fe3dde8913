/*
 * main.c - runs every registered unit test case (optionally those whose
 * name contains argv[1]) and prints the summary line CI reads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../harness/util.h"
#include "test.h"

static struct test_case *cases;
static int case_failed;
static char tmpdir[256];

void test_register(struct test_case *tc)
{
	struct test_case **p = &cases;

	/* Keep file order stable: append. */
	while (*p)
		p = &(*p)->next;
	*p = tc;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	case_failed = 1;
}

const char *test_tmpdir(void)
{
	if (!*tmpdir) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/kflake-unit-XXXXXX");
		if (!mkdtemp(tmpdir))
			die("mkdtemp failed");
	}
	return tmpdir;
}

int test_git(const char *dir, const char *out, const char *author_date,
	     const char *const *args)
{
	const char *argv[32] = { "git" };
	int status, fd;
	size_t i;
	pid_t pid;

	for (i = 0; args[i] && i + 2 < ARRAY_SIZE(argv); i++)
		argv[i + 1] = args[i];
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
		setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
		setenv("HOME", dir, 1);
		setenv("GIT_AUTHOR_DATE", author_date, 1);
		setenv("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z", 1);
		setenv("GIT_COMMITTER_NAME", "Com Mitter", 1);
		setenv("GIT_COMMITTER_EMAIL", "committer@example.org", 1);
		fd = open(out ? out : "/dev/null",
			  O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || chdir(dir) || dup2(fd, 1) < 0)
			_exit(127);
		execvp("git", (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

const char *test_corpus_dir(void)
{
	static char dir[4200];
	const char *env = getenv("KFLAKE_CORPUS");
	char exe[4096];
	ssize_t n;
	int up;

	if (*dir)
		return dir;
	if (env && *env) {
		snprintf(dir, sizeof(dir), "%s", env);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return NULL;
		exe[n] = '\0';
		/* <top>/build/san/tests/unit/run-unit */
		for (up = 0; up < 5; up++) {
			char *slash = strrchr(exe, '/');

			if (!slash)
				return NULL;
			*slash = '\0';
		}
		snprintf(dir, sizeof(dir), "%s/../shared/corpus", exe);
	}
	if (!util_file_exists(dir)) {
		*dir = '\0';
		return NULL;
	}
	return dir;
}

int main(int argc, char **argv)
{
	struct test_case *tc;
	int passed = 0, failed = 0;

	util_set_quiet(1);
	for (tc = cases; tc; tc = tc->next) {
		if (argc > 1 && !strstr(tc->name, argv[1]))
			continue;
		case_failed = 0;
		tc->fn();
		if (*tmpdir) {
			util_rm_rf(tmpdir);
			*tmpdir = '\0';
		}
		printf("%s %s (%s)\n", case_failed ? "FAIL" : "ok  ",
		       tc->name, tc->file);
		if (case_failed)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
