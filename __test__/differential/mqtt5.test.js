'use strict'
// MQTT 5: the same programs against MQTT.js and mqtt-napi on the scripted
// broker speaking v5 (helpers/rawBroker.js): connect and CONNACK properties,
// publish/subscribe/unsubscribe with properties and reason codes, server
// DISCONNECT, end() with a reason code, enhanced authentication,
// customHandleAcks. The packet shapes (`properties` present only when the
// packet had some), callback arguments and the wire must be the same; where
// mqtt-napi follows the spec and MQTT.js does not, the divergence is declared.
const { defineScenarios, entriesOf } = require('./runner')

const OPTS = { clientId: 'diff-v5', protocolVersion: 5, reconnectPeriod: 0 }
const METHOD = 'SCRAM-SHA-1'

/** Packets whose reason code and property length MQTT 5 lets a sender leave out when 0 and empty. */
const SHORT_FORM = new Set(['puback', 'pubrec', 'pubrel', 'pubcomp', 'disconnect'])

/**
 * The wire without the lengths of those packets: mqtt-packet writes the
 * optional bytes (a PUBREL of 4 bytes, a DISCONNECT of 2), the engine's codec
 * leaves them out (2 and 0) [MQTT-3.4.2-1, MQTT-3.14.2-1]; the packets' fields compare as they are.
 */
function withoutShortFormLengths (wire) {
  return wire.map((packet) => {
    if (!SHORT_FORM.has(packet.cmd)) return packet
    const { length, ...rest } = packet
    return rest
  })
}

function defineV5Scenarios (scenarios) {
  defineScenarios(scenarios.map((scenario) => ({ wire: withoutShortFormLengths, ...scenario })))
}

defineV5Scenarios([
  {
    name: 'v5 connect: CONNECT and CONNACK packets, properties both ways, serverProperties and keepalive',
    broker: {
      connack: {
        reasonCode: 0,
        properties: { topicAliasMaximum: 4, receiveMaximum: 10, serverKeepAlive: 30, userProperties: { node: ['a', 'b'] }, assignedClientIdentifier: 'srv-1' }
      }
    },
    async run (t) {
      const c = t.connectWith({ packets: true }, t.url, {
        ...OPTS,
        keepalive: 60,
        properties: { sessionExpiryInterval: 120, userProperties: { app: 'diff' }, requestProblemInformation: true }
      })
      await t.waitFor('c.connect')
      t.note('serverProperties', c.serverProperties)
      t.note('keepalive', c.keepalive)
      t.note('options.keepalive', c.options.keepalive)
      t.note('options.clientId', c.options.clientId)
      await t.end(c)
      t.note('serverProperties after end', c.serverProperties)
    }
  },
  {
    name: 'v5 connect without properties: the CONNACK packet has reasonCode and no properties',
    async run (t) {
      const c = t.connectWith({ packets: true }, t.url, OPTS)
      await t.waitFor('c.connect')
      t.note('serverProperties', c.serverProperties)
      t.note('connackPacket has properties', 'properties' in c.connackPacket)
      await t.end(c)
    }
  },
  {
    name: 'v5 CONNACK refused with reason code 0x87: error with code, close',
    broker: { connack: { reasonCode: 0x87, properties: { reasonString: 'no' } } },
    async run (t) {
      t.connect(t.url, OPTS)
      await t.waitFor('c.close')
    }
  },
  {
    name: 'v5 publish QoS 0/1/2 with properties: the wire, the callbacks and the packet events',
    // Acks in their short form (no reason code and property length when 0 and empty), as
    // brokers write them; the engine reports no wire lengths, and gives parsed acks that length.
    broker: { puback: { reasonCode: 0 }, pubrec: { reasonCode: 0 }, pubcomp: { reasonCode: 0 } },
    async run (t) {
      const c = t.connectWith({ packets: true }, t.url, OPTS)
      await t.waitFor('c.connect')
      const properties = {
        payloadFormatIndicator: true,
        messageExpiryInterval: 30,
        contentType: 'text/plain',
        responseTopic: 'v5/reply',
        correlationData: Buffer.from('corr'),
        userProperties: { a: '1', b: ['2', '3'] }
      }
      c.publish('v5/q0', 'zero', { qos: 0, properties }, t.cb('q0'))
      await t.waitFor('cb.q0')
      c.publish('v5/q1', 'one', { qos: 1, properties }, t.cb('q1'))
      await t.waitFor('cb.q1')
      c.publish('v5/q2', 'two', { qos: 2, properties: { contentType: 'x' } }, t.cb('q2'))
      await t.waitFor('cb.q2')
      c.publish('v5/plain', 'p', { qos: 1 }, t.cb('plain'))
      await t.waitFor('cb.plain')
      await t.end(c)
    }
  },
  {
    name: 'v5 negative PUBACK and PUBREC: ErrorWithReasonCode and the ack packet; 16 is a success',
    broker: {
      puback: (packet) => ({ reasonCode: packet.topic === 'v5/ok' ? 0x10 : 0x87, properties: { reasonString: 'acl' } }),
      pubrec: { reasonCode: 0x97 }
    },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('v5/no', 'x', { qos: 1 }, t.cb('refused'))
      await t.waitFor('cb.refused')
      c.publish('v5/ok', 'x', { qos: 1 }, t.cb('no subscribers'))
      await t.waitFor('cb.no subscribers')
      c.publish('v5/quota', 'x', { qos: 2 }, t.cb('pubrec'))
      await t.waitFor('cb.pubrec')
      await t.end(c)
    }
  },
  {
    name: 'v5 subscribe with nl/rap/rh and properties: SUBSCRIBE on the wire, granted and SUBACK',
    broker: { suback: (packet) => ({ granted: packet.subscriptions.map((s) => Math.min(s.qos, 1)), properties: { reasonString: 'ok' } }) },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.subscribe('v5/a', { qos: 2, nl: true, rap: true, rh: 2, properties: { subscriptionIdentifier: 5, userProperties: { s: 'x' } } }, t.cb('sub'))
      await t.waitFor('cb.sub')
      c.subscribe({ 'v5/b': { qos: 1, rh: 1 }, 'v5/c': { qos: 0 } }, t.cb('map'))
      await t.waitFor('cb.map')
      c.subscribe(['v5/d', 'v5/e'], { qos: 1 }, t.cb('array'))
      await t.waitFor('cb.array')
      await t.end(c)
    }
  },
  {
    // (MQTT.js's packetsend subscriptions are the objects it later writes the granted QoS
    // into, and a topic map's missing nl/rap/rh stay undefined there: here every option is
    // given and granted as asked, so the packet events compare as they are.)
    name: 'v5 subscribe: the SUBSCRIBE and SUBACK packet events',
    broker: { suback: (packet) => ({ granted: packet.subscriptions.map((s) => s.qos), properties: { reasonString: 'ok' } }) },
    async run (t) {
      const c = t.connectWith({ packets: true }, t.url, OPTS)
      await t.waitFor('c.connect')
      c.subscribe('v5/a', { qos: 1, nl: true, rap: false, rh: 1, properties: { subscriptionIdentifier: 5 } }, t.cb('sub'))
      await t.waitFor('cb.sub')
      c.subscribe({ 'v5/b': { qos: 0, nl: false, rap: true, rh: 2 } }, t.cb('map'))
      await t.waitFor('cb.map')
      await t.end(c)
    }
  },
  {
    name: 'v5 SUBACK failure codes: ErrorWithSubackPacket with the SUBACK',
    broker: { suback: () => ({ granted: [0x87, 1], properties: { reasonString: 'partly' } }) },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.subscribe(['v5/x', 'v5/y'], { qos: 1 }, t.cb('sub'))
      await t.waitFor('cb.sub')
      await t.end(c)
    }
  },
  {
    name: 'v5 unsubscribe with properties: UNSUBSCRIBE on the wire, the UNSUBACK reason codes in packet.granted',
    broker: { unsuback: () => ({ granted: [0, 0x11], properties: { reasonString: 'done' } }) },
    async run (t) {
      const c = t.connectWith({ packets: true }, t.url, OPTS)
      await t.waitFor('c.connect')
      c.unsubscribe(['v5/a', 'v5/b'], { properties: { userProperties: { why: 'bye' } } }, t.cb('unsub'))
      await t.waitFor('cb.unsub')
      await t.end(c)
    }
  },
  {
    name: 'v5 UNSUBACK with a failure code',
    broker: { unsuback: () => ({ granted: [0, 0x87] }) },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.unsubscribe(['v5/a', 'v5/b'], t.cb('unsub'))
      await t.waitFor('cb.unsub')
      await t.end(c)
    },
    diverges: {
      because: 'MQTT.js reports every UNSUBACK as a success; a failure code (0x80 and up) means the subscription is still there, so the callback gets an ErrorWithReasonCode (and the packet)',
      expect (mqttjs, napi) {
        const [, mqttErr, mqttPacket] = entriesOf(mqttjs, 'cb.unsub')[0]
        const [, napiErr, napiPacket] = entriesOf(napi, 'cb.unsub')[0]
        expect(mqttErr).toBeNull()
        expect(napiErr).toEqual({ $error: 'ErrorWithReasonCode', message: 'Unsubscribe error: Not authorized', code: 0x87 })
        expect(napiPacket).toEqual(mqttPacket)
        expect(napi.wire).toEqual(mqttjs.wire)
      }
    }
  },
  {
    name: 'v5 server DISCONNECT: disconnect event with reason code and properties, then close',
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      t.state(c, 'connected')
      t.broker.connections[0].disconnect(0x8b, { reasonString: 'shutting down', userProperties: { when: 'now' } })
      await t.waitFor('c.close')
      t.state(c, 'after close')
      t.note('serverProperties', c.serverProperties)
    }
  },
  {
    name: 'v5 end() with a reason code and properties: the DISCONNECT on the wire',
    async run (t) {
      const c = t.connectWith({ packets: true }, t.url, OPTS)
      await t.waitFor('c.connect')
      await t.end(c, false, { reasonCode: 0x04, properties: { reasonString: 'will please', sessionExpiryInterval: 0 } })
      const c2 = await t.connected(t.url, { ...OPTS, clientId: 'diff-v5-2' })
      await t.end(c2, { reasonCode: 0x80 })
      const c3 = await t.connected(t.url, { ...OPTS, clientId: 'diff-v5-3' })
      await t.end(c3)
    }
  },
  {
    name: 'v5 incoming messages: packet.properties exactly as sent, absent when none',
    async run (t) {
      const c = t.connectWith({ packets: true }, t.url, OPTS)
      await t.waitFor('c.connect')
      const conn = t.broker.connections[0]
      conn.send({
        cmd: 'publish',
        topic: 'v5/in',
        payload: Buffer.from('hello'),
        qos: 1,
        messageId: 7,
        properties: {
          payloadFormatIndicator: true,
          messageExpiryInterval: 10,
          contentType: 'text/plain',
          responseTopic: 'v5/back',
          correlationData: Buffer.from([1, 2, 3]),
          userProperties: { k: ['v1', 'v2'], single: 's' },
          subscriptionIdentifier: 3
        }
      })
      conn.send({ cmd: 'publish', topic: 'v5/in', payload: Buffer.from('two ids'), qos: 0, properties: { subscriptionIdentifier: [3, 9] } })
      conn.send({ cmd: 'publish', topic: 'v5/in', payload: Buffer.from('none'), qos: 0 })
      await t.waitFor('c.message', 3)
      await t.received('puback')
      await t.end(c)
    }
  },
  {
    name: 'v5 explicit topicAlias: registered with the topic, then used with an empty topic',
    broker: { connack: { reasonCode: 0, properties: { topicAliasMaximum: 3 } } },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('v5/ta', 'a', { qos: 1, properties: { topicAlias: 2 } }, t.cb('register'))
      await t.waitFor('cb.register')
      c.publish('', 'b', { qos: 0, properties: { topicAlias: 2 } }, t.cb('use'))
      await t.waitFor('cb.use')
      await t.end(c)
    }
  },
  {
    name: 'v5 topicAlias above the broker maximum, QoS 0: the callback gets the error inside publish()',
    broker: { connack: { reasonCode: 0, properties: { topicAliasMaximum: 3 } } },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('v5/ta', 'a', { qos: 0, properties: { topicAlias: 4 } }, t.cb('pub'))
      t.note('publish() returned', true)
      await t.waitFor('cb.pub')
      await t.end(c)
    }
  },
  {
    name: 'v5 topicAlias above the broker maximum, QoS 1',
    broker: { connack: { reasonCode: 0, properties: { topicAliasMaximum: 3 } } },
    async run (t) {
      const c = await t.connected(t.url, OPTS)
      c.publish('v5/ta', 'a', { qos: 1, properties: { topicAlias: 4 } }, t.cb('pub'))
      await t.sleep(200)
      c.publish('v5/after', 'b', { qos: 1 }, t.cb('after'))
      await t.waitFor('cb.after')
      // (MQTT.js's graceful end() would wait for the refused publish forever.)
      await t.end(c, true)
    },
    diverges: {
      because: 'MQTT.js hands the error of a QoS 1/2 publish it cannot send to nobody (the callback runs only at end(true), with "Connection closed"); the callback gets it',
      expect (mqttjs, napi) {
        expect(entriesOf(mqttjs, 'cb.pub')).toEqual([['cb.pub', { $error: 'Error', message: 'Connection closed' }]])
        expect(entriesOf(napi, 'cb.pub')).toEqual([['cb.pub', { $error: 'Error', message: 'Sending Topic Alias out of range' }]])
        // MQTT.js's later publish takes the next packet id: the refused one kept id 1
        expect(napi.wire.filter((p) => p.cmd === 'publish').map((p) => p.topic)).toEqual(['v5/after'])
      }
    }
  },
  {
    name: 'v5 message received by topic alias: the message event and packet.topic',
    async run (t) {
      const c = await t.connected(t.url, { ...OPTS, properties: { topicAliasMaximum: 2 } })
      const conn = t.broker.connections[0]
      conn.send({ cmd: 'publish', topic: 'v5/aliased', payload: Buffer.from('1'), qos: 0, properties: { topicAlias: 1 } })
      conn.send({ cmd: 'publish', topic: '', payload: Buffer.from('2'), qos: 0, properties: { topicAlias: 1 } })
      await t.waitFor('c.message', 2)
      await t.end(c)
    },
    diverges: {
      because: 'MQTT.js leaves packet.topic empty for a message sent by alias (only the event argument has the topic); the packet carries the topic it resolved',
      expect (mqttjs, napi) {
        const messages = (t) => entriesOf(t, 'c.message').map(([, topic, payload, packet]) => [topic, payload, packet.topic])
        expect(messages(mqttjs)).toEqual([['v5/aliased', { $buffer: '1' }, 'v5/aliased'], ['v5/aliased', { $buffer: '2' }, '']])
        expect(messages(napi)).toEqual([['v5/aliased', { $buffer: '1' }, 'v5/aliased'], ['v5/aliased', { $buffer: '2' }, 'v5/aliased']])
        expect(napi.wire).toEqual(mqttjs.wire)
      }
    }
  },
  {
    name: 'v5 serverKeepAlive 0: client.keepalive',
    broker: { connack: { reasonCode: 0, properties: { serverKeepAlive: 0 } } },
    async run (t) {
      const c = await t.connected(t.url, { ...OPTS, keepalive: 30 })
      t.note('keepalive', c.keepalive)
      await t.end(c)
      t.note('keepalive after end', c.keepalive)
    },
    diverges: {
      because: 'the client must use the Server Keep Alive the broker sends, 0 (no keepalive) included [MQTT-3.2.2-21]; MQTT.js reports its own for 0',
      expect (mqttjs, napi) {
        const notes = (t) => entriesOf(t, 'note.')
        expect(notes(mqttjs)).toEqual([['note.keepalive', 30], ['note.keepalive after end', 30]])
        expect(notes(napi)).toEqual([['note.keepalive', 0], ['note.keepalive after end', 30]])
      }
    }
  },
  {
    name: 'v5 enhanced authentication: AUTH 0x18 to handleAuth, its answer on the wire, then CONNACK',
    broker: {
      connack: null,
      onPacket (packet, conn) {
        if (packet.cmd === 'connect') {
          conn.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('server-first') } })
          return true
        }
        if (packet.cmd === 'auth') {
          conn.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('server-final') } })
          return true
        }
        return false
      }
    },
    async run (t) {
      const c = t.connect(t.url, { ...OPTS, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('client-first') } })
      c.handleAuth = (packet, cb) => {
        t.note('handleAuth', packet)
        cb(null, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('client-final') } })
      }
      await t.waitFor('c.connect')
      await t.end(c)
    }
  },
  {
    name: 'v5 customHandleAcks: its reason code goes on the PUBACK, only 0 delivers the message',
    async run (t) {
      const c = await t.connected(t.url, {
        ...OPTS,
        customHandleAcks: (topic, message, packet, done) => {
          t.note('customHandleAcks', [topic, message, packet.messageId])
          done(topic === 'v5/deny' ? 0x87 : 0)
        }
      })
      const conn = t.broker.connections[0]
      conn.send({ cmd: 'publish', topic: 'v5/deny', payload: Buffer.from('x'), qos: 1, messageId: 3 })
      await t.received('puback')
      conn.send({ cmd: 'publish', topic: 'v5/allow', payload: Buffer.from('y'), qos: 1, messageId: 4 })
      await t.waitFor('c.message')
      await t.received('puback', 2)
      await t.end(c)
    }
  }
])
