'use strict'

// Packet objects with MQTT.js's shapes, built from event-batch records.
// Packets the client received look like mqtt-packet's parser output (every
// fixed-header field present); packets it sent look like the objects MQTT.js
// writes (only the fields it sets). `packetsend`/`packetreceive` listeners,
// callbacks and `message` handlers therefore see the same fields as with MQTT.js.

const { FLAG, PACKET_TYPES } = require('./event-batch')

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

/** A publish record: flags, id, topic, payload (see `put_publish` in event_batch.rs). */
function readPublishFields (r) {
  const flags = r.u8()
  const messageId = r.u16()
  const topic = r.topic()
  const payload = r.bytes()
  return { qos: flags & QOS_MASK, retain: (flags & RETAIN) !== 0, dup: (flags & DUP) !== 0, messageId, topic, payload }
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
  }
  const username = readOptionalBytes(r)
  const password = readOptionalBytes(r)
  if (username !== undefined) packet.username = username.toString()
  if (password !== undefined) packet.password = password
  return packet
}

function readSubscriptions (r) {
  const count = r.u32()
  const subscriptions = []
  for (let i = 0; i < count; i++) subscriptions.push({ topic: r.string(), qos: r.u8() })
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
      const { qos, retain, dup, messageId, topic, payload } = readPublishFields(r)
      return { cmd, topic, payload, qos, retain, messageId, dup }
    }
    case 'puback':
      return { cmd, messageId: r.u16(), reasonCode: 0 }
    case 'pubrel':
      return { cmd, qos: 2, messageId: r.u16() }
    case 'pubrec':
    case 'pubcomp':
      return { cmd, messageId: r.u16() }
    case 'subscribe': {
      const messageId = r.u16()
      return { cmd, subscriptions: readSubscriptions(r), messageId }
    }
    case 'unsubscribe': {
      const messageId = r.u16()
      return { cmd, messageId, unsubscriptions: readUnsubscriptions(r) }
    }
    default:
      return { cmd }
  }
}

/** A `packetreceive` record, shaped like mqtt-packet's parser output. */
function readReceivedPacket (r) {
  const cmd = PACKET_TYPES[r.u8()]
  switch (cmd) {
    case 'connack':
      return connackPacket(r.u8() === 1, r.u8())
    case 'publish':
      return readPublish(r)
    case 'puback':
    case 'pubrec':
    case 'pubcomp':
      return parsedPacket(cmd, 2, { messageId: r.u16() })
    case 'pubrel':
      return parsedPacket(cmd, 2, { qos: 1, messageId: r.u16() })
    case 'unsuback':
      return unsubackPacket(r.u16())
    case 'suback': {
      const messageId = r.u16()
      return subackPacket(messageId, [...r.bytes()])
    }
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
