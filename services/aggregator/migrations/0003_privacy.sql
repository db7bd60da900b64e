-- Differential privacy: each job's accountant (its recorded steps), the epsilon spent after each round, and the
-- record counts silos declared (rounded, treated as public) for the expected batch size.
ALTER TABLE jobs ADD COLUMN privacy_state jsonb;
ALTER TABLE rounds ADD COLUMN epsilon_spent double precision;
ALTER TABLE job_decisions ADD COLUMN declared_records integer NOT NULL DEFAULT 0;
