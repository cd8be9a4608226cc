/** The gateway ⇄ neuron HTTP contract, and the gateway's own admin contracts. */
export * from './neuron-api';
export * from './principal';
export * from './usage';
