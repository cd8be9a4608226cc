/** The fleet's state: every neuron's health, devices and models, and the gauges that export them. */
import { Module } from '@nestjs/common';
import { FleetGauges } from './fleet-gauges';
import { FleetStateService } from './fleet-state.service';

@Module({ providers: [FleetStateService, FleetGauges], exports: [FleetStateService, FleetGauges] })
export class FleetModule {}
