-- 006-series-identity.sql: what makes a series the same series, and what
-- its parse said. ident is the SHA-1 of the Message-IDs of the mails
-- whose text became commits (or a branch's commit ids) and the base it
-- sits on: a re-fetch with the same ident reuses the row and its ref.
-- total is n of [m/n] (NULL for a branch); complete is 0 when patches
-- were missing (state 'incomplete' when that kept it from being applied,
-- 'applied' when --allow-incomplete tested what was there); notes are
-- the parse notes, one per line (versions or resends ignored, ...).
ALTER TABLE series ADD COLUMN ident TEXT;
ALTER TABLE series ADD COLUMN total INTEGER;
ALTER TABLE series ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;
ALTER TABLE series ADD COLUMN notes TEXT;
CREATE INDEX series_ident ON series(ident);
CREATE INDEX series_source ON series(source, pw_id);
