// The default grid of Rényi orders: dp-accounting's DEFAULT_RDP_ORDERS (rdp_privacy_accountant.py), a fine grid
// 1.1, 1.2, …, 10.9 where the optimum lies for the usual DP-SGD budgets, integers 11 … 63, then 128 … 1024 for
// very small deltas or very large noise.

function defaultOrders(): readonly number[] {
  const fine = Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10);
  const integers = Array.from({ length: 53 }, (_, x) => 11 + x);
  return Object.freeze([...fine, ...integers, 128, 256, 512, 1024]);
}

export const DEFAULT_ORDERS: readonly number[] = defaultOrders();
