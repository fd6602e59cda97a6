// The web client in a real browser (Debian's chromium, driven by playwright-core) against a real
// node: sign in, receive and issue with the keyboard only, a refusal in the node's words, a
// receipt made through the API appearing live, the node going away and coming back. It saves
// the screenshots in docs/screenshots/ that the README shows.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { BROWSER_TEST, launchChromium, SHOTS } from '../fixtures/chromium.ts'
import {
  axeProblems,
  loseFirstAnswer,
  slowAnswers,
  summary,
  timeFromEnter,
} from '../fixtures/page-checks.ts'

t.test(
  'the page and its hashed assets are served with their caching headers and a strict CSP',
  async (t) => {
    const node = await startTestNode(t)
    const page = await fetch(node.url + '/')
    t.equal(page.status, 200)
    t.equal(page.headers.get('cache-control'), 'no-cache', 'the page is checked each time')
    t.match(page.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/)
    const html = await page.text()
    const script = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1]
    t.ok(script, 'the page names its hashed script')
    const asset = await fetch(node.url + script, { headers: { 'accept-encoding': 'gzip' } })
    t.equal(asset.status, 200)
    t.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    t.equal(asset.headers.get('content-encoding'), 'gzip')
    t.match(await fetch(node.url + '/assets/app-NOPE.js').then((r) => r.json()), {
      code: 'NOT_FOUND',
      error: /no file named app-NOPE.js/,
    })
  }
)

t.test(
  'a clerk signs in, receives and issues with the keyboard, sees stock change live, and is signed out when the token is revoked',
  BROWSER_TEST,
  async (t) => {
    const dataDir = tempDir(t)
    let node = await startTestNode(t, { name: 'Madrid', dataDir })
    t.equal((await api(node, 'POST', '/users', { name: 'ana', role: 'operator' })).status, 201)
    const made = await api(node, 'POST', '/tokens', { user: 'ana', name: 'counter' })
    const { token, id: tokenId } = made.body as { token: string; id: string }
    for (const [sku, name] of [
      ['BOLT-M8', 'Bolt M8 × 40'],
      ['NUT-M8', 'Hex nut M8'],
    ]) {
      const made = await api(node, 'POST', '/items', { sku, name, unit: 'pcs', reorderPoint: 10 })
      t.equal(made.status, 201, `item ${sku} made`)
    }
    const browser = await launchChromium(t)
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' })
    page.setDefaultTimeout(10_000)
    mkdirSync(SHOTS, { recursive: true })
    const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) })

    await page.goto(node.url)
    const tokenField = page.getByLabel('API token')
    await tokenField.waitFor()
    t.equal(
      await page.getByTestId('warehouse').textContent(),
      new URL(node.url).host,
      'before signing in, the header names the address (the name needs a token)'
    )
    t.ok(await isFocused(page, '#token'), 'the token field has the focus')
    await page.keyboard.type('almacen_not-a-token')
    await page.keyboard.press('Enter')
    const refusal = await page.getByRole('alert').textContent()
    t.match(refusal, /token/i, `a wrong token shows the node's sentence: ${refusal}`)
    await shot('sign-in')
    t.same(await axeProblems(page), [], 'the sign-in: no serious or critical axe violation')

    await tokenField.fill(token)
    await page.keyboard.press('Enter')
    await page.getByTestId('role').waitFor()
    t.equal(await page.getByTestId('role').textContent(), 'operator', 'the role comes from GET /me')
    await page
      .getByTestId('warehouse')
      .filter({ hasText: /^Madrid$/ })
      .waitFor()
    await page.waitForFunction(() => document.title === 'Stock · Madrid · almacen')
    t.pass('the tab says which warehouse it is: Stock · Madrid · almacen')
    await page.locator('tr[data-sku="NUT-M8"]').waitFor()
    t.equal(
      await page.locator('tr[data-sku="NUT-M8"] td.unit').textContent(),
      'pcs',
      'each row says its unit (one warehouse counts in metres, another in rolls)'
    )

    // Receive: the SKU field has the focus, Enter moves on, Enter records.
    t.ok(await isFocused(page, 'input[name=sku]'), 'the SKU field has the focus')
    await page.keyboard.type('BOLT-M8')
    await page.keyboard.press('Enter')
    t.ok(await isFocused(page, 'input[name=quantity]'), 'Enter moved to the quantity')
    await page.keyboard.type('50')
    await page.keyboard.press('Enter')
    await page.getByText('Received 50 × BOLT-M8: 50 on hand now').waitFor()
    await onHand(page, 'BOLT-M8', '50')
    t.pass('a receipt of 50 shows 50 on hand')
    t.ok(await isFocused(page, 'input[name=sku]'), 'the SKU field has the focus again')

    // Issue: Shift+Tab to the kind, an arrow picks Issue, Tab back to the SKU.
    await chooseKind(page, 'Issue')
    t.ok(await page.getByRole('radio', { name: 'Issue' }).isChecked(), 'Issue is chosen')
    await scan(page, 'BOLT-M8', '500')
    const asked = await api(node, 'POST', '/movements', {
      type: 'issue',
      sku: 'BOLT-M8',
      quantity: 500,
    })
    t.equal(asked.body.code, 'INSUFFICIENT_STOCK', 'the node refuses that issue')
    const alert = page.locator('.movement [role=alert]')
    await alert.filter({ hasText: asked.body.error }).waitFor()
    t.pass(`the refused issue shows the node's sentence: ${asked.body.error}`)
    await shot('refused-issue')

    // "1e3" is no whole number to a clerk, however JavaScript reads it: nothing is sent.
    await page.locator('input[name=quantity]').fill('')
    await page.keyboard.type('1e3')
    await page.keyboard.press('Enter')
    await alert.filter({ hasText: 'Type a whole number, such as 12.' }).waitFor()
    t.pass('a quantity of "1e3" is refused in the page, in its own words')

    // A refusal whose detail repeats its sentence in other case is said once.
    const unknown = await api(node, 'POST', '/movements', {
      type: 'issue',
      sku: 'NOPE-1',
      quantity: 1,
    })
    t.equal(unknown.status, 404)
    await page.locator('input[name=sku]').fill('NOPE-1')
    await page.locator('input[name=quantity]').fill('1')
    await page.keyboard.press('Enter')
    await alert.filter({ hasText: unknown.body.error }).waitFor()
    t.equal(await alert.textContent(), unknown.body.error, `said once: ${unknown.body.error}`)
    await page.locator('input[name=sku]').fill('BOLT-M8')

    await page.locator('input[name=quantity]').fill('')
    await page.keyboard.type('45')
    await page.keyboard.press('Enter')
    await page.getByText('Issued 45 × BOLT-M8: 5 on hand now').waitFor()
    await onHand(page, 'BOLT-M8', '5')
    t.match(await page.locator('tr[data-sku="BOLT-M8"]').getAttribute('class'), /is-low/, 'now low')

    // Count: Shift+Tab, an arrow to Count; what is on the shelf, and the node records the difference.
    await chooseKind(page, 'Count')
    await page.keyboard.type('BOLT-M8')
    await page.keyboard.press('Enter')
    t.ok(await page.getByLabel('Counted quantity').isVisible(), 'the quantity asked is the count')
    await page.keyboard.press('Enter')
    await alert.filter({ hasText: 'Type a number first.' }).waitFor()
    t.pass('Enter on an empty count sends nothing (it is not a count of zero)')
    await page.keyboard.type('12')
    await page.keyboard.press('Enter')
    await page.getByText('Counted 12 × BOLT-M8 (+7): 12 on hand now').waitFor()
    await onHand(page, 'BOLT-M8', '12')
    t.pass('a count of 12 over 5 on hand records +7 and shows 12')
    t.ok(await isFocused(page, 'input[name=sku]'), 'the SKU field has the focus again')

    // Adjust: a signed change; too large a reduction is refused in the node's words.
    await chooseKind(page, 'Adjust')
    await scan(page, 'BOLT-M8', '-20')
    // Enter on the change goes to the reason (an adjustment moves no goods: it says why).
    t.ok(await isFocused(page, 'input[name=note]'), 'Enter on the change: the reason next')
    await page.keyboard.press('Enter') // no reason given: sent as it is
    const tooMuch = await api(node, 'POST', '/movements', {
      type: 'adjustment',
      sku: 'BOLT-M8',
      delta: -20,
    })
    t.equal(tooMuch.status, 409, 'the node refuses to take away more than is on hand')
    await alert.filter({ hasText: tooMuch.body.error }).waitFor()
    t.pass(`the refused adjustment shows the node's sentence: ${tooMuch.body.error}`)
    t.ok(await isFocused(page, 'input[name=quantity]'), 'the change is selected to be typed again')
    await page.keyboard.type('-2')
    await page.keyboard.press('Enter')
    t.ok(await isFocused(page, 'input[name=note]'), 'Enter reaches the reason')
    await page.keyboard.type('damaged')
    await page.keyboard.press('Enter')
    await page.getByText('Adjusted BOLT-M8 -2: 10 on hand now').waitFor()
    await onHand(page, 'BOLT-M8', '10')
    const last = (await api(node, 'GET', '/movements?sku=BOLT-M8&limit=1')).body.movements[0]
    t.match(last, { type: 'adjustment', delta: -2, note: 'damaged', balanceAfter: 10 })
    t.match(await page.locator('.movement [role=status]').textContent(), /Adjusted/)
    await shot('adjust')
    t.same(await axeProblems(page), [], 'the stock screen: no serious or critical axe violation')

    // A receipt's Enter to its row showing the new figure, timed in the page (reported, not judged).
    await chooseKind(page, 'Receive')
    const receipts: number[] = []
    for (let i = 1; i <= 10; i++) {
      await page.keyboard.type('BOLT-M8')
      await page.keyboard.press('Enter')
      await page.keyboard.type('1')
      const shown = { selector: 'tr[data-sku="BOLT-M8"] td.on-hand', text: String(10 + i) }
      receipts.push(await timeFromEnter(page, shown, () => page.keyboard.press('Enter')))
      await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'sku')
    }
    t.comment(summary('a receipt, Enter to the stock row showing it', receipts))

    // Scans typed while the node is still answering the one before (each answer held back
    // 300 ms here): every one is recorded, in the order typed, and nothing lands in a wrong field.
    const before = (await api(node, 'GET', '/movements?limit=1')).body.movements[0].seq
    await slowAnswers(page, '**/movements', 300)
    await page.keyboard.type('BOLT-M8\n1\nNUT-M8\n2\n\nBOLT-M8\n3\n')
    await page.getByText('Received 3 × BOLT-M8: 24 on hand now').waitFor()
    await page.unroute('**/movements')
    const typedAhead = (await api(node, 'GET', `/movements?limit=3`)).body.movements
    t.match(
      typedAhead.reverse(),
      [
        { seq: before + 1, sku: 'BOLT-M8', quantity: 1 },
        { seq: before + 2, sku: 'NUT-M8', quantity: 2 },
        { seq: before + 3, sku: 'BOLT-M8', quantity: 3 },
      ],
      'three scans typed ahead: three receipts, in order (a second Enter is no scan)'
    )
    t.ok(await isFocused(page, 'input[name=sku]'), 'the SKU field has the focus')
    t.equal(await page.locator('input[name=sku]').inputValue(), '', 'and is empty')

    // A receipt the node records whose answer is lost on the way back: the fields come back, and
    // Enter again sends it with the same Idempotency-Key, so it is recorded once, not twice.
    const lost = await loseFirstAnswer(page, '**/movements')
    const beforeLost = (await api(node, 'GET', '/movements?limit=1')).body.movements[0].seq
    await page.keyboard.type('NUT-M8\n5\n')
    await page.waitForFunction(
      () => (document.querySelector('input[name=quantity]') as HTMLInputElement).value === '5'
    )
    t.equal(
      (await api(node, 'GET', '/movements?limit=1')).body.movements[0].seq,
      beforeLost + 1,
      'the node recorded the receipt whose answer was lost'
    )
    await page.keyboard.press('Enter')
    await page.getByText('Received 5 × NUT-M8: 7 on hand now').waitFor()
    await page.unroute('**/movements')
    const afterLost = (await api(node, 'GET', `/movements?limit=2`)).body.movements
    t.equal(lost.posts(), 2, 'sent twice')
    t.equal(afterLost[0].seq, beforeLost + 1, 'the receipt sent again was recorded once')
    t.match(afterLost[0], { sku: 'NUT-M8', quantity: 5 })

    // Two cartons of the same scanned one after the other, the first one's answer lost: two
    // writes, both recorded (a retry's key is its own, never the next identical scan's); Enter
    // on the first's fields, put back, is that first write again, recorded once.
    let typed = () => {}
    // The first one's answer lost once the second scan is in.
    await loseFirstAnswer(page, '**/movements', new Promise<void>((resolve) => (typed = resolve)))
    await page.keyboard.type('NUT-M8\n1\nNUT-M8\n1\n')
    typed()
    await page.getByText('Received 1 × NUT-M8: 9 on hand now').waitFor()
    await page.waitForFunction(
      () => (document.querySelector('input[name=quantity]') as HTMLInputElement).value === '1'
    )
    await page.keyboard.press('Enter')
    await page.getByText('Received 1 × NUT-M8: 8 on hand now').waitFor()
    await page.unroute('**/movements')
    const cartons = (await api(node, 'GET', '/movements?limit=3')).body.movements
    t.same(
      cartons.map((m: { seq: number; quantity: number }) => [m.seq, m.quantity]),
      [
        [beforeLost + 3, 1],
        [beforeLost + 2, 1],
        [beforeLost + 1, 5],
      ],
      'two identical scans: two receipts; the first sent again: still two'
    )

    // A receipt made while the page's reload of the whole list is on its way (its answer held
    // back here, read before the receipt): the row shows the receipt, and keeps showing it once
    // the older list arrives.
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    let fetched = () => {}
    const listRead = new Promise<void>((resolve) => (fetched = resolve))
    await page.route('**/stock?limit=500*', async (route) => {
      const answer = await route.fetch()
      fetched()
      await held
      await route.fulfill({ response: answer })
    })
    await page.reload()
    await listRead
    const during = await api(node, 'POST', '/movements', {
      type: 'receipt',
      sku: 'NUT-M8',
      quantity: 1,
    })
    t.equal(during.status, 201)
    await onHand(page, 'NUT-M8', '10')
    const again = page.waitForResponse((r) => new URL(r.url()).pathname === '/stock/NUT-M8')
    release()
    await again
    await onHand(page, 'NUT-M8', '10')
    await page.unroute('**/stock?limit=500*')
    t.pass('a row changed while the list reloads is not put back as the list read it')

    // Made elsewhere: the row changes without a reload.
    const receipt = await api(node, 'POST', '/movements', {
      type: 'receipt',
      sku: 'NUT-M8',
      quantity: 7,
    })
    t.equal(receipt.status, 201)
    await onHand(page, 'NUT-M8', '17')
    t.pass('a receipt made through the API appears live')
    await page.getByLabel('Search by SKU or name').fill('nut')
    await page.locator('tr[data-sku="BOLT-M8"]').waitFor({ state: 'detached' })
    t.equal(await page.locator('tbody tr').count(), 1, 'the search keeps the nuts only')
    await page.getByLabel('Search by SKU or name').fill('')
    await page.locator('tr[data-sku="BOLT-M8"]').waitFor()
    await shot('stock')
    await page.setViewportSize({ width: 390, height: 760 }) // a phone
    await shot('stock-phone')
    await page.setViewportSize({ width: 1000, height: 700 })

    // The node goes away: the page says so; it comes back on the same address: the page recovers,
    // and what happened meanwhile shows.
    const port = Number(new URL(node.url).port)
    await node.close()
    await page.locator('.offline').waitFor()
    t.pass('the page says the node cannot be reached')
    await shot('offline')
    node = await startTestNode(t, { name: 'Madrid', dataDir, port })
    await api(node, 'POST', '/movements', { type: 'receipt', sku: 'NUT-M8', quantity: 3 })
    await page.locator('.offline').waitFor({ state: 'detached' })
    await onHand(page, 'NUT-M8', '20')
    t.pass('back: the page recovers by itself and shows what changed')

    await page.getByRole('button', { name: 'Español' }).click()
    await page.getByRole('heading', { name: 'Existencias' }).waitFor()
    t.pass('the page speaks Spanish when asked')
    await page.getByRole('button', { name: 'English' }).click()

    // The token revoked: when the page next reaches the node, it is signed out with the reason.
    t.equal((await api(node, 'POST', `/tokens/${tokenId}/revoke`)).status, 200)
    await node.close()
    await page.locator('.offline').waitFor()
    node = await startTestNode(t, { name: 'Madrid', dataDir, port })
    const signedOut = await page
      .getByRole('alert')
      .filter({ hasText: /revoked/ })
      .textContent()
    t.ok(await page.getByLabel('API token').isVisible(), 'back at the sign-in')
    t.pass(`a revoked token signs the page out with the node's sentence: ${signedOut}`)
  }
)

/** As with a scanner: the SKU, Enter, the amount, Enter. */
async function scan(page: Page, sku: string, amount: string): Promise<void> {
  await page.keyboard.type(sku)
  await page.keyboard.press('Enter')
  await page.keyboard.type(amount)
  await page.keyboard.press('Enter')
}

/** Shift+Tab from the SKU field to the movement's kind, arrows to `kind`, Tab back to the SKU. */
async function chooseKind(page: Page, kind: string): Promise<void> {
  const radio = page.getByRole('radio', { name: kind })
  await page.keyboard.press('Shift+Tab')
  // Four kinds: more presses than that and the focus is not on them.
  for (let presses = 0; !(await radio.isChecked()); presses++) {
    if (presses === 8) throw new Error(`ArrowRight never reached the kind ${kind}`)
    await page.keyboard.press('ArrowRight')
  }
  await page.keyboard.press('Tab')
}

async function isFocused(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((element) => element === document.activeElement)
}

/** Waits until the row of `sku` shows `quantity` on hand. */
async function onHand(page: Page, sku: string, quantity: string): Promise<void> {
  await page
    .locator(`tr[data-sku="${sku}"] td.on-hand`, { hasText: new RegExp(`^${quantity}$`) })
    .waitFor()
}
