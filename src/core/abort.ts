/**
 * One 'abort' listener per signal, however many waits share it. A request's signal reaches
 * every queue its work passes through (model sessions, LLM calls); a listener per queued
 * wait would pile up on it (Node warns past ten), so waits register here instead: the first
 * callback on a signal adds the one listener, removing the last callback removes it.
 */
interface Entry {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const entries = new WeakMap<AbortSignal, Entry>();

/**
 * Calls `callback` once when `signal` aborts; the returned function unregisters it (call it
 * as soon as the wait ends). A signal already aborted calls nothing: check `signal.aborted` first.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let entry = entries.get(signal);
  if (!entry) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      entries.delete(signal);
      for (const cb of [...callbacks]) cb();
      callbacks.clear();
    };
    entry = { callbacks, listener };
    entries.set(signal, entry);
    signal.addEventListener('abort', listener, { once: true });
  }
  // A wrapper, so that the same function registered twice is two registrations.
  const registration = () => callback();
  entry.callbacks.add(registration);
  const registered = entry;
  return () => {
    if (!registered.callbacks.delete(registration) || registered.callbacks.size > 0) return;
    if (entries.get(signal) === registered) entries.delete(signal);
    signal.removeEventListener('abort', registered.listener);
  };
}
