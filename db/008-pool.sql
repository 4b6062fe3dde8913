-- 008-pool.sql: the pooling key (harness/pool.h). Iterations count
-- together in a score, a learned stall limit, a reused base, a tally row
-- and an alert only when they share test and suite, kernel, kconfig set,
-- guest size, stress mode and executor. The run row carries every part
-- but the test; kflake writes them when it creates the run.
--
--   guest_cpus, guest_mem_mb  the guest's vCPUs and memory (0: unknown)
--   kconfig_set  the fragments asked for, in merge order, each named by
--                its root so two commits of one tree built from the same
--                recipe share it: a JSON array of "kflake:kconfigs/..."
--                (kflake's own), "tree:tools/..." (in the kernel tree) and
--                "file:NAME@SHA1" (any other file, by content)
--   stress       the stress modes, sorted, comma-separated ('' = none)
--   executor     where the guests ran ('local', or a scheduler's name)
ALTER TABLE runs ADD COLUMN guest_cpus INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN guest_mem_mb INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN kconfig_set TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN stress TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN executor TEXT NOT NULL DEFAULT 'local';

-- Earlier runs: the guest size from their command line (the last
-- "--cpus N" or "--cpus=N" wins, as with getopt), else the defaults of
-- the kflake that ran them (2 vCPUs, 2048 MiB).
UPDATE runs SET guest_cpus = coalesce((
	SELECT CAST(CASE WHEN a.value = '--cpus' THEN (SELECT b.value FROM
		json_each(runs.argv) b WHERE b.key = a.key + 1)
		ELSE substr(a.value, 8) END AS INTEGER)
	FROM json_each(runs.argv) a
	WHERE a.value = '--cpus' OR a.value LIKE '--cpus=%'
	ORDER BY a.key DESC LIMIT 1), 0)
WHERE json_valid(argv);
UPDATE runs SET guest_mem_mb = coalesce((
	SELECT CAST(CASE WHEN a.value = '--mem' THEN (SELECT b.value FROM
		json_each(runs.argv) b WHERE b.key = a.key + 1)
		ELSE substr(a.value, 7) END AS INTEGER)
	FROM json_each(runs.argv) a
	WHERE a.value = '--mem' OR a.value LIKE '--mem=%'
	ORDER BY a.key DESC LIMIT 1), 0)
WHERE json_valid(argv);
UPDATE runs SET guest_cpus = 2 WHERE guest_cpus <= 0;
UPDATE runs SET guest_mem_mb = 2048 WHERE guest_mem_mb <= 0;

-- Earlier runs' fragments (their own, or their kernel's before 005) named
-- by root. Files outside kflake and the tree get "file:PATH": their
-- content is not known here, so they pool only with each other.
UPDATE runs SET kconfig_set = (
	SELECT json_group_array(CASE
		WHEN t.path IS NOT NULL AND
		     substr(f.value, 1, length(t.path) + 1) = t.path || '/'
		THEN 'tree:' || substr(f.value, length(t.path) + 2)
		WHEN instr(f.value, '/kconfigs/') > 0
		THEN 'kflake:' || substr(f.value, instr(f.value, '/kconfigs/') + 1)
		ELSE 'file:' || f.value END)
	FROM json_each(coalesce(runs.fragments, (SELECT k.fragments FROM
		kernels k WHERE k.id = runs.kernel_id))) f
	LEFT JOIN trees t ON t.id = runs.tree_id)
WHERE json_valid(coalesce(fragments, (SELECT k.fragments FROM kernels k
	WHERE k.id = runs.kernel_id)));

-- Pool lookups start from a kernel's runs.
CREATE INDEX runs_kernel ON runs(kernel_id);
