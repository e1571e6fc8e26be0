'use strict'

// What each event-batch record holds (written by `encode_events` in
// src/binding/event_batch.rs): one reader per record kind, turning the bytes
// into the values client-events.js acts on. Reading is kept apart from acting
// so that __test__/batch-format.test.js can check every kind against the Rust
// encoder without a client.

const { KIND, FLAG } = require('./event-batch')
const { ErrorWithReasonCode } = require('./errors')
const { connackPacket, readPublish, readSentPacket, readReceivedPacket } = require('./packets')
const { readProperties } = require('./properties')

/** A client error (`put_error`): message, code (none, text or number), then Node's system-call fields. */
function readError (r) {
  const message = r.string()
  const codeKind = r.u8()
  const err = codeKind === 2 ? new ErrorWithReasonCode(message, r.u32()) : new Error(message)
  const code = codeKind === 1 ? r.string() : undefined
  if (r.u8() === 1) {
    // A failed system call: Node's fields, in the order `net` sets them.
    const errno = r.i32()
    if (errno !== 0) err.errno = errno
    if (code !== undefined) err.code = code
    err.syscall = r.string()
    const address = r.string()
    if (address !== '') err.address = address
    const port = r.u16()
    if (port !== 0) err.port = port
    const hostname = r.string()
    if (hostname !== '') err.hostname = hostname
  } else if (code !== undefined) {
    err.code = code
  }
  return err
}

/** A command's completion: its token, the packet id used (0: none), and its error or null. */
function readCompletion (r) {
  const token = r.f64()
  const messageId = r.u16()
  return { token, messageId, error: r.optionalError() }
}

/**
 * A publish's completion (`PUBLISH_DONE`): the final ack's reason code and
 * properties follow (MQTT 5; 0 and none otherwise). A publish the broker
 * refused (reason code 0x80 or above) fails with `ErrorWithReasonCode`, as
 * MQTT.js fails it.
 */
function readPublishCompletion (r) {
  const token = r.f64()
  const messageId = r.u16()
  let error = r.optionalError()
  const reasonCode = r.u8()
  const properties = readProperties(r)
  if (error !== null && reasonCode >= 0x80) error = new ErrorWithReasonCode(error.message, reasonCode)
  // One literal: every completion object has the same shape (the QoS 1/2 hot path).
  return { token, messageId, error, reasonCode, properties }
}

/** A reason code and a property list (DISCONNECT and AUTH from the broker). */
function readReasonAndProperties (r) {
  const reasonCode = r.u8()
  return { reasonCode, properties: readProperties(r) }
}

/** Kinds whose record is the kind byte alone. */
function nothing () {
  return null
}

/** Reader for each record kind; each leaves the reader at the next record. */
const RECORD_READERS = {
  [KIND.CONNECT]: (r) => {
    const sessionPresent = r.u8() === 1
    const code = r.u8()
    // The engine's decision (the broker kept our session): JS does not guess it.
    const sessionResumed = r.u8() === 1
    return { packet: connackPacket(sessionPresent, code, r.v5, readProperties(r)), sessionResumed }
  },
  [KIND.MESSAGE]: (r) => {
    const held = (r.buf[r.pos] & FLAG.ACK_HELD) !== 0
    const packet = readPublish(r)
    // Connections count from 1: 0 means the engine acknowledged on receipt.
    return { packet, ackConnection: held ? r.u32() : 0 }
  },
  [KIND.PUBLISH_DONE]: readPublishCompletion,
  // A subscribe call settled (the engine split it into packets and joined their answers).
  [KIND.SUBSCRIBE_DONE]: (r) => {
    const completion = readCompletion(r)
    // The return codes and properties of the SUBACK the callback reports (none with an error).
    completion.subackCodes = completion.error === null ? [...r.bytes()] : null
    completion.properties = completion.error === null ? readProperties(r) : undefined
    // The QoS of each filter of the call, in the order asked (the pending entry holds the filters).
    completion.qos = [...r.bytes()]
    return completion
  },
  // Filters a SUBACK refused: no longer subscribed.
  [KIND.SUBSCRIPTIONS_REFUSED]: (r) => {
    const filters = new Array(r.u32())
    for (let i = 0; i < filters.length; i++) filters[i] = r.string()
    return filters
  },
  [KIND.UNSUBSCRIBE_DONE]: (r) => {
    const completion = readCompletion(r)
    // MQTT 5: the UNSUBACK's reason codes, one per topic, and its properties.
    completion.reasonCodes = [...r.bytes()]
    completion.properties = readProperties(r)
    return completion
  },
  [KIND.PACKET_ID_ALLOCATED]: (r) => r.u16(),
  // The index in `servers` of the broker this attempt connects to.
  [KIND.RECONNECT]: (r) => ({ server: r.u32() }),
  [KIND.OFFLINE]: nothing,
  [KIND.CLOSE]: nothing,
  [KIND.ERROR]: readError,
  [KIND.OUTGOING_EMPTY]: nothing,
  // The broker's DISCONNECT: reason code and properties (0 and none with MQTT 3.1.1).
  [KIND.DISCONNECT]: readReasonAndProperties,
  // An AUTH from the broker (MQTT 5).
  [KIND.AUTH]: readReasonAndProperties,
  [KIND.TERMINATED]: nothing,
  [KIND.PACKET_SEND]: readSentPacket,
  [KIND.PACKET_RECEIVE]: readReceivedPacket,
  // The token of the last QoS 0 publish handed to the socket / lost with the connection.
  [KIND.QOS0_WRITTEN]: (r) => r.f64(),
  [KIND.QOS0_DROPPED]: (r) => r.f64()
}

/** The reader of a record of `kind` (just read from `r`); an unknown kind marks the batch failed. */
function recordReader (kind, r) {
  const read = RECORD_READERS[kind]
  if (read === undefined) {
    r.failed = true
    throw new Error(`mqtt-napi: unknown event kind ${kind} (engine and shim out of sync)`)
  }
  return read
}

/** Reads one record: `{ kind, value }`, its kind number and what its reader returned. */
function readRecord (r) {
  const kind = r.u8()
  return { kind, value: recordReader(kind, r)(r) }
}

module.exports = { recordReader, readRecord }
