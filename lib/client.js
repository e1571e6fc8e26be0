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
const { validateTopics } = require('./validations')

function noop () {}

function payloadBuffer (message) {
  if (message === undefined || message === null) return Buffer.alloc(0)
  if (typeof message === 'string' || Buffer.isBuffer(message) || message instanceof Uint8Array) {
    return toBuffer(message, 'message')
  }
  throw new TypeError(`Invalid payload: expected a string, Buffer or Uint8Array, got ${typeof message}`)
}

function publishLength (topic, payload, qos) {
  return 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + payload.length
}

// The packet objects MQTT.js (mqtt-packet) hands to callbacks and listeners.
function connackPacket (sessionPresent, returnCode) {
  return { cmd: 'connack', retain: false, qos: 0, dup: false, length: 2, topic: null, payload: null, sessionPresent, returnCode }
}

function ackPacket (cmd, messageId, extra) {
  return { cmd, retain: false, qos: 0, dup: false, length: 2, topic: null, payload: null, messageId, ...extra }
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
    if (!options.manualConnect) this.connect()
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
    const token = this._register({ kind: 'publish', callback, topic, payload, qos, retain })
    this._command(token, () => this._native.publish(topic, payload, Number(qos), !!retain, token))
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
    const reader = new BatchReader(buffer)
    let thrown = null
    while (!reader.done) {
      try {
        this._dispatch(reader)
      } catch (err) {
        // A listener threw: keep the stream consistent, rethrow outside the engine
        // (in MQTT.js a throwing listener is an uncaught exception too).
        if (thrown === null) thrown = err
        if (reader.failed) break
      }
    }
    if (thrown !== null) process.nextTick(() => { throw thrown })
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
        const flags = r.u8()
        const messageId = r.u16()
        const topic = r.string()
        const payload = r.bytes()
        const qos = flags & 3
        const packet = { cmd: 'publish', retain: (flags & 4) !== 0, qos, dup: (flags & 8) !== 0, length: publishLength(topic, payload, qos), topic, payload }
        if (qos > 0) packet.messageId = messageId
        this.emit('message', topic, payload, packet)
        break
      }
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
        this.emit('disconnect', { cmd: 'disconnect', retain: false, qos: 0, dup: false, length: 0, topic: null, payload: null })
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
