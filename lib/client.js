'use strict'

// The MqttClient shim: MQTT.js's API and event order over the native engine.
// No protocol logic and no timers live here; this file turns calls into
// native commands and event batches into EventEmitter events and callbacks.

const { EventEmitter } = require('events')
const tls = require('tls')
const { NativeClient } = require('./native')
const { KIND, BatchReader } = require('./event-batch')
const { ErrorWithReasonCode, ErrorWithSubackPacket, ReasonCodes } = require('./errors')
const { resolveConnectOptions, nativeOptions, parseOptionsArg, toBuffer } = require('./options')
const { validateTopics, topicNameError } = require('./validations')
const { PublishBatch } = require('./command-batch')
const { connackPacket, fixedHeader, readPublish, readPacket } = require('./packets')

const PACKET_EVENTS = new Set(['packetsend', 'packetreceive'])

function noop () {}

function payloadBuffer (message) {
  if (message === undefined || message === null) return Buffer.alloc(0)
  if (typeof message === 'string' || Buffer.isBuffer(message) || message instanceof Uint8Array) {
    return toBuffer(message, 'message')
  }
  throw new TypeError(`Invalid payload: expected a string, Buffer or Uint8Array, got ${typeof message}`)
}

function ackPacket (cmd, messageId, extra) {
  return fixedHeader(cmd, 2, { messageId, ...extra })
}

class MqttClient extends EventEmitter {
  static defaultId () {
    return `mqttjs_${Math.random().toString(16).substr(2, 8)}`
  }

  constructor (options) {
    super()
    this.options = options
    this.connected = false
    this.disconnecting = false
    this.disconnected = false
    this.reconnecting = false
    this.connackPacket = undefined
    this.queueQoSZero = options.queueQoSZero === undefined ? true : options.queueQoSZero
    // Topics to resubscribe, as MQTT.js keeps them (also used to skip duplicate subscribes).
    this._resubscribeTopics = {}
    this._pending = new Map()
    this._nextToken = 1
    this._native = null
    this._terminated = false
    this._endCallbacks = []
    this._lastMessageId = 0
    this._publishes = new PublishBatch()
    this._flushScheduled = false
    this._flushPublishes = this._flushPublishes.bind(this)
    // Inbound backpressure for an overridden handleMessage: batches wait here.
    this._inbox = []
    this._waitingForHandler = false
    this._readingPaused = false
    this.on('newListener', (event) => this._packetListenersChanged(event, 1))
    this.on('removeListener', (event) => this._packetListenersChanged(event, 0))
    if (!options.manualConnect) this.connect()
  }

  /** Override to apply backpressure: the next message waits for `callback`. */
  handleMessage (packet, callback) {
    callback()
  }

  /** Starts (or, after `end()`, restarts) the engine. */
  connect () {
    if (this._native && !this._terminated) return this
    this._terminated = false
    this.disconnecting = false
    this.disconnected = false
    this._native = new NativeClient(
      nativeOptions(this.options, () => tls.rootCertificates),
      (batch) => this._onBatch(batch)
    )
    this._packetEventsOn = this._packetListenerCount() > 0
    if (this._packetEventsOn) this._native.setPacketEvents(true)
    return this
  }

  /** Drops the current connection and connects again (MQTT.js `reconnect()`). */
  reconnect () {
    if (this._native && !this._terminated) {
      this._flushPublishes()
      this._native.reconnect()
      return this
    }
    this.emit('reconnect')
    this._native = null
    this.connect()
    return this
  }

  /** Withdraws an unacknowledged QoS 1/2 publish; its callback gets "Message removed". */
  removeOutgoingMessage (messageId) {
    if (this._native && !this._terminated) {
      this._flushPublishes()
      this._native.removeOutgoing(messageId)
    }
    return this
  }

  publish (topic, message, opts, callback) {
    if (typeof opts === 'function') {
      callback = opts
      opts = null
    }
    opts = { qos: 0, retain: false, dup: false, ...parseOptionsArg(opts, 'publish options') }
    if (typeof topic !== 'string') {
      throw new TypeError(`Invalid topic: expected a string, got ${typeof topic}`)
    }
    const payload = payloadBuffer(message)
    if (this._checkDisconnecting(callback)) return this
    const { qos, retain } = opts
    const invalid = qos === 0 || qos === 1 || qos === 2 ? topicNameError(topic) : `Invalid QoS ${qos}: must be 0, 1 or 2`
    if (invalid !== null) {
      const err = new Error(invalid)
      setImmediate(() => (callback ? callback(err) : this.emit('error', err)))
      return this
    }
    // QoS 0 without a callback needs no completion: token 0 tells the engine so.
    const token = callback || qos > 0 ? this._register({ kind: 'publish', callback, topic, payload, qos, retain }) : 0
    if (this._terminated) {
      this._complete(token, new Error('Connection closed'))
      return this
    }
    this._publishes.add(topic, payload, qos, !!retain, token)
    if (this._publishes.isFull) {
      this._flushPublishes()
    } else if (!this._flushScheduled) {
      this._flushScheduled = true
      process.nextTick(this._flushPublishes)
    }
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
    let topics
    let perTopic = null
    let resubscribe = false
    if (typeof topicObject === 'string') {
      topics = [topicObject]
    } else if (Array.isArray(topicObject)) {
      topics = topicObject
    } else if (topicObject !== null && typeof topicObject === 'object') {
      perTopic = { ...topicObject }
      resubscribe = !!perTopic.resubscribe
      delete perTopic.resubscribe
      topics = Object.keys(perTopic)
    } else {
      throw new TypeError(`Invalid topic: expected a string, an array or an object, got ${typeof topicObject}`)
    }
    const invalid = validateTopics(topics)
    if (invalid !== null) {
      setImmediate(callback, new Error(`Invalid topic ${invalid}`))
      return this
    }
    if (this._checkDisconnecting(callback)) return this

    const defaultQos = opts.qos === undefined ? 0 : opts.qos
    const subs = []
    for (const topic of topics) {
      const entry = perTopic ? perTopic[topic] : null
      const qos = entry && typeof entry === 'object' ? (entry.qos === undefined ? defaultQos : entry.qos) : (typeof entry === 'number' ? entry : defaultQos)
      const known = this._resubscribeTopics[topic]
      if (!known || known.qos < qos || resubscribe) subs.push({ topic, qos })
    }
    if (subs.length === 0) {
      callback(null, [])
      return this
    }
    if (this.options.resubscribe && this.options.reconnectPeriod > 0) {
      for (const sub of subs) this._resubscribeTopics[sub.topic] = { qos: sub.qos }
    }
    const batchSize = this.options.subscribeBatchSize || subs.length
    const chunks = []
    for (let i = 0; i < subs.length; i += batchSize) chunks.push(subs.slice(i, i + batchSize))
    const results = []
    let remaining = chunks.length
    let failed = null
    const done = (err, packet) => {
      if (err && !failed) failed = err
      if (packet) results.push(packet)
      if (--remaining > 0) return
      if (failed) callback(failed, subs, failed.packet)
      else callback(null, subs, results[results.length - 1])
    }
    for (const chunk of chunks) {
      const token = this._register({ kind: 'subscribe', callback: done, subs: chunk })
      this._command(token, () => this._native.subscribe(chunk.map((s) => s.topic), chunk.map((s) => Number(s.qos)), token))
    }
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
    parseOptionsArg(opts, 'unsubscribe options')
    const topics = typeof topic === 'string' ? [topic] : topic
    if (!Array.isArray(topics)) {
      throw new TypeError(`Invalid topic: expected a string or an array, got ${typeof topic}`)
    }
    const invalid = validateTopics(topics)
    if (invalid !== null) {
      setImmediate(callback, new Error(`Invalid topic ${invalid}`))
      return this
    }
    if (this._checkDisconnecting(callback)) return this
    if (this.options.resubscribe) {
      for (const t of topics) delete this._resubscribeTopics[t]
    }
    const token = this._register({ kind: 'unsubscribe', callback })
    this._command(token, () => this._native.unsubscribe(topics, token))
    return this
  }

  unsubscribeAsync (topic, opts) {
    return new Promise((resolve, reject) => {
      this.unsubscribe(topic, opts, (err, packet) => (err ? reject(err) : resolve(packet)))
    })
  }

  _flushPublishes () {
    this._flushScheduled = false
    if (this._publishes.isEmpty) return
    const batch = this._publishes.take()
    try {
      this._native.publishBatch(batch)
    } catch (err) {
      // Only a broken engine gets here; report it rather than lose callbacks silently.
      this.emit('error', err)
    }
    this._publishes.recycle()
  }

  _packetListenerCount () {
    return this.listenerCount('packetsend') + this.listenerCount('packetreceive')
  }

  /** Packet events cost nothing unless someone listens: the engine reports them only then. */
  _packetListenersChanged (event, adding) {
    if (!PACKET_EVENTS.has(event) || !this._native || this._terminated) return
    // `newListener` fires before the listener is added, `removeListener` after it is gone.
    const wanted = this._packetListenerCount() + adding > 0
    if (wanted === this._packetEventsOn) return
    this._packetEventsOn = wanted
    this._flushPublishes()
    this._native.setPacketEvents(wanted)
  }

  end (force, opts, cb) {
    if (force == null || typeof force !== 'boolean') {
      cb = cb || opts
      opts = force
      force = false
    }
    if (typeof opts !== 'object') {
      cb = cb || opts
      opts = null
    }
    if (typeof cb !== 'function') cb = noop
    if (this.disconnecting) {
      cb()
      return this
    }
    this.disconnecting = true
    this._endCallbacks.push(cb)
    if (this._terminated || !this._native) {
      process.nextTick(() => this._finishEnd())
    } else {
      this._flushPublishes()
      this._native.end(!!force)
    }
    return this
  }

  endAsync (force, opts) {
    return new Promise((resolve, reject) => {
      this.end(force, opts, (err) => (err ? reject(err) : resolve()))
    })
  }

  getLastMessageId () {
    return this._lastMessageId
  }

  // ---- internals ----------------------------------------------------------

  _checkDisconnecting (callback) {
    if (this.disconnecting) {
      const err = new Error('client disconnecting')
      if (callback && callback !== noop) callback(err)
      else this.emit('error', err)
    }
    return this.disconnecting
  }

  _register (entry) {
    const token = this._nextToken++
    this._pending.set(token, entry)
    return token
  }

  /** Runs a native call; a rejected command reports to its callback, never throws. */
  _command (token, call) {
    this._flushPublishes()
    if (this._terminated) {
      this._complete(token, new Error('Connection closed'))
      return
    }
    try {
      call()
    } catch (err) {
      const entry = this._pending.get(token)
      this._pending.delete(token)
      const error = new Error(err.message)
      setImmediate(() => {
        if (entry && entry.callback) entry.callback(error)
        else this.emit('error', error)
      })
    }
  }

  _complete (token, err, packet) {
    const entry = this._pending.get(token)
    if (!entry) return
    this._pending.delete(token)
    if (entry.callback) entry.callback(err, packet)
  }

  _onBatch (buffer) {
    this._inbox.push(new BatchReader(buffer))
    if (!this._waitingForHandler) this._drainInbox()
  }

  _drainInbox () {
    let thrown = null
    while (this._inbox.length > 0 && !this._waitingForHandler) {
      const reader = this._inbox[0]
      while (!reader.done && !this._waitingForHandler) {
        try {
          this._dispatch(reader)
        } catch (err) {
          // A listener threw: keep the stream consistent, rethrow outside the engine
          // (in MQTT.js a throwing listener is an uncaught exception too).
          if (thrown === null) thrown = err
          if (reader.failed) reader.pos = reader.buf.length
        }
      }
      if (reader.done) this._inbox.shift()
    }
    if (!this._waitingForHandler && this._readingPaused && this._native && !this._terminated) {
      this._readingPaused = false
      this._native.setReading(true)
    }
    if (thrown !== null) process.nextTick(() => { throw thrown })
  }

  /** Runs handleMessage; when overridden, later events wait for its callback. */
  _handleMessage (packet) {
    if (this.handleMessage === MqttClient.prototype.handleMessage) return
    let done = false
    let sync = true
    this.handleMessage(packet, (err) => {
      if (done) return
      done = true
      if (err) this.emit('error', err)
      if (!sync) {
        this._waitingForHandler = false
        this._drainInbox()
      }
    })
    sync = false
    if (!done) {
      this._waitingForHandler = true
      if (!this._readingPaused && this._native && !this._terminated) {
        this._readingPaused = true
        this._native.setReading(false)
      }
    }
  }

  _dispatch (r) {
    const kind = r.u8()
    switch (kind) {
      case KIND.CONNECT: {
        const packet = connackPacket(r.u8() === 1, r.u8())
        this.connackPacket = packet
        this.connected = true
        this.reconnecting = false
        this.emit('connect', packet)
        break
      }
      case KIND.MESSAGE: {
        const packet = readPublish(r)
        this.emit('message', packet.topic, packet.payload, packet)
        this._handleMessage(packet)
        break
      }
      case KIND.PACKET_SEND:
        this.emit('packetsend', readPacket(r))
        break
      case KIND.PACKET_RECEIVE:
        this.emit('packetreceive', readPacket(r))
        break
      case KIND.PUBLISH_DONE: {
        const token = r.f64()
        const messageId = r.u16()
        const error = r.optionalError()
        const entry = this._pending.get(token)
        if (messageId) this._lastMessageId = messageId
        if (error !== null) {
          this._complete(token, new Error(error))
        } else if (entry && entry.qos > 0) {
          this._complete(token, null, { cmd: 'publish', topic: entry.topic, payload: entry.payload, qos: entry.qos, retain: entry.retain, messageId, dup: false })
        } else {
          this._complete(token)
        }
        break
      }
      case KIND.SUBSCRIBE_DONE: {
        const token = r.f64()
        const messageId = r.u16()
        const error = r.optionalError()
        const count = r.u32()
        const granted = []
        for (let i = 0; i < count; i++) {
          r.string()
          granted.push(r.u8())
        }
        this._onSubscribeDone(token, messageId, error, granted)
        break
      }
      case KIND.UNSUBSCRIBE_DONE: {
        const token = r.f64()
        const messageId = r.u16()
        const error = r.optionalError()
        if (error !== null) this._complete(token, new Error(error))
        else this._complete(token, null, ackPacket('unsuback', messageId))
        break
      }
      case KIND.RECONNECT:
        this.emit('reconnect')
        break
      case KIND.OFFLINE:
        this.reconnecting = true
        this.emit('offline')
        break
      case KIND.CLOSE:
        this.connected = false
        this.emit('close')
        break
      case KIND.ERROR: {
        const message = r.string()
        const codeKind = r.u8()
        let err
        if (codeKind === 2) {
          err = new ErrorWithReasonCode(message, r.u32())
        } else {
          err = new Error(message)
          if (codeKind === 1) err.code = r.string()
        }
        this.emit('error', err)
        break
      }
      case KIND.OUTGOING_EMPTY:
        this.emit('outgoingEmpty')
        break
      case KIND.DISCONNECT:
        this.emit('disconnect', fixedHeader('disconnect', 0))
        break
      case KIND.TERMINATED:
        this._terminated = true
        this.connected = false
        this._failAllPending()
        if (this.disconnecting) this._finishEnd()
        break
      default:
        r.failed = true
        throw new Error(`mqtt-napi: unknown event kind ${kind} (engine and shim out of sync)`)
    }
  }

  _onSubscribeDone (token, messageId, error, granted) {
    const entry = this._pending.get(token)
    if (!entry) return
    this._pending.delete(token)
    if (error !== null) {
      entry.callback(new ErrorWithSubackPacket(error, undefined))
      return
    }
    const packet = ackPacket('suback', messageId, { length: 2 + granted.length, granted })
    const failure = granted.find((code) => (code & 0x80) !== 0)
    granted.forEach((code, i) => {
      entry.subs[i].qos = code
      if ((code & 0x80) !== 0) delete this._resubscribeTopics[entry.subs[i].topic]
    })
    if (failure !== undefined) {
      entry.callback(new ErrorWithSubackPacket(`Subscribe error: ${ReasonCodes[failure]}`, packet), packet)
    } else {
      entry.callback(null, packet)
    }
  }

  /** Nothing may wait forever: the engine is gone, so every callback fails. */
  _failAllPending () {
    const pending = [...this._pending.keys()]
    for (const token of pending) this._complete(token, new Error('Connection closed'))
  }

  _finishEnd () {
    this.disconnected = true
    this.emit('end')
    const callbacks = this._endCallbacks
    this._endCallbacks = []
    for (const cb of callbacks) cb()
  }
}

module.exports = { MqttClient }
