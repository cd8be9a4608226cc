/** Injection tokens of the gateway app. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const CATALOGUE = Symbol('CATALOGUE');
export const CLOCK = Symbol('CLOCK');
/** Path of cortex.toml, when the gateway was started from one (hot reload watches it). */
export const CONFIG_PATH = Symbol('CONFIG_PATH');

export interface Clock {
  now(): number;
}
