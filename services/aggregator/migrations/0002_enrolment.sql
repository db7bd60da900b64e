-- Enrolment: one-time join tokens (only their hash is kept) and each silo's identity key and status.
CREATE TABLE join_tokens (
  token_hash  text PRIMARY KEY,
  silo_name   text        NOT NULL,
  created_by  text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX join_tokens_silo_idx ON join_tokens (silo_name);

ALTER TABLE silos
  ADD COLUMN status          text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'enrolled', 'revoked')),
  ADD COLUMN public_key      bytea,
  ADD COLUMN key_fingerprint text,
  ADD COLUMN enrolled_at     timestamptz,
  ADD COLUMN revoked_at      timestamptz,
  ADD COLUMN revoke_reason   text;
