/** The silo agent's SiloMetrics (its own prom-client registry), shared with its health listener. */
export const SILO_METRICS = Symbol('SILO_METRICS');
