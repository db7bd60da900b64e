-- Job leases: several aggregator replicas share this database and each unfinished job is driven by exactly one of
-- them, the holder of its lease. The holder renews it by heartbeat; a lease past expires_at is free, and the next
-- replica to claim it resumes the job from its last completed round. Times are the database's clock (now()), so
-- replicas' clocks need not agree. generation counts the owners the job has had (a fencing number for logs).
CREATE TABLE job_leases (
  job_id       text        PRIMARY KEY REFERENCES jobs (id),
  owner        text        NOT NULL CHECK (owner <> ''),
  acquired_at  timestamptz NOT NULL DEFAULT now(),
  renewed_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  generation   integer     NOT NULL DEFAULT 1 CHECK (generation >= 1)
);
CREATE INDEX job_leases_owner_idx ON job_leases (owner);
