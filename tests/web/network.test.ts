// The company-wide screens in a real browser (Debian's chromium, driven by playwright-core)
// against three real warehouses joined in one network, each a node process of its own: a transfer
// sent at Madrid appears live on Sevilla's transfers screen and is received there with the
// keyboard; "where is it" shows each warehouse's figure, live or from a replica and how old; the
// map at Madrid shows Sevilla failed when its process is killed, and alive when it is back. It
// saves docs/screenshots/where.png, transfers.png and network.png.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { Browser, Page } from 'playwright-core'
import { BROWSER_TEST, launchChromium, SHOTS } from '../fixtures/chromium.ts'
import { axeProblems, slowAnswers } from '../fixtures/page-checks.ts'
import { until } from '../fixtures/node-process.ts'
import { api } from '../fixtures/test-node.ts'
import { tokenOf } from '../fixtures/tokens.ts'
import { allAlive, kill, node, start, stock, warehouses } from '../fixtures/warehouses.ts'

/** A page signed in at `url` (with that node's admin token unless given), on the screen `hash`. */
async function signedIn(browser: Browser, url: string, hash: string, token = tokenOf(url)) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 }, locale: 'en-GB' })
  page.setDefaultTimeout(10_000)
  await page.goto(`${url}/${hash}`)
  await page.getByLabel('API token').fill(token as string)
  await page.keyboard.press('Enter')
  await page.getByTestId('role').waitFor()
  return page
}

async function focusedText(page: Page): Promise<string> {
  return page.evaluate(() => document.activeElement?.textContent ?? '')
}

t.test(
  'a transfer from Madrid appears live at Sevilla and is received with the keyboard; the map at Madrid follows Sevilla down and back',
  BROWSER_TEST,
  async (t) => {
    // Three, as the demo runs: the send form then has two warehouses to choose from.
    const [madrid, sevilla, bilbao] = await warehouses(t, ['Madrid', 'Sevilla', 'Bilbao'])
    await start(t, madrid)
    await Promise.all([start(t, sevilla, [madrid]), start(t, bilbao, [madrid])])
    await allAlive([madrid, sevilla, bilbao])
    await stock(madrid, ['BOLT-M8'], 100)

    const browser = await launchChromium(t)
    mkdirSync(SHOTS, { recursive: true })
    const shot = (page: Page, name: string) =>
      page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })

    // Sevilla's transfers screen is open before anything is sent.
    const atSevilla = await signedIn(browser, node(sevilla).url, '#/transfers')
    // Loaded, and following the stream: what appears next comes live.
    await atSevilla.locator('section[aria-labelledby=incoming-title][aria-busy=false]').waitFor()
    await atSevilla.locator('.live-badge').first().waitFor()

    const sent = await api(node(madrid), 'POST', '/transfers', {
      to: 'Sevilla',
      lines: [{ sku: 'BOLT-M8', quantity: 30 }],
      reference: 'TR-1',
    })
    t.equal(sent.status, 201, 'Madrid sends 30 BOLT-M8 to Sevilla')
    const row = atSevilla.locator(`tr[data-transfer="${sent.body.id}"]`)
    await row.and(atSevilla.locator('[data-state=announced]')).waitFor()
    t.pass('the transfer appears on Sevilla’s incoming list without a reload')
    // Reloaded when a hundred newer transfers have come (the latest lists answered empty here):
    // still listed, as it is still to be received.
    const latest = (url: URL) =>
      url.pathname === '/transfers' && url.searchParams.get('limit') === '100'
    await atSevilla.route(latest, (route) =>
      route.fulfill({ contentType: 'application/json', body: '{"transfers":[],"nextCursor":null}' })
    )
    await atSevilla.reload()
    await atSevilla.locator('section[aria-labelledby=incoming-title][aria-busy=false]').waitFor()
    await row.and(atSevilla.locator('[data-state=announced]')).waitFor()
    await atSevilla.unroute(latest)
    t.pass('a transfer still to be received stays listed however many came after it')

    // Keyboard only: Tab reaches the row's Receive button, Enter opens the receipt with what is
    // due filled in and focused; 28 typed over it (2 are missing) asks what becomes of the rest
    // (sent back, by default); Enter moves on to how many of them are damaged, 1 typed, and Enter
    // there, the last field, records it.
    // On a phone the transfer is a card: its Receive button and its goods are in view.
    await atSevilla.setViewportSize({ width: 390, height: 760 })
    const onPhone = await atSevilla.getByRole('button', { name: 'Receive TR-1' }).boundingBox()
    t.ok(onPhone && onPhone.x + onPhone.width <= 390, 'Receive within a phone screen')
    t.ok(await row.getByText('BOLT-M8 × 30').isVisible(), 'and what is coming')
    await atSevilla.setViewportSize({ width: 1000, height: 760 })
    for (let tabs = 0; (await focusedText(atSevilla)) !== 'Receive TR-1'; tabs++) {
      if (tabs > 40) throw new Error('Tab never reached the Receive TR-1 button')
      await atSevilla.keyboard.press('Tab')
    }
    await atSevilla.keyboard.press('Enter')
    const due = atSevilla.locator('input[name="received-BOLT-M8"]')
    await due.waitFor()
    t.equal(await due.inputValue(), '30', 'what is due is filled in')
    t.ok(await due.evaluate((e) => e === document.activeElement), 'and has the focus')
    // A count the browser cannot read is refused, naming its line, never taken as 0: a final
    // receipt would send all 30 back.
    await atSevilla.keyboard.type('2-')
    await atSevilla.keyboard.press('Enter')
    const damaged = atSevilla.locator('input[name="damaged-BOLT-M8"]')
    t.ok(await damaged.evaluate((e) => e === document.activeElement), 'Enter moves on')
    await atSevilla.keyboard.press('Enter')
    await atSevilla.getByRole('alert').filter({ hasText: 'BOLT-M8: Type a whole number' }).waitFor()
    t.equal(
      (await api(node(sevilla), 'GET', `/transfers/${sent.body.id}`)).body.state,
      'announced',
      'a count typed as "2-" is refused in the page, and nothing is received'
    )
    // A count over what is due (300 typed for 30) is a typo until shown otherwise: refused in
    // the page, as the text client does, or the node would book 270 as a receipt of its own.
    await due.selectText()
    await atSevilla.keyboard.type('300')
    await atSevilla.keyboard.press('Enter')
    await atSevilla.keyboard.press('Enter')
    await atSevilla
      .getByRole('alert')
      .filter({ hasText: 'BOLT-M8: 300 is more than the 30 on the way' })
      .waitFor()
    t.equal(
      (await api(node(sevilla), 'GET', `/transfers/${sent.body.id}`)).body.state,
      'announced',
      'a count over what is due is refused in the page, and nothing is received'
    )
    await due.selectText()
    await atSevilla.keyboard.type('28')
    const rest = atSevilla.getByLabel('The rest')
    await rest.waitFor()
    t.equal(await rest.inputValue(), 'write_off', 'the 2 missing are written off unless chosen')
    await shot(atSevilla, 'transfers')
    t.same(
      await axeProblems(atSevilla),
      [],
      'transfers, one being received: no serious or critical axe violation'
    )
    await atSevilla.keyboard.press('Enter')
    await atSevilla.keyboard.type('1')
    const damagedRest = atSevilla.getByLabel('The damaged (and any missing)')
    await damagedRest.waitFor()
    await atSevilla.keyboard.press('Enter')
    // Goods missing on a final receipt: asked, with the choice in view, not recorded from keys.
    await atSevilla
      .getByRole('alert')
      .filter({ hasText: 'BOLT-M8: 2 missing. Choose whether the missing are written off' })
      .waitFor()
    t.equal(
      (await api(node(sevilla), 'GET', `/transfers/${sent.body.id}`)).body.state,
      'announced',
      'nothing recorded until the missing goods are decided'
    )
    await damagedRest.selectOption('return')
    await atSevilla.getByRole('button', { name: 'Record' }).click()
    await row.and(atSevilla.locator('[data-state=received]')).waitFor()
    await atSevilla
      .getByRole('status')
      .filter({ hasText: 'Receipt recorded: TR-1 · Madrid · received' })
      .waitFor()
    const bolts = await api(node(sevilla), 'GET', '/stock/BOLT-M8')
    t.equal(bolts.body.onHand, 27, 'received with Enter: 27 in good order on hand at Sevilla')
    const story = await api(node(sevilla), 'GET', `/transfers/${sent.body.id}`)
    t.match(story.body.lines, [{ sku: 'BOLT-M8', received: 27, damaged: 1, short: 2, toReturn: 3 }])

    // Its story, with the messages the two nodes exchanged.
    await row.getByRole('link', { name: 'TR-1' }).click()
    await atSevilla.locator('li[data-kind="transfer.dispatched"]').waitFor()
    await atSevilla.locator('li[data-kind="transfer.received"]').waitFor()
    t.match(await atSevilla.getByTestId('story-state').textContent(), /received/)
    // Its lines as the text client tells them: what was damaged, what did not come, and what of
    // both is to go back, each apart.
    const figures = async (selector: string) =>
      (await atSevilla.locator(`table.lines ${selector}`).allTextContents()).map((x) => x.trim())
    t.same(await figures('th'), [
      'SKU',
      'Sent',
      'Received',
      'Damaged',
      'Short',
      'To return',
      'In transit',
    ])
    t.same(await figures('td'), ['BOLT-M8', '30', '27', '1', '2', '3', '0'])

    // Sevilla sends 5 back from the form, keyboard only: SKU, Enter, quantity, Enter adds the
    // line, Enter on the empty SKU asks, Enter again sends. With two warehouses to send to, none
    // is assumed: the form asks, the letters of one choose it, Tab back and Enter asks.
    await atSevilla.getByRole('link', { name: 'All transfers' }).click()
    // Scanned twice, 2 and 2: a second lot, added to the line (a third comes below).
    await atSevilla.getByLabel('SKU').focus()
    await atSevilla.keyboard.type('BOLT-M8\n2\n')
    await atSevilla.getByRole('list', { name: 'Goods' }).getByText('BOLT-M8 × 2').waitFor()
    await atSevilla.keyboard.type('BOLT-M8\n2\n')
    await atSevilla.getByRole('list', { name: 'Goods' }).getByText('BOLT-M8 × 4').waitFor()
    await atSevilla.keyboard.press('Enter')
    await atSevilla.getByRole('alert').filter({ hasText: 'Choose the warehouse' }).waitFor()
    const to = atSevilla.locator('select[name=to]')
    t.ok(await to.evaluate((e) => e === document.activeElement), 'nothing sent; To has the focus')
    // The clerk reads the list before typing into it: the warehouses come from /members once the
    // form is shown, and a name typed into the empty list before they arrive chooses nothing.
    await to.locator('option', { hasText: /^Madrid/ }).waitFor({ state: 'attached' })
    await atSevilla.keyboard.type('Madrid')
    t.match(await to.locator('option:checked').textContent(), /^Madrid/, 'typed, Madrid is chosen')
    await atSevilla.keyboard.press('Tab')
    await atSevilla.keyboard.press('Enter')
    // A scanner's stray Enter after the last quantity sends nothing: it asks, the SKU field
    // keeps the focus, and a scan then adds a line (the question dropped).
    const asked = atSevilla
      .getByRole('status')
      .filter({ hasText: 'Send 1 line to Madrid? Enter again (or Send) sends them' })
    await asked.waitFor()
    const outgoing = async () =>
      (await api(node(sevilla), 'GET', '/transfers?direction=out')).body.transfers.length
    t.equal(await outgoing(), 0, 'nothing sent on the first Enter')
    await atSevilla.keyboard.type('BOLT-M8\n1\n')
    await atSevilla.getByRole('list', { name: 'Goods' }).getByText('BOLT-M8 × 5').waitFor()
    await asked.waitFor({ state: 'detached' })
    t.equal(await outgoing(), 0, 'a scan while asked adds to the lines, sends nothing')
    await atSevilla.keyboard.press('Enter')
    await atSevilla.getByRole('status').filter({ hasText: 'Send 1 line to Madrid?' }).waitFor()
    await atSevilla.keyboard.press('Enter')
    await atSevilla.getByText(/^Sent to Madrid: /).waitFor()
    const back = atSevilla.locator(
      'section[aria-labelledby=outgoing-title] tr[data-state=in_transit]'
    )
    const backId = (await back.getAttribute('data-transfer')) as string
    await until(
      async () =>
        (await api(node(madrid), 'GET', `/transfers/${backId}`)).body.state === 'announced',
      10_000,
      'Madrid hears of the transfer sent from the form'
    )
    t.pass('a transfer sent from the form, with the keyboard, reaches Madrid')

    // A viewer at Madrid sees it coming, and no form that writes.
    await api(node(madrid), 'POST', '/users', { name: 'vera', role: 'viewer' })
    const viewer = await api(node(madrid), 'POST', '/tokens', { user: 'vera', name: 'screen' })
    const asViewer = await signedIn(browser, node(madrid).url, '#/transfers', viewer.body.token)
    await asViewer.locator(`tr[data-transfer="${backId}"][data-state=announced]`).waitFor()
    t.equal(await asViewer.getByRole('button', { name: /^Receive/ }).count(), 0, 'no Receive')
    t.equal(await asViewer.getByRole('heading', { name: /^Send/ }).count(), 0, 'no send form')
    await asViewer.close()

    // At Madrid, TR-1's 3 to come back (1 damaged, 2 missing) will not: written off from its
    // page, asked twice; then nothing of it is on the road.
    const tr1 = async () => (await api(node(madrid), 'GET', `/transfers/${sent.body.id}`)).body
    await until(async () => (await tr1()).state === 'returning', 10_000, 'Madrid hears of it')
    const lostAtMadrid = await signedIn(browser, node(madrid).url, `#/transfers/${sent.body.id}`)
    const dueBackForm = lostAtMadrid.locator('form[data-step=return]')
    await dueBackForm.getByRole('button', { name: 'Write off: will not come back' }).click()
    await lostAtMadrid
      .getByRole('alert')
      .filter({ hasText: 'Write off BOLT-M8 ×3, all still due back?' })
      .waitFor()
    t.equal((await tr1()).state, 'returning', 'nothing written off on the first press')
    await dueBackForm.getByRole('button', { name: 'Yes, write it off' }).click()
    await lostAtMadrid.getByTestId('story-state').filter({ hasText: 'closed' }).waitFor()
    t.match((await tr1()).lines, [{ sku: 'BOLT-M8', writtenOff: 3, inTransit: 0 }])
    await lostAtMadrid.close()

    // Madrid rejects what Sevilla sent back, from the transfer's page; Sevilla's page then offers
    // to book the 5 back, and does.
    const storyAtMadrid = await signedIn(browser, node(madrid).url, `#/transfers/${backId}`)
    const reject = storyAtMadrid.locator('form[data-step=reject]')
    await reject.getByLabel('Reason').fill('not ordered')
    await reject.getByRole('button', { name: 'Reject' }).click()
    await storyAtMadrid.getByTestId('story-state').filter({ hasText: 'rejected' }).waitFor()
    await storyAtMadrid.close()
    await until(
      async () =>
        (await api(node(sevilla), 'GET', `/transfers/${backId}`)).body.state === 'returning',
      10_000,
      'Sevilla hears of the rejection'
    )
    await atSevilla.evaluate((id) => (location.hash = `#/transfers/${id}`), backId)
    // 3 are back first: booked, 2 still due; then the 2.
    const bookBack = atSevilla.locator('form[data-step=return]')
    t.equal(await bookBack.locator('input[name="back-BOLT-M8"]').inputValue(), '5', 'all 5 due')
    await bookBack.locator('input[name="back-BOLT-M8"]').fill('3')
    await bookBack.getByRole('button', { name: 'Book back' }).click()
    await bookBack.locator('input[name="back-BOLT-M8"][max="2"]').waitFor()
    t.equal((await api(node(sevilla), 'GET', '/stock/BOLT-M8')).body.onHand, 25, '3 booked back')
    await bookBack.getByRole('button', { name: 'Book back' }).click()
    await atSevilla.getByTestId('story-state').filter({ hasText: 'closed' }).waitFor()
    const sevillaBolts = await api(node(sevilla), 'GET', '/stock/BOLT-M8')
    t.equal(sevillaBolts.body.onHand, 27, 'rejected and booked back: 27 on hand at Sevilla again')

    // Bilbao's nuts came to Sevilla in two loads, each booked as not the last: nothing is on the
    // road, and the row offers to close the transfer; closed, it reads received.
    await stock(bilbao, ['NUT-M8'], 10)
    const nuts = await api(node(bilbao), 'POST', '/transfers', {
      to: 'Sevilla',
      lines: [{ sku: 'NUT-M8', quantity: 10 }],
      reference: 'TR-3',
    })
    await until(
      async () => (await api(node(sevilla), 'GET', `/transfers/${nuts.body.id}`)).status === 200,
      10_000,
      'Sevilla hears of the nuts'
    )
    for (const received of [4, 6]) {
      const lines = [{ sku: 'NUT-M8', received }]
      const load = await api(node(sevilla), 'POST', `/transfers/${nuts.body.id}/receive`, {
        lines,
        final: false,
      })
      t.equal(load.status, 200, `${received} nuts booked, not the last load`)
    }
    await atSevilla.getByRole('link', { name: 'All transfers' }).click()
    await atSevilla.getByRole('button', { name: 'Nothing more to come: close TR-3' }).click()
    const nutsRow = atSevilla.locator(`tr[data-transfer="${nuts.body.id}"]`)
    await nutsRow.and(atSevilla.locator('[data-state=received]')).waitFor()
    await atSevilla
      .getByRole('status')
      .filter({ hasText: 'Receipt recorded: TR-3 · Bilbao · received' })
      .waitFor()
    t.equal(
      await atSevilla.getByRole('button', { name: /^Nothing more to come/ }).count(),
      0,
      'closed: nothing left to close'
    )

    // Madrid: where is it, every figure live while both are up.
    const atMadrid = await signedIn(browser, node(madrid).url, '#/where')
    const sku = atMadrid.getByLabel('SKU')
    t.ok(await sku.evaluate((e) => e === document.activeElement), 'the SKU field has the focus')
    await atMadrid.keyboard.type('BOLT-M8')
    await atMadrid.keyboard.press('Enter')
    const figure = (name: string, source: string) =>
      atMadrid.locator(`tr[data-warehouse="${name}"][data-source="${source}"] td.on-hand`)
    t.equal(await figure('Madrid', 'live').textContent(), '70 ea')
    t.equal(await figure('Sevilla', 'live').textContent(), '27 ea')
    // Its stock here over time: the receipt, the transfer out and the write-off of what did not
    // come back (on hand unchanged); a receipt now redraws it.
    const chart = atMadrid.getByTestId('stock-chart')
    t.equal(await chart.getAttribute('data-points'), '3', 'three movements drawn')
    await api(node(madrid), 'POST', '/movements', { type: 'receipt', sku: 'BOLT-M8', quantity: 10 })
    await atMadrid.locator('[data-testid=stock-chart][data-points="4"]').waitFor()
    t.pass('a receipt made meanwhile is drawn without asking again')
    await atMadrid.keyboard.type('NOPE-1') // the field kept the focus, its text selected
    await atMadrid.keyboard.press('Enter')
    await atMadrid
      .getByRole('alert')
      .filter({ hasText: 'No warehouse has an item NOPE-1' })
      .waitFor()
    t.pass("a SKU no warehouse has gets the node's sentence")
    // Two scans back to back while the answers are slow (each held 300 ms here): the second is
    // not lost in the first's text, and its answer is the one shown.
    await slowAnswers(atMadrid, '**/network/stock/*', 300)
    await atMadrid.keyboard.type('NOPE-1\nBOLT-M8\n')
    await atMadrid.locator('.where-answer[data-sku="BOLT-M8"]').waitFor()
    await atMadrid.locator('form.where-form[aria-busy=false]').waitFor()
    await atMadrid.unroute('**/network/stock/*')
    t.equal(await sku.inputValue(), 'BOLT-M8', 'the second scan replaced the first')
    t.equal(await atMadrid.getByRole('alert').count(), 0, "and the first's answer is not shown")

    await atMadrid.getByRole('button', { name: 'Español' }).click()
    await atMadrid.getByRole('heading', { name: 'Dónde está' }).waitFor()
    await atMadrid.getByRole('button', { name: 'English' }).click()
    t.pass('the screen speaks Spanish when asked')

    // The map: both alive; Sevilla's process killed, then back on its data.
    await atMadrid.getByRole('link', { name: 'Network' }).click()
    const sevillaIs = (state: string) =>
      atMadrid.locator(`li[data-member="Sevilla"][data-state="${state}"]`)
    await sevillaIs('alive').waitFor()
    await atMadrid.locator('g[data-map-member="Sevilla"][data-state="alive"]').waitFor()
    // Madrid's replica of Sevilla's ledger has Sevilla's last movement before Sevilla goes away
    // ("0 rows behind" alone may be said before Madrid has heard of it).
    const [last] = (await api(node(sevilla), 'GET', '/movements?limit=1')).body.movements
    await until(
      async () => {
        const { body } = await api(node(madrid), 'GET', `/replicas/${sevilla.id}`)
        return body.state === 'live' && body.rowsBehind === 0 && body.cursor.ledger.seq === last.seq
      },
      15_000,
      "Madrid's replica of Sevilla caught up"
    )
    const card = atMadrid.locator('li[data-member="Sevilla"]')
    await card
      .getByTestId('rtt')
      .filter({ hasText: /^\d+(\.\d)? ms$/ })
      .waitFor()
    await card
      .getByTestId('replica')
      .filter({ hasText: /0 rows behind · as of .+ ago/ })
      .waitFor()
    t.pass("Sevilla's card gives its round trip and how far behind and how old its replica is")
    // Its messages waiting: a figure the node does not give (a 503 here) is not known, not 0.
    const outbox = (text: RegExp) => card.getByTestId('outbox').filter({ hasText: text }).waitFor()
    await outbox(/^\d+/)
    await atMadrid.route('**/network/lanes', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"busy"}' })
    )
    await outbox(/^—$/)
    await atMadrid.unroute('**/network/lanes')
    await outbox(/^\d+/)
    t.pass('messages waiting the node did not say are shown as not known, not as 0 waiting')
    t.match(
      await card.locator('.member-state').textContent(),
      /alive since .+ ago$/,
      'its state says since when (not taken for when it was last heard)'
    )
    await kill(sevilla)
    await sevillaIs('failed').waitFor({ timeout: 20_000 })
    await atMadrid.locator('g[data-map-member="Sevilla"][data-state="failed"]').waitFor()
    t.pass('the map at Madrid shows Sevilla failed, without a reload')
    t.equal(
      await card.getByTestId('rtt').textContent(),
      '—',
      'no round trip for a failed member (its last one says nothing of it now)'
    )
    await shot(atMadrid, 'network')
    t.same(
      await axeProblems(atMadrid),
      [],
      'the map, Sevilla failed: no serious or critical axe violation'
    )
    await atMadrid.setViewportSize({ width: 390, height: 760 }) // a phone
    await shot(atMadrid, 'network-phone')
    await atMadrid.setViewportSize({ width: 1000, height: 760 })

    // Where is it now: Sevilla's figure from Madrid's replica, saying how old and why.
    await atMadrid.getByRole('link', { name: 'Where is it' }).click()
    await atMadrid.getByLabel('SKU').fill('BOLT-M8')
    await atMadrid.keyboard.press('Enter')
    t.equal(await figure('Madrid', 'live').textContent(), '80 ea')
    t.equal(await figure('Sevilla', 'replica').textContent(), '27 ea', 'from the replica')
    t.match(
      await atMadrid.locator('tr[data-warehouse="Sevilla"] .badge').textContent(),
      /From its copy here, as of .* ago \(it is down\)/
    )
    await atMadrid.locator('[data-testid=stock-chart][data-points="4"]').waitFor()
    await shot(atMadrid, 'where')
    t.same(
      await axeProblems(atMadrid),
      [],
      'where is it, a figure from the replica: no serious or critical axe violation'
    )
    await atMadrid.setViewportSize({ width: 390, height: 760 })
    await shot(atMadrid, 'where-phone')
    await atMadrid.setViewportSize({ width: 1000, height: 760 })

    await atMadrid.getByRole('link', { name: 'Network' }).click()
    await sevillaIs('failed').waitFor()
    await start(t, sevilla)
    await sevillaIs('alive').waitFor({ timeout: 20_000 })
    t.pass('the map at Madrid shows Sevilla alive again when its process is back')
  }
)
