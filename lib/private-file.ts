// A small file only this user may read (a token, the cluster's keys), replaced whole or not at all.
import { open, rename } from 'node:fs/promises'
import path from 'node:path'

/** Writes `text` to `file` (mode 0600) so that a crash leaves the old file or the new, never half. */
export async function writePrivately(file: string, text: string): Promise<void> {
  const partial = `${file}.partial`
  const handle = await open(partial, 'w', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(partial, file)
  await syncDirectory(path.dirname(file))
}

/** Makes the names last put in `dir` (a rename's) survive a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
