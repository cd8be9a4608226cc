/** Injection tokens of the gateway app. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const CATALOGUE = Symbol('CATALOGUE');
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): number;
}
