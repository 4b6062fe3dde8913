-- 001-initial.sql: kflake's first schema. Applied by store.c inside one
-- transaction; PRAGMA user_version records the last migration applied.
-- Times are ISO 8601 UTC text; durations are seconds (REAL).

-- A kernel source tree: the embedded default, a clone of a URL, or a
-- local repository (cloned into the cache, never touched in place).
CREATE TABLE trees (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL UNIQUE,	-- "linux-source-6.1", a URL or a path
	path TEXT NOT NULL,		-- the cache repository kflake works in
	created_at TEXT NOT NULL
);

-- One configured and built kernel. cache_key = sha1(commit, config hash,
-- compiler version): the same key is never built twice.
CREATE TABLE kernels (
	id INTEGER PRIMARY KEY,
	tree_id INTEGER NOT NULL REFERENCES trees(id),
	commit_id TEXT NOT NULL,
	config_hash TEXT NOT NULL,
	compiler TEXT NOT NULL,
	cache_key TEXT NOT NULL UNIQUE,
	fragments TEXT NOT NULL,	-- JSON array of fragment paths, in order
	config TEXT NOT NULL,		-- the final .config
	config_warnings TEXT,		-- requested values the final .config lacks
	state TEXT NOT NULL CHECK (state IN ('building', 'ok', 'failed')),
	image_path TEXT,
	image_sha1 TEXT,
	build_seconds REAL,
	build_log TEXT,			-- path of the full log
	error TEXT,			-- first compiler error when failed
	created_at TEXT NOT NULL
);
CREATE INDEX kernels_commit ON kernels(commit_id);

-- Patch series (mbox, lore, patchwork, git branch) and their patches.
CREATE TABLE series (
	id INTEGER PRIMARY KEY,
	source TEXT NOT NULL,		-- what the user gave: path, URL, pw:..., branch
	kind TEXT NOT NULL,		-- mbox, lore, patchwork, branch
	msgid TEXT,
	version INTEGER NOT NULL DEFAULT 1,
	subject TEXT,
	submitter TEXT,
	patch_count INTEGER NOT NULL,
	state TEXT NOT NULL,		-- fetched, applied, apply-failed, queued, tested
	error TEXT,
	tree_id INTEGER REFERENCES trees(id),
	base_commit TEXT,
	result_commit TEXT,
	pw_id INTEGER,			-- patchwork series id, when from patchwork
	created_at TEXT NOT NULL
);
CREATE TABLE patches (
	id INTEGER PRIMARY KEY,
	series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,		-- m in [PATCH m/n]; 0 is the cover letter
	subject TEXT,
	author TEXT,
	date TEXT,
	msgid TEXT,
	trailers TEXT,			-- JSON array of "Key: value"
	commit_id TEXT,			-- the commit it became, once applied
	UNIQUE (series_id, seq)
);

-- One invocation of `kflake run` (or a bisect step, or `kflake check`).
CREATE TABLE runs (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL DEFAULT 'run',	-- run, check, bisect
	state TEXT NOT NULL CHECK (state IN
		('running', 'done', 'interrupted', 'failed')),
	tree_id INTEGER REFERENCES trees(id),
	ref TEXT,
	commit_id TEXT,
	kernel_id INTEGER REFERENCES kernels(id),
	series_id INTEGER REFERENCES series(id),
	bisect_id INTEGER REFERENCES bisects(id),
	tests TEXT NOT NULL,		-- JSON array of test names
	iterations INTEGER NOT NULL,	-- planned per test
	accel TEXT,			-- kvm or tcg
	qemu_cmdline TEXT,		-- of the first boot
	argv TEXT,			-- the kflake command line, JSON array
	host TEXT,
	pid INTEGER,
	step TEXT,			-- what it is doing now (for status pages)
	progress TEXT,			-- JSON {done,total,eta,...} while running
	error TEXT,
	started_at TEXT NOT NULL,
	finished_at TEXT
);
CREATE INDEX runs_state ON runs(state);

-- Every QEMU boot of a run; iterations point at the boot they ran in.
CREATE TABLE boots (
	id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	accel TEXT NOT NULL,
	cmdline TEXT NOT NULL,		-- the QEMU command line, shell-quoted
	console_path TEXT,		-- full console log on disk
	ready_seconds REAL,		-- QEMU start to guest ready
	end_reason TEXT,		-- done, crash, stall, lost, boot-failed, interrupted
	started_at TEXT NOT NULL,
	finished_at TEXT
);

CREATE TABLE iterations (
	id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	boot_id INTEGER REFERENCES boots(id),
	test TEXT NOT NULL,		-- script name, e.g. udpgro_bench.sh
	suite TEXT NOT NULL,		-- kselftest target (net) or "path"
	seq INTEGER NOT NULL,		-- k of N for this test
	outcome TEXT NOT NULL CHECK (outcome IN
		('pass', 'fail', 'skip', 'stall', 'crash', 'error')),
	rc INTEGER,			-- the test's exit code, when it exited
	reason TEXT,			-- one line: why this outcome
	duration REAL,			-- host wall time for the iteration
	guest_duration REAL,		-- the test's own runtime in the guest
	timeout REAL,			-- stall limit applied
	output TEXT,			-- test stdout+stderr (capped)
	console TEXT,			-- console lines printed meanwhile (capped)
	crash_id INTEGER REFERENCES crashes(id),
	started_at TEXT NOT NULL,
	finished_at TEXT
);
CREATE INDEX iterations_run ON iterations(run_id);
CREATE INDEX iterations_test ON iterations(test, outcome);

-- Sub-cases inside a test (KTAP results, udpgro blocks) and their metrics.
CREATE TABLE subresults (
	id INTEGER PRIMARY KEY,
	iteration_id INTEGER NOT NULL REFERENCES iterations(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	outcome TEXT NOT NULL,		-- pass, fail, skip, xfail, timeout, error
	detail TEXT
);
CREATE INDEX subresults_iter ON subresults(iteration_id);
CREATE TABLE metrics (
	id INTEGER PRIMARY KEY,
	iteration_id INTEGER NOT NULL REFERENCES iterations(id) ON DELETE CASCADE,
	subcase TEXT NOT NULL,
	name TEXT NOT NULL,		-- e.g. "udp tx MB/s"
	value REAL NOT NULL,
	unit TEXT
);
CREATE INDEX metrics_iter ON metrics(iteration_id);

-- Crash reports grouped by fingerprint across iterations, runs, kernels.
CREATE TABLE crashes (
	id INTEGER PRIMARY KEY,
	fingerprint TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,		-- oops, bug, warning, panic, kasan, ...
	title TEXT NOT NULL,
	frames TEXT,			-- the meaningful frames, one per line
	report TEXT,			-- the first full report seen
	first_seen TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE crash_hits (
	id INTEGER PRIMARY KEY,
	crash_id INTEGER NOT NULL REFERENCES crashes(id),
	iteration_id INTEGER REFERENCES iterations(id) ON DELETE CASCADE,
	run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	kernel_id INTEGER REFERENCES kernels(id),
	test TEXT,
	report TEXT NOT NULL,
	seen_at TEXT NOT NULL
);
CREATE INDEX crash_hits_crash ON crash_hits(crash_id);

-- Forensic snapshots taken in the guest before a stalled test is killed.
CREATE TABLE snapshots (
	id INTEGER PRIMARY KEY,
	iteration_id INTEGER NOT NULL REFERENCES iterations(id) ON DELETE CASCADE,
	label TEXT,			-- e.g. "tcp-sender-stuck"
	summary TEXT,
	content TEXT NOT NULL
);

-- Bisections keep all their state here so they can resume.
CREATE TABLE bisects (
	id INTEGER PRIMARY KEY,
	tree_id INTEGER REFERENCES trees(id),
	good TEXT NOT NULL,
	bad TEXT NOT NULL,
	test TEXT NOT NULL,
	state TEXT NOT NULL,		-- running, done, failed, interrupted
	params TEXT,			-- JSON: alpha, beta, cap, p0, p1, ...
	p0 REAL,
	p1 REAL,
	culprit TEXT,
	confidence REAL,
	note TEXT,
	started_at TEXT NOT NULL,
	finished_at TEXT
);
CREATE TABLE bisect_steps (
	id INTEGER PRIMARY KEY,
	bisect_id INTEGER NOT NULL REFERENCES bisects(id) ON DELETE CASCADE,
	commit_id TEXT NOT NULL,
	role TEXT NOT NULL,		-- good-end, bad-end, step, confirm
	run_id INTEGER REFERENCES runs(id),
	runs INTEGER NOT NULL DEFAULT 0,
	failures INTEGER NOT NULL DEFAULT 0,
	errors INTEGER NOT NULL DEFAULT 0,
	decision TEXT,			-- good, bad, skip
	confidence REAL,
	created_at TEXT NOT NULL
);

-- Patchwork polling position, and other small key/value state.
CREATE TABLE state (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
