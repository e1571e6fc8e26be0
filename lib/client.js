'use strict'

// The MqttClient shim: MQTT.js's API, state flags and event order over the
// native engine. No protocol logic and no timers live here; this file turns
// calls into native commands and engine events into EventEmitter events and
// callbacks (records are decoded in client-events.js).

const { EventEmitter } = require('events')
const stream = require('stream')
const tls = require('tls')
const { startNativeClient } = require('./event-bridge')
const { InboundQueue } = require('./inbound-queue')
const { PendingCallbacks } = require('./pending')
const { StoreMirror } = require('./store-mirror')
const { PublishBatch } = require('./publish-batch')
const { ErrorWithSubackPacket } = require('./errors')
const { resolveConnectOptions, applyEndpoint, parseOptionsArg, defaultClientId, toBuffer, isWebSocket, webSocketUrl, hasCustomAckHandler } = require('./options/client-options')
const { nativeOptions, binary } = require('./options/native-config')
const { refuse } = require('./options/unsupported')
const { validateTopics, topicNameError, describeValue } = require('./validations')
const { readTopicObject, subscribeDefaults, subscriptionsToSend, nativeFilter } = require('./subscriptions')
const { connectPacketOf } = require('./packets')
const { reauthenticate } = require('./auth')
const { version } = require('../package.json')

const PACKET_EVENTS = new Set(['packetsend', 'packetreceive'])
/** The reason codes customHandleAcks may give our PUBACK/PUBREC (MQTT.js's list). */
const VALID_ACK_REASON_CODES = new Set([0, 16, 128, 131, 135, 144, 145, 151, 153])
/** Options objects already resolved by `connect()` (the constructor resolves any other). */
const resolvedOptions = new WeakSet()
// MAX_PAYLOAD_ANY_TOPIC: larger QoS 0 payloads may not fit in a packet, so their
// callback waits for the engine's size check. PAYLOAD_BY_REFERENCE_BYTES: payloads
// from this size go to the engine on their own, sent from the caller's Buffer without a copy.
const { MAX_PAYLOAD_ANY_TOPIC, PAYLOAD_BY_REFERENCE_BYTES } = require('./native-loader')
/** A socket's default `writableHighWaterMark` (what MQTT.js's `write()` returns false above). */
const SOCKET_HIGH_WATER_MARK = stream.getDefaultHighWaterMark ? stream.getDefaultHighWaterMark(false) : 16 * 1024

function noop () {}

// The client's own listeners and its nextTick callback are functions shared by
// every client (EventEmitter calls a listener with `this` set to the emitter):
// per-client closures and a bound function cost each client ~200 bytes.

/** `newListener` fires before the listener is added. */
function packetListenerAdded (event) {
  if (PACKET_EVENTS.has(event)) this._updatePacketEvents(1)
}

/** `removeListener` fires after the listener is gone. */
function packetListenerRemoved (event) {
  if (PACKET_EVENTS.has(event)) this._updatePacketEvents(0)
}

function flushPublishesOf (client) {
  client._flushPublishes()
}

/**
 * The payload as bytes. Anything but a string, Buffer or typed array throws
 * the TypeError Node's Buffer raises (the one MQTT.js users see).
 */
function payloadBytes (message) {
  if (message === undefined || message === null) return Buffer.alloc(0)
  if (typeof message === 'string') return Buffer.from(message)
  if (Buffer.isBuffer(message)) return message
  if (ArrayBuffer.isView(message)) return Buffer.from(message.buffer, message.byteOffset, message.byteLength)
  Buffer.byteLength(message) // throws ERR_INVALID_ARG_TYPE for other values
  return Buffer.from(message) // an ArrayBuffer
}

/** A publish's MQTT 5 `properties` option: the object (the addon checks it), or undefined for none. */
function publishProperties (properties) {
  return properties === undefined || properties === null ? undefined : properties
}

/** A Topic Alias value: 1 to 65535 [MQTT-3.3.2-8]. */
function isTopicAlias (value) {
  return Number.isInteger(value) && value >= 1 && value <= 0xffff
}

/**
 * `end()`'s MQTT 5 options: the DISCONNECT's `reasonCode` (default 0) and
 * `properties` (checked by the addon), or null when there are none.
 */
function disconnectOptions (opts) {
  if (opts === null || opts === undefined) return null
  const { reasonCode, properties } = opts
  if (reasonCode === undefined && (properties === undefined || properties === null)) return null
  if (reasonCode !== undefined && !(Number.isInteger(reasonCode) && reasonCode >= 0 && reasonCode <= 255)) {
    throw new TypeError(`Invalid end options reasonCode: expected a DISCONNECT reason code from 0 to 255, got ${describeValue(reasonCode)}`)
  }
  return { reasonCode: reasonCode === undefined ? 0 : reasonCode, properties: properties === null ? undefined : properties }
}

/** As MQTT.js checks before connecting: Authentication Data needs an Authentication Method. */
function missingAuthenticationMethod ({ properties }) {
  return !!properties && !properties.authenticationMethod && !!properties.authenticationData
}

class MqttClient extends EventEmitter {
  static defaultId () {
    return defaultClientId()
  }

  constructor (streamBuilder, options) {
    super()
    if (typeof streamBuilder === 'function') {
      throw refuse('streamBuilder', 'MqttClient cannot use a custom stream; create clients with connect()')
    }
    options = options || streamBuilder || {}
    if (!resolvedOptions.has(options)) options = resolveConnectOptions(options)
    this.options = options
    this.log = typeof options.log === 'function' ? options.log : noop
    this.connected = false
    this.disconnecting = false
    // `disconnected` stays undefined until the first end(), as in MQTT.js.
    this.reconnecting = false
    this.connackPacket = undefined
    this.queueQoSZero = options.queueQoSZero === undefined ? true : options.queueQoSZero
    // Topics subscribed, as MQTT.js keeps them: a subscribe at an equal or lower QoS is skipped.
    // Null until the first one is remembered (a null-prototype object costs ~200 bytes).
    // The engine's session keeps the set it resubscribes from (ResubscribeSet); this map
    // answers subscribe() synchronously, as MQTT.js does (a skipped subscribe calls back
    // inside the call), which the engine, a thread away, cannot.
    this._resubscribeTopics = null
    this._pending = new PendingCallbacks()
    // Created on the first publish: most clients of a many-client process never
    // publish, and the batch's 64 KiB buffer would be most of what one costs.
    this._publishes = null
    this._flushScheduled = false
    this._inbound = new InboundQueue(this)
    this._native = null
    this._terminated = false
    // Set once end(true), or end() once it closes, is called: no more `message` events.
    this._messagesStopped = false
    this._endCallback = null
    this._endError = null
    this._outgoingAtEnd = false
    this._deferredReconnect = null
    this._lastMessageId = 0
    this._reconnectAnnounced = false
    this._packetEventsOn = false
    // Whether the engine reports QoS 0 writes (see _updateQoS0Reports).
    this._qos0ReportsOn = false
    this._hideConnectPacket = false
    // The engine holds inbound QoS 1/2 acks for handleMessage (see _syncAckMode).
    this._manualAcks = false
    // After CONNACK, `connect` waits for the replay of what was queued (see client-events.js).
    this._connectGate = null
    // A CONNACK's `connect`, held while the packetsend records right after it are emitted.
    this._connectDue = null
    // MQTT 5: the last CONNACK's properties (MQTT.js's `serverProperties`), and
    // its Topic Alias Maximum, which an explicit `topicAlias` is checked against
    // inside publish(), as MQTT.js checks it (0: no alias may be sent). The
    // alias maps themselves live in the engine (MQTT.js's `topicAliasSend` and
    // `topicAliasRecv` are private members there, not API).
    this._serverProperties = undefined
    this._topicAliasMaximum = 0
    // The callback of an MQTT 5 re-authentication waiting for the broker's answer (see auth.js).
    this._reauthentication = null
    // `reconnect` records applied, for the engine, which opens the next socket only after (u32).
    this._reconnectsEmitted = 0
    // Calls made while a user store is replayed wait here, so replayed messages go first.
    this._held = null
    // Subscribe callbacks settled by a SUBACK but which run a few microtasks
    // later (see _sendSubscribe); `close` waits for them (see client-events.js).
    this._subscribeCallbacksDue = 0
    this._afterSubscribeCallbacks = null
    this._mirror = new StoreMirror(options)
    this.on('newListener', packetListenerAdded)
    this.on('removeListener', packetListenerRemoved)
    this.log('MqttClient :: version:', version, '(mqtt-napi)')
    if (!options.manualConnect) this.connect()
  }

  get incomingStore () {
    return this._mirror.incomingStore
  }

  get outgoingStore () {
    return this._mirror.outgoingStore
  }

  /** The properties of the last MQTT 5 CONNACK (undefined when it had none, with MQTT 3.1.1, and once closed). */
  get serverProperties () {
    return this._serverProperties
  }

  /**
   * The keepalive in use, in seconds: the broker's `serverKeepAlive` while
   * connected with one (MQTT 5: the client must use it [MQTT-3.2.2-21]), else
   * the configured one.
   */
  get keepalive () {
    const server = this.connected && this._serverProperties !== undefined ? this._serverProperties.serverKeepAlive : undefined
    return server === undefined ? this.options.keepalive : server
  }

  /** Starts (or, after `end()`, restarts) the engine. */
  connect () {
    if (this._native !== null && !this._terminated) return this
    if (this.disconnected && !this.reconnecting) {
      this._mirror = new StoreMirror(this.options)
      this.disconnecting = false
      this.disconnected = false
    }
    this._terminated = false
    this._messagesStopped = false
    this._serverProperties = undefined
    if (missingAuthenticationMethod(this.options)) {
      // As MQTT.js: the client ends, then reports it (nothing is sent: the
      // CONNECT would break [MQTT-3.1.2-28]).
      this.end(() => this.emit('error', new Error('Packet has no Authentication Method')))
      return this
    }
    // The engine starts with the first of `servers`; a `reconnect` record names each next one.
    applyEndpoint(this.options, 0)
    const native = nativeOptions(this.options, () => tls.rootCertificates, this)
    this._manualAcks = native.manualAcks = this._needsManualAcks()
    native.holdPubrec = this._customAcks()
    this._reconnectsEmitted = 0
    this._native = startNativeClient(native, (records, payloads) => this._inbound.push(records, payloads))
    this._packetEventsOn = false
    this._qos0ReportsOn = false
    this._updateQoS0Reports()
    // MQTT.js emits the first CONNECT's packetsend inside connect(), before any
    // I/O: so do we, and the engine's later report of that packet is dropped.
    this._hideConnectPacket = true
    if (this.listenerCount('packetsend') > 0) this.emit('packetsend', connectPacketOf(this.options))
    this._updatePacketEvents()
    if (this._mirror.active) this._replayStore()
    return this
  }

  /** Drops the connection and connects again, as MQTT.js `reconnect()`. */
  reconnect (opts) {
    const start = () => {
      // As MQTT.js: stores come from `opts`, or are fresh ones.
      this.options.incomingStore = opts ? opts.incomingStore : null
      this.options.outgoingStore = opts ? opts.outgoingStore : null
      this._mirror = new StoreMirror(this.options)
      this.disconnecting = false
      this.disconnected = false
      this._deferredReconnect = null
      if (this._native !== null && !this._terminated) {
        // The engine lives on: keep the new stores in step from now on.
        this._updatePacketEvents()
        if (this._mirror.active) this._replayStore()
      }
      this._reconnectNow()
    }
    if (this.disconnecting && !this.disconnected) this._deferredReconnect = start
    else start()
    return this
  }

  /**
   * MQTT 5 enhanced authentication, as MQTT.js: called with each AUTH the
   * broker sends; after "continue authentication" (reasonCode 0x18),
   * `callback(null, { reasonCode: 0x18, properties: { authenticationMethod,
   * authenticationData } })` answers, `callback(err)` ends the connection and
   * emits `err`. Override it (subclass or assignment).
   */
  handleAuth (packet, callback) {
    callback()
  }

  /**
   * MQTT 5 re-authentication (not in MQTT.js): sends AUTH 0x19 with the
   * connect's authentication method and `authPacket.properties` (e.g.
   * `{ authenticationData }`); the broker's challenges go to `handleAuth`.
   * `callback(err, packet)`: the broker's final AUTH (success), or why not
   * (its DISCONNECT's reason code in `err.code`, `Connection closed`, ...).
   */
  reauthenticate (authPacket, callback) {
    if (typeof authPacket === 'function') {
      callback = authPacket
      authPacket = undefined
    }
    reauthenticate(this, authPacket, typeof callback === 'function' ? callback : noop)
    return this
  }

  reauthenticateAsync (authPacket) {
    return new Promise((resolve, reject) => {
      this.reauthenticate(authPacket, (err, packet) => (err ? reject(err) : resolve(packet)))
    })
  }

  /** Withdraws an unacknowledged QoS 1/2 publish; its callback gets "Message removed". */
  removeOutgoingMessage (messageId) {
    if (this._native !== null && !this._terminated) {
      this._flushPublishes()
      this._native.removeOutgoing(messageId)
    }
    return this
  }

  /** The last packet id the engine has allocated (reported as it allocates: see README). */
  getLastMessageId () {
    return this._lastMessageId
  }

  publish (topic, message, opts, callback) {
    if (typeof opts === 'function') {
      callback = opts
      opts = null
    }
    opts = { qos: 0, retain: false, dup: false, ...parseOptionsArg(opts, 'publish options') }
    if (typeof topic !== 'string') throw new TypeError(`Invalid topic: expected a string, got ${typeof topic}`)
    if (this._checkDisconnecting(callback)) return this
    const payload = payloadBytes(message)
    const { qos, retain } = opts
    // MQTT.js sends `properties` with MQTT 5 only.
    const properties = this.options.protocolVersion === 5 ? publishProperties(opts.properties) : undefined
    const alias = properties === undefined ? undefined : properties.topicAlias
    let invalid
    if (qos !== 0 && qos !== 1 && qos !== 2) invalid = `Invalid QoS: expected 0, 1 or 2, got ${describeValue(qos)}`
    // An empty topic name is what a publish by Topic Alias sends.
    else invalid = topic === '' && alias !== undefined ? null : topicNameError(topic)
    if (invalid !== null) {
      const err = new Error(invalid)
      setImmediate(() => (callback ? callback(err) : this.emit('error', err)))
      return this
    }
    if (isTopicAlias(alias) && alias > this._topicAliasMaximum) {
      // As MQTT.js, inside publish(): an alias the broker's last CONNACK does not allow.
      // (A value that is no alias at all, 0 included, is refused by the addon's property check.)
      const err = new Error('Sending Topic Alias out of range')
      if (callback) callback(err)
      else this.emit('error', err)
      return this
    }
    if (qos === 0 && !this.connected && !this.queueQoSZero) {
      // As MQTT.js: the callback gets this inside publish(). (The engine would
      // refuse it too, a tick later.)
      if (callback) callback(new Error('No connection to broker'))
      return this
    }
    if (this._held !== null) this._held.push(() => this._sendPublish(topic, message, payload, qos, !!retain, callback, properties))
    else this._sendPublish(topic, message, payload, qos, !!retain, callback, properties)
    // MQTT.js calls cbStorePut once a QoS 1/2 message is in its store: here, once the engine has it.
    if (qos > 0 && typeof opts.cbStorePut === 'function') opts.cbStorePut()
    return this
  }

  publishAsync (topic, message, opts) {
    return new Promise((resolve, reject) => {
      this.publish(topic, message, opts, (err, packet) => (err ? reject(err) : resolve(packet)))
    })
  }

  subscribe (topicObject, opts, callback) {
    if (typeof opts === 'function') {
      callback = opts
      opts = null
    }
    callback = callback || noop
    opts = parseOptionsArg(opts, 'subscribe options')
    const request = readTopicObject(topicObject)
    const invalid = validateTopics(request.topics)
    if (invalid !== null) {
      setImmediate(callback, new Error(`Invalid topic ${invalid}`))
      return this
    }
    if (this._checkDisconnecting(callback)) return this
    const send = () => this._sendSubscribe(request, subscribeDefaults(opts, this.options.protocolVersion === 5), callback)
    if (this._held !== null) this._held.push(send)
    else send()
    return this
  }

  subscribeAsync (topicObject, opts) {
    return new Promise((resolve, reject) => {
      this.subscribe(topicObject, opts, (err, granted) => (err ? reject(err) : resolve(granted)))
    })
  }

  unsubscribe (topic, opts, callback) {
    if (typeof opts === 'function') {
      callback = opts
      opts = null
    }
    callback = callback || noop
    opts = parseOptionsArg(opts, 'unsubscribe options')
    // MQTT.js sends `properties` with MQTT 5 only.
    const properties = this.options.protocolVersion === 5 && opts.properties ? opts.properties : undefined
    const topics = typeof topic === 'string' ? [topic] : topic
    if (!Array.isArray(topics)) throw new TypeError(`Invalid topic: expected a string or an array, got ${typeof topic}`)
    const invalid = validateTopics(topics)
    if (invalid !== null) {
      setImmediate(callback, new Error(`Invalid topic ${invalid}`))
      return this
    }
    if (this._checkDisconnecting(callback)) return this
    const send = () => this._sendUnsubscribe(topics, properties, callback)
    if (this._held !== null) this._held.push(send)
    else send()
    return this
  }

  unsubscribeAsync (topic, opts) {
    return new Promise((resolve, reject) => {
      this.unsubscribe(topic, opts, (err, packet) => (err ? reject(err) : resolve(packet)))
    })
  }

  end (force, opts, cb) {
    if (force == null || typeof force !== 'boolean') {
      cb = cb || opts
      opts = force
      force = false
    }
    // napi: the options may be a JSON string, as everywhere else.
    if (typeof opts === 'string') opts = parseOptionsArg(opts, 'end options')
    if (typeof opts !== 'object') {
      cb = cb || opts
      opts = null
    }
    if (typeof cb !== 'function') cb = noop
    // MQTT 5: the DISCONNECT's reason code and properties (MQTT.js sends them with MQTT 5 only).
    const disconnect = this.options.protocolVersion === 5 ? disconnectOptions(opts) : null
    if (this.disconnecting) {
      // A forced end overrides a graceful one still waiting for acknowledgements.
      if (force && this._native && !this._terminated) {
        this._messagesStopped = true
        this._native.end(true)
      }
      cb()
      return this
    }
    this.disconnecting = true
    this._endCallback = cb
    this._releaseHeldCalls()
    this._outgoingAtEnd = !force && this._pending.hasOutgoing()
    // A graceful end() closes once what is in flight completes (onOutgoingEmpty).
    if (!this._outgoingAtEnd) this._messagesStopped = true
    if (this._terminated || this._native === null) {
      process.nextTick(() => this._finishEnd())
      return this
    }
    this._flushPublishes()
    if (force && this.options.reconnectPeriod === 0 && this.options.clean) {
      // As MQTT.js: a forced end of a client that will never reconnect fails its callbacks first.
      this._failAllPending()
    }
    if (disconnect === null) {
      this._native.end(!!force)
    } else {
      try {
        this._native.end(!!force, disconnect.reasonCode, disconnect.properties)
      } catch (err) {
        // Properties the addon refused: the client still ends (with a plain
        // DISCONNECT), and the end callback gets why the requested one was not sent.
        this._endError = err
        this._native.end(!!force)
      }
    }
    return this
  }

  endAsync (force, opts) {
    return new Promise((resolve, reject) => {
      this.end(force, opts, (err) => (err ? reject(err) : resolve()))
    })
  }

  // ---- commands ------------------------------------------------------------

  /** `properties`: an MQTT 5 publish's (undefined with none, and always with 3.1/3.1.1). */
  _sendPublish (topic, message, payload, qos, retain, callback, properties) {
    // Token 0 tells the engine that nobody waits for this one's completion (a
    // publish that may be refused, for its size or its properties, is always
    // waited for: see onPublishDone).
    const mayBeRefused = payload.length > MAX_PAYLOAD_ANY_TOPIC || properties !== undefined ||
      this._exceedsBrokerMaximum(topic, payload)
    let token = 0
    let callsBackNow = false
    if (qos > 0) {
      token = this._pending.register({ kind: 'publish', callback, topic, message, qos, retain, properties })
    } else if (callback || mayBeRefused) {
      // MQTT.js calls a QoS 0 callback inside publish() when the socket's
      // write() returns true (less than its high-water mark buffered), else on
      // `drain`: so an app that waits for callbacks is paced by the network.
      // Here the engine's queue plays the socket buffer: the callback runs now
      // while what the engine has not yet written stays under the mark, else
      // once the engine reports this one written (see _qos0Written). (With
      // packet events on, the engine's completion keeps packetsend first.)
      const bytes = payload.length + topic.length
      callsBackNow = callback !== undefined && this.connected && this._connectGate === null &&
        !this._packetEventsOn && !mayBeRefused && !this._pending.hasQoS0CallbacksWaiting() && this._qos0Fits(bytes)
      token = this._pending.registerQoS0Publish(callback, bytes, callsBackNow)
      if (!callsBackNow) this._updateQoS0Reports()
    }
    if (this._terminated) {
      setImmediate(() => this._complete(token, new Error('Connection closed')))
      return
    }
    if (payload.length >= PAYLOAD_BY_REFERENCE_BYTES) {
      this._command(token, () => this._native.publish(topic, payload, qos, retain, token, properties))
    } else {
      if (this._publishes === null) this._publishes = new PublishBatch()
      this._publishes.add(topic, payload, qos, retain, token, properties)
      if (this._publishes.isFull) {
        this._flushPublishes()
      } else if (!this._flushScheduled) {
        this._flushScheduled = true
        process.nextTick(flushPublishesOf, this)
      }
    }
    if (callsBackNow) callback()
  }

  _sendSubscribe (request, defaults, callback) {
    const subs = subscriptionsToSend(request, defaults, this._resubscribeTopics)
    if (subs.length === 0) {
      callback(null, [])
      return
    }
    if (this.options.resubscribe && this.options.reconnectPeriod > 0) {
      if (this._resubscribeTopics === null) this._resubscribeTopics = Object.create(null)
      for (const sub of subs) this._resubscribeTopics[sub.topic] = { qos: sub.qos }
      // (The engine keeps what it resubscribes with, nl/rap/rh and properties included.)
    }
    // The engine sends the call as SUBSCRIBE packets of at most `subscribeBatchSize`
    // filters and reports it settled once (client-events.js onSubscribeDone). MQTT.js
    // joins its packets' promises with Promise.all: its callback runs a few microtasks
    // after the SUBACK that settles the call, and so does this one. Meanwhile the callback
    // is "due": in MQTT.js `close` always comes later (it is a socket event), while the
    // engine may report it in the same batch as the SUBACK.
    let due = false
    let settle
    const settled = new Promise((resolve, reject) => {
      settle = (err, packet) => {
        // Settled by a SUBACK (`packet`): the callback is due.
        if (packet !== undefined) {
          due = true
          this._subscribeCallbacksDue++
        }
        if (err) reject(err)
        else resolve(packet)
      }
    })
    const token = this._pending.register({ kind: 'subscribe', callback: settle, subs })
    this._command(token, () => this._native.subscribe(token, subs.map(nativeFilter), defaults.properties || undefined))
    const report = (err, packet) => {
      try {
        callback(err, subs, packet)
      } finally {
        if (due) {
          due = false
          this._subscribeCallbackRan()
        }
      }
    }
    Promise.all([settled]).then(
      ([packet]) => report(null, packet),
      (err) => report(err, err.packet)
    ).catch((err) => this._inbound.reportError(err)) // an uncaught exception, not a rejection
  }

  /** A due subscribe callback has run: a `close` held for it goes on (see client-events.js). */
  _subscribeCallbackRan () {
    this._subscribeCallbacksDue--
    const after = this._afterSubscribeCallbacks
    if (this._subscribeCallbacksDue === 0 && after !== null) {
      this._afterSubscribeCallbacks = null
      after()
    }
  }

  _sendUnsubscribe (topics, properties, callback) {
    if (this.options.resubscribe && this._resubscribeTopics !== null) {
      for (const topic of topics) delete this._resubscribeTopics[topic]
    }
    const token = this._pending.register({ kind: 'unsubscribe', callback })
    this._command(token, () => this._native.unsubscribe(token, topics, properties))
  }

  _flushPublishes () {
    this._flushScheduled = false
    if (this._publishes === null || this._publishes.isEmpty) return
    const propertiesList = this._publishes.takePropertiesList()
    const bytes = this._publishes.take()
    try {
      if (propertiesList === undefined) this._native.publishBatch(bytes)
      else this._native.publishBatch(bytes, propertiesList)
    } catch (err) {
      // Only a broken engine gets here; report it rather than lose callbacks silently.
      this.emit('error', err)
    }
    this._publishes.recycle()
  }

  /** Runs a native call; a rejected command reports to its callback, never throws. */
  _command (token, call) {
    this._flushPublishes()
    if (this._terminated || this._native === null) {
      setImmediate(() => this._complete(token, new Error('Connection closed')))
      return
    }
    try {
      call()
    } catch (err) {
      const error = new Error(err.message)
      setImmediate(() => this._complete(token, error))
    }
  }

  _checkDisconnecting (callback) {
    if (this.disconnecting) {
      const err = new Error('client disconnecting')
      if (callback && callback !== noop) callback(err)
      else this.emit('error', err)
    }
    return this.disconnecting
  }

  /**
   * True when a publish may exceed the broker's Maximum Packet Size (MQTT 5
   * CONNACK): the engine refuses it then, so its callback waits for the engine.
   */
  _exceedsBrokerMaximum (topic, payload) {
    const server = this._serverProperties
    if (server === undefined || server.maximumPacketSize === undefined) return false
    // Fixed header (5) + topic (2 + 3 bytes per UTF-16 unit at most) + id (2) + empty property list (1).
    return 10 + topic.length * 3 + payload.length > server.maximumPacketSize
  }

  _reconnectNow () {
    if (this._native !== null && !this._terminated) {
      this._flushPublishes()
      if (this.connected) {
        // MQTT.js announces the reconnect before the old connection closes; the
        // engine would announce it when the new attempt starts.
        this._reconnectAnnounced = true
        this.emit('reconnect')
      }
      this._native.reconnect()
      return
    }
    this.emit('reconnect')
    this._native = null
    this.connect()
  }

  /** Replays a user outgoingStore before any call made meanwhile. */
  _replayStore () {
    this._held = []
    this._mirror.restore(
      (packet) => this._sendPublish(packet.topic, packet.payload, payloadBytes(packet.payload), packet.qos, !!packet.retain, undefined,
        this.options.protocolVersion === 5 ? publishProperties(packet.properties) : undefined),
      () => this._releaseHeldCalls()
    )
  }

  _releaseHeldCalls () {
    const held = this._held
    this._held = null
    if (held !== null) for (const call of held) call()
  }

  // ---- packet events ---------------------------------------------------------

  _packetListenerCount () {
    return this.listenerCount('packetsend') + this.listenerCount('packetreceive')
  }

  /** Packet events cost nothing unless used: the engine reports them only while someone listens. */
  _updatePacketEvents (adding = 0) {
    if (this._native === null || this._terminated) return
    const wanted = this._packetListenerCount() + adding > 0 || this._mirror.active
    if (wanted === this._packetEventsOn) return
    this._packetEventsOn = wanted
    this._flushPublishes()
    this._native.setPacketEvents(wanted)
  }

  // ---- shared by the commands and the engine events (client-events.js) -------

  /** A topic the broker refused is not resubscribed (and no longer counts as subscribed). */
  _forgetSubscription (topic) {
    if (this._resubscribeTopics !== null) delete this._resubscribeTopics[topic]
  }

  /** True once if reconnect() emitted `reconnect` itself (the engine's record then emits nothing). */
  _takeAnnouncedReconnect () {
    const announced = this._reconnectAnnounced
    this._reconnectAnnounced = false
    return announced
  }

  /**
   * `reconnect` has been emitted for an attempt on `servers[server]`. MQTT.js
   * writes that server into the options now, as it opens the stream; the
   * engine opens the socket only now (MQTT.js's order), and its CONNECT takes
   * the client id and credentials from the options as the listeners left them.
   * A WebSocket attempt opens the URL built now, through `transformWsUrl`, as
   * MQTT.js builds one for every connect.
   */
  _startAttempt (server) {
    this._reconnectsEmitted = (this._reconnectsEmitted + 1) >>> 0
    applyEndpoint(this.options, server)
    const native = this._native
    if (native === null || this._terminated) return
    const count = this._reconnectsEmitted
    let identity
    let wsUrl
    try {
      const { clientId, username, password } = this.options
      identity = [toBuffer(clientId, 'clientId'), binary(username, 'username'), binary(password, 'password')]
      if (isWebSocket(this.options.protocol)) wsUrl = webSocketUrl(this.options, this)
    } catch (err) {
      // The attempt goes ahead with the fields as they were; the app hears what was wrong.
      if (identity === undefined) native.reconnectEmitted(count)
      else native.reconnectEmitted(count, ...identity)
      throw err
    }
    native.reconnectEmitted(count, ...identity, wsUrl)
  }

  /**
   * Runs `then(this)` once no subscribe callback is due (see _sendSubscribe):
   * at once, or, when a SUBACK of this batch settled one whose callback runs a
   * few microtasks from now, after it; later records wait meanwhile.
   */
  _afterSubscribeCallbacksRan (then) {
    if (this._subscribeCallbacksDue === 0) {
      then(this)
      return
    }
    this._inbound.pause()
    this._afterSubscribeCallbacks = () => {
      then(this)
      this._inbound.resume()
    }
  }

  /** Nothing is left in flight: true when end() waited for that (MQTT.js then emits `outgoingEmpty`). */
  _outgoingDrained () {
    if (!this._outgoingAtEnd) return false
    this._outgoingAtEnd = false
    // end() now closes the connection: no more messages (see end()).
    this._messagesStopped = true
    return true
  }

  /** The engine has stopped for good: nothing may wait forever. */
  _engineTerminated () {
    this._terminated = true
    this.connected = false
    this._failAllPending()
    if (this.disconnecting) this._finishEnd()
  }

  /** A publish completed: `connect` is emitted after the last one replayed on CONNACK. */
  _publishCompleted (token) {
    const gate = this._connectGate
    if (gate === null || !gate.replayed.delete(token) || gate.replayed.size > 0) return
    this._connectGate = null
    this.emit('connect', gate.packet)
  }

  /** Pauses or resumes the engine's socket reads (inbound backpressure, see inbound-queue.js). */
  _setReading (on) {
    if (this._native !== null && !this._terminated) this._native.setReading(on)
  }

  /** Later events wait (for a handleMessage callback): reconnect attempts must not wait for them. */
  _setEventsHeld (held) {
    if (this._native !== null && !this._terminated) this._native.setEventsHeld(held)
  }

  _overridesHandleMessage () {
    return this.handleMessage !== defaultHandleMessage
  }

  /** The engine holds QoS 1/2 acks for JS: for an overridden handleMessage, or MQTT 5's customHandleAcks. */
  _needsManualAcks () {
    return this._overridesHandleMessage() || this._customAcks()
  }

  /** MQTT 5 with the app's own `customHandleAcks`: it picks our PUBACK/PUBREC reason codes. */
  _customAcks () {
    return this.options.protocolVersion === 5 && hasCustomAckHandler(this.options)
  }

  /**
   * A QoS 1/2 message under `customHandleAcks` (MQTT 5), as MQTT.js handles
   * it: the handler's reason code (or error) decides; 0 delivers the message
   * as usual; another valid code acknowledges with it and, for QoS 1, still
   * runs handleMessage, without a `message` event; an error or invalid code
   * is emitted and the message is not acknowledged. Later records wait for
   * the handler's callback.
   */
  _customHandleAck (packet, ackConnection) {
    const native = this._native
    let done = false
    let sync = true
    this.options.customHandleAcks(packet.topic, packet.payload, packet, (error, code) => {
      if (done) return
      done = true
      if (typeof error === 'number') {
        code = error
        error = null
      }
      try {
        if (error) {
          this.emit('error', error)
        } else if (!VALID_ACK_REASON_CODES.has(code)) {
          this.emit('error', new Error(`Wrong reason code for ${packet.qos === 1 ? 'puback' : 'pubrec'}`))
        } else if (code === 0) {
          this.emit('message', packet.topic, packet.payload, packet)
          this._handleMessage(packet, ackConnection)
        } else if (packet.qos === 1) {
          this._handleMessage(packet, ackConnection, code)
        } else {
          this._acknowledge(native, packet.messageId, ackConnection, code)
        }
      } finally {
        if (!sync) this._inbound.resume()
      }
    })
    sync = false
    if (!done) this._inbound.pause()
  }

  /**
   * As MQTT.js, an overridden handleMessage gets the message before it is
   * acknowledged: the engine then holds PUBACK/PUBCOMP until `_acknowledge`.
   * MQTT.js decides per message; the engine must know before the message
   * arrives, so connect(), an assignment (see `handleMessage` below) and
   * every message tell it when the override changes.
   */
  _syncAckMode () {
    const manual = this._needsManualAcks()
    if (manual !== this._manualAcks && this._native !== null && !this._terminated) {
      this._manualAcks = manual
      this._native.setManualAcks(manual)
    }
    return manual
  }

  /**
   * Runs handleMessage; when overridden, later events wait for its callback.
   * `ackConnection` (0: acknowledged on receipt) is what a held message's ack
   * names; `reasonCode` its reason code (MQTT 5, from customHandleAcks).
   */
  _handleMessage (packet, ackConnection, reasonCode = 0) {
    const native = this._native
    if (!this._syncAckMode() || !this._overridesHandleMessage()) {
      if (ackConnection !== 0) this._acknowledge(native, packet.messageId, ackConnection, reasonCode)
      return
    }
    let done = false
    let sync = true
    this.handleMessage(packet, (err) => {
      if (done) return
      done = true
      // As MQTT.js, a message handled with an error is not acknowledged: the
      // broker sends it again on a resumed session.
      if (err) this.emit('error', err)
      else if (ackConnection !== 0) this._acknowledge(native, packet.messageId, ackConnection, reasonCode)
      if (!sync) this._inbound.resume()
    })
    sync = false
    if (!done) this._inbound.pause()
  }

  /** Acknowledges a held message, to the engine that delivered it (not one started since). */
  _acknowledge (native, messageId, connection, reasonCode = 0) {
    if (native !== this._native || this._terminated) return
    if (reasonCode === 0) native.acknowledge(messageId, connection)
    else native.acknowledge(messageId, connection, reasonCode)
  }

  /** The engine has written every QoS 0 publish up to `token`: their callbacks run. */
  _qos0Written (token) {
    this._pending.takeQoS0Through(token, (done, callback) => this._qos0Completed(done, callback))
    this._updateQoS0Reports()
  }

  /**
   * Whether a QoS 0 publish of `bytes` fits in what the engine may hold not
   * yet reported written; if not, asks the engine's mark how far it has
   * written (JS sees no report while it runs a loop of publishes).
   */
  _qos0Fits (bytes) {
    if (this._pending.qos0Fits(bytes, SOCKET_HIGH_WATER_MARK)) return true
    return this._refreshQoS0Written() && this._pending.qos0Fits(bytes, SOCKET_HIGH_WATER_MARK)
  }

  /** Drops what the engine's mark says is written; returns whether that made room. */
  _refreshQoS0Written () {
    if (this._native === null || this._terminated) return false
    return this._pending.dropWrittenQoS0(this._native.qos0WrittenThrough())
  }

  /** The engine reports QoS 0 writes while a QoS 0 publish waits for a report, and only then. */
  _updateQoS0Reports () {
    const wanted = this._pending.qos0AwaitsReport()
    if (wanted === this._qos0ReportsOn || this._native === null || this._terminated) return
    this._qos0ReportsOn = wanted
    this._native.setQos0Reports(wanted)
  }

  /** The connection closed before the QoS 0 publishes up to `token` not yet written went out. */
  _qos0Dropped (token) {
    this._pending.takeQoS0Through(token, (done, callback) => this._qos0Completed(done, callback, new Error('Connection closed')))
    this._updateQoS0Reports()
  }

  _qos0Completed (token, callback, error) {
    if (callback) {
      try {
        if (error === undefined) callback()
        else callback(error)
      } catch (err) {
        this._inbound.reportError(err)
      }
    }
    this._publishCompleted(token)
  }

  _complete (token, ...args) {
    const entry = this._pending.take(token)
    if (entry === undefined) return
    if (entry.callback) {
      try {
        entry.callback(...args)
      } catch (err) {
        this._inbound.reportError(err)
      }
    }
    if (entry.kind === 'publish') this._publishCompleted(token)
  }

  /** Nothing may wait forever: the engine is gone, so every callback fails. */
  _failAllPending () {
    for (const entry of this._pending.takeAll()) {
      if (!entry.callback) continue
      try {
        entry.callback(entry.kind === 'subscribe' ? new ErrorWithSubackPacket('Connection closed', undefined) : new Error('Connection closed'))
      } catch (err) {
        // The other callbacks must still run.
        this._inbound.reportError(err)
      }
    }
  }

  _finishEnd () {
    this.disconnected = true
    const cb = this._endCallback || noop
    this._endCallback = null
    const endError = this._endError
    this._endError = null
    this._mirror.close((err) => {
      try {
        this.emit('end')
      } catch (thrown) {
        this._inbound.reportError(thrown)
      }
      cb(endError || err)
    })
    if (this._deferredReconnect !== null) this._deferredReconnect()
    else if (this.options.reconnectPeriod === 0 || this.options.manualConnect) this.disconnecting = false
  }
}

/** Override to apply backpressure: the next message, and this one's PUBACK/PUBCOMP, wait for `callback`. */
function defaultHandleMessage (packet, callback) {
  callback()
}

// handleMessage is overridden by subclassing or by assignment
// (`client.handleMessage = fn`, often after connect()). The engine must know
// before a message arrives whether to hold its ack, so the first assignment
// goes through this setter, which tells it; the function then becomes the
// instance's own plain property, as an assignment would have made it.
Object.defineProperty(MqttClient.prototype, 'handleMessage', {
  configurable: true,
  get () {
    return defaultHandleMessage
  },
  set (fn) {
    Object.defineProperty(this, 'handleMessage', { value: fn, writable: true, enumerable: true, configurable: true })
    // (A prototype, or a client not started yet, is read by connect().)
    if (this instanceof MqttClient && this._native) this._syncAckMode()
  }
})

MqttClient.VERSION = version

/** `connect()`: a client over options it has already resolved. */
function createClient (options) {
  resolvedOptions.add(options)
  return new MqttClient(options)
}

module.exports = { MqttClient, createClient }
