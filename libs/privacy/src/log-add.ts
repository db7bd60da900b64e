// log(e^a + e^b) without overflow: the RDP series are summed in log space because their terms reach e^1000.

/** log(exp(a) + exp(b)); -Infinity stands for 0. */
export function logAdd(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (lo === -Infinity) return hi;
  return hi + Math.log1p(Math.exp(lo - hi));
}
