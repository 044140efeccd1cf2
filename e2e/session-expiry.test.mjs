// An ended care session brings the console back to its login form, with a
// message. A server of its own, whose sessions last the shortest lifetime
// allowed (one minute); node runs this file beside the others.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  START, button, consoleMissing, demo, launch, login, loginForm, newPage, openCustomer, startServer,
} from './harness.mjs'

const LIFETIME = 60_000

let server, browser

before(async () => {
  if (consoleMissing) return
  server = await startServer(['--care-session-lifetime', '1m'])
  browser = await launch()
}, { timeout: 5 * START })

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('an expired session returns to the login form with a message', { skip: consoleMissing, timeout: 2 * START + LIFETIME }, async () => {
  const page = await newPage(browser)
  try {
    const loggedIn = Date.now()
    await login(page, server.url, demo.agent)
    await openCustomer(page, demo.customer)

    const ended = page.getByText(/session has ended/i).first()
    // The console may notice the end by itself (its session's expiry, the
    // plane closing its WebSocket); it has until five seconds after the
    // expiry for that.
    const expiry = loggedIn + LIFETIME
    const noticed = await ended.waitFor({ timeout: expiry + 5_000 - Date.now() }).then(() => true, () => false)
    if (!noticed) {
      // Otherwise the next call it makes finds the session ended.
      await page.getByLabel('Customer', { exact: true }).fill(demo.customer)
      await button(page, 'Search').click()
      await ended.waitFor({ timeout: 10_000 })
    }
    assert.ok(Date.now() >= expiry - 1_000, 'the session was said to have ended before its expiry')
    await loginForm(page)
  } finally {
    await page.context().close()
  }
})
