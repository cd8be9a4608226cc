/** Outbound HTTP to neurons. */
import { Module } from '@nestjs/common';
import { NeuronClient } from './neuron-client';

@Module({ providers: [NeuronClient], exports: [NeuronClient] })
export class UpstreamModule {}
