import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, statSync, unlinkSync } from 'node:fs'
import { alive, startedAt } from '../lib/processes.ts'
import { PID_FILE } from '../api/access.ts'
import { link, mkdir, readFile, realpath, unlink, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import path from 'node:path'

/**
 * Whether the live process `holder` can be the one that wrote the pid file: not one started after
 * the file was written (its pid given again to another process, after a restart of the machine
 * say), which would keep the node from its directory for as long as that process runs. Asked only
 * by a process holding the kernel's claim: a node running in this network namespace holds it, so
 * the holder named is no node of this namespace whatever the clocks say (the start time is
 * today's wall clock, the file's mtime the wall clock of its writing: a clock stepped forward in
 * between makes a holder look younger than its file).
 */
function wrote(holder: number, file: string): boolean {
  const started = startedAt(holder)
  if (started === undefined) return true
  try {
    return started <= statSync(file).mtimeMs + 1000
  } catch {
    return true // gone meanwhile: asked again
  }
}

/** The refusal to claim a data directory that a running process holds. */
export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number
  ) {
    super(
      `The data directory ${dataDir} is in use by process ${pid}; stop that node or choose another --data-dir`
    )
    this.name = 'DataDirInUse'
  }
}

/**
 * The kernel's claim on a directory: a Unix socket in Linux's abstract namespace named after the
 * directory's real path, which one process at a time can hold and the kernel lets go however the
 * process ends (kill -9 included). 'taken' when another holds it; null where there is no such
 * namespace (not Linux), and the pid file alone claims the directory. One network namespace
 * each: a node in another (a container sharing the volume) is told by the pid file alone.
 */
async function kernelClaim(dataDir: string): Promise<Server | 'taken' | null> {
  if (process.platform !== 'linux') return null
  const real = await realpath(dataDir).catch(() => null)
  if (real === null) return null
  const where = createHash('sha256').update(real).digest('hex')
  // It serves nobody: a connection (any local user may make one) is closed at once, so none can
  // hold the node's stop or its file handles.
  const server = createServer((socket) => socket.destroy())
  server.maxConnections = 0
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(`\0almacen-data-dir-${where}`, resolve)
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return 'taken'
    return null
  }
  server.unref() // it holds the name, not the process
  return server
}

/**
 * The process the pid file names while it runs: the holder of the kernel's claim writes it just
 * after taking the claim, so a claim taken a moment ago may name nobody yet (0 after a second:
 * the name is held by something that is not a node).
 */
async function holderOf(file: string): Promise<number> {
  const until = performance.now() + 1000
  for (;;) {
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim())
    // This process too: a claim of its own, made before.
    if (holder && alive(holder)) return holder
    if (performance.now() >= until) return 0
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * Claims a data directory for this process, so two nodes never share one database: the kernel's
 * claim (kernelClaim), and the pid file that names the holder. A pid file left by a process that
 * no longer runs (a crash, kill -9) is taken over — by one process only, the one holding the
 * kernel's claim: two that found the same dead pid at once both took it over before. A name
 * held by something that never names itself in the pid file (not a node: another user's process,
 * say, since an abstract socket has no permissions) is not let keep the node from starting: the
 * pid file alone claims the directory then, as where there is no kernel claim.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true })
  const file = path.join(dataDir, PID_FILE)
  const mine = String(process.pid)
  const claim = await kernelClaim(dataDir)
  if (claim === 'taken') {
    const holder = await holderOf(file)
    if (holder) throw new DataDirInUse(path.resolve(dataDir), holder)
  }
  // Closing lets the name go at once (nobody is connected to wait for).
  const letGo = () => {
    if (claim && claim !== 'taken') claim.close()
  }
  // Written aside, then linked into place: the pid file appears with its pid in it, never empty
  // (another start reading it empty took it for a dead claim and removed the winner's).
  // Named apart from any other start's, in this pid namespace or another (containers, pid 1).
  const aside = `${file}.${mine}.${randomBytes(4).toString('hex')}`
  try {
    await writeFile(aside, mine)
    for (;;) {
      try {
        await link(aside, file)
        break
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim())
        // A live holder without the kernel's claim: a node where there is none, or in another
        // network namespace (each has its own abstract sockets).
        const ours = claim !== null && claim !== 'taken'
        if (holder && holder !== process.pid && alive(holder) && (!ours || wrote(holder, file))) {
          throw new DataDirInUse(path.resolve(dataDir), holder)
        }
        await unlink(file).catch(() => undefined)
      }
    }
  } catch (err) {
    letGo()
    throw err
  } finally {
    await unlink(aside).catch(() => undefined)
  }
  return async function releaseDataDir() {
    const holder = (await readFile(file, 'utf8').catch(() => '')).trim()
    if (holder === mine) await unlink(file).catch(() => undefined)
    letGo()
  }
}

/** releaseDataDir for process.on('exit'), where nothing asynchronous runs any more. */
export function releaseDataDirSync(dataDir: string): void {
  const file = path.join(dataDir, PID_FILE)
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file)
  } catch {
    // already gone
  }
}
