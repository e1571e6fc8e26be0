'use strict'
// The module's other exports: what they are and how they behave, compared
// value by value.
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { pathToFileURL } = require('node:url')
const { defineScenarios } = require('./runner')

const ENTRY = { mqtt: require.resolve('mqtt'), napi: path.resolve(__dirname, '..', '..') }

/** Reads every packet a Store's createStream() yields. */
function drain (stream) {
  return new Promise((resolve, reject) => {
    const packets = []
    stream.on('data', (packet) => packets.push(packet))
    stream.on('end', () => resolve(packets))
    stream.on('error', reject)
  })
}

const NO_BROKER = { broker: false }

defineScenarios([
  {
    ...NO_BROKER,
    name: 'module exports: the documented names, with their kinds',
    run (t) {
      const names = ['connect', 'connectAsync', 'MqttClient', 'Client', 'ErrorWithReasonCode', 'ErrorWithSubackPacket',
        'ReasonCodes', 'Store', 'DefaultMessageIdProvider', 'UniqueMessageIdProvider', 'validateTopic', 'validateTopics', 'default']
      const mod = require(ENTRY[t.impl])
      t.note('kinds', Object.fromEntries(names.map((name) => [name, typeof mod[name]])))
      t.note('Client is MqttClient', mod.Client === mod.MqttClient)
      t.note('default has connect', typeof mod.default.connect)
      t.note('default.MqttClient', mod.default.MqttClient === mod.MqttClient)
    }
  },
  {
    ...NO_BROKER,
    name: 'ESM: named exports and a default export',
    run (t) {
      // jest cannot import() ESM without a flag: ask a child Node process.
      const specifier = t.impl === 'mqtt' ? pathToFileURL(require.resolve('mqtt')).href : pathToFileURL(path.resolve(__dirname, '..', '..', 'lib', 'index.mjs')).href
      const names = ['connect', 'connectAsync', 'MqttClient', 'Client', 'ErrorWithReasonCode', 'ErrorWithSubackPacket',
        'ReasonCodes', 'Store', 'DefaultMessageIdProvider', 'UniqueMessageIdProvider', 'validateTopic', 'validateTopics', 'MQTTJS_VERSION']
      const script = `import mqtt, * as esm from ${JSON.stringify(specifier)}
        const names = ${JSON.stringify(names)}
        console.log(JSON.stringify({ named: Object.fromEntries(names.map((n) => [n, typeof esm[n]])), defaultConnect: typeof mqtt.connect }))`
      const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }))
      t.note('named', out.named)
      t.note('default.connect', out.defaultConnect)
    }
  },
  {
    ...NO_BROKER,
    name: 'validateTopic and validateTopics',
    run (t) {
      const topics = ['a/b', 'a/+/c', 'a/#', '#', '+', 'a/#/c', 'a+/b', 'a/b#', '', '/', 'a//b', '+/+/#', 'sport/tennis#']
      t.note('validateTopic', topics.map((topic) => t.mqtt.validateTopic(topic)))
      t.note('validateTopics', [t.mqtt.validateTopics(['a', 'b/+']), t.mqtt.validateTopics(['a', 'b#']), t.mqtt.validateTopics([])])
    }
  },
  {
    ...NO_BROKER,
    name: 'ReasonCodes: the same table',
    run (t) {
      t.note('ReasonCodes', t.mqtt.ReasonCodes)
    }
  },
  {
    ...NO_BROKER,
    name: 'ErrorWithReasonCode and ErrorWithSubackPacket: message, code, packet, name, instanceof',
    run (t) {
      const a = new t.mqtt.ErrorWithReasonCode('refused', 5)
      const packet = { cmd: 'suback', granted: [128], messageId: 3 }
      const b = new t.mqtt.ErrorWithSubackPacket('Subscribe error', packet)
      t.note('reason code error', { message: a.message, code: a.code, name: a.name, isError: a instanceof Error, isOwn: a instanceof t.mqtt.ErrorWithReasonCode })
      t.note('suback error', { message: b.message, packet: b.packet, name: b.name, isError: b instanceof Error, isOwn: b instanceof t.mqtt.ErrorWithSubackPacket })
    }
  },
  {
    ...NO_BROKER,
    name: 'ErrorWithReasonCode and ErrorWithSubackPacket: own properties are only message, stack and code / packet',
    run (t) {
      const a = new t.mqtt.ErrorWithReasonCode('refused', 5)
      const b = new t.mqtt.ErrorWithSubackPacket('Subscribe error', { cmd: 'suback', granted: [128], messageId: 3 })
      t.note('own properties', [Object.getOwnPropertyNames(a).sort(), Object.getOwnPropertyNames(b).sort()])
      t.note('enumerable', [Object.keys(a), Object.keys(b)])
    }
  },
  {
    ...NO_BROKER,
    name: 'MQTTJS_VERSION: a version string, the same as MqttClient.VERSION',
    run (t) {
      const mod = require(ENTRY[t.impl])
      t.note('kinds', [typeof mod.MQTTJS_VERSION, typeof mod.MqttClient.VERSION])
      t.note('same', mod.MQTTJS_VERSION === mod.MqttClient.VERSION)
      t.note('semver', /^\d+\.\d+\.\d+/.test(mod.MQTTJS_VERSION))
    }
  },
  {
    ...NO_BROKER,
    name: 'Store: put, get, del, createStream, close',
    async run (t) {
      const store = new t.mqtt.Store()
      const results = []
      store.put({ cmd: 'publish', messageId: 1, topic: 'a', payload: 'x', qos: 1 }, () => results.push('put 1'))
      store.put({ cmd: 'publish', messageId: 2, topic: 'b', payload: 'y', qos: 2 }, () => results.push('put 2'))
      store.get({ messageId: 1 }, (err, packet) => results.push(['get 1', err, packet]))
      store.get({ messageId: 9 }, (err, packet) => results.push(['get 9', err && err.message, packet]))
      t.note('stream', await drain(store.createStream()))
      store.del({ messageId: 1 }, (err, packet) => results.push(['del 1', err, packet]))
      store.del({ messageId: 1 }, (err, packet) => results.push(['del 1 again', err && err.message, packet]))
      t.note('after del', await drain(store.createStream()))
      store.close(() => results.push('closed'))
      t.note('results', results)
      t.note('options', store.options)
    }
  },
  {
    ...NO_BROKER,
    name: 'Store({ clean: false }) keeps its packets on close',
    async run (t) {
      const store = new t.mqtt.Store({ clean: false })
      store.put({ cmd: 'publish', messageId: 4, topic: 'a', payload: 'x', qos: 1 })
      store.close()
      t.note('after close', await drain(store.createStream()))
    }
  },
  {
    ...NO_BROKER,
    name: 'UniqueMessageIdProvider: lowest free id, register, deallocate',
    run (t) {
      const ids = new t.mqtt.UniqueMessageIdProvider()
      const log = [ids.allocate(), ids.allocate(), ids.allocate(), ids.getLastAllocated()]
      ids.deallocate(2)
      log.push(ids.allocate(), ids.register(7), ids.register(7), ids.allocate())
      ids.clear()
      log.push(ids.allocate())
      t.note('ids', log)
    }
  },
  {
    ...NO_BROKER,
    name: 'DefaultMessageIdProvider: counts up from where it starts and wraps 65535 -> 1',
    run (t) {
      const ids = new t.mqtt.DefaultMessageIdProvider()
      t.note('starts in range', ids.nextId >= 1 && ids.nextId <= 65535)
      ids.nextId = 65534
      t.note('ids', [ids.allocate(), ids.allocate(), ids.getLastAllocated(), ids.allocate(), ids.register(5), ids.deallocate(5), ids.clear()])
    }
  },
  {
    ...NO_BROKER,
    name: 'MqttClient.defaultId(): mqttjs_ and 8 hex digits',
    run (t) {
      t.note('format', /^mqttjs_[0-9a-f]{1,8}$/.test(t.mqtt.MqttClient.defaultId()))
    }
  },
  {
    name: 'a client is an EventEmitter exposing MQTT.js\'s members',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-members' })
      const members = ['publish', 'publishAsync', 'subscribe', 'subscribeAsync', 'unsubscribe', 'unsubscribeAsync', 'end', 'endAsync',
        'reconnect', 'removeOutgoingMessage', 'getLastMessageId', 'handleMessage', 'connect', 'on', 'once', 'off', 'emit']
      t.note('methods', Object.fromEntries(members.map((name) => [name, typeof c[name]])))
      t.note('fields', { options: typeof c.options, queueQoSZero: c.queueQoSZero, connackPacket: c.connackPacket, incomingStore: typeof c.incomingStore, outgoingStore: typeof c.outgoingStore })
      t.note('instanceof MqttClient', c instanceof t.mqtt.MqttClient)
      t.note('chainable', [c.publish('m/x', 'x') === c, c.subscribe('m/y') === c, c.unsubscribe('m/y') === c])
      await t.end(c)
    }
  }
])
