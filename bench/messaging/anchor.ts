// The brokers of ../shared/anchors/mom, as that folder's own code starts and drives them. The
// folder is read-only, so it is copied once to a temporary folder where `npm ci` installs its
// clients (amqplib, nats). The brokers themselves come from Debian (`apt-get install
// rabbitmq-server nats-server`, as the anchor's run.sh does); a missing one is skipped.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from '../server-process.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface Anchor {
  dir: string
  brokers: any
  targets: any
}

export const ANCHOR_SOURCE =
  process.env.ALMACEN_MOM_ANCHOR ?? path.join(ROOT, '..', 'shared', 'anchors', 'mom')

/** Why a broker cannot run here, or null when it can. */
export function missing(kind: 'rabbitmq' | 'nats'): string | null {
  if (kind === 'rabbitmq' && !existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server'))
    return 'rabbitmq-server is not installed (apt-get install rabbitmq-server)'
  if (kind === 'nats') {
    try {
      execFileSync('nats-server', ['--version'], { stdio: 'ignore' })
    } catch {
      return 'nats-server is not installed (apt-get install nats-server)'
    }
  }
  return null
}

/** The anchor's modules, or why they cannot be loaded. */
export async function loadAnchor(): Promise<Anchor | string> {
  if (!existsSync(path.join(ANCHOR_SOURCE, 'lib', 'brokers.mjs')))
    return `no anchor at ${ANCHOR_SOURCE}`
  const dir = path.join(tmpdir(), 'almacen-mom-anchor')
  try {
    if (!existsSync(path.join(dir, 'node_modules', 'amqplib'))) {
      for (const f of ['package.json', 'package-lock.json', 'lib'])
        cpSync(path.join(ANCHOR_SOURCE, f), path.join(dir, f), { recursive: true })
      execFileSync('chmod', ['-R', 'u+w', dir])
      execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: dir,
        stdio: 'ignore',
      })
    }
    const brokers = await import(pathToFileURL(path.join(dir, 'lib', 'brokers.mjs')).href)
    const targets = await import(pathToFileURL(path.join(dir, 'lib', 'targets.mjs')).href)
    return { dir, brokers, targets }
  } catch (err) {
    return `the anchor's clients could not be installed in ${dir}: ${(err as Error).message}`
  }
}
