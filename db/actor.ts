// Who asked for a write: the envelope says (the runtime sets it from the request's token, or the
// signing peer), and the worker hands it to the operation beside its payload, never in it (a
// payload's shape is the released contract, and a client must not be able to name someone else).
import type { RequestEnvelope } from './contract/index.ts'

const actors = new WeakMap<object, string>()

/** Notes who sent each envelope's payload, for the operation that runs it. */
export function noteActors(envs: readonly RequestEnvelope[]): void {
  for (const env of envs) {
    if (env.actor && typeof env.payload === 'object' && env.payload !== null) {
      actors.set(env.payload, env.actor)
    }
  }
}

/** Who sent this payload; undefined when the envelope named nobody (the node's own work). */
export function actorOf(payload: unknown): string | undefined {
  return typeof payload === 'object' && payload !== null ? actors.get(payload) : undefined
}
