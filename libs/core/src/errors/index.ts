/** Pure error model shared by both apps and libs/translate (no I/O here). */
export * from './error-codes';
export * from './envelopes';
export * from './cortex-error';
export * from './context-length';
