'use strict'

// MQTT.js's packet id providers, exported for API compatibility. The client
// does not use them: the engine allocates packet ids and never hands out one
// still in flight (a `messageIdProvider` option gets a warning).

const MAX_ID = 65535

/** Counts up from a random start, wrapping 65535 -> 1; may reuse an id in flight. */
class DefaultMessageIdProvider {
  constructor () {
    this.nextId = Math.max(1, Math.floor(Math.random() * MAX_ID))
  }

  allocate () {
    const id = this.nextId
    this.nextId = id === MAX_ID ? 1 : id + 1
    return id
  }

  getLastAllocated () {
    return this.nextId === 1 ? MAX_ID : this.nextId - 1
  }

  register (messageId) {
    return true
  }

  deallocate (messageId) {}

  clear () {}
}

/** Hands out the lowest free id; null when all 65,535 are in use. */
class UniqueMessageIdProvider {
  constructor () {
    this._inUse = new Set()
    this.lastId = undefined
  }

  allocate () {
    if (this._inUse.size >= MAX_ID) return null
    let id = 1
    while (this._inUse.has(id)) id++
    this._inUse.add(id)
    this.lastId = id
    return id
  }

  getLastAllocated () {
    return this.lastId
  }

  /** Marks `messageId` used; false when it already was. */
  register (messageId) {
    if (this._inUse.has(messageId)) return false
    this._inUse.add(messageId)
    return true
  }

  deallocate (messageId) {
    this._inUse.delete(messageId)
  }

  clear () {
    this._inUse.clear()
  }
}

module.exports = { DefaultMessageIdProvider, UniqueMessageIdProvider }
