import { loadCsvDataset, type SiloDataset } from '@cohort/data';
import { fhirMappingFromProto, loadFhirDataset, parseFhirMapping } from '@cohort/fhir';
import { initialWeights } from '@cohort/model';
import type { JobSpec, Metrics } from '@cohort/protocol';
import { binaryMetrics } from '@cohort/evaluation';
import { evaluateModel, trainPooled } from '@cohort/training';
import type { SiloConfig } from '../../../silo-agent/src/config.js';

export interface MetricSummary {
  accuracy: number;
  /** null when undefined: a test set with a single class has no AUC. */
  auc: number | null;
  loss: number;
  examples: number;
}

export function summarise(m: Metrics): MetricSummary {
  return {
    accuracy: round(m.accuracy),
    auc: typeof m.auc === 'number' && Number.isFinite(m.auc) ? round(m.auc) : null,
    loss: round(m.loss),
    examples: m.examples,
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Each silo's data exactly as its agent sees it (same file or export, schema or mapping, split and standardisation). */
export async function loadSiloData(configs: SiloConfig[], spec: JobSpec): Promise<Map<string, SiloDataset>> {
  const out = new Map<string, SiloDataset>();
  for (const c of configs) {
    const dataset = c.datasets.find((d) => d.id === spec.dataset?.id);
    if (!dataset) continue;
    const features = spec.dataset?.features ?? [];
    const fhir = spec.dataset?.fhir;
    if (dataset.format === 'fhir') {
      if (!fhir)
        throw new Error(`dataset "${dataset.id}" of ${c.siloId} is a FHIR export and the job has no mapping`);
      const mapping = parseFhirMapping(fhirMappingFromProto(fhir));
      out.set(c.siloId, await loadFhirDataset(dataset, features, mapping, { baseDir: c.baseDir }));
    } else {
      out.set(c.siloId, await loadCsvDataset(dataset, features, { baseDir: c.baseDir }));
    }
  }
  return out;
}

function concat(parts: { x: Float32Array; y: Float32Array; n: number; d: number }[]) {
  const d = parts[0]?.d ?? 0;
  const n = parts.reduce((a, p) => a + p.n, 0);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  let row = 0;
  for (const p of parts) {
    x.set(p.x, row * d);
    y.set(p.y, row);
    row += p.n;
  }
  return { x, y, n, d };
}

export async function evaluateOn(
  spec: JobSpec,
  weights: Float32Array,
  data: Map<string, SiloDataset>,
): Promise<{ union: MetricSummary; perSilo: Record<string, MetricSummary> }> {
  const model = spec.model ?? { template: 'logreg', hiddenUnits: [] };
  const union = concat([...data.values()].map((s) => s.test));
  const perSilo: Record<string, MetricSummary> = {};
  for (const [siloId, s] of data) {
    const r = await evaluateModel(model, s.test.d, weights, s.test);
    perSilo[siloId] = summarise(binaryMetrics(r.scores, r.labels));
  }
  const u = await evaluateModel(model, union.d, weights, union);
  return { union: summarise(binaryMetrics(u.scores, u.labels)), perSilo };
}

/**
 * The centralised comparison: the same model, initial weights and preprocessing, trained on the union of the
 * silos' training sets for as many epochs as the federation ran rounds.
 */
export async function pooledBaseline(spec: JobSpec, data: Map<string, SiloDataset>): Promise<Float32Array> {
  const model = spec.model ?? { template: 'logreg', hiddenUnits: [] };
  const train = concat([...data.values()].map((s) => s.train));
  const local = spec.local ?? { epochs: 1, batchSize: 32, learningRate: 0.1 };
  const init = initialWeights(model, train.d, spec.seed);
  return (await trainPooled(model, train.d, init, train, { ...local, seed: spec.seed }, spec.rounds)).weights;
}
