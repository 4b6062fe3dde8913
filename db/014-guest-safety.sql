-- 014-guest-safety.sql: what the host refused to read (or cut) of the
-- files a guest left for an iteration in its output share (a symlink, a
-- fifo, a file larger than the cap), one line per file; and how a run's
-- kernel was built: 'bwrap' (sandboxed), 'bwrap-untrusted' (sandboxed,
-- read-only shared ccache and a private build-directory layer: a series
-- or a tree from a URL) or 'none' (--no-sandbox, local trees only).
ALTER TABLE iterations ADD COLUMN artefact_error TEXT;
ALTER TABLE runs ADD COLUMN build_sandbox TEXT;
