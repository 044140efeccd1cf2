// The harness the browser tests share: the real binary built from this
// checkout, a demo server on a free loopback port, Debian's Chromium
// driven by playwright-core, the care console's page interactions by
// accessible name, and bounded waits.
import { spawn, execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { chromium } from 'playwright-core'

// The repository whose binary is tested: the parent of this directory,
// unless CAREBRIDGE_ROOT names another (CI runs a copy of this directory
// from a temporary folder).
export const root = resolve(process.env.CAREBRIDGE_ROOT || join(dirname(fileURLToPath(import.meta.url)), '..'))

// The console's scenarios run once the repository has the console. Before
// it lands they are skipped, saying why; from then on a console that is
// not served fails them.
export const consoleMissing = existsSync(join(root, 'internal', 'console'))
  ? false
  : 'the repository has no care console yet (internal/console)'

// Bounds of the waits, in milliseconds.
export const STEP = 15_000 // a page reacting to a click, an event arriving
export const START = 60_000 // a build, a server start, a browser launch

export const demo = {
  organisation: 'demo',
  agent: { username: 'agent', password: 'agent' },
  supervisor: { username: 'super', password: 'super' },
  api: { username: 'demo', password: 'demo' },
  adminToken: 'demo-admin-token',
  customer: 'pci150',
  charges: ['I00002662', 'I00002671'],
}

const sleep = ms => new Promise(r => setTimeout(r, ms))

// waitUntil calls check until it answers a truthy value, which it returns,
// and fails with the message once timeout has passed.
export async function waitUntil (check, message, timeout = STEP) {
  const deadline = Date.now() + timeout
  let last
  for (;;) {
    try {
      const v = await check()
      if (v) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(`${message} (waited ${timeout / 1000} s)${last ? `: ${last.message}` : ''}`)
    }
    await sleep(100)
  }
}

let built

// build compiles the binary once per test file, into a temporary folder.
export async function build () {
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carebridge-e2e-bin-'))
    const bin = join(dir, 'carebridge')
    await promisify(execFile)('go', ['build', '-o', bin, './cmd/carebridge'], {
      cwd: root, maxBuffer: 16 << 20, timeout: 10 * 60_000,
    }).catch(err => { throw new Error(`go build failed: ${err.message}\n${err.stderr ?? ''}`) })
    return { bin, dir }
  })()
  return built
}

// startServer runs `carebridge serve --demo` on a fresh SQLite database in
// a temporary folder, with extra flags, and answers once /readyz is 200.
// Its stop method ends it (SIGTERM, then SIGKILL after 20 s) and removes
// the folder.
export async function startServer (extra = []) {
  const { bin } = await build()
  const dir = await mkdtemp(join(tmpdir(), 'carebridge-e2e-'))
  const proc = spawn(bin, ['serve', '--demo', '--addr', '127.0.0.1:0', '--db', join(dir, 'e2e.db'), ...extra], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  proc.stdout.on('data', d => { log += d })
  proc.stderr.on('data', d => { log += d })
  let exitCode = null
  const exited = new Promise(r => proc.on('exit', (code, signal) => { exitCode = code ?? signal; r() }))

  const stop = async () => {
    if (exitCode === null) {
      proc.kill('SIGTERM')
      const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(killer)
    }
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const addr = await waitUntil(() => {
      if (exitCode !== null) throw new Error(`the server exited (${exitCode})`)
      return /carebridge listening on http:\/\/(\S+)/.exec(log)?.[1]
    }, 'the server printed no listening address', START)
    const url = `http://${addr}`
    await waitUntil(async () => {
      if (exitCode !== null) throw new Error(`the server exited (${exitCode})`)
      return (await fetch(`${url}/readyz`)).status === 200
    }, 'the server did not get ready', START)
    return { url, stop, log: () => log }
  } catch (err) {
    await stop()
    err.message += `\nserver log:\n${log}`
    throw err
  }
}

// launch starts Debian's Chromium (or the one CHROMIUM names) headless.
// playwright-core brings no browser of its own.
export function launch () {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: START,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
    ],
  })
}

// newPage opens a page in a context of its own (its own storage, so that
// sessions do not leak between scenarios), with bounded waits.
export async function newPage (browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(STEP)
  context.setDefaultNavigationTimeout(STEP)
  return context.newPage()
}

// ---- The server's faces, called as a script would ----

async function postJSON (url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${text}`)
  return JSON.parse(text)
}

// crm acts on a customer's subscription through the CRM.COM face, as the
// billing system does: a login, the action, a logout.
export async function crm (url, action, customer) {
  const b = `${url}/crmapi/rest/v2`
  const login = await postJSON(`${b}/authentication/token`, { organisation: demo.organisation, ...demo.api })
  const token = login.data?.token
  if (!token) throw new Error(`CRM.COM login answered ${JSON.stringify(login)}`)
  try {
    const res = await postJSON(`${b}/netflix/subscriptions/${action}`, { token, billing_system_customer_identifier: customer })
    if (res.status?.code !== 'OK') throw new Error(`CRM.COM ${action} answered ${JSON.stringify(res)}`)
    return res.data
  } finally {
    await postJSON(`${b}/authentication/token/release`, { token }).catch(() => {})
  }
}

// controller switches a plugin with the demo's admin token over JSON-RPC.
export async function controller (url, method, callsign) {
  const res = await postJSON(`${url}/jsonrpc`,
    { jsonrpc: '2.0', id: 1, method: `Controller.1.${method}`, params: { callsign } },
    { Authorization: `Bearer ${demo.adminToken}` })
  if (res.error) throw new Error(`Controller.1.${method} answered ${JSON.stringify(res.error)}`)
  return res.result
}

// ---- The console, by accessible name ----

export const ACTIONS = ['Suspend', 'Unsuspend', 'Cancel subscription', 'Re-issue activation token']
export const STATES = /\b(NOT_EFFECTIVE|EFFECTIVE|CANCELLED)\b/

export const button = (page, name) => page.getByRole('button', { name, exact: true })

// loginForm resolves once the console's login form is shown.
export async function loginForm (page) {
  await page.getByLabel('Username', { exact: true }).waitFor()
  await page.getByLabel('Password', { exact: true }).waitFor()
  await button(page, 'Log in').waitFor()
}

// login opens the console and logs in as the given demo user.
export async function login (page, url, user) {
  await page.goto(`${url}/console/`)
  await loginForm(page)
  await page.getByLabel('Organisation', { exact: true }).fill(demo.organisation)
  await page.getByLabel('Username', { exact: true }).fill(user.username)
  await page.getByLabel('Password', { exact: true }).fill(user.password)
  await button(page, 'Log in').click()
  await page.getByLabel('Customer', { exact: true }).waitFor()
}

// openCustomer searches for a customer and opens their page: the search
// may open it at once, or list it as a link or button to open.
export async function openCustomer (page, customer) {
  await page.getByLabel('Customer', { exact: true }).fill(customer)
  await button(page, 'Search').click()
  const result = page.getByRole('link', { name: customer })
    .or(page.getByRole('button', { name: customer })).first()
  const opened = page.getByText(STATES).first()
  await result.or(opened).first().waitFor()
  if (await result.isVisible()) await result.click()
  await customerPage(page)
}

// customerPage resolves once a customer's page shows a subscription state
// and an action.
export async function customerPage (page) {
  await page.getByText(STATES).first().waitFor()
  await actionButtons(page).first().waitFor()
}

// actionButtons are the action buttons the page shows.
export function actionButtons (page) {
  let l = button(page, ACTIONS[0])
  for (const name of ACTIONS.slice(1)) l = l.or(button(page, name))
  return l
}

// state is the subscription's state the customer page shows: the first
// state word of the page in reading order (the history's come after it).
export async function state (page) {
  const text = await page.locator('body').innerText()
  return STATES.exec(text)?.[1]
}

export async function waitForState (page, want) {
  await waitUntil(async () => (await state(page)) === want,
    `the customer page did not show the state ${want} (it shows ${await state(page).catch(() => '?')})`)
}

// act clicks an action button, gives the reason asked for, and confirms.
export async function act (page, action, reason) {
  await button(page, action).click()
  const field = page.getByLabel('Reason', { exact: true })
  await field.waitFor()
  await field.fill(reason)
  await button(page, 'Confirm').click()
}

// historyEntry is the history's entry holding all of the given texts.
export function historyEntry (page, ...texts) {
  let l = page.getByRole('listitem')
    .or(page.getByRole('row'))
    .or(page.getByRole('article'))
  for (const t of texts) l = l.filter({ hasText: t })
  return l.first()
}
