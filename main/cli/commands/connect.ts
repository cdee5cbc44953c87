import type { Command } from 'commander';
import type { CommandEnv } from '../program';

// PLACEHOLDER: the connect commands register here.
export function registerConnectCommands(_program: Command, _env: CommandEnv): void {}
