// End to end, as a person sees it: the interactive client in a real terminal (tmux), driven by
// keystrokes from the main menu to a recorded receipt, then Ctrl-C out. The screen is polled
// for each expected text with a deadline; nothing waits a fixed time.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { seed } from '../fixtures/client-kit.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const hasTmux = spawnSync('tmux', ['-V']).status === 0
const ROOT = new URL('../..', import.meta.url).pathname

/**
 * A tmux server of our own, on a socket in a fresh temporary directory (short enough for a Unix
 * socket path, unlike the test's directory), so a person's tmux sessions are never touched.
 */
function terminal(t: { teardown(fn: () => unknown): void }, command: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'almacen-tmux-'))
  const socket = path.join(dir, 'socket')
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' })
  tmux('new-session', '-d', '-s', 'client', '-x', '110', '-y', '45', '-c', ROOT, command)
  t.teardown(() => {
    spawnSync('tmux', ['-S', socket, 'kill-server'])
    rmSync(dir, { recursive: true, force: true })
  })
  const screen = () => tmux('capture-pane', '-p', '-t', 'client', '-S', '-')
  return {
    screen,
    type: (text: string) => tmux('send-keys', '-t', 'client', '-l', text),
    press: (...keys: string[]) => tmux('send-keys', '-t', 'client', ...keys),
    /** Resolves when the screen satisfies `check`; fails, showing the screen, after a deadline. */
    async until(check: string | RegExp | ((s: string) => boolean), ms = 20_000) {
      const test =
        typeof check === 'function'
          ? check
          : (s: string) => (typeof check === 'string' ? s.includes(check) : check.test(s))
      const deadline = Date.now() + ms
      for (;;) {
        const now = screen()
        if (test(now)) return now
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${check}; the screen:\n${now}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
}

t.test(
  'a person receives goods from the main menu with arrow keys and Enter, then leaves with Ctrl-C',
  { skip: hasTmux ? false : 'tmux is not installed (.ci/run installs it)' },
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    await seed(node, [
      { sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 10 },
      { sku: 'NUT-M8', name: 'Nut M8' },
    ])
    const client = `${process.execPath} --import tsx client/main.ts --url ${node.url}`
    const term = terminal(t, `${client}; echo "exit status $?"; sleep 600`)

    await term.until('? What do you want to do?')
    t.match(term.screen(), `almacen · Madrid · ${node.url}`)
    term.press('Enter') // Movements
    await term.until('Receive goods')
    term.press('Enter') // Receive goods
    await term.until((s) => s.includes('Item received (type to search)') && s.includes('NUT-M8'))
    term.type('bolt')
    await term.until((s) => /› bolt\n.*BOLT-M8  Bolt M8 zinc/.test(s) && !s.includes('NUT-M8'))
    term.press('Enter')
    await term.until('How many ea arrived?')
    t.match(term.screen(), 'On hand now: 10 ea')
    term.type('0')
    term.press('Enter')
    await term.until('The quantity must be a whole number greater than zero')
    term.press('BSpace')
    term.type('25')
    term.press('Enter')
    await term.until('Purchase order or delivery note (optional)')
    term.type('PO-42')
    term.press('Enter')
    await term.until('Note (optional)')
    term.press('Enter')
    await term.until('Receive 25 ea of BOLT-M8 (Bolt M8 zinc)?')
    term.press('Enter') // yes, the default
    await term.until('✔ Received 25 ea of BOLT-M8 (PO-42). On hand now: 35 ea. Ledger entry #2.')

    await term.until('? Movements:')
    term.press('C-c') // back to the main menu
    await term.until(
      (s) =>
        (s.match(/\? What do you want to do\?/g) ?? []).length === 1 && s.includes('✖ Movements:')
    )
    term.press('C-c') // and out
    const last = await term.until('exit status 0')
    t.match(last, 'Bye.')
    t.notMatch(last, /Error|at .*\.ts:\d+/, 'no stack trace on screen')

    const { movements } = (await api(node, 'GET', '/movements?sku=BOLT-M8&order=asc')).body
    t.match(movements, [
      { type: 'receipt', quantity: 10 },
      { type: 'receipt', quantity: 25, reference: 'PO-42' },
    ])
    t.equal(movements.length, 2, 'recorded once')
  }
)
