import { peerCommonName as verifiedPeerName, type CallWithAuthContext } from '@cohort/pki';

/** The gRPC call a handler received (Nest passes it as the third argument), when there is one. */
export type CallLike = CallWithAuthContext | undefined;

/** The name on the caller's client certificate, when the TLS layer verified it against the federation's CA. */
export function peerCommonName(call: CallLike): string | undefined {
  return call ? (verifiedPeerName(call) ?? undefined) : undefined;
}
