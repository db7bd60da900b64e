// Streams a FHIR R4 Bulk Data export (HL7 FHIR Bulk Data Access IG v2) into one row per patient, computed by a
// job's feature mapping. Memory holds the patient index, the encounter index and a few numbers per patient and
// feature; resources pass through one at a time, so the export's size beyond that does not matter.
import { basename } from 'node:path';
import { UCUM, tokenOf, type FhirResourceType } from './codes.js';
import { BadInputLog, type BadInput, type BadInputKind } from './bad-input.js';
import { ageInYears, fhirDay } from './dates.js';
import { FhirError } from './errors.js';
import { listExportFiles } from './export-files.js';
import type { FhirMapping } from './mapping.schema.js';
import { IdIndex } from './id-index.js';
import { forEachLine } from './ndjson-reader.js';
import { UnitConverter } from './ucum.js';

type Aggregate = 'latest' | 'mean' | 'min' | 'max' | 'count' | 'present';

/** A feature or the label, as far as it reads events (Observations, Conditions, medications, encounters). */
interface Target {
  name: string;
  /** The feature's column, or -1 for the label. */
  column: number;
  aggregate: Aggregate;
  /** Days before the index date an event may lie (Infinity: any) and after it (the label's horizon). */
  lookback: number;
  horizon: number;
  unit?: string;
  molarMass?: number;
  valueMap?: Map<string, number>;
  /** Per patient: the running value (latest, sum, min or max), the day of the latest, the event count. */
  value: Float64Array;
  day: Float64Array;
  count: Uint32Array;
}

export interface FhirFileSummary {
  file: string;
  resourceType: FhirResourceType;
  lines: number;
}

/** Counts and bad-input locations: for the hospital's operator, never sent off-site as is. */
export interface FhirMapReport {
  files: FhirFileSummary[];
  skippedFiles: string[];
  resourcesRead: number;
  /** Resources that contributed to a feature, the label or an index date. */
  resourcesUsed: number;
  /** Entered in error, refuted, cancelled or without a value: left out by FHIR's own statuses, not bad input. */
  resourcesExcluded: number;
  patients: number;
  rows: number;
  /** Patients left out because the index date could not be set (no encounter under "lastEncounter"). */
  noIndexDate: number;
  /** Patients left out because the label could not be computed (no matching Observation in the window). */
  unlabelled: number;
  badInput: Record<BadInputKind, number>;
  badInputTotal: number;
  /** The first few of each kind, with file and line. */
  badInputSamples: BadInput[];
  /** Patients with a value, per feature (before imputation). */
  observed: Record<string, number>;
}

export interface MappedExport {
  /** One row per patient kept, in Patient file order; NaN marks a missing value. */
  rows: Float64Array[];
  labels: number[];
  features: string[];
  /** Per feature: imputed by mean ("number") or mode ("integer"). */
  types: ('number' | 'integer')[];
  report: FhirMapReport;
}

interface PatientTable {
  index: Map<string, number>;
  birthDay: number[];
  sex: number[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The id a reference names, for references of `type` ("Patient/1", ".../fhir/Patient/1/_history/2"). */
function referencedId(ref: unknown, type: string): string | undefined {
  if (!isObject(ref) || typeof ref.reference !== 'string') return undefined;
  return idInReference(ref.reference, type);
}

function idInReference(reference: string, type: string): string | undefined {
  // The last "<type>/" that starts a path segment; the id runs to the next "/" (".../Patient/1/_history/2").
  const at = reference.lastIndexOf(`${type}/`);
  if (at < 0 || (at > 0 && reference.charCodeAt(at - 1) !== 47)) return undefined;
  const start = at + type.length + 1;
  const end = reference.indexOf('/', start);
  const id = end < 0 ? reference.slice(start) : reference.slice(start, end);
  return id === '' ? undefined : id;
}

function codings(cc: unknown): { system: string; code: string }[] {
  if (!isObject(cc) || !Array.isArray(cc.coding)) return [];
  const out: { system: string; code: string }[] = [];
  for (const c of cc.coding as unknown[]) {
    if (isObject(c) && typeof c.system === 'string' && typeof c.code === 'string')
      out.push({ system: c.system, code: c.code });
  }
  return out;
}

function firstCode(cc: unknown): string {
  const c = codings(cc)[0];
  return c === undefined ? '(no coding)' : tokenOf(c.system, c.code);
}

const RESOURCE_TYPE = /"resourceType"\s*:\s*"([^"]*)"/;
const ID = /"id"\s*:\s*"([^"]*)"/;
const SUBJECT = /"(?:subject|patient)"\s*:\s*\{\s*"reference"\s*:\s*"([^"]*)"/;
const ENCOUNTER = /"encounter"\s*:\s*\{\s*"reference"\s*:\s*"([^"]*)"/;

const GENDERS: Record<string, number> = { male: 1, female: 0, other: Number.NaN, unknown: Number.NaN };

export interface MapExportOptions {
  /** Samples of bad input kept per kind. */
  samplesPerKind?: number;
}

/**
 * Reads every Patient, Encounter, Observation, Condition and MedicationStatement file of the export in `dir`
 * and computes the mapping's features and label per patient. Bad input is counted and left out, never thrown;
 * only an unreadable folder or file, or an export with no Patient file, throws FhirError.
 */
export async function mapBulkExport(
  dir: string,
  mapping: FhirMapping,
  features: readonly string[],
  opts: MapExportOptions = {},
): Promise<MappedExport> {
  const files = await listExportFiles(dir);
  if (files.byType.Patient.length === 0) {
    throw new FhirError(
      'FHIR_NO_PATIENTS',
      `the FHIR export in ${dir} has no Patient file (Patient.ndjson or Patient.ndjson.gz)`,
    );
  }
  const byName = new Map(mapping.features.map((f) => [f.name, f]));
  const specs = features.map((name) => {
    const f = byName.get(name);
    if (f === undefined)
      throw new FhirError('FHIR_MAPPING_INVALID', `the mapping does not define feature "${name}"`);
    return f;
  });
  const bad = new BadInputLog(opts.samplesPerKind ?? 5);
  const units = new UnitConverter();
  const summaries: FhirFileSummary[] = [];
  let resourcesRead = 0;
  let resourcesUsed = 0;
  let resourcesExcluded = 0;

  /** Parses a line and checks its resource type; undefined (and counted) when it is not a usable resource. */
  const resourceOf = (text: string, type: FhirResourceType, file: string, line: number): Json | undefined => {
    resourcesRead++;
    let r: unknown;
    try {
      r = JSON.parse(text);
    } catch (err) {
      bad.add('invalid-json', file, line, (err as Error).message);
      return undefined;
    }
    if (!isObject(r)) {
      bad.add('invalid-json', file, line, 'the line is JSON but not an object');
      return undefined;
    }
    if (r.resourceType !== type) {
      bad.add(
        'wrong-resource-type',
        file,
        line,
        `resourceType ${JSON.stringify(r.resourceType ?? null)} in a file of ${type} resources`,
      );
      return undefined;
    }
    if (typeof r.id !== 'string' || r.id === '') {
      bad.add('invalid-resource', file, line, `${type} has no id`);
      return undefined;
    }
    return r;
  };

  const readAll = async (
    type: FhirResourceType,
    onResource: (r: Json, file: string, line: number) => void,
    skim?: (text: string, file: string, line: number) => boolean,
  ) => {
    for (const path of files.byType[type]) {
      const file = basename(path);
      const lines = await forEachLine(path, (text, line) => {
        if (skim?.(text, file, line)) return;
        const r = resourceOf(text, type, file, line);
        if (r !== undefined) onResource(r, file, line);
      });
      summaries.push({ file: path, resourceType: type, lines });
    }
  };

  // Patients: the rows, in file order (so a split of the same export is the same split).
  const patients: PatientTable = { index: new Map(), birthDay: [], sex: [] };
  await readAll('Patient', (r, file, line) => {
    const id = r.id as string;
    if (patients.index.has(id)) {
      bad.add('duplicate-id', file, line, `Patient/${id} appears again; the first one is kept`);
      return;
    }
    let birth = Number.NaN;
    if (r.birthDate !== undefined) {
      const day = fhirDay(r.birthDate);
      if (day === undefined)
        bad.add('invalid-date', file, line, `Patient/${id}.birthDate is not a FHIR date`);
      else birth = day;
    }
    let sex = Number.NaN;
    if (r.gender !== undefined) {
      if (typeof r.gender === 'string' && r.gender in GENDERS) sex = GENDERS[r.gender];
      else
        bad.add(
          'unknown-code',
          file,
          line,
          `Patient/${id}.gender is not one of male, female, other, unknown`,
        );
    }
    patients.index.set(id, patients.birthDay.length);
    patients.birthDay.push(birth);
    patients.sex.push(sex);
    resourcesUsed++;
  });
  const n = patients.birthDay.length;
  if (n === 0) {
    throw new FhirError(
      'FHIR_NO_PATIENTS',
      `no usable Patient resource in ${files.byType.Patient.join(', ')} (${bad.total} bad lines; first: ${describeFirst(bad)})`,
    );
  }

  const newTarget = (
    name: string,
    column: number,
    aggregate: Aggregate,
    lookbackDays: number | undefined,
    horizonDays: number,
    extra: {
      unit?: string;
      molarMass?: number;
      valueMap?: { system: string; code: string; value: number }[];
    } = {},
  ): Target => ({
    name,
    column,
    aggregate,
    lookback: lookbackDays ?? Number.POSITIVE_INFINITY,
    horizon: horizonDays,
    unit: extra.unit,
    molarMass: extra.molarMass,
    valueMap: extra.valueMap
      ? new Map(extra.valueMap.map((v) => [tokenOf(v.system, v.code), v.value]))
      : undefined,
    value: new Float64Array(n).fill(Number.NaN),
    day: new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
    count: new Uint32Array(n),
  });

  const byCode: Record<
    'Observation' | 'Condition' | 'MedicationStatement' | 'Encounter',
    Map<string, Target[]>
  > = {
    Observation: new Map(),
    Condition: new Map(),
    MedicationStatement: new Map(),
    Encounter: new Map(),
  };
  const everyEncounter: Target[] = [];
  const targets: Target[] = [];
  const index = (
    type: keyof typeof byCode,
    codes: readonly { system: string; code: string }[],
    t: Target,
  ) => {
    for (const c of codes) {
      const key = tokenOf(c.system, c.code);
      const list = byCode[type].get(key);
      if (list === undefined) byCode[type].set(key, [t]);
      else if (!list.includes(t)) list.push(t);
    }
  };
  specs.forEach((f, column) => {
    if (f.source === 'patient') return;
    const t = newTarget(f.name, column, f.aggregate, f.lookbackDays, 0, f.source === 'observation' ? f : {});
    targets.push(t);
    if (f.source === 'observation') index('Observation', f.codes, t);
    else if (f.source === 'condition') index('Condition', f.codes, t);
    else if (f.source === 'medication') index('MedicationStatement', f.codes, t);
    else if (f.codes === undefined) everyEncounter.push(t);
    else index('Encounter', f.codes, t);
  });
  const labelSpec = mapping.label;
  const label = newTarget(
    'label',
    -1,
    labelSpec.kind === 'condition' ? 'present' : labelSpec.aggregate,
    labelSpec.lookbackDays,
    labelSpec.horizonDays,
    labelSpec.kind === 'observation' ? labelSpec : {},
  );
  index(labelSpec.kind === 'condition' ? 'Condition' : 'Observation', labelSpec.codes, label);

  // Index dates: one for all, or each patient's latest encounter (read before any window is applied).
  const indexDay = new Float64Array(n).fill(Number.NaN);
  const fixed = mapping.indexDate.kind === 'fixed' ? fhirDay(mapping.indexDate.date) : undefined;
  if (fixed !== undefined) indexDay.fill(fixed);

  /**
   * Each Encounter's patient (-1: none in the export) and where it first appears, to catch resources whose
   * encounter is another patient's and to count a repeated id once; typed arrays, not a Map, so it stays small.
   */
  const encounters = new IdIndex(1024);
  const subjectOf = (r: Json, type: string, file: string, line: number): number | undefined => {
    const ref = r.subject ?? r.patient;
    const id = referencedId(ref, 'Patient');
    if (id === undefined) {
      bad.add(
        ref === undefined ? 'invalid-resource' : 'dangling-reference',
        file,
        line,
        ref === undefined
          ? `${type}/${String(r.id)} has no subject`
          : `${type}/${String(r.id)}.subject is not a Patient reference`,
      );
      return undefined;
    }
    const p = patients.index.get(id);
    if (p === undefined) {
      bad.add(
        'dangling-reference',
        file,
        line,
        `${type}/${String(r.id)}.subject: Patient/${id} is not in the export`,
      );
    }
    return p;
  };

  const encounterCodes = (r: Json): { system: string; code: string }[] => {
    const out = Array.isArray(r.type) ? (r.type as unknown[]).flatMap(codings) : [];
    // R4's Encounter.class is a Coding, not a CodeableConcept.
    if (isObject(r.class) && typeof r.class.system === 'string' && typeof r.class.code === 'string') {
      out.push({ system: r.class.system, code: r.class.code });
    }
    return out;
  };
  const encounterStart = (r: Json): number | undefined =>
    isObject(r.period) ? fhirDay(r.period.start) : undefined;

  const encounterFiles = files.byType.Encounter.map((path) => basename(path));
  await readAll('Encounter', (r, file, line) => {
    const id = r.id as string;
    const encounterFile = encounterFiles.indexOf(file);
    if (encounters.positionOf(id) !== undefined) {
      bad.add('duplicate-id', file, line, `Encounter/${id} appears again; the first one is kept`);
      return;
    }
    const p = subjectOf(r, 'Encounter', file, line);
    encounters.add(id, p ?? -1, encounterFile * 2 ** 32 + line);
    if (p === undefined) return;
    if (r.status === 'entered-in-error' || r.status === 'cancelled') {
      resourcesExcluded++;
      return;
    }
    const start = encounterStart(r);
    if (start === undefined) {
      bad.add('invalid-date', file, line, `Encounter/${id}.period.start is missing or not a FHIR date`);
      return;
    }
    if (mapping.indexDate.kind === 'lastEncounter') {
      if (!(indexDay[p] >= start)) indexDay[p] = start;
      resourcesUsed++;
    }
  });

  /** Adds one event (with its value, for value aggregates) to a target, if it falls in the patient's window. */
  const record = (t: Target, p: number, day: number, value: number): boolean => {
    const at = indexDay[p];
    if (!(day >= at - t.lookback && day <= at + t.horizon)) return false;
    t.count[p]++;
    switch (t.aggregate) {
      case 'latest':
        // Ties go to the later line, so the result depends only on the export, not on a sort.
        if (day >= t.day[p]) {
          t.day[p] = day;
          t.value[p] = value;
        }
        break;
      case 'mean':
        t.value[p] = t.count[p] === 1 ? value : t.value[p] + value;
        break;
      case 'min':
        if (!(t.value[p] <= value)) t.value[p] = value;
        break;
      case 'max':
        if (!(t.value[p] >= value)) t.value[p] = value;
        break;
      default:
        break;
    }
    return true;
  };

  // Encounter features count encounters in the window; under "lastEncounter" the window is known only now.
  const encounterTargets = everyEncounter.length > 0 || byCode.Encounter.size > 0;
  if (encounterTargets) {
    for (const [fileIndex, path] of files.byType.Encounter.entries()) {
      await forEachLine(path, (text, line) => {
        let r: unknown;
        try {
          r = JSON.parse(text);
        } catch {
          return; // counted in the first pass
        }
        if (!isObject(r) || r.resourceType !== 'Encounter' || typeof r.id !== 'string') return;
        // Only the occurrence the first pass kept, not a repeated id.
        if (encounters.positionOf(r.id) !== fileIndex * 2 ** 32 + line) return;
        const p = encounters.patientOf(r.id) ?? -1;
        if (p < 0 || r.status === 'entered-in-error' || r.status === 'cancelled') return;
        const start = encounterStart(r);
        if (start === undefined) return;
        let used = false;
        for (const t of everyEncounter) used = record(t, p, start, 1) || used;
        for (const c of encounterCodes(r)) {
          for (const t of byCode.Encounter.get(tokenOf(c.system, c.code)) ?? [])
            used = record(t, p, start, 1) || used;
        }
        if (used) resourcesUsed++;
      });
    }
  }

  /** Encounter `e` (undefined: the reference names none) must be in the export and patient p's, as `where` says. */
  const encounterOf = (
    e: string | undefined,
    p: number,
    where: string,
    file: string,
    line: number,
  ): boolean => {
    const owner = e === undefined ? undefined : encounters.patientOf(e);
    if (e === undefined || owner === undefined || owner < 0) {
      bad.add('dangling-reference', file, line, `${where}.encounter is not an Encounter in the export`);
      return false;
    }
    if (owner !== p) {
      bad.add(
        'mismatched-reference',
        file,
        line,
        `${where}: Encounter/${e} belongs to another patient than its subject`,
      );
      return false;
    }
    return true;
  };

  /** The encounter a resource names must be its subject's. */
  const encounterMatches = (r: Json, type: string, p: number, file: string, line: number): boolean =>
    r.encounter === undefined ||
    encounterOf(referencedId(r.encounter, 'Encounter'), p, `${type}/${String(r.id)}`, file, line);

  type Problem = { kind: BadInputKind; detail: string };
  /** The number an Observation's value stands for under a target (NaN: it has none), or what is wrong with it. */
  const valueFor = (t: Target, r: Json): number | Problem => {
    const where = `Observation/${String(r.id)}`;
    if (r.valueQuantity !== undefined) {
      const q = r.valueQuantity;
      if (!isObject(q) || typeof q.value !== 'number' || !Number.isFinite(q.value)) {
        return { kind: 'invalid-resource', detail: `${where}.valueQuantity.value is not a number` };
      }
      const code = typeof q.code === 'string' && q.code !== '' ? q.code : undefined;
      if (t.unit === undefined) {
        if (code !== undefined && code !== '1') {
          return {
            kind: 'invalid-unit',
            detail: `${where} is in "${code}" but the mapping of "${t.name}" names no unit`,
          };
        }
        return q.value;
      }
      if (code === undefined) {
        return {
          kind: 'missing-unit',
          detail: `${where}.valueQuantity has no UCUM code ("${t.name}" is in ${t.unit})`,
        };
      }
      if (q.system !== undefined && q.system !== UCUM) {
        return {
          kind: 'invalid-unit',
          detail: `${where}.valueQuantity.system is ${JSON.stringify(q.system)}, not UCUM`,
        };
      }
      const c = units.conversion(code, t.unit, t.molarMass);
      if (!c.ok)
        return {
          kind: 'invalid-unit',
          detail: `${where}: "${code}" cannot be converted to ${t.unit} (${c.reason})`,
        };
      return c.convert(q.value);
    }
    if (typeof r.valueInteger === 'number' && Number.isInteger(r.valueInteger)) return r.valueInteger;
    if (typeof r.valueBoolean === 'boolean') return r.valueBoolean ? 1 : 0;
    if (r.valueCodeableConcept !== undefined) {
      for (const c of codings(r.valueCodeableConcept)) {
        const v = t.valueMap?.get(tokenOf(c.system, c.code));
        if (v !== undefined) return v;
      }
      return {
        kind: 'unknown-code',
        detail: `${where}.valueCodeableConcept ${firstCode(r.valueCodeableConcept)} is not in the valueMap of "${t.name}"`,
      };
    }
    if (r.valueInteger !== undefined || r.valueBoolean !== undefined) {
      return { kind: 'invalid-resource', detail: `${where} has a value of the wrong JSON type` };
    }
    // valueString, valueRange… or no value at all: none of these is a number the mapping could use.
    return Number.NaN;
  };

  /**
   * Most of an export is codes no feature reads. Such a line is not parsed: it is checked for framing, type and
   * references with patterns over its text, and left. A line carrying a mapped code, a backslash (an escape the
   * patterns would misread) or an unusual layout the patterns do not find takes the full path (JSON.parse).
   */
  const mappedCodes = new Set<string>();
  for (const type of ['Observation', 'Condition', 'MedicationStatement'] as const) {
    for (const key of byCode[type].keys()) mappedCodes.add(`"${key.slice(key.lastIndexOf('|') + 1)}"`);
  }
  // A quoted code anywhere in the line sends it down the parsing path: a superset of the lines that match.
  const quotedCodes = [...mappedCodes];
  const skimmer =
    (type: FhirResourceType) =>
    (text: string, file: string, line: number): boolean => {
      if (text.includes('\\')) return false;
      for (const quoted of quotedCodes) if (text.includes(quoted)) return false;
      const resourceType = RESOURCE_TYPE.exec(text)?.[1];
      const subject = SUBJECT.exec(text)?.[1];
      const encounter = text.includes('"encounter"') ? ENCOUNTER.exec(text)?.[1] : null;
      const framed = text.trimStart().startsWith('{') && text.trimEnd().endsWith('}');
      if (framed && (resourceType === undefined || subject === undefined || encounter === undefined))
        return false;
      resourcesRead++;
      const id = ID.exec(text)?.[1] ?? '?';
      if (!framed) {
        bad.add(
          'invalid-json',
          file,
          line,
          'the line is not a JSON object (it does not start with { and end with })',
        );
      } else if (resourceType !== type) {
        bad.add(
          'wrong-resource-type',
          file,
          line,
          `resourceType ${JSON.stringify(resourceType)} in a file of ${type} resources`,
        );
      } else {
        const pid = idInReference(subject ?? '', 'Patient');
        const p = pid === undefined ? undefined : patients.index.get(pid);
        if (p === undefined) {
          bad.add(
            'dangling-reference',
            file,
            line,
            `${type}/${id}.subject: ${subject ?? ''} is not a Patient in the export`,
          );
        } else if (typeof encounter === 'string') {
          encounterOf(idInReference(encounter, 'Encounter'), p, `${type}/${id}`, file, line);
        }
      }
      return true;
    };

  const EXCLUDED_OBSERVATION = new Set(['entered-in-error', 'cancelled', 'registered']);
  await readAll(
    'Observation',
    (r, file, line) => {
      const p = subjectOf(r, 'Observation', file, line);
      if (p === undefined || !encounterMatches(r, 'Observation', p, file, line)) return;
      const codes = codings(r.code);
      if (codes.length === 0) {
        bad.add('invalid-resource', file, line, `Observation/${String(r.id)}.code has no coding`);
        return;
      }
      let matched: Target[] | undefined;
      for (const c of codes) {
        const list = byCode.Observation.get(tokenOf(c.system, c.code));
        if (list !== undefined) matched = matched === undefined ? list : [...new Set([...matched, ...list])];
      }
      if (matched === undefined) return;
      if (typeof r.status === 'string' && EXCLUDED_OBSERVATION.has(r.status)) {
        resourcesExcluded++;
        return;
      }
      const day = fhirDay(
        r.effectiveDateTime ??
          r.effectiveInstant ??
          (isObject(r.effectivePeriod) ? r.effectivePeriod.start : undefined) ??
          r.issued,
      );
      if (day === undefined) {
        bad.add('invalid-date', file, line, `Observation/${String(r.id)} has no effective date`);
        return;
      }
      // A resource with a bad value is used for nothing (not even counted), and is one piece of bad input however
      // many features read it.
      const values = new Float64Array(matched.length);
      for (let i = 0; i < matched.length; i++) {
        if (matched[i].aggregate === 'count') continue;
        const v = valueFor(matched[i], r);
        if (typeof v !== 'number') {
          bad.add(v.kind, file, line, v.detail);
          return;
        }
        values[i] = v;
      }
      let used = false;
      let noValue = false;
      matched.forEach((t, i) => {
        if (t.aggregate === 'count') used = record(t, p, day, 1) || used;
        else if (Number.isNaN(values[i])) noValue = true;
        else used = record(t, p, day, values[i]) || used;
      });
      if (used) resourcesUsed++;
      else if (noValue) resourcesExcluded++;
    },
    skimmer('Observation'),
  );

  const EXCLUDED_VERIFICATION = new Set(['entered-in-error', 'refuted']);
  const readEvents = (type: 'Condition' | 'MedicationStatement') =>
    readAll(
      type,
      (r, file, line) => {
        const p = subjectOf(r, type, file, line);
        if (p === undefined || !encounterMatches(r, type, p, file, line)) return;
        const concept = type === 'Condition' ? r.code : r.medicationCodeableConcept;
        let matched: Target[] | undefined;
        for (const c of codings(concept)) {
          const list = byCode[type].get(tokenOf(c.system, c.code));
          if (list !== undefined)
            matched = matched === undefined ? list : [...new Set([...matched, ...list])];
        }
        if (matched === undefined) return;
        const verification = codings(r.verificationStatus)[0]?.code;
        if (
          (verification !== undefined && EXCLUDED_VERIFICATION.has(verification)) ||
          r.status === 'entered-in-error' ||
          r.status === 'not-taken'
        ) {
          resourcesExcluded++;
          return;
        }
        const when =
          type === 'Condition'
            ? (r.onsetDateTime ??
              (isObject(r.onsetPeriod) ? r.onsetPeriod.start : undefined) ??
              r.recordedDate)
            : (r.effectiveDateTime ??
              (isObject(r.effectivePeriod) ? r.effectivePeriod.start : undefined) ??
              r.dateAsserted);
        const day = fhirDay(when);
        if (day === undefined) {
          bad.add(
            'invalid-date',
            file,
            line,
            `${type}/${String(r.id)} has no onset, effective or recorded date`,
          );
          return;
        }
        let used = false;
        for (const t of matched) used = record(t, p, day, 1) || used;
        if (used) resourcesUsed++;
      },
      skimmer(type),
    );

  await readEvents('Condition');
  await readEvents('MedicationStatement');

  // Rows: patients with an index date and a label, in Patient file order.
  const d = specs.length;
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  const observed: Record<string, number> = Object.fromEntries(features.map((f) => [f, 0]));
  let noIndexDate = 0;
  let unlabelled = 0;
  for (let p = 0; p < n; p++) {
    if (Number.isNaN(indexDay[p])) {
      noIndexDate++;
      continue;
    }
    const y = labelValue(labelSpec, label, p);
    if (y === undefined) {
      unlabelled++;
      continue;
    }
    const row = new Float64Array(d);
    specs.forEach((f, j) => {
      if (f.source === 'patient') {
        row[j] =
          f.field === 'sex'
            ? patients.sex[p]
            : Number.isNaN(patients.birthDay[p])
              ? Number.NaN
              : ageInYears(patients.birthDay[p], indexDay[p]);
      }
    });
    for (const t of targets) row[t.column] = featureValue(t, p);
    for (let j = 0; j < d; j++) if (!Number.isNaN(row[j])) observed[features[j]]++;
    rows.push(row);
    labels.push(y);
  }

  return {
    rows,
    labels,
    features: [...features],
    types: specs.map((f) => f.type),
    report: {
      files: summaries,
      skippedFiles: files.skipped,
      resourcesRead,
      resourcesUsed,
      resourcesExcluded,
      patients: n,
      rows: rows.length,
      noIndexDate,
      unlabelled,
      badInput: { ...bad.counts },
      badInputTotal: bad.total,
      badInputSamples: bad.samples,
      observed,
    },
  };
}

function featureValue(t: Target, p: number): number {
  switch (t.aggregate) {
    case 'count':
      return t.count[p];
    case 'present':
      return t.count[p] > 0 ? 1 : 0;
    case 'mean':
      return t.count[p] === 0 ? Number.NaN : t.value[p] / t.count[p];
    default:
      return t.count[p] === 0 ? Number.NaN : t.value[p];
  }
}

function labelValue(spec: FhirMapping['label'], t: Target, p: number): number | undefined {
  if (spec.kind === 'condition') return t.count[p] > 0 ? 1 : 0;
  const v = featureValue(t, p);
  if (Number.isNaN(v)) return undefined;
  switch (spec.operator) {
    case 'greaterThan':
      return v > spec.value ? 1 : 0;
    case 'atLeast':
      return v >= spec.value ? 1 : 0;
    case 'lessThan':
      return v < spec.value ? 1 : 0;
    default:
      return v <= spec.value ? 1 : 0;
  }
}

function describeFirst(bad: BadInputLog): string {
  const s = bad.samples[0];
  return s === undefined ? 'none' : `${s.file} line ${s.line}: ${s.kind}`;
}
