-- 013-scale.sql: parallel guests and the Slurm executor (docs/SCALING.md).
--
-- runs.vms: how many guests ran at once (per node, for Slurm workers).
-- boots.guest: the guest slot (1..vms) a boot ran in; boots.host: the
-- machine it ran on (a Slurm node); boots.attempt: the spool's id for a
-- boot of a Slurm task, so ingesting a spool twice adds nothing.
-- iterations.attempt: the spool's attempt id of an iteration a Slurm task
-- ran. An attempt is stored once, and so is each (test, k) of a run
-- among attempts: a resubmitted item two tasks both finished counts once.
ALTER TABLE runs ADD COLUMN vms INTEGER;
ALTER TABLE boots ADD COLUMN guest INTEGER;
ALTER TABLE boots ADD COLUMN host TEXT;
ALTER TABLE boots ADD COLUMN attempt TEXT;
CREATE UNIQUE INDEX boots_attempt ON boots(attempt) WHERE attempt IS NOT NULL;
ALTER TABLE iterations ADD COLUMN attempt TEXT;
CREATE UNIQUE INDEX iterations_attempt ON iterations(attempt)
	WHERE attempt IS NOT NULL;
CREATE UNIQUE INDEX iterations_item ON iterations(run_id, test, suite, seq)
	WHERE attempt IS NOT NULL;

-- The Slurm tasks of a run: one row per array task the coordinator
-- submitted. A slice is a list of plan items (its file in the run's
-- shared directory); a task that failed or was cancelled has the items
-- it did not finish resubmitted as a new slice whose parent it is.
CREATE TABLE run_tasks (
	id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	slice INTEGER NOT NULL,		-- the array index
	parent INTEGER,			-- the slice this one resubmits
	job TEXT NOT NULL,		-- Slurm job id of the task: JOB_INDEX
	items INTEGER NOT NULL,		-- iterations in the slice
	done INTEGER NOT NULL DEFAULT 0,	-- of them, ingested
	state TEXT NOT NULL,		-- PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...
	host TEXT,			-- the node, once it ran
	submitted_at TEXT NOT NULL,
	finished_at TEXT,
	UNIQUE (run_id, slice)
);
