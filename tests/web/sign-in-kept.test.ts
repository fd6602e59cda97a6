// A page reloaded while the node cannot answer keeps its sign-in: the token, shown once, stays in
// the tab, the page says the node cannot be reached and asks again until it answers. Only a
// token the node refuses (401) signs the page out.
import t from 'tap'
import type { Page } from 'playwright-core'
import { startTestNode } from '../fixtures/test-node.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { tokenOf } from '../fixtures/tokens.ts'
import { BROWSER_TEST, launchChromium } from '../fixtures/chromium.ts'
import { signedIn } from '../fixtures/screens.ts'

const kept = (page: Page) => page.evaluate(() => sessionStorage.getItem('almacen.token'))

t.test('a reload while the node cannot answer keeps the sign-in', BROWSER_TEST, async (t) => {
  const node = await startTestNode(t, { name: 'Madrid', dataDir: tempDir(t) })
  const admin = tokenOf(node.url)!
  const browser = await launchChromium(t)

  t.test('a node answering 503 is asked again, and the token kept', async (t) => {
    const page = await signedIn(browser, node.url, admin)
    let asked = 0
    await page.route('**/me', (route) => {
      asked++
      return route.fulfill({
        status: 503,
        json: { status: 503, error: 'The node is stopping', code: 'NODE_STOPPING' },
      })
    })
    await page.reload()
    await page.getByRole('alert').filter({ hasText: 'The node cannot be reached' }).waitFor()
    t.equal(await kept(page), admin, 'the token is still in the tab')
    await t.resolves(
      waitFor(() => asked >= 2),
      '/me is asked again'
    )
    await page.unroute('**/me')
    await page.getByTestId('role').waitFor()
    t.equal(await page.getByTestId('role').textContent(), 'admin', 'signed in, not asked again')
    t.equal(await page.getByRole('alert').count(), 0, 'and the notice is gone')
    await page.close()
  })

  t.test('a node out of reach is asked again, and the token kept', async (t) => {
    const page = await signedIn(browser, node.url, admin)
    await page.route('**/me', (route) => route.abort('connectionrefused'))
    await page.reload()
    await page.getByRole('alert').filter({ hasText: 'The node cannot be reached' }).waitFor()
    t.equal(await kept(page), admin, 'the token is still in the tab')
    await page.unroute('**/me')
    await page.getByTestId('role').waitFor()
    t.pass('signed in again by itself once the node answers')
    await page.close()
  })

  t.test('a token the node (or a proxy before it) refuses signs the page out', async (t) => {
    for (const status of [401, 403]) {
      const page = await signedIn(browser, node.url, admin)
      await page.route('**/me', (route) =>
        route.fulfill({
          status,
          json: { status, error: 'The token was revoked', code: 'UNAUTHORIZED' },
        })
      )
      await page.reload()
      await page.getByLabel('API token').waitFor()
      t.equal(await kept(page), null, `${status}: the token is gone from the tab`)
      await page.close()
    }
  })
})

/** Resolves once `done()` holds, polled every 50 ms, or rejects after 5 s. */
async function waitFor(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 50) {
    if (waited > 5000) throw new Error('not within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
