'use strict'
// Limits of the protocol on what the client sends.
const { defineScenarios } = require('./runner')

const OPTS = { clientId: 'diff-limits', reconnectPeriod: 0 }

defineScenarios([
  {
    name: 'publish over the maximum packet size (a 256 MiB payload), then a small one',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('big', Buffer.alloc(268435455), { qos: 1 }, t.cb('big'))
      await t.sleep(500)
      t.note('connected', c.connected)
      c.publish('small', 'x', { qos: 0 }, t.cb('small'))
      await t.sleep(100)
    },
    diverges: {
      because: 'MQTT.js hands the packet to the socket: the connection drops and the callback never runs; here the callback gets ERR_MQTT_PACKET_TOO_LARGE, nothing is sent and the connection stays up',
      expect (mqttjs, napi) {
        const keys = (t) => t.events.map(([key]) => key)
        expect(keys(mqttjs)).toEqual(['c.connect', 'c.close', 'note.connected'])
        expect(keys(napi)).toEqual(['c.connect', 'cb.big', 'note.connected', 'cb.small'])
        expect(napi.events[1][1]).toMatchObject({ code: 'ERR_MQTT_PACKET_TOO_LARGE' })
        expect(napi.events[2][1]).toBe(true)
        expect(napi.wire.map((p) => [p.cmd, p.topic])).toEqual([['connect', undefined], ['publish', 'small']])
      }
    }
  }
])
