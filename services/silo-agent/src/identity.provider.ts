export const SILO_IDENTITY = Symbol('SILO_IDENTITY');
