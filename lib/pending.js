'use strict'

// Callbacks waiting for the engine, each under the token its command carried.
// Token 0 is never registered: it tells the engine nobody waits.
//
// A QoS 0 publish needs nothing but its callback, so it is stored as the
// function itself, with no object per publish: 50,000 offline publishes with
// callbacks kept ~12 MiB of RSS in entry objects (and the young generation
// they grew). Readers get the usual `{ kind, callback, qos }` shape.

/** Stored for a QoS 0 publish without a callback (one shared value). */
const QOS0_WITHOUT_CALLBACK = Object.freeze({ kind: 'publish', callback: undefined, qos: 0 })

function expand (stored) {
  return typeof stored === 'function' ? { kind: 'publish', callback: stored, qos: 0 } : stored
}

class PendingCallbacks {
  constructor () {
    // Created with the first entry: a client that only listens never needs it.
    this._entries = null
    this._nextToken = 1
  }

  register (entry) {
    const token = this._nextToken++
    if (this._entries === null) this._entries = new Map()
    this._entries.set(token, entry)
    return token
  }

  /** A QoS 0 publish: only its callback (if any) waits. */
  registerQoS0Publish (callback) {
    return this.register(callback || QOS0_WITHOUT_CALLBACK)
  }

  get (token) {
    return this._entries === null ? undefined : expand(this._entries.get(token))
  }

  /** Removes and returns the entry (undefined if it was already completed). */
  take (token) {
    const entry = this.get(token)
    if (entry !== undefined) this._entries.delete(token)
    return entry
  }

  /** True when something MQTT.js would count as `outgoing` waits: QoS 1/2 publishes, (un)subscribes. */
  hasOutgoing () {
    if (this._entries === null) return false
    for (const stored of this._entries.values()) {
      if (typeof stored !== 'function' && (stored.kind !== 'publish' || stored.qos > 0)) return true
    }
    return false
  }

  /** The tokens of every publish still waiting. */
  publishTokens () {
    const tokens = new Set()
    if (this._entries === null) return tokens
    for (const [token, stored] of this._entries) if (typeof stored === 'function' || stored.kind === 'publish') tokens.add(token)
    return tokens
  }

  /** Takes every entry, oldest first. */
  takeAll () {
    if (this._entries === null) return []
    const entries = Array.from(this._entries.values(), expand)
    this._entries.clear()
    return entries
  }
}

module.exports = { PendingCallbacks }
