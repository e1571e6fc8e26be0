'use strict'

// Reads the event batches written by src/binding/event_batch.rs. The record
// kinds, flag bits and packet type names come from the addon
// (src/binding/batch_format.rs), the format's one definition; what each
// record holds is read in event-records.js.

const { batchFormat } = require('./native-loader')

const FORMAT = batchFormat()
const EVENTS = FORMAT.eventBatch

/** Record kinds by name (`KIND.CONNECT`, ...): every record starts with one. */
const KIND = Object.freeze({ ...EVENTS.kinds })

/**
 * Bits of a publish's flags byte. `PAYLOAD_ATTACHED` (MESSAGE): the payload is
 * not in the record but the batch's next attached Buffer (large payloads, no
 * copy). `ACK_HELD` (MESSAGE): the engine holds the message's PUBACK/PUBCOMP
 * until JS acknowledges it; the record ends with the u32 connection number the
 * acknowledgement must name.
 */
const FLAG = Object.freeze({
  QOS_MASK: EVENTS.flagQosMask,
  RETAIN: EVENTS.flagRetain,
  DUP: EVENTS.flagDup,
  PAYLOAD_ATTACHED: EVENTS.flagPayloadAttached,
  ACK_HELD: EVENTS.flagAckHeld,
  PROPERTIES: EVENTS.flagProperties
})

/** MQTT.js's `cmd` name of each packet type, by the wire number packet records carry. */
const PACKET_TYPES = Object.freeze(FORMAT.packetTypes)

/** Longest topic worth remembering: comparing bytes must stay cheaper than decoding. */
const MAX_CACHED_TOPIC = 256

/**
 * The last topic string decoded for a client. Messages mostly repeat a few
 * topics; comparing the bytes with the previous ones avoids decoding and
 * allocating the same string again.
 */
class TopicCache {
  constructor () {
    // Allocated with the first topic cached: an idle client never receives one.
    this.bytes = null
    this.length = -1
    this.string = ''
  }

  decode (buf, start, end) {
    const length = end - start
    if (length === this.length) {
      const bytes = this.bytes
      let i = 0
      while (i < length && bytes[i] === buf[start + i]) i++
      if (i === length) return this.string
    }
    const string = buf.toString('utf8', start, end)
    if (length <= MAX_CACHED_TOPIC) {
      // Only the first `length` bytes are ever read, so uninitialised (pooled) memory is fine.
      if (this.bytes === null) this.bytes = Buffer.allocUnsafe(MAX_CACHED_TOPIC)
      buf.copy(this.bytes, 0, start, end)
      this.length = length
      this.string = string
    }
    return string
  }
}

/** A cursor over one batch buffer. */
class BatchReader {
  /**
   * `payloads`: the large payloads MESSAGE records refer to, in order (or
   * undefined). `v5`: the client speaks MQTT 5 (packets take its shapes).
   */
  constructor (buffer, topics = new TopicCache(), payloads = undefined, v5 = false) {
    this.buf = buffer
    this.pos = 0
    this.topics = topics
    this.payloads = payloads
    this.nextPayload = 0
    this.v5 = v5
  }

  /** A topic: a string, decoded once for a run of messages on the same topic. */
  topic () {
    const length = this.u32()
    const start = this.pos
    this.pos += length
    this.topicBytes = length
    return this.topics.decode(this.buf, start, this.pos)
  }

  get done () {
    return this.pos >= this.buf.length
  }

  u8 () {
    return this.buf[this.pos++]
  }

  u16 () {
    const value = this.buf.readUInt16LE(this.pos)
    this.pos += 2
    return value
  }

  u32 () {
    const value = this.buf.readUInt32LE(this.pos)
    this.pos += 4
    return value
  }

  i32 () {
    const value = this.buf.readInt32LE(this.pos)
    this.pos += 4
    return value
  }

  f64 () {
    const value = this.buf.readDoubleLE(this.pos)
    this.pos += 8
    return value
  }

  /** The next attached payload (a MESSAGE record flagged `FLAG.PAYLOAD_ATTACHED`). */
  attachedPayload () {
    return this.payloads[this.nextPayload++]
  }

  /** A view into the batch, not a copy: payloads cross the boundary once. */
  bytes () {
    const length = this.u32()
    const start = this.pos
    this.pos += length
    return this.buf.subarray(start, this.pos)
  }

  string () {
    const length = this.u32()
    const start = this.pos
    this.pos += length
    return this.buf.toString('utf8', start, this.pos)
  }

  /** A command's failure (`put_command_result`): null, or an Error, with `code` when the engine gave one. */
  optionalError () {
    if (this.u8() !== 1) return null
    const err = new Error(this.string())
    if (this.u8() === 1) err.code = this.string()
    return err
  }
}

module.exports = { KIND, FLAG, PACKET_TYPES, BatchReader, TopicCache }
