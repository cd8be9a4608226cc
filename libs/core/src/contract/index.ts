/** The gateway ⇄ neuron HTTP contract. */
export * from './neuron-api';
export * from './principal';
