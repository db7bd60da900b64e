// RFC 9711 section 4.2.9 debug status. The CBOR form is an integer and the JSON form the text name; tokens
// from real services use the names (Google Confidential Space, Intel Trust Authority, Azure's TDX profile),
// so both are read, and Cohort works with the integer.

export const DBGSTAT = {
  enabled: 0,
  disabled: 1,
  'disabled-since-boot': 2,
  'disabled-permanently': 3,
  'disabled-fully-and-permanently': 4,
} as const;

export type DbgstatName = keyof typeof DBGSTAT;

/** 0: debug enabled. The only value a production policy must refuse; 1 to 4 are degrees of "disabled". */
export const DBGSTAT_ENABLED = DBGSTAT.enabled;

const BY_NAME: ReadonlyMap<string, number> = new Map<string, number>([
  ...Object.entries(DBGSTAT),
  // Google's policy language spells the debug image's value "enable"; read it as enabled rather than fail open.
  ['enable', DBGSTAT.enabled],
]);

/** The integer for a `dbgstat` value in either form, or undefined when it is neither (callers fail closed). */
export function dbgstatValue(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 0 && value <= 4 ? value : undefined;
  if (typeof value === 'string') return BY_NAME.get(value.toLowerCase());
  return undefined;
}

/** The text name of an integer `dbgstat`, for messages and audit entries. */
export function dbgstatName(value: number): DbgstatName | 'unknown' {
  const entry = Object.entries(DBGSTAT).find(([, v]) => v === value);
  return entry ? (entry[0] as DbgstatName) : 'unknown';
}

/**
 * Folds platform debug flags into one `dbgstat`: any flag that says "debuggable" wins, so a token whose
 * fields disagree is treated as debuggable. `undefined` when no flag was present at all.
 */
export function dbgstatFromFlags(
  debuggable: readonly (boolean | undefined)[],
  stated?: number,
): number | undefined {
  const flags = debuggable.filter((flag): flag is boolean => flag !== undefined);
  if (flags.some((flag) => flag) || stated === DBGSTAT.enabled) return DBGSTAT.enabled;
  if (stated !== undefined) return stated;
  return flags.length > 0 ? DBGSTAT.disabled : undefined;
}
