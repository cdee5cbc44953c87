import type { Command } from 'commander';
import type { CommandEnv } from '../program';

// PLACEHOLDER: the ui commands register here.
export function registerUiCommands(_program: Command, _env: CommandEnv): void {}
