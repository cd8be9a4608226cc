/**
 * Root of the CLI process. It holds only commands and thin clients: no gateway or neuron module
 * tree (and so no scheduler), so every command exits when it is done; serve, neuron and up load the
 * built apps at run time.
 */
import { Module } from '@nestjs/common';
import { GatewayClient } from './support/gateway-client';
import { CheckCommand } from './commands/check.command';
import { LaunchCommand } from './commands/launch.command';
import { LoadCommand, PinCommand, UnloadCommand, UnpinCommand } from './commands/lifecycle.commands';
import { MakeModelCommand } from './commands/make-model.command';
import { ModelsCommand } from './commands/models.command';
import { UsageCommand } from './commands/usage.command';
import { NeuronCommand } from './commands/neuron.command';
import { ServeCommand } from './commands/serve.command';
import { StatusCommand } from './commands/status.command';
import { UpCommand } from './commands/up.command';
import { ProgramName } from './support/program-name';

@Module({
  providers: [
    ProgramName,
    GatewayClient,
    MakeModelCommand,
    CheckCommand,
    NeuronCommand,
    ServeCommand,
    UpCommand,
    StatusCommand,
    ModelsCommand,
    UsageCommand,
    LoadCommand,
    UnloadCommand,
    PinCommand,
    UnpinCommand,
    LaunchCommand,
  ],
})
export class CliModule {}
