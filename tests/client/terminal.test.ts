// End to end, as a person sees it: the interactive client in a real terminal (tmux), driven by
// keystrokes from the main menu to a recorded receipt, then Ctrl-C out. The screen is polled
// for each expected text with a deadline; nothing waits a fixed time.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { seed, startNetwork } from '../fixtures/client-kit.ts'
import { droppingProxy } from '../fixtures/dropping-proxy.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { ROOT } from '../fixtures/root.ts'
import { tokenOf } from '../fixtures/tokens.ts'

const hasTmux = spawnSync('tmux', ['-V']).status === 0
const needsTmux = { skip: hasTmux ? false : 'tmux is not installed (.ci/run installs it)' }

/**
 * A tmux server of our own, on a socket in a fresh temporary directory (short enough for a Unix
 * socket path, unlike the test's directory), so a person's tmux sessions are never touched.
 */
function terminal(t: { teardown(fn: () => unknown): void }, command: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'almacen-tmux-'))
  const socket = path.join(dir, 'socket')
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', timeout: 5000 })
  tmux('new-session', '-d', '-s', 'client', '-x', '110', '-y', '45', '-c', ROOT, command)
  t.teardown(() => {
    spawnSync('tmux', ['-S', socket, 'kill-server'])
    rmSync(dir, { recursive: true, force: true })
  })
  const screen = () => tmux('capture-pane', '-p', '-t', 'client', '-S', '-')
  /** Resolves when the screen satisfies `check`; fails, showing the screen, after a deadline. */
  async function until(check: string | RegExp | ((s: string) => boolean), ms = 20_000) {
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
  }
  return {
    screen,
    until,
    type: (text: string) => tmux('send-keys', '-t', 'client', '-l', text),
    press: (...keys: string[]) => tmux('send-keys', '-t', 'client', ...keys),
    /** A barcode scanner: the code and Enter in one go, with nothing in between. */
    scan: (code: string) =>
      tmux('send-keys', '-t', 'client', '-l', code, ';', 'send-keys', '-t', 'client', 'Enter'),
    /** Resolves when `text` has appeared `n` times (the screen and its history). */
    nth: (text: string, n: number) => until((s) => s.split(text).length - 1 >= n),
  }
}

/** The menus in a terminal, talking to `url`, once they greet; the exit status shows at the end. */
async function openClient(t: { teardown(fn: () => unknown): void }, url: string) {
  // The `almacen` command itself: the built client, as a person runs it (tsx if the build is old).
  const token = tokenOf(url)
  const client = `${process.execPath} client/almacen.js --url ${url}${token ? ` --token ${token}` : ''}`
  const term = terminal(t, `${client}; echo "exit status $?"; sleep 600`)
  await term.until('? What do you want to do?')
  return term
}

t.test(
  'a person receives goods from the main menu with arrow keys and Enter, then leaves with Ctrl-C',
  needsTmux,
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    await seed(node, [
      { sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 10 },
      { sku: 'NUT-M8', name: 'Nut M8' },
    ])
    const term = await openClient(t, node.url)
    t.match(term.screen(), `almacen · Madrid · ${node.url}`)
    term.press('Enter') // Movements
    await term.until('Receive goods')
    term.press('Enter') // Receive goods
    await term.until((s) => s.includes('Item received (type to search)') && s.includes('NUT-M8'))
    term.type('bolt')
    await term.until((s) => /› bolt\n.*BOLT-M8  Bolt M8 zinc/.test(s) && !s.includes('NUT-M8'))
    // A person reads the list before choosing from it: an Enter within 0.2 s of the list is a
    // scanner's, for which "bolt" is a code, not a search (client/item-prompt.ts).
    await new Promise((resolve) => setTimeout(resolve, 400))
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

t.test(
  'a SKU scanned with Enter straight after is the item recorded, however late the suggestions',
  needsTmux,
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    // Hundreds of items whose SKUs are prefixes of one another: PART-2, PART-25, PART-250…
    await seed(node, [
      { sku: 'BOLT-M8', name: 'Bolt M8 zinc' },
      { sku: 'WASHER-M8', name: 'Washer M8 zinc' },
      ...Array.from({ length: 300 }, (_, i) => ({ sku: `PART-${i + 1}`, name: `Part ${i + 1}` })),
    ])
    // Suggestions (and look-ups) of items come back a fifth of a second late, as on a busy node.
    const slow = await droppingProxy(
      t,
      node.url,
      () => false,
      (seen) => (seen.path.startsWith('/items') ? 200 : 0)
    )
    const term = await openClient(t, slow.url)
    term.press('Enter') // Movements
    await term.until('Receive goods')

    const scans = ['PART-250', 'washer-m8', 'PART-25', 'PART-2', 'part-299', 'PART-30', 'PART-3']
    const receive = async (round: number, keys: () => void) => {
      term.press('Enter') // Receive goods: the menu keeps the last choice
      await term.nth('Item received (type to search)', round)
      // The first suggestions are on screen, as they are by the time a person scans.
      await term.until((s) => s.slice(s.lastIndexOf('? Item received')).includes('BOLT-M8'))
      keys()
      await term.nth('How many ea arrived?', round)
      term.type('1')
      term.press('Enter')
      await term.nth('Purchase order or delivery note (optional)', round)
      term.press('Enter')
      await term.nth('Note (optional)', round)
      term.press('Enter')
      await term.nth('Receive 1 ea of ', round)
      term.press('Enter') // yes
      await term.nth('✔ Received 1 ea of ', round)
      await term.until((s) => s.lastIndexOf('? Movements:') > s.lastIndexOf('✔ Received'))
    }
    for (const [i, code] of scans.entries()) await receive(i + 1, () => term.scan(code))
    // The highlight moved on the first list, then a SKU scanned: the new list starts afresh.
    await receive(scans.length + 1, () => {
      term.press('Down', 'Down')
      term.scan('PART-25')
    })

    const { movements } = (await api(node, 'GET', '/movements?order=asc&limit=50')).body
    t.same(
      movements.map((m: { sku: string }) => m.sku),
      [...scans, 'PART-25'].map((code) => code.toUpperCase()),
      'every receipt is recorded against the item scanned'
    )
  }
)

t.test(
  'keys typed ahead go each to the question they were typed for, and a refused answer drops what followed it',
  needsTmux,
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 10 }])
    const term = await openClient(t, node.url)
    term.press('Enter') // Movements
    await term.until('Receive goods')
    term.press('Enter') // Receive goods
    await term.until('Item received (type to search)')
    // The SKU, the quantity, the reference, the note and the yes, each with its Enter, in one
    // burst; then the next choice of the menu, and the next SKU, before the menu is back.
    term.type('bolt-m8\r25\rPO-99\rpallet 3\r\r')
    await term.until('✔ Received 25 ea of BOLT-M8 (PO-99). On hand now: 35 ea.')

    // A quantity refused: what was typed after it was meant for the questions after, not for it.
    await term.until((s) => s.lastIndexOf('? Movements:') > s.lastIndexOf('✔ Received'))
    term.press('Enter') // Receive goods
    await term.nth('Item received (type to search)', 2)
    term.type('bolt-m8\r0\rPO-100\r')
    await term.until('The quantity must be a whole number greater than zero')
    term.press('BSpace')
    term.type('5\rPO-100\r\ry')
    await term.until('✔ Received 5 ea of BOLT-M8 (PO-100). On hand now: 40 ea.')

    // A SKU the catalogue does not have: the quantity typed after it is not taken as a search.
    await term.until((s) => s.lastIndexOf('? Movements:') > s.lastIndexOf('✔ Received 5'))
    term.press('Enter') // Receive goods
    await term.nth('Item received (type to search)', 3)
    term.type('nope-1\r7\r')
    await term.until("No item NOPE-1 in this warehouse's catalogue: check the code")
    // Were the 7 and its Enter given to the item question asked again, this would not be it.
    term.type('bolt-m8\r1\rPO-7\r\r\r')
    await term.until('✔ Received 1 ea of BOLT-M8 (PO-7). On hand now: 41 ea.')

    const { movements } = (await api(node, 'GET', '/movements?sku=BOLT-M8&order=asc')).body
    t.match(movements, [
      { quantity: 10 },
      { quantity: 25, reference: 'PO-99', note: 'pallet 3' },
      { quantity: 5, reference: 'PO-100', note: '' },
      { quantity: 1, reference: 'PO-7' },
    ])
    t.equal(movements.length, 4)
  }
)

t.test(
  'Ctrl-C while the node does not answer goes back, and says when a change may have been recorded',
  needsTmux,
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 10 }])
    // The node freezes on the stock list and on a receipt (which it records, then never answers).
    const frozen = await droppingProxy(
      t,
      node.url,
      () => false,
      (seen) => (seen.path.startsWith('/stock?') || seen.method === 'POST' ? 600_000 : 0)
    )
    const term = await openClient(t, frozen.url)
    // Said from 3 s on, and counted every second: the count may have moved on when looked at.
    const waiting = /Madrid has not answered for \d+ s; still trying… Ctrl-C to go back/
    term.press('Down', 'Enter') // Stock
    await term.until('Everything on hand')
    term.press('Down', 'Down', 'Enter') // Everything on hand
    await term.until(waiting)
    term.press('C-c')
    await term.until(/✔ Stock: › Everything on hand\s+\? Stock:/) // back in the same menu
    t.notMatch(term.screen(), 'Cancelled', 'a look-up left with Ctrl-C says nothing of records')

    term.press('C-c') // to the main menu
    await term.nth('What do you want to do?', 2)
    term.press('Up', 'Enter') // Movements
    await term.until('Receive goods')
    term.press('Enter')
    await term.until('Item received (type to search)')
    term.scan('BOLT-M8')
    await term.until('How many ea arrived?')
    term.type('5')
    term.press('Enter')
    await term.until('Purchase order or delivery note (optional)')
    term.press('Enter')
    await term.until('Note (optional)')
    term.press('Enter')
    await term.until('Receive 5 ea of BOLT-M8 (Bolt M8 zinc)?')
    term.press('Enter')
    await term.until((s) => waiting.test(s.slice(s.lastIndexOf('Receive 5 ea of BOLT-M8'))))
    // A scan while it waits, then Ctrl-C: the scan was for the receipt left, not for the menu
    // (its Enter chose Receive goods there, and started another receipt).
    term.scan('NUT-M8')
    term.press('C-c')
    await term.until('✖ The node did not confirm it, so it may or may not have been recorded.')
    await term.until(/Check the history before entering it\s+again\.\s+\? Movements:/) // back
    term.press('C-c') // to the main menu: one Ctrl-C, no receipt started meanwhile
    await term.nth('What do you want to do?', 3)
    t.notMatch(
      term.screen().slice(term.screen().lastIndexOf('Check the history')),
      'Item received',
      'no receipt started by the scan'
    )
    term.press('C-c')
    const last = await term.until('exit status 0')
    t.match(last, 'Bye.')
    const { movements } = (await api(node, 'GET', '/movements?sku=BOLT-M8')).body
    t.equal(movements.length, 2, 'the receipt did reach the node, as the person was warned')
  }
)

t.test(
  'a transfer is sent with a scanner: each code and Enter an item, Enter on nothing ends the list',
  needsTmux,
  async (t) => {
    const [node, norte] = await startNetwork(t, ['Madrid', 'Norte'])
    await seed(
      node,
      ['BOLT-M8', 'PART-2', 'PART-25', 'PART-250', 'WASHER-M8'].map((sku) => ({
        sku,
        name: `Item ${sku}`,
        onHand: 10,
      }))
    )
    // Suggestions come back a fifth of a second late, as on a busy node.
    const slow = await droppingProxy(
      t,
      node.url,
      () => false,
      (seen) => (seen.path.startsWith('/items') ? 200 : 0)
    )
    const term = await openClient(t, slow.url)
    // A scan at the main menu chooses nothing: its Enter does not open the highlighted Movements.
    term.scan('BOLT-M10')
    term.press('Down', 'Down', 'Down', 'Enter') // Transfers
    await term.until('Send goods to another warehouse')
    term.press('Enter')
    await term.until('Send to which warehouse?')
    term.press('Enter') // Norte, the only other one
    await term.until((s) => s.includes('Item to send (type to search') && s.includes('BOLT-M8'))
    term.scan('PART-25')
    await term.until('How many ea of PART-25 go?')
    term.type('2')
    term.press('Enter')
    await term.until('Next item (type to search')
    term.scan('washer-m8')
    await term.until('How many ea of WASHER-M8 go?')
    term.type('1')
    term.press('Enter')
    await term.nth('Next item (type to search', 2)
    await term.until((s) => s.slice(s.lastIndexOf('Next item')).includes('BOLT-M8'))
    term.press('Enter') // nothing typed: the list is complete
    await term.until('Reference (delivery note, order) (optional)')
    term.press('Enter')
    await term.until('Note (optional)')
    term.press('Enter')
    await term.until('Send 2 lines to Norte?')
    term.press('Enter')
    await term.until(/✔ Sent PART-25 ×2, WASHER-M8 ×1 to Norte: transfer/)
    const { transfers } = (await api(node, 'GET', '/transfers')).body
    t.match(transfers, [
      {
        direction: 'out',
        peer: norte.identity.id,
        lines: [
          { sku: 'PART-25', sent: 2 },
          { sku: 'WASHER-M8', sent: 1 },
        ],
      },
    ])
    t.equal(transfers.length, 1, 'sent once')
    t.equal((await api(node, 'GET', '/stock/BOLT-M8')).body.onHand, 10, 'BOLT-M8 never chosen')
  }
)
