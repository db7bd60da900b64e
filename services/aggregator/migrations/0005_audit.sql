-- Audit log (libs/audit): hash-chained entries and signed checkpoints, append-only in the database itself.
CREATE TABLE IF NOT EXISTS audit_entries (
  seq        bigint PRIMARY KEY CHECK (seq >= 1),
  time       timestamptz NOT NULL,
  actor      text NOT NULL CHECK (actor <> ''),
  action     text NOT NULL CHECK (action ~ '^[a-z]+(\.[a-z_]+)+$'),
  subject    text NOT NULL CHECK (subject <> ''),
  details    jsonb NOT NULL CHECK (jsonb_typeof(details) = 'object'),
  prev_hash  text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash       text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  -- details.jobId / details.siloId, else taken from the subject (or, for a silo, the actor): for filtering.
  job_id     text,
  silo_id    text
);
CREATE INDEX IF NOT EXISTS audit_entries_action_idx ON audit_entries (action, seq);
CREATE INDEX IF NOT EXISTS audit_entries_actor_idx ON audit_entries (actor, seq);
CREATE INDEX IF NOT EXISTS audit_entries_subject_idx ON audit_entries (subject, seq);
CREATE INDEX IF NOT EXISTS audit_entries_time_idx ON audit_entries (time);
CREATE INDEX IF NOT EXISTS audit_entries_job_idx ON audit_entries (job_id, seq) WHERE job_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_entries_silo_idx ON audit_entries (silo_id, seq) WHERE silo_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS audit_checkpoints (
  seq                  bigint PRIMARY KEY CHECK (seq >= 1),
  from_seq             bigint NOT NULL CHECK (from_seq >= 1),
  to_seq               bigint NOT NULL UNIQUE,
  head_hash            text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
  merkle_root          text NOT NULL CHECK (merkle_root ~ '^[0-9a-f]{64}$'),
  time                 timestamptz NOT NULL,
  prev_checkpoint_hash text NOT NULL CHECK (prev_checkpoint_hash ~ '^[0-9a-f]{64}$'),
  signer               text NOT NULL,
  signature            text NOT NULL,
  CHECK (to_seq >= from_seq)
);
CREATE INDEX IF NOT EXISTS audit_checkpoints_from_idx ON audit_checkpoints (from_seq);

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit entries are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation',
          HINT = 'The audit log is hash-chained and checkpointed; record a correction as a new entry.';
END
$$;

DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries;
CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries;
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_checkpoints_no_change ON audit_checkpoints;
CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints;
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
