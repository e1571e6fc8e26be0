'use strict'

// Callbacks waiting for the engine, each under the token its command carried.
// Token 0 is never registered: it tells the engine nobody waits.

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

  get (token) {
    return this._entries === null ? undefined : this._entries.get(token)
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
    for (const entry of this._entries.values()) {
      if (entry.kind !== 'publish' || entry.qos > 0) return true
    }
    return false
  }

  /** The tokens of every publish still waiting. */
  publishTokens () {
    const tokens = new Set()
    if (this._entries === null) return tokens
    for (const [token, entry] of this._entries) if (entry.kind === 'publish') tokens.add(token)
    return tokens
  }

  /** Takes every entry, oldest first. */
  takeAll () {
    if (this._entries === null) return []
    const entries = [...this._entries.values()]
    this._entries.clear()
    return entries
  }
}

module.exports = { PendingCallbacks }
