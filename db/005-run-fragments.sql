-- 005-run-fragments.sql: the kconfig fragments a run merged, in order (a
-- JSON array of paths). kernels.fragments names those of the build that
-- made the image; runs whose fragments give the same final .config share
-- that image, so only this column says what each run asked for.
ALTER TABLE runs ADD COLUMN fragments TEXT;
