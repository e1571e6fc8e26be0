'use strict'
// publish(): callbacks, packets on the wire, offline queueing, validation.
const { defineScenarios } = require('./runner')

const OPTS = { clientId: 'diff-pub', reconnectPeriod: 0 }

defineScenarios([
  {
    name: 'QoS 0 publish: callback without arguments, one PUBLISH',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/q0', 'zero', t.cb('pub'))
      await t.waitFor('cb.pub')
      await t.end(c)
    }
  },
  {
    name: 'a QoS 0 callback on a connected client runs inside publish()',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/sync', 'x', t.cb('pub'))
      t.note('publish returned', true)
      await t.end(c)
    }
  },
  {
    name: 'QoS 1 publish: callback gets the publish packet after PUBACK',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/q1', 'one', { qos: 1 }, t.cb('pub'))
      await t.waitFor('cb.pub')
      await t.end(c)
    }
  },
  {
    name: 'QoS 2 publish: PUBLISH, PUBREL, callback after PUBCOMP',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/q2', 'two', { qos: 2 }, t.cb('pub'))
      await t.waitFor('cb.pub')
      await t.end(c)
    }
  },
  {
    name: 'retain flag and Buffer payload reach the broker',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/retained', Buffer.from([0x68, 0x69]), { qos: 1, retain: true }, t.cb('pub'))
      await t.waitFor('cb.pub')
      await t.end(c)
    }
  },
  {
    name: 'empty, null and undefined payloads are sent as zero bytes',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/empty', '', t.cb('empty'))
      c.publish('p/null', null, t.cb('null'))
      c.publish('p/undefined', undefined, { qos: 1 }, t.cb('undefined'))
      await t.waitFor('cb.undefined')
      await t.end(c)
    }
  },
  {
    name: 'Uint8Array payload',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/u8', new Uint8Array([49, 50, 51]), { qos: 1 }, t.cb('pub'))
      await t.waitFor('cb.pub')
      await t.end(c)
    }
  },
  {
    name: 'many publishes of mixed QoS keep their order on the wire and in callbacks',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      for (let i = 0; i < 12; i++) c.publish(`p/seq/${i}`, `m${i}`, { qos: i % 3 }, t.cb(`pub${i}`))
      await t.waitFor((e) => e.key.startsWith('cb.pub'), 12)
      await t.end(c)
    }
  },
  {
    name: 'cbStorePut is called for QoS 1/2 publishes, before their callback',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      for (const qos of [0, 1, 2]) c.publish(`p/store${qos}`, 'x', { qos, cbStorePut: t.cb(`stored${qos}`) }, t.cb(`pub${qos}`))
      await t.waitFor('cb.pub2')
      await t.end(c)
    }
  },
  {
    name: 'publish options as null and the callback in third position',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/nullopts', 'x', null, t.cb('a'))
      c.publish('p/cb3', 'y', t.cb('b'))
      await t.waitFor('cb.b')
      await t.end(c)
    }
  },
  {
    name: 'publishAsync resolves with undefined for QoS 0 and the packet for QoS 1/2',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      t.note('q0', await c.publishAsync('p/a0', 'a'))
      t.note('q1', await c.publishAsync('p/a1', 'b', { qos: 1 }))
      t.note('q2', await c.publishAsync('p/a2', 'c', { qos: 2, retain: true }))
      await t.end(c)
    }
  },
  {
    name: 'publish before connect is queued and flushed after CONNACK, in order',
    async run (t) {
      const c = t.connect(t.url, OPTS)
      c.publish('p/early0', 'a', t.cb('q0'))
      c.publish('p/early1', 'b', { qos: 1 }, t.cb('q1'))
      c.publish('p/early2', 'c', { qos: 2 }, t.cb('q2'))
      t.state(c, 'before-connect')
      await t.waitFor('cb.q2')
      await t.waitFor('cb.q0')
      await t.end(c)
    },
    diverges: {
      because: 'MQTT.js replays queued QoS 1/2 publishes one round trip at a time, then sends queued QoS 0 ones; the engine pipelines them all at once, so the QoS 0 callback comes first (connect still follows the last one, as in MQTT.js)',
      expect (mqttjs, napi) {
        const keys = (t) => t.events.map(([key]) => key)
        expect(keys(mqttjs)).toEqual(['note.before-connect', 'cb.q1', 'cb.q2', 'cb.q0', 'c.connect', 'c.close', 'c.end', 'cb.end.c'])
        expect(keys(napi)).toEqual(['note.before-connect', 'cb.q0', 'cb.q1', 'cb.q2', 'c.connect', 'c.close', 'c.end', 'cb.end.c'])
        // Same packets; only where the QoS 0 publish and the PUBREL fall differs.
        const sorted = (t) => t.wire.map((p) => JSON.stringify(p)).sort()
        expect(sorted(napi)).toEqual(sorted(mqttjs))
        expect(napi.wire.map((p) => p.cmd)).toEqual(['connect', 'publish', 'publish', 'publish', 'pubrel', 'disconnect'])
      }
    }
  },
  {
    name: 'queueQoSZero false: a QoS 0 publish before connect fails with "No connection to broker"',
    async run (t) {
      const c = t.connect(t.url, { ...OPTS, queueQoSZero: false })
      c.publish('p/noqueue', 'x', t.cb('q0'))
      await t.waitFor('cb.q0')
      await t.waitFor('c.connect')
      t.note('queueQoSZero', c.queueQoSZero)
      await t.end(c)
    }
  },
  {
    name: 'queueQoSZero false: the "No connection to broker" callback runs inside publish()',
    async run (t) {
      const c = t.connect(t.url, { ...OPTS, queueQoSZero: false })
      c.publish('p/noqueue', 'x', t.cb('q0'))
      t.note('publish returned')
      await t.waitFor('c.connect')
      await t.end(c)
    }
  },
  {
    name: 'publish after end(): callback error "client disconnecting", nothing sent',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-pub-end' })
      await t.end(c)
      c.publish('p/late', 'x', { qos: 1 }, t.cb('late'))
      t.note('disconnecting', c.disconnecting)
    }
  },
  {
    name: 'publish after end() without a callback: error event "client disconnecting"',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-pub-end2' })
      await t.end(c)
      c.publish('p/late', 'x')
      await t.waitFor('c.error')
    }
  },
  {
    name: 'publishAsync after end() rejects with "client disconnecting"',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-pub-end3' })
      await c.endAsync()
      t.note('rejected', await c.publishAsync('p/late', 'x').catch((err) => err))
    }
  },
  {
    name: 'invalid payload types throw the TypeError Buffer raises',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      try {
        c.publish('p/bad', 42)
        t.note('threw', false)
      } catch (err) {
        t.note('threw', err)
      }
      await t.end(c, true)
    }
  },
  {
    name: 'a wildcard topic name fails the publish callback; nothing is sent',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/+/bad', 'x', { qos: 1 }, t.cb('pub'))
      await t.sleep(100)
      t.state(c, 'after')
      await t.end(c, true)
    },
    diverges: {
      because: 'MQTT.js sends a PUBLISH with a wildcard topic name [MQTT-3.3.2-2] and waits forever; here the callback fails and nothing is sent',
      expect (mqttjs, napi) {
        expect(mqttjs.wire.map((p) => p.cmd)).toEqual(['connect', 'publish'])
        expect(napi.wire.map((p) => p.cmd)).toEqual(['connect'])
        const [, err] = napi.events.find(([key]) => key === 'cb.pub')
        expect(err.message).toMatch(/Invalid topic p\/\+\/bad/)
      }
    }
  },
  {
    name: 'the dup option is not sent on a first transmission',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('p/dup', 'x', { qos: 1, dup: true }, t.cb('pub'))
      await t.waitFor('cb.pub')
      await t.end(c)
    },
    diverges: {
      because: 'DUP=1 means "a resend" [MQTT-3.3.1-1]: the engine sets it only when it resends; MQTT.js copies the option onto the wire',
      napiExpected (mqttjs) {
        for (const p of mqttjs.wire) if (p.cmd === 'publish') p.dup = false
        for (const e of mqttjs.events) if (e[0] === 'cb.pub' && e[2]) e[2].dup = false
        return mqttjs
      }
    }
  }
])
