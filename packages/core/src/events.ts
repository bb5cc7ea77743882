import type { EventListener, RunEvent } from './types.js';

/**
 * Every state transition goes through the bus. Listeners run synchronously in the order they
 * subscribed; a listener that throws is reported through `onError` and the others still run.
 */
export class EventBus {
  private listeners: EventListener[] = [];

  constructor(private readonly onError: (error: unknown, event: RunEvent) => void = defaultOnError) {}

  /** Subscribes; returns the unsubscribe function. */
  on(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: RunEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onError(error, event);
      }
    }
  }
}

function defaultOnError(error: unknown, event: RunEvent): void {
  process.stderr.write(`guild: an event listener failed on ${event.type}: ${String(error)}\n`);
}
