'use strict'

// What the client does with each engine event: read the event-batch record
// (event-records.js), update the client's state, run callbacks and emit
// events in MQTT.js's order. client.js owns the public API.
//
// What this module uses of an MqttClient, and nothing else:
// - EventEmitter: `emit`.
// - MQTT.js's public state flags, set as MQTT.js sets them: `connected`,
//   `reconnecting`, `connackPacket`; read: `disconnecting`, `disconnected`.
// - `_lastMessageId`, what getLastMessageId() answers: the id of the latest
//   PACKET_ID_ALLOCATED record (the engine allocates ids).
// - Its collaborators: `_mirror` (store-mirror.js), `_pending` (pending.js).
// - Methods (client.js, "shared by the commands and the engine events"):
//   `_complete`, `_handleMessage`, `_forgetSubscription`,
//   `_takeAnnouncedReconnect`, `_startAttempt`, `_afterSubscribeCallbacksRan`,
//   `_outgoingDrained`, `_engineTerminated`.
// - Event-order state both sides set: `_hideConnectPacket` (connect() emitted
//   the first CONNECT), `_connectDue` / `_connectGate` (`connect` waits for
//   packetsend records / replayed publishes), `_messagesStopped` (read).

const { KIND } = require('./event-batch')
const { recordReader } = require('./event-records')
const { ErrorWithReasonCode, ErrorWithSubackPacket, ReasonCodes } = require('./errors')
const { subackPacket, unsubackPacket, disconnectPacket, ackPacket, authPacket } = require('./packets')
const auth = require('./auth')

function onConnack (client, { packet, sessionResumed }) {
  client._hideConnectPacket = false
  client.connackPacket = packet
  client.reconnecting = false
  // MQTT 5: what the broker told us (undefined for none, as in MQTT.js), and
  // the Topic Alias Maximum an explicit alias is checked against.
  client._serverProperties = packet.properties
  client._topicAliasMaximum = packet.properties !== undefined && packet.properties.topicAliasMaximum !== undefined
    ? packet.properties.topicAliasMaximum
    : 0
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
  client._mirror.onPacketSent(packet)
  client.emit('packetsend', packet)
}

function onPacketReceived (client, packet) {
  client._mirror.onPacketReceived(packet)
  client.emit('packetreceive', packet)
}

/**
 * A publish completed. With MQTT 5 a refused one (`error` with the reason
 * code of the broker's PUBACK/PUBREC) calls back with that ack packet, as
 * MQTT.js does; `reasonCode`/`properties` are the final ack's.
 */
function onPublishDone (client, { token, messageId, error, reasonCode, properties }) {
  const entry = client._pending.get(token)
  const qos = entry ? entry.qos : 0
  if (qos > 0 && error !== null && refusedByAck(reasonCode)) {
    client._mirror.onPublishDone(messageId)
    client._complete(token, error, ackPacket(qos === 1 ? 'puback' : 'pubrec', messageId, reasonCode, properties))
    return
  }
  if (qos === 2 && error === null && refusedByAck(reasonCode)) {
    // A PUBCOMP with a failure code (0x92, Packet Identifier not found): MQTT.js's publish error.
    client._mirror.onPublishDone(messageId)
    client._complete(token, new ErrorWithReasonCode(`Publish error: ${ReasonCodes[reasonCode]}`, reasonCode),
      ackPacket('pubcomp', messageId, reasonCode, properties))
    return
  }
  const putError = qos > 0 ? client._mirror.takePutError(messageId) : null
  if (qos > 0 && (error === null || error.message === 'Message removed')) client._mirror.onPublishDone(messageId)
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
    // MQTT.js reports the publish it stored (MQTT 5: with its properties, less the topic alias).
    const packet = { cmd: 'publish', topic: entry.topic, payload: entry.message, qos, retain: entry.retain, messageId, dup: false }
    if (client.options.protocolVersion === 5) packet.properties = storedProperties(entry.properties)
    client._complete(token, null, packet)
  } else {
    client._complete(token)
  }
}

/**
 * A subscribe call is settled: every SUBSCRIBE the engine split it into is
 * answered, or one failed first (see engine/src/session/subscribe_calls.rs).
 */
function onSubscribeDone (client, { token, messageId, error, subackCodes, properties, qos }) {
  const entry = client._pending.take(token)
  if (entry === undefined) return
  // What the callback reports per filter: granted by an accepting SUBACK, else as asked.
  qos.forEach((value, i) => { entry.subs[i].qos = value })
  if (error !== null) {
    entry.callback(new ErrorWithSubackPacket(error.message, undefined))
    return
  }
  const packet = subackPacket(messageId, subackCodes, client.options.protocolVersion === 5, properties)
  const failure = subackCodes.find((code) => (code & 0x80) !== 0)
  if (failure !== undefined) {
    entry.callback(new ErrorWithSubackPacket(`Subscribe error: ${ReasonCodes[failure]}`, packet), packet)
    return
  }
  entry.callback(null, packet)
}

/** As MQTT.js: a refused topic is no longer subscribed (nor resubscribed). */
function onSubscriptionsRefused (client, filters) {
  for (const filter of filters) client._forgetSubscription(filter)
}

/**
 * An unsubscribe completed. MQTT 5: the UNSUBACK's reason codes are in
 * `packet.granted` (mqtt-packet's name), and unlike MQTT.js, which always
 * reports success, a failure code (0x80 and up) fails the callback with an
 * ErrorWithReasonCode (`code`: the first failure) and the packet.
 */
function onUnsubscribeDone (client, { token, messageId, error, reasonCodes, properties }) {
  if (error !== null) {
    client._complete(token, error)
    return
  }
  if (client.options.protocolVersion !== 5) {
    client._complete(token, null, unsubackPacket(messageId))
    return
  }
  const packet = unsubackPacket(messageId, true, reasonCodes, properties)
  const failure = reasonCodes.find((code) => code >= 0x80)
  if (failure === undefined) client._complete(token, null, packet)
  else client._complete(token, new ErrorWithReasonCode(`Unsubscribe error: ${ReasonCodes[failure]}`, failure), packet)
}

/** The broker's DISCONNECT (MQTT 5: with its reason code and properties), before `close`. */
function onServerDisconnect (client, { reasonCode, properties }) {
  const packet = disconnectPacket(client.options.protocolVersion === 5, reasonCode, properties)
  auth.onServerDisconnect(client, packet)
  client.emit('disconnect', packet)
}

/** A failure reason code from the broker's ack (MQTT 5; undefined: no ack, or MQTT 3.1.1). */
function refusedByAck (reasonCode) {
  return reasonCode !== undefined && reasonCode >= 0x80
}

/**
 * The properties of the publish MQTT.js stores and hands back on success: a
 * copy without the topic alias (undefined when the publish had none).
 */
function storedProperties (properties) {
  if (properties === undefined) return undefined
  const { topicAlias, ...stored } = properties
  return stored
}

/** A new connection attempt, to the server the engine picked (MQTT.js rotates `servers`). */
function onReconnect (client, { server }) {
  client._hideConnectPacket = false
  try {
    // reconnect() may have emitted it already, before the old connection closed.
    if (!client._takeAnnouncedReconnect()) client.emit('reconnect')
  } finally {
    client._startAttempt(server)
  }
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
  // A SUBACK in this batch may settle a subscribe whose callback runs a few
  // microtasks from now; in MQTT.js `close` (a socket event) always comes after it.
  client._afterSubscribeCallbacksRan(closed)
}

function closed (client) {
  // As in MQTT.js, a connection lost while replaying never reports `connect`.
  client._connectGate = null
  client.connected = false
  // As MQTT.js: the broker's properties are forgotten with the connection.
  client._serverProperties = undefined
  auth.onClose(client)
  client.emit('close')
}

function onOutgoingEmpty (client) {
  if (client._outgoingDrained()) client.emit('outgoingEmpty')
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
    if (ackConnection !== 0 && client._customAcks()) {
      client._customHandleAck(packet, ackConnection)
      return
    }
    client.emit('message', packet.topic, packet.payload, packet)
    client._handleMessage(packet, ackConnection)
  },
  [KIND.PACKET_SEND]: onPacketSent,
  [KIND.PACKET_RECEIVE]: onPacketReceived,
  [KIND.PUBLISH_DONE]: onPublishDone,
  [KIND.SUBSCRIBE_DONE]: onSubscribeDone,
  [KIND.SUBSCRIPTIONS_REFUSED]: onSubscriptionsRefused,
  [KIND.UNSUBSCRIBE_DONE]: onUnsubscribeDone,
  // getLastMessageId() answers the latest id the engine allocated.
  [KIND.PACKET_ID_ALLOCATED]: (client, messageId) => { client._lastMessageId = messageId },
  [KIND.RECONNECT]: onReconnect,
  [KIND.OFFLINE]: onOffline,
  [KIND.CLOSE]: onClose,
  [KIND.ERROR]: (client, error) => client.emit('error', error),
  [KIND.OUTGOING_EMPTY]: onOutgoingEmpty,
  [KIND.DISCONNECT]: onServerDisconnect,
  [KIND.AUTH]: (client, { reasonCode, properties }) => auth.onAuth(client, authPacket(reasonCode, properties)),
  // The engine has stopped for good: nothing may wait forever.
  [KIND.TERMINATED]: (client) => client._engineTerminated(),
  [KIND.QOS0_WRITTEN]: (client, through) => client._qos0Written(through),
  [KIND.QOS0_DROPPED]: (client, through) => client._qos0Dropped(through)
}

function emitDueConnect (client) {
  const packet = client._connectDue
  client._connectDue = null
  client.emit('connect', packet)
}

/**
 * The records a due `connect` is emitted after: the packets sent right after
 * CONNACK (MQTT.js sends them from its own `connect` listener) and the ids
 * allocated for them.
 */
function precedesDueConnect (kind) {
  return kind === KIND.PACKET_SEND || kind === KIND.PACKET_ID_ALLOCATED
}

/** Reads and applies the next record of `reader`. */
function dispatchRecord (client, reader) {
  if (client._connectDue !== null && !precedesDueConnect(reader.buf[reader.pos])) {
    // The record stays unread: the caller dispatches it next, even if a listener threw.
    emitDueConnect(client)
    return
  }
  const kind = reader.u8()
  HANDLERS[kind](client, recordReader(kind, reader)(reader))
  if (client._connectDue !== null && reader.done) emitDueConnect(client)
}

module.exports = { dispatchRecord }
