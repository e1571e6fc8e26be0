'use strict'

// Packet objects with MQTT.js's shapes, built from event-batch records.
// Packets the client received look like mqtt-packet's parser output (every
// fixed-header field present); packets it sent look like the objects MQTT.js
// writes (only the fields it sets). `packetsend`/`packetreceive` listeners,
// callbacks and `message` handlers therefore see the same fields as with MQTT.js.

const { FLAG, PACKET_TYPES } = require('./event-batch')
const { readProperties, FLAG_PROPERTIES } = require('./properties')

const { QOS_MASK, RETAIN, DUP, PAYLOAD_ATTACHED } = FLAG

/** A parsed packet: mqtt-packet's fixed-header fields, then the variable ones. */
function parsedPacket (cmd, length, fields) {
  return { cmd, retain: false, qos: 0, dup: false, length, topic: null, payload: null, ...fields }
}

function connackPacket (sessionPresent, returnCode) {
  // parsedPacket()'s fields spelled out: every client keeps its CONNACK
  // (`client.connackPacket`), and a literal holds all fields in the object
  // itself, where spread ones would need a separate property array.
  return { cmd: 'connack', retain: false, qos: 0, dup: false, length: 2, topic: null, payload: null, sessionPresent, returnCode }
}

function subackPacket (messageId, granted) {
  return parsedPacket('suback', 2 + granted.length, { granted, messageId })
}

function unsubackPacket (messageId) {
  return parsedPacket('unsuback', 2, { messageId })
}

function disconnectPacket () {
  return parsedPacket('disconnect', 0)
}

/**
 * The MQTT 5 parts of a record after its fixed fields, set on `packet` only
 * where the packet has them (an MQTT 3 packet keeps its shape): a reason code
 * other than 0, and a property list.
 */
function readReasonAndProperties (r, packet) {
  const reasonCode = r.u8()
  if (reasonCode !== 0) packet.reasonCode = reasonCode
  setProperties(packet, readProperties(r))
  return packet
}

function setProperties (packet, properties) {
  if (properties !== undefined) packet.properties = properties
}

/** A publish record: flags, id, topic, payload, properties when flagged (see `put_publish` in event_batch.rs). */
function readPublishFields (r) {
  const flags = r.u8()
  const messageId = r.u16()
  const topic = r.topic()
  const payload = r.bytes()
  const properties = (flags & FLAG_PROPERTIES) !== 0 ? readProperties(r) : undefined
  return { qos: flags & QOS_MASK, retain: (flags & RETAIN) !== 0, dup: (flags & DUP) !== 0, messageId, topic, payload, properties }
}

/** An inbound PUBLISH as the `message` event and `packetreceive` show it (the hot path). */
function readPublish (r) {
  const flags = r.u8()
  const messageId = r.u16()
  const topic = r.topic()
  const topicBytes = r.topicBytes
  const payload = (flags & PAYLOAD_ATTACHED) === 0 ? r.bytes() : r.attachedPayload()
  const qos = flags & QOS_MASK
  const packet = {
    cmd: 'publish',
    retain: (flags & RETAIN) !== 0,
    qos,
    dup: (flags & DUP) !== 0,
    length: 2 + topicBytes + (qos > 0 ? 2 : 0) + payload.length,
    topic,
    payload
  }
  if (qos > 0) packet.messageId = messageId
  // MQTT 5 only: a MQTT 3 message never has the flag, and its packet keeps its shape.
  if ((flags & FLAG_PROPERTIES) !== 0) packet.properties = readProperties(r)
  return packet
}

function readOptionalBytes (r) {
  return r.u8() === 1 ? r.bytes() : undefined
}

function readConnect (r) {
  const protocolVersion = r.u8()
  const packet = {
    cmd: 'connect',
    protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion,
    clean: r.u8() === 1,
    keepalive: r.u16(),
    clientId: r.string()
  }
  if (r.u8() === 1) {
    packet.will = { topic: r.string(), payload: r.bytes(), qos: r.u8(), retain: r.u8() === 1 }
    setProperties(packet.will, readProperties(r))
  }
  const username = readOptionalBytes(r)
  const password = readOptionalBytes(r)
  if (username !== undefined) packet.username = username.toString()
  if (password !== undefined) packet.password = password
  setProperties(packet, readProperties(r))
  return packet
}

/** MQTT 5 subscription options byte, as on the wire: bit 2 No Local, bit 3 Retain As Published, bits 4-5 Retain Handling. */
const NO_LOCAL = 0x04
const RETAIN_AS_PUBLISHED = 0x08
const RETAIN_HANDLING_SHIFT = 4

function readSubscriptions (r) {
  const count = r.u32()
  const subscriptions = []
  for (let i = 0; i < count; i++) {
    const subscription = { topic: r.string(), qos: r.u8() }
    const options = r.u8()
    // MQTT 5's options, when any is set (MQTT 3 subscriptions never have them).
    if (options !== 0) {
      subscription.nl = (options & NO_LOCAL) !== 0
      subscription.rap = (options & RETAIN_AS_PUBLISHED) !== 0
      subscription.rh = options >> RETAIN_HANDLING_SHIFT
    }
    subscriptions.push(subscription)
  }
  return subscriptions
}

function readUnsubscriptions (r) {
  const count = r.u32()
  const topics = []
  for (let i = 0; i < count; i++) topics.push(r.string())
  return topics
}

/** The CONNECT packet object MQTT.js writes, from the client options. */
function connectPacketOf (options) {
  const packet = {
    cmd: 'connect',
    protocolId: options.protocolId,
    protocolVersion: options.protocolVersion,
    clean: options.clean,
    clientId: options.clientId,
    keepalive: options.keepalive,
    username: options.username,
    password: options.password,
    properties: options.properties ? { ...options.properties } : undefined
  }
  if (options.will) packet.will = { ...options.will }
  return packet
}

/** A `packetsend` record, shaped like the object MQTT.js writes. */
function readSentPacket (r) {
  const cmd = PACKET_TYPES[r.u8()]
  switch (cmd) {
    case 'connect':
      return readConnect(r)
    case 'publish': {
      const { qos, retain, dup, messageId, topic, payload, properties } = readPublishFields(r)
      const packet = { cmd, topic, payload, qos, retain, messageId, dup }
      setProperties(packet, properties)
      return packet
    }
    case 'puback': {
      // MQTT.js writes `reasonCode: 0` on every PUBACK it sends.
      const packet = { cmd, messageId: r.u16(), reasonCode: 0 }
      return readReasonAndProperties(r, packet)
    }
    case 'pubrel':
      return readReasonAndProperties(r, { cmd, qos: 2, messageId: r.u16() })
    case 'pubrec':
    case 'pubcomp':
      return readReasonAndProperties(r, { cmd, messageId: r.u16() })
    case 'subscribe': {
      const messageId = r.u16()
      const packet = { cmd, subscriptions: readSubscriptions(r), messageId }
      setProperties(packet, readProperties(r))
      return packet
    }
    case 'unsubscribe': {
      const messageId = r.u16()
      const packet = { cmd, messageId, unsubscriptions: readUnsubscriptions(r) }
      setProperties(packet, readProperties(r))
      return packet
    }
    case 'disconnect':
    case 'auth':
      return readReasonAndProperties(r, { cmd })
    default:
      return { cmd }
  }
}

/** A `packetreceive` record, shaped like mqtt-packet's parser output. */
function readReceivedPacket (r) {
  const cmd = PACKET_TYPES[r.u8()]
  switch (cmd) {
    case 'connack': {
      const packet = connackPacket(r.u8() === 1, r.u8())
      setProperties(packet, readProperties(r))
      return packet
    }
    case 'publish':
      return readPublish(r)
    case 'puback':
    case 'pubrec':
    case 'pubcomp':
      return readReasonAndProperties(r, parsedPacket(cmd, 2, { messageId: r.u16() }))
    case 'pubrel':
      return readReasonAndProperties(r, parsedPacket(cmd, 2, { qos: 1, messageId: r.u16() }))
    case 'unsuback': {
      const packet = unsubackPacket(r.u16())
      // MQTT 5's per-filter codes (mqtt-packet calls them `granted`); none in MQTT 3.
      const codes = r.bytes()
      if (codes.length > 0) packet.granted = [...codes]
      setProperties(packet, readProperties(r))
      return packet
    }
    case 'suback': {
      const messageId = r.u16()
      const packet = subackPacket(messageId, [...r.bytes()])
      setProperties(packet, readProperties(r))
      return packet
    }
    case 'disconnect':
    case 'auth':
      return readReasonAndProperties(r, parsedPacket(cmd, 0))
    // PINGRESP; or a client's packet from a broken broker, which the record
    // names without its fields.
    default:
      return parsedPacket(cmd, 0)
  }
}

module.exports = {
  connackPacket,
  connectPacketOf,
  subackPacket,
  unsubackPacket,
  disconnectPacket,
  readPublish,
  readSentPacket,
  readReceivedPacket
}
