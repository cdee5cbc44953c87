import { afterAll } from 'vitest';
import { stopAllProcesses } from './processes';

// Whatever a test file started and forgot is stopped when the file ends.
afterAll(async () => {
  await stopAllProcesses();
});
