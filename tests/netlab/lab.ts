// Warehouse hosts on one machine, each a network namespace of its own with one address on a
// private bridge, as ../shared/netlab/netlab.sh builds them (that script is the study; this is
// the part the tests need, kept here so a clean checkout has it). Nothing is added to the root
// namespace but the namespaces' handles; no namespace has a route out, so nothing leaves the lab.
// A cut takes a host's cable out (its veth on the bridge side goes down): real packets are lost,
// both ways, and the kernel's TCP sees it as a pulled cable does. Needs root (CAP_NET_ADMIN).
import { execFileSync } from 'node:child_process'

export interface Lab {
  prefix: string
  /** The namespace of a host (for `ip netns exec`). */
  ns(host: string): string
  /** A host's address on the lab's bridge. */
  ip(host: string): string
  /** Takes the host's cable out; `heal` puts it back. */
  cut(host: string): void
  heal(host: string): void
  close(): void
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] })

/** Why a lab cannot be made here, or null when it can. */
export function labUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux only'
  if (process.getuid?.() !== 0) return 'making network namespaces needs root'
  // Made and taken down again: listing them can work where making one is not allowed.
  const probe = `almacen-probe-${process.pid}`
  try {
    ip('netns', 'add', probe)
    ip('netns', 'del', probe)
    return null
  } catch (err) {
    return `network namespaces cannot be made here: ${(err as Error).message.split('\n')[0]}`
  }
}

/**
 * Takes down what a run killed before its teardown left (its namespaces, and what still ran in
 * them): the labs named `<stem><pid>-…` whose process is gone.
 */
export function sweepStaleLabs(stem: string): void {
  const names = ip('netns', 'list')
    .toString()
    .split('\n')
    .map((line) => line.split(' ')[0])
  const stale = new Set<string>()
  for (const name of names) {
    const pid = new RegExp(`^${stem}(\\d+)-`).exec(name)?.[1]
    if (pid === undefined || alive(Number(pid))) continue
    stale.add(`${stem}${pid}`)
  }
  for (const prefix of stale) {
    const hosts = names
      .filter((n) => n.startsWith(`${prefix}-`))
      .map((n) => n.slice(prefix.length + 1))
    attachLab(
      prefix,
      hosts.filter((h) => h !== 'ctl' && h !== 'net')
    ).close()
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Makes the namespaces `<prefix>-<host>` for each host (addresses 10.77.0.11, .12, … in the
 * order given) and `<prefix>-ctl` (10.77.0.100), all on a bridge in `<prefix>-net`. Each lab
 * has its own bridge, so labs with different prefixes never see each other.
 */
export function openLab(prefix: string, hosts: string[]): Lab {
  const lab = attachLab(prefix, hosts)
  const net = lab.ns('net')
  try {
    ip('netns', 'add', net)
    ip('-n', net, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', net, 'link', 'set', 'br0', 'up')
    for (const host of [...hosts, 'ctl']) {
      const ns = lab.ns(host)
      ip('netns', 'add', ns)
      ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `v-${host}`, 'netns', net)
      ip('-n', net, 'link', 'set', `v-${host}`, 'master', 'br0', 'up')
      ip('-n', ns, 'addr', 'add', `${lab.ip(host)}/24`, 'dev', 'eth0')
      ip('-n', ns, 'link', 'set', 'lo', 'up')
      ip('-n', ns, 'link', 'set', 'eth0', 'up')
    }
  } catch (err) {
    lab.close()
    throw err
  }
  return lab
}

/** The lab openLab(prefix, hosts) made, from another process (the driver in its ctl host). */
export function attachLab(prefix: string, hosts: string[]): Lab {
  const all = [...hosts, 'ctl']
  const address = new Map(all.map((h, i) => [h, h === 'ctl' ? '10.77.0.100' : `10.77.0.${11 + i}`]))
  const ns = (host: string) => `${prefix}-${host}`
  const net = ns('net')
  const lab: Lab = {
    prefix,
    ns,
    ip: (host) => address.get(host) ?? fail(host),
    cut: (host) => void ip('-n', net, 'link', 'set', `v-${host}`, 'down'),
    heal: (host) => void ip('-n', net, 'link', 'set', `v-${host}`, 'up'),
    close() {
      for (const name of [...all.map(ns), net]) {
        try {
          // What still runs there (a driver killed before it could stop its nodes) goes first.
          for (const pid of ip('netns', 'pids', name).toString().split('\n').filter(Boolean)) {
            try {
              process.kill(Number(pid), 'SIGKILL')
            } catch {
              // exited meanwhile
            }
          }
          ip('netns', 'del', name)
        } catch {
          // not made, or gone already
        }
      }
    },
  }
  return lab

  function fail(host: string): never {
    throw new Error(`no host ${host} in lab ${prefix}`)
  }
}
