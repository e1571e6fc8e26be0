'use strict'
// The MQTT 5 API as a hostile user meets it: bad option, property and
// argument values (each a clear error naming what was wrong, never a dropped
// connection), calls in every lifecycle state, and mqtt-napi's
// re-authentication (`reauthenticate`, which MQTT.js does not have), all on
// the scripted v5 broker (helpers/rawBroker.js), which records what was sent.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { once, record, delay, waitUntil } = require('./helpers/events')
const { mqtt, testNapi } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const METHOD = 'TOKEN'

async function v5Broker (behavior) {
  return track(await startRawBroker(behavior))
}

function connect5 (rb, opts = {}) {
  return h.connect(rb.url, { protocolVersion: 5, reconnectPeriod: 0, ...opts })
}

async function connected5 (rb, opts = {}) {
  const c = connect5(rb, opts)
  await h.waitConnect(c)
  return c
}

describe('bad MQTT 5 options', () => {
  testNapi.each([
    [{ properties: 'sessionExpiryInterval=1' }, /^Invalid option properties: expected an object, got "sessionExpiryInterval=1" \(a string\)/],
    [{ properties: [] }, /^Invalid option properties: expected an object, got an array/],
    [{ will: { topic: 'w', payload: 'x', properties: 5 } }, /^Invalid option will\.properties: expected an object, got 5/],
    [{ authPacket: 'auth' }, /^Invalid option authPacket: expected an object/],
    [{ autoUseTopicAlias: 'yes' }, /^Invalid option autoUseTopicAlias: expected a boolean, got "yes"/],
    [{ properties: { sessionExpiryInterval: -1 } }, /sessionExpiryInterval/],
    [{ properties: { receiveMaximum: 'ten' } }, /receiveMaximum/],
    [{ properties: { userProperties: { a: { nested: true } } } }, /userProperties/],
    [{ properties: { noSuchProperty: 1 } }, /noSuchProperty/],
    [{ will: { topic: 'w', payload: 'x', properties: { willDelayInterval: 'soon' } } }, /willDelayInterval/]
  ])('napi: connect(%j) throws, naming the option', async (opts, message) => {
    const rb = await v5Broker()
    expect(() => connect5(rb, opts)).toThrow(message)
    await delay(100)
    expect(rb.connections.length).toBe(0)
  })

  testNapi('napi: authPacket is not sent, and the log says so', async () => {
    const rb = await v5Broker()
    const lines = []
    await connected5(rb, {
      properties: { authenticationMethod: METHOD },
      authPacket: { reasonCode: 0, properties: { authenticationMethod: METHOD } },
      log: (...args) => lines.push(args.join(' '))
    })
    expect(lines.some((line) => /authPacket is not sent/.test(line))).toBe(true)
    await delay(100)
    expect(rb.received('auth')).toEqual([])
  })

  testNapi('napi: MQTT 5 options are ignored with protocolVersion 4, as MQTT.js ignores them', async () => {
    const rb = await v5Broker()
    const [c] = await h.connected(rb.url, { protocolVersion: 4, reconnectPeriod: 0, properties: { sessionExpiryInterval: 60 }, autoUseTopicAlias: true })
    const [err] = await h.publish(c, 'v4/t', 'x', { qos: 1, properties: { contentType: 'ignored' } })
    expect(err).toBeFalsy()
    const connect = await rb.waitForPacket('connect')
    expect(connect.protocolVersion).toBe(4)
    expect(rb.received('publish')[0].properties).toBeUndefined()
  })
})

describe('bad property values in calls: the call fails, the connection stays', () => {
  testNapi.each([0, 1, 2])('napi: publish QoS %i with a bad property: callback error naming it, nothing sent', async (qos) => {
    const rb = await v5Broker()
    const c = await connected5(rb)
    const [err] = await h.publish(c, 'bad/p', 'x', { qos, properties: { messageExpiryInterval: 'never' } })
    expect(h.isError(err)).toBe(true)
    expect(err.message).toMatch(/messageExpiryInterval/)
    const [ok] = await h.publish(c, 'good/p', 'y', { qos })
    expect(ok).toBeFalsy()
    await rb.waitForPacket('publish')
    expect(rb.received('publish').map((p) => p.topic)).toEqual(['good/p'])
    expect(c.connected).toBe(true)
    expect(rb.connections.length).toBe(1)
  })

  testNapi('napi: a bad property among good publishes fails that one only', async () => {
    const rb = await v5Broker()
    const c = await connected5(rb)
    const results = await Promise.all([
      h.publish(c, 'p/1', 'a', { qos: 1, properties: { contentType: 'text/plain' } }),
      h.publish(c, 'p/2', 'b', { qos: 1, properties: { userProperties: { k: { nested: true } } } }),
      h.publish(c, 'p/3', 'c', { qos: 1 })
    ])
    expect(results.map(([err]) => (err ? 'error' : 'ok'))).toEqual(['ok', 'error', 'ok'])
    expect(results[1][0].message).toMatch(/userProperties/)
    expect(rb.received('publish').map((p) => p.topic)).toEqual(['p/1', 'p/3'])
  })

  testNapi('napi: subscribe with a bad property: callback error naming it', async () => {
    const rb = await v5Broker()
    const c = await connected5(rb)
    const [err] = await h.subscribe(c, 's/1', { qos: 1, properties: { subscriptionIdentifier: 0 } })
    expect(h.isError(err)).toBe(true)
    expect(err.message).toMatch(/subscriptionIdentifier/)
    const [ok] = await h.subscribe(c, 's/2', { qos: 1 })
    expect(ok).toBeNull()
    expect(rb.received('subscribe').map((p) => p.subscriptions[0].topic)).toEqual(['s/2'])
  })

  testNapi('napi: unsubscribe with a bad property: callback error naming it', async () => {
    const rb = await v5Broker()
    const c = await connected5(rb)
    const [err] = await h.unsubscribe(c, 's/1', { properties: { userProperties: 'x' } })
    expect(h.isError(err)).toBe(true)
    expect(err.message).toMatch(/userProperties/)
    expect(rb.received('unsubscribe')).toEqual([])
  })

  testNapi('napi: end() with a reason code out of range throws before anything changes', async () => {
    const rb = await v5Broker()
    const c = await connected5(rb)
    expect(() => c.end({ reasonCode: 300 })).toThrow(/^Invalid end options reasonCode: expected a DISCONNECT reason code from 0 to 255, got 300/)
    expect(c.disconnecting).toBe(false)
    expect(c.connected).toBe(true)
    const [err] = await h.end(c, { reasonCode: 0x04 })
    expect(err).toBeFalsy()
    expect((await rb.waitForPacket('disconnect')).reasonCode).toBe(0x04)
  })

  testNapi('napi: end() with bad DISCONNECT properties still ends; its callback gets the error', async () => {
    const rb = await v5Broker()
    const c = await connected5(rb)
    const [err] = await h.end(c, { reasonCode: 0, properties: { sessionExpiryInterval: 'later' } })
    expect(h.isError(err)).toBe(true)
    expect(err.message).toMatch(/sessionExpiryInterval/)
    expect(c.disconnected).toBe(true)
    const d = await rb.waitForPacket('disconnect')
    expect(d.properties).toBeUndefined()
  })

  testNapi('napi: end options as a JSON string', async () => {
    const rb = await v5Broker()
    const c = await connected5(rb)
    await h.end(c, '{"reasonCode":4,"properties":{"reasonString":"bye"}}')
    const d = await rb.waitForPacket('disconnect')
    expect(d.reasonCode).toBe(4)
    expect(d.properties).toEqual({ reasonString: 'bye' })
  })
})

describe('topic aliases across the lifecycle', () => {
  test('an explicit alias before the first CONNACK: "Sending Topic Alias out of range" inside publish()', async () => {
    const rb = await v5Broker({ connack: { reasonCode: 0, properties: { topicAliasMaximum: 5 } } })
    const c = connect5(rb)
    const results = []
    c.publish('early', 'x', { qos: 0, properties: { topicAlias: 1 } }, (err) => results.push(err))
    expect(results.map((e) => e && e.message)).toEqual(['Sending Topic Alias out of range'])
    await h.waitConnect(c)
    const [ok] = await h.publish(c, 'later', 'y', { qos: 0, properties: { topicAlias: 1 } })
    expect(ok).toBeFalsy()
    await rb.waitForPacket('publish')
    expect(rb.received('publish').map((p) => [p.topic, p.properties.topicAlias])).toEqual([['later', 1]])
  })

  testNapi('napi: alias 0 is refused as an invalid property [MQTT-3.3.2-8]', async () => {
    const rb = await v5Broker({ connack: { reasonCode: 0, properties: { topicAliasMaximum: 5 } } })
    const c = await connected5(rb)
    const [err] = await h.publish(c, 'zero', 'x', { qos: 1, properties: { topicAlias: 0 } })
    expect(err.message).toMatch(/topicAlias/)
    expect(rb.received('publish')).toEqual([])
  })

  // MQTT.js hands that error to its no-op callback: lost.
  testNapi('napi: a publish without a callback whose alias is out of range is an `error` event', async () => {
    const rb = await v5Broker()
    const c = await connected5(rb)
    const errP = once(c, 'error')
    c.publish('t', 'x', { qos: 1, properties: { topicAlias: 1 } })
    const [err] = await errP
    expect(err.message).toBe('Sending Topic Alias out of range')
  }, 10000)
})

describe('customHandleAcks with an overridden handleMessage', () => {
  test('both asynchronous: each message waits for both callbacks, PUBACK after them, in order', async () => {
    const rb = await v5Broker()
    const steps = []
    const c = await connected5(rb, {
      customHandleAcks: (topic, message, packet, done) => {
        steps.push(`ack? ${message}`)
        setTimeout(() => done(message.toString() === '2' ? 0x87 : 0), 30)
      }
    })
    c.handleMessage = (packet, done) => {
      steps.push(`handle ${packet.payload}`)
      setTimeout(() => {
        steps.push(`handled ${packet.payload}`)
        done()
      }, 30)
    }
    c.on('message', (topic, payload) => steps.push(`message ${payload}`))
    const conn = await rb.waitForConnection(0)
    for (const id of [1, 2, 3]) conn.send({ cmd: 'publish', topic: 'cha/h', payload: Buffer.from(String(id)), qos: 1, messageId: id })
    await waitUntil(() => rb.received('puback').length === 3)
    expect(steps).toEqual([
      'ack? 1', 'message 1', 'handle 1', 'handled 1',
      // a reason code other than 0: no `message`, but handleMessage still runs (MQTT.js)
      'ack? 2', 'handle 2', 'handled 2',
      'ack? 3', 'message 3', 'handle 3', 'handled 3'
    ])
    expect(rb.received('puback').map((p) => [p.messageId, p.reasonCode])).toEqual([[1, 0], [2, 0x87], [3, 0]])
  })
})

describe('re-authentication (napi: reauthenticate)', () => {
  function reauthBroker (answer) {
    return v5Broker({ auth: (packet, conn) => answer(packet, conn) })
  }

  testNapi('napi: AUTH 0x19 with the connect\'s method and the new data; the broker\'s AUTH 0x00 completes it', async () => {
    const rb = await reauthBroker(() => ({ reasonCode: 0, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('ok') } }))
    const c = await connected5(rb, { properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('t1') } })
    const seen = []
    c.handleAuth = (packet, cb) => { seen.push(packet.reasonCode); cb() }
    const packet = await c.reauthenticateAsync({ properties: { authenticationData: Buffer.from('t2') } })
    expect(packet).toMatchObject({ cmd: 'auth', reasonCode: 0, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('ok') } })
    const auth = await rb.waitForPacket('auth')
    expect(auth.reasonCode).toBe(0x19)
    expect(auth.properties).toEqual({ authenticationMethod: METHOD, authenticationData: Buffer.from('t2') })
    expect(seen).toEqual([0])
    expect(c.connected).toBe(true)
  })

  testNapi('napi: a challenge (AUTH 0x18) during re-authentication goes to handleAuth, its answer to the broker', async () => {
    const rb = await reauthBroker((packet) => packet.reasonCode === 0x19
      ? { reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('challenge') } }
      : { reasonCode: 0, properties: { authenticationMethod: METHOD } })
    const c = await connected5(rb, { properties: { authenticationMethod: METHOD } })
    c.handleAuth = (packet, cb) => cb(null, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('response') } })
    const [err, packet] = await h.call((cb) => c.reauthenticate({ properties: { authenticationData: Buffer.from('t') } }, cb))
    expect(err).toBeNull()
    expect(packet.reasonCode).toBe(0)
    expect(rb.received('auth').map((p) => [p.reasonCode, p.properties.authenticationData.toString()])).toEqual([[0x19, 't'], [0x18, 'response']])
  })

  testNapi('napi: the broker refuses with DISCONNECT 0x87: the callback gets its reason code', async () => {
    const rb = await reauthBroker((packet, conn) => { conn.disconnect(0x87); return null })
    const c = await connected5(rb, { properties: { authenticationMethod: METHOD } })
    const rec = record(c, ['disconnect', 'close', 'error'])
    const [err] = await h.call((cb) => c.reauthenticate({ properties: { authenticationData: Buffer.from('x') } }, cb))
    expect(err).toBeInstanceOf(mqtt.ErrorWithReasonCode)
    expect(err.code).toBe(0x87)
    expect(err.message).toBe('Re-authentication failed: Not authorized')
    await rec.waitFor('close')
    expect(rec.names().slice(0, 2)).toEqual(['disconnect', 'close'])
  })

  testNapi('napi: the connection closes before an answer: "Connection closed"', async () => {
    const rb = await reauthBroker((packet, conn) => { conn.destroy(); return null })
    const c = await connected5(rb, { properties: { authenticationMethod: METHOD } })
    const [err] = await h.call((cb) => c.reauthenticate(cb))
    expect(err.message).toBe('Connection closed')
  })

  testNapi.each([
    ['MQTT 3.1.1', { protocolVersion: 4 }, /needs MQTT 5 and an authenticationMethod/],
    ['no authentication method', {}, /needs MQTT 5 and an authenticationMethod/],
    ['another method', { properties: { authenticationMethod: METHOD } }, /must be the connect's "TOKEN"/, { properties: { authenticationMethod: 'OTHER' } }],
    ['a bad argument', { properties: { authenticationMethod: METHOD } }, /^Invalid re-authentication packet/, 'data']
  ])('napi: %s: the callback gets an error, nothing sent', async (name, opts, message, arg = undefined) => {
    const rb = await v5Broker()
    const c = await connected5(rb, opts)
    const [err] = await h.call((cb) => c.reauthenticate(arg, cb))
    expect(err.message).toMatch(message)
    await delay(100)
    expect(rb.received('auth')).toEqual([])
    expect(c.connected).toBe(true)
  })

  testNapi('napi: before connecting, twice at once, after end(): errors, one AUTH sent', async () => {
    const rb = await reauthBroker(() => null) // never answers
    const c = connect5(rb, { properties: { authenticationMethod: METHOD } })
    const [before] = await h.call((cb) => c.reauthenticate(cb))
    expect(before.message).toBe('Re-authentication needs a connected client')
    await h.waitConnect(c)
    const first = h.call((cb) => c.reauthenticate(cb))
    const [second] = await h.call((cb) => c.reauthenticate(cb))
    expect(second.message).toBe('A re-authentication is already in progress')
    await h.end(c)
    const [firstErr] = await first
    expect(firstErr.message).toBe('Connection closed')
    const [after] = await h.call((cb) => c.reauthenticate(cb))
    expect(after.message).toBe('Re-authentication needs a connected client')
    expect(rb.received('auth').length).toBe(1)
  })
})
