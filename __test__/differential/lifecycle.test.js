'use strict'
// end(), reconnect(), connect() again, state flags, outgoingEmpty, and what
// survives a reconnect: resubscription, resends, removeOutgoingMessage.
const { defineScenarios } = require('./runner')

const OPTS = { clientId: 'diff-life', reconnectPeriod: 0 }

/** Records the four state flags each time `events` fire, from inside the listener. */
function traceState (t, c, events = ['connect', 'offline', 'close', 'end', 'reconnect']) {
  for (const event of events) c.on(event, () => t.state(c, `at ${event}`))
}

defineScenarios([
  {
    name: 'end(): DISCONNECT, close, end, callback; flags along the way',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-end' })
      traceState(t, c, ['close', 'end'])
      c.end(t.cb('end'))
      t.state(c, 'right after end()')
      await t.waitFor('cb.end')
      t.state(c, 'after callback')
    }
  },
  {
    name: 'end(true): no DISCONNECT, close, end',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-end-force' })
      await t.end(c, true)
      t.state(c, 'after')
    }
  },
  {
    name: 'end() twice: the second callback runs at once',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.end(t.cb('first'))
      c.end(t.cb('second'))
      t.note('returned', 'both')
      await t.waitFor('cb.first')
    }
  },
  {
    name: 'end argument shapes: (false, {}, cb), (true, cb), endAsync()',
    async run (t) {
      const a = await t.connected(t.url, { clientId: 'diff-end-a' })
      a.end(false, {}, t.cb('a'))
      await t.waitFor('cb.a')
      const b = await t.connected(t.url, { clientId: 'diff-end-b' })
      b.end(true, t.cb('b'))
      await t.waitFor('cb.b')
      const c = await t.connected(t.url, { clientId: 'diff-end-c' })
      t.note('endAsync', await c.endAsync())
    }
  },
  {
    name: 'end() while offline: end without close; no more reconnects',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-end-offline', reconnectPeriod: 300 })
      t.broker.connections[0].destroy()
      await t.waitFor('c.offline')
      await t.waitFor('c.close')
      await t.end(c)
      await t.sleep(400)
      t.note('connections', t.broker.connections.length)
    }
  },
  {
    name: 'end() while offline with a QoS 1 publish in flight',
    broker: { puback: false },
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-end-offline-inflight', reconnectPeriod: 5000 })
      c.publish('e/stuck', 'x', { qos: 1 }, t.cb('pub'))
      await t.received('publish')
      t.broker.connections[0].destroy()
      await t.waitFor('c.close')
      c.end(t.cb('end'))
      await t.sleep(300)
      t.state(c, 'after 300 ms')
    },
    diverges: {
      because: 'MQTT.js waits for the in-flight message to be acknowledged, which cannot happen while offline: end() never finishes; here the client ends and the callback gets "Connection closed"',
      expect (mqttjs, napi) {
        const keys = (t) => t.events.map(([key]) => key)
        expect(keys(mqttjs)).toEqual(['c.connect', 'c.offline', 'c.close', 'note.after 300 ms'])
        expect(keys(napi)).toEqual(['c.connect', 'c.offline', 'c.close', 'cb.pub', 'c.end', 'cb.end', 'note.after 300 ms'])
        const [, pubErr] = napi.events.find(([key]) => key === 'cb.pub')
        expect(pubErr).toEqual({ $error: 'Error', message: 'Connection closed' })
        const [, endErr] = napi.events.find(([key]) => key === 'cb.end')
        expect(endErr).toBeUndefined()
        const [, flags] = napi.events.find(([key]) => key === 'note.after 300 ms')
        expect(flags).toMatchObject({ connected: false, disconnected: true })
      }
    }
  },
  {
    name: 'end() waits for an unacknowledged QoS 1 publish: outgoingEmpty, then DISCONNECT',
    broker: { puback: false },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('e/q1', 'x', { qos: 1 }, t.cb('pub'))
      await t.received('publish')
      c.end(t.cb('end'))
      await t.sleep(50)
      t.note('disconnect before puback', t.broker.packets.some((p) => p.cmd === 'disconnect'))
      t.broker.connections[0].send({ cmd: 'puback', messageId: t.broker.packets.find((p) => p.cmd === 'publish').messageId })
      await t.waitFor('cb.end')
    }
  },
  {
    name: 'end() with nothing in flight: no outgoingEmpty',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('e/q0', 'x')
      await t.end(c)
    }
  },
  {
    name: 'end(true) with reconnectPeriod 0 fails in-flight callbacks before close',
    broker: { puback: false },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('e/lost', 'x', { qos: 1 }, t.cb('pub'))
      await t.received('publish')
      await t.end(c, true)
    }
  },
  {
    name: 'end(true) with reconnectPeriod 0 and a subscribe split by subscribeBatchSize, half answered',
    broker: {
      // Only the call's first SUBSCRIBE is answered, granting QoS 0.
      onPacket: (packet) => packet.cmd === 'subscribe' && packet.subscriptions[0].topic !== 'eh/1',
      suback: () => [0]
    },
    async run (t) {
      const c = await t.connected(t.url, { ...OPTS, subscribeBatchSize: 1 })
      c.subscribe(['eh/1', 'eh/2', 'eh/3'], { qos: 1 }, t.cb('sub'))
      await t.received('subscribe', 3)
      await t.sleep(100)
      await t.end(c, true)
      await t.sleep(50)
    },
    diverges: {
      because: 'the engine reports the grants of a split subscribe with its completion; a forced end that will never reconnect fails the callback at once, before that report, so every topic shows the QoS asked for (MQTT.js updated each topic as its SUBACK came)',
      napiExpected (mqttjs) {
        mqttjs.events.find(([key]) => key === 'cb.sub')[2][0].qos = 1
        return mqttjs
      }
    }
  },
  {
    name: 'end(true) with reconnection enabled: in-flight callbacks get "Connection closed"',
    broker: { puback: false },
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-end-inflight' })
      c.publish('e/lost', 'x', { qos: 1 }, t.cb('pub'))
      await t.received('publish')
      await t.end(c, true)
      await t.sleep(50)
    },
    diverges: {
      because: 'MQTT.js never calls back a message still in flight when a client that could reconnect is ended; every callback is settled here',
      expect (mqttjs, napi) {
        expect(mqttjs.events.map(([key]) => key)).not.toContain('cb.pub')
        const [, err] = napi.events.find(([key]) => key === 'cb.pub')
        expect(err.message).toBe('Connection closed')
        expect(napi.wire).toEqual(mqttjs.wire)
      }
    }
  },
  {
    name: 'reconnect() while connected: reconnect, close, connect on a new connection',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-reconnect', reconnectPeriod: 1000 })
      c.reconnect()
      await t.waitFor('c.connect', 2)
      t.state(c, 'after')
      t.note('connections', t.broker.connections.length)
      await t.end(c)
    },
    diverges: {
      because: 'MQTT.js runs end() (DISCONNECT, end event) before reconnecting; the engine sends DISCONNECT and reconnects without ending the client (no end event in between)',
      expect (mqttjs, napi) {
        const keys = (t) => t.events.map(([key]) => key)
        expect(keys(mqttjs)).toEqual(['c.connect', 'c.reconnect', 'c.close', 'c.end', 'c.connect', 'note.after', 'note.connections', 'c.close', 'c.end', 'cb.end.c'])
        expect(keys(napi)).toEqual(['c.connect', 'c.reconnect', 'c.close', 'c.connect', 'note.after', 'note.connections', 'c.close', 'c.end', 'cb.end.c'])
        expect(mqttjs.wire.map((p) => p.cmd)).toEqual(['connect', 'disconnect', 'connect', 'disconnect'])
        expect(napi.wire.map((p) => p.cmd)).toEqual(['connect', 'disconnect', 'connect', 'disconnect'])
      }
    }
  },
  {
    name: 'reconnect() after end(): reconnect, connect again',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-reconnect-ended' })
      await t.end(c)
      traceState(t, c, ['reconnect', 'connect'])
      c.reconnect()
      await t.waitFor('c.connect', 2)
      await t.end(c)
    }
  },
  {
    name: 'reconnect() while waiting to reconnect: reconnects at once',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-reconnect-offline', reconnectPeriod: 5000 })
      t.broker.connections[0].destroy()
      await t.waitFor('c.close')
      c.reconnect()
      await t.waitFor('c.connect', 2)
      await t.end(c)
    }
  },
  {
    name: 'connect() after end() starts the client again',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-connect-again', reconnectPeriod: 0 })
      await t.end(c)
      c.connect()
      await t.waitFor('c.connect', 2)
      t.state(c, 'again')
      await t.end(c)
    }
  },
  {
    name: 'after reconnecting, subscriptions are sent again (clean session)',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-resub', reconnectPeriod: 50 })
      await c.subscribeAsync({ 'rs/a': { qos: 1 }, 'rs/b': { qos: 0 } })
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.received('subscribe', 2)
      await t.end(c)
    }
  },
  {
    name: 'reconnect is emitted before the next socket opens; its listener can refresh the credentials',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-refresh', username: 'u', password: 'stale', reconnectPeriod: 50 })
      c.on('reconnect', () => {
        t.note('broker connections inside reconnect', t.broker.connections.length)
        c.options.username = 'u2'
        c.options.password = 'fresh'
        c.options.clientId = 'diff-refresh-2'
      })
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.end(c)
    }
  },
  {
    name: 'after a reconnect, the resubscribe SUBSCRIBE is sent (packetsend) before connect',
    async run (t) {
      const c = t.connectWith({ packets: true }, t.url, { clientId: 'diff-resub-order', reconnectPeriod: 50, subscribeBatchSize: 1 })
      await t.waitFor('c.connect')
      await c.subscribeAsync(['ro/a', 'ro/b'])
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.waitFor((e) => e.key === 'c.packetreceive' && e.args[0].cmd === 'suback', 4)
      await t.end(c)
    }
  },
  {
    name: 'resubscribing after a reconnect with subscribeBatchSize',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-resub-batch', reconnectPeriod: 50, subscribeBatchSize: 2 })
      await c.subscribeAsync(['rb/1', 'rb/2', 'rb/3'], { qos: 1 })
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.sleep(100)
      await t.end(c)
    }
  },
  {
    name: 'a topic the broker refuses on resubscribe is forgotten: subscribing to it again is sent',
    broker: { suback: (packet, conn) => packet.subscriptions.map((s) => (conn.index > 0 && s.topic === 'rr/b' ? 128 : s.qos)) },
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-resub-refused', reconnectPeriod: 50, subscribeBatchSize: 1 })
      await c.subscribeAsync(['rr/a', 'rr/b'], { qos: 1 })
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.received('subscribe', 4)
      await t.sleep(100)
      c.subscribe(['rr/a', 'rr/b'], { qos: 1 }, t.cb('again'))
      await t.waitFor('cb.again')
      await t.end(c)
    }
  },
  {
    name: 'resubscribe:false: nothing is sent again after reconnecting',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-noresub', reconnectPeriod: 50, resubscribe: false })
      await c.subscribeAsync('rs/none')
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.sleep(100)
      await t.end(c)
    }
  },
  {
    name: 'unsubscribed topics are not resubscribed',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-unresub', reconnectPeriod: 50 })
      await c.subscribeAsync(['rs/keep', 'rs/drop'])
      await c.unsubscribeAsync('rs/drop')
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.received('subscribe', 2)
      await t.end(c)
    }
  },
  {
    name: 'a session the broker kept: no resubscribe',
    broker: { connack: (packet, conn) => ({ sessionPresent: conn.index > 0 }) },
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-kept', clean: false, reconnectPeriod: 50 })
      await c.subscribeAsync('rs/kept', { qos: 1 })
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.sleep(100)
      await t.end(c)
    }
  },
  {
    name: 'an unacknowledged QoS 1 publish is sent again after reconnecting (clean session)',
    broker: () => ({ puback: true, onPacket: (packet, conn) => packet.cmd === 'publish' && conn.index === 0 }),
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-resend', reconnectPeriod: 50 })
      c.publish('rs/q1', 'again', { qos: 1 }, t.cb('pub'))
      await t.received('publish')
      t.broker.connections[0].destroy()
      await t.waitFor('cb.pub')
      await t.end(c)
    }
  },
  {
    name: 'resumed session: an unacknowledged QoS 1 publish is resent with DUP=1',
    broker: () => ({
      connack: (packet, conn) => ({ sessionPresent: conn.index > 0 }),
      onPacket: (packet, conn) => packet.cmd === 'publish' && conn.index === 0
    }),
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-dup', clean: false, reconnectPeriod: 50 })
      c.publish('rs/dup', 'again', { qos: 1 }, t.cb('pub'))
      await t.received('publish')
      t.broker.connections[0].destroy()
      await t.waitFor('cb.pub')
      await t.end(c)
    },
    diverges: {
      because: 'a resend must carry DUP=1 [MQTT-3.3.1-1, MQTT-4.4.0-1]; MQTT.js resends with DUP=0',
      napiExpected (mqttjs) {
        mqttjs.wire.filter((p) => p.cmd === 'publish')[1].dup = true
        return mqttjs
      }
    }
  },
  {
    name: 'a QoS 2 publish interrupted after PUBREC continues with PUBREL after reconnecting',
    broker: () => ({ onPacket: (packet, conn) => packet.cmd === 'pubrel' && conn.index === 0 }),
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-pubrel', reconnectPeriod: 50 })
      c.publish('rs/q2', 'x', { qos: 2 }, t.cb('pub'))
      await t.received('pubrel')
      t.broker.connections[0].destroy()
      await t.waitFor('cb.pub')
      await t.end(c)
    },
    diverges: {
      because: 'on a clean session the broker dropped the exchange, so the engine republishes the message (at worst a duplicate) instead of sending a PUBREL for state that is gone (a possible loss)',
      expect (mqttjs, napi) {
        const onSecondConnection = (t) => t.wire.filter((p) => p.conn === 1).map((p) => p.cmd)
        expect(onSecondConnection(mqttjs)).toEqual(['connect', 'pubrel', 'disconnect'])
        expect(onSecondConnection(napi)).toEqual(['connect', 'publish', 'pubrel', 'disconnect'])
        expect(napi.events).toEqual(mqttjs.events)
      }
    }
  },
  {
    name: 'publishes made while reconnecting go out after the new CONNACK',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-offline-pub', reconnectPeriod: 200 })
      t.broker.connections[0].destroy()
      await t.waitFor('c.close')
      c.publish('off/q0', 'a', t.cb('q0'))
      await t.waitFor('c.connect', 2)
      await t.waitFor('cb.q0')
      await t.end(c)
    }
  },
  {
    name: 'removeOutgoingMessage(id): the callback gets "Message removed"',
    broker: { puback: false },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('rm/q1', 'x', { qos: 1 }, t.cb('pub'))
      await t.received('publish')
      c.removeOutgoingMessage(t.broker.packets.find((p) => p.cmd === 'publish').messageId)
      t.note('returned', 'removeOutgoingMessage')
      await t.waitFor('cb.pub')
      await t.end(c)
    },
    diverges: {
      because: 'the engine owns in-flight messages: the callback runs asynchronously, after removeOutgoingMessage returns',
      expect (mqttjs, napi) {
        const keys = (t) => t.events.map(([key]) => key)
        expect(keys(mqttjs)).toEqual(['c.connect', 'cb.pub', 'note.returned', 'c.close', 'c.end', 'cb.end.c'])
        expect(keys(napi)).toEqual(['c.connect', 'note.returned', 'cb.pub', 'c.close', 'c.end', 'cb.end.c'])
        expect(napi.events.find(([key]) => key === 'cb.pub')).toEqual(mqttjs.events.find(([key]) => key === 'cb.pub'))
        expect(napi.wire).toEqual(mqttjs.wire)
      }
    }
  },
  {
    name: 'getLastMessageId(): the id of the last QoS 1/2 exchange',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('id/1', 'a', { qos: 1 }, t.cb('p1'))
      t.note('right after publish', c.getLastMessageId())
      await t.waitFor('cb.p1')
      t.note('after the ack', c.getLastMessageId())
      await c.subscribeAsync('id/sub')
      t.note('after subscribe', c.getLastMessageId())
      await t.end(c)
    },
    diverges: {
      because: 'the engine allocates packet ids: an id is known once the engine reports it, not when publish() returns',
      napiExpected (mqttjs) {
        mqttjs.events.find(([key]) => key === 'note.right after publish')[1] = 0
        return mqttjs
      }
    }
  },
  {
    name: 'getLastMessageId() with a packetsend listener: the id once the packet is sent',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.on('packetsend', (packet) => packet.cmd === 'publish' && t.note('sent id', packet.messageId))
      c.publish('id/2', 'a', { qos: 2 }, t.cb('p'))
      await t.waitFor('note.sent id')
      t.note('after packetsend', c.getLastMessageId())
      await t.waitFor('cb.p')
      await t.end(c)
    }
  },
  {
    name: 'getLastMessageId() inside a packetsend listener: the id of the packet being sent',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.on('packetsend', (packet) => packet.messageId && t.note(`${packet.cmd} ${packet.messageId}`, c.getLastMessageId()))
      c.publish('id/3', 'a', { qos: 1 }, t.cb('p'))
      await t.waitFor('cb.p')
      c.subscribe(['id/a', 'id/b'], t.cb('s'))
      await t.waitFor('cb.s')
      c.unsubscribe('id/a', t.cb('u'))
      await t.waitFor('cb.u')
      await t.end(c)
    }
  },
  {
    name: 'end() before CONNACK, then the CONNACK comes',
    broker: { connack: null },
    async run (t) {
      const c = t.connect(t.url, { clientId: 'diff-end-before-connack', reconnectPeriod: 0 })
      await t.received('connect')
      c.end(t.cb('end'))
      t.broker.connections[0].send({ cmd: 'connack', returnCode: 0, sessionPresent: false })
      await t.waitFor('cb.end')
      await t.sleep(200)
      t.state(c, 'after')
    },
    diverges: {
      because: 'the client is ending: MQTT.js still emits connect (after end() was called)',
      expect (mqttjs, napi) {
        const keys = (transcript) => transcript.events.map(([key]) => key)
        expect(keys(mqttjs)).toContain('c.connect')
        expect(keys(napi)).not.toContain('c.connect')
        expect(napi.events.find(([key]) => key === 'note.after')[1].connected).toBe(false)
      }
    }
  }
])
