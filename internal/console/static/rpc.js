// A JSON-RPC 2.0 client over one WebSocket to the plane, with Thunder's
// conventions: numeric ids, one promise per call, and events registered
// with `<Callsign>.1.register {event, id}`, which arrive as notifications
// whose method is `<id>.<event>`.

// RpcError is a JSON-RPC error answer, or the connection failing a call.
export class RpcError extends Error {
  constructor(code, message, data) {
    super(message)
    this.name = 'RpcError'
    this.code = code
    this.data = data
  }
}

// CLOSED is the code of an RpcError for a call the connection ended
// before it was answered (no JSON-RPC code is negative this far).
export const CLOSED = -1

// The close code the plane uses when the credential has ended.
export const POLICY_VIOLATION = 1008

export class RpcClient {
  // url: the WebSocket URL, token included (a browser cannot set headers
  // on a WebSocket). onClose(code, reason) is told when the connection
  // ends other than by close().
  constructor(url, { onClose } = {}) {
    this.url = url
    this.onClose = onClose
    this.socket = null
    this.nextId = 1
    this.pending = new Map() // id → {resolve, reject}
    this.handlers = new Map() // `${id}.${event}` → handler
    this.closedByUs = false
  }

  // open resolves once the WebSocket is open, and rejects when it cannot
  // be opened (a refused upgrade looks the same to a page as a network
  // failure).
  open() {
    return new Promise((resolve, reject) => {
      let opened = false
      const socket = new WebSocket(this.url, 'notification')
      this.socket = socket
      socket.addEventListener('open', () => {
        opened = true
        resolve()
      })
      socket.addEventListener('message', (m) => this.receive(m.data))
      socket.addEventListener('close', (e) => {
        this.failPending()
        if (!opened) {
          reject(new RpcError(CLOSED, 'The connection to the server could not be opened.'))
          return
        }
        if (!this.closedByUs && this.onClose) this.onClose(e.code, e.reason)
      })
    })
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN
  }

  // call sends a request and resolves with its result, or rejects with an
  // RpcError.
  call(method, params) {
    if (!this.isOpen) {
      return Promise.reject(new RpcError(CLOSED, 'The connection to the server is closed.'))
    }
    const id = this.nextId
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1
    const request = { jsonrpc: '2.0', id, method }
    if (params !== undefined) request.params = params
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.socket.send(JSON.stringify(request))
    })
  }

  // register asks a plugin for an event; handler(params) is called with
  // each notification of it on this connection.
  async register(callsign, event, id, handler) {
    this.handlers.set(`${id}.${event}`, handler)
    try {
      await this.call(`${callsign}.1.register`, { event, id })
    } catch (err) {
      this.handlers.delete(`${id}.${event}`)
      throw err
    }
  }

  // close ends the connection without telling onClose.
  close() {
    this.closedByUs = true
    if (this.socket !== null && this.socket.readyState <= WebSocket.OPEN) {
      this.socket.close(1000, 'closed by the console')
    }
    this.failPending()
  }

  receive(data) {
    let message
    try {
      message = JSON.parse(data)
    } catch {
      return
    }
    if (message === null || typeof message !== 'object') return
    if ('id' in message && message.id !== null && ('result' in message || 'error' in message)) {
      const waiting = this.pending.get(message.id)
      if (!waiting) return
      this.pending.delete(message.id)
      if (message.error) {
        const e = message.error
        waiting.reject(new RpcError(e.code, String(e.message ?? 'The call failed.'), e.data))
      } else {
        waiting.resolve(message.result)
      }
      return
    }
    if (typeof message.method === 'string' && !('id' in message)) {
      const handler = this.handlers.get(message.method)
      if (handler) {
        try {
          handler(message.params)
        } catch (err) {
          console.error('event handler', message.method, err)
        }
      }
    }
  }

  failPending() {
    const waiting = [...this.pending.values()]
    this.pending.clear()
    for (const w of waiting) {
      w.reject(new RpcError(CLOSED, 'The connection to the server was lost before the answer came.'))
    }
  }
}

// socketURL is the plane's WebSocket URL on this page's origin.
export function socketURL(token) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/jsonrpc?token=${encodeURIComponent(token)}`
}
