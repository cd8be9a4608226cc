/**
 * Root of the CLI process. It holds only commands and thin clients: no gateway or neuron module
 * tree (and so no scheduler), so every command exits when it is done.
 */
import { Module } from '@nestjs/common';
import { MakeModelCommand } from './commands/make-model.command';
import { NeuronCommand } from './commands/neuron.command';
import { UpCommand } from './commands/up.command';

@Module({ providers: [MakeModelCommand, NeuronCommand, UpCommand] })
export class CliModule {}
