// The warehouse's own screens in a real browser (Debian's chromium, driven by playwright-core)
// against a real node: the nav bar and its hash routes, items searched, created and changed with
// the keyboard, the history filtered and paged with a movement made through the API appearing
// live. The other screens, and the roles, are in screens-roles.test.ts. It saves
// docs/screenshots/items.png, history.png and history-phone.png.
import path from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { api } from '../fixtures/test-node.ts'
import { BROWSER_TEST, SHOTS } from '../fixtures/chromium.ts'
import {
  awaited,
  axeProblems,
  loseFirstAnswer,
  summary,
  timeFromEnter,
  type Drawn,
} from '../fixtures/page-checks.ts'
import {
  asUser,
  getsFocus,
  isFocused,
  issue,
  navLabels,
  receipt,
  signedIn,
  tabTo,
  warehouseScreens,
} from '../fixtures/screens.ts'

t.test('the warehouse screens, by keyboard, live', BROWSER_TEST, async (t) => {
  const { node, admin, ana, browser } = await warehouseScreens(t)

  t.test('an admin reaches the screens from the nav bar by keyboard, #/stock first', async (t) => {
    const page = await signedIn(browser, node.url, admin)
    // The router puts the default screen in the address once it has drawn it.
    await page.waitForURL(/#\/stock$/)
    t.equal(new URL(page.url()).hash, '#/stock', 'the default screen is #/stock')
    t.same(await navLabels(page), [
      'Stock',
      'Items',
      'History',
      'Ledger check',
      'Where is it',
      'Transfers',
      'Network',
    ])
    await tabTo(t, page, page.getByRole('link', { name: 'Items' }))
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Items' }).waitFor()
    t.equal(new URL(page.url()).hash, '#/items')
    t.equal(
      await page.getByRole('link', { name: 'Items' }).getAttribute('aria-current'),
      'page',
      'the nav bar marks the screen shown'
    )
    await page.goBack()
    await page.locator('input[name=quantity]').waitFor()
    t.pass('Back returns to the stock screen')

    // Switching screens from the nav bar, Enter to the screen drawn with its rows, timed in the
    // page (reported, not judged).
    const drawn: [string, Drawn][] = [
      ['Items', { selector: 'table.items tbody tr' }],
      ['History', { selector: 'table.history tbody tr' }],
      ['Stock', { selector: 'td.on-hand' }],
    ]
    const switches: number[] = []
    for (let i = 0; i < 12; i++) {
      const [label, until] = drawn[i % drawn.length]
      await page.getByRole('link', { name: label }).focus()
      switches.push(await timeFromEnter(page, until, () => page.keyboard.press('Enter')))
    }
    t.comment(summary('switching screens, Enter on the nav bar to the screen drawn', switches))
    await page.goto(node.url + '/#/nowhere')
    await page.waitForURL(/#\/stock$/)
    await page.locator('input[name=quantity]').waitFor()
    t.pass('an unknown route shows the default screen, #/stock')
    await page.close()
  })

  t.test('an admin searches as they type, creates and changes items by keyboard', async (t) => {
    const page = await signedIn(browser, node.url, admin, '#/items')
    const search = page.getByLabel('Search items by SKU, name or description')
    await rows(page, 'table.items', ['BOLT-M10', 'BOLT-M8', 'NUT-M8', 'SCREW-4X30'])
    t.ok(await getsFocus(search), 'the search field has the focus')

    // Search as you type, timed from the last keystroke to the rows shown (reported, not judged).
    const timings: { total: number; request: number }[] = []
    // Each last keystroke changes the rows (the text before it shows others).
    for (const [text, expected] of [
      ['bolt m8', ['BOLT-M8']],
      ['m8', ['BOLT-M8', 'NUT-M8']],
      ['bolt-m1', ['BOLT-M10']],
      ['40', ['BOLT-M8']],
      ['6', ['BOLT-M10']],
    ] as const) {
      await search.fill('')
      await rows(page, 'table.items', ['BOLT-M10', 'BOLT-M8', 'NUT-M8', 'SCREW-4X30'])
      timings.push(await timeSearch(page, text, expected))
    }
    t.comment(
      `search as you type, last keystroke to rows shown: ${timings.map((m) => m.total).join(', ')} ms` +
        ` (of which the GET /items: ${timings.map((m) => m.request).join(', ')} ms)`
    )
    t.pass('each search shows only the items that match')

    // Create: the node refuses a SKU it has, in its own words; then a new one.
    await search.fill('')
    await tabTo(t, page, page.locator('summary', { hasText: 'New item' }))
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    const create = page.getByRole('form', { name: 'New item' })
    t.ok(await isFocused(create.getByLabel('SKU')), 'Tab from New item reaches its SKU field')
    await typeFields(page, ['bolt-m8', 'Another bolt', 'pcs'])
    await page.keyboard.press('Enter')
    const duplicate = await api(node, 'POST', '/items', { sku: 'bolt-m8', name: 'x', unit: 'pcs' })
    t.equal(duplicate.status, 409)
    await create.getByRole('alert').filter({ hasText: duplicate.body.error }).waitFor()
    t.pass(`a SKU the catalogue has is refused in the node's words: ${duplicate.body.error}`)
    await create.getByLabel('SKU').focus()
    // The node makes it, and its answer is lost: Enter again is the same write, answered as the
    // first was ("Created"), not a second item refused as one the catalogue has.
    const made = await loseFirstAnswer(page, '**/items')
    await typeFields(page, ['washer-m8', 'Washer M8', 'pcs', '200', 'Zinc, DIN 125'])
    await page.keyboard.press('Enter')
    await create.getByRole('alert').filter({ hasText: 'The node cannot be reached' }).waitFor()
    t.equal((await api(node, 'GET', '/items/WASHER-M8')).status, 200, 'the node made it')
    await page.keyboard.press('Enter')
    await create.getByRole('status').filter({ hasText: 'Created WASHER-M8' }).waitFor()
    await page.unroute('**/items')
    t.equal(made.posts(), 2, 'sent again after its answer was lost: the first answer')
    t.ok(await isFocused(create.getByLabel('SKU')), 'the SKU field has the focus for the next one')
    t.match((await api(node, 'GET', '/items/WASHER-M8')).body, {
      name: 'Washer M8',
      unit: 'pcs',
      reorderPoint: 200,
      description: 'Zinc, DIN 125',
    })
    await rows(page, 'table.items', ['BOLT-M10', 'BOLT-M8', 'NUT-M8', 'SCREW-4X30', 'WASHER-M8'])
    t.pass('the new item is in the list without a reload')

    // A scan (the SKU and Enter at once) opens the item and leaves the search focused, its text
    // selected: the next scan, however soon, opens the next item and changes nothing.
    await search.focus()
    await page.keyboard.type('nut-m8\n')
    const edit = page.getByRole('form', { name: 'Edit NUT-M8' })
    await edit.waitFor()
    t.ok(await isFocused(search), 'the scanned item opens; the search keeps the focus')
    await page.keyboard.type('bolt-m8\n')
    await page.getByRole('form', { name: 'Edit BOLT-M8' }).waitFor()
    t.equal(await search.inputValue(), 'bolt-m8', 'the next scan replaced the last')
    t.match((await api(node, 'GET', '/items/NUT-M8')).body, { name: 'Hex nut M8' }, 'unchanged')
    t.match((await api(node, 'GET', '/items/BOLT-M8')).body, { name: 'Bolt M8 × 40' })

    // Edit: Tab from the search reaches the opened item's name.
    await page.keyboard.type('nut-m8\n')
    await edit.waitFor()
    await page.keyboard.press('Tab')
    t.ok(await getsFocus(edit.getByLabel('Name')), 'Tab reaches its name')
    await edit.getByLabel('Name').fill('')
    await page.keyboard.press('Enter')
    const empty = await api(node, 'PATCH', '/items/NUT-M8', { name: '' })
    t.equal(empty.status, 400)
    await edit.getByRole('alert').filter({ hasText: empty.body.error }).waitFor()
    t.equal(
      await edit.getByRole('alert').textContent(),
      empty.body.error,
      `an empty name is refused in the node's words, once: ${empty.body.error}`
    )
    await page.keyboard.type('Hex nut M8 zinc')
    await page.keyboard.press('Tab') // unit
    await page.keyboard.press('Tab') // reorder point
    await page.keyboard.press('Control+A')
    await page.keyboard.type('25')
    await page.keyboard.press('Enter')
    await page.getByRole('status').filter({ hasText: 'Saved NUT-M8' }).waitFor()
    t.ok(await getsFocus(search), 'saved: back to the search for the next scan')
    t.match((await api(node, 'GET', '/items/NUT-M8')).body, {
      name: 'Hex nut M8 zinc',
      reorderPoint: 25,
    })
    await page
      .locator('table.items tr[data-sku="NUT-M8"]', { hasText: 'Hex nut M8 zinc' })
      .waitFor()
    t.pass('the change is saved and the list shows it')
    await page.screenshot({ path: path.join(SHOTS, 'items.png'), fullPage: true })
    t.same(await axeProblems(page), [], 'items, one open: no serious or critical axe violation')
    await page.keyboard.press('Escape')
    await edit.waitFor({ state: 'detached' })
    t.ok(await isFocused(search), 'Escape closes the item and returns to the search')

    // Opening an item: Enter on its SKU to its form drawn, timed in the page.
    const openings: number[] = []
    for (let i = 0; i < 10; i++) {
      await search.fill('nut-m8')
      await rows(page, 'table.items', ['NUT-M8'])
      const form = { selector: 'form.item-form[aria-label="Edit NUT-M8"]' }
      openings.push(await timeFromEnter(page, form, () => page.keyboard.press('Enter')))
      await page.keyboard.press('Escape')
      await edit.waitFor({ state: 'detached' })
    }
    t.comment(summary('opening an item, Enter on its SKU to its form drawn', openings))
    await page.close()
  })

  t.test(
    'the history filters, pages, names who moved, and shows a new movement live',
    async (t) => {
      const page = await signedIn(browser, node.url, ana, '#/history')
      const all = (await api(node, 'GET', '/movements?limit=500')).body.movements as {
        seq: number
      }[]
      t.equal(all.length, 30)
      await page.locator('table.history tr[data-seq="30"]').waitFor()
      t.same(await seqs(page), range(30, 6), 'the newest 25 first')
      t.equal(await page.locator('tr.is-new').count(), 0, 'none marked new when first shown')
      t.equal(await page.locator('td.actor', { hasText: /^ana$/ }).count(), 25, 'ana made each')
      await page.getByRole('button', { name: 'Older' }).click()
      await page.locator('table.history tr[data-seq="5"]').waitFor()
      t.same(await seqs(page), range(5, 1), 'the older page: the rest')
      await page.getByRole('button', { name: 'Newer' }).click()
      await page.locator('table.history tr[data-seq="30"]').waitFor()
      // On an older page a movement does not move the rows under the reader: it is offered.
      await page.getByRole('button', { name: 'Older' }).click()
      await page.locator('table.history tr[data-seq="5"]').waitFor()
      const meanwhile = await asUser(node, ana, 'POST', '/movements', receipt('BOLT-M8', 1))
      const offered = page.getByRole('button', { name: 'New movements: show the newest (1)' })
      await offered.waitFor()
      t.same(await seqs(page), range(5, 1), 'the older page stays as it was')
      await offered.click()
      await page.locator(`table.history tr[data-seq="${meanwhile.body.seq}"]`).waitFor()
      t.pass('a movement recorded meanwhile is offered, and shown when asked')

      const filters = page.getByRole('form', { name: 'Filters' })
      await filters.getByLabel('SKU').fill('bad sku!')
      await page.keyboard.press('Enter')
      const refused = await api(node, 'GET', '/movements?sku=bad%20sku!')
      t.equal(refused.status, 400)
      await page.getByRole('alert').filter({ hasText: refused.body.error }).waitFor()
      t.pass(`a SKU that cannot be one is refused in the node's words: ${refused.body.error}`)

      await filters.getByLabel('SKU').fill('nut-m8')
      await filters.getByLabel('Type').selectOption({ label: 'Issue' })
      await filters.getByLabel('SKU').focus()
      await page.keyboard.press('Enter')
      const issues = (await api(node, 'GET', '/movements?sku=NUT-M8&type=issue')).body.movements
      t.equal(issues.length, 10)
      await page.locator('table.history tr[data-seq="30"]').waitFor()
      await page.locator('table.history tr[data-seq="29"]').waitFor({ state: 'detached' })
      t.same(
        await seqs(page),
        issues.map((m: { seq: number }) => m.seq),
        'only the NUT-M8 issues'
      )

      // Made elsewhere: a receipt of bolts (filtered out) then an issue of nuts (shown), live.
      t.equal((await asUser(node, admin, 'POST', '/movements', receipt('BOLT-M8', 5))).status, 201)
      const made = await asUser(node, admin, 'POST', '/movements', {
        ...issue('NUT-M8', 2),
        note: 'two for the line 3 repair',
      })
      t.equal(made.status, 201)
      const row = page.locator(`table.history tr[data-seq="${made.body.seq}"]`)
      await row.waitFor()
      t.match(await row.getAttribute('class'), /is-new/, 'the new row is marked')
      t.match(
        await row.textContent(),
        /Issue.*NUT-M8.*-2.*two for the line 3 repair.*admin/,
        'with its type, SKU, change, note (why), actor'
      )
      t.equal(
        await page.locator(`tr[data-seq="${made.body.seq - 1}"]`).count(),
        0,
        'the filtered-out receipt is not shown'
      )
      t.pass('a movement made through the API appears without a reload')
      await page.screenshot({ path: path.join(SHOTS, 'history.png') })
      t.same(await axeProblems(page), [], 'the history: no serious or critical axe violation')

      // A count (an adjustment made by counting) is named, and filtered, as one; here it finds
      // what the records say, so it changes nothing the other screens show.
      const { onHand } = (await api(node, 'GET', '/stock/NUT-M8')).body
      const counted = await asUser(node, admin, 'POST', '/movements', {
        type: 'adjustment',
        sku: 'NUT-M8',
        countedQuantity: onHand,
      })
      t.equal(counted.status, 201)
      await filters.getByLabel('Type').selectOption({ label: 'Count' })
      await filters.getByLabel('SKU').focus()
      await page.keyboard.press('Enter')
      const countRow = page.locator(`table.history tr[data-seq="${counted.body.seq}"]`)
      await countRow.waitFor()
      await page
        .locator(`table.history tr[data-seq="${made.body.seq}"]`)
        .waitFor({ state: 'detached' })
      t.match(await countRow.textContent(), /\d:\d\dCountNUT-M8/, 'named a count')
      t.equal(await page.locator('table.history tbody tr').count(), 1, 'the count alone')
      await filters.getByLabel('Type').selectOption({ label: 'Issue' })

      const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA') // yyyy-mm-dd
      await filters.getByLabel('From (day)').fill(tomorrow)
      await filters.getByLabel('SKU').focus()
      await page.keyboard.press('Enter')
      await page.getByText('No movements match.').waitFor()
      t.pass('from tomorrow on there is nothing')
      // The days are the browser's, both included: the node's `to` (exclusive) is the day after.
      const day = new Date(made.body.createdAt).toLocaleDateString('en-CA')
      await filters.getByLabel('From (day)').fill(day)
      await filters.getByLabel('To (day, included)').fill(day)
      await filters.getByLabel('SKU').focus()
      await page.keyboard.press('Enter')
      await page.locator(`table.history tr[data-seq="${made.body.seq}"]`).waitFor()
      t.equal(
        await page.locator('table.history tbody tr').count(),
        issues.length + 1,
        'from the day they were made to that day: all of them'
      )
      await page.setViewportSize({ width: 390, height: 760 })
      await filters.getByRole('button', { name: 'Clear' }).click()
      // Cleared: every type of every SKU again, the bolts' receipt too.
      await page.locator(`table.history tr[data-seq="${made.body.seq - 1}"]`).waitFor()
      await page.screenshot({ path: path.join(SHOTS, 'history-phone.png') })

      // A filter, Enter to its rows shown, timed in the page: the newest of one SKU, not the other's.
      await page.setViewportSize({ width: 1000, height: 720 })
      const newest = async (sku: string) =>
        (await api(node, 'GET', `/movements?sku=${sku}&limit=1`)).body.movements[0].seq as number
      const [bolt, nut] = [await newest('BOLT-M8'), await newest('NUT-M8')]
      const filterings: number[] = []
      for (let i = 0; i < 10; i++) {
        const [sku, shown, other] = i % 2 ? ['NUT-M8', nut, bolt] : ['BOLT-M8', bolt, nut]
        await filters.getByLabel('SKU').fill(sku)
        const until = {
          selector: `table.history tr[data-seq="${shown}"]`,
          gone: `table.history tr[data-seq="${other}"]`,
        }
        filterings.push(await timeFromEnter(page, until, () => page.keyboard.press('Enter')))
      }
      t.comment(summary('a history filter, Enter to its rows shown', filterings))
      await page.close()
    }
  )
})

const range = (from: number, to: number) =>
  Array.from({ length: from - to + 1 }, (_, i) => from - i)

/** Types each value over what the focused field holds, and Tab to the next. */
async function typeFields(page: Page, values: string[]): Promise<void> {
  for (const [i, value] of values.entries()) {
    await page.keyboard.press('Control+A')
    await page.keyboard.type(value)
    if (i < values.length - 1) await page.keyboard.press('Tab')
  }
}

/** Waits until the table's rows are exactly these SKUs. */
async function rows(page: Page, table: string, skus: readonly string[]): Promise<void> {
  await page.waitForFunction(
    ([table, want]) =>
      [...document.querySelectorAll(`${table} tbody tr`)]
        .map((row) => (row as HTMLElement).dataset.sku)
        .join() === want,
    [table, skus.join()]
  )
}

async function seqs(page: Page): Promise<number[]> {
  return (await page
    .locator('table.history tbody tr')
    .evaluateAll((rows) => rows.map((row) => Number((row as HTMLElement).dataset.seq)))) as number[]
}

/**
 * Types `text` in the search field and answers the milliseconds from its last keystroke (the last
 * input event) to the first frame drawn with exactly the `expected` rows, and of those the time
 * of the GET /items that answered it, measured in the page with performance.now().
 */
async function timeSearch(page: Page, text: string, expected: readonly string[]) {
  await page.evaluate(
    ([text, want]) => {
      const field = document.querySelector<HTMLInputElement>('input[name=search]')!
      let typed = 0
      field.addEventListener('input', () => (typed = performance.now()))
      // Looked at once a frame, until it holds.
      ;(window as unknown as { awaited: Promise<unknown> }).awaited = (async () => {
        for (;;) {
          await new Promise((frame) => requestAnimationFrame(frame))
          const skus = [...document.querySelectorAll<HTMLElement>('table.items tbody tr')]
            .map((row) => row.dataset.sku)
            .join()
          if (!typed || skus !== want || field.value !== text) continue
          const asked = performance
            .getEntriesByType('resource')
            .filter((e) => new URL(e.name).searchParams.get('search') === text)
            .at(-1) as PerformanceResourceTiming | undefined
          if (!asked) throw new Error(`no GET /items for "${text}" was timed`)
          return {
            total: Math.round(performance.now() - typed),
            request: Math.round(asked.responseEnd - asked.startTime),
          }
        }
      })()
    },
    [text, expected.join()]
  )
  await page.locator('input[name=search]').focus()
  await page.keyboard.type(text)
  return awaited<{ total: number; request: number }>(
    page,
    `the items ${expected.join(', ')} for the search "${text}"`
  )
}
