-- Which version of the loaders produced a load. A file is skipped only when the same content was
-- loaded by the same loader version, so a loader fix (model 2.5.0: the Stanford file's swapped races)
-- reaches databases loaded before it. Earlier loads have NULL and are reloaded once.
ALTER TABLE ops.load_runs ADD COLUMN IF NOT EXISTS loader_version TEXT;
