import { AgentClient } from './client';
import { openAgentStream } from './stream';

/** Opens a connection to the agent at PATH, runs FN with a client for it, and always closes it. */
export async function withAgent<T>(path: string, fn: (client: AgentClient) => Promise<T>): Promise<T> {
  const client = new AgentClient(await openAgentStream(path), { label: `the agent at ${path}` });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
