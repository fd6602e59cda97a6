import { readFileSync, unlinkSync } from 'node:fs'
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'

/** True when a process with this pid runs (a zombie does not count). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A killed process nobody has reaped yet (a zombie) still answers kill(0), but holds nothing.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true // no /proc: trust kill(0)
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
 * Claims a data directory for this process, so two nodes never share one database. A lock left by
 * a process that no longer runs (a crash, kill -9) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true })
  const file = path.join(dataDir, 'almacen.pid')
  const mine = String(process.pid)
  for (;;) {
    try {
      await writeFile(file, mine, { flag: 'wx' })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim())
      if (holder && holder !== process.pid && alive(holder)) {
        throw new DataDirInUse(path.resolve(dataDir), holder)
      }
      await unlink(file).catch(() => undefined)
    }
  }
  return async function releaseDataDir() {
    const holder = (await readFile(file, 'utf8').catch(() => '')).trim()
    if (holder === mine) await unlink(file).catch(() => undefined)
  }
}

/** releaseDataDir for process.on('exit'), where nothing asynchronous runs any more. */
export function releaseDataDirSync(dataDir: string): void {
  const file = path.join(dataDir, 'almacen.pid')
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file)
  } catch {
    // already gone
  }
}
