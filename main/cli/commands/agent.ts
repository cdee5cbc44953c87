import type { Command } from 'commander';
import type { CommandEnv } from '../program';

// PLACEHOLDER: the agent commands register here.
export function registerAgentCommands(_program: Command, _env: CommandEnv): void {}
