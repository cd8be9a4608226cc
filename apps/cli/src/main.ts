#!/usr/bin/env node
/**
 * The `cortex` binary: one nest-commander app for every verb. Config and usage errors print one
 * clear message and exit 2; they never print a stack trace.
 */
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { versionLine } from '@app/core';
import { CliModule } from './cli.module';
import { reportCliError } from './support/cli-error';

async function main(): Promise<void> {
  await CommandFactory.run(CliModule, {
    logger: ['warn', 'error'],
    cliName: 'cortex',
    version: versionLine(),
    errorHandler: (err) => reportCliError(err),
    serviceErrorHandler: (err) => reportCliError(err),
  });
}

void main();
