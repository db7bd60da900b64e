import type { LabelRule } from './schema.js';

/** A binary class, or the reason the value cannot be one (the row then becomes a bad row). */
export type LabelOutcome = { ok: true; label: 0 | 1 } | { ok: false; reason: string };

/** Builds the mapping from a label column's parsed value to the 0/1 training target. */
export function labelMapper(column: string, rule: LabelRule): (value: number) => LabelOutcome {
  switch (rule.kind) {
    case 'greaterThan':
      return (v) => ({ ok: true, label: v > rule.value ? 1 : 0 });
    case 'equals': {
      const positives = new Set(rule.values);
      return (v) => ({ ok: true, label: positives.has(v) ? 1 : 0 });
    }
    case 'binary':
      return (v) =>
        v === 0 || v === 1
          ? { ok: true, label: v }
          : { ok: false, reason: `label column "${column}": ${v} is not 0 or 1` };
  }
}
