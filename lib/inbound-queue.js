'use strict'

// Event batches from the engine, applied in order. While an overridden
// `handleMessage` has not called back, later records wait here and the
// engine stops reading from the broker (inbound backpressure, as in MQTT.js
// where the next packet is not parsed until the callback).

const { BatchReader, TopicCache } = require('./event-batch')
const { dispatchRecord } = require('./client-events')

class InboundQueue {
  /** @param client the MqttClient; its `_setReading(bool)` pauses or resumes the engine's reads */
  constructor (client) {
    this._client = client
    this._batches = []
    this._topics = new TopicCache()
    this._waiting = false
    this._readingPaused = false
  }

  push (buffer, payloads) {
    this._batches.push(new BatchReader(buffer, this._topics, payloads))
    if (!this._waiting) this.drain()
  }

  /** Holds later records until `resume()`; the engine stops reading meanwhile. */
  pause () {
    this._waiting = true
    if (!this._readingPaused) {
      this._readingPaused = true
      this._client._setReading(false)
    }
  }

  resume () {
    this._waiting = false
    this.drain()
  }

  drain () {
    let thrown = null
    while (this._batches.length > 0 && !this._waiting) {
      const reader = this._batches[0]
      while (!reader.done && !this._waiting) {
        try {
          dispatchRecord(this._client, reader)
        } catch (err) {
          // A listener threw: keep applying records so state stays consistent,
          // and rethrow outside the engine callback (an uncaught exception, as in MQTT.js).
          if (thrown === null) thrown = err
          if (reader.failed) reader.pos = reader.buf.length
        }
      }
      if (reader.done) this._batches.shift()
    }
    // Emptied by shift(), the array keeps its grown backing store (up to ~150
    // bytes per idle client); setting the length to 0 gives it back.
    if (this._batches.length === 0) this._batches.length = 0
    if (!this._waiting && this._readingPaused) {
      this._readingPaused = false
      this._client._setReading(true)
    }
    if (thrown !== null) process.nextTick(() => { throw thrown })
  }
}

module.exports = { InboundQueue }
