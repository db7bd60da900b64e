import { ageInYears, fhirDay, isoDay } from './dates.js';

describe('fhirDay', () => {
  it('counts days since 1970-01-01 for dates, partial dates and dateTimes', () => {
    expect(fhirDay('1970-01-01')).toBe(0);
    expect(fhirDay('1970-01-02')).toBe(1);
    expect(fhirDay('2000-03-01')).toBe(11017); // 30 years incl. 7 leap days (72..96) + Jan and Feb 2000 (60 days)
    expect(fhirDay('2000')).toBe(fhirDay('2000-01-01'));
    expect(fhirDay('2000-03')).toBe(fhirDay('2000-03-01'));
    expect(fhirDay('2000-03-01T23:59:59+14:00')).toBe(11017);
    expect(fhirDay('2000-03-01T00:00:00.123Z')).toBe(11017);
  });

  it('refuses what is not a FHIR date', () => {
    for (const bad of [
      '2001-02-29',
      '2000-13-01',
      '2000-1-1',
      '01/02/2000',
      '2000-03-01T10:00',
      '',
      20000301,
      null,
    ]) {
      expect(fhirDay(bad)).toBeUndefined();
    }
  });

  it('round-trips through isoDay', () => {
    expect(isoDay(fhirDay('1988-07-15') ?? -1)).toBe('1988-07-15');
  });
});

describe('ageInYears', () => {
  const day = (s: string): number => fhirDay(s) ?? Number.NaN;
  it('counts completed years, the birthday counting on its day', () => {
    expect(ageInYears(day('1950-06-15'), day('2000-06-14'))).toBe(49);
    expect(ageInYears(day('1950-06-15'), day('2000-06-15'))).toBe(50);
    expect(ageInYears(day('1952-02-29'), day('2001-02-28'))).toBe(48);
    expect(ageInYears(day('1952-02-29'), day('2001-03-01'))).toBe(49);
  });
});

describe('fhirDay on plain dates', () => {
  it('agrees with Date.UTC on every day of 1899-2101 and refuses days that do not exist', () => {
    for (let ms = Date.UTC(1899, 0, 1); ms <= Date.UTC(2101, 11, 31); ms += 86_400_000) {
      const iso = new Date(ms).toISOString().slice(0, 10);
      expect(fhirDay(iso)).toBe(Math.round(ms / 86_400_000));
    }
    for (const bad of ['1900-02-29', '2100-02-29', '2023-04-31', '2023-00-10', '2023-1a-10', '0000-13-01']) {
      expect(fhirDay(bad)).toBeUndefined();
    }
    expect(fhirDay('2000-02-29')).toBe(11016);
  });
});
