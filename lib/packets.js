'use strict'

// Packet objects with MQTT.js's shapes, built from event-batch records.
// Packets the client received look like mqtt-packet's parser output (every
// fixed-header field present); packets it sent look like the objects MQTT.js
// writes (only the fields it sets). `packetsend`/`packetreceive` listeners,
// callbacks and `message` handlers therefore see the same fields as with MQTT.js.

const { FLAG, PACKET_TYPES } = require('./event-batch')
const { batchFormat } = require('./native-loader')

const { readProperties } = require('./properties')

const { QOS_MASK, RETAIN, DUP, PAYLOAD_ATTACHED, PROPERTIES } = FLAG

/** A parsed packet: mqtt-packet's fixed-header fields, then the variable ones. */
function parsedPacket (cmd, length, fields) {
  return { cmd, retain: false, qos: 0, dup: false, length, topic: null, payload: null, ...fields }
}

/**
 * A CONNACK as mqtt-packet parses it: `returnCode` for MQTT 3.1/3.1.1,
 * `reasonCode` and `properties` (only when the broker sent some) for MQTT 5.
 * `properties` is undefined for 3.1/3.1.1.
 */
function connackPacket (sessionPresent, code, v5 = false, properties = undefined) {
  // parsedPacket()'s fields spelled out: every client keeps its CONNACK
  // (`client.connackPacket`), and a literal holds all fields in the object
  // itself, where spread ones would need a separate property array.
  if (!v5) {
    const packet = { cmd: 'connack', retain: false, qos: 0, dup: false, length: 2, topic: null, payload: null, sessionPresent, returnCode: code }
    // (Only a record read without knowing the version has them here: __test__/batch-format.test.js.)
    if (properties !== undefined) packet.properties = properties
    return packet
  }
  const packet = { cmd: 'connack', retain: false, qos: 0, dup: false, length: 2 + propertiesLength(properties), topic: null, payload: null, sessionPresent, reasonCode: code }
  if (properties !== undefined) packet.properties = properties
  return packet
}

/** A SUBACK; with MQTT 5 (`v5`) its `properties` when it had some. */
function subackPacket (messageId, granted, v5 = false, properties = undefined) {
  // mqtt-packet's field order: granted, messageId, properties.
  const packet = parsedPacket('suback', 2 + (v5 ? propertiesLength(properties) : 0) + granted.length, { granted, messageId })
  if (properties !== undefined) packet.properties = properties
  return packet
}

/** An UNSUBACK; with MQTT 5 its reason codes in `granted` (as mqtt-packet names them) and its `properties`. */
function unsubackPacket (messageId, v5 = false, granted = undefined, properties = undefined) {
  if (!v5) {
    const packet = parsedPacket('unsuback', 2, { messageId })
    // (Only a record read without knowing the version has these: __test__/batch-format.test.js.)
    if (granted !== undefined && granted.length > 0) packet.granted = granted
    if (properties !== undefined) packet.properties = properties
    return packet
  }
  const packet = parsedPacket('unsuback', 2 + propertiesLength(properties) + granted.length, { messageId })
  if (properties !== undefined) packet.properties = properties
  packet.granted = granted
  return packet
}

/** A DISCONNECT from the broker: MQTT 5 gives its reason code and properties. */
function disconnectPacket (v5 = false, reasonCode = 0, properties = undefined) {
  if (!v5) {
    const packet = parsedPacket('disconnect', 0)
    // (Only a record read without knowing the version has these: __test__/batch-format.test.js.)
    if (reasonCode !== 0) packet.reasonCode = reasonCode
    if (properties !== undefined) packet.properties = properties
    return packet
  }
  const length = reasonCode === 0 && properties === undefined ? 0 : 1 + propertiesLength(properties)
  const packet = parsedPacket('disconnect', length, { reasonCode })
  if (properties !== undefined) packet.properties = properties
  return packet
}

/** An AUTH from the broker (MQTT 5 only), the packet `handleAuth` gets. */
function authPacket (reasonCode, properties) {
  const packet = parsedPacket('auth', 1 + propertiesLength(properties), { reasonCode })
  if (properties !== undefined) packet.properties = properties
  return packet
}

/**
 * A PUBACK, PUBREC, PUBREL or PUBCOMP from an MQTT 5 broker, as mqtt-packet
 * parses it (the packet a refused publish's callback gets with its error).
 * `length` is what mqtt-packet's own encoder would have written: the reason
 * code and property length are left out when they are 0 and empty.
 */
function ackPacket (cmd, messageId, reasonCode, properties) {
  let length = 2
  if (properties !== undefined) length = 3 + propertiesLength(properties)
  else if (reasonCode !== 0) length = 4
  const packet = parsedPacket(cmd, length, { messageId, reasonCode })
  if (cmd === 'pubrel') packet.qos = 1
  if (properties !== undefined) packet.properties = properties
  return packet
}

/** Wire bytes of each property value type of the batch format (see lib/properties.js). */
const PROPERTY_VALUE_BYTES = {
  bool: () => 1,
  u8: () => 1,
  u16: () => 2,
  u32: () => 4,
  string: (value) => 2 + Buffer.byteLength(value),
  binary: (value) => 2 + value.length
}

/** Bytes of a variable byte integer. */
function varIntBytes (value) {
  if (value < 128) return 1
  if (value < 16384) return 2
  if (value < 2097152) return 3
  return 4
}

let propertyTypes = null

/**
 * Bytes of an MQTT 5 property list on the wire, its length prefix included
 * (1 for none): what mqtt-packet counts in a parsed packet's `length`.
 */
function propertiesLength (properties) {
  if (properties === undefined) return 1
  if (propertyTypes === null) {
    propertyTypes = Object.create(null)
    for (const { name, type } of batchFormat().properties) propertyTypes[name] = type
  }
  let bytes = 0
  for (const name of Object.keys(properties)) {
    const value = properties[name]
    if (name === 'userProperties') {
      for (const key of Object.keys(value)) {
        for (const one of [].concat(value[key])) bytes += 5 + Buffer.byteLength(key) + Buffer.byteLength(String(one))
      }
      continue
    }
    for (const one of [].concat(value)) {
      // The one property the batch carries as u32 but the wire as a variable byte integer.
      if (name === 'subscriptionIdentifier') bytes += 1 + varIntBytes(one)
      else bytes += 1 + PROPERTY_VALUE_BYTES[propertyTypes[name]](one)
    }
  }
  return varIntBytes(bytes) + bytes
}

/**
 * A publish record: flags, id, topic, payload, and the property list when
 * flagged (MQTT 5; see `put_publish` in event_batch.rs).
 */
function readPublishFields (r) {
  const flags = r.u8()
  const messageId = r.u16()
  const topic = r.topic()
  const payload = r.bytes()
  const properties = (flags & PROPERTIES) === 0 ? undefined : readProperties(r)
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
  const properties = (flags & PROPERTIES) === 0 ? undefined : readProperties(r)
  let length = 2 + topicBytes + (qos > 0 ? 2 : 0) + payload.length
  // MQTT 5: the property list, its length byte(s) included (1 for none).
  if (r.v5) length += propertiesLength(properties)
  const packet = {
    cmd: 'publish',
    retain: (flags & RETAIN) !== 0,
    qos,
    dup: (flags & DUP) !== 0,
    length,
    topic,
    payload
  }
  if (qos > 0) packet.messageId = messageId
  if (properties !== undefined) packet.properties = properties
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
    const willProperties = readProperties(r)
    if (willProperties !== undefined) packet.will.properties = willProperties
  }
  const username = readOptionalBytes(r)
  const password = readOptionalBytes(r)
  if (username !== undefined) packet.username = username.toString()
  if (password !== undefined) packet.password = password
  const properties = readProperties(r)
  if (properties !== undefined) packet.properties = properties
  return packet
}

/** MQTT 5 subscription options byte, as on the wire: bit 2 No Local, bit 3 Retain As Published, bits 4-5 Retain Handling. */
const NO_LOCAL = 0x04
const RETAIN_AS_PUBLISHED = 0x08
const RETAIN_HANDLING_SHIFT = 4

/**
 * A SUBSCRIBE's filters, as MQTT.js writes them: `{ topic, qos }`, with
 * MQTT 5 `nl`, `rap`, `rh` (from the options byte) and the packet's
 * `properties` (MQTT.js puts the call's on each subscription object).
 */
function readSubscriptions (r) {
  const count = r.u32()
  const subscriptions = []
  for (let i = 0; i < count; i++) {
    const topic = r.string()
    const qos = r.u8()
    const options = r.u8()
    // (MQTT 3 subscriptions have no options: a record read without knowing the version shows any set.)
    if (r.v5 || options !== 0) subscriptions.push({ topic, qos, nl: (options & NO_LOCAL) !== 0, rap: (options & RETAIN_AS_PUBLISHED) !== 0, rh: options >> RETAIN_HANDLING_SHIFT })
    else subscriptions.push({ topic, qos })
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
      if (properties !== undefined) packet.properties = properties
      return packet
    }
    case 'puback':
    case 'pubrel':
    case 'pubrec':
    case 'pubcomp':
      return sentAck(cmd, r)
    case 'subscribe': {
      const messageId = r.u16()
      const subscriptions = readSubscriptions(r)
      const packet = { cmd, subscriptions, messageId }
      const properties = readProperties(r)
      if (properties !== undefined) {
        packet.properties = properties
        // MQTT.js's subscription objects carry the call's properties too.
        if (r.v5) for (const subscription of subscriptions) subscription.properties = properties
      }
      return packet
    }
    case 'unsubscribe': {
      const messageId = r.u16()
      const packet = { cmd, messageId, unsubscriptions: readUnsubscriptions(r) }
      const properties = readProperties(r)
      if (properties !== undefined) packet.properties = properties
      return packet
    }
    case 'disconnect':
    case 'auth': {
      // MQTT.js writes `{ cmd: 'disconnect', ...endOptions }` and the app's AUTH object.
      const reasonCode = r.u8()
      const properties = readProperties(r)
      const packet = { cmd }
      if (reasonCode !== 0 || cmd === 'auth') packet.reasonCode = reasonCode
      if (properties !== undefined) packet.properties = properties
      return packet
    }
    default:
      return { cmd }
  }
}

/**
 * A PUBACK, PUBREC, PUBREL or PUBCOMP we sent, as MQTT.js writes it: PUBACK
 * always with its reason code, PUBREC with one when not 0 (customHandleAcks),
 * PUBREL with QoS 2.
 */
function sentAck (cmd, r) {
  const messageId = r.u16()
  const reasonCode = r.u8()
  const properties = readProperties(r)
  let packet
  if (cmd === 'puback') packet = { cmd, messageId, reasonCode }
  else if (cmd === 'pubrel') packet = { cmd, qos: 2, messageId }
  else packet = { cmd, messageId }
  if (cmd === 'pubrec' && reasonCode !== 0) packet.reasonCode = reasonCode
  if (properties !== undefined) packet.properties = properties
  return packet
}

/** A `packetreceive` record, shaped like mqtt-packet's parser output. */
function readReceivedPacket (r) {
  const cmd = PACKET_TYPES[r.u8()]
  switch (cmd) {
    case 'connack': {
      const sessionPresent = r.u8() === 1
      const code = r.u8()
      return connackPacket(sessionPresent, code, r.v5, readProperties(r))
    }
    case 'publish':
      return readPublish(r)
    case 'puback':
    case 'pubrec':
    case 'pubcomp':
    case 'pubrel': {
      const messageId = r.u16()
      const reasonCode = r.u8()
      const properties = readProperties(r)
      if (r.v5) return ackPacket(cmd, messageId, reasonCode, properties)
      const packet = cmd === 'pubrel' ? parsedPacket(cmd, 2, { qos: 1, messageId }) : parsedPacket(cmd, 2, { messageId })
      // (Only a record read without knowing the version has these: __test__/batch-format.test.js.)
      if (reasonCode !== 0) packet.reasonCode = reasonCode
      if (properties !== undefined) packet.properties = properties
      return packet
    }
    case 'unsuback': {
      const messageId = r.u16()
      const granted = [...r.bytes()]
      return unsubackPacket(messageId, r.v5, granted, readProperties(r))
    }
    case 'suback': {
      const messageId = r.u16()
      const granted = [...r.bytes()]
      return subackPacket(messageId, granted, r.v5, readProperties(r))
    }
    case 'disconnect': {
      const reasonCode = r.u8()
      return disconnectPacket(r.v5, reasonCode, readProperties(r))
    }
    case 'auth': {
      const reasonCode = r.u8()
      return authPacket(reasonCode, readProperties(r))
    }
    // PINGRESP; or a client's packet from a broken broker, which the record
    // names without its fields.
    default:
      return parsedPacket(cmd, 0)
  }
}

module.exports = {
  ackPacket,
  authPacket,
  propertiesLength,
  connackPacket,
  connectPacketOf,
  subackPacket,
  unsubackPacket,
  disconnectPacket,
  readPublish,
  readSentPacket,
  readReceivedPacket
}
