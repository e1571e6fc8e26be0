'use strict'

// MQTT.js's in-memory `Store` (put/get/del/createStream/close), for programs
// that construct one or pass their own as `incomingStore`/`outgoingStore`.
// The engine keeps in-flight state itself; see lib/store-mirror.js for how a
// user store is kept in step with it.

const { Readable } = require('stream')

function missing () {
  return new Error('missing packet')
}

class Store {
  constructor (options) {
    this.options = { clean: true, ...options }
    this._inflights = new Map()
  }

  /** Stores `packet` under its messageId, replacing what was there. */
  put (packet, cb) {
    this._inflights.set(packet.messageId, packet)
    if (cb) cb()
    return this
  }

  /** A stream of the stored packets, oldest first, as they were when it was created. */
  createStream () {
    const packets = [...this._inflights.values()]
    let next = 0
    let destroyed = false
    const stream = new Readable({
      objectMode: true,
      read () {
        this.push(!destroyed && next < packets.length ? packets[next++] : null)
      }
    })
    // MQTT.js streams end early when destroyed and still emit 'close' (asynchronously).
    stream.destroy = () => {
      if (destroyed) return stream
      destroyed = true
      setTimeout(() => stream.emit('close'), 0)
      return stream
    }
    return stream
  }

  del (packet, cb) {
    const stored = this._inflights.get(packet.messageId)
    if (stored) {
      this._inflights.delete(packet.messageId)
      cb(null, stored)
    } else if (cb) {
      cb(missing())
    }
    return this
  }

  get (packet, cb) {
    const stored = this._inflights.get(packet.messageId)
    if (stored) cb(null, stored)
    else if (cb) cb(missing())
    return this
  }

  /** A clean store forgets everything on close. */
  close (cb) {
    if (this.options.clean) this._inflights = null
    if (cb) cb()
  }
}

module.exports = { Store }
