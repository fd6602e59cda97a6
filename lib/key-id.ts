// The id that names a cluster key (on the wire, in GET /keys, in the client's output): a hash of
// it, which gives nothing of the key away. One derivation for the node and the client, so that a
// client whose install went unanswered can still name the key it sent.
import { createHash } from 'node:crypto'

export function keyIdOf(secret: string): string {
  return createHash('sha256').update(`almacen-cluster-key\n${secret}`).digest('hex').slice(0, 16)
}
