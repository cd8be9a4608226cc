/** HTTP pieces both apps share. */
export * from './sse-stream';
export * from './json-body';
export * from './server-hardening';
export * from './framework-error';
export * from './bearer';
export * from './request-log';
export * from './readable-log';
