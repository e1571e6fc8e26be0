'use strict'

// Writes the publish batches read by src/binding/publish_batch.rs: all
// publishes of one tick cross into the engine with one native call.
// Record: u8 op | u8 flags (qos | retain bit | properties bit) | f64 token | u32 len, topic | u32 len, payload.
// A record flagged FLAG_PROPERTIES (MQTT 5) takes the next object of the
// batch's `propertiesList`, MQTT.js's publish `properties` as the caller gave
// them: the addon converts and checks them. The opcode, flag bits and header
// size come from the addon (src/binding/batch_format.rs), the format's one definition.

const { batchFormat } = require('./native-loader')

const {
  opPublish: OP_PUBLISH,
  flagRetain: FLAG_RETAIN,
  flagProperties: FLAG_PROPERTIES,
  recordHeaderBytes: RECORD_HEADER_BYTES
} = batchFormat().publishBatch
const INITIAL_SIZE = 64 * 1024
/** Flush at once past this, so a long synchronous loop does not pile up. */
const FLUSH_AT = 1024 * 1024
/** Give a buffer grown by big payloads back after use. */
const SHRINK_ABOVE = 4 * 1024 * 1024

class PublishBatch {
  constructor () {
    this.buf = Buffer.allocUnsafe(INITIAL_SIZE)
    this.pos = 0
    // The flagged records' properties, in record order (null: none in this batch).
    this.propertiesList = null
  }

  get isEmpty () {
    return this.pos === 0
  }

  get isFull () {
    return this.pos >= FLUSH_AT
  }

  /** `properties`: an MQTT 5 publish's properties object, or undefined. */
  add (topic, payload, qos, retain, token, properties) {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const worstCase = RECORD_HEADER_BYTES + topic.length * 3 + payload.length
    this._reserve(worstCase)
    const buf = this.buf
    let pos = this.pos
    buf[pos++] = OP_PUBLISH
    let flags = qos | (retain ? FLAG_RETAIN : 0)
    if (properties !== undefined) {
      flags |= FLAG_PROPERTIES
      if (this.propertiesList === null) this.propertiesList = []
      this.propertiesList.push(properties)
    }
    buf[pos++] = flags
    buf.writeDoubleLE(token, pos)
    pos += 8
    const topicLength = buf.utf8Write(topic, pos + 4)
    pos = writeU32(buf, pos, topicLength) + topicLength
    pos = writeU32(buf, pos, payload.length)
    buf.set(payload, pos)
    this.pos = pos + payload.length
  }

  /**
   * The properties of the flagged records, in order, to hand over with
   * `take()`'s bytes (undefined when none has any); taken before them.
   */
  takePropertiesList () {
    const list = this.propertiesList
    this.propertiesList = null
    return list === null ? undefined : list
  }

  /** The bytes to hand over; the batch is empty (and reusable) afterwards. */
  take () {
    const bytes = this.buf.subarray(0, this.pos)
    this.pos = 0
    return bytes
  }

  /** Called after the engine has copied what `take()` returned. */
  recycle () {
    if (this.buf.length > SHRINK_ABOVE) this.buf = Buffer.allocUnsafe(INITIAL_SIZE)
  }

  _reserve (extra) {
    if (this.pos + extra <= this.buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra))
    this.buf.copy(grown, 0, 0, this.pos)
    this.buf = grown
  }
}

/** Little-endian u32 at `pos` (in range: `_reserve` made room); returns the next position. */
function writeU32 (buf, pos, value) {
  buf[pos] = value
  buf[pos + 1] = value >>> 8
  buf[pos + 2] = value >>> 16
  buf[pos + 3] = value >>> 24
  return pos + 4
}

module.exports = { PublishBatch }
