-- 004-silence.sql: the longest stretch an iteration printed nothing. kflake
-- learns each test's normal silences from passing iterations and sets the
-- next runs' output watchdog from them (see job.c, learn_limits).
ALTER TABLE iterations ADD COLUMN max_silence REAL;
CREATE INDEX iterations_test_pass ON iterations(test, suite, outcome, id);
