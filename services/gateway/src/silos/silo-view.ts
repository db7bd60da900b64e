import type { ListSilosResponse, SiloInfo } from '@cohort/protocol';

export interface SiloListView {
  silos: SiloInfo[];
}

export function toSiloListView(response: ListSilosResponse): SiloListView {
  return {
    silos: response.silos.map((s) => ({
      siloId: s.siloId,
      connected: s.connected,
      lastSeenUnixMs: s.lastSeenUnixMs,
      datasetIds: [...s.datasetIds],
    })),
  };
}
