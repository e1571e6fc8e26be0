'use strict'
// subscribe() / unsubscribe(): argument shapes, granted QoS, failures,
// validation, batching, the Promise API.
const { defineScenarios } = require('./runner')

const OPTS = { clientId: 'diff-sub', reconnectPeriod: 0 }

/** Runs `body(client)` on a connected client, then ends it gracefully. */
function withClient (body, opts = OPTS) {
  return async (t) => {
    const c = await t.connected(t.url, opts)
    await body(t, c)
    await t.end(c)
  }
}

defineScenarios([
  {
    name: 'subscribe(string): granted [{ topic, qos }] and the SUBACK packet',
    run: withClient(async (t, c) => {
      c.subscribe('s/one', t.cb('sub'))
      await t.waitFor('cb.sub')
    })
  },
  {
    name: 'subscribe(string, { qos: 2 })',
    run: withClient(async (t, c) => {
      c.subscribe('s/q2', { qos: 2 }, t.cb('sub'))
      await t.waitFor('cb.sub')
    })
  },
  {
    name: 'subscribe(array, { qos: 1 }): one SUBSCRIBE with every topic',
    run: withClient(async (t, c) => {
      c.subscribe(['s/a', 's/b/+', 's/c/#'], { qos: 1 }, t.cb('sub'))
      await t.waitFor('cb.sub')
    })
  },
  {
    name: 'subscribe({ topic: { qos } }): per-topic QoS',
    run: withClient(async (t, c) => {
      c.subscribe({ 's/m0': { qos: 0 }, 's/m1': { qos: 1 }, 's/m2': { qos: 2 } }, t.cb('sub'))
      await t.waitFor('cb.sub')
    })
  },
  {
    name: 'the broker grants a lower QoS: the callback reports what was granted',
    broker: { suback: (packet) => packet.subscriptions.map(() => 0) },
    run: withClient(async (t, c) => {
      c.subscribe({ 's/g1': { qos: 1 }, 's/g2': { qos: 2 } }, t.cb('sub'))
      await t.waitFor('cb.sub')
    })
  },
  {
    name: 'SUBACK failure (128): ErrorWithSubackPacket "Subscribe error: Unspecified error"',
    broker: { suback: (packet) => packet.subscriptions.map((s) => (s.topic === 's/denied' ? 128 : s.qos)) },
    run: withClient(async (t, c) => {
      c.subscribe(['s/ok', 's/denied'], { qos: 1 }, t.cb('sub'))
      const [err] = (await t.waitFor('cb.sub')).args
      t.note('error own properties', Object.getOwnPropertyNames(err).sort())
      // The refused topic is forgotten: subscribing again sends it again.
      c.subscribe('s/denied', { qos: 1 }, t.cb('again'))
      await t.waitFor('cb.again')
    })
  },
  {
    name: 'invalid topic filters: "Invalid topic x" via the callback, nothing sent',
    run: withClient(async (t, c) => {
      c.subscribe('s/#/bad', t.cb('hash'))
      c.subscribe(['s/ok', 's/a+b'], t.cb('plus'))
      c.subscribe({ 's/x#': { qos: 0 } }, t.cb('map'))
      c.subscribe([], t.cb('empty'))
      await t.waitFor('cb.empty')
      t.note('sync', 'after calls')
    })
  },
  {
    name: 'subscribing again at the same or lower QoS is skipped: callback(null, [])',
    run: withClient(async (t, c) => {
      c.subscribe('s/dup', { qos: 1 }, t.cb('first'))
      await t.waitFor('cb.first')
      c.subscribe('s/dup', { qos: 1 }, t.cb('same'))
      c.subscribe('s/dup', { qos: 0 }, t.cb('lower'))
      c.subscribe('s/dup', { qos: 2 }, t.cb('higher'))
      await t.waitFor('cb.higher')
    })
  },
  {
    name: 'the resubscribe flag in a topic map forces a SUBSCRIBE',
    run: withClient(async (t, c) => {
      c.subscribe('s/force', t.cb('first'))
      await t.waitFor('cb.first')
      c.subscribe({ 's/force': { qos: 0 }, resubscribe: true }, t.cb('forced'))
      await t.waitFor('cb.forced')
    })
  },
  {
    name: 'resubscribe:false: nothing is remembered, a repeated subscribe is sent again',
    run: withClient(async (t, c) => {
      c.subscribe('s/norem', t.cb('first'))
      await t.waitFor('cb.first')
      c.subscribe('s/norem', t.cb('second'))
      await t.waitFor('cb.second')
    }, { ...OPTS, resubscribe: false })
  },
  {
    name: 'subscribeBatchSize splits a large subscribe into several SUBSCRIBE packets',
    run: withClient(async (t, c) => {
      c.subscribe(['b/1', 'b/2', 'b/3', 'b/4', 'b/5'], { qos: 1 }, t.cb('sub'))
      await t.waitFor('cb.sub')
    }, { ...OPTS, reconnectPeriod: 1000, subscribeBatchSize: 2 })
  },
  {
    // The callback sees the grants of the packets answered before the refusal, and the
    // QoS asked for the others. Refused topics are forgotten, those of the call's later
    // packets too: subscribing to them again is sent, a granted topic is skipped. (A
    // topic sharing a packet with a refused one is left out: MQTT.js forgets it too.)
    name: 'subscribeBatchSize: the first SUBACK that refuses a topic fails the call at once',
    broker: { suback: (packet) => packet.subscriptions.map((s) => (s.topic === 'bf/4' || s.topic === 'bf/5' ? 128 : 0)) },
    run: withClient(async (t, c) => {
      c.subscribe(['bf/1', 'bf/2', 'bf/3', 'bf/4', 'bf/5'], { qos: 1 }, t.cb('sub'))
      await t.waitFor('cb.sub')
      await t.received('subscribe', 3)
      await t.sleep(100)
      c.subscribe(['bf/5', 'bf/4', 'bf/1'], { qos: 1 }, t.cb('again'))
      await t.waitFor('cb.again')
      await t.sleep(50)
    }, { ...OPTS, reconnectPeriod: 1000, subscribeBatchSize: 2 })
  },
  {
    name: 'subscribeBatchSize: the connection drops with a packet unanswered: one "Connection closed", earlier grants kept',
    broker: {
      // The third SUBSCRIBE is never answered.
      onPacket: (packet) => packet.cmd === 'subscribe' && packet.subscriptions[0].topic === 'bd/3',
      suback: (packet) => packet.subscriptions.map(() => 0)
    },
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-sub-batch-drop', reconnectPeriod: 0, subscribeBatchSize: 1 })
      c.subscribe(['bd/1', 'bd/2', 'bd/3'], { qos: 1 }, t.cb('sub'))
      await t.received('subscribe', 3)
      await t.sleep(100)
      t.broker.connections[0].destroy()
      await t.waitFor('cb.sub')
      await t.sleep(50)
      await t.end(c)
    }
  },
  {
    name: 'subscribeAsync resolves with the granted list, rejects on failure',
    broker: { suback: (packet) => packet.subscriptions.map((s) => (s.topic === 'sa/no' ? 128 : s.qos)) },
    run: withClient(async (t, c) => {
      t.note('granted', await c.subscribeAsync(['sa/1', 'sa/2'], { qos: 1 }))
      t.note('rejected', await c.subscribeAsync('sa/no').catch((err) => err))
    })
  },
  {
    name: 'subscribe after end(): "client disconnecting"',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-sub-end' })
      await t.end(c)
      c.subscribe('s/late', t.cb('late'))
      t.note('rejected', await c.subscribeAsync('s/late').catch((err) => err))
    }
  },
  {
    name: 'subscribe before connect is queued and sent after CONNACK',
    async run (t) {
      const c = t.connect(t.url, OPTS)
      c.subscribe('s/early', { qos: 1 }, t.cb('sub'))
      await t.waitFor('cb.sub')
      await t.end(c)
    }
  },
  {
    name: 'subscribe before connect with subscribeBatchSize: its packets go out after CONNACK, one callback',
    broker: { suback: (packet) => packet.subscriptions.map(() => 1) },
    async run (t) {
      const c = t.connect(t.url, { ...OPTS, subscribeBatchSize: 2 })
      c.subscribe({ 'se/1': { qos: 2 }, 'se/2': { qos: 0 }, 'se/3': { qos: 2 } }, t.cb('sub'))
      await t.waitFor('cb.sub')
      await t.sleep(50)
      await t.end(c)
    }
  },
  {
    name: 'no SUBACK before the connection drops: "Connection closed" via ErrorWithSubackPacket',
    broker: { suback: false },
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-sub-drop', reconnectPeriod: 0 })
      c.subscribe('s/never', t.cb('sub'))
      await t.received('subscribe')
      t.broker.connections[0].destroy()
      await t.waitFor('cb.sub')
      await t.end(c)
    }
  },
  {
    name: 'unsubscribe(string) and unsubscribe(array): UNSUBACK packet in the callback',
    run: withClient(async (t, c) => {
      c.unsubscribe('u/one', t.cb('one'))
      c.unsubscribe(['u/a', 'u/b/#'], t.cb('many'))
      await t.waitFor('cb.many')
    })
  },
  {
    name: 'unsubscribe forgets the topic: subscribing again is sent',
    run: withClient(async (t, c) => {
      c.subscribe('u/again', t.cb('sub'))
      await t.waitFor('cb.sub')
      c.unsubscribe('u/again', t.cb('unsub'))
      await t.waitFor('cb.unsub')
      c.subscribe('u/again', t.cb('resub'))
      await t.waitFor('cb.resub')
    })
  },
  {
    name: 'unsubscribe with an invalid filter: "Invalid topic" via the callback, nothing sent',
    run: withClient(async (t, c) => {
      c.unsubscribe('u/#/x', t.cb('bad'))
      c.unsubscribe([], t.cb('empty'))
      await t.waitFor('cb.empty')
    })
  },
  {
    name: 'unsubscribeAsync resolves with the UNSUBACK packet; after end() it rejects',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-unsub-async' })
      t.note('unsuback', await c.unsubscribeAsync('ua/x'))
      await t.end(c)
      t.note('rejected', await c.unsubscribeAsync('ua/x').catch((err) => err))
    }
  },
  {
    // Only the wire is compared: which callback runs first depends, in MQTT.js, on
    // how the broker's answers are split across socket reads.
    name: 'subscribe, unsubscribe and publish keep their call order on the wire',
    run: withClient(async (t, c) => {
      await new Promise((resolve) => {
        let remaining = 4
        const done = () => --remaining === 0 && resolve()
        c.subscribe('o/1', done)
        c.publish('o/1', 'a', { qos: 1 }, done)
        c.unsubscribe('o/1', done)
        c.publish('o/2', 'b', done)
      })
    })
  },
  {
    name: 'calls after end() with reconnectPeriod 0 fail with "Connection closed"',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      await t.end(c)
      t.state(c, 'ended')
      const attempt = (name, call) => {
        try {
          call(t.cb(name))
        } catch (err) {
          t.note(`${name} threw`, err)
        }
      }
      attempt('publish', (cb) => c.publish('late/p', 'x', { qos: 1 }, cb))
      attempt('subscribe', (cb) => c.subscribe('late/s', cb))
      attempt('unsubscribe', (cb) => c.unsubscribe('late/u', cb))
      await t.sleep(200)
    },
    diverges: {
      because: 'MQTT.js resets `disconnecting` after end() when it will not reconnect: a QoS 1 publish then throws from its closed store and (un)subscribe callbacks never run; here each callback gets "Connection closed"',
      expect (mqttjs, napi) {
        const keys = (t) => t.events.map(([key]) => key)
        expect(keys(mqttjs)).toContain('note.publish threw')
        expect(keys(mqttjs)).not.toContain('cb.subscribe')
        expect(napi.events.filter(([key]) => /^cb\.(publish|subscribe|unsubscribe)$/.test(key)).map(([key, err]) => [key, err.message]))
          .toEqual([['cb.publish', 'Connection closed'], ['cb.subscribe', 'Connection closed'], ['cb.unsubscribe', 'Connection closed']])
        expect(napi.wire).toEqual(mqttjs.wire)
      }
    }
  }
])
