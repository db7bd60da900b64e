// The JSON a site admin reads for silos: the SiloInfo message with proto3's "unset" zeros and empty strings
// (a silo that has not enrolled has no enrolment time and no key) turned into explicit nulls, and times also given
// as ISO 8601 for people reading the JSON by eye.
import type { ListSilosResponse, SiloInfo, SiloInvitation } from '@cohort/protocol';

export interface SiloView {
  siloId: string;
  /** "invited" | "enrolled" | "revoked", passed through as is so a newer aggregator's status is not hidden. */
  status: string;
  connected: boolean;
  /** 0 when the silo has never connected. */
  lastSeenUnixMs: number;
  datasetIds: string[];
  /** null until the silo has enrolled. */
  enrolledAtUnixMs: number | null;
  enrolledAt: string | null;
  /** SHA-256 (hex) of the silo's identity public key, to compare out of band; null until it has enrolled. */
  keyFingerprint: string | null;
}

export interface SiloListView {
  silos: SiloView[];
}

/** The answer to an invitation: the join token is shown this once and never again. */
export interface SiloInvitationView {
  siloName: string;
  joinToken: string;
  expiresAt: string;
  expiresAtUnixMs: number;
}

function isoOrNull(unixMs: number): string | null {
  return unixMs > 0 ? new Date(unixMs).toISOString() : null;
}

export function toSiloView(silo: SiloInfo): SiloView {
  const enrolledAtUnixMs = silo.enrolledAtUnixMs > 0 ? silo.enrolledAtUnixMs : null;
  return {
    siloId: silo.siloId,
    status: silo.status,
    connected: silo.connected,
    lastSeenUnixMs: silo.lastSeenUnixMs,
    datasetIds: [...(silo.datasetIds ?? [])],
    enrolledAtUnixMs,
    enrolledAt: isoOrNull(silo.enrolledAtUnixMs),
    keyFingerprint: silo.keyFingerprint ? silo.keyFingerprint : null,
  };
}

export function toSiloListView(response: ListSilosResponse): SiloListView {
  return { silos: (response.silos ?? []).map(toSiloView) };
}

export function toSiloInvitationView(invitation: SiloInvitation): SiloInvitationView {
  return {
    siloName: invitation.siloName,
    joinToken: invitation.joinToken,
    expiresAt: new Date(invitation.expiresAtUnixMs).toISOString(),
    expiresAtUnixMs: invitation.expiresAtUnixMs,
  };
}
