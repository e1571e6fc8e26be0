'use strict'
// Options beyond connecting: stores, messageIdProvider, log, properties,
// and options this package refuses or warns about.
const { defineScenarios } = require('./runner')

const OPTS = { clientId: 'diff-opt', reconnectPeriod: 0 }

/** Every packet a store holds, in order. */
function contents (store) {
  return new Promise((resolve, reject) => {
    const packets = []
    const stream = store.createStream()
    stream.on('data', (packet) => packets.push(packet))
    stream.on('end', () => resolve(packets))
    stream.on('error', reject)
  })
}

/**
 * A `log` option that keeps mqtt-napi's warnings (they also go to
 * process.emitWarning, once per process; `log` gets every one).
 */
function warningLog () {
  const warnings = []
  const log = (...args) => {
    const line = args.join(' ')
    if (line.startsWith('mqtt-napi :: ')) warnings.push(line.slice('mqtt-napi :: '.length))
  }
  return { log, warnings }
}

defineScenarios([
  {
    name: 'outgoingStore: an unacknowledged QoS 1/2 publish is in the store until its ack',
    broker: { puback: false, pubcomp: false },
    async run (t) {
      const store = new t.mqtt.Store()
      const c = await t.connected(t.url, { ...OPTS, outgoingStore: store })
      c.publish('st/q1', 'one', { qos: 1 }, t.cb('q1'))
      c.publish('st/q2', 'two', { qos: 2 }, t.cb('q2'))
      await t.received('pubrel')
      t.note('in flight', await contents(store))
      const conn = t.broker.connections[0]
      for (const p of t.broker.packets) {
        if (p.cmd === 'publish' && p.qos === 1) conn.send({ cmd: 'puback', messageId: p.messageId })
        if (p.cmd === 'pubrel') conn.send({ cmd: 'pubcomp', messageId: p.messageId })
      }
      await t.waitFor('cb.q2')
      await t.waitFor('cb.q1')
      t.note('after acks', await contents(store))
      t.note('client.outgoingStore is it', c.outgoingStore === store)
      await t.end(c)
    }
  },
  {
    name: 'outgoingStore.put failing: the publish callback gets the store\'s error',
    async run (t) {
      const store = new t.mqtt.Store()
      store.put = (packet, cb) => {
        cb(new Error('store full'))
        return store
      }
      // Made before the connection is up: MQTT.js reports a failed put to the
      // callback there (while connected, its QoS 1/2 path drops that error).
      const c = t.connect(t.url, { ...OPTS, outgoingStore: store })
      c.publish('st/fail', 'x', { qos: 1 }, t.cb('q1'))
      await t.waitFor('cb.q1')
      await t.waitFor('c.connect')
      // Forced: MQTT.js still counts the failed message as in flight.
      await t.end(c, true)
    },
    diverges: {
      because: 'MQTT.js stores an offline publish instead of queueing it, so a failed put means it is never sent; the engine queues it and puts it in the store when it is sent, so the message goes out and its callback gets the store\'s error when it completes',
      expect (mqttjs, napi) {
        const callback = (t) => t.events.find(([key]) => key === 'cb.q1')
        expect(callback(napi)).toEqual(callback(mqttjs))
        expect(callback(napi)).toEqual(['cb.q1', { $error: 'Error', message: 'store full' }])
        const publishes = (t) => t.wire.filter((p) => p.cmd === 'publish').length
        expect([publishes(mqttjs), publishes(napi)]).toEqual([0, 1])
      }
    }
  },
  {
    name: 'incomingStore: an inbound QoS 2 message is held until PUBREL',
    broker: { pubrel: false },
    async run (t) {
      const store = new t.mqtt.Store()
      const c = await t.connected(t.url, { ...OPTS, incomingStore: store })
      t.broker.connections[0].send({ cmd: 'publish', topic: 'st/in', payload: 'x', qos: 2, messageId: 21, retain: false, dup: false })
      await t.received('pubrec')
      await t.sleep(20)
      t.note('before PUBREL', await contents(store))
      t.broker.connections[0].send({ cmd: 'pubrel', messageId: 21 })
      await t.received('pubcomp')
      await t.sleep(20)
      t.note('after PUBREL', await contents(store))
      await t.end(c)
    }
  },
  {
    name: 'outgoingStore persisted by an earlier run is replayed on connect',
    async run (t) {
      const store = new t.mqtt.Store({ clean: false })
      store.put({ cmd: 'publish', topic: 'st/persisted', payload: Buffer.from('kept'), qos: 1, retain: false, messageId: 42, dup: false })
      const c = t.connect(t.url, { ...OPTS, outgoingStore: store })
      await t.waitFor('c.connect')
      await t.received('publish')
      await t.sleep(50)
      t.note('store afterwards', await contents(store))
      await t.end(c)
    },
    diverges: {
      because: 'the engine allocates packet ids, so a replayed message goes out under a new id (42 -> 1) [engine request: adopt stored ids]',
      napiExpected (mqttjs) {
        mqttjs.wire.find((p) => p.cmd === 'publish').messageId = 1
        return mqttjs
      }
    }
  },
  {
    name: 'reconnect({ outgoingStore }) after end(): the new store is used',
    broker: { puback: false },
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-restore' })
      await t.end(c)
      const store = new t.mqtt.Store()
      c.reconnect({ outgoingStore: store })
      await t.waitFor('c.connect', 2)
      c.publish('st/after', 'x', { qos: 1 }, t.cb('pub'))
      await t.received('publish')
      await t.sleep(20)
      t.note('store', await contents(store))
      t.note('client.outgoingStore is it', c.outgoingStore === store)
      t.broker.connections[1].send({ cmd: 'puback', messageId: t.broker.received('publish')[0].messageId })
      await t.waitFor('cb.pub')
      t.note('store after the ack', await contents(store))
      await t.end(c)
    }
  },
  {
    name: 'stores are closed by end() before the end event',
    async run (t) {
      const closing = (name, store) => {
        const close = store.close.bind(store)
        store.close = (cb) => {
          t.note('close', name)
          close(cb)
        }
        return store
      }
      const c = await t.connected(t.url, { ...OPTS, incomingStore: closing('incoming', new t.mqtt.Store()), outgoingStore: closing('outgoing', new t.mqtt.Store()) })
      await t.end(c)
    }
  },
  {
    name: 'a store closing with an error passes it to the end callback',
    async run (t) {
      const store = new t.mqtt.Store()
      store.close = (cb) => cb(new Error('disk gone'))
      const c = await t.connected(t.url, { ...OPTS, outgoingStore: store })
      await t.end(c)
    }
  },
  {
    name: 'messageIdProvider: accepted, ids come from the engine, with a warning',
    async run (t) {
      const provider = new t.mqtt.UniqueMessageIdProvider()
      const { log, warnings } = warningLog()
      const c = await t.connected(t.url, { ...OPTS, messageIdProvider: provider, log })
      await c.publishAsync('mid/1', 'x', { qos: 1 })
      t.note('provider used', provider.getLastAllocated() !== undefined)
      await t.end(c)
      t.note('warnings', warnings)
    },
    diverges: {
      because: 'the engine allocates packet ids (never one still in flight); a messageIdProvider cannot be honoured and is reported with a process warning',
      expect (mqttjs, napi) {
        const note = (t, key) => t.events.find(([k]) => k === `note.${key}`)[1]
        expect(note(mqttjs, 'provider used')).toBe(true)
        expect(note(napi, 'provider used')).toBe(false)
        expect(note(mqttjs, 'warnings')).toEqual([])
        expect(note(napi, 'warnings')).toEqual([expect.stringMatching(/messageIdProvider is not used/)])
        expect(napi.wire).toEqual(mqttjs.wire)
      }
    }
  },
  {
    name: 'log: called with the client\'s debug lines',
    async run (t) {
      const lines = []
      const c = await t.connected(t.url, { ...OPTS, log: (...args) => lines.push(args.join(' ')) })
      t.note('log is the option', c.options.log === c.log || typeof c.options.log === 'function')
      t.note('called', lines.length > 0)
      t.note('first line', lines[0].split(' ').slice(0, 3).join(' '))
      await t.end(c)
    }
  },
  {
    name: 'properties are kept in client.options (MQTT 5 only on the wire)',
    async run (t) {
      const properties = { sessionExpiryInterval: 60, receiveMaximum: 10 }
      const c = await t.connected(t.url, { ...OPTS, properties })
      t.note('properties', c.options.properties)
      await t.end(c)
    }
  },
  {
    name: 'ws:// to a closed port: connect() returns, then ECONNREFUSED and close, as over TCP',
    broker: false,
    async run (t) {
      const c = t.connect('ws://127.0.0.1:1/mqtt', { reconnectPeriod: 0 })
      await new Promise((resolve) => c.once('close', resolve))
      t.note('options', { protocol: c.options.protocol, port: c.options.port, path: c.options.path, wsOptions: c.options.wsOptions })
      c.end(true)
    }
  },
  {
    name: 'a socksProxy URL that cannot be a SOCKS proxy',
    broker: false,
    async run (t) {
      try {
        const c = t.connect('mqtt://127.0.0.1:1', { reconnectPeriod: 0, socksProxy: 'http://127.0.0.1:1' })
        t.note('threw', false)
        await t.waitFor('c.error')
        c.end(true)
      } catch (err) {
        t.note('threw', err)
      }
    },
    diverges: {
      because: 'a bad proxy URL is a bad option: connect() throws a TypeError naming socksProxy, where MQTT.js emits `error` (code SOCKS) on every connection attempt',
      expect (mqttjs, napi) {
        expect(mqttjs.events.find(([key]) => key === 'note.threw')[1]).toBe(false)
        expect(mqttjs.events.find(([key]) => key === 'c.error')[1]).toMatchObject({ code: 'SOCKS', message: 'bad SOCKS URL' })
        expect(napi.events.find(([key]) => key === 'note.threw')[1]).toMatchObject({ message: 'Invalid option socksProxy: unsupported scheme "http:" (expected socks4://, socks4a://, socks5:// or socks5h://)' })
      }
    }
  },
  {
    name: 'a PUBREL persisted in the outgoingStore by an earlier run',
    async run (t) {
      const { log, warnings } = warningLog()
      const store = new t.mqtt.Store({ clean: false })
      store.put({ cmd: 'pubrel', messageId: 42 })
      const c = t.connect(t.url, { ...OPTS, clientId: 'diff-pubrel', clean: false, outgoingStore: store, log })
      await t.waitFor('c.connect')
      await t.sleep(100)
      t.note('warnings', warnings)
      await t.end(c)
    },
    diverges: {
      because: 'the engine owns in-flight state and allocates ids: a PUBREL for an exchange it never started cannot be resumed, so it is dropped with a warning; MQTT.js sends it',
      expect (mqttjs, napi) {
        expect(mqttjs.wire.map((p) => p.cmd)).toEqual(['connect', 'pubrel', 'disconnect'])
        expect(napi.wire.map((p) => p.cmd)).toEqual(['connect', 'disconnect'])
        const warned = napi.events.find(([key]) => key === 'note.warnings')[1]
        expect(warned).toEqual([expect.stringMatching(/PUBREL/)])
      }
    }
  },
  {
    name: 'an outgoingStore without the Store methods is refused',
    broker: false,
    run (t) {
      try {
        // Only close(): enough for MQTT.js to end cleanly, not a Store.
        const c = t.connect('mqtt://127.0.0.1:1', { reconnectPeriod: 0, outgoingStore: { close: (cb) => cb && cb() } })
        t.note('threw', false)
        c.end(true)
      } catch (err) {
        t.note('threw', err)
      }
    },
    diverges: {
      because: 'MQTT.js accepts any object and fails later inside its internals; here the option is checked up front',
      expect (mqttjs, napi) {
        expect(mqttjs.events.find(([key]) => key === 'note.threw')[1]).toBe(false)
        expect(napi.events.find(([key]) => key === 'note.threw')[1]).toMatchObject({ $error: 'TypeError', message: expect.stringMatching(/outgoingStore/) })
      }
    }
  },
  {
    name: 'reschedulePings: false is accepted with a warning',
    async run (t) {
      const { log, warnings } = warningLog()
      const c = await t.connected(t.url, { ...OPTS, reschedulePings: false, log })
      t.note('option', c.options.reschedulePings)
      await t.end(c)
      t.note('warnings', warnings)
    },
    diverges: {
      because: 'the engine schedules PINGREQ by idle time in both directions; reschedulePings: false (ping on a fixed period) is reported with a process warning',
      napiExpected (mqttjs) {
        mqttjs.events.find(([key]) => key === 'note.warnings')[1] = ['option reschedulePings: false is not supported: PINGREQ is sent only after a keepalive period without traffic']
        return mqttjs
      }
    }
  }
])
