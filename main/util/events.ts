import { EventEmitter } from 'node:events';
import type { EventName, EventPayload } from '../../shared/ipc-contract';

/** Typed bus for main → renderer events; each transport subscribes and forwards. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    this.emitter.emit('event', name, payload);
    this.emitter.emit(name, payload);
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  onAny(listener: (name: EventName, payload: unknown) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
