-- 009-nipa.sql: results imported from NIPA (netdev's CI). Each NIPA run
-- (one branch, one executor) becomes a run of kind 'import' with one
-- iteration per test; a test NIPA retried after a failure gets a second
-- iteration with retry = 1. Failure rates count first attempts only
-- (retry = 0): NIPA retries only failures, so counting retries would
-- weigh failing tests twice. Only nipa.c writes imports.
ALTER TABLE iterations ADD COLUMN retry INTEGER NOT NULL DEFAULT 0;

CREATE TABLE imports (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL,		-- nipa
	origin TEXT NOT NULL,		-- the file or URL it was read from
	remote TEXT NOT NULL,		-- NIPA's remote (runner), '' when not given
	executor TEXT NOT NULL,
	branch TEXT NOT NULL,		-- e.g. net-next-2025-06-20--00-00
	stream TEXT NOT NULL,		-- the branch without its date: net-next
	branch_date TEXT,		-- ISO 8601, from the name or the run start
	link TEXT,
	run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	imported_at TEXT NOT NULL,
	UNIQUE (source, remote, executor, branch)
);
CREATE INDEX imports_stream ON imports(source, stream, branch_date);
