/** One supervised worker child per device, behind the ProcessLauncher port. */
import { Module } from '@nestjs/common';
import { DeviceDiscoveryService } from '../devices/device-discovery.service';
import { ExecCommandRunner } from '../devices/command-runner';
import { neuronMetricProviders } from '../metrics/neuron-metrics';
import { COMMAND_RUNNER, PROCESS_LAUNCHER } from '../config/neuron.tokens';
import { DeviceWorkerService } from './device-worker.service';
import { ForkProcessLauncher } from './process-launcher';

@Module({
  providers: [
    DeviceWorkerService,
    DeviceDiscoveryService,
    { provide: PROCESS_LAUNCHER, useClass: ForkProcessLauncher },
    { provide: COMMAND_RUNNER, useClass: ExecCommandRunner },
    ...neuronMetricProviders,
  ],
  exports: [DeviceWorkerService, COMMAND_RUNNER, ...neuronMetricProviders],
})
export class DeviceWorkerModule {}
