// UCUM (Schadow & McDonald, The Unified Code for Units of Measure, https://ucum.org/ucum) through the
// National Library of Medicine's implementation, @lhncbc/ucum-lhc.
import ucum from '@lhncbc/ucum-lhc';

const utils = ucum.UcumLhcUtils.getInstance();

export type Conversion = { ok: true; convert: (value: number) => number } | { ok: false; reason: string };

/**
 * Converts quantities between UCUM units, memoised per (from, to, molar mass): a bulk export repeats a handful
 * of units millions of times. Conversions that are affine (all but the logarithmic ones) become one multiply
 * and add; the rest call the UCUM library per value.
 */
export class UnitConverter {
  private readonly cache = new Map<string, Conversion>();

  conversion(from: string, to: string, molarMass?: number): Conversion {
    const key = `${from}\u0000${to}\u0000${molarMass ?? ''}`;
    let c = this.cache.get(key);
    if (c === undefined) {
      c = build(from, to, molarMass);
      this.cache.set(key, c);
    }
    return c;
  }

  /** Whether `unit` is a UCUM expression (for checking a mapping before any record is read). */
  static validate(unit: string): string | undefined {
    const r = utils.validateUnitString(unit);
    return r.status === 'valid'
      ? undefined
      : `"${unit}" is not a valid UCUM unit${r.msg[0] ? ` (${r.msg[0]})` : ''}`;
  }
}

function convertOne(from: string, value: number, to: string, molarMass?: number): number | string {
  const r = utils.convertUnitTo(from, value, to, { molecularWeight: molarMass ?? null });
  if (r.status === 'succeeded' && typeof r.toVal === 'number' && Number.isFinite(r.toVal)) return r.toVal;
  return r.msg.join(' ') || `cannot convert ${from} to ${to}`;
}

function build(from: string, to: string, molarMass?: number): Conversion {
  if (from === to) return { ok: true, convert: (v) => v };
  const at0 = convertOne(from, 0, to, molarMass);
  const at1 = convertOne(from, 1, to, molarMass);
  const at10 = convertOne(from, 10, to, molarMass);
  if (typeof at1 === 'string') return { ok: false, reason: at1 };
  if (typeof at0 === 'number' && typeof at10 === 'number') {
    const scale = at1 - at0;
    const predicted = at0 + 10 * scale;
    if (Math.abs(predicted - at10) <= 1e-9 * Math.max(1, Math.abs(at10))) {
      return { ok: true, convert: at0 === 0 ? (v) => v * scale : (v) => at0 + v * scale };
    }
  }
  return {
    ok: true,
    convert: (v) => {
      const r = convertOne(from, v, to, molarMass);
      return typeof r === 'number' ? r : Number.NaN;
    },
  };
}
