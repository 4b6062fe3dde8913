/*
 * artefact.h - where a database keeps its run artefacts (console logs,
 * QEMU logs, the guests' output shares): a directory beside the database
 * file, so two databases never share one, and the only way to read a
 * path a database names.
 *
 *   /data/kflake.db  ->  /data/kflake.artefacts/runs/<run id>/boot-<n>/...
 *   /x/e2e.db        ->  /x/e2e.artefacts/runs/<run id>/...
 */
#ifndef KFLAKE_ARTEFACT_H
#define KFLAKE_ARTEFACT_H

#include "store.h"

/*
 * The artefact directory of the database at db_path (absolute, with the
 * database's directory resolved; malloc'ed). Not created here.
 */
char *artefact_dir_for(const char *db_path);
/* The same for an open database. */
char *artefact_dir(const struct store *st);
/* <artefact dir>/runs/<run_id> (malloc'ed; not created). */
char *artefact_run_dir(const struct store *st, long long run_id);

/*
 * Open a file the database names (boots.console_path, ...) for reading.
 * Only regular files inside the database's artefact directory, after
 * every link is resolved, are opened. Returns an O_CLOEXEC fd, or -1
 * with errno: EPERM (outside the artefact directory), ENOENT, EINVAL
 * (not a regular file), or what open(2) said.
 */
int artefact_open(const struct store *st, const char *path);

/* The same check without opening: 1 when path may be read. */
int artefact_path_ok(const struct store *st, const char *path);

#endif
