-- 012-series-verdicts.sql: what `kflake run --series` concluded, per test
-- and sub-case, kept so the series page shows the verdict kflake printed
-- (written only by seriesrun.c). A series run again adds a new set; the
-- newest set (highest series_run) is the current one.
CREATE TABLE series_verdicts (
	id INTEGER PRIMARY KEY,
	series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
	series_run INTEGER NOT NULL REFERENCES runs(id),
	base_run INTEGER REFERENCES runs(id),	-- NULL: earlier base iterations reused
	test TEXT NOT NULL,
	subcase TEXT,				-- NULL: the test itself
	base_failures INTEGER NOT NULL,
	base_runs INTEGER NOT NULL,
	series_failures INTEGER NOT NULL,
	series_runs INTEGER NOT NULL,
	p_value REAL,				-- two-sided Fisher
	change TEXT NOT NULL,			-- regression, improvement, no change
	verdict TEXT NOT NULL,			-- the sentence kflake printed
	detectable_rate REAL,
	more_iterations INTEGER,
	created_at TEXT NOT NULL
);
CREATE INDEX series_verdicts_series ON series_verdicts(series_id, series_run);
