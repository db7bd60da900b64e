// The enclave process. Started by the aggregator host with fork(); talks only through the messages of
// enclave-protocol.ts on its IPC channel. Its keys are created in this process and are never sent anywhere.
import { parseArgs } from 'node:util';
import { InsecureDevAuthority } from '@cohort/attestation';
import { measureEnclave } from './bundle.js';
import { EnclaveCore, EnclaveError, type Attester } from './enclave-core.js';
import type { EnclaveMessage, EnclaveResponse } from './enclave-protocol.js';

async function createAttester(kind: string, authorityDir: string | undefined): Promise<Attester> {
  if (kind !== 'insecure-dev') throw new Error(`unknown attester "${kind}"`);
  if (!authorityDir) throw new Error('the insecure-dev attester needs --authority-dir');
  const authority = await InsecureDevAuthority.loadOrCreate(authorityDir);
  return {
    name: 'insecure-dev',
    insecureDev: true,
    issue: (evidence, audience) => authority.issue(evidence, audience),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { attester: { type: 'string', default: 'insecure-dev' }, 'authority-dir': { type: 'string' } },
  });
  const send = (message: EnclaveResponse): void => {
    process.send?.(message);
  };
  const core = await EnclaveCore.create(
    await measureEnclave(),
    await createAttester(values.attester ?? 'insecure-dev', values['authority-dir']),
  );
  // Requests run concurrently (opening a sealed update waits on crypto), but a round's release waits for every
  // update to that round received before it, so it can never overtake one.
  const inFlight = new Map<string, Set<Promise<unknown>>>();
  const roundKey = (jobId: string, round: number): string => `${jobId}#${round}`;
  process.on('message', (raw: EnclaveMessage) => {
    void (async () => {
      try {
        const r = raw.request;
        switch (r.type) {
          case 'describe':
            return send({ id: raw.id, ok: true, reply: core.describe() });
          case 'attest':
            return send({ id: raw.id, ok: true, reply: { token: await core.attest(r.nonce, r.audience) } });
          case 'open-round':
            core.openRound(r.jobId, r.round, r.parameterCount, r.dp, r.rule, r.encoding);
            return send({ id: raw.id, ok: true, reply: { opened: true } });
          case 'add-update': {
            const k = roundKey(r.jobId, r.round);
            const pending = inFlight.get(k) ?? new Set<Promise<unknown>>();
            inFlight.set(k, pending);
            const work = core.addUpdate(r);
            pending.add(work);
            try {
              return send({ id: raw.id, ok: true, reply: await work });
            } finally {
              pending.delete(work);
            }
          }
          case 'release': {
            await Promise.allSettled([...(inFlight.get(roundKey(r.jobId, r.round)) ?? [])]);
            inFlight.delete(roundKey(r.jobId, r.round));
            return send({ id: raw.id, ok: true, reply: core.release(r.jobId, r.round) });
          }
          case 'discard-round':
            inFlight.delete(roundKey(r.jobId, r.round));
            return send({ id: raw.id, ok: true, reply: { discarded: core.discard(r.jobId, r.round) } });
        }
      } catch (err) {
        const code = err instanceof EnclaveError ? err.code : 'ENCLAVE_INTERNAL';
        send({ id: raw.id, ok: false, error: { code, message: (err as Error).message } });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  send({ id: 0, ok: true, reply: core.describe() });
}

main().catch((err: unknown) => {
  process.stderr.write(`enclave failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
