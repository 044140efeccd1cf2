// The care console: log in, find a customer, read their file and history,
// act on their subscription with a reason, and follow the plane's events.
// Every piece of data is put on the page as text (textContent, DOM nodes);
// the session's token lives in this module's memory only.

import { RpcClient, RpcError, CLOSED, POLICY_VIOLATION, socketURL } from './rpc.js'
import * as fmt from './format.js'

const ENDED = 'Your session has ended. Log in again.'
const DEACTIVATED = 'The Netflix service is deactivated; actions are unavailable until it is back.'
const STATES = ['EFFECTIVE', 'NOT_EFFECTIVE', 'CANCELLED']
const CHARGE_STATUSES = ['PENDING', 'APPROVED', 'DECLINED', 'BAD_REQUEST', 'REJECTED']

const $ = (id) => document.getElementById(id)

// el makes an element: props are its className, text, attributes (attrs)
// and properties; children are nodes or strings (made text nodes).
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue
    if (key === 'className') node.className = value
    else if (key === 'text') node.textContent = value
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) node.setAttribute(a, v)
    else node[key] = value
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    node.append(typeof child === 'string' ? document.createTextNode(child) : child)
  }
  return node
}

function timeEl(rfc3339) {
  if (!rfc3339) return el('span', { text: '—' })
  return el('time', { attrs: { datetime: rfc3339 }, title: rfc3339, text: fmt.when(rfc3339) })
}

function stateBadge(state, label) {
  const known = STATES.includes(state) ? state.toLowerCase().replace('_', '-') : 'unknown'
  return el('span', { className: `badge state-${known}` }, label ? `${label}: ` : '', el('strong', { text: String(state ?? '—') }))
}

function chargeBadge(status) {
  const known = CHARGE_STATUSES.includes(status) ? status.toLowerCase().replace('_', '-') : 'unknown'
  return el('span', { className: `badge charge-${known}`, text: String(status ?? '—') })
}

// ---- state ----

let session = null // {token, expiresOn, role, organisation, operator, username}
let rpc = null
let expiryTimer = 0
let reconnectTimer = 0
let reconnectAttempt = 0
let loggingOut = false
let netflixActive = true
let netflixRegistered = false
let openCustomer = null // the customer whose file is shown
let loadSeq = 0
let reloadTimer = 0
let overviewTimer = 0
let overviewRefresh = 0
let searchSeq = 0
let pendingAction = null // the reason dialog's action
let lastActionButton = null
let allowedActions = new Set() // what the open subscription's state allows now
let lastQuery = '' // the search whose results are shown
let lastFound = [] // their customers

const actions = {
  suspend: {
    method: 'Netflix.1.suspend', label: 'Suspend', title: 'Suspend the subscription',
    intro: 'The customer loses access until the subscription is unsuspended.', done: 'The subscription is suspended.',
  },
  unsuspend: {
    method: 'Netflix.1.unsuspend', label: 'Unsuspend', title: 'Unsuspend the subscription',
    intro: 'The customer gets access again.', done: 'The subscription is unsuspended.',
  },
  cancel: {
    method: 'Netflix.1.cancel', label: 'Cancel subscription', title: 'Cancel the subscription',
    intro: 'A cancelled subscription cannot be brought back.', done: 'The subscription is cancelled.',
  },
}

// ---- messages ----

let announceTimer = 0
function announce(text) {
  const region = $('status')
  region.textContent = ''
  clearTimeout(announceTimer)
  // Set after a tick, so that the same words said twice are read twice.
  announceTimer = setTimeout(() => { region.textContent = text }, 50)
}

function setText(id, text) {
  $(id).textContent = text || ''
}

// ---- log in, log out, the end of a session ----

async function login(event) {
  event.preventDefault()
  const fields = ['login-organisation', 'login-username', 'login-password'].map($)
  const empty = fields.find((f) => f.value.trim() === '')
  if (empty) {
    setText('login-message', 'Fill in the organisation, the username and the password.')
    empty.focus()
    return
  }
  const [organisation, username, password] = fields.map((f) => f.value)
  const button = $('login-submit')
  button.disabled = true
  setText('login-message', '')
  announce('Logging in…')
  try {
    let res
    try {
      res = await fetch('/care/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ organisation: organisation.trim(), username: username.trim(), password }),
        cache: 'no-store',
        credentials: 'omit',
      })
    } catch {
      setText('login-message', 'The server could not be reached. Check the connection and try again.')
      announce('')
      return
    }
    const body = await res.json().catch(() => null)
    if (!res.ok || !body || typeof body.token !== 'string') {
      setText('login-message', loginError(res, body))
      announce('')
      $('login-password').focus()
      return
    }
    $('login-password').value = ''
    await start({
      token: body.token, expiresOn: body.expires_on, role: body.role,
      organisation: body.organisation, operator: body.operator, username: username.trim(),
    })
  } finally {
    button.disabled = false
  }
}

function loginError(res, body) {
  const message = body && typeof body.message === 'string' ? body.message : ''
  if (res.status === 429) {
    const wait = res.headers.get('Retry-After')
    const base = message || 'Too many failed attempts.'
    return wait ? `${base} Try again in ${fmt.age(Number(wait))}.` : base
  }
  if (message) return message
  return `The login failed (HTTP ${res.status}).`
}

async function start(s) {
  session = s
  loggingOut = false
  const client = new RpcClient(socketURL(s.token), { onClose: (code, reason) => socketClosed(client, code, reason) })
  try {
    await client.open()
  } catch {
    session = null
    releaseQuietly(s.token)
    setText('login-message', 'The console could not connect to the server. Try again.')
    announce('')
    return
  }
  rpc = client
  scheduleExpiry()
  setText('who-username', s.username)
  setText('who-role', fmt.roleName(s.role))
  setText('who-operator', s.operator)
  $('who').hidden = false
  $('login-view').hidden = true
  $('work-view').hidden = false
  setText('login-message', '')
  $('search-query').focus()
  announce(`Logged in as ${s.username}, ${fmt.roleName(s.role)}.`)
  await attach()
}

// attach registers for the events and reads what they would have said:
// at login, and again after a reconnection.
async function attach() {
  const client = rpc
  const results = await Promise.allSettled([
    client.register('Controller', 'statechange', 'console.controller', stateChanged),
    registerNetflix(client),
  ])
  if (client !== rpc) return
  if (results.some((r) => r.status === 'rejected')) {
    announce('Live updates are not available; reload the customer to see changes.')
  }
  await readNetflixState()
  loadOverview()
}

// registerNetflix asks for the Netflix plugin's events; a deactivated
// plugin refuses, and is asked again when it is activated.
async function registerNetflix(client) {
  netflixRegistered = false
  try {
    await client.register('Netflix', 'subscriptionchange', 'console.netflix', subscriptionChanged)
    await client.register('Netflix', 'chargechange', 'console.netflix', chargeChanged)
    netflixRegistered = true
  } catch (err) {
    if (err instanceof RpcError && err.code === -31002) return // deactivated: asked again later
    throw err
  }
}

async function readNetflixState() {
  try {
    const status = await rpc.call('Controller.1.status@Netflix')
    const netflix = Array.isArray(status) ? status.find((p) => p && p.callsign === 'Netflix') : null
    if (netflix) setNetflixActive(netflix.state === 'Activated')
  } catch (err) {
    if (err instanceof RpcError && err.code === CLOSED) return
    // Not knowing, the console lets the plane answer each action.
  }
}

function scheduleExpiry() {
  clearTimeout(expiryTimer)
  const at = Date.parse(session.expiresOn)
  if (Number.isNaN(at)) return
  const wait = at - Date.now()
  if (wait <= 0) {
    endSession(ENDED)
    return
  }
  expiryTimer = setTimeout(() => {
    if (session && Date.now() >= at) endSession(ENDED)
    else if (session) scheduleExpiry()
  }, Math.min(wait + 500, 0x7fffffff))
}

function socketClosed(client, code) {
  if (client !== rpc || !session || loggingOut) return
  if (code === POLICY_VIOLATION) {
    endSession(ENDED)
    return
  }
  // Another close (the server restarting, the network): ask over HTTP
  // whether the session still holds (an upgrade refused for an ended
  // token looks like any failure to a page), and reconnect if so.
  reconnect()
}

async function sessionHolds(token) {
  try {
    const res = await fetch('/jsonrpc', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'Controller.1.status@Netflix' }),
      cache: 'no-store',
      credentials: 'omit',
    })
    return res.status !== 401
  } catch {
    return true // the server is unreachable: it cannot tell
  }
}

async function reconnect() {
  const s = session
  clearTimeout(reconnectTimer)
  announce('The connection to the server was lost. Reconnecting…')
  if (!(await sessionHolds(s.token))) {
    if (session === s) endSession(ENDED)
    return
  }
  if (session !== s) return
  const client = new RpcClient(socketURL(s.token), { onClose: (code, reason) => socketClosed(client, code, reason) })
  try {
    await client.open()
  } catch {
    if (session !== s) return
    const delays = [1, 2, 5, 10]
    const delay = delays[Math.min(reconnectAttempt, delays.length - 1)]
    reconnectAttempt++
    reconnectTimer = setTimeout(() => { if (session === s) reconnect() }, delay * 1000)
    return
  }
  if (session !== s) {
    client.close()
    return
  }
  reconnectAttempt = 0
  rpc = client
  announce('Connected again.')
  await attach()
  if (openCustomer) loadCustomer()
}

async function logout() {
  const s = session
  if (!s) return
  const button = $('logout')
  button.disabled = true
  loggingOut = true
  try {
    let res
    try {
      res = await fetch('/care/logout', {
        method: 'POST', headers: { Authorization: `Bearer ${s.token}` }, cache: 'no-store', credentials: 'omit',
      })
    } catch {
      loggingOut = false
      announce('The server could not be reached: you are still logged in.')
      return
    }
    if (res.status === 204) {
      endSession('You have logged out.')
    } else if (res.status === 401) {
      endSession(ENDED)
    } else {
      loggingOut = false
      const body = await res.json().catch(() => null)
      announce(body && body.message ? body.message : `The logout failed (HTTP ${res.status}).`)
    }
  } finally {
    button.disabled = false
  }
}

function releaseQuietly(token) {
  fetch('/care/logout', {
    method: 'POST', headers: { Authorization: `Bearer ${token}` }, credentials: 'omit', keepalive: true,
  }).catch(() => {})
}

// endSession forgets the session and everything shown with it, and goes
// back to the login form with message.
function endSession(message) {
  if (!session) return
  session = null
  loggingOut = false
  const client = rpc
  rpc = null
  if (client) client.close()
  for (const t of [expiryTimer, reconnectTimer, reloadTimer, overviewTimer]) clearTimeout(t)
  clearInterval(overviewRefresh)
  reconnectAttempt = 0
  openCustomer = null
  loadSeq++
  searchSeq++
  for (const d of [$('reason-dialog'), $('token-dialog')]) if (d.open) d.close()
  setText('token-value', '')
  $('customer').hidden = true
  clearCustomer()
  $('search-results').replaceChildren()
  setText('search-summary', '')
  $('search-query').value = ''
  $('overview').hidden = true
  $('overview-bars').replaceChildren()
  setNetflixActive(true)
  $('who').hidden = true
  for (const id of ['who-username', 'who-role', 'who-operator']) setText(id, '')
  $('work-view').hidden = true
  $('login-view').hidden = false
  document.title = 'Care console · carebridge'
  setText('login-message', message)
  announce('')
  $('login-organisation').focus()
}

// ---- the Netflix service's state ----

function setNetflixActive(active) {
  netflixActive = active
  const banner = $('service-banner')
  banner.hidden = active
  banner.textContent = active ? '' : DEACTIVATED
  updateActionButtons()
}

// actionButtons maps each action button to the action the plane names.
const actionButtons = {
  'action-suspend': 'suspend',
  'action-unsuspend': 'unsuspend',
  'action-cancel': 'cancel',
  'action-reissue': 'reissue_token',
}

// updateActionButtons enables the actions the subscription's state allows
// while the Netflix service is active; the plane decides which they are.
function updateActionButtons() {
  for (const [id, action] of Object.entries(actionButtons)) {
    const b = document.getElementById(id)
    if (b) b.disabled = !netflixActive || !allowedActions.has(action)
  }
}

function stateChanged(params) {
  if (!params || params.callsign !== 'Netflix') return
  if (params.state === 'Deactivated') {
    setNetflixActive(false)
  } else if (params.state === 'Activated') {
    const wasInactive = !netflixActive
    setNetflixActive(true)
    if (!netflixRegistered && rpc) registerNetflix(rpc).catch(() => {})
    if (wasInactive) {
      announce('The Netflix service is back.')
      if (openCustomer) scheduleReload()
      scheduleOverview()
    }
  }
}

// ---- events ----

function subscriptionChanged(params) {
  if (!params) return
  if (lastFound.includes(params.customer)) refreshSearch()
  if (params.customer !== openCustomer) return
  scheduleReload()
  if (session && params.actor === session.username) return // this agent's own change, announced already
  const by = params.actor ? ` by ${params.actor}` : ''
  announce(`The subscription of ${params.customer} changed${by}: now ${params.life_cycle_state}.`)
}

function chargeChanged(params) {
  if (!params) return
  if (params.customer === openCustomer) scheduleReload()
  scheduleOverview()
}

function scheduleReload() {
  clearTimeout(reloadTimer)
  reloadTimer = setTimeout(() => { if (openCustomer) loadCustomer() }, 150)
}

// ---- search ----

async function search(event) {
  event.preventDefault()
  const query = $('search-query').value.trim()
  if (!query) {
    $('search-summary').classList.add('message')
    setText('search-summary', 'Type a customer identifier, a subscription number or a charge number.')
    $('search-query').focus()
    return
  }
  const seq = ++searchSeq
  $('search-summary').classList.remove('message')
  setText('search-summary', 'Searching…')
  let found
  try {
    found = await rpc.call('Netflix.1.find', { query })
  } catch (err) {
    if (seq !== searchSeq) return
    setText('search-summary', fmt.rpcMessage(err))
    $('search-summary').classList.add('message')
    $('search-results').replaceChildren()
    lastQuery = ''
    lastFound = []
    return
  }
  if (seq !== searchSeq) return
  lastQuery = query
  renderResults(Array.isArray(found) ? found : [], true)
}

// refreshSearch runs the shown search again, quietly: a customer in its
// results changed.
async function refreshSearch() {
  const query = lastQuery
  const seq = searchSeq // a search the agent starts meanwhile wins
  let found
  try {
    found = await rpc.call('Netflix.1.find', { query })
  } catch {
    return // the results stay as they were
  }
  if (seq !== searchSeq || query !== lastQuery) return
  renderResults(Array.isArray(found) ? found : [], false)
}

function renderResults(found, announced) {
  const list = $('search-results')
  const n = found.length
  lastFound = found.map((f) => f.customer)
  setText('search-summary', n === 0 ? 'No customer matches.' : n === 1 ? 'One customer matches.' : `${n} customers match.`)
  if (announced) announce($('search-summary').textContent)
  list.replaceChildren(...found.map((f) => {
    const name = fmt.fullName(f.first_name, f.last_name)
    const sub = f.subscription
    const open = el('button', { type: 'button', className: 'link', text: f.customer })
    open.addEventListener('click', () => openCustomerFile(f.customer))
    return el('li', { className: 'result' },
      open,
      el('span', { className: 'result-name', text: name || 'no name given' }),
      sub
        ? el('span', { className: 'result-sub' }, `Subscription ${sub.number} `, stateBadge(sub.life_cycle_state, 'life cycle'), ' ', stateBadge(sub.netflix_state, 'Netflix'))
        : el('span', { className: 'result-sub', text: 'No subscription' }),
    )
  }))
}

// ---- the customer's file ----

async function openCustomerFile(customer) {
  openCustomer = customer
  clearCustomer()
  setText('customer-heading', `Customer ${customer}`)
  document.title = `Customer ${customer} · Care console`
  $('customer').hidden = false
  buildActions()
  await loadCustomer()
  const heading = $('customer-heading')
  heading.tabIndex = -1
  heading.focus()
}

function clearCustomer() {
  allowedActions = new Set()
  setText('customer-message', '')
  for (const id of ['subscription-current', 'subscription-earlier', 'contact', 'charges-body', 'history', 'customer-actions']) {
    $(id).replaceChildren()
  }
}

async function loadCustomer() {
  const customer = openCustomer
  const seq = ++loadSeq
  let file, history
  try {
    [file, history] = await Promise.all([
      rpc.call('Netflix.1.customer', { customer }),
      rpc.call('Netflix.1.history', { customer }),
    ])
  } catch (err) {
    if (seq !== loadSeq || customer !== openCustomer) return
    setText('customer-message', fmt.rpcMessage(err))
    return
  }
  if (seq !== loadSeq || customer !== openCustomer) return
  setText('customer-message', '')
  renderFile(file)
  renderHistory(Array.isArray(history) ? history : [])
}

function buildActions() {
  const box = $('customer-actions')
  const buttons = [
    actionButton('suspend'),
    actionButton('unsuspend'),
    session.role === 'supervisor' ? actionButton('cancel') : null,
    el('button', { type: 'button', id: 'action-reissue', text: 'Re-issue activation token' }),
  ].filter((b) => b)
  buttons[buttons.length - 1].addEventListener('click', reissue)
  box.replaceChildren(...buttons)
  updateActionButtons()
  box.hidden = true // until the file shows a subscription
}

function actionButton(kind) {
  const a = actions[kind]
  const b = el('button', { type: 'button', id: `action-${kind}`, text: a.label })
  if (kind === 'cancel') b.className = 'danger'
  b.addEventListener('click', () => openReason(kind, b))
  return b
}

function renderFile(file) {
  const subs = Array.isArray(file.subscriptions) ? file.subscriptions : []
  const [current, ...earlier] = subs
  $('subscription-current').replaceChildren(current ? subscriptionDetails(current) : el('p', { text: 'This customer has no subscription.' }))
  $('customer-actions').hidden = !current
  allowedActions = new Set(current && Array.isArray(current.actions) ? current.actions : [])
  updateActionButtons()
  $('subscription-earlier').replaceChildren(earlier.length
    ? el('ul', { className: 'earlier' }, earlier.map((s) => el('li', {}, subscriptionDetails(s))))
    : el('p', { text: 'None.' }))
  renderContact(file.contact || {})
  renderCharges(Array.isArray(file.charges) ? file.charges : [])
}

function subscriptionDetails(s) {
  const promotions = Array.isArray(s.promotions) ? s.promotions : []
  const prices = Array.isArray(s.prices) ? s.prices : []
  return el('div', { className: 'subscription' },
    el('p', { className: 'states' },
      stateBadge(s.life_cycle_state, 'Life cycle'), ' ', stateBadge(s.netflix_state, 'Netflix')),
    el('dl', { className: 'pairs' },
      pair('Number', s.number),
      pair('Created', timeEl(s.created_date)),
      pair('Channel', s.channel || '—'),
      pair('Promotions', promotions.length
        ? el('ul', {}, promotions.map((p) => el('li', { text: p.name ? `${p.name} (${p.code})` : String(p.code) })))
        : 'none'),
      pair('Prices', prices.length
        ? el('ul', {}, prices.map((p) => el('li', { text: fmt.price(p) })))
        : 'none'),
    ),
  )
}

function pair(term, value) {
  const dd = el('dd')
  dd.append(typeof value === 'string' ? document.createTextNode(value) : value)
  return [el('dt', { text: term }), dd]
}

function renderContact(c) {
  const lines = fmt.address(c.address)
  $('contact').replaceChildren(
    ...pair('Name', fmt.fullName(c.first_name, c.last_name) || '—'),
    ...pair('Address', lines.length ? el('address', {}, lines.flatMap((l, i) => (i ? [el('br'), l] : [l]))) : '—'),
    ...pair('Email', fmt.email(c.email) || '—'),
    ...pair('Phone', fmt.phone(c.phone) || '—'),
  )
}

function renderCharges(charges) {
  const body = $('charges-body')
  if (!charges.length) {
    body.replaceChildren(el('tr', {}, el('td', { colSpan: 6, text: 'No charges.' })))
    return
  }
  body.replaceChildren(...charges.map((c) => el('tr', {},
    el('th', { scope: 'row', text: c.number }),
    el('td', {}, chargeBadge(c.status)),
    el('td', { className: 'amount' }, fmt.price(c.amount),
      c.local_amount ? el('span', { className: 'local', text: ` (local ${fmt.price(c.local_amount)})` }) : null),
    el('td', {}, timeEl(c.received_on)),
    el('td', {}, c.status_date ? timeEl(c.status_date) : 'pending'),
    el('td', { text: c.acknowledged ? (c.reference_number ? `yes, reference ${c.reference_number}` : 'yes') : 'no' }),
  )))
}

function renderHistory(entries) {
  const list = $('history')
  if (!entries.length) {
    list.replaceChildren(el('li', { text: 'No history.' }))
    return
  }
  list.replaceChildren(...entries.map((e) => el('li', { className: `event action-${String(e.action).replace(/[^a-z_]/g, '')}` },
    el('p', { className: 'event-when' }, timeEl(e.at)),
    el('p', { className: 'event-what' },
      el('strong', { text: e.actor }), ' ', fmt.action(e.action), ' ',
      e.from ? stateBadge(e.from) : el('span', { text: 'new' }), ' → ', stateBadge(e.to),
      el('span', { className: 'event-sub', text: ` (subscription ${e.subscription_number})` })),
    el('p', { className: 'event-why', text: e.reason === null || e.reason === undefined ? 'No reason recorded.' : `Reason: ${e.reason}` }),
  )))
}

// ---- actions ----

function openReason(kind, button) {
  const a = actions[kind]
  pendingAction = { kind, customer: openCustomer }
  lastActionButton = button
  setText('reason-title', a.title)
  setText('reason-intro', `${a.intro} Customer ${openCustomer}.`)
  setText('reason-error', '')
  $('reason-input').value = ''
  $('reason-confirm').disabled = false
  $('reason-dialog').showModal()
  $('reason-input').focus()
}

async function confirmReason(event) {
  event.preventDefault()
  if (!pendingAction) return
  const reason = $('reason-input').value.trim()
  if (!reason) {
    setText('reason-error', 'Give the reason for the change.')
    $('reason-input').focus()
    return
  }
  const { kind, customer } = pendingAction
  const a = actions[kind]
  const confirm = $('reason-confirm')
  confirm.disabled = true
  setText('reason-error', '')
  try {
    const sub = await rpc.call(a.method, { customer, reason })
    closeReason()
    announce(`${a.done} Life cycle ${sub.life_cycle_state}, Netflix ${sub.netflix_state}.`)
    if (customer === openCustomer) loadCustomer()
  } catch (err) {
    setText('reason-error', fmt.rpcMessage(err))
    $('reason-input').focus()
  } finally {
    confirm.disabled = false
  }
}

function closeReason() {
  const d = $('reason-dialog')
  pendingAction = null
  if (d.open) d.close()
  if (lastActionButton && lastActionButton.isConnected) lastActionButton.focus()
}

async function reissue(event) {
  const button = event.currentTarget
  const customer = openCustomer
  button.disabled = true
  announce('Asking the partner for a new activation token…')
  try {
    const t = await rpc.call('Netflix.1.reissueToken', { customer })
    lastActionButton = button
    setText('token-value', t.netflix_token)
    $('token-expiry').replaceChildren('Valid until ', timeEl(t.netflix_token_expiration_date), '.')
    setText('token-copied', '')
    $('token-copy').disabled = false
    $('token-dialog').showModal()
    $('token-copy').focus()
    announce('A new activation token was issued.')
    if (customer === openCustomer) scheduleReload()
  } catch (err) {
    setText('customer-message', fmt.rpcMessage(err))
    announce(fmt.rpcMessage(err))
  } finally {
    updateActionButtons()
  }
}

async function copyToken() {
  const token = $('token-value').textContent
  const clipboard = navigator.clipboard
  if (!token) return
  if (!clipboard || typeof clipboard.writeText !== 'function') {
    setText('token-copied', 'Copying is not available here: select the token and copy it.')
    return
  }
  try {
    await clipboard.writeText(token)
    setText('token-copied', 'Copied.')
  } catch {
    setText('token-copied', 'The token could not be copied: select it and copy it.')
  }
}

function tokenClosed() {
  // Shown once: gone from the page when the dialog closes.
  setText('token-value', '')
  $('token-expiry').replaceChildren()
  setText('token-copied', '')
  if (lastActionButton && lastActionButton.isConnected) lastActionButton.focus()
}

// ---- the supervisors' overview ----

function scheduleOverview() {
  if (!session || session.role !== 'supervisor') return
  clearTimeout(overviewTimer)
  overviewTimer = setTimeout(loadOverview, 1000)
}

async function loadOverview() {
  const section = $('overview')
  if (!session || session.role !== 'supervisor' || !rpc) {
    section.hidden = true
    return
  }
  let o
  try {
    o = await rpc.call('Netflix.1.overview')
  } catch {
    section.hidden = true // not there (yet), or not allowed: no overview
    return
  }
  if (!session || !o || typeof o.charges !== 'object' || o.charges === null) {
    section.hidden = true
    return
  }
  renderOverview(o)
  section.hidden = false
  if (!overviewRefresh) overviewRefresh = setInterval(() => { if (session) loadOverview() }, 60000)
}

function renderOverview(o) {
  const statuses = [...CHARGE_STATUSES, ...Object.keys(o.charges).filter((s) => !CHARGE_STATUSES.includes(s))]
  const counts = statuses.map((s) => Number(o.charges[s]) || 0)
  const max = Math.max(1, ...counts)
  $('overview-bars').replaceChildren(...statuses.map((status, i) => {
    const id = `overview-${status.toLowerCase()}`
    const meter = el('meter', { id, min: 0, max, value: counts[i], className: `charge-${status.toLowerCase().replace('_', '-')}` })
    return el('div', { className: 'bar' },
      el('label', { htmlFor: id, text: status }),
      meter,
      el('span', { className: 'count', text: String(counts[i]) }))
  }))
  const oldest = $('overview-oldest')
  if (!o.oldest_pending) {
    oldest.replaceChildren('No charge is pending.')
  } else {
    oldest.replaceChildren('The oldest pending charge was received ', timeEl(o.oldest_pending),
      `, ${fmt.age(o.oldest_pending_age_seconds)} ago.`)
  }
}

// ---- wiring ----

function init() {
  $('login-form').addEventListener('submit', login)
  $('logout').addEventListener('click', logout)
  $('search-form').addEventListener('submit', search)
  $('reason-form').addEventListener('submit', confirmReason)
  $('reason-close').addEventListener('click', closeReason)
  $('reason-dialog').addEventListener('close', () => { pendingAction = null })
  $('token-copy').addEventListener('click', copyToken)
  $('token-close').addEventListener('click', () => $('token-dialog').close())
  $('token-dialog').addEventListener('close', tokenClosed)
  // The token lives in this tab only: when the tab goes, so does the
  // session.
  window.addEventListener('pagehide', () => {
    if (session) releaseQuietly(session.token)
  })
  $('login-organisation').focus()
}

init()
