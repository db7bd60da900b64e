-- Updates that arrived after their round had closed (refused with UPDATE_LATE), counted per round.
ALTER TABLE rounds ADD COLUMN late_updates integer NOT NULL DEFAULT 0 CHECK (late_updates >= 0);
