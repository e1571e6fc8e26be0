'use strict'

// Packet objects with the field names MQTT.js (mqtt-packet) uses, built from
// event-batch records.

const TYPE_NAMES = [null, 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect']

function fixedHeader (cmd, length, extra) {
  return { cmd, retain: false, qos: 0, dup: false, length, topic: null, payload: null, ...extra }
}

function connackPacket (sessionPresent, returnCode) {
  return fixedHeader('connack', 2, { sessionPresent, returnCode })
}

function publishLength (topic, payload, qos) {
  return 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + payload.length
}

/** A publish record: flags, id, topic, payload (see `put_publish` in event_batch.rs). */
function readPublish (r) {
  const flags = r.u8()
  const messageId = r.u16()
  const topic = r.string()
  const payload = r.bytes()
  const qos = flags & 3
  const packet = { cmd: 'publish', retain: (flags & 4) !== 0, qos, dup: (flags & 8) !== 0, length: publishLength(topic, payload, qos), topic, payload }
  if (qos > 0) packet.messageId = messageId
  return packet
}

function readOptionalBytes (r) {
  return r.u8() === 1 ? r.bytes() : undefined
}

/** A `packetsend`/`packetreceive` record: the wire type, then its fields. */
function readPacket (r) {
  const cmd = TYPE_NAMES[r.u8()]
  switch (cmd) {
    case 'connect': {
      const protocolVersion = r.u8()
      const packet = {
        cmd,
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
    case 'connack':
      return connackPacket(r.u8() === 1, r.u8())
    case 'publish':
      return readPublish(r)
    case 'puback':
    case 'pubrec':
    case 'pubcomp':
    case 'unsuback':
      return fixedHeader(cmd, 2, { messageId: r.u16() })
    case 'pubrel':
      return { ...fixedHeader(cmd, 2, { messageId: r.u16() }), qos: 1 }
    case 'subscribe': {
      const messageId = r.u16()
      const count = r.u32()
      const subscriptions = []
      for (let i = 0; i < count; i++) subscriptions.push({ topic: r.string(), qos: r.u8() })
      return { cmd, subscriptions, messageId }
    }
    case 'suback': {
      const messageId = r.u16()
      const granted = [...r.bytes()]
      return fixedHeader(cmd, 2 + granted.length, { granted, messageId })
    }
    case 'unsubscribe': {
      const messageId = r.u16()
      const count = r.u32()
      const unsubscriptions = []
      for (let i = 0; i < count; i++) unsubscriptions.push(r.string())
      return { cmd, messageId, unsubscriptions }
    }
    default:
      return fixedHeader(cmd, 0)
  }
}

module.exports = { connackPacket, fixedHeader, readPublish, readPacket }
