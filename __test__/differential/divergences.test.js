'use strict'
// README divergence rows not asserted by a scenario elsewhere: each one here
// runs against both clients and pins the exact difference.
const { defineScenarios } = require('./runner')

const OPTS = { clientId: 'diff-div', reconnectPeriod: 0 }

defineScenarios([
  {
    name: 'a SUBACK refusing one filter of a packet: what is resubscribed after a reconnect',
    broker: { suback: (packet) => packet.subscriptions.map((s) => (s.topic === 'pr/no' ? 128 : 1)) },
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-partial-refusal', reconnectPeriod: 100 })
      c.subscribe(['pr/yes', 'pr/no'], { qos: 1 }, t.cb('sub'))
      await t.waitFor('cb.sub')
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.sleep(300)
      await t.end(c)
    },
    diverges: {
      because: 'MQTT.js forgets every topic of a SUBACK that refuses one; the broker granted the others, so mqtt-napi resubscribes them',
      expect (mqttjs, napi) {
        const subscribes = (t) => t.wire.filter((p) => p.cmd === 'subscribe').map((p) => p.subscriptions.map((s) => s.topic))
        expect(subscribes(mqttjs)).toEqual([['pr/yes', 'pr/no']])
        expect(subscribes(napi)).toEqual([['pr/yes', 'pr/no'], ['pr/yes']])
      }
    }
  },
  {
    name: 'packetsend gets the PUBLISH payload as a Buffer',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.on('packetsend', (p) => { if (p.cmd === 'publish') t.note('payload is a Buffer', Buffer.isBuffer(p.payload)) })
      c.publish('d/payload', 'text', { qos: 1 }, t.cb('pub'))
      await t.waitFor('cb.pub')
      await t.end(c)
    },
    diverges: {
      because: 'payloads cross into the engine once, as bytes: packetsend reports those bytes (a Buffer), MQTT.js the caller\'s value',
      expect (mqttjs, napi) {
        const note = (t) => t.events.find(([key]) => key === 'note.payload is a Buffer')[1]
        expect(note(mqttjs)).toBe(false)
        expect(note(napi)).toBe(true)
        expect(napi.wire).toEqual(mqttjs.wire)
      }
    }
  },
  {
    name: 'QoS 0 callback with a packetsend listener',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.on('packetsend', (p) => { if (p.cmd === 'publish') t.note('packetsend', p.topic) })
      c.publish('d/q0', 'x', { qos: 0 }, t.cb('pub'))
      t.note('publish() returned', true)
      await t.waitFor('cb.pub')
      await t.end(c)
    },
    diverges: {
      because: 'MQTT.js writes inside publish() and calls back there; the engine writes on its own thread, so packetsend and the callback come after publish() returns, packetsend first',
      expect (mqttjs, napi) {
        const keys = (t) => t.events.map(([key]) => key).slice(1, 4)
        expect(keys(mqttjs)).toEqual(['note.packetsend', 'cb.pub', 'note.publish() returned'])
        expect(keys(napi)).toEqual(['note.publish() returned', 'note.packetsend', 'cb.pub'])
        expect(napi.wire).toEqual(mqttjs.wire)
      }
    }
  },
  {
    name: 'options given as a JSON string to connect, publish and subscribe',
    async run (t) {
      let c
      try {
        c = t.connect(t.url, JSON.stringify({ ...OPTS, clientId: 'diff-json' }))
      } catch (err) {
        t.note('connect threw', err)
        c = t.connect(t.url, { ...OPTS, clientId: 'diff-json' })
      }
      await t.waitFor('c.connect')
      try {
        c.subscribe('d/json', JSON.stringify({ qos: 1 }), t.cb('sub'))
      } catch (err) {
        t.note('subscribe threw', err)
      }
      try {
        c.publish('d/json', 'x', JSON.stringify({ qos: 1 }), t.cb('pub'))
      } catch (err) {
        t.note('publish threw', err)
      }
      await t.sleep(200)
      await t.end(c, true)
    },
    diverges: {
      because: 'existing user code passes JSON.stringify(opts); MQTT.js ignores a string (random clientId, QoS 0), mqtt-napi parses it',
      expect (mqttjs, napi) {
        const wire = (t, cmd) => t.wire.find((p) => p.cmd === cmd)
        expect(wire(mqttjs, 'connect').clientId).toBe('mqttjs_*')
        expect(wire(napi, 'connect').clientId).toBe('diff-json')
        expect(wire(mqttjs, 'subscribe').subscriptions).toEqual([{ topic: 'd/json', qos: 0 }])
        expect(wire(napi, 'subscribe').subscriptions).toEqual([{ topic: 'd/json', qos: 1 }])
        expect(wire(mqttjs, 'publish').qos).toBe(0)
        expect(wire(napi, 'publish').qos).toBe(1)
        expect(napi.events.filter(([key]) => key.endsWith('threw'))).toEqual([])
      }
    }
  },
  {
    name: 'offlineQueueMaxBytes bounds the bytes that wait for a connection',
    broker: { connack: null },
    async run (t) {
      const c = t.connect(t.url, { ...OPTS, connectTimeout: 5000, offlineQueueMaxBytes: 25 })
      // topic (5 bytes) + payload (6 bytes) = 11 bytes each: two fit in 25, the third does not
      for (let i = 1; i <= 3; i++) c.publish(`off/${i}`, 'xxxxxx', { qos: 1 }, t.cb(`pub${i}`))
      await t.sleep(200)
      await t.end(c, true)
    },
    diverges: {
      because: 'MQTT.js queues without limit; the engine option offlineQueueMaxBytes (topic + payload bytes) rejects at once what does not fit',
      expect (mqttjs, napi) {
        const callbacks = (t) => t.events.filter(([key]) => key.startsWith('cb.pub')).map(([key, err]) => [key, err && err.message])
        expect(callbacks(mqttjs)).toEqual([['cb.pub1', 'Connection closed'], ['cb.pub2', 'Connection closed'], ['cb.pub3', 'Connection closed']])
        expect(callbacks(napi)).toEqual([
          ['cb.pub3', expect.stringMatching(/^Offline queue full \(2 messages, 22 bytes queued\)/)],
          ['cb.pub1', 'Connection closed'],
          ['cb.pub2', 'Connection closed']
        ])
      }
    }
  },
  {
    name: 'subscribe with an empty topic filter',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.subscribe('', t.cb('sub'))
      await t.sleep(150)
      await t.end(c, true)
    },
    diverges: {
      because: 'a topic filter must not be empty [MQTT-4.7.3-1]: MQTT.js sends it (and a broker may drop the connection); here the callback fails and nothing is sent',
      expect (mqttjs, napi) {
        expect(mqttjs.wire.map((p) => p.cmd)).toEqual(['connect', 'subscribe'])
        expect(napi.wire.map((p) => p.cmd)).toEqual(['connect'])
        const [, err] = napi.events.find(([key]) => key === 'cb.sub')
        expect(err.message).toMatch(/^Invalid topic .*empty \[MQTT-4\.7\.3-1\]/)
      }
    }
  },
  {
    name: 'publish to an empty topic',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('', 'x', { qos: 1 }, t.cb('pub'))
      await t.sleep(150)
      await t.end(c, true)
    },
    diverges: {
      because: 'MQTT.js drops a publish to an empty topic without a word and calls back only at end(); here the callback fails at once [MQTT-4.7.3-1]',
      expect (mqttjs, napi) {
        expect(mqttjs.wire.map((p) => p.cmd)).toEqual(['connect'])
        expect(napi.wire.map((p) => p.cmd)).toEqual(['connect'])
        const pubError = (t) => t.events.find(([key]) => key === 'cb.pub')[1].message
        expect(pubError(mqttjs)).toBe('Connection closed') // settled by end(true)
        expect(pubError(napi)).toMatch(/^Invalid topic.*empty \[MQTT-4\.7\.3-1\]/)
      }
    }
  }
])
