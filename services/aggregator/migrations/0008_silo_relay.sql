-- Silos dial one address (a Service in front of the replicas), so a silo's session may sit on a replica that does
-- not drive its job. Every replica serves any silo's session; the job's owner reaches it through these tables.
-- Which replica holds each silo's task stream, refreshed by that replica's heartbeat.
CREATE TABLE silo_presence (
  silo_id      text        PRIMARY KEY,
  replica      text        NOT NULL,
  dataset_ids  jsonb       NOT NULL DEFAULT '[]',
  seen_at      timestamptz NOT NULL DEFAULT now()
);
-- Tasks for a silo whose stream another replica holds: the job's owner writes them (cohort.v1.Task, protobuf),
-- the stream's replica delivers them in id order and deletes them.
CREATE TABLE silo_outbox (
  id          bigserial   PRIMARY KEY,
  silo_id     text        NOT NULL,
  task        bytea       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX silo_outbox_silo_idx ON silo_outbox (silo_id, id);
-- A silo's call (an update, a decision, metrics, an attestation request) for a job another replica drives: the
-- replica that received it, after checking the silo's certificate, writes the request; the owner answers.
CREATE TABLE relay_calls (
  id             bigserial   PRIMARY KEY,
  target         text        NOT NULL,
  method         text        NOT NULL CHECK (method IN ('Upload', 'Decide', 'ReportMetrics', 'GetEnclaveAttestation')),
  silo_id        text        NOT NULL,
  request        bytea       NOT NULL,
  payload        bytea,
  taken_at       timestamptz,
  answered_at    timestamptz,
  response       bytea,
  error_code     text,
  error_message  text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX relay_calls_target_idx ON relay_calls (target, id) WHERE taken_at IS NULL;
