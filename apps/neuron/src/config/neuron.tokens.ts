/** Injection tokens of the neuron app. */
export const NEURON_CONFIG = Symbol('NEURON_CONFIG');
export const PROCESS_LAUNCHER = Symbol('PROCESS_LAUNCHER');
export const COMMAND_RUNNER = Symbol('COMMAND_RUNNER');
export const WORKER_ENTRY = Symbol('WORKER_ENTRY');
export const FAULTS_ENABLED = Symbol('FAULTS_ENABLED');
