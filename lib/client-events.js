'use strict'

// What the client does with each engine event: read the event-batch record
// (written by src/binding/event_batch.rs), update the client's state, run
// callbacks and emit events in MQTT.js's order. This module works on the
// client's internals; client.js owns the public API.

const { KIND, ACK_HELD } = require('./event-batch')
const { ErrorWithReasonCode, ErrorWithSubackPacket, ReasonCodes } = require('./errors')
const { applyEndpoint, toBuffer } = require('./options')
const { binary } = require('./native-options')
const {
  connackPacket, disconnectPacket, subackPacket, unsubackPacket,
  readPublish, readSentPacket, readReceivedPacket
} = require('./packets')

const MAX_PACKET_ID = 65535

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

function readGranted (r) {
  const count = r.u32()
  const granted = []
  for (let i = 0; i < count; i++) {
    r.string() // the filter, as sent: the pending entry knows it already
    granted.push(r.u8())
  }
  return granted
}

/** True when id `a` was handed out after `b` (ids count up and wrap 65535 -> 1). */
function isLaterId (a, b) {
  const distance = (a - b + MAX_PACKET_ID) % MAX_PACKET_ID
  return distance > 0 && distance < MAX_PACKET_ID / 2
}

/** getLastMessageId(): the latest id the engine has reported using. */
function noteMessageId (client, messageId) {
  if (messageId && (client._lastMessageId === 0 || isLaterId(messageId, client._lastMessageId))) {
    client._lastMessageId = messageId
  }
}

function onConnack (client, packet) {
  client._hideConnectPacket = false
  client.connackPacket = packet
  client.reconnecting = false
  const resumed = !client.options.clean && (client.options.protocolVersion < 4 || packet.sessionPresent)
  if (!resumed) client._mirror.onSessionLost()
  // While end() is in progress the engine closes this connection: it never
  // counts as connected (MQTT.js emits `connect` here, after `end` was called).
  if (client.disconnecting && !client.disconnected) return
  client.connected = true
  // MQTT.js sends what waited for the connection (queued QoS 0, unacknowledged
  // QoS 1/2) before it emits `connect`, and emits it once those have completed.
  const replayed = client._pending.publishTokens()
  // MQTT.js resubscribes (and sends what was queued) from its own first `connect`
  // listener, so their `packetsend` events come before the app's `connect`: the
  // packet-sent records that follow this one in the batch are emitted first.
  if (replayed.size === 0) client._connectDue = packet
  else client._connectGate = { packet, replayed }
}

function onPacketSent (client, packet) {
  if (packet.cmd === 'connect' && client._hideConnectPacket) {
    // Already emitted by connect(), as MQTT.js does (see client.js).
    client._hideConnectPacket = false
    return
  }
  if (packet.cmd === 'publish' || packet.cmd === 'subscribe' || packet.cmd === 'unsubscribe') {
    noteMessageId(client, packet.messageId)
  }
  client._mirror.onPacketSent(packet)
  client.emit('packetsend', packet)
}

function onPacketReceived (client, packet) {
  client._mirror.onPacketReceived(packet)
  client.emit('packetreceive', packet)
}

function onPublishDone (client, token, messageId, error) {
  const entry = client._pending.get(token)
  const qos = entry ? entry.qos : 0
  const putError = qos > 0 ? client._mirror.takePutError(messageId) : null
  if (qos > 0) {
    noteMessageId(client, messageId)
    if (error === null || error.message === 'Message removed') client._mirror.onPublishDone(messageId)
  }
  if (putError !== null) {
    // As MQTT.js: a failed outgoingStore.put is the publish's error.
    client._complete(token, putError)
  } else if (error !== null) {
    // A publish refused for what it is (its size: the error has a code) is an
    // `error` when nobody passed a callback, as an invalid topic is.
    if (entry && !entry.callback && error.code !== undefined) client.emit('error', error)
    client._complete(token, error)
  } else if (qos === 2) {
    // MQTT.js reports the PUBREL it stored in place of the publish.
    client._complete(token, null, { cmd: 'pubrel', qos: 2, messageId })
  } else if (qos === 1) {
    client._complete(token, null, { cmd: 'publish', topic: entry.topic, payload: entry.message, qos, retain: entry.retain, messageId, dup: false })
  } else {
    client._complete(token)
  }
}

function onSubscribeDone (client, token, messageId, error, granted) {
  const entry = client._pending.take(token)
  if (entry === undefined) return
  if (error !== null) {
    entry.callback(new ErrorWithSubackPacket(error.message, undefined))
    return
  }
  noteMessageId(client, messageId)
  const packet = subackPacket(messageId, granted)
  const failure = granted.find((code) => (code & 0x80) !== 0)
  if (failure !== undefined) {
    // As MQTT.js: a refused topic is forgotten, and the granted QoS are not reported.
    const known = client._resubscribeTopics
    granted.forEach((code, i) => {
      if ((code & 0x80) !== 0 && known !== null) delete known[entry.subs[i].topic]
    })
    entry.callback(new ErrorWithSubackPacket(`Subscribe error: ${ReasonCodes[failure]}`, packet), packet)
    return
  }
  granted.forEach((code, i) => { entry.subs[i].qos = code })
  entry.callback(null, packet)
}

function onUnsubscribeDone (client, token, messageId, error) {
  if (error !== null) {
    client._complete(token, error)
    return
  }
  noteMessageId(client, messageId)
  client._complete(token, null, unsubackPacket(messageId))
}

/** A new connection attempt: the next server, as MQTT.js rotates `servers`. */
function onReconnect (client) {
  client._hideConnectPacket = false
  client._reconnectsEmitted = (client._reconnectsEmitted + 1) >>> 0
  client._serverAttempt++
  try {
    if (client._reconnectAnnounced) {
      // reconnect() already emitted it, before the old connection closed.
      client._reconnectAnnounced = false
    } else {
      client.emit('reconnect')
    }
  } finally {
    // MQTT.js writes the next server into the options after `reconnect`, as it opens the stream.
    applyEndpoint(client.options, client._serverAttempt)
    letEngineConnect(client)
  }
}

/**
 * The engine opens the next socket only once `reconnect` has been emitted (MQTT.js's
 * order), and its CONNECT takes the client id and credentials from `client.options`
 * as the listeners left them, as MQTT.js builds each CONNECT from its options.
 */
function letEngineConnect (client) {
  const native = client._native
  if (native === null || client._terminated) return
  const count = client._reconnectsEmitted
  let identity
  try {
    const { clientId, username, password } = client.options
    identity = [toBuffer(clientId, 'clientId'), binary(username, 'username'), binary(password, 'password')]
  } catch (err) {
    // The attempt goes ahead with the fields as they were; the app hears what was wrong.
    native.reconnectEmitted(count)
    throw err
  }
  native.reconnectEmitted(count, ...identity)
}

function onOffline (client) {
  client.connected = false
  // As MQTT.js: `reconnecting` turns true just after `offline` is emitted.
  try {
    client.emit('offline')
  } finally {
    client.reconnecting = true
  }
}

function onClose (client) {
  if (client._subscribeCallbacksDue > 0) {
    // A SUBACK in this batch settles a subscribe whose callback runs a few microtasks
    // from now; in MQTT.js `close` (a socket event) always comes after it. Later
    // records (`close`, `end`, end's callback) wait until it has run.
    client._inbound.pause()
    client._afterSubscribeCallbacks = () => {
      closed(client)
      client._inbound.resume()
    }
    return
  }
  closed(client)
}

function closed (client) {
  // As in MQTT.js, a connection lost while replaying never reports `connect`.
  client._connectGate = null
  client.connected = false
  client.emit('close')
}

function onOutgoingEmpty (client) {
  // MQTT.js emits this only when end() had to wait for in-flight messages.
  if (!client._outgoingAtEnd) return
  client._outgoingAtEnd = false
  // end() now closes the connection: no more messages (see client.end()).
  client._messagesStopped = true
  client.emit('outgoingEmpty')
}

/** The engine has stopped for good: nothing may wait forever. */
function onTerminated (client) {
  client._terminated = true
  client.connected = false
  client._failAllPending()
  if (client.disconnecting) client._finishEnd()
}

const HANDLERS = {
  [KIND.CONNECT]: (client, r) => onConnack(client, connackPacket(r.u8() === 1, r.u8())),
  [KIND.MESSAGE]: (client, r) => {
    const held = (r.buf[r.pos] & ACK_HELD) !== 0
    const packet = readPublish(r)
    // Connections count from 1: 0 means the engine acknowledged on receipt.
    const ackConnection = held ? r.u32() : 0
    // Once end(true), or end() once it closes, was called, nothing more is
    // delivered: queued messages are dropped, as MQTT.js drops what its
    // destroyed socket still held. Not a QoS 1/2 message the engine has
    // already acknowledged: the broker will not send it again, so dropping it
    // would lose it (MQTT.js acknowledges only what it has emitted).
    if (client._messagesStopped && (packet.qos === 0 || held)) return
    client.emit('message', packet.topic, packet.payload, packet)
    client._handleMessage(packet, ackConnection)
  },
  [KIND.PACKET_SEND]: (client, r) => onPacketSent(client, readSentPacket(r)),
  [KIND.PACKET_RECEIVE]: (client, r) => onPacketReceived(client, readReceivedPacket(r)),
  [KIND.PUBLISH_DONE]: (client, r) => {
    const token = r.f64()
    const messageId = r.u16()
    onPublishDone(client, token, messageId, r.optionalError())
  },
  [KIND.SUBSCRIBE_DONE]: (client, r) => {
    const token = r.f64()
    const messageId = r.u16()
    const error = r.optionalError()
    onSubscribeDone(client, token, messageId, error, readGranted(r))
  },
  [KIND.UNSUBSCRIBE_DONE]: (client, r) => {
    const token = r.f64()
    const messageId = r.u16()
    onUnsubscribeDone(client, token, messageId, r.optionalError())
  },
  [KIND.RECONNECT]: onReconnect,
  [KIND.OFFLINE]: onOffline,
  [KIND.CLOSE]: onClose,
  [KIND.ERROR]: (client, r) => client.emit('error', readError(r)),
  [KIND.OUTGOING_EMPTY]: onOutgoingEmpty,
  [KIND.DISCONNECT]: (client) => client.emit('disconnect', disconnectPacket()),
  [KIND.TERMINATED]: onTerminated,
  [KIND.QOS0_WRITTEN]: (client, r) => client._qos0Written(r.f64()),
  [KIND.QOS0_DROPPED]: (client, r) => client._qos0Dropped(r.f64())
}

function emitDueConnect (client) {
  const packet = client._connectDue
  client._connectDue = null
  client.emit('connect', packet)
}

/** Reads and applies the next record of `reader`. */
function dispatchRecord (client, reader) {
  if (client._connectDue !== null && reader.buf[reader.pos] !== KIND.PACKET_SEND) {
    // The record stays unread: the caller dispatches it next, even if a listener threw.
    emitDueConnect(client)
    return
  }
  const kind = reader.u8()
  const handler = HANDLERS[kind]
  if (handler === undefined) {
    reader.failed = true
    throw new Error(`mqtt-napi: unknown event kind ${kind} (engine and shim out of sync)`)
  }
  handler(client, reader)
  if (client._connectDue !== null && reader.done) emitDueConnect(client)
}

module.exports = { dispatchRecord }
