import type { Logger } from 'pino'

/** What a service learns when it opens: things known only once the node listens. */
export interface ServiceDeps {
  /** The URL other nodes reach this node at. */
  advertise: string
}

/**
 * A long-running part of the node that starts once the HTTP server listens and stops before it
 * closes: the network's transport and membership now; replication's pullers and the outbox relay
 * later. Each is built with what it uses and given here only what the start makes known.
 */
export interface Service {
  readonly name: string
  open(deps: ServiceDeps): Promise<void>
  close(): Promise<void>
}

/**
 * Services open in the order given and close in the reverse one, so each may rely on those before
 * it (membership on the transport it talks through) while it opens, runs and closes.
 */
export class Services {
  private readonly opened: Service[] = []

  constructor(
    private readonly all: Service[],
    private readonly log: Logger
  ) {}

  /** Opens every service; should one fail, those already open are closed and the error thrown. */
  async open(deps: ServiceDeps): Promise<void> {
    for (const service of this.all) {
      try {
        await service.open(deps)
      } catch (err) {
        await this.close()
        throw err
      }
      this.opened.push(service)
    }
  }

  /** Closes the open services, last first; one that fails to close does not keep the rest open. */
  async close(): Promise<void> {
    for (const service of this.opened.splice(0).reverse()) {
      try {
        await service.close()
      } catch (err) {
        this.log.warn({ err, service: service.name }, 'a service did not close cleanly')
      }
    }
  }
}
