import type { ActivityEntry } from '../../../shared/contract/server';

export type ActivityInput = Omit<ActivityEntry, 'id' | 'at'> & { at?: number };

/**
 * The last N requests the agent served (who, what, which key, where, outcome) in a fixed
 * ring, so a busy agent never grows. Callers pass only public facts: no key material.
 */
export class ActivityLog {
  private readonly ring: Array<ActivityEntry | undefined>;
  private next = 0;
  private count = 0;
  private seq = 0;
  private readonly listeners = new Set<(e: ActivityEntry) => void>();

  constructor(readonly capacity = 1000) {
    if (capacity < 1) throw new RangeError('activity log capacity must be positive');
    this.ring = new Array(capacity);
  }

  record(input: ActivityInput): ActivityEntry {
    const entry: ActivityEntry = { ...input, id: ++this.seq, at: input.at ?? Date.now() };
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    for (const l of this.listeners) l(entry);
    return entry;
  }

  /** Oldest first; optionally only one key's entries. */
  list(filter: { fingerprint?: string } = {}): ActivityEntry[] {
    const out: ActivityEntry[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const e = this.ring[(start + i) % this.capacity];
      if (e && (filter.fingerprint === undefined || e.fingerprint === filter.fingerprint)) out.push(e);
    }
    return out;
  }

  get size(): number {
    return this.count;
  }

  /** Subscribes to new entries (the IPC layer forwards them as `server:activity`). */
  subscribe(listener: (e: ActivityEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The program's name out of `ssh (pid 1234, /usr/bin/ssh)`. */
function programName(client: string): string {
  const i = client.indexOf(' (');
  return i > 0 ? client.slice(0, i) : client;
}

/**
 * One activity entry in plain words, for the window and the tray: "ssh asked to sign for
 * github.com with work key — allowed", "ssh-add asked to add work key — denied: agent is locked".
 */
export function activitySummary(e: { client: string; operation: string; destination: string | null; outcome: ActivityEntry['outcome']; detail: string | null; keyName?: string | null }): string {
  const who = programName(e.client);
  const key = e.keyName ? ` ${e.keyName}` : ' a key';
  const where = e.destination ? ` for ${e.destination}` : '';
  let what: string;
  switch (e.operation) {
    case 'sign':
      what = `asked to sign${where} with${key}`;
      break;
    case 'list':
      what = 'asked which keys the agent holds';
      break;
    case 'add':
      what = `asked to add${e.keyName ? key : ' a key'}`;
      break;
    case 'remove':
      what = `asked to remove${key}`;
      break;
    case 'remove-all':
      what = 'asked to remove every key';
      break;
    case 'lock':
    case 'unlock':
      what = `asked to ${e.operation} the agent`;
      break;
    case 'session-bind':
      what = `connected to ${e.destination ?? 'a host'}${e.detail === 'forwarding hop' ? ' (forwarding the agent)' : ''}`;
      break;
    default:
      what = `asked for ${e.operation}${where}`;
  }
  let result: string = e.outcome;
  if (e.outcome !== 'allowed' && e.detail) result += `: ${e.detail}`;
  else if (e.operation === 'list' && e.detail) result += ` (${e.detail})`;
  return `${who} ${what} — ${result}`;
}
