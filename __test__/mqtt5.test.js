'use strict'
// MQTT 5 against a real broker: mosquitto 2.0.11 speaks v5 on a normal listener. What the
// broker itself does with our properties, reason codes, limits and subscription options
// (the scripted broker in mqtt5-scripted.test.js covers what mosquitto will not do on demand).
//
// Written against MQTT.js 5.16 first (MQTT_IMPL=mqtt). Where MQTT.js breaks the MQTT 5 spec,
// the test branches on `isNapi` and the napi side asserts the spec (README, "Differences").
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { cleanupAll, track } = require('./helpers/cleanup')
const { describeMosquitto, startMosquitto } = require('./helpers/brokers')
const { startProxy } = require('./helpers/proxy')
const { once, record, delay, waitUntil } = require('./helpers/events')
const { isNapi, mqtt } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const EVENTS = ['connect', 'reconnect', 'close', 'offline', 'error', 'end', 'disconnect']

const v5 = (opts = {}) => ({ protocolVersion: 5, ...opts })

// mosquitto on its own for one test, with the given options
async function mosquitto (opts) {
  return track(await startMosquitto(opts))
}

describeMosquitto('MQTT 5 on mosquitto', () => {
  let broker
  beforeAll(async () => { broker = await startMosquitto() })
  afterAll(async () => { if (broker) await broker.close() })

  // ---------------------------------------------------------------- connect

  describe('connect', () => {
    test('connack: reasonCode 0, sessionPresent false, mosquitto\'s properties; client.serverProperties', async () => {
      const [c, connack] = await h.connected(broker.url, v5())
      expect(connack).toMatchObject({ cmd: 'connack', reasonCode: 0, sessionPresent: false })
      // mosquitto's defaults: max_topic_alias 10, max_inflight_messages 20
      expect(connack.properties).toEqual({ topicAliasMaximum: 10, receiveMaximum: 20 })
      expect(c.serverProperties).toEqual(connack.properties)
      expect(c.options.protocolVersion).toBe(5)
    })

    test('every CONNECT property is accepted, and the client works', async () => {
      const t = h.topic('props')
      const [c] = await h.connected(broker.url, v5({
        clientId: h.clientId(),
        clean: false,
        properties: {
          sessionExpiryInterval: 30,
          receiveMaximum: 100,
          maximumPacketSize: 65536,
          topicAliasMaximum: 5,
          requestResponseInformation: true,
          requestProblemInformation: true,
          userProperties: { app: 'tests', multi: ['a', 'b'] }
        }
      }))
      await h.subscribe(c, t, { qos: 1 })
      const msg = once(c, 'message')
      await h.publish(c, t, 'hi', { qos: 1 })
      const [topic, payload] = await msg
      expect(topic).toBe(t)
      expect(payload.toString()).toBe('hi')
    })

    test('an empty client id: mosquitto assigns one (assignedClientIdentifier)', async () => {
      const [, connack] = await h.connected(broker.url, v5({ clientId: '' }))
      expect(typeof connack.properties.assignedClientIdentifier).toBe('string')
      expect(connack.properties.assignedClientIdentifier.length).toBeGreaterThan(0)
    })

    test('serverKeepAlive: mosquitto max_keepalive 10 overrides keepalive 60', async () => {
      const b = await mosquitto({ maxKeepalive: 10 })
      const [c, connack] = await h.connected(b.url, v5({ keepalive: 60 }))
      expect(connack.properties.serverKeepAlive).toBe(10)
      expect(c.keepalive).toBe(10)
    })

    test.each([
      ['anonymous, when mosquitto requires a login', {}, 0x87, 'Not authorized'],
      ['an authentication method mosquitto does not know', { properties: { authenticationMethod: 'SCRAM-SHA-256' } }, 0x8c, 'Bad authentication method']
    ])('refused: %s -> error with the v5 reason code, close, no reconnect', async (name, opts, code, text) => {
      const b = await mosquitto({ extraConfig: 'allow_anonymous false' })
      // the generated config allows anonymous first; mosquitto takes the last value
      const c = h.connect(b.url, v5({ reconnectPeriod: 200, ...opts }))
      const rec = record(c, EVENTS)
      const [err] = (await rec.waitFor('error')).args
      expect(err).toBeInstanceOf(mqtt.ErrorWithReasonCode)
      expect(err.message).toBe(`Connection refused: ${text}`)
      expect(err.code).toBe(code)
      await rec.waitFor('close')
      await delay(1000)
      expect(rec.names()).toEqual(['error', 'close'])
    })
  })

  // ---------------------------------------------------------------- sessions

  describe('session expiry', () => {
    test('sessionExpiryInterval > 0: the session survives end(); sessionPresent true and queued messages delivered', async () => {
      const id = h.clientId('se')
      const t = h.topic('se')
      const opts = v5({ clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } })
      const [c1, connack1] = await h.connected(broker.url, opts)
      expect(connack1.sessionPresent).toBe(false)
      await h.subscribe(c1, t, { qos: 1 })
      await h.end(c1)
      const [pub] = await h.connected(broker.url, v5())
      await h.publish(pub, t, 'while away', { qos: 1 })
      const c2 = h.connect(broker.url, { ...opts, resubscribe: false })
      const msg = once(c2, 'message')
      const [connack2] = await once(c2, 'connect')
      expect(connack2.sessionPresent).toBe(true)
      const [topic, payload] = await msg
      expect(topic).toBe(t)
      expect(payload.toString()).toBe('while away')
    })

    test('no session expiry (the v5 default 0): clean: false still starts without a session', async () => {
      const id = h.clientId('se')
      const [c1] = await h.connected(broker.url, v5({ clientId: id, clean: false }))
      await h.subscribe(c1, h.topic('se'), { qos: 1 })
      await h.end(c1)
      const [, connack2] = await h.connected(broker.url, v5({ clientId: id, clean: false }))
      expect(connack2.sessionPresent).toBe(false)
    })

    test('end() with sessionExpiryInterval 0 on the DISCONNECT drops the session', async () => {
      const id = h.clientId('se')
      const opts = v5({ clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } })
      const [c1] = await h.connected(broker.url, opts)
      await h.subscribe(c1, h.topic('se'), { qos: 1 })
      await h.end(c1, false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } })
      const [, connack2] = await h.connected(broker.url, opts)
      expect(connack2.sessionPresent).toBe(false)
    })

    test('an automatic reconnect resumes the session: sessionPresent true on the second connect', async () => {
      const proxy = track(await startProxy(broker.port))
      const c = h.connect(proxy.url, v5({ clientId: h.clientId('se'), clean: false, reconnectPeriod: 100, properties: { sessionExpiryInterval: 60 } }))
      const rec = record(c, EVENTS)
      const [first] = (await rec.waitFor('connect')).args
      expect(first.sessionPresent).toBe(false)
      proxy.drop()
      const [second] = (await rec.waitFor('connect', 2)).args
      expect(second.sessionPresent).toBe(true)
    })
  })

  // ---------------------------------------------------------------- publish properties

  describe('publish properties through the broker', () => {
    test('a second v5 client receives every property (user properties with repeated names as arrays)', async () => {
      const t = h.topic('pp')
      const [sub] = await h.connected(broker.url, v5())
      await h.subscribe(sub, t, { qos: 1 })
      const [pub] = await h.connected(broker.url, v5())
      const properties = {
        payloadFormatIndicator: true,
        messageExpiryInterval: 120,
        contentType: 'application/json',
        responseTopic: `${t}/reply`,
        correlationData: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
        userProperties: { single: 'one', repeated: ['first', 'second'] }
      }
      const msg = once(sub, 'message')
      const [err] = await h.publish(pub, t, '{"n":1}', { qos: 1, properties })
      expect(err).toBeFalsy()
      const [topic, payload, packet] = await msg
      expect(topic).toBe(t)
      expect(payload.toString()).toBe('{"n":1}')
      const { messageExpiryInterval, ...rest } = packet.properties
      const { messageExpiryInterval: sent, ...sentRest } = properties
      expect(rest).toEqual(sentRest)
      // the broker forwards the remaining lifetime
      expect(messageExpiryInterval).toBeGreaterThan(sent - 5)
      expect(messageExpiryInterval).toBeLessThanOrEqual(sent)
    })

    test('large and non-ASCII properties: 300 user properties, 65,535-byte correlation data (the most a binary field holds), UTF-8 strings', async () => {
      const t = h.topic('pp')
      const [sub] = await h.connected(broker.url, v5())
      await h.subscribe(sub, t, { qos: 1 })
      const [pub] = await h.connected(broker.url, v5())
      const userProperties = { ключ: 'значение', 名前: ['値1', '値2'], emoji: '🚀' }
      for (let i = 0; i < 300; i++) userProperties[`k${i}`] = `v${i}`.repeat(10)
      const properties = {
        contentType: 'text/plain; charset=utf-8; ü',
        responseTopic: `${t}/réponse`,
        correlationData: Buffer.alloc(65535, 0xab),
        userProperties
      }
      const msg = once(sub, 'message')
      const [err] = await h.publish(pub, t, 'big props', { qos: 1, properties })
      expect(err).toBeFalsy()
      const [, payload, packet] = await msg
      expect(payload.toString()).toBe('big props')
      expect(packet.properties).toEqual(properties)
    })

    test('a message without properties arrives without `properties`', async () => {
      const t = h.topic('pp')
      const [sub] = await h.connected(broker.url, v5())
      await h.subscribe(sub, t, { qos: 0 })
      const msg = once(sub, 'message')
      await h.publish(sub, t, 'plain', { qos: 0 })
      const [, , packet] = await msg
      expect(packet.properties).toBeUndefined()
    })

    test('a v3.1.1 subscriber gets the payload of a v5 publish with properties', async () => {
      const t = h.topic('pp')
      const [sub] = await h.connected(broker.url, { protocolVersion: 4 })
      await h.subscribe(sub, t, { qos: 1 })
      const [pub] = await h.connected(broker.url, v5())
      const msg = once(sub, 'message')
      await h.publish(pub, t, 'mixed', { qos: 1, properties: { contentType: 'text/plain', userProperties: { a: 'b' } } })
      const [topic, payload, packet] = await msg
      expect(topic).toBe(t)
      expect(payload.toString()).toBe('mixed')
      expect(packet.properties).toBeUndefined()
    })

    test('a retained message whose messageExpiryInterval has passed is not delivered', async () => {
      const t = h.topic('exp')
      const [pub] = await h.connected(broker.url, v5())
      await h.publish(pub, t, 'short-lived', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } })
      await h.publish(pub, `${t}/keep`, 'long-lived', { qos: 1, retain: true, properties: { messageExpiryInterval: 600 } })
      await delay(2500)
      const [sub] = await h.connected(broker.url, v5())
      const rec = record(sub, ['message'])
      await h.subscribe(sub, `${t}/#`, { qos: 1 })
      await h.subscribe(sub, t, { qos: 1 })
      await rec.waitFor('message')
      await delay(300)
      expect(rec.of('message').map((e) => e.args[0])).toEqual([`${t}/keep`])
      // cleanup: clear the retained message
      await h.publish(pub, `${t}/keep`, '', { qos: 1, retain: true })
    })

    test('request/response: responseTopic and correlationData round trip between two v5 clients', async () => {
      const t = h.topic('req')
      const [responder] = await h.connected(broker.url, v5())
      await h.subscribe(responder, t, { qos: 1 })
      responder.on('message', (topic, payload, packet) => {
        const { responseTopic, correlationData } = packet.properties
        responder.publish(responseTopic, `re:${payload}`, { qos: 1, properties: { correlationData } })
      })
      const [requester] = await h.connected(broker.url, v5())
      const replyTo = `${t}/reply/${h.rnd(3)}`
      await h.subscribe(requester, replyTo, { qos: 1 })
      const reply = once(requester, 'message')
      const correlationData = Buffer.from('request-17')
      await h.publish(requester, t, 'ping', { qos: 1, properties: { responseTopic: replyTo, correlationData } })
      const [topic, payload, packet] = await reply
      expect(topic).toBe(replyTo)
      expect(payload.toString()).toBe('re:ping')
      expect(Buffer.isBuffer(packet.properties.correlationData)).toBe(true)
      expect(packet.properties.correlationData.equals(correlationData)).toBe(true)
    })
  })

  // ---------------------------------------------------------------- subscriptions

  describe('subscription identifiers', () => {
    test('one matching subscription: packet.properties.subscriptionIdentifier is its number', async () => {
      const t = h.topic('sid')
      const [c] = await h.connected(broker.url, v5())
      await h.subscribe(c, `${t}/+`, { qos: 1, properties: { subscriptionIdentifier: 42 } })
      const msg = once(c, 'message')
      await h.publish(c, `${t}/x`, 'x', { qos: 1 })
      const [, , packet] = await msg
      expect(packet.properties).toEqual({ subscriptionIdentifier: 42 })
    })

    test('two matching subscriptions: both identifiers reach the client', async () => {
      const t = h.topic('sid')
      const [c] = await h.connected(broker.url, v5())
      await h.subscribe(c, `${t}/#`, { qos: 1, properties: { subscriptionIdentifier: 7 } })
      await h.subscribe(c, `${t}/a`, { qos: 1, properties: { subscriptionIdentifier: 9 } })
      const rec = record(c, ['message'])
      await h.publish(c, `${t}/a`, 'x', { qos: 1 })
      // mosquitto sends one copy per subscription, each with its identifier; a broker may
      // instead send one copy with both (an array): accept either, require both ids
      await rec.waitFor('message')
      await delay(300)
      const ids = rec.of('message').flatMap((e) => [].concat(e.args[2].properties.subscriptionIdentifier))
      expect(ids.sort((a, b) => a - b)).toEqual([7, 9])
    })

    test('the identifier is re-sent with the subscription after a reconnect (resubscribe)', async () => {
      const t = h.topic('sid')
      const proxy = track(await startProxy(broker.port))
      const c = h.connect(proxy.url, v5({ reconnectPeriod: 100 }))
      await once(c, 'connect')
      await h.subscribe(c, t, { qos: 1, properties: { subscriptionIdentifier: 11 } })
      proxy.drop()
      await once(c, 'connect')
      const [pub] = await h.connected(broker.url, v5())
      // the resubscribe is asynchronous: publish until a message comes back
      const rec = record(c, ['message'])
      await waitUntil(async () => {
        await h.publish(pub, t, 'again', { qos: 0 })
        await delay(100)
        return rec.count('message') > 0
      }, { label: 'a message after resubscribe' })
      expect(rec.of('message')[0].args[2].properties).toEqual({ subscriptionIdentifier: 11 })
    })
  })

  describe('subscription options', () => {
    test('nl (no local): true -> the client does not get its own messages; false -> it does', async () => {
      const t = h.topic('nl')
      const [c] = await h.connected(broker.url, v5())
      await h.subscribe(c, `${t}/nl`, { qos: 1, nl: true })
      await h.subscribe(c, `${t}/local`, { qos: 1, nl: false })
      const rec = record(c, ['message'])
      await h.publish(c, `${t}/nl`, 'own', { qos: 1 })
      await h.publish(c, `${t}/local`, 'own', { qos: 1 })
      await rec.waitFor('message')
      // a message from another client on the nl topic does arrive
      const [other] = await h.connected(broker.url, v5())
      await h.publish(other, `${t}/nl`, 'other', { qos: 1 })
      await rec.waitFor('message', 2)
      await delay(200)
      expect(rec.of('message').map((e) => [e.args[0], e.args[1].toString()])).toEqual([
        [`${t}/local`, 'own'], [`${t}/nl`, 'other']
      ])
    })

    test('rap (retain as published): the RETAIN flag of a live message is kept only with rap: true', async () => {
      const t = h.topic('rap')
      const [c] = await h.connected(broker.url, v5())
      await h.subscribe(c, `${t}/keep`, { qos: 1, rap: true })
      await h.subscribe(c, `${t}/drop`, { qos: 1, rap: false })
      const rec = record(c, ['message'])
      const [pub] = await h.connected(broker.url, v5())
      await h.publish(pub, `${t}/keep`, 'r', { qos: 1, retain: true })
      await h.publish(pub, `${t}/drop`, 'r', { qos: 1, retain: true })
      await rec.waitFor('message', 2)
      const byTopic = Object.fromEntries(rec.of('message').map((e) => [e.args[0], e.args[2].retain]))
      expect(byTopic).toEqual({ [`${t}/keep`]: true, [`${t}/drop`]: false })
      await h.publish(pub, `${t}/keep`, '', { qos: 1, retain: true })
      await h.publish(pub, `${t}/drop`, '', { qos: 1, retain: true })
    })

    test.each([
      [0, 2], // retained messages on every SUBSCRIBE
      [1, 1], // only when the subscription is new
      [2, 0] // never
    ])('rh %i: a retained message is sent on %i of two identical subscribes', async (rh, expected) => {
      const t = h.topic('rh')
      const [pub] = await h.connected(broker.url, v5())
      await h.publish(pub, t, 'retained', { qos: 1, retain: true })
      const [c] = await h.connected(broker.url, v5())
      const rec = record(c, ['message'])
      await h.subscribe(c, t, { qos: 1, rh })
      await delay(300)
      // resubscribe: MQTT.js skips a topic already subscribed at the same QoS unless forced
      await h.subscribe(c, { [t]: { qos: 1, rh }, resubscribe: true })
      await delay(500)
      expect(rec.count('message')).toBe(expected)
      for (const e of rec.of('message')) expect(e.args[2].retain).toBe(true)
      await h.publish(pub, t, '', { qos: 1, retain: true })
    })

    test('shared subscription: $share/<group>/<filter> splits messages between the group', async () => {
      const t = h.topic('share')
      const group = `$share/g${h.rnd(2)}/${t}`
      const [a] = await h.connected(broker.url, v5())
      const [b] = await h.connected(broker.url, v5())
      await h.subscribe(a, group, { qos: 1 })
      await h.subscribe(b, group, { qos: 1 })
      const ra = record(a, ['message'])
      const rb = record(b, ['message'])
      const [pub] = await h.connected(broker.url, v5())
      for (let i = 0; i < 10; i++) await h.publish(pub, t, `m${i}`, { qos: 1 })
      await waitUntil(() => ra.count('message') + rb.count('message') === 10, { label: '10 shared messages' })
      await delay(200)
      expect(ra.count('message') + rb.count('message')).toBe(10)
      expect(ra.count('message')).toBeGreaterThan(0)
      expect(rb.count('message')).toBeGreaterThan(0)
      for (const e of [...ra.of('message'), ...rb.of('message')]) expect(e.args[0]).toBe(t)
    })
  })

  // ---------------------------------------------------------------- reason codes

  describe('reason codes from mosquitto', () => {
    let aclBroker
    let aclDir
    beforeAll(async () => {
      aclDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-acl-'))
      fs.chmodSync(aclDir, 0o755)
      const acl = path.join(aclDir, 'acl')
      fs.writeFileSync(acl, 'topic readwrite open/#\ntopic read readonly/#\n', { mode: 0o644 })
      aclBroker = await startMosquitto({ extraConfig: `acl_file ${acl}` })
    })
    afterAll(async () => {
      if (aclBroker) await aclBroker.close()
      fs.rmSync(aclDir, { recursive: true, force: true })
    })

    test.each([1, 2])('QoS %i publish the ACL forbids: callback ErrorWithReasonCode "Publish error: Not authorized" (135)', async (qos) => {
      const [c] = await h.connected(aclBroker.url, v5())
      const [err] = await h.publish(c, 'readonly/x', 'no', { qos })
      expect(err).toBeInstanceOf(mqtt.ErrorWithReasonCode)
      expect(err.name).toBe('ErrorWithReasonCode')
      expect(err.message).toBe('Publish error: Not authorized')
      expect(err.code).toBe(0x87)
      // still connected and usable
      const [err2] = await h.publish(c, 'open/x', 'yes', { qos })
      expect(err2).toBeFalsy()
      expect(c.connected).toBe(true)
    })

    test('QoS 1 publish nobody subscribes to (PUBACK 16 "No matching subscribers") succeeds', async () => {
      const [c] = await h.connected(aclBroker.url, v5())
      const acks = []
      c.on('packetreceive', (p) => { if (p.cmd === 'puback') acks.push(p.reasonCode) })
      const [err] = await h.publish(c, `open/${h.rnd()}`, 'x', { qos: 1 })
      expect(err).toBeFalsy()
      expect(acks).toEqual([0x10])
    })

    test('UNSUBACK: 0 for a subscription, 17 "No subscription existed" for none; callback (null, packet)', async () => {
      const [c] = await h.connected(aclBroker.url, v5())
      await h.subscribe(c, 'open/sub', { qos: 1 })
      const [err, packet] = await h.unsubscribe(c, ['open/sub', 'open/never'])
      expect(err).toBeFalsy()
      expect(packet).toMatchObject({ cmd: 'unsuback', granted: [0, 0x11] })
    })
  })

  // ---------------------------------------------------------------- flow control

  describe('Receive Maximum', () => {
    test('max_inflight_messages 3: CONNACK receiveMaximum 3, and 1,000 QoS 1 publishes all arrive', async () => {
      const b = await mosquitto({ maxInflightMessages: 3 })
      const t = h.topic('rm')
      const [sub, subAck] = await h.connected(b.url, v5())
      expect(subAck.properties.receiveMaximum).toBe(3)
      await h.subscribe(sub, t, { qos: 1 })
      const got = new Set()
      sub.on('message', (topic, payload) => got.add(payload.toString()))
      const [pub] = await h.connected(b.url, v5())
      const N = 1000
      const results = await Promise.all(Array.from({ length: N }, (_, i) =>
        new Promise((resolve) => pub.publish(t, `m${i}`, { qos: 1 }, (err) => resolve(err || null)))))
      expect(results.filter(Boolean)).toEqual([])
      await waitUntil(() => got.size === N, { timeout: 20000, label: `${N} messages` })
      expect(pub.connected).toBe(true)
    })

    // mosquitto counts QoS 2 messages in flight from the client against its Receive Maximum
    // and refuses the excess with PUBREC 0x97 "Quota exceeded": MQTT.js, which ignores the
    // broker's Receive Maximum, loses most of a burst; the spec's client loses none.
    test('max_inflight_messages 2: a burst of 200 QoS 2 publishes', async () => {
      const b = await mosquitto({ maxInflightMessages: 2 })
      const t = h.topic('rm2')
      const [sub] = await h.connected(b.url, v5())
      await h.subscribe(sub, t, { qos: 2 })
      const got = []
      sub.on('message', (topic, payload) => got.push(payload.toString()))
      const [pub] = await h.connected(b.url, v5())
      const N = 200
      const results = await Promise.all(Array.from({ length: N }, (_, i) =>
        new Promise((resolve) => pub.publish(t, `m${i}`, { qos: 2 }, (err) => resolve(err || null)))))
      const failed = results.filter(Boolean)
      if (isNapi) {
        expect(failed).toEqual([])
      } else {
        expect(failed.length).toBeGreaterThan(0)
        for (const err of failed) {
          expect(err.message).toBe('Publish error: Quota exceeded')
          expect(err.code).toBe(0x97)
        }
      }
      const delivered = N - failed.length
      await waitUntil(() => got.length >= delivered, { timeout: 20000, label: `${delivered} messages` })
      await delay(200)
      // every accepted message exactly once, and only those
      expect(got.length).toBe(delivered)
      expect(new Set(got).size).toBe(delivered)
      const accepted = results.map((err, i) => (err ? null : `m${i}`)).filter(Boolean)
      expect([...got].sort()).toEqual(accepted.sort())
    })
  })

  describe('Maximum Packet Size', () => {
    test('max_packet_size 1024: CONNACK maximumPacketSize; a 2,000-byte publish', async () => {
      const b = await mosquitto({ maxPacketSize: 1024 })
      const t = h.topic('mps')
      const [sub] = await h.connected(b.url, v5())
      await h.subscribe(sub, `${t}/#`, { qos: 1 })
      const rec = record(sub, ['message'])
      const [c, connack] = await h.connected(b.url, v5({ reconnectPeriod: 0 }))
      expect(connack.properties.maximumPacketSize).toBe(1024)
      const events = record(c, EVENTS)
      const big = Buffer.alloc(2000, 0x62)
      if (isNapi) {
        // refused before sending: the callback fails, the connection stays up
        const [err] = await h.publish(c, `${t}/big`, big, { qos: 1 })
        expect(err.code).toBe('ERR_MQTT_PACKET_TOO_LARGE')
        const [err2] = await h.publish(c, `${t}/small`, 'fits', { qos: 1 })
        expect(err2).toBeFalsy()
        await rec.waitFor('message')
        expect(rec.of('message').map((e) => e.args[0])).toEqual([`${t}/small`])
        expect(events.count('close')).toBe(0)
      } else {
        // MQTT.js sends it; mosquitto disconnects the client ("oversize packet")
        c.publish(`${t}/big`, big, { qos: 1 })
        await events.waitFor('close')
        expect(rec.count('message')).toBe(0)
      }
    })

    test('our maximumPacketSize 300: mosquitto does not send us a larger message; smaller ones arrive', async () => {
      const t = h.topic('mps')
      const [sub] = await h.connected(broker.url, v5({ properties: { maximumPacketSize: 300 } }))
      await h.subscribe(sub, t, { qos: 1 })
      const rec = record(sub, [...EVENTS, 'message'])
      const [pub] = await h.connected(broker.url, v5())
      await h.publish(pub, t, Buffer.alloc(100, 1), { qos: 1 })
      await h.publish(pub, t, Buffer.alloc(1000, 2), { qos: 1 })
      await h.publish(pub, t, Buffer.alloc(10, 3), { qos: 1 })
      await rec.waitFor('message', 2)
      await delay(300)
      expect(rec.of('message').map((e) => e.args[1].length)).toEqual([100, 10])
      expect(rec.names().filter((n) => n !== 'message')).toEqual([])
    })
  })

  // ---------------------------------------------------------------- topic aliases

  describe('topic aliases', () => {
    test('inbound: a subscriber that allows aliases gets every message with its real topic', async () => {
      // mosquitto 2.0.11 does not send aliases itself; the scripted broker covers alias resolution
      const t = h.topic('tai')
      const [sub] = await h.connected(broker.url, v5({ properties: { topicAliasMaximum: 5 } }))
      await h.subscribe(sub, `${t}/#`, { qos: 1 })
      const rec = record(sub, ['message'])
      const [pub] = await h.connected(broker.url, v5())
      for (const s of ['a', 'b', 'a', 'a', 'b']) await h.publish(pub, `${t}/${s}`, s, { qos: 1 })
      await rec.waitFor('message', 5)
      expect(rec.of('message').map((e) => e.args[0])).toEqual(['a', 'b', 'a', 'a', 'b'].map((s) => `${t}/${s}`))
    })

    test('outbound autoAssignTopicAlias (max_topic_alias 2): mosquitto resolves every alias to the right topic', async () => {
      const b = await mosquitto({ maxTopicAlias: 2 })
      const t = h.topic('tao')
      const [sub] = await h.connected(b.url, v5())
      await h.subscribe(sub, `${t}/#`, { qos: 1 })
      const rec = record(sub, ['message'])
      const [pub, connack] = await h.connected(b.url, v5({ autoAssignTopicAlias: true }))
      expect(connack.properties.topicAliasMaximum).toBe(2)
      const sent = []
      pub.on('packetsend', (p) => { if (p.cmd === 'publish') sent.push([p.topic, p.properties && p.properties.topicAlias]) })
      const order = ['x', 'y', 'x', 'z', 'x', 'y', 'z', 'z']
      for (const s of order) {
        const [err] = await h.publish(pub, `${t}/${s}`, s, { qos: 1 })
        expect(err).toBeFalsy()
      }
      await rec.waitFor('message', order.length)
      expect(rec.of('message').map((e) => [e.args[0], e.args[1].toString()])).toEqual(order.map((s) => [`${t}/${s}`, s]))
      // aliases really were used (an empty topic on the wire), never above the maximum
      expect(sent.some(([topic]) => topic === '')).toBe(true)
      for (const [, alias] of sent) if (alias !== undefined) expect(alias >= 1 && alias <= 2).toBe(true)
      expect(pub.connected).toBe(true)
    })

    test('explicit topicAlias above mosquitto\'s max_topic_alias: QoS 0 callback error, nothing sent', async () => {
      const b = await mosquitto({ maxTopicAlias: 2 })
      const t = h.topic('tao')
      const [sub] = await h.connected(b.url, v5())
      await h.subscribe(sub, t, { qos: 0 })
      const rec = record(sub, ['message'])
      const [pub] = await h.connected(b.url, v5())
      const [err] = await h.publish(pub, t, 'x', { qos: 0, properties: { topicAlias: 3 } })
      expect(err.message).toBe('Sending Topic Alias out of range')
      await h.publish(pub, t, 'after', { qos: 0, properties: { topicAlias: 2 } })
      await rec.waitFor('message')
      await delay(200)
      expect(rec.of('message').map((e) => e.args[1].toString())).toEqual(['after'])
      expect(pub.connected).toBe(true)
    })

    test('max_topic_alias 0: no Topic Alias Maximum in CONNACK; autoAssignTopicAlias sends full topics', async () => {
      const b = await mosquitto({ maxTopicAlias: 0 })
      const t = h.topic('tao')
      const [sub] = await h.connected(b.url, v5())
      await h.subscribe(sub, t, { qos: 1 })
      const rec = record(sub, ['message'])
      const [pub, connack] = await h.connected(b.url, v5({ autoAssignTopicAlias: true }))
      expect(connack.properties && connack.properties.topicAliasMaximum).toBeFalsy()
      for (let i = 0; i < 3; i++) await h.publish(pub, t, `m${i}`, { qos: 1 })
      await rec.waitFor('message', 3)
      expect(pub.connected).toBe(true)
    })
  })

  // ---------------------------------------------------------------- will

  describe('will with properties', () => {
    test('the will arrives with its properties when the connection is lost', async () => {
      const t = h.topic('will')
      const [watcher] = await h.connected(broker.url, v5())
      await h.subscribe(watcher, t, { qos: 1 })
      const proxy = track(await startProxy(broker.port))
      const properties = {
        payloadFormatIndicator: true,
        messageExpiryInterval: 300,
        contentType: 'text/plain',
        responseTopic: `${t}/reply`,
        correlationData: Buffer.from('will-corr'),
        userProperties: { reason: 'gone', tags: ['a', 'b'] }
      }
      await h.connected(proxy.url, v5({ reconnectPeriod: 0, will: { topic: t, payload: Buffer.from('bye'), qos: 1, retain: false, properties } }))
      const msg = once(watcher, 'message')
      proxy.drop()
      const [topic, payload, packet] = await msg
      expect(topic).toBe(t)
      expect(payload.toString()).toBe('bye')
      const { messageExpiryInterval, ...rest } = packet.properties
      const { messageExpiryInterval: sent, ...sentRest } = properties
      expect(rest).toEqual(sentRest)
      expect(messageExpiryInterval).toBeLessThanOrEqual(sent)
      expect(messageExpiryInterval).toBeGreaterThan(sent - 10)
    })

    test('willDelayInterval 2: the will is published about 2 s after the connection is lost, not before', async () => {
      const t = h.topic('will')
      const [watcher] = await h.connected(broker.url, v5())
      await h.subscribe(watcher, t, { qos: 1 })
      const proxy = track(await startProxy(broker.port))
      await h.connected(proxy.url, v5({
        clientId: h.clientId('wd'),
        reconnectPeriod: 0,
        properties: { sessionExpiryInterval: 30 },
        will: { topic: t, payload: 'late', qos: 1, retain: false, properties: { willDelayInterval: 2 } }
      }))
      const rec = record(watcher, ['message'])
      const t0 = Date.now()
      proxy.drop()
      await delay(1000)
      expect(rec.count('message')).toBe(0)
      await rec.waitFor('message', 1, 10000)
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1500)
      expect(rec.of('message')[0].args[1].toString()).toBe('late')
    })

    test('willDelayInterval: reconnecting within the delay (same session) cancels the will', async () => {
      const t = h.topic('will')
      const [watcher] = await h.connected(broker.url, v5())
      await h.subscribe(watcher, t, { qos: 1 })
      const proxy = track(await startProxy(broker.port))
      const c = h.connect(proxy.url, v5({
        clientId: h.clientId('wd'),
        clean: false,
        reconnectPeriod: 200,
        properties: { sessionExpiryInterval: 30 },
        will: { topic: t, payload: 'never', qos: 1, retain: false, properties: { willDelayInterval: 3 } }
      }))
      await once(c, 'connect')
      const rec = record(watcher, ['message'])
      proxy.drop()
      await once(c, 'connect') // back within the delay
      await delay(4500)
      expect(rec.count('message')).toBe(0)
    })

    test('end() with reason code 4 (Disconnect with Will Message): mosquitto publishes the will', async () => {
      const t = h.topic('will')
      const [watcher] = await h.connected(broker.url, v5())
      await h.subscribe(watcher, t, { qos: 1 })
      const [c] = await h.connected(broker.url, v5({ will: { topic: t, payload: 'on purpose', qos: 1, retain: false } }))
      const msg = once(watcher, 'message')
      await h.end(c, false, { reasonCode: 0x04 })
      const [topic, payload] = await msg
      expect(topic).toBe(t)
      expect(payload.toString()).toBe('on purpose')
    })

    test('a plain end() (reason code 0) does not publish the will', async () => {
      const t = h.topic('will')
      const [watcher] = await h.connected(broker.url, v5())
      await h.subscribe(watcher, [t, `${t}/marker`], { qos: 1 })
      const [c] = await h.connected(broker.url, v5({ will: { topic: t, payload: 'no', qos: 1, retain: false } }))
      const rec = record(watcher, ['message'])
      await h.end(c)
      await delay(200)
      await h.publish(watcher, `${t}/marker`, 'm', { qos: 1 })
      await rec.waitFor('message')
      await delay(100)
      expect(rec.of('message').map((e) => e.args[0])).toEqual([`${t}/marker`])
    })
  })
})
