-- 011-ci.sql: `kflake ci`. Work items (written only by harness/workq.c),
-- the runs each item made, and the patchwork checks posted for them
-- (written only by harness/checks.c).

-- One unit of CI work: a patch series, or a commit of a tracked ref, on
-- one kconfig set of a plan. key names it within the plan so that a
-- second poll never queues the same work twice: "series:<id>" or
-- "ref:<tree>#<ref>@<commit>".
CREATE TABLE ci_items (
	id INTEGER PRIMARY KEY,
	plan TEXT NOT NULL,		-- the plan's name
	key TEXT NOT NULL,
	kconfig_set TEXT NOT NULL,	-- the plan's name for the set
	kind TEXT NOT NULL CHECK (kind IN ('series', 'ref')),
	priority INTEGER NOT NULL,	-- lower first: series 0, refs 1
	series_id INTEGER REFERENCES series(id),
	tree TEXT,			-- tree source; NULL: the default tree
	ref TEXT,			-- kind ref: the tracked ref
	commit_id TEXT,			-- kind ref: its commit when queued
	state TEXT NOT NULL CHECK (state IN
		('queued', 'running', 'done', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,	-- starts, with those a kill cut short
	pid INTEGER,			-- of the kflake ci running it
	host TEXT,
	result TEXT,			-- JSON: verdicts (series) or counts (ref)
	error TEXT,
	created_at TEXT NOT NULL,
	started_at TEXT,
	finished_at TEXT,
	UNIQUE (plan, key, kconfig_set)
);
CREATE INDEX ci_items_state ON ci_items(plan, state, priority, id);

-- The runs an item made, recorded as each run row is created, so a
-- resumed item counts what its killed predecessor finished.
CREATE TABLE ci_item_runs (
	item_id INTEGER NOT NULL REFERENCES ci_items(id) ON DELETE CASCADE,
	run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	PRIMARY KEY (item_id, run_id)
);

-- Patchwork checks. The row is written (status 'intent') and committed
-- before the POST, so a kflake killed between patchwork's 201 and its
-- own commit finds the intent and reads the patch's checks before it
-- posts again: one check per (patch, context, kernel), ever.
CREATE TABLE ci_checks (
	id INTEGER PRIMARY KEY,
	item_id INTEGER REFERENCES ci_items(id),
	patchwork TEXT NOT NULL,	-- canonical base URL
	patch_id INTEGER NOT NULL,	-- patchwork's patch id
	context TEXT NOT NULL,		-- e.g. kflake-udpgro_bench
	kernel TEXT NOT NULL,		-- what was tested: <commit>/<kconfig set>
	state TEXT NOT NULL CHECK (state IN
		('pending', 'success', 'warning', 'fail')),
	description TEXT NOT NULL,
	target_url TEXT,
	status TEXT NOT NULL CHECK (status IN
		('intent', 'posted', 'found', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	http_status INTEGER,		-- of the last attempt
	error TEXT,			-- of the last failed attempt
	created_at TEXT NOT NULL,
	posted_at TEXT,
	UNIQUE (patchwork, patch_id, context, kernel)
);
