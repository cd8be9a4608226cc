/**
 * Names the program `cortex` in every --help and error, however it is started: commander takes its
 * name from argv[1], which is `main` when the containers and `npm start` run dist/…/main.js.
 */
import { Injectable } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';

@Injectable()
export class ProgramName {
  constructor(@InjectCommander() commander: { name(name: string): unknown }) {
    commander.name('cortex');
  }
}
