// Gateway load (issue 9, part 5), bounded: 200 Server-Sent Events watchers stay open while jobs are submitted at
// 50 per second, against real aggregator, gateway and silo processes on loopback. Shorter than the bench's 30 s
// (`npm run bench -- gateway --json`); the same code drives both.
import { readEnvironment } from '@cohort/config';
import { runGatewayLoad, type GatewayLoadReport } from '../services/cli/src/bench/gateway-load.js';
import { freshPostgresDatabase } from './support/federation.js';

const WATCHERS = 200;
const RATE = 50;
const SECONDS = 5;

// The load is the central deployment's: PostgreSQL. Embedded PGlite runs every query on the aggregator's own
// thread (15-30 ms each on a busy machine), which caps job intake far below 50/s whatever the gateway does.
const postgres = Boolean(readEnvironment().testDatabaseUrl);
if (!postgres) {
  process.stderr.write('gateway load test skipped: it needs PostgreSQL (set TEST_DATABASE_URL)\n');
}

(postgres ? describe : describe.skip)('the gateway under load', () => {
  let report: GatewayLoadReport;

  beforeAll(async () => {
    const db = await freshPostgresDatabase();
    try {
      report = await runGatewayLoad({
        durationMs: SECONDS * 1000,
        submissionsPerSecond: RATE,
        watchers: WATCHERS,
        researchers: 10,
        databaseUrl: db?.url,
        progress: (line) => process.stderr.write(`gateway load: ${line}\n`),
      });
    } finally {
      await db?.drop();
    }
  }, 400_000);

  it('answers every submission with 201, none refused or failed', () => {
    expect(report.submissions.errors).toEqual({});
    expect(report.submissions.attempted).toBe(RATE * SECONDS);
    expect(report.submissions.accepted).toBe(RATE * SECONDS);
    // The generator kept its schedule, so the rate offered really was RATE per second.
    expect(report.submissions.perSecondOffered).toBeGreaterThanOrEqual(RATE * 0.95);
  });

  it('keeps every watcher connected throughout, each receiving the job and then its cancellation', () => {
    expect(report.watchers.errors).toEqual({});
    expect(report.watchers.connected).toBe(WATCHERS);
    expect(report.watchers.heldToEnd).toBe(WATCHERS);
    expect(report.watchers.receivedEvents).toBe(WATCHERS);
    expect(report.watchers.sawCancellation).toBe(WATCHERS);
    // The first event of each stream is the job as it is, the last its cancellation.
    expect(report.watchers.eventsByType.status).toBe(2 * WATCHERS);
    // The gateway's own gauge saw them all open at once.
    expect(report.gateway.eventStreamsGaugeAtPeak).toBe(WATCHERS);
  });
});
