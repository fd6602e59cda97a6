import { readFileSync } from 'node:fs'
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
        throw new Error(
          `The data directory ${path.resolve(dataDir)} is in use by process ${holder}; stop that node or choose another --data-dir`
        )
      }
      await unlink(file).catch(() => undefined)
    }
  }
  return async function releaseDataDir() {
    const holder = (await readFile(file, 'utf8').catch(() => '')).trim()
    if (holder === mine) await unlink(file).catch(() => undefined)
  }
}
