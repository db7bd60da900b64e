-- Jobs, their rounds and the global model of every round: the aggregator's system of record.
CREATE TABLE jobs (
  id               text PRIMARY KEY,
  spec             jsonb       NOT NULL,
  status           text        NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  current_round    integer     NOT NULL DEFAULT 0,
  failure_reason   text,
  submitted_by     text        NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- Server optimiser state (FedAvgM/FedAdam moments), so a restarted aggregator resumes the same trajectory.
  optimizer_state  bytea
);
CREATE INDEX jobs_status_idx ON jobs (status, created_at);
CREATE INDEX jobs_submitted_by_idx ON jobs (submitted_by, created_at);

CREATE TABLE job_decisions (
  job_id      text        NOT NULL REFERENCES jobs (id),
  silo_id     text        NOT NULL,
  accept      boolean     NOT NULL,
  reason      text        NOT NULL DEFAULT '',
  decided_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, silo_id)
);

CREATE TABLE rounds (
  job_id       text        NOT NULL REFERENCES jobs (id),
  round        integer     NOT NULL,
  status       text        NOT NULL CHECK (status IN ('training', 'evaluating', 'completed', 'failed')),
  started_at   timestamptz NOT NULL DEFAULT now(),
  closed_at    timestamptz,
  duration_ms  integer,
  metrics      jsonb,
  PRIMARY KEY (job_id, round)
);

CREATE TABLE round_silos (
  job_id         text    NOT NULL,
  round          integer NOT NULL,
  silo_id        text    NOT NULL,
  update_status  text    NOT NULL CHECK (update_status IN ('pending', 'accepted', 'rejected', 'missing')),
  reason         text    NOT NULL DEFAULT '',
  example_count  integer NOT NULL DEFAULT 0,
  train_ms       integer NOT NULL DEFAULT 0,
  metrics        jsonb,
  PRIMARY KEY (job_id, round, silo_id),
  FOREIGN KEY (job_id, round) REFERENCES rounds (job_id, round)
);

-- Round 0 is the initial model; round r the global model after aggregating round r.
CREATE TABLE models (
  job_id      text        NOT NULL REFERENCES jobs (id),
  round       integer     NOT NULL,
  weights     bytea       NOT NULL,
  sha256      bytea       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, round)
);

CREATE TABLE silos (
  silo_id      text PRIMARY KEY,
  dataset_ids  jsonb       NOT NULL DEFAULT '[]',
  first_seen   timestamptz NOT NULL DEFAULT now(),
  last_seen    timestamptz NOT NULL DEFAULT now()
);
