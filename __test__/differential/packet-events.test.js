'use strict'
// packetsend / packetreceive: which packets, with which fields, in which order.
const { defineScenarios } = require('./runner')

const OPTS = { clientId: 'diff-pkt', reconnectPeriod: 0 }
const PACKETS = { packets: true }

/** Waits for a `packetsend`/`packetreceive` of `cmd` (the `count`-th one). */
function packet (t, event, cmd, count = 1) {
  return t.waitFor((e) => e.key === `c.${event}` && e.args[0].cmd === cmd, count)
}

defineScenarios([
  {
    name: 'packet events of a connection: CONNECT sent, CONNACK received, DISCONNECT sent',
    async run (t) {
      const c = t.connectWith(PACKETS, t.url, { ...OPTS, username: 'u', password: 'p', will: { topic: 'w', payload: 'bye', qos: 1, retain: false } })
      await t.waitFor('c.connect')
      await t.end(c)
    }
  },
  {
    name: 'a packetsend listener attached before connect() (manualConnect) sees CONNECT',
    async run (t) {
      const c = t.connectWith(PACKETS, t.url, { ...OPTS, manualConnect: true })
      c.connect()
      await t.waitFor('c.connect')
      await t.end(c)
    }
  },
  {
    name: 'after a reconnect, the new CONNECT is a packetsend event',
    async run (t) {
      const c = t.connectWith(PACKETS, t.url, { ...OPTS, reconnectPeriod: 50 })
      await t.waitFor('c.connect')
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.end(c)
    }
  },
  {
    name: 'packet events of QoS 0, 1 and 2 publishes',
    async run (t) {
      const c = t.connectWith(PACKETS, t.url, OPTS)
      await t.waitFor('c.connect')
      for (const qos of [0, 1, 2]) {
        c.publish(`pk/${qos}`, `q${qos}`, { qos }, t.cb(`pub${qos}`))
        await t.waitFor(`cb.pub${qos}`)
      }
      await t.end(c)
    }
  },
  {
    name: 'packet events of subscribe and unsubscribe',
    async run (t) {
      const c = t.connectWith(PACKETS, t.url, OPTS)
      await t.waitFor('c.connect')
      c.subscribe({ 'pk/s1': { qos: 1 }, 'pk/s2': { qos: 2 } }, t.cb('sub'))
      await t.waitFor('cb.sub')
      c.unsubscribe(['pk/s1', 'pk/s2'], t.cb('unsub'))
      await t.waitFor('cb.unsub')
      await t.end(c)
    }
  },
  {
    name: 'packet events of inbound QoS 1 and QoS 2 messages',
    async run (t) {
      const c = t.connectWith(PACKETS, t.url, OPTS)
      await t.waitFor('c.connect')
      t.broker.connections[0].send({ cmd: 'publish', topic: 'pk/in1', payload: 'a', qos: 1, messageId: 11, retain: false, dup: false })
      await packet(t, 'packetsend', 'puback')
      await t.waitFor('c.message')
      t.broker.connections[0].send({ cmd: 'publish', topic: 'pk/in2', payload: 'b', qos: 2, messageId: 12, retain: false, dup: false })
      await t.waitFor('c.message', 2)
      await packet(t, 'packetsend', 'pubcomp')
      await t.end(c)
    }
  },
  {
    name: 'PINGREQ and PINGRESP appear as packet events',
    async run (t) {
      const c = t.connectWith(PACKETS, t.url, { ...OPTS, keepalive: 1 })
      await packet(t, 'packetreceive', 'pingresp')
      await t.end(c)
    },
    wire: (wire) => wire.filter((p) => p.cmd !== 'pingreq')
  },
  {
    name: 'a packetsend listener added later starts seeing packets from then on; removing it stops them',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      await c.publishAsync('pk/before', 'a', { qos: 1 })
      const listener = (packet) => t.note('sent', packet.cmd)
      c.on('packetsend', listener)
      await c.publishAsync('pk/during', 'b', { qos: 1 })
      c.removeListener('packetsend', listener)
      await c.publishAsync('pk/after', 'c', { qos: 1 })
      await t.end(c)
    }
  },
  {
    name: 'the SUBACK of a refused subscription as a packetreceive event',
    broker: { suback: (packet) => packet.subscriptions.map(() => 128) },
    async run (t) {
      const c = t.connectWith(PACKETS, t.url, OPTS)
      await t.waitFor('c.connect')
      c.subscribe('pk/no', t.cb('sub'))
      await t.waitFor('cb.sub')
      await t.end(c)
    }
  }
])
