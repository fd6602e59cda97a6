// The warehouse's screens by role in a real browser (Debian's chromium, driven by
// playwright-core) against a real node: a viewer who sees no form that writes, a navigation
// never overwritten, the send form of a warehouse alone, and the ledger check explained (whole,
// then with a row edited on disk). It saves docs/screenshots/verify.png and verify-broken.png.
import path from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { databaseFile } from '../../db/knex-config.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { BROWSER_TEST, SHOTS } from '../fixtures/chromium.ts'
import { axeProblems } from '../fixtures/page-checks.ts'
import { navLabels, signedIn, tabTo, warehouseScreens } from '../fixtures/screens.ts'

t.test('the warehouse screens by role', BROWSER_TEST, async (t) => {
  const madrid = await warehouseScreens(t)
  const { dataDir, ana, vic, browser } = madrid
  let { node } = madrid

  t.test('a viewer sees no form that writes, and no ledger check', async (t) => {
    const page = await signedIn(browser, node.url, vic)
    t.same(await navLabels(page), [
      'Stock',
      'Items',
      'History',
      'Where is it',
      'Transfers',
      'Network',
    ])
    await page.getByRole('button', { name: 'Español' }).click()
    await page.getByRole('link', { name: 'Artículos' }).waitFor()
    t.same(
      await navLabels(page),
      ['Existencias', 'Artículos', 'Historial', 'Dónde está', 'Traspasos', 'Red'],
      'and in Spanish'
    )
    await page.getByRole('button', { name: 'English' }).click()
    await page.getByText('Your role may look, not move stock.').waitFor()
    t.equal(await page.locator('input[name=quantity]').count(), 0, 'no movement form')
    await page.goto(node.url + '/#/items')
    await page.getByText('Your role may look at the catalogue, not change it.').waitFor()
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'search')
    await page.keyboard.type('BOLT-M8\n')
    await page.getByRole('heading', { name: 'BOLT-M8 · Bolt M8 × 40' }).waitFor()
    t.equal(await page.locator('form').count(), 0, 'no form on items, an item opened included')
    t.equal(await page.locator('summary').count(), 0, 'no New item')
    await page.goto(node.url + '/#/verify')
    await page.waitForURL(/#\/stock$/)
    await page.getByText('Your role may look, not move stock.').waitFor()
    t.pass('#/verify is not there for a viewer: the stock screen is shown instead')
    await page.close()
  })

  t.test('a navigation is never overwritten by a screen drawn before it arrived', async (t) => {
    // CI failed once on the viewer's test above: #/items was asked for, and the stock screen
    // stayed. The router put the default screen in the address from an effect, which runs after
    // the paint: one that ran after a navigation, before its hashchange was handled, wrote
    // #/stock over it. Here that order is made on purpose: the address changes with no event
    // yet, a re-render (the language) comes, then the event.
    const page = await signedIn(browser, node.url, vic)
    await page.waitForURL(/#\/stock$/)
    await page.evaluate(() => history.pushState(null, '', '#/items'))
    await page.getByRole('button', { name: 'Español' }).click()
    await page.getByRole('link', { name: 'Artículos' }).waitFor()
    t.equal(new URL(page.url()).hash, '#/items', 'the address still says where the user went')
    await page.evaluate(() => dispatchEvent(new HashChangeEvent('hashchange')))
    await page.getByRole('heading', { name: 'Artículos' }).waitFor()
    t.equal(await page.locator('nav.screens a[aria-current=page]').textContent(), 'Artículos')
    await page.getByRole('button', { name: 'English' }).click()
    await page.close()
  })

  t.test(
    'the send form of a warehouse alone says so, and says why when it cannot tell',
    async (t) => {
      // The warehouses to send to come from /members: while it fails, the form says why, and
      // never that this warehouse is alone.
      const page = await browser.newPage({ locale: 'en-GB' })
      page.setDefaultTimeout(10_000)
      await page.route('**/members', (route) =>
        route.fulfill({
          status: 503,
          json: { error: 'The database worker is not answering', code: 'UNAVAILABLE' },
        })
      )
      await page.goto(node.url + '/#/transfers')
      await page.getByLabel('API token').fill(ana)
      await page.keyboard.press('Enter')
      const send = page.locator('section[aria-labelledby=send-title]')
      await send
        .getByRole('alert')
        .filter({ hasText: 'The database worker is not answering' })
        .waitFor()
      t.equal(await send.getByText('No other warehouse').count(), 0, 'not said to be alone')
      await page.unroute('**/members')
      await page.reload()
      await send.getByText('No other warehouse in the network yet.').waitFor()
      t.ok(await send.getByRole('button', { name: 'Send' }).isDisabled(), 'nothing to send to')
      t.equal(await send.getByRole('alert').count(), 0, 'and no problem')
      await page.close()
    }
  )

  t.test('an operator checks the ledger and reads what the result means', async (t) => {
    const page = await signedIn(browser, node.url, ana, '#/verify')
    const button = page.getByRole('button', { name: 'Check the ledger now' })
    await tabTo(t, page, button)
    await page.keyboard.press('Enter')
    await page.getByText('The ledger checks out').waitFor()
    const check = (await api(node, 'POST', '/ledger/verify', {})).body
    t.equal(
      await page.getByTestId('checked').textContent(),
      `${check.checked.movements} movements, ${check.checked.balances} balances`
    )
    t.equal(await page.getByTestId('head').textContent(), `#${check.head.seq} ${check.head.hash}`)
    await page.getByText('No other warehouse could vouch').waitFor()
    t.pass('with no peer, the page says the ledger was judged by itself')
    await page.screenshot({ path: path.join(SHOTS, 'verify.png'), fullPage: true })
    t.same(await axeProblems(page), [], 'the ledger check: no serious or critical axe violation')

    // A movement edited on the node's disk: the check names it and says what a break means.
    const port = Number(new URL(node.url).port)
    await node.close()
    const db = new Database(databaseFile(dataDir), { timeout: 1000 }) // never 5 s blocking tap's timers
    db.exec('DROP TRIGGER movements_append_only_update')
    db.exec(`UPDATE movements SET reference = 'PO-FORGED' WHERE seq = 3`)
    db.close()
    node = await startTestNode(t, { name: 'Madrid', dataDir, port })
    await button.click()
    await page.getByText('The ledger does not check out (1)').waitFor()
    await page.getByText('movement 3 was changed after it was written').waitFor()
    await page.getByText('A break in the hash chain means').waitFor()
    t.pass('a changed row is named, and what a break means is said')
    await page.screenshot({ path: path.join(SHOTS, 'verify-broken.png'), fullPage: true })
    t.same(await axeProblems(page), [], 'a broken ledger: no serious or critical axe violation')
    await page.close()
  })
})
