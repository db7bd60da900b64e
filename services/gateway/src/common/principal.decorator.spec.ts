import { GatewayException } from './gateway.exception.js';
import { DEFAULT_PRINCIPAL, resolvePrincipal } from './principal.decorator.js';

describe('resolvePrincipal', () => {
  it('is "researcher" without a header', () => {
    expect(resolvePrincipal(undefined)).toBe(DEFAULT_PRINCIPAL);
    expect(DEFAULT_PRINCIPAL).toBe('researcher');
  });

  it('takes a well-formed X-Cohort-User', () => {
    expect(resolvePrincipal('dr.ada@cleveland-clinic')).toBe('dr.ada@cleveland-clinic');
  });

  it.each(['', 'a b', '-lead', 'x'.repeat(129), 'ünïcode'])('refuses %j', (value) => {
    expect(() => resolvePrincipal(value)).toThrow(GatewayException);
  });

  it('refuses several values', () => {
    expect(() => resolvePrincipal(['a', 'b'])).toThrow(GatewayException);
  });
});
