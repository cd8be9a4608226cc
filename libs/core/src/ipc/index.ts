export * from './device-protocol';
export * from './download-protocol';
