import type { Command } from 'commander';
import type { CommandEnv } from '../program';

// PLACEHOLDER: the serve commands register here.
export function registerServeCommands(_program: Command, _env: CommandEnv): void {}
