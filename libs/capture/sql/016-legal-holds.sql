--# 016 (v11): legal holds (README "Legal holds"). A hold is a set of timeline filters (the table, an actor, a
--# record key, a correlation id, a time range; what `timeline` takes, as describeFilters shows them) whose
--# changes no retention purge deletes while the hold is in force; who set it, when and why, and who released
--# it, when and why. A hold is never deleted: a release ends it and keeps the record. Only the owner (who
--# purges) may write it; the app's role may read it (the operator pages list holds). A purge locks this table
--# in SHARE mode for each batch and reads the holds in force in that batch's transaction: a hold whose
--# `retention hold` has returned covers every later batch, and one being added waits for the batch to end.
CREATE TABLE IF NOT EXISTS :AUDIT_SCHEMA."audit_legal_holds" (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  filters jsonb NOT NULL CHECK (jsonb_typeof(filters) = 'object' AND filters <> '{}'::jsonb),
  reason text NOT NULL CHECK (btrim(reason) <> ''),
  held_by text NOT NULL CHECK (btrim(held_by) <> ''),
  held_by_role text NOT NULL DEFAULT session_user,
  held_at timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz,
  released_by text CHECK (btrim(released_by) <> ''),
  released_by_role text,
  release_reason text CHECK (btrim(release_reason) <> ''),
  CONSTRAINT audit_legal_holds_release_complete CHECK (
    (released_at IS NULL) = (released_by IS NULL) AND (released_at IS NULL) = (release_reason IS NULL)
    AND (released_at IS NULL) = (released_by_role IS NULL))
);
