/*
 * test_store.c - store.c under concurrency: many processes creating and
 * migrating one new database at the same moment.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../harness/store.h"
#include "../../harness/util.h"
#include "test.h"

#define RACERS 8
#define ROUNDS 10

/*
 * One round: RACERS children block on a pipe until the parent closes it,
 * then all open the same new database. Returns how many failed.
 */
static int race_round(const char *path)
{
	pid_t pids[RACERS];
	int go[2], i, failed = 0, status;
	char c;

	if (pipe(go))
		return RACERS;
	for (i = 0; i < RACERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct store st;
			int rc;

			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(3);
			rc = store_open(&st, path, 0);
			if (!rc && store_schema_version(&st) !=
				   store_latest_version())
				rc = 2;
			if (!rc)
				store_close(&st);
			_exit(rc ? 1 : 0);
		}
		if (pids[i] < 0)
			failed++;
	}
	close(go[0]);
	close(go[1]);	/* every child's read() returns now */
	for (i = 0; i < RACERS; i++) {
		if (pids[i] <= 0)
			continue;
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	return failed;
}

TEST(store_concurrent_create_and_migrate)
{
	struct store st;
	int round, failed = 0;

	for (round = 0; round < ROUNDS; round++) {
		char *path = xasprintf("%s/race-%d.db", test_tmpdir(), round);

		failed += race_round(path);
		/* Each migration ran once: the schema is whole and current. */
		if (!store_open(&st, path, 0)) {
			CHECK_INT(store_schema_version(&st),
				  store_latest_version());
			CHECK_INT(store_query_int(&st, -1, "SELECT count(*) FROM "
						  "sqlite_master WHERE name = "
						  "'series'", ""), 1);
			store_close(&st);
		}
		free(path);
	}
	CHECK_INT(failed, 0);
}
