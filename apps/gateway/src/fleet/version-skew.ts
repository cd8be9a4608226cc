/** Whether a neuron runs another build than this gateway: one rule for the poller's warning and the fleet views. */
import { buildId, buildInfo } from '@app/core';
import type { NodeState } from './fleet.types';

/** This gateway's build, as builds are compared (version and commit). */
export const gatewayBuild = (): string => buildId(buildInfo());

/** The neuron's build when it is not the gateway's ("unknown" for one too old to say), else null. */
export function skewOf(node: Pick<NodeState, 'build'>): string | null {
  const its = node.build ? buildId(node.build) : 'unknown';
  return its === gatewayBuild() ? null : its;
}
