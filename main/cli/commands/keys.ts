import type { Command } from 'commander';
import type { CommandEnv } from '../program';

// PLACEHOLDER: the keys commands register here.
export function registerKeysCommands(_program: Command, _env: CommandEnv): void {}
