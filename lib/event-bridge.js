'use strict'

// Every client's event batches arrive through one native threadsafe function
// (one per client cost ~1 KB of native memory and a libuv handle each); this
// module routes each batch to its client by key, and holds Node's event loop
// open while any client has not yet delivered its last batch.

const { EventBridge, NativeClient } = require('./native-loader')

/** key -> function receiving that client's batches */
const receivers = new Map()
let bridge = null
let lastKey = 0

/**
 * `records`: the batch (see event-batch.js); `payloads`: the large message
 * payloads it refers to, as Buffers over the engine's memory (or undefined).
 */
function deliver (key, records, payloads, last) {
  const receive = receivers.get(key)
  if (last) {
    receivers.delete(key)
    if (receivers.size === 0) bridge.keepAlive(false)
  }
  if (receive !== undefined) receive(records, payloads)
}

/** Starts a native client whose event batches go to `receive(records, payloads)`. */
function startNativeClient (options, receive) {
  if (bridge === null) bridge = new EventBridge(deliver)
  do {
    lastKey = (lastKey + 1) >>> 0
  } while (lastKey === 0 || receivers.has(lastKey))
  // Throws on invalid options: nothing is registered then.
  const native = new NativeClient(options, bridge, lastKey)
  if (receivers.size === 0) bridge.keepAlive(true)
  receivers.set(lastKey, receive)
  return native
}

module.exports = { startNativeClient }
