'use strict'

// Event batches from the engine, applied in order, in time slices.
//
// A batch can hold thousands of messages; applied in one synchronous loop, a
// slow `message` handler held the event loop for seconds (timers, I/O and
// other clients waited). Records are applied until a slice has used
// SLICE_MS; the rest wait here for a later turn of the event loop
// (setImmediate). A batch that arrives while they wait stops the engine's
// reads until JS has caught up, so JS holds at most, besides the batch being
// applied, what the engine had taken from the socket by then: its event
// mailbox (2 batches) and the batch it was building, each at most 8,192
// events or 16 MiB of payload (engine/src/connection/outbox.rs).
//
// While an overridden `handleMessage` has not called back, later records
// wait here as well (inbound backpressure, as in MQTT.js where the next
// packet is not parsed until the callback).
//
// An exception thrown by user code in a listener or callback ends the slice:
// it is rethrown on its own (process.nextTick, so before anything else
// runs), and the remaining records are applied in the next slice. Every
// exception thus reaches `uncaughtException` in the order thrown, each record
// is still applied, and without a handler the process stops at the first one,
// before any later event is emitted.

const { performance } = require('node:perf_hooks')
const { BatchReader, TopicCache } = require('./event-batch')
const { dispatchRecord } = require('./client-events')

/** Handler time after which delivery yields to the event loop. */
const SLICE_MS = 4
/**
 * The clock is read every `stride` records: 1 while records are slow, doubling
 * up to MAX_STRIDE while a stride takes less than FAST_STRIDE_MS, so that fast
 * records pay for one clock read per MAX_STRIDE and a slice overshoots by at
 * most one stride.
 */
const MAX_STRIDE = 64
const FAST_STRIDE_MS = SLICE_MS / 8

function rethrow (err) {
  throw err
}

function continueDelivery (queue) {
  queue._yielded = false
  queue.drain()
}

class InboundQueue {
  /** @param client the MqttClient; its `_setReading(bool)` pauses or resumes the engine's reads */
  constructor (client) {
    this._client = client
    this._batches = []
    this._topics = new TopicCache()
    // Holds not yet released (an overridden handleMessage or customHandleAcks
    // that has not called back, ...): records wait while there is one.
    this._holds = 0
    // A later slice is scheduled (setImmediate).
    this._yielded = false
    this._readingPaused = false
    this._stride = 1
    // Set when the current slice must end after the record being applied.
    this._endSlice = false
  }

  push (buffer, payloads) {
    this._batches.push(new BatchReader(buffer, this._topics, payloads, this._client.options.protocolVersion === 5))
    if (this._holds > 0 || this._yielded) this._pauseReading()
    else this.drain()
  }

  /**
   * Holds later records until the matching `resume()` (holds nest: records
   * flow once each has been released); the engine stops reading meanwhile.
   */
  pause () {
    if (this._holds++ > 0) return
    this._pauseReading()
    this._client._setEventsHeld(true)
  }

  resume () {
    if (--this._holds > 0) return
    this._client._setEventsHeld(false)
    if (!this._yielded) this.drain()
  }

  _pauseReading () {
    if (!this._readingPaused) {
      this._readingPaused = true
      this._client._setReading(false)
    }
  }

  _yield () {
    this._yielded = true
    setImmediate(continueDelivery, this)
  }

  /**
   * An exception thrown by user code while a record was applied (or by a
   * callback the client runs itself): it surfaces on its own, after those
   * thrown before it, and the current slice ends after this record.
   */
  reportError (err) {
    process.nextTick(rethrow, err)
    this._endSlice = true
  }

  /** Applies records until none is left, handleMessage holds them, or the slice ends. */
  drain () {
    const client = this._client
    const batches = this._batches
    let lastCheck = performance.now()
    const deadline = lastCheck + SLICE_MS
    let stride = this._stride
    let countdown = stride
    this._endSlice = false
    while (batches.length > 0 && this._holds === 0) {
      const reader = batches[0]
      while (!reader.done && this._holds === 0) {
        try {
          dispatchRecord(client, reader)
        } catch (err) {
          if (reader.failed) reader.pos = reader.buf.length
          this.reportError(err)
        }
        if (--countdown === 0) {
          const now = performance.now()
          stride = now - lastCheck < FAST_STRIDE_MS ? Math.min(stride * 2, MAX_STRIDE) : 1
          countdown = stride
          lastCheck = now
          if (now >= deadline) this._endSlice = true
        }
        if (this._endSlice && this._holds === 0 && !(reader.done && batches.length === 1)) {
          if (reader.done) batches.shift()
          this._stride = stride
          this._yield()
          return
        }
      }
      if (reader.done) batches.shift()
    }
    this._stride = stride
    // Emptied by shift(), the array keeps its grown backing store (up to ~150
    // bytes per idle client); setting the length to 0 gives it back.
    if (batches.length === 0) batches.length = 0
    if (this._holds === 0 && this._readingPaused) {
      this._readingPaused = false
      this._client._setReading(true)
    }
  }
}

module.exports = { InboundQueue }
