import { UnitConverter } from './ucum.js';

describe('UnitConverter', () => {
  const units = new UnitConverter();
  const convert = (from: string, value: number, to: string, molarMass?: number): number => {
    const c = units.conversion(from, to, molarMass);
    if (!c.ok) throw new Error(c.reason);
    return c.convert(value);
  };

  it('converts the common clinical units (reference values computed by hand)', () => {
    // Cholesterol, C27H46O 386.65 g/mol: 5 mmol/L x 386.65 g/mol = 1933.25 mg/L = 193.325 mg/dL.
    expect(convert('mmol/L', 5, 'mg/dL', 386.65)).toBeCloseTo(193.325, 9);
    expect(convert('mg/dL', 193.325, 'mmol/L', 386.65)).toBeCloseTo(5, 9);
    expect(convert('g/L', 2, 'mg/dL')).toBeCloseTo(200, 9);
    expect(convert('Cel', 37, '[degF]')).toBeCloseTo(98.6, 9);
    expect(convert('[degF]', 212, 'Cel')).toBeCloseTo(100, 9);
    // 1 mm[Hg] = 133.322 Pa (UCUM).
    expect(convert('kPa', 16, 'mm[Hg]')).toBeCloseTo(16000 / 133.322, 6);
    expect(convert('[lb_av]', 1, 'kg')).toBeCloseTo(0.45359237, 9);
    expect(convert('[in_i]', 10, 'cm')).toBeCloseTo(25.4, 9);
    expect(convert('mg/dL', 120, 'mg/dL')).toBe(120);
  });

  it('says why a conversion is impossible', () => {
    const incommensurable = units.conversion('mm[Hg]', 'kg');
    expect(incommensurable.ok).toBe(false);
    const unknown = units.conversion('furlongs', 'm');
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.reason).toMatch(/furlongs/);
    expect(units.conversion('mmol/L', 'mg/dL').ok).toBe(false); // needs a molar mass
  });

  it('validates unit expressions', () => {
    expect(UnitConverter.validate('mg/dL')).toBeUndefined();
    expect(UnitConverter.validate('mm[Hg]')).toBeUndefined();
    expect(UnitConverter.validate('milligrams')).toMatch(/not a valid UCUM unit/);
  });
});
