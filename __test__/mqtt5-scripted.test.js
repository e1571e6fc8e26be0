'use strict'
// MQTT 5 against a scripted broker (helpers/rawBroker.js speaking v5): what a real broker
// will not show on demand: every reason code and property on CONNACK and the acks, server
// DISCONNECT, AUTH exchanges, topic-alias misuse, flow control held by the broker, oversized
// and malformed packets. Each test asserts both what the client reports (callbacks, events,
// packet shapes) and what it put on the wire (the broker records every packet).
//
// Written against MQTT.js 5.16 first (MQTT_IMPL=mqtt). Where MQTT.js breaks the MQTT 5 spec,
// the test branches on `isNapi` and the napi side asserts the spec (README, "Differences").
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { bytes, str, u16, pkt } = require('./helpers/rawPackets')
const { once, record, delay, waitUntil } = require('./helpers/events')
const { isNapi, mqtt, testNapi, testMqttjs } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const EVENTS = ['connect', 'reconnect', 'close', 'offline', 'error', 'end', 'disconnect']

async function v5Broker (behavior) {
  return track(await startRawBroker(behavior))
}

// an MQTT 5 client on the scripted broker
function connect5 (rb, opts = {}) {
  return h.connect(rb.url, { protocolVersion: 5, reconnectPeriod: 0, ...opts })
}

async function connected5 (rb, opts = {}) {
  const c = connect5(rb, opts)
  const connack = await h.waitConnect(c)
  return [c, connack]
}

// the client's DISCONNECTs on the wire (any connection)
const disconnects = (rb) => rb.received('disconnect')

// ---------------------------------------------------------------- CONNECT / CONNACK

describe('CONNECT and CONNACK', () => {
  test('CONNECT carries protocol level 5 and every property the client set', async () => {
    const rb = await v5Broker()
    const properties = {
      sessionExpiryInterval: 300,
      receiveMaximum: 50,
      maximumPacketSize: 100000,
      topicAliasMaximum: 7,
      requestResponseInformation: true,
      requestProblemInformation: false,
      userProperties: { app: 'x', tag: ['a', 'b'] }
    }
    await connected5(rb, { clientId: 'v5props', clean: false, properties })
    const connect = await rb.waitForPacket('connect')
    expect(connect.protocolVersion).toBe(5)
    expect(connect.clientId).toBe('v5props')
    expect(connect.clean).toBe(false)
    expect(connect.properties).toEqual(properties)
  })

  test('a plain v5 CONNECT has no properties; the connect packet has reasonCode 0 and no `properties`', async () => {
    const rb = await v5Broker()
    const [c, connack] = await connected5(rb)
    const connect = await rb.waitForPacket('connect')
    expect(connect.protocolVersion).toBe(5)
    expect(connect.properties).toBeUndefined()
    expect(connack).toMatchObject({ cmd: 'connack', reasonCode: 0, sessionPresent: false })
    expect('properties' in connack).toBe(false)
    expect(connack.returnCode).toBeUndefined()
    expect(c.connected).toBe(true)
  })

  test('CONNACK properties reach the connect packet and client.serverProperties as sent', async () => {
    const properties = {
      sessionExpiryInterval: 120,
      receiveMaximum: 10,
      maximumQoS: 1,
      retainAvailable: false,
      maximumPacketSize: 65536,
      assignedClientIdentifier: 'srv-assigned-1',
      topicAliasMaximum: 4,
      reasonString: 'welcome',
      userProperties: { region: 'eu', node: ['n1', 'n2'] },
      wildcardSubscriptionAvailable: false,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: false,
      responseInformation: 'resp/',
      serverReference: 'other:1883'
    }
    const rb = await v5Broker({ connack: { reasonCode: 0, sessionPresent: false, properties } })
    const [c, connack] = await connected5(rb, { clientId: '' })
    expect(connack).toMatchObject({ cmd: 'connack', reasonCode: 0, sessionPresent: false })
    expect(connack.properties).toEqual(properties)
    expect(c.serverProperties).toEqual(properties)
    // MQTT.js keeps the client id it was given; the assigned one is on the packet only
    expect(c.options.clientId).toBe('')
  })

  test('sessionPresent: true in the CONNACK reaches the connect packet', async () => {
    const rb = await v5Broker({ connack: { reasonCode: 0, sessionPresent: true } })
    const [, connack] = await connected5(rb, { clientId: h.clientId(), clean: false, properties: { sessionExpiryInterval: 60 } })
    expect(connack.sessionPresent).toBe(true)
  })
})

describe('CONNACK refusal with a v5 reason code', () => {
  test.each([
    [0x80, 'Unspecified error'],
    [0x84, 'Unsupported Protocol Version'],
    [0x85, 'Client Identifier not valid'],
    [0x86, 'Bad User Name or Password'],
    [0x87, 'Not authorized'],
    [0x88, 'Server unavailable'],
    [0x8a, 'Banned'],
    [0x8c, 'Bad authentication method'],
    [0x95, 'Packet too large'],
    [0x9c, 'Use another server'],
    [0x9f, 'Connection rate exceeded']
  ])('reason code %i: error "Connection refused: %s" with code, then close, no reconnect', async (code, text) => {
    const rb = await v5Broker({ connack: { reasonCode: code, properties: { reasonString: 'go away' } } })
    const c = connect5(rb, { reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    const [err] = (await rec.waitFor('error')).args
    expect(err).toBeInstanceOf(mqtt.ErrorWithReasonCode)
    expect(err.message).toBe(`Connection refused: ${text}`)
    expect(err.code).toBe(code)
    await rec.waitFor('close')
    await delay(800) // eight reconnect periods
    expect(rec.names()).toEqual(['error', 'close'])
    expect(rb.connections.length).toBe(1)
    expect(c.connected).toBe(false)
  })

  test('reconnectOnConnackError: true reconnects after a refusal', async () => {
    const rb = await v5Broker({ connack: { reasonCode: 0x88 } })
    const c = connect5(rb, { reconnectPeriod: 100, reconnectOnConnackError: true })
    const rec = record(c, EVENTS)
    await rec.waitFor('error')
    await rb.waitForConnection(1)
    rb.behavior.connack = { reasonCode: 0 }
    await rec.waitFor('connect')
    const errors = rec.of('error').map((e) => e.args[0])
    expect(errors.length).toBeGreaterThanOrEqual(1)
    for (const err of errors) expect(err.code).toBe(0x88)
    expect(rec.count('reconnect')).toBeGreaterThanOrEqual(1)
  })
})

// ---------------------------------------------------------------- keepalive, client id

describe("the broker's Maximum QoS and Retain Available", () => {
  function publishResult (c, topic, opts) {
    return new Promise((resolve) => c.publish(topic, 'x', opts, (err) => resolve(err || null)))
  }

  test('a publish above Maximum QoS or retained without Retain Available: MQTT.js sends it, we fail its callback and send nothing', async () => {
    const rb = await v5Broker({ connack: { reasonCode: 0, properties: { maximumQoS: 1, retainAvailable: false } } })
    const [c] = await connected5(rb)
    const qos2 = await publishResult(c, 'mq/qos2', { qos: 2 })
    const retained = await publishResult(c, 'mq/retained', { qos: 1, retain: true })
    const allowed = await publishResult(c, 'mq/ok', { qos: 1 })
    expect(allowed).toBeNull()
    const sent = rb.received('publish').map((p) => p.topic)
    if (isNapi) {
      expect(qos2.message).toBe("Publish QoS 2 is above the broker's Maximum QoS 1 [MQTT-3.2.2-11]; nothing was sent")
      expect(retained.message).toMatch(/Retain Available 0\) \[MQTT-3\.2\.2-14\]; nothing was sent$/)
      expect(sent).toEqual(['mq/ok'])
    } else {
      expect(sent).toEqual(expect.arrayContaining(['mq/qos2', 'mq/retained', 'mq/ok']))
    }
    expect(c.connected).toBe(true)
  })
})

describe('Assigned Client Identifier', () => {
  test('after connecting with an empty client id, a reconnect uses the assigned one (MQTT.js sends an empty id again)', async () => {
    const rb = await v5Broker({
      connack: (packet) => packet.clientId === ''
        ? { reasonCode: 0, properties: { assignedClientIdentifier: 'srv-assigned-7' } }
        : { reasonCode: 0 }
    })
    const c = connect5(rb, { clientId: '', reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    await rec.waitFor('connect')
    rb.connections[0].destroy()
    await rb.waitForConnection(1)
    await waitUntil(() => rec.count('connect') >= 2, { timeout: 10000, label: 'second connect' })
    const ids = rb.received('connect').map((p) => p.clientId)
    expect(ids).toEqual(isNapi ? ['', 'srv-assigned-7'] : ['', ''])
  })
})

describe('serverKeepAlive', () => {
  test('the CONNACK Server Keep Alive replaces the keepalive: `client.keepalive` reports it and PINGREQ follows it', async () => {
    const rb = await v5Broker({ connack: { reasonCode: 0, properties: { serverKeepAlive: 1 } } })
    const [c, connack] = await connected5(rb, { keepalive: 60 })
    expect(connack.properties).toEqual({ serverKeepAlive: 1 })
    expect(c.keepalive).toBe(1)
    expect(c.options.keepalive).toBe(60) // the option itself is left as given
    const t0 = Date.now()
    await rb.waitForPacket('pingreq', { timeout: 5000 })
    expect(Date.now() - t0).toBeLessThan(3000) // 60 s would never get here
    // it holds for that connection only: once closed, `keepalive` is the option again
    await h.end(c)
    expect(c.keepalive).toBe(60)
    expect(c.serverProperties).toBeUndefined()
  })

  test('without Server Keep Alive, `client.keepalive` is the option', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb, { keepalive: 45 })
    expect(c.keepalive).toBe(45)
  })
})

// ---------------------------------------------------------------- acks and reason codes

describe('PUBACK / PUBREC / PUBCOMP reason codes', () => {
  test.each([
    [0x80, 'Unspecified error'],
    [0x83, 'Implementation specific error'],
    [0x87, 'Not authorized'],
    [0x90, 'Topic Name invalid'],
    [0x91, 'Packet identifier in use'],
    [0x97, 'Quota exceeded'],
    [0x99, 'Payload format invalid']
  ])('QoS 1: PUBACK %i fails the callback with ErrorWithReasonCode "Publish error: %s"', async (code, text) => {
    const rb = await v5Broker({ puback: { reasonCode: code, properties: { reasonString: 'nope' } } })
    const [c] = await connected5(rb)
    const [err, packet] = await h.publish(c, 'a/b', 'x', { qos: 1 })
    expect(err).toBeInstanceOf(mqtt.ErrorWithReasonCode)
    expect(err.message).toBe(`Publish error: ${text}`)
    expect(err.code).toBe(code)
    expect(packet).toMatchObject({ cmd: 'puback', reasonCode: code })
    // the client does not resend a refused message, and stays connected
    await delay(200)
    expect(rb.received('publish').length).toBe(1)
    expect(c.connected).toBe(true)
    const [err2] = await h.publish(c, 'a/b', 'y', { qos: 0 })
    expect(err2).toBeFalsy()
  })

  test('QoS 1: PUBACK 16 "No matching subscribers" is a success', async () => {
    const rb = await v5Broker({ puback: { reasonCode: 0x10 } })
    const [c] = await connected5(rb)
    const [err] = await h.publish(c, 'a/b', 'x', { qos: 1 })
    expect(err).toBeFalsy()
  })

  test('QoS 2: PUBREC 0x87 fails the callback and no PUBREL is sent', async () => {
    const rb = await v5Broker({ pubrec: { reasonCode: 0x87 } })
    const [c] = await connected5(rb)
    const [err] = await h.publish(c, 'a/b', 'x', { qos: 2 })
    expect(err).toBeInstanceOf(mqtt.ErrorWithReasonCode)
    expect(err.message).toBe('Publish error: Not authorized')
    expect(err.code).toBe(0x87)
    await delay(200)
    expect(rb.received('pubrel')).toEqual([])
  })

  test('QoS 2: PUBREC 16 continues with PUBREL and succeeds on PUBCOMP', async () => {
    const rb = await v5Broker({ pubrec: { reasonCode: 0x10 } })
    const [c] = await connected5(rb)
    const [err] = await h.publish(c, 'a/b', 'x', { qos: 2 })
    expect(err).toBeFalsy()
    expect(rb.received('pubrel').length).toBe(1)
  })

  test('QoS 2: PUBCOMP 0x92 "Packet Identifier not found" fails the callback', async () => {
    const rb = await v5Broker({ pubcomp: { reasonCode: 0x92 } })
    const [c] = await connected5(rb)
    const [err] = await h.publish(c, 'a/b', 'x', { qos: 2 })
    expect(err.message).toBe('Publish error: Packet Identifier not found')
    expect(err.code).toBe(0x92)
  })

  test('PUBACK with properties and reason code 0: success', async () => {
    const rb = await v5Broker({ puback: { reasonCode: 0, properties: { reasonString: 'ok', userProperties: { a: 'b' } } } })
    const [c] = await connected5(rb)
    const [err] = await h.publish(c, 'a/b', 'x', { qos: 1 })
    expect(err).toBeFalsy()
  })
})

describe('SUBACK reason codes', () => {
  // MQTT.js wraps the failure in ErrorWithSubackPacket: the message names the (last) failing
  // code, `err.packet` is the SUBACK, and there is no `code`; the callback's third argument
  // is the SUBACK too, the second the subscriptions as requested
  test('a failure code in SUBACK fails the callback: ErrorWithSubackPacket with the SUBACK', async () => {
    const rb = await v5Broker({ suback: () => ({ granted: [1, 0x87, 0], properties: { reasonString: 'partly' } }) })
    const [c] = await connected5(rb)
    const [err, granted, packet] = await h.subscribe(c, { 'a/1': { qos: 1 }, 'a/2': { qos: 2 }, 'a/3': { qos: 0 } })
    expect(err).toBeInstanceOf(mqtt.ErrorWithSubackPacket)
    expect(err.name).toBe('ErrorWithSubackPacket')
    expect(err.message).toBe('Subscribe error: Not authorized')
    expect(err.packet).toMatchObject({ cmd: 'suback', granted: [1, 0x87, 0], properties: { reasonString: 'partly' } })
    expect(packet).toBe(err.packet)
    expect(granted.map((g) => [g.topic, g.qos])).toEqual([['a/1', 1], ['a/2', 2], ['a/3', 0]])
    expect(c.connected).toBe(true)
  })

  test('granted QoS below the requested one is reported in `granted`, with the v5 subscription options', async () => {
    const rb = await v5Broker({ suback: (p) => p.subscriptions.map(() => 0) })
    const [c] = await connected5(rb)
    const [err, granted] = await h.subscribe(c, 'x/y', { qos: 2, nl: true, rap: true, rh: 1 })
    expect(err).toBeFalsy()
    expect(granted).toEqual([{ topic: 'x/y', qos: 0, nl: true, rap: true, rh: 1 }])
    const sub = await rb.waitForPacket('subscribe')
    expect(sub.subscriptions).toEqual([{ topic: 'x/y', qos: 2, nl: true, rap: true, rh: 1 }])
  })

  test.each([
    [0x80, 'Unspecified error'],
    [0x8f, 'Topic Filter invalid'],
    [0x9e, 'Shared Subscriptions not supported'],
    [0xa1, 'Subscription Identifiers not supported'],
    [0xa2, 'Wildcard Subscriptions not supported']
  ])('SUBACK %i: "Subscribe error: %s"', async (code, text) => {
    const rb = await v5Broker({ suback: () => [code] })
    const [c] = await connected5(rb)
    const [err] = await h.subscribe(c, 'a/#', { qos: 1 })
    expect(err).toBeInstanceOf(mqtt.ErrorWithSubackPacket)
    expect(err.message).toBe(`Subscribe error: ${text}`)
    expect(err.packet.granted).toEqual([code])
  })

  test('subscription properties (subscriptionIdentifier, userProperties) are on the SUBSCRIBE', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const properties = { subscriptionIdentifier: 42, userProperties: { who: 'me' } }
    const [err] = await h.subscribe(c, 's/+', { qos: 1, properties })
    expect(err).toBeFalsy()
    const sub = await rb.waitForPacket('subscribe')
    expect(sub.properties).toEqual(properties)
  })
})

describe('UNSUBACK reason codes', () => {
  test('all successful (0 and 17 "No subscription existed"): callback (null, packet) with the codes in packet.granted', async () => {
    const rb = await v5Broker({ unsuback: () => ({ granted: [0, 0x11] }) })
    const [c] = await connected5(rb)
    const [err, packet] = await h.unsubscribe(c, ['u/1', 'u/2'])
    expect(err).toBeFalsy()
    expect(packet).toMatchObject({ cmd: 'unsuback', granted: [0, 0x11] })
  })

  test('UNSUBSCRIBE carries its properties', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const [err] = await h.unsubscribe(c, 'u/1', { properties: { userProperties: { why: 'done' } } })
    expect(err).toBeFalsy()
    const unsub = await rb.waitForPacket('unsubscribe')
    expect(unsub.properties).toEqual({ userProperties: { why: 'done' } })
  })

  // MQTT.js ignores UNSUBACK reason codes (the callback always gets a null error);
  // mqtt-napi reports the first failure (>= 0x80) like a SUBACK failure, and still
  // passes the UNSUBACK packet, so code that reads packet.granted works with both.
  testMqttjs('a failure code: MQTT.js ignores it, callback (null, packet)', async () => {
    const rb = await v5Broker({ unsuback: () => ({ granted: [0, 0x87], properties: { reasonString: 'no' } }) })
    const [c] = await connected5(rb)
    const [err, packet] = await h.unsubscribe(c, ['u/1', 'u/2'])
    expect(err).toBeNull()
    expect(packet).toMatchObject({ cmd: 'unsuback', granted: [0, 0x87], properties: { reasonString: 'no' } })
  })

  testNapi('a failure code: callback gets Error "Unsubscribe error: Not authorized" (code 0x87) and the packet', async () => {
    const rb = await v5Broker({ unsuback: () => ({ granted: [0, 0x87], properties: { reasonString: 'no' } }) })
    const [c] = await connected5(rb)
    const [err, packet] = await h.unsubscribe(c, ['u/1', 'u/2'])
    expect(h.isError(err)).toBe(true)
    expect(err.message).toBe('Unsubscribe error: Not authorized')
    expect(err.code).toBe(0x87)
    expect(packet).toMatchObject({ cmd: 'unsuback', granted: [0, 0x87], properties: { reasonString: 'no' } })
    expect(c.connected).toBe(true)
  })
})

// ---------------------------------------------------------------- DISCONNECT both ways

describe('server DISCONNECT', () => {
  test('`disconnect` event with the packet (reasonCode, properties), then close, then reconnect', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb, { reconnectPeriod: 200 })
    const rec = record(c, EVENTS)
    const conn = await rb.waitForConnection(0)
    conn.disconnect(0x8b, { reasonString: 'shutting down', userProperties: { when: 'now' } })
    const [packet] = (await rec.waitFor('disconnect')).args
    expect(packet).toMatchObject({ cmd: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'shutting down', userProperties: { when: 'now' } } })
    await rec.waitFor('close')
    await rec.waitFor('connect')
    const names = rec.names()
    expect(names.indexOf('disconnect')).toBeLessThan(names.indexOf('close'))
    expect(names.indexOf('close')).toBeLessThan(names.indexOf('reconnect'))
    expect(rec.count('error')).toBe(0)
    expect(rb.connections.length).toBe(2)
    // the client does not answer a server DISCONNECT with one of its own
    expect(rb.received('disconnect', 0)).toEqual([])
  })

  test('server DISCONNECT without reason code (normal disconnection): reasonCode 0, no properties', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const rec = record(c, EVENTS)
    const conn = await rb.waitForConnection(0)
    conn.disconnect(0)
    const [packet] = (await rec.waitFor('disconnect')).args
    expect(packet).toMatchObject({ cmd: 'disconnect', reasonCode: 0 })
    expect(packet.properties).toBeUndefined()
    await rec.waitFor('close')
  })
})

describe('end() with a reason code', () => {
  test('end() sends DISCONNECT with reason code 0 and no properties', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    await h.end(c)
    const d = await rb.waitForPacket('disconnect')
    expect(d.reasonCode).toBe(0)
    expect(d.properties).toBeUndefined()
  })

  test('end(false, { reasonCode, properties }, cb) puts them on the DISCONNECT', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb, { properties: { sessionExpiryInterval: 600 } })
    const properties = { sessionExpiryInterval: 0, reasonString: 'bye', userProperties: { a: '1' } }
    const [err] = await h.end(c, false, { reasonCode: 0x04, properties })
    expect(err).toBeFalsy()
    const d = await rb.waitForPacket('disconnect')
    expect(d.reasonCode).toBe(0x04)
    expect(d.properties).toEqual(properties)
  })

  test('end({ reasonCode }, cb) (no force argument) sends it too', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const ended = new Promise((resolve) => c.end({ reasonCode: 0x80 }, resolve))
    await ended
    const d = await rb.waitForPacket('disconnect')
    expect(d.reasonCode).toBe(0x80)
  })
})

// ---------------------------------------------------------------- publish properties

describe('PUBLISH properties', () => {
  test('outgoing publish properties are on the wire exactly as given', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const properties = {
      payloadFormatIndicator: true,
      messageExpiryInterval: 30,
      contentType: 'application/json',
      responseTopic: 'reply/here',
      correlationData: Buffer.from([0, 1, 2, 255]),
      userProperties: { k: 'v', multi: ['1', '2'] }
    }
    const [err] = await h.publish(c, 'p/1', '{"a":1}', { qos: 1, properties })
    expect(err).toBeFalsy()
    const p = await rb.waitForPacket('publish')
    expect(p.topic).toBe('p/1')
    expect(p.properties).toEqual(properties)
  })

  test('incoming: packet.properties exactly as sent (subscription identifiers as a number, or an array)', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const rec = record(c, ['message'])
    const conn = await rb.waitForConnection(0)
    const properties = {
      payloadFormatIndicator: false,
      messageExpiryInterval: 10,
      contentType: 'text/plain',
      responseTopic: 'r/1',
      correlationData: Buffer.from('corr'),
      userProperties: { a: '1', rep: ['x', 'y', 'z'] },
      subscriptionIdentifier: 5
    }
    conn.send({ cmd: 'publish', topic: 'in/1', payload: Buffer.from('hello'), qos: 0, properties })
    conn.send({ cmd: 'publish', topic: 'in/2', payload: Buffer.from('two'), qos: 1, messageId: 7, properties: { subscriptionIdentifier: [3, 9] } })
    conn.send({ cmd: 'publish', topic: 'in/3', payload: Buffer.from('none'), qos: 0 })
    await rec.waitFor('message', 3)
    const [m1, m2, m3] = rec.of('message').map((e) => e.args)
    expect(m1[0]).toBe('in/1')
    expect(m1[1].toString()).toBe('hello')
    expect(m1[2].properties).toEqual(properties)
    expect(m2[2].properties).toEqual({ subscriptionIdentifier: [3, 9] })
    expect(m3[2].properties).toBeUndefined()
    // QoS 1 is acknowledged with a plain PUBACK (reason code 0)
    const ack = await waitUntil(() => conn.packets.find((p) => p.cmd === 'puback'))
    expect(ack).toMatchObject({ messageId: 7, reasonCode: 0 })
  })
})

// ---------------------------------------------------------------- flow control

describe('Receive Maximum from the broker', () => {
  // The broker holds its PUBACKs (CONNACK receiveMaximum 2), then releases them one by one.
  async function holdAndRelease (qos) {
    const rb = await v5Broker({
      connack: { reasonCode: 0, properties: { receiveMaximum: 2 } },
      puback: false,
      pubrec: false
    })
    const [c] = await connected5(rb)
    const results = []
    for (let i = 0; i < 10; i++) {
      c.publish('rm/t', `m${i}`, { qos }, (err) => results.push({ i, err }))
    }
    await rb.waitForPacket((p) => p.cmd === 'publish' && rb.received('publish').length >= 2)
    await delay(400) // the client had every chance to send more
    const heldPublishes = rb.received('publish').length
    const conn = rb.connections[0]
    // release: answer each PUBLISH (held or future) once
    const answered = new Set()
    const answer = () => {
      for (const p of conn.packets) {
        if (p.cmd === 'publish' && !answered.has(p.messageId)) {
          answered.add(p.messageId)
          conn.send({ cmd: qos === 1 ? 'puback' : 'pubrec', messageId: p.messageId })
        }
      }
    }
    rb.emitter.on('packet', () => setImmediate(answer))
    answer()
    await waitUntil(() => results.length === 10, { label: '10 publish callbacks' })
    return { rb, results, heldPublishes }
  }

  test.each([1, 2])('QoS %i: all 10 callbacks succeed, in order', async (qos) => {
    const { rb, results, heldPublishes } = await holdAndRelease(qos)
    expect(results.map((r) => r.err || null)).toEqual(Array(10).fill(null))
    expect(results.map((r) => r.i)).toEqual([...Array(10).keys()])
    const payloads = rb.received('publish').filter((p) => !p.dup).map((p) => p.payload.toString())
    expect(payloads).toEqual([...Array(10).keys()].map((i) => `m${i}`))
    if (isNapi) {
      // the spec: never more unacknowledged QoS 1/2 PUBLISHes than the broker's Receive Maximum
      expect(heldPublishes).toBe(2)
      expect(rb.peakInFlight(0)).toBeLessThanOrEqual(2)
    } else {
      // MQTT.js ignores Receive Maximum and sends all ten at once
      expect(heldPublishes).toBe(10)
      expect(rb.peakInFlight(0)).toBe(10)
    }
  })
})

describe('our Receive Maximum (inbound)', () => {
  test('more unacknowledged QoS 2 messages than our receiveMaximum: error 147, connection closed', async () => {
    const rb = await v5Broker({ pubrel: false })
    const [c] = await connected5(rb, { properties: { receiveMaximum: 2 } })
    const rec = record(c, EVENTS)
    const conn = await rb.waitForConnection(0)
    for (let id = 1; id <= 3; id++) {
      conn.send({ cmd: 'publish', topic: 'q2', payload: Buffer.from(`m${id}`), qos: 2, messageId: id })
    }
    const [err] = (await rec.waitFor('error')).args
    expect(err.code).toBe(0x93)
    expect(err.message).toMatch(/Receive Maximum exceeded/)
    await rec.waitFor('close')
    if (isNapi) {
      // [MQTT-3.3.4-9] / 4.13: the client tells the broker why before closing
      const d = await rb.waitForPacket('disconnect')
      expect(d.reasonCode).toBe(0x93)
    } else {
      expect(disconnects(rb)).toEqual([]) // MQTT.js just closes the socket
    }
  })
})

describe('Maximum Packet Size', () => {
  const big = Buffer.alloc(2000, 0x61)

  test('broker maximumPacketSize 1024: a 2,000-byte publish', async () => {
    const rb = await v5Broker({ connack: { reasonCode: 0, properties: { maximumPacketSize: 1024 } } })
    const [c] = await connected5(rb)
    const [err] = await h.publish(c, 'big/1', big, { qos: 1 })
    if (isNapi) {
      // never sent: the broker would have to disconnect us [MQTT-3.2.2-15]
      expect(h.isError(err)).toBe(true)
      expect(err.code).toBe('ERR_MQTT_PACKET_TOO_LARGE')
      expect(err.message).toMatch(/1024/)
      await delay(200)
      expect(rb.received('publish')).toEqual([])
    } else {
      // MQTT.js sends it anyway
      expect(err).toBeFalsy()
      expect(rb.received('publish').length).toBe(1)
    }
    // a publish that fits still goes through on the same connection
    const [err2] = await h.publish(c, 'big/2', 'small', { qos: 1 })
    expect(err2).toBeFalsy()
    expect(rb.received('publish').map((p) => p.topic)).toContain('big/2')
    expect(rb.connections.length).toBe(1)
  })

  testNapi('broker maximumPacketSize: a QoS 0 publish that does not fit fails its callback, nothing sent', async () => {
    const rb = await v5Broker({ connack: { reasonCode: 0, properties: { maximumPacketSize: 1024 } } })
    const [c] = await connected5(rb)
    const [err] = await h.publish(c, 'big/0', big, { qos: 0 })
    expect(err.code).toBe('ERR_MQTT_PACKET_TOO_LARGE')
    await delay(200)
    expect(rb.received('publish')).toEqual([])
  })

  test('our maximumPacketSize 512: a larger inbound PUBLISH is an error (code 149) and the connection closes', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb, { properties: { maximumPacketSize: 512 } })
    const rec = record(c, [...EVENTS, 'message'])
    const conn = await rb.waitForConnection(0)
    conn.send({ cmd: 'publish', topic: 'big/in', payload: big, qos: 0 })
    const [err] = (await rec.waitFor('error')).args
    expect(err.code).toBe(0x95)
    await rec.waitFor('close')
    expect(rec.count('message')).toBe(0)
    if (isNapi) {
      const d = await rb.waitForPacket('disconnect')
      expect(d.reasonCode).toBe(0x95)
    } else {
      expect(err.message).toBe('exceeding packets size publish: 2012 bytes, maximumPacketSize is 512')
      expect(disconnects(rb)).toEqual([])
    }
  })
})

// ---------------------------------------------------------------- topic aliases

describe('topic aliases, inbound', () => {
  test('an alias the broker sets is resolved: `message` has the real topic', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb, { properties: { topicAliasMaximum: 5 } })
    const connect = await rb.waitForPacket('connect')
    expect(connect.properties).toEqual({ topicAliasMaximum: 5 })
    const rec = record(c, ['message', 'error'])
    const conn = await rb.waitForConnection(0)
    conn.send({ cmd: 'publish', topic: 'alias/topic', payload: Buffer.from('1'), qos: 0, properties: { topicAlias: 3 } })
    conn.send({ cmd: 'publish', topic: '', payload: Buffer.from('2'), qos: 0, properties: { topicAlias: 3 } })
    conn.send({ cmd: 'publish', topic: 'alias/other', payload: Buffer.from('3'), qos: 0, properties: { topicAlias: 3 } })
    conn.send({ cmd: 'publish', topic: '', payload: Buffer.from('4'), qos: 1, messageId: 1, properties: { topicAlias: 3 } })
    await rec.waitFor('message', 4)
    expect(rec.of('message').map((e) => [e.args[0], e.args[1].toString()])).toEqual([
      ['alias/topic', '1'], ['alias/topic', '2'], ['alias/other', '3'], ['alias/other', '4']
    ])
    expect(rec.count('error')).toBe(0)
  })

  // misuse: [MQTT-3.3.2-8] alias 0, [MQTT-3.3.2-10] above our Topic Alias Maximum (0x94);
  // an alias never mapped on this connection is a protocol error (0x82)
  test.each([
    ['alias 0', { topic: 'a/b', properties: { topicAlias: 0 } }, 5, 0x94],
    ['alias above our topicAliasMaximum', { topic: 'a/b', properties: { topicAlias: 6 } }, 5, 0x94],
    ['an alias when we advertised none', { topic: 'a/b', properties: { topicAlias: 1 } }, undefined, 0x94],
    ['an empty topic with an alias never set', { topic: '', properties: { topicAlias: 2 } }, 5, 0x82]
  ])('%s: error (code %i), the client closes the connection, no message', async (name, publish, max, code) => {
    const rb = await v5Broker()
    const props = max === undefined ? undefined : { topicAliasMaximum: max }
    const [c] = await connected5(rb, { properties: props, reconnectPeriod: 300 })
    const rec = record(c, [...EVENTS, 'message'])
    const conn = await rb.waitForConnection(0)
    conn.send({ cmd: 'publish', payload: Buffer.from('x'), qos: 0, ...publish })
    const [err] = (await rec.waitFor('error')).args
    expect(err.code).toBe(code)
    expect(err.message).toMatch(/Topic Alias/)
    await rec.waitFor('close')
    expect(rec.count('message')).toBe(0)
    if (isNapi) {
      const d = await rb.waitForPacket('disconnect')
      expect(d.reasonCode).toBe(code)
    } else {
      expect(disconnects(rb)).toEqual([])
    }
    // then reconnects per policy
    await rec.waitFor('connect')
  })

  test('aliases do not survive a reconnect: the old alias is unknown on the new connection', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb, { properties: { topicAliasMaximum: 5 }, reconnectPeriod: 100 })
    const rec = record(c, [...EVENTS, 'message'])
    const conn0 = await rb.waitForConnection(0)
    conn0.send({ cmd: 'publish', topic: 'keep/me', payload: Buffer.from('1'), qos: 0, properties: { topicAlias: 1 } })
    await rec.waitFor('message', 1)
    conn0.destroy()
    await rec.waitFor('connect')
    const conn1 = await rb.waitForConnection(1)
    conn1.send({ cmd: 'publish', topic: '', payload: Buffer.from('2'), qos: 0, properties: { topicAlias: 1 } })
    const [err] = (await rec.waitFor('error')).args
    expect(err.code).toBe(0x82)
    expect(rec.count('message')).toBe(1)
  })
})

describe('topic aliases, outbound', () => {
  const withMax = (max) => ({ connack: { reasonCode: 0, properties: { topicAliasMaximum: max } } })
  const wire = (rb) => rb.received('publish').map((p) => [p.topic, p.properties && p.properties.topicAlias])

  test('explicit topicAlias: set with the topic, then used with an empty topic', async () => {
    const rb = await v5Broker(withMax(3))
    const [c] = await connected5(rb)
    expect((await h.publish(c, 'ta/1', 'a', { qos: 1, properties: { topicAlias: 2 } }))[0]).toBeFalsy()
    expect((await h.publish(c, '', 'b', { qos: 1, properties: { topicAlias: 2 } }))[0]).toBeFalsy()
    expect(wire(rb)).toEqual([['ta/1', 2], ['', 2]])
  })

  // QoS 0: the callback gets the error. QoS 1/2: MQTT.js passes the error to no one (the
  // callback never runs, the message id stays allocated); mqtt-napi fails the callback.
  test.each([
    ['4, above the broker maximum 3', 0, 3, 4],
    ['4, above the broker maximum 3', 1, 3, 4],
    ['1, when the broker allows none', 0, undefined, 1],
    ['1, when the broker allows none', 1, undefined, 1]
  ])('explicit topicAlias %s (QoS %i): nothing sent; callback error "Sending Topic Alias out of range" (MQTT.js QoS 1: never called)', async (name, qos, max, alias) => {
    const rb = await v5Broker(max === undefined ? {} : withMax(max))
    const [c] = await connected5(rb)
    const results = []
    c.publish('ta/x', 'a', { qos, properties: { topicAlias: alias } }, (...args) => results.push(args))
    await delay(300)
    expect(rb.received('publish')).toEqual([])
    expect(c.connected).toBe(true)
    if (isNapi || qos === 0) {
      expect(results.length).toBe(1)
      const [err] = results[0]
      expect(h.isError(err)).toBe(true)
      expect(err.message).toBe('Sending Topic Alias out of range')
    } else {
      expect(results).toEqual([])
    }
  })

  test('autoUseTopicAlias: a topic registered with an explicit alias is then sent as the alias', async () => {
    const rb = await v5Broker(withMax(3))
    const [c] = await connected5(rb, { autoUseTopicAlias: true })
    await h.publish(c, 'au/1', 'a', { qos: 1, properties: { topicAlias: 1 } })
    await h.publish(c, 'au/1', 'b', { qos: 1 })
    await h.publish(c, 'au/2', 'c', { qos: 1 }) // never registered: full topic, no alias
    expect(wire(rb)).toEqual([['au/1', 1], ['', 1], ['au/2', undefined]])
  })

  test('autoAssignTopicAlias: aliases assigned from 1 up to the broker maximum, then reused', async () => {
    const rb = await v5Broker(withMax(2))
    const [c] = await connected5(rb, { autoAssignTopicAlias: true })
    for (const t of ['aa/1', 'aa/2', 'aa/1', 'aa/2']) {
      const [err] = await h.publish(c, t, 'x', { qos: 1 })
      expect(err).toBeFalsy()
    }
    expect(wire(rb)).toEqual([['aa/1', 1], ['aa/2', 2], ['', 1], ['', 2]])
    // a third topic takes over an alias: sent with its full topic and an alias in range
    await h.publish(c, 'aa/3', 'x', { qos: 1 })
    const [topic, alias] = wire(rb)[4]
    expect(topic).toBe('aa/3')
    expect([1, 2]).toContain(alias)
    await h.publish(c, 'aa/3', 'y', { qos: 1 })
    expect(wire(rb)[5]).toEqual(['', alias])
  })

  test('outbound aliases are forgotten on reconnect: the first publish after it carries the topic again', async () => {
    const rb = await v5Broker(withMax(2))
    const [c] = await connected5(rb, { autoAssignTopicAlias: true, reconnectPeriod: 100 })
    await h.publish(c, 'rc/1', 'x', { qos: 1 })
    await h.publish(c, 'rc/1', 'y', { qos: 1 })
    rb.connections[0].destroy()
    await once(c, 'connect')
    await h.publish(c, 'rc/1', 'z', { qos: 1 })
    const onNew = rb.received('publish', 1).map((p) => [p.topic, p.properties && p.properties.topicAlias])
    expect(onNew).toEqual([['rc/1', 1]])
  })
})

// ---------------------------------------------------------------- enhanced authentication

describe('enhanced authentication (AUTH)', () => {
  const method = 'SCRAM-SHA-1'

  test('AUTH continue (0x18) from the broker reaches handleAuth; its answer goes on the wire; then CONNACK', async () => {
    const rb = await v5Broker({
      connack: null,
      auth: (packet, conn) => {
        // the client's answer: finish with a CONNACK carrying the final data
        conn.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { authenticationMethod: method, authenticationData: Buffer.from('server-final') } })
        return null
      }
    })
    rb.emitter.on('packet', (p, conn) => {
      if (p.cmd === 'connect') {
        conn.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: method, authenticationData: Buffer.from('server-first') } })
      }
    })
    const c = connect5(rb, { properties: { authenticationMethod: method, authenticationData: Buffer.from('client-first') } })
    const seen = []
    c.handleAuth = (packet, cb) => {
      seen.push(packet)
      cb(null, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: method, authenticationData: Buffer.from('client-final') } })
    }
    const connack = await h.waitConnect(c)
    expect(connack.properties).toEqual({ authenticationMethod: method, authenticationData: Buffer.from('server-final') })
    const connect = await rb.waitForPacket('connect')
    expect(connect.properties).toEqual({ authenticationMethod: method, authenticationData: Buffer.from('client-first') })
    expect(seen.length).toBe(1)
    expect(seen[0]).toMatchObject({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: method, authenticationData: Buffer.from('server-first') } })
    const auth = await rb.waitForPacket('auth')
    expect(auth.reasonCode).toBe(0x18)
    expect(auth.properties).toEqual({ authenticationMethod: method, authenticationData: Buffer.from('client-final') })
  })

  test('handleAuth calling back with an error: `error` with that error, the connection closes', async () => {
    const rb = await v5Broker({ connack: null })
    rb.emitter.on('packet', (p, conn) => {
      if (p.cmd === 'connect') conn.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: method } })
    })
    const c = connect5(rb, { properties: { authenticationMethod: method } })
    const rec = record(c, EVENTS)
    const failure = new Error('cannot answer the challenge')
    c.handleAuth = (packet, cb) => cb(failure)
    const [err] = (await rec.waitFor('error')).args
    expect(err.message).toBe('cannot answer the challenge')
    await rec.waitFor('close')
    expect(rec.count('connect')).toBe(0)
  })

  test.each([
    ['a method other than the one in CONNECT', { authenticationMethod: 'OTHER' }, true],
    ['AUTH when no enhanced authentication was requested', { authenticationMethod: method }, false]
  ])('%s: protocol error (code 130), connection closed', async (name, properties, requested) => {
    const rb = await v5Broker({ connack: null })
    rb.emitter.on('packet', (p, conn) => {
      if (p.cmd === 'connect') conn.send({ cmd: 'auth', reasonCode: 0x18, properties })
    })
    const c = connect5(rb, requested ? { properties: { authenticationMethod: method } } : {})
    const rec = record(c, EVENTS)
    c.handleAuth = (packet, cb) => cb(null, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: method } })
    const [err] = (await rec.waitFor('error')).args
    expect(err.code).toBe(0x82)
    expect(err.message).toMatch(/^Protocol error: /)
    await rec.waitFor('close')
    expect(rb.received('auth')).toEqual([])
    if (isNapi) {
      const d = await rb.waitForPacket('disconnect')
      expect(d.reasonCode).toBe(0x82)
    }
  })

  // [MQTT-3.1.2-?] Authentication Data without Authentication Method is a Protocol Error.
  // MQTT.js writes that CONNECT anyway, then ends the client and emits the error;
  // mqtt-napi refuses before sending (thrown from connect() or emitted as `error`).
  test('authenticationData without authenticationMethod: error "Packet has no Authentication Method"', async () => {
    const rb = await v5Broker()
    let c, err
    try {
      c = connect5(rb, { properties: { authenticationData: Buffer.from('x') } })
    } catch (e) {
      err = e
    }
    if (!err) [err] = await once(c, 'error')
    expect(err.message).toBe('Packet has no Authentication Method')
    await delay(200)
    if (isNapi) expect(rb.received('connect')).toEqual([])
    if (c) expect(c.connected).toBe(false)
  })
})

// ---------------------------------------------------------------- customHandleAcks

describe('customHandleAcks (v5 reason codes on our PUBACK/PUBREC)', () => {
  test.each([
    [1, 'puback', 0x87],
    [1, 'puback', 0x10],
    [2, 'pubrec', 0x80],
    [2, 'pubrec', 0x97]
  ])('QoS %i: a reason code from customHandleAcks goes on the %s (%i); the message is not emitted', async (qos, ackCmd, code) => {
    const rb = await v5Broker({ pubrel: false })
    const calls = []
    const [c] = await connected5(rb, {
      customHandleAcks: (topic, message, packet, done) => {
        calls.push([topic, message.toString(), packet.messageId])
        done(code)
      }
    })
    const rec = record(c, ['message', 'error'])
    const conn = await rb.waitForConnection(0)
    conn.send({ cmd: 'publish', topic: 'cha/1', payload: Buffer.from('m'), qos, messageId: 11 })
    const ack = await rb.waitForPacket(ackCmd)
    expect(ack).toMatchObject({ messageId: 11, reasonCode: code })
    expect(calls).toEqual([['cha/1', 'm', 11]])
    await delay(200)
    // only reason code 0 delivers the message (MQTT.js), even the success code 0x10
    expect(rec.count('message')).toBe(0)
    expect(rec.count('error')).toBe(0)
  })

  test.each([1, 2])('QoS %i: customHandleAcks(null, 0) delivers the message and acks with 0', async (qos) => {
    const rb = await v5Broker({ pubrel: true })
    const [c] = await connected5(rb, { customHandleAcks: (t, m, p, done) => done(null, 0) })
    const rec = record(c, ['message'])
    const conn = await rb.waitForConnection(0)
    conn.send({ cmd: 'publish', topic: 'cha/ok', payload: Buffer.from('m'), qos, messageId: 12 })
    await rec.waitFor('message')
    const ack = await rb.waitForPacket(qos === 1 ? 'puback' : 'pubrec')
    expect(ack).toMatchObject({ messageId: 12, reasonCode: 0 })
  })

  test('a reason code not valid for PUBACK: `error` "Wrong reason code for puback"', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb, { customHandleAcks: (t, m, p, done) => done(0x8e) })
    const conn = await rb.waitForConnection(0)
    const errP = once(c, 'error')
    conn.send({ cmd: 'publish', topic: 'cha/bad', payload: Buffer.from('m'), qos: 1, messageId: 13 })
    const [err] = await errP
    expect(err.message).toBe('Wrong reason code for puback')
  })
})

// ---------------------------------------------------------------- broker protocol violations

describe('protocol violations by the broker', () => {
  // PUBLISH (QoS 0, topic "t") whose properties hold Payload Format Indicator twice
  const duplicatePropertyPublish = () => {
    const props = Buffer.from([0x01, 0x01, 0x01, 0x00])
    return pkt(0x30, bytes(str('t'), [props.length], props, 'payload'))
  }

  // MQTT 5 section 3.3.2.3.2: "It is a Protocol Error to include the Payload Format Indicator
  // more than once" (as section 2.2.2.2 says of every property but User Property and
  // Subscription Identifier): 0x82, not 0x81.
  testNapi('a property given twice: DISCONNECT 0x82 (Protocol Error), error, close, no message', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const rec = record(c, [...EVENTS, 'message'])
    const conn = await rb.waitForConnection(0)
    conn.sendRaw(duplicatePropertyPublish())
    const [err] = (await rec.waitFor('error')).args
    expect(err.code).toBe(0x82)
    await rec.waitFor('close')
    expect(rec.count('message')).toBe(0)
    const d = await rb.waitForPacket('disconnect')
    expect(d.reasonCode).toBe(0x82)
  })

  testMqttjs('a property given twice: MQTT.js delivers the message with both values in an array', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const rec = record(c, ['message', 'error'])
    const conn = await rb.waitForConnection(0)
    conn.sendRaw(duplicatePropertyPublish())
    await rec.waitFor('message')
    expect(rec.of('message')[0].args[2].properties).toEqual({ payloadFormatIndicator: [true, false] })
    expect(rec.count('error')).toBe(0)
  })

  test('a second CONNACK on the connection: protocol error (code 130), connection closed', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const rec = record(c, EVENTS)
    const conn = await rb.waitForConnection(0)
    conn.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false })
    const [err] = (await rec.waitFor('error')).args
    expect(err.code).toBe(0x82)
    await rec.waitFor('close')
    if (isNapi) {
      const d = await rb.waitForPacket('disconnect')
      expect(d.reasonCode).toBe(0x82)
    }
  })

  // Receive Maximum 0 is a Protocol Error [MQTT-3.2.2.3.3]; mqtt-packet will not encode it,
  // so the CONNACK is written by hand: 20 04 00 00 03 21 00 00
  const receiveMaximumZeroConnack = () => pkt(0x20, bytes([0x00, 0x00, 0x03, 0x21], u16(0)))

  testNapi('a CONNACK with Receive Maximum 0: DISCONNECT 0x82, error (code 130), no connect', async () => {
    const rb = await v5Broker({ connack: null })
    rb.emitter.on('packet', (p, conn) => { if (p.cmd === 'connect') conn.sendRaw(receiveMaximumZeroConnack()) })
    const c = connect5(rb)
    const rec = record(c, EVENTS)
    const [err] = (await rec.waitFor('error')).args
    expect(err.code).toBe(0x82)
    const d = await rb.waitForPacket('disconnect')
    expect(d.reasonCode).toBe(0x82)
    await rec.waitFor('close')
    expect(rec.count('connect')).toBe(0)
  })

  testMqttjs('a CONNACK with Receive Maximum 0: MQTT.js connects', async () => {
    const rb = await v5Broker({ connack: null })
    rb.emitter.on('packet', (p, conn) => { if (p.cmd === 'connect') conn.sendRaw(receiveMaximumZeroConnack()) })
    const c = connect5(rb)
    const [connack] = await once(c, 'connect')
    expect(connack.properties).toEqual({ receiveMaximum: 0 })
  })
})

// ---------------------------------------------------------------- more protocol corners

describe('a v3.1.1 broker answering a v5 CONNECT', () => {
  // [MQTT-3.1.4-?]: a server without MQTT 5 may answer with a 3.1.1 CONNACK 0x01
  test('CONNACK 20 02 00 01: error "Connection refused: Unacceptable protocol version" (code 1), close', async () => {
    const rb = await v5Broker({ connack: null })
    rb.emitter.on('packet', (p, conn) => { if (p.cmd === 'connect') conn.sendRaw(Buffer.from([0x20, 0x02, 0x00, 0x01])) })
    const c = connect5(rb)
    const rec = record(c, EVENTS)
    const [err] = (await rec.waitFor('error')).args
    expect(err.message).toBe('Connection refused: Unacceptable protocol version')
    expect(err.code).toBe(1)
    await rec.waitFor('close')
    expect(rec.count('connect')).toBe(0)
  })
})

describe('AUTH without a handleAuth answer', () => {
  test('the default handleAuth gives no packet: protocol error (130), the connection closes', async () => {
    const rb = await v5Broker({ connack: null })
    rb.emitter.on('packet', (p, conn) => {
      if (p.cmd === 'connect') conn.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'M' } })
    })
    const c = connect5(rb, { properties: { authenticationMethod: 'M' } })
    const rec = record(c, EVENTS)
    const [err] = (await rec.waitFor('error')).args
    expect(err.message).toBe('Protocol error: No auth packet to continue the authentication exchange')
    expect(err.code).toBe(0x82)
    await rec.waitFor('close')
    expect(rb.received('auth')).toEqual([])
  })
})

describe('our Maximum Packet Size is checked from the fixed header', () => {
  // a PUBLISH announcing 10 MB, of which only a few bytes ever arrive: the limit must be
  // enforced before the body is buffered (MQTT.js waits for the whole packet forever)
  testNapi('a PUBLISH announcing more than maximumPacketSize: DISCONNECT 0x95 before the body arrives', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb, { properties: { maximumPacketSize: 1024 } })
    const rec = record(c, EVENTS)
    const conn = await rb.waitForConnection(0)
    // 0x30, remaining length 10,000,000 (80 AD E2 04), then a topic and nothing more
    conn.sendRaw(bytes([0x30, 0x80, 0xad, 0xe2, 0x04], str('t')))
    const [err] = (await rec.waitFor('error')).args
    expect(err.code).toBe(0x95)
    const d = await rb.waitForPacket('disconnect')
    expect(d.reasonCode).toBe(0x95)
    await rec.waitFor('close')
  })
})

describe('publish before CONNACK and resend on a resumed session', () => {
  test('a QoS 1 publish made before CONNACK is sent after it with its properties', async () => {
    const rb = await v5Broker({ connack: null })
    const c = connect5(rb)
    const properties = { contentType: 'text/plain', userProperties: { early: 'yes' } }
    const done = h.call((cb) => c.publish('early/1', 'x', { qos: 1, properties }, cb))
    const conn = await rb.waitForConnection(0)
    await rb.waitForPacket('connect')
    await delay(100)
    expect(rb.received('publish')).toEqual([])
    conn.send({ cmd: 'connack', reasonCode: 0, sessionPresent: false })
    const [err] = await done
    expect(err).toBeFalsy()
    const p = await rb.waitForPacket('publish')
    expect(p.topic).toBe('early/1')
    expect(p.properties).toEqual(properties)
  })

  const resumeOpts = () => ({ clientId: h.clientId('rs'), clean: false, reconnectPeriod: 100, properties: { sessionExpiryInterval: 60 } })

  test('an unacknowledged QoS 1 publish is resent with the same properties after a reconnect', async () => {
    const rb = await v5Broker({
      connack: (p, conn) => ({ reasonCode: 0, sessionPresent: conn.index > 0 }),
      puback: (p, conn) => conn.index > 0 && {}
    })
    const [c] = await connected5(rb, resumeOpts())
    const properties = { contentType: 'application/octet-stream', correlationData: Buffer.from('id-1'), userProperties: { n: ['1', '2'] } }
    const done = h.call((cb) => c.publish('rs/1', 'payload', { qos: 1, properties }, cb))
    await rb.waitForPacket('publish')
    rb.connections[0].destroy()
    const [err] = await done
    expect(err).toBeFalsy()
    const resent = rb.received('publish', 1)
    expect(resent.length).toBe(1)
    expect(resent[0].topic).toBe('rs/1')
    expect(resent[0].properties).toEqual(properties)
    expect(resent[0].messageId).toBe(rb.received('publish', 0)[0].messageId)
    // [MQTT-3.3.1-1]: a resend carries DUP=1 (MQTT.js resends with DUP=0)
    expect(resent[0].dup).toBe(isNapi)
  })

  test('a publish first sent as a topic alias is resent with its topic: aliases do not survive the connection', async () => {
    const rb = await v5Broker({
      connack: (p, conn) => ({ reasonCode: 0, sessionPresent: conn.index > 0, properties: { topicAliasMaximum: 2 } }),
      puback: (p, conn) => conn.index > 0 && {}
    })
    const [c] = await connected5(rb, { ...resumeOpts(), autoAssignTopicAlias: true })
    const first = h.call((cb) => c.publish('rs/alias', 'one', { qos: 1 }, cb))
    const second = h.call((cb) => c.publish('rs/alias', 'two', { qos: 1 }, cb))
    await rb.waitForPacket((p) => p.cmd === 'publish' && p.conn === 0 && p.topic === '')
    rb.connections[0].destroy()
    expect((await first)[0]).toBeFalsy()
    expect((await second)[0]).toBeFalsy()
    // every PUBLISH on the new connection resolves to the real topic using only aliases
    // set on that connection
    const aliases = new Map()
    const resolved = rb.received('publish', 1).map((p) => {
      const alias = p.properties && p.properties.topicAlias
      if (p.topic !== '') {
        if (alias) aliases.set(alias, p.topic)
        return [p.topic, p.payload.toString()]
      }
      return [aliases.get(alias), p.payload.toString()]
    })
    expect(resolved).toEqual([['rs/alias', 'one'], ['rs/alias', 'two']])
  })

  testNapi('Receive Maximum is respected while resending on a resumed session', async () => {
    let release = false
    const rb = await v5Broker({
      connack: (p, conn) => ({ reasonCode: 0, sessionPresent: conn.index > 0, properties: { receiveMaximum: 2 } }),
      puback: () => release && {}
    })
    const [c] = await connected5(rb, resumeOpts())
    const results = []
    for (let i = 0; i < 5; i++) c.publish('rs/rm', `m${i}`, { qos: 1 }, (err) => results.push(err || null))
    await rb.waitForPacket((p) => p.cmd === 'publish' && rb.received('publish', 0).length === 2)
    rb.connections[0].destroy()
    await rb.waitForConnection(1)
    await rb.waitForPacket((p) => p.cmd === 'publish' && p.conn === 1)
    await delay(400)
    expect(rb.received('publish', 1).length).toBe(2)
    // release: answer what is held, and everything from now on
    release = true
    for (const p of rb.received('publish', 1)) rb.connections[1].send({ cmd: 'puback', messageId: p.messageId })
    await waitUntil(() => results.length === 5, { label: '5 callbacks' })
    expect(results).toEqual([null, null, null, null, null])
    expect(rb.peakInFlight(1)).toBeLessThanOrEqual(2)
  })
})

describe('resubscribe after reconnect keeps the v5 subscription options and properties', () => {
  test('SUBSCRIBE re-sent with nl, rap, rh and the subscription identifier', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb, { reconnectPeriod: 100 })
    const properties = { subscriptionIdentifier: 12, userProperties: { s: '1' } }
    await h.subscribe(c, 'rs/sub', { qos: 1, nl: true, rap: true, rh: 2, properties })
    rb.connections[0].destroy()
    const again = await rb.waitForPacket((p) => p.cmd === 'subscribe' && p.conn === 1)
    expect(again.subscriptions).toEqual([{ topic: 'rs/sub', qos: 1, nl: true, rap: true, rh: 2 }])
    expect(again.properties).toEqual(properties)
  })
})

// ---------------------------------------------------------------- hostile input

describe('invalid v5 options and properties', () => {
  // MQTT.js mostly passes bad values to mqtt-packet, which kills the connection or writes
  // them as given; mqtt-napi refuses them with an error naming the property, nothing sent.
  testMqttjs('MQTT.js: properties.receiveMaximum 0 is replaced by 65535 on the wire', async () => {
    const rb = await v5Broker()
    await connected5(rb, { properties: { receiveMaximum: 0 } })
    expect((await rb.waitForPacket('connect')).properties).toEqual({ receiveMaximum: 65535 })
  })

  testNapi.each([
    ['receiveMaximum', 0],
    ['receiveMaximum', 70000],
    ['sessionExpiryInterval', 'x'],
    ['sessionExpiryInterval', -1],
    ['maximumPacketSize', 0],
    ['topicAliasMaximum', 65536],
    ['userProperties', 5]
  ])('connect properties.%s = %p: connect() throws naming the property, no connection', async (name, value) => {
    const rb = await v5Broker()
    expect(() => connect5(rb, { properties: { [name]: value } })).toThrow(new RegExp(name))
    await delay(200)
    expect(rb.connections.length).toBe(0)
  })

  testNapi.each([
    ['messageExpiryInterval', "'soon'", 'soon'],
    ['correlationData', '5', 5],
    ['payloadFormatIndicator', "'yes'", 'yes'],
    ['topicAlias', '0', 0],
    ['contentType', '7', 7],
    // only a broker may put it on a PUBLISH [MQTT-3.3.4-6]
    ['subscriptionIdentifier', '3', 3],
    // a binary field, and a string, hold at most 65,535 bytes
    ['correlationData', 'a 65,536-byte Buffer', Buffer.alloc(65536)],
    ['contentType', 'a 65,536-character string', 'x'.repeat(65536)]
  ])('publish properties.%s = %s: callback error naming it, nothing sent, still connected', async (name, label, value) => {
    const rb = await v5Broker({ connack: { reasonCode: 0, properties: { topicAliasMaximum: 5 } } })
    const [c] = await connected5(rb)
    const err = await h.captureError((cb) => c.publish('bad/p', 'x', { qos: 1, properties: { [name]: value } }, cb), c)
    expect(h.isError(err)).toBe(true)
    expect(err.message).toMatch(new RegExp(name))
    await delay(200)
    expect(rb.received('publish')).toEqual([])
    expect(c.connected).toBe(true)
    expect(rb.parseErrors).toEqual([])
  })

  testNapi.each([
    ['subscriptionIdentifier', 0],
    ['subscriptionIdentifier', 268435456]
  ])('subscribe properties.%s = %p: callback error naming it, nothing sent', async (name, value) => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const err = await h.captureError((cb) => c.subscribe('bad/s', { qos: 0, properties: { [name]: value } }, cb), c)
    expect(h.isError(err)).toBe(true)
    expect(err.message).toMatch(new RegExp(name))
    await delay(200)
    expect(rb.received('subscribe')).toEqual([])
  })

  testNapi('end() with a reason code DISCONNECT may not carry: error naming reasonCode, no malformed packet sent', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    const err = await h.captureError((cb) => c.end(false, { reasonCode: 999 }, cb), c, 2000)
    expect(h.isError(err)).toBe(true)
    expect(err.message).toMatch(/reasonCode/)
    await delay(200)
    expect(rb.parseErrors).toEqual([])
  })

  testMqttjs('MQTT.js: subscriptionIdentifier 0 is sent as given (a protocol error on the wire)', async () => {
    const rb = await v5Broker()
    const [c] = await connected5(rb)
    await h.subscribe(c, 'bad/s', { qos: 0, properties: { subscriptionIdentifier: 0 } })
    expect((await rb.waitForPacket('subscribe')).properties).toEqual({ subscriptionIdentifier: 0 })
  })
})
