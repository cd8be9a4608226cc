/** The gateway ⇄ neuron HTTP contract. */
export * from './neuron-api';
