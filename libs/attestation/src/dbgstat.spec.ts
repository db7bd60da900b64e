import { dbgstatFromFlags, dbgstatName, dbgstatValue } from './dbgstat.js';

describe('dbgstat', () => {
  it('reads the RFC 9711 integers and text names alike', () => {
    expect(dbgstatValue(0)).toBe(0);
    expect(dbgstatValue(4)).toBe(4);
    expect(dbgstatValue('enabled')).toBe(0);
    expect(dbgstatValue('disabled')).toBe(1);
    expect(dbgstatValue('disabled-since-boot')).toBe(2);
    expect(dbgstatValue('Disabled-Fully-And-Permanently')).toBe(4);
    expect(dbgstatValue('enable')).toBe(0);
  });

  it('gives undefined for anything else, so callers fail closed', () => {
    for (const value of [5, -1, 1.5, 'off', '', true, null, undefined, {}])
      expect(dbgstatValue(value)).toBeUndefined();
  });

  it('names integers', () => {
    expect(dbgstatName(2)).toBe('disabled-since-boot');
    expect(dbgstatName(9)).toBe('unknown');
  });

  it('folds platform flags pessimistically', () => {
    expect(dbgstatFromFlags([false, true])).toBe(0);
    expect(dbgstatFromFlags([false], 2)).toBe(2);
    expect(dbgstatFromFlags([true], 1)).toBe(0);
    expect(dbgstatFromFlags([false, undefined])).toBe(1);
    expect(dbgstatFromFlags([undefined], 0)).toBe(0);
    expect(dbgstatFromFlags([undefined])).toBeUndefined();
  });
});
