'use strict'

// Keeps user-provided `outgoingStore`/`incomingStore` objects in step with
// the engine, which owns the real in-flight state: QoS 1/2 publishes (and
// their PUBREL) are put when sent and deleted when complete or removed;
// inbound QoS 2 publishes are put on receipt and deleted once released. A
// store that already holds packets when the client starts (persisted by an
// earlier process) is replayed. Default stores stay empty: mirroring needs
// packet events from the engine, which cost something only while in use.
// Being empty, they are created only when the program asks for one.

const { Store } = require('./store')
const { warn } = require('./options/unsupported')

function noop () {}

/** A default store not created yet has nothing to close (closing one calls back at once). */
function closeStore (store, cb) {
  if (store === null) cb()
  else store.close(cb)
}

class StoreMirror {
  /** @param options the client options; their stores are the user's, if any */
  constructor (options) {
    this._options = options
    this._userOutgoing = options.outgoingStore || null
    this._userIncoming = options.incomingStore || null
    this._outgoingStore = this._userOutgoing
    this._incomingStore = this._userIncoming
    this._closed = false
    // Inbound QoS 2 ids put into the user's incoming store on this connection.
    this._incomingIds = this._userIncoming === null ? null : new Set()
    // messageId -> the error a failed outgoingStore.put reported (for the publish callback).
    this._putErrors = null
  }

  /** The store `client.outgoingStore` shows: the user's, or an empty default one. */
  get outgoingStore () {
    if (this._outgoingStore === null) this._outgoingStore = this._defaultStore()
    return this._outgoingStore
  }

  get incomingStore () {
    if (this._incomingStore === null) this._incomingStore = this._defaultStore()
    return this._incomingStore
  }

  /** A default store, created on first use: closed already if the client has ended since. */
  _defaultStore () {
    const store = new Store()
    if (this._closed) store.close()
    return store
  }

  /** True when a user store must be kept in step (packet events are needed). */
  get active () {
    return this._userOutgoing !== null || this._userIncoming !== null
  }

  onPacketSent (packet) {
    if (this._userOutgoing !== null && (packet.cmd === 'publish' ? packet.qos > 0 : packet.cmd === 'pubrel')) {
      // A copy: the packet's payload is a view into an event batch.
      const stored = packet.cmd === 'publish' ? { ...packet, payload: Buffer.from(packet.payload) } : { ...packet }
      const messageId = packet.messageId
      this._userOutgoing.put(stored, (err) => {
        if (!err) return
        if (this._putErrors === null) this._putErrors = new Map()
        this._putErrors.set(messageId, err)
      })
    }
    if (this._userIncoming !== null && packet.cmd === 'pubcomp') {
      this._incomingIds.delete(packet.messageId)
      this._userIncoming.del({ messageId: packet.messageId }, noop)
    }
  }

  onPacketReceived (packet) {
    if (this._userIncoming !== null && packet.cmd === 'publish' && packet.qos === 2) {
      this._incomingIds.add(packet.messageId)
      this._userIncoming.put({ ...packet, payload: Buffer.from(packet.payload) }, noop)
    }
  }

  /**
   * The error `outgoingStore.put` gave for this message id, if it failed
   * (taken: asked once, when the publish completes). MQTT.js hands it to the
   * publish callback; the engine has sent the message by then.
   */
  takePutError (messageId) {
    if (this._putErrors === null || !this._putErrors.has(messageId)) return null
    const err = this._putErrors.get(messageId)
    this._putErrors.delete(messageId)
    return err
  }

  /** A QoS 1/2 publish finished (acknowledged, or withdrawn by removeOutgoingMessage). */
  onPublishDone (messageId) {
    if (this._userOutgoing !== null && messageId) this._userOutgoing.del({ messageId }, noop)
  }

  /** The broker did not keep the session: its inbound QoS 2 state is gone (as in MQTT.js). */
  onSessionLost () {
    if (this._userIncoming === null) return
    for (const messageId of this._incomingIds) this._userIncoming.del({ messageId }, noop)
    this._incomingIds.clear()
  }

  /**
   * Reads what the user's outgoing store holds from an earlier run, removes
   * it, and hands each publish to `republish(packet)`; calls `done()` after.
   * The engine allocates packet ids itself, so these go out under new ids.
   */
  restore (republish, done) {
    if (this._userOutgoing === null) {
      done()
      return
    }
    const store = this._userOutgoing
    const packets = []
    let finished = false
    const finish = (err) => {
      if (finished) return
      finished = true
      if (err) warn(this._options, 'outgoingStore:read', `outgoingStore could not be read: ${err.message}`)
      for (const packet of packets) store.del({ messageId: packet.messageId }, noop)
      for (const packet of packets) {
        if (packet.cmd === 'publish' && packet.qos > 0) {
          republish(packet)
        } else if (packet.cmd === 'pubrel') {
          warn(this._options, 'outgoingStore:pubrel', 'a stored PUBREL cannot be resumed (the engine cannot adopt a packet id); it is dropped: the broker already holds that QoS 2 message')
        }
      }
      done()
    }
    let stream
    try {
      stream = store.createStream()
    } catch (err) {
      finish(err)
      return
    }
    stream.on('data', (packet) => packets.push(packet))
    stream.once('end', () => finish())
    stream.once('error', finish)
  }

  /** Closes both stores, as MQTT.js does before `end`; `cb(err)` after. */
  close (cb) {
    this._closed = true
    closeStore(this._incomingStore, (e1) => {
      closeStore(this._outgoingStore, (e2) => cb(e1 || e2))
    })
  }
}

module.exports = { StoreMirror }
