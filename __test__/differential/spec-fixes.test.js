'use strict'
// Where the engine follows the MQTT specification (or bounds a resource)
// and MQTT.js does not: each divergence asserted as it is.
const { defineScenarios } = require('./runner')

const OPTS = { clientId: 'diff-spec', reconnectPeriod: 0 }
const IDS = 65535

/** The wire reduced to counts per packet type, plus the packets after `from`. */
function summary (from) {
  return (wire) => {
    const counts = {}
    for (const p of wire) counts[p.cmd] = (counts[p.cmd] || 0) + 1
    return { counts, tail: wire.slice(from) }
  }
}

defineScenarios([
  {
    name: 'packet ids: with 65,535 QoS 1 publishes in flight, the next one waits for a free id',
    broker: { puback: false },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      const completions = []
      for (let i = 0; i <= IDS; i++) {
        c.publish('ids/x', `${i}`, { qos: 1 }, (err, packet) => completions.push([i, err ? err.message : null, packet && packet.messageId]))
      }
      await t.received('publish', IDS)
      await t.sleep(200)
      t.note('publishes before any ack', t.broker.received('publish').length)
      t.broker.connections[0].send({ cmd: 'puback', messageId: 1 })
      await t.received('publish', IDS + 1)
      await t.sleep(100)
      t.note('completions after PUBACK 1', completions.slice())
      await t.end(c, true)
    },
    wire: summary(IDS + 1),
    diverges: {
      because: 'MQTT.js wraps its id counter and reuses id 1 while the first message still holds it [MQTT-2.3.1-2]: that message\'s callback is lost; the engine never hands out an id in flight, so the 65,536th publish waits for one to free',
      expect (mqttjs, napi) {
        const note = (t, key) => t.events.find(([k]) => k === `note.${key}`)[1]
        expect(note(mqttjs, 'publishes before any ack')).toBe(IDS + 1)
        expect(note(napi, 'publishes before any ack')).toBe(IDS)
        // The PUBACK for id 1 completes the 65,536th message in MQTT.js, the first one here.
        expect(note(mqttjs, 'completions after PUBACK 1')).toEqual([[IDS, null, 1]])
        expect(note(napi, 'completions after PUBACK 1')).toEqual([[0, null, 1]])
        // Here the waiting publish then goes out under the freed id.
        const last = napi.wire.tail[napi.wire.tail.length - 1]
        expect(last).toMatchObject({ cmd: 'publish', messageId: 1, payload: `${IDS}` })
      }
    }
  },
  {
    name: 'offlineQueueMaxMessages bounds what waits for a connection',
    broker: { connack: null },
    async run (t) {
      const c = t.connect(t.url, { ...OPTS, connectTimeout: 5000, offlineQueueMaxMessages: 2 })
      for (let i = 1; i <= 3; i++) c.publish(`off/${i}`, 'x', { qos: 1 }, t.cb(`pub${i}`))
      await t.sleep(200)
      await t.end(c, true)
    },
    diverges: {
      because: 'MQTT.js queues without limit (an unreachable broker grows memory forever); the engine option offlineQueueMaxMessages rejects at once what does not fit',
      expect (mqttjs, napi) {
        const callbacks = (t) => t.events.filter(([key]) => key.startsWith('cb.pub')).map(([key, err]) => [key, err && err.message])
        expect(callbacks(mqttjs)).toEqual([['cb.pub1', 'Connection closed'], ['cb.pub2', 'Connection closed'], ['cb.pub3', 'Connection closed']])
        expect(callbacks(napi)).toEqual([
          ['cb.pub3', expect.stringMatching(/^Offline queue full/)],
          ['cb.pub1', 'Connection closed'],
          ['cb.pub2', 'Connection closed']
        ])
      }
    }
  },
  {
    name: 'maxIncomingPacketSize: a larger packet from the broker is an error and ends the connection',
    async run (t) {
      const c = await t.connected(t.url, { ...OPTS, maxIncomingPacketSize: 64 })
      t.broker.connections[0].send({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(200, 0x61), qos: 0, retain: false, dup: false })
      await Promise.race([t.waitFor('c.close'), t.sleep(300)])
      await t.end(c, true)
    },
    diverges: {
      because: 'MQTT.js has no inbound size limit for MQTT 3.1.1; the engine option maxIncomingPacketSize checks the fixed header before buffering the packet',
      expect (mqttjs, napi) {
        const keys = (t) => t.events.map(([key]) => key)
        expect(keys(mqttjs)).toContain('c.message')
        expect(keys(napi)).not.toContain('c.message')
        const [, err] = napi.events.find(([key]) => key === 'c.error')
        expect(err.code).toBe('ERR_MQTT_PROTOCOL')
      }
    }
  },
  {
    name: 'an acknowledgement for an id with nothing pending',
    async run (t) {
      const c = await t.connected(t.url, { ...OPTS, reconnectPeriod: 0 })
      t.broker.connections[0].send({ cmd: 'puback', messageId: 77 })
      await Promise.race([t.waitFor('c.close'), t.sleep(300)])
      await t.end(c, true)
    },
    diverges: {
      because: 'MQTT.js ignores it; the engine treats it as a protocol violation: error (ERR_MQTT_PROTOCOL), connection closed',
      expect (mqttjs, napi) {
        expect(mqttjs.events.map(([key]) => key)).toEqual(['c.connect', 'c.close', 'c.end', 'cb.end.c'])
        const [, err] = napi.events.find(([key]) => key === 'c.error')
        expect(err).toMatchObject({ code: 'ERR_MQTT_PROTOCOL', message: expect.stringMatching(/puback for message id 77/) })
      }
    }
  },
  {
    name: 'a packet other than CONNACK first',
    broker: {
      connack: null,
      onPacket (packet, conn) {
        if (packet.cmd !== 'connect') return false
        conn.send({ cmd: 'publish', topic: 'early', payload: 'x', qos: 0, retain: false, dup: false })
        conn.send({ cmd: 'connack', returnCode: 0, sessionPresent: false })
        return true
      }
    },
    async run (t) {
      const c = t.connect(t.url, OPTS)
      await Promise.race([t.waitFor('c.close'), t.waitFor('c.message')])
      await t.sleep(100)
      await t.end(c, true)
    },
    diverges: {
      because: 'MQTT.js delivers a PUBLISH that arrives before CONNACK; the engine refuses it [MQTT-3.2.0-1]: error, connection closed',
      expect (mqttjs, napi) {
        expect(mqttjs.events.map(([key]) => key)).toContain('c.message')
        expect(napi.events.map(([key]) => key)).not.toContain('c.message')
        expect(napi.events.find(([key]) => key === 'c.error')[1].message).toMatch(/before CONNACK/)
      }
    }
  }
])
