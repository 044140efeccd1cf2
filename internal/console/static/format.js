// How the console words what the plane answers. Pure functions, no DOM.

import { CLOSED } from './rpc.js'

// With the time zone: an agent and a customer may not share one.
const dateTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'long',
})

// when formats an RFC 3339 time for people; '—' for none.
export function when(rfc3339) {
  if (!rfc3339) return '—'
  const d = new Date(rfc3339)
  if (Number.isNaN(d.getTime())) return String(rfc3339)
  return dateTime.format(d)
}

// age formats a number of seconds as days, hours and minutes.
export function age(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  let s = Math.max(0, Math.floor(seconds))
  const days = Math.floor(s / 86400)
  s -= days * 86400
  const hours = Math.floor(s / 3600)
  s -= hours * 3600
  const minutes = Math.floor(s / 60)
  const parts = []
  if (days) parts.push(`${days} ${days === 1 ? 'day' : 'days'}`)
  if (hours) parts.push(`${hours} ${hours === 1 ? 'hour' : 'hours'}`)
  if (!days && (minutes || !hours)) parts.push(`${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`)
  return parts.join(' ')
}

// price formats an amount of the plane: {amount, currency, formatted}.
export function price(p) {
  if (!p) return '—'
  const shown = p.formatted || p.amount
  return p.currency && !String(shown).includes(p.currency) ? `${shown} ${p.currency}` : String(shown)
}

// fullName joins a first and last name; '' for none.
export function fullName(first, last) {
  return [first, last].filter((x) => x).join(' ')
}

function country(c) {
  if (!c) return ''
  return c.name || c.three_character_code || c.two_character_code || c.alternative_code || c.id || ''
}

// address formats a contact's address object as lines.
export function address(a) {
  if (!a) return []
  const lines = []
  const street = [a.street_number, a.street_name].filter((x) => x).join(' ')
  if (street) lines.push(street)
  const unit = []
  if (a.floor !== undefined && a.floor !== null) unit.push(`floor ${a.floor}`)
  if (a.apartment_number) unit.push(`apartment ${a.apartment_number}`)
  if (unit.length) lines.push(unit.join(', '))
  if (a.po_box) lines.push(`PO Box ${a.po_box}`)
  if (a.area) lines.push(a.area)
  const town = [a.postal_code, a.town_city].filter((x) => x).join(' ')
  if (town) lines.push(town)
  const region = [a.district, a.municipality].filter((x) => x).join(', ')
  if (region) lines.push(region)
  const c = country(a.country_identifier)
  if (c) lines.push(c)
  return lines
}

// phone formats a contact's phone object.
export function phone(p) {
  if (!p) return ''
  const n = [p.area_code, p.number].filter((x) => x).join(' ')
  return p.type ? `${n} (${p.type.toLowerCase()})` : n
}

// email formats a contact's email object.
export function email(e) {
  if (!e) return ''
  return e.email_address || ''
}

// action words a history action.
export function action(a) {
  return String(a || '').replaceAll('_', ' ')
}

// roleName words a role.
export function roleName(role) {
  switch (role) {
    case 'care':
      return 'care agent'
    case 'supervisor':
      return 'supervisor'
    default:
      return String(role || 'unknown role')
  }
}

// rpcMessage says in plain words why a call failed.
export function rpcMessage(err) {
  if (!err) return 'Something went wrong.'
  switch (err.code) {
    case -32604:
      return 'You are not allowed to do that.'
    case -31002:
      return 'The Netflix service is deactivated; try again when it is back.'
    case CLOSED:
      return err.message
    case 22:
    case 5:
    default:
      return err.message || 'The call failed.'
  }
}
