import { chmod, mkdir, readdir, stat } from 'node:fs/promises'
import path from 'node:path'

/** Group and others: none of their bits may be set on what a data directory holds. */
const OPEN = 0o077

/**
 * Makes a data directory private to this user before anything is written in it: the stock, the
 * ledger and the node's identity are nobody else's to read. Sets a umask of 0077, so the database,
 * its WAL and whatever else this process and its children (the database worker) create are 0600;
 * creates the directory 0700; and tightens the directory and the files in it, when this user owns
 * them, if an older version or another umask left them open. Returns what it tightened, with the
 * mode each had, for the log.
 */
export async function privateDataDir(dataDir: string): Promise<{ path: string; was: string }[]> {
  process.umask(OPEN)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const tightened = []
  const entries = await readdir(dataDir, { withFileTypes: true })
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(dataDir, e.name))
  for (const file of [dataDir, ...files]) {
    const { mode, uid } = await stat(file)
    if ((mode & OPEN) === 0 || uid !== process.getuid?.()) continue
    await chmod(file, mode & 0o7700)
    tightened.push({ path: path.resolve(file), was: (mode & 0o777).toString(8).padStart(4, '0') })
  }
  return tightened
}
