import t from 'tap'
import { Cancelled, Interrupted, NodeRefusal, NodeUnreachable } from '../../client/errors.ts'
import type { Io } from '../../client/io.ts'
import { explain, mainMenu, runAction, subMenu, type Menu } from '../../client/menu-loop.ts'
import { MENUS } from '../../client/menus.ts'
import { CTRL_C, session } from '../fixtures/client-kit.ts'

/** Menus whose actions only record that they ran. */
function fakeMenus(ran: string[]): Menu[] {
  const action = (key: string) => ({ key, title: key, run: async () => void ran.push(key) })
  return [
    { key: 'one', title: 'One', hint: 'a, b', actions: [action('a'), action('b')] },
    { key: 'two', title: 'Two', hint: 'c, d', actions: [action('c'), action('d')] },
    { key: 'three', title: 'Three', hint: 'e', actions: [action('e')] },
  ]
}

const offline = 'http://127.0.0.1:9'

t.test('the main menu opens sub-menus, runs actions and quits on Quit', async (t) => {
  const ran: string[] = []
  const s = session(offline, ['one', 'b', 'a', 'back', 'two', 'c', 'back', 'quit'])
  await mainMenu(s.io, fakeMenus(ran))
  t.same(ran, ['b', 'a', 'c'])
  t.same(s.unused(), [])
})

t.test('a menu of one action runs it at once, and the main menu comes back', async (t) => {
  const ran: string[] = []
  const s = session(offline, ['three', 'three', 'quit'])
  await mainMenu(s.io, fakeMenus(ran))
  t.same(ran, ['e', 'e'])
  t.same(s.unused(), [])
})

t.test(
  'Ctrl-C in a sub-menu goes back to the main menu, and in the main menu ends it',
  async (t) => {
    const ran: string[] = []
    const s = session(offline, ['two', CTRL_C, 'one', 'a', CTRL_C, CTRL_C])
    await mainMenu(s.io, fakeMenus(ran))
    t.same(ran, ['a'])
    t.same(s.unused(), [])
  }
)

t.test('a sub-menu comes back after each action, until Back', async (t) => {
  const ran: string[] = []
  const s = session(offline, ['a', 'a', 'b', 'back'])
  await subMenu(s.io, fakeMenus(ran)[0])
  t.same(ran, ['a', 'a', 'b'])
})

t.test("a failed action shows the node's sentence or a plain one, never a stack", async (t) => {
  const s = session(offline, [])
  const failing = (err: unknown) => ({
    key: 'x',
    title: 'x',
    run: async (_io: Io) => {
      throw err
    },
  })
  await runAction(s.io, failing(new NodeRefusal(404, 'NOT_FOUND', 'No item with SKU NOPE')))
  await runAction(s.io, failing(new TypeError('x is not a function')))
  t.same(s.lines, [
    '✖ No item with SKU NOPE',
    '✖ Something unexpected went wrong: x is not a function. Set ALMACEN_DEBUG=1 to see the details.',
  ])
})

t.test('Ctrl-C says "nothing was recorded" only where something could have been', async (t) => {
  const s = session(offline, [])
  const action = (key: string) => MENUS.flatMap((m) => m.actions).find((a) => a.key === key)!
  const leftWith = (err: unknown) => async () => {
    throw err
  }
  await runAction(s.io, { ...action('all'), run: leftWith(new Cancelled()) })
  await runAction(s.io, { ...action('history'), run: leftWith(new Interrupted(false)) })
  t.same(s.lines, [], 'a look-up simply goes back')
  await runAction(s.io, { ...action('receive'), run: leftWith(new Cancelled()) })
  await runAction(s.io, { ...action('issue'), run: leftWith(new Interrupted(false)) })
  t.same(s.lines, ['  Cancelled: nothing was recorded.', '  Cancelled: nothing was recorded.'])
  s.lines.length = 0
  await runAction(s.io, { ...action('count'), run: leftWith(new Interrupted(true, 'k-1')) })
  await runAction(s.io, { ...action('leave'), run: leftWith(new Interrupted(true)) })
  t.match(s.lines, [
    /^✖ The node did not confirm it, so it may or may not have been recorded/,
    /Network › Members/,
  ])
})

t.test('a write the node never confirmed is reported as possibly recorded', async (t) => {
  t.match(
    explain(new NodeUnreachable('http://x', 'connection refused', 'key-1')),
    /may or may not have been recorded/
  )
  t.match(
    explain(new NodeUnreachable('http://x', 'connection refused')),
    /^Cannot reach the almacen node/
  )
})

t.test('every menu has actions, and every key is unique, so answers can name them', async (t) => {
  const keys = MENUS.map((m) => m.key)
  t.same(new Set(keys).size, keys.length)
  for (const menu of MENUS) {
    t.ok(menu.actions.length, menu.title)
    const actionKeys = menu.actions.map((a) => a.key)
    t.same(new Set(actionKeys).size, actionKeys.length, `${menu.title} keys are unique`)
  }
  t.same(keys, ['movements', 'stock', 'where', 'transfers', 'items', 'messages', 'node', 'network'])
})
