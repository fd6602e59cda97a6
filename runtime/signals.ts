// Signals that end a wait when any of several does, without leaving anything behind on them.

/**
 * A signal that aborts when any of `signals` does, and `release` to stop listening to them once
 * the wait is over. Not AbortSignal.any: on Node 20 each signal it makes stays in every source's
 * list for as long as the source lives (fixed in Node 22.12, nodejs/node#55351), and a source here
 * is the node's own `stopping`, which lives as long as the node: one entry per peer request, some
 * 60 bytes each, never given back (20,000 measured after a forced collection).
 */
export function anySignal(signals: AbortSignal[]): { signal: AbortSignal; release(): void } {
  const controller = new AbortController()
  if (signals.some((s) => s.aborted)) {
    controller.abort()
    return { signal: controller.signal, release: () => undefined }
  }
  const release = () => {
    for (const s of signals) s.removeEventListener('abort', abort)
  }
  const abort = () => {
    release()
    controller.abort()
  }
  for (const s of signals) s.addEventListener('abort', abort, { once: true })
  return { signal: controller.signal, release }
}
