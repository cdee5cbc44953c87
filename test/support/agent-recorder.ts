import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One whole message as it crossed the proxy: length prefix included, as hex. */
export interface RecordedFrame {
  /** `request` = client → agent, `reply` = agent → client. */
  direction: 'request' | 'reply';
  /** What caused it (the command line running when it was seen). */
  label: string;
  /** Which client connection it travelled on, counted from 1. */
  connection: number;
  hex: string;
}

export interface AgentRecorder {
  /** Point SSH_AUTH_SOCK here instead of at the agent. */
  socket: string;
  frames: RecordedFrame[];
  /** Label given to frames from now on. */
  label: string;
  close(): Promise<void>;
}

/**
 * Splits one direction of a connection into frames without any of KeyDock's parsing, so what
 * the recorder saves is the bytes on the wire even when the codec under test is wrong. Bytes
 * are forwarded unchanged whether or not they frame.
 */
class RawSplitter {
  private buf = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
      const end = 4 + this.buf.readUInt32BE(0);
      out.push(Buffer.from(this.buf.subarray(0, end)));
      this.buf = this.buf.subarray(end);
    }
    return out;
  }
}

/**
 * A Unix-socket proxy in front of a real agent (`upstream`), recording every frame in both
 * directions. Each client connection gets its own upstream connection, so the agent sees
 * exactly what the client sent.
 */
export async function startAgentRecorder(upstream: string): Promise<AgentRecorder> {
  const dir = await mkdtemp(join(tmpdir(), 'keydock-recorder-'));
  const socket = join(dir, 'recorder.sock');
  const sockets = new Set<Socket>();
  let connections = 0;

  const recorder: AgentRecorder = {
    socket,
    frames: [],
    label: '',
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };

  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };

  const relay = (from: Socket, to: Socket, direction: RecordedFrame['direction'], connection: number) => {
    const splitter = new RawSplitter();
    from.on('data', (chunk: Buffer) => {
      for (const f of splitter.push(chunk)) recorder.frames.push({ direction, label: recorder.label, connection, hex: f.toString('hex') });
      to.write(chunk);
    });
    from.on('end', () => to.end());
    from.on('close', () => to.destroy());
  };

  const server = createServer((client) => {
    const connection = ++connections;
    track(client);
    client.pause();
    const agent = createConnection(upstream, () => {
      relay(client, agent, 'request', connection);
      relay(agent, client, 'reply', connection);
      client.resume();
    });
    track(agent);
    agent.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  return recorder;
}
