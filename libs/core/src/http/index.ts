/** HTTP pieces both apps share. */
export * from './sse-stream';
