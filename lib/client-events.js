'use strict'

// What the client does with each engine event: read the event-batch record
// (written by src/binding/event_batch.rs), update the client's state, run
// callbacks and emit events in MQTT.js's order. This module works on the
// client's internals; client.js owns the public API.

const { KIND } = require('./event-batch')
const { recordReader } = require('./event-records')
const { ErrorWithSubackPacket, ReasonCodes } = require('./errors')
const { applyEndpoint, toBuffer } = require('./options')
const { binary } = require('./native-options')
const { subackPacket, unsubackPacket, disconnectPacket } = require('./packets')

const MAX_PACKET_ID = 65535

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

function onConnack (client, { packet, sessionResumed }) {
  client._hideConnectPacket = false
  client.connackPacket = packet
  client.reconnecting = false
  if (!sessionResumed) client._mirror.onSessionLost()
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

function onPublishDone (client, { token, messageId, error }) {
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

function onSubscribeDone (client, { token, messageId, error, granted }) {
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

function onUnsubscribeDone (client, { token, messageId, error }) {
  if (error !== null) {
    client._complete(token, error)
    return
  }
  noteMessageId(client, messageId)
  client._complete(token, null, unsubackPacket(messageId))
}

/** A new connection attempt, to the server the engine picked (MQTT.js rotates `servers`). */
function onReconnect (client, { server }) {
  client._hideConnectPacket = false
  client._reconnectsEmitted = (client._reconnectsEmitted + 1) >>> 0
  try {
    if (client._reconnectAnnounced) {
      // reconnect() already emitted it, before the old connection closed.
      client._reconnectAnnounced = false
    } else {
      client.emit('reconnect')
    }
  } finally {
    // MQTT.js writes the next server into the options after `reconnect`, as it opens the stream.
    applyEndpoint(client.options, server)
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

/** What each record kind does, given what its reader (event-records.js) returned. */
const HANDLERS = {
  [KIND.CONNECT]: onConnack,
  [KIND.MESSAGE]: (client, { packet, ackConnection }) => {
    // Once end(true), or end() once it closes, was called, nothing more is
    // delivered: queued messages are dropped, as MQTT.js drops what its
    // destroyed socket still held. Not a QoS 1/2 message the engine has
    // already acknowledged: the broker will not send it again, so dropping it
    // would lose it (MQTT.js acknowledges only what it has emitted).
    if (client._messagesStopped && (packet.qos === 0 || ackConnection !== 0)) return
    client.emit('message', packet.topic, packet.payload, packet)
    client._handleMessage(packet, ackConnection)
  },
  [KIND.PACKET_SEND]: onPacketSent,
  [KIND.PACKET_RECEIVE]: onPacketReceived,
  [KIND.PUBLISH_DONE]: onPublishDone,
  [KIND.SUBSCRIBE_DONE]: onSubscribeDone,
  [KIND.UNSUBSCRIBE_DONE]: onUnsubscribeDone,
  [KIND.RECONNECT]: onReconnect,
  [KIND.OFFLINE]: onOffline,
  [KIND.CLOSE]: onClose,
  [KIND.ERROR]: (client, error) => client.emit('error', error),
  [KIND.OUTGOING_EMPTY]: onOutgoingEmpty,
  [KIND.DISCONNECT]: (client) => client.emit('disconnect', disconnectPacket()),
  [KIND.TERMINATED]: onTerminated
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
  HANDLERS[kind](client, recordReader(kind, reader)(reader))
  if (client._connectDue !== null && reader.done) emitDueConnect(client)
}

module.exports = { dispatchRecord }
