// A streamed body's reads, made safe for the HTTP server, which pipes a body with no error handler:
// a read that failed there took the node's process down.
/**
 * `body` as a stream whose reads never fail: a read that fails cuts the connection off instead,
 * unless the client went away first (then nothing failed).
 */
export function unfailing(
  body: ReadableStream<Uint8Array>,
  cutOff: () => void
): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let cancelled = false
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read()
        if (cancelled) return
        if (done) controller.close()
        else controller.enqueue(value)
      } catch {
        if (cancelled) return
        cutOff()
        controller.close()
      }
    },
    cancel(reason) {
      cancelled = true
      return reader.cancel(reason)
    },
  })
}
