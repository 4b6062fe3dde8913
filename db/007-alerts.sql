-- 007-alerts.sql: change-point alerts. A scan of a tracked history (a
-- branch's first-parent commits, or an imported NIPA stream's branches)
-- segments each test's failure rate (changepoint.c); each change becomes
-- an alert here, found again (and updated, keeping its state) by later
-- scans. Only alert.c writes this table; the web server only reads it.
CREATE TABLE alerts (
	id INTEGER PRIMARY KEY,
	axis TEXT NOT NULL,		-- git (commits of a branch) or nipa (its branches)
	tree_id INTEGER REFERENCES trees(id),
	branch TEXT NOT NULL,		-- the tracked ref, or the NIPA stream
	test TEXT NOT NULL,
	suite TEXT NOT NULL,
	pool TEXT NOT NULL,		-- the rest of the pooling key, as text
	test_arg TEXT,			-- how to run the test again (--test)
	fragments TEXT,			-- JSON array: the kconfig fragments it ran with
	direction TEXT NOT NULL CHECK (direction IN ('worse', 'better')),
	good TEXT,			-- last position before the interval
	first TEXT NOT NULL,		-- the 99% interval for the first position
	nominal TEXT NOT NULL,		-- of the new rate: first .. last, and
	last TEXT NOT NULL,		-- the most likely one
	positions INTEGER NOT NULL,	-- tested positions in first .. last
	k0 INTEGER NOT NULL,		-- failures and runs before the change
	n0 INTEGER NOT NULL,
	k1 INTEGER NOT NULL,		-- ... and after it
	n1 INTEGER NOT NULL,
	log_bf REAL NOT NULL,		-- ln Bayes factor, change vs none
	prob REAL,			-- posterior probability of nominal
	fisher_p REAL,			-- one-sided Fisher, after vs before
	state TEXT NOT NULL DEFAULT 'new'
		CHECK (state IN ('new', 'acknowledged', 'fixed')),
	state_note TEXT,
	state_at TEXT,
	current INTEGER NOT NULL DEFAULT 1,	-- the latest scan still finds it
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX alerts_key ON alerts(axis, branch, test, suite, pool);

-- The histories scanned so far: `kflake alert scan` with no history named
-- scans them all again. tree_id is 0 for imported histories (no tree),
-- so that UNIQUE holds for them too.
CREATE TABLE alert_histories (
	id INTEGER PRIMARY KEY,
	axis TEXT NOT NULL,
	tree_id INTEGER NOT NULL DEFAULT 0,
	branch TEXT NOT NULL,
	positions INTEGER,		-- tested positions at the last scan
	scanned_at TEXT NOT NULL,
	UNIQUE (axis, tree_id, branch)
);

-- A bisect started from an alert (kflake bisect --alert) points back at it.
ALTER TABLE bisects ADD COLUMN alert_id INTEGER REFERENCES alerts(id);
