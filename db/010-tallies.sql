-- 010-tallies.sql: scores kept up to date instead of re-counted. One row
-- per test and pool (pool.h: kernel, kconfig set, guest size, stress,
-- executor) and one per sub-case, updated in the same transaction as the
-- iteration that changes them (record.c), so the status page and the API
-- read a few thousand rows instead of aggregating every iteration.
-- `kflake tally --rebuild` recounts them from the iterations; `--check`
-- says whether they agree. Retries (imports) do not count, as in scores.
--
-- kernel_id is the run's kernel, or -run id for a run with no kernel on
-- record (a pool of its own). recent holds the newest 30 outcomes, oldest
-- first, one digit each (enum record_outcome: 0 pass, 1 fail, 2 skip,
-- 3 stall, 4 crash, 5 error).
CREATE TABLE tallies (
	id INTEGER PRIMARY KEY,
	test TEXT NOT NULL,
	suite TEXT NOT NULL,
	kernel_id INTEGER NOT NULL,
	kconfig_set TEXT NOT NULL,
	guest_cpus INTEGER NOT NULL,
	guest_mem_mb INTEGER NOT NULL,
	stress TEXT NOT NULL,
	executor TEXT NOT NULL,
	tree_id INTEGER,
	commit_id TEXT NOT NULL DEFAULT '',
	pass INTEGER NOT NULL DEFAULT 0,
	fail INTEGER NOT NULL DEFAULT 0,
	skip INTEGER NOT NULL DEFAULT 0,
	stall INTEGER NOT NULL DEFAULT 0,
	crash INTEGER NOT NULL DEFAULT 0,
	error INTEGER NOT NULL DEFAULT 0,
	stall_seconds REAL NOT NULL DEFAULT 0,
	recent TEXT NOT NULL DEFAULT '',
	first_at TEXT NOT NULL,
	last_at TEXT NOT NULL,
	last_failure_at TEXT,
	UNIQUE (test, suite, kernel_id, kconfig_set, guest_cpus, guest_mem_mb,
		stress, executor)
);
CREATE INDEX tallies_kernel ON tallies(kernel_id);

CREATE TABLE subtallies (
	id INTEGER PRIMARY KEY,
	test TEXT NOT NULL,
	suite TEXT NOT NULL,
	kernel_id INTEGER NOT NULL,
	kconfig_set TEXT NOT NULL,
	guest_cpus INTEGER NOT NULL,
	guest_mem_mb INTEGER NOT NULL,
	stress TEXT NOT NULL,
	executor TEXT NOT NULL,
	name TEXT NOT NULL,
	pass INTEGER NOT NULL DEFAULT 0,	-- pass, xfail
	fail INTEGER NOT NULL DEFAULT 0,	-- fail, error
	skip INTEGER NOT NULL DEFAULT 0,
	stall INTEGER NOT NULL DEFAULT 0,	-- timeout
	other INTEGER NOT NULL DEFAULT 0,	-- any other word
	first_id INTEGER NOT NULL,		-- its first subresults row
	UNIQUE (test, suite, kernel_id, kconfig_set, guest_cpus, guest_mem_mb,
		stress, executor, name)
);

-- Snapshots are read per iteration (run and iteration pages).
CREATE INDEX IF NOT EXISTS snapshots_iter ON snapshots(iteration_id);

-- Fill them from what is recorded (the same statements as record.c's
-- record_tally_rebuild()).
INSERT INTO tallies(test, suite, kernel_id, kconfig_set, guest_cpus,
	guest_mem_mb, stress, executor, tree_id, commit_id, pass, fail, skip,
	stall, crash, error, stall_seconds, first_at, last_at, last_failure_at)
SELECT i.test, i.suite, coalesce(r.kernel_id, -r.id), r.kconfig_set,
	r.guest_cpus, r.guest_mem_mb, r.stress, r.executor, max(r.tree_id),
	coalesce(max(k.commit_id), max(r.commit_id), ''),
	sum(i.outcome = 'pass'), sum(i.outcome = 'fail'),
	sum(i.outcome = 'skip'), sum(i.outcome = 'stall'),
	sum(i.outcome = 'crash'), sum(i.outcome = 'error'),
	total(CASE WHEN i.outcome = 'stall' THEN i.duration END),
	min(i.started_at), max(i.started_at),
	max(CASE WHEN i.outcome IN ('fail', 'stall', 'crash')
	    THEN i.started_at END)
FROM iterations i JOIN runs r ON r.id = i.run_id
LEFT JOIN kernels k ON k.id = r.kernel_id
WHERE i.retry = 0
GROUP BY i.test, i.suite, coalesce(r.kernel_id, -r.id), r.kconfig_set,
	r.guest_cpus, r.guest_mem_mb, r.stress, r.executor;

UPDATE tallies SET recent = coalesce((
	SELECT group_concat(o, '') FROM (SELECT o FROM (
		SELECT i.id, CASE i.outcome WHEN 'pass' THEN '0'
			WHEN 'fail' THEN '1' WHEN 'skip' THEN '2'
			WHEN 'stall' THEN '3' WHEN 'crash' THEN '4'
			ELSE '5' END AS o
		FROM runs r JOIN iterations i ON i.run_id = r.id
		WHERE (r.kernel_id = tallies.kernel_id OR
		       (r.kernel_id IS NULL AND r.id = -tallies.kernel_id))
		  AND r.kconfig_set = tallies.kconfig_set
		  AND r.guest_cpus = tallies.guest_cpus
		  AND r.guest_mem_mb = tallies.guest_mem_mb
		  AND r.stress = tallies.stress
		  AND r.executor = tallies.executor
		  AND i.test = tallies.test AND i.suite = tallies.suite
		  AND i.retry = 0
		ORDER BY i.id DESC LIMIT 30) ORDER BY id)), '');

INSERT INTO subtallies(test, suite, kernel_id, kconfig_set, guest_cpus,
	guest_mem_mb, stress, executor, name, pass, fail, skip, stall, other,
	first_id)
SELECT i.test, i.suite, coalesce(r.kernel_id, -r.id), r.kconfig_set,
	r.guest_cpus, r.guest_mem_mb, r.stress, r.executor, s.name,
	sum(s.outcome IN ('pass', 'xfail')), sum(s.outcome IN ('fail', 'error')),
	sum(s.outcome = 'skip'), sum(s.outcome = 'timeout'),
	sum(s.outcome NOT IN ('pass', 'xfail', 'fail', 'error', 'skip',
			      'timeout')),
	min(s.id)
FROM subresults s JOIN iterations i ON i.id = s.iteration_id
JOIN runs r ON r.id = i.run_id
WHERE i.retry = 0
GROUP BY i.test, i.suite, coalesce(r.kernel_id, -r.id), r.kconfig_set,
	r.guest_cpus, r.guest_mem_mb, r.stress, r.executor, s.name;
