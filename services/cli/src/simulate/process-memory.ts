import { readFileSync } from 'node:fs';

/** VmHWM (peak resident set) of a live process, in MB; null when it is gone or /proc is not there. */
function highWaterMB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * The aggregator host's peak RSS and its enclave process's (the host's largest child: the enclave holds the
 * round's updates, the host only streams them through).
 */
export function peakRssMB(aggregatorPid: number | undefined): {
  aggregator: number | null;
  enclave: number | null;
} {
  if (aggregatorPid === undefined) return { aggregator: null, enclave: null };
  const children = childrenOf(aggregatorPid)
    .map((pid) => highWaterMB(pid))
    .filter((x): x is number => x !== null);
  return {
    aggregator: highWaterMB(aggregatorPid),
    enclave: children.length > 0 ? Math.max(...children) : null,
  };
}
