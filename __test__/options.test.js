'use strict'
// Options given as JSON strings (our extension; MQTT.js ignores them), defaults,
// client.options staying a fast-mode object, the default stores.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { once, waitUntil } = require('./helpers/events')
const { mqtt, isNapi } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const testNapi = isNapi ? test : test.skip
const testMqttjs = isNapi ? test.skip : test

async function rawBroker (behavior) {
  return track(await startRawBroker(behavior))
}

describe('options as JSON strings (napi extension)', () => {
  testNapi('connect(url, jsonString)', async () => {
    const rb = await rawBroker()
    const opts = JSON.stringify({ clientId: 'json-id', keepalive: 17, clean: false, username: 'ju', password: 'jp', will: { topic: 'j/w', payload: 'bye', qos: 1, retain: false } })
    await h.connected(rb.url, opts)
    const p = await rb.waitForPacket('connect')
    expect(p).toMatchObject({ clientId: 'json-id', keepalive: 17, clean: false, username: 'ju' })
    expect(Buffer.from(p.password).toString()).toBe('jp')
    expect(p.will).toMatchObject({ topic: 'j/w', qos: 1, retain: false })
    expect(Buffer.from(p.will.payload).toString()).toBe('bye')
  })

  testNapi('connect(jsonString) with host/port/protocol', async () => {
    const rb = await rawBroker()
    await h.connected(JSON.stringify({ host: '127.0.0.1', port: rb.port, protocol: 'mqtt', clientId: 'json-only' }))
    expect((await rb.waitForPacket('connect')).clientId).toBe('json-only')
  })

  testNapi('subscribe(topic, \'{"qos":1}\', cb)', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err, granted] = await h.subscribe(c, 'j/s', JSON.stringify({ qos: 1 }))
    expect(err).toBeFalsy()
    expect(granted).toEqual([{ topic: 'j/s', qos: 1 }])
    expect((await rb.waitForPacket('subscribe')).subscriptions).toEqual([{ topic: 'j/s', qos: 1 }])
  })

  testNapi('subscribe with a JSON topic map is NOT parsed: only option arguments are', async () => {
    // the first argument is a topic; a string there is a topic name, never JSON
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err, granted] = await h.subscribe(c, 'j/plain', '{}')
    expect(err).toBeFalsy()
    expect(granted).toEqual([{ topic: 'j/plain', qos: 0 }])
  })

  testNapi('publish(topic, msg, \'{"qos":1,"retain":true}\', cb)', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err] = await h.publish(c, 'j/p', 'payload', JSON.stringify({ qos: 1, retain: true }))
    expect(err).toBeFalsy()
    const p = await rb.waitForPacket('publish')
    expect(p).toMatchObject({ topic: 'j/p', qos: 1, retain: true })
    expect(p.payload.toString()).toBe('payload')
  })

  testNapi('unsubscribe(topic, \'{}\', cb)', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err] = await h.unsubscribe(c, 'j/u', '{}')
    expect(err).toBeFalsy()
    expect((await rb.waitForPacket('unsubscribe')).unsubscriptions).toEqual(['j/u'])
  })

  testNapi('end(false, \'{}\', cb)', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    await h.end(c, false, '{}')
    await rb.waitForPacket('disconnect')
  })

  // Invalid JSON: a clear error that says it is JSON and names the option argument,
  // delivered by throwing or through the callback.
  testNapi('invalid JSON in connect options: throws, naming the options', () => {
    let err = null
    try {
      track(mqtt.connect('mqtt://127.0.0.1:1', '{clientId: nope'))
    } catch (e) {
      err = e
    }
    expect(h.isError(err)).toBe(true)
    expect(err.message).toMatch(/JSON/)
    expect(err.message).toMatch(/option/i)
  })

  testNapi.each([
    ['subscribe', (c, cb) => c.subscribe('j/bad', '{qos:1', cb)],
    ['publish', (c, cb) => c.publish('j/bad', 'x', '{"qos":', cb)],
    ['unsubscribe', (c, cb) => c.unsubscribe('j/bad', 'nope{', cb)]
  ])('invalid JSON in %s options: error naming the options, nothing sent', async (name, fn) => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const err = await h.captureError((cb) => fn(c, cb), c)
    expect(h.isError(err)).toBe(true)
    expect(err.message).toMatch(/JSON/)
    expect(err.message).toMatch(/option/i)
    expect(rb.received(name)).toEqual([])
    expect(c.connected).toBe(true)
  })

  testMqttjs('MQTT.js ignores JSON-string options (treated as defaults: qos 0)', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err, granted] = await h.subscribe(c, 'j/s', JSON.stringify({ qos: 1 }))
    expect(err).toBeFalsy()
    expect(granted).toEqual([{ topic: 'j/s', qos: 0 }])
    await h.publish(c, 'j/p', 'x', JSON.stringify({ qos: 1 }))
    expect((await rb.waitForPacket('publish')).qos).toBe(0)
  })
})

// MQTT.js takes these values and fails later (or never); the engine refuses
// them at once, with a message that names what was given.
describe('invalid values are named as given (napi)', () => {
  function thrown (fn) {
    try {
      fn()
    } catch (err) {
      return err
    }
    return null
  }

  testNapi.each([
    [{ keepalive: NaN }, 'Invalid option keepalive: expected an integer from 0 to 65535, got NaN'],
    [{ keepalive: 'x' }, 'Invalid option keepalive: expected an integer from 0 to 65535, got "x" (a string)'],
    [{ reconnectPeriod: NaN }, /^Invalid option reconnectPeriod: expected a number .* got NaN$/],
    [{ port: 'x' }, 'Invalid option port: expected an integer from 1 to 65535, got "x" (a string)'],
    [{ port: 70000 }, 'Invalid option port: expected an integer from 1 to 65535, got 70000'],
    [{ protocolVersion: '4' }, /^Invalid option protocolVersion: "4" \(a string\) is not supported/],
    [{ will: { topic: 'w', qos: '1' } }, 'Invalid option will.qos: expected 0, 1 or 2, got "1" (a string)']
  ])('connect(%o) throws "%s"', (options, message) => {
    const err = thrown(() => track(mqtt.connect({ host: '127.0.0.1', port: 1, reconnectPeriod: 0, ...options })))
    expect(h.isError(err)).toBe(true)
    expect(err.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message))
  })

  testNapi.each([
    ['1', 'Invalid QoS: expected 0, 1 or 2, got "1" (a string)'],
    [NaN, 'Invalid QoS: expected 0, 1 or 2, got NaN'],
    [3, 'Invalid QoS: expected 0, 1 or 2, got 3']
  ])('publish with qos %p: the callback error says "%s", nothing sent', async (qos, message) => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err] = await h.publish(c, 'q/bad', 'x', { qos })
    expect(h.isError(err)).toBe(true)
    expect(err.message).toBe(message)
    expect(rb.received('publish')).toEqual([])
  })
})

describe('defaults and callback shapes', () => {
  test('QoS 0 publish callback: called once, no error', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const calls = []
    c.publish('d/0', 'x', (...args) => calls.push(args))
    await waitUntil(() => calls.length === 1, { label: 'callback' })
    expect(calls[0][0]).toBeFalsy()
  })

  test('QoS 1 publish callback: (null, packet) with the sent PUBLISH fields', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err, packet] = await h.publish(c, 'd/1', 'x', { qos: 1 })
    expect(err).toBeFalsy()
    const wire = await rb.waitForPacket('publish')
    expect(packet).toMatchObject({ cmd: 'publish', topic: 'd/1', qos: 1, messageId: wire.messageId })
  })

  test('QoS 2 publish callback: no error', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err] = await h.publish(c, 'd/2', 'x', { qos: 2 })
    expect(err).toBeFalsy()
    expect(rb.received('pubrel')).toHaveLength(1)
  })

  test('subscribe callback: (null, granted[{topic, qos}])', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err, granted] = await h.subscribe(c, 'd/s')
    expect(err).toBeNull()
    expect(granted).toEqual([{ topic: 'd/s', qos: 0 }])
  })

  test('unsubscribe callback: no error', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err] = await h.unsubscribe(c, 'd/s')
    expect(err).toBeFalsy()
  })

  test('publish options default to qos 0, retain false, dup false', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    c.publish('d/def', 'x')
    const p = await rb.waitForPacket('publish')
    expect(p).toMatchObject({ qos: 0, retain: false, dup: false })
  })

  test('subscribe qos defaults to 0', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    c.subscribe(['d/a', 'd/b'])
    const p = await rb.waitForPacket('subscribe')
    expect(p.subscriptions).toEqual([{ topic: 'd/a', qos: 0 }, { topic: 'd/b', qos: 0 }])
  })

  test('the connack passed to connect is also a full packet object', async () => {
    const rb = await rawBroker({ connack: { returnCode: 0, sessionPresent: true } })
    const c = h.connect(rb.url, { clientId: 'sp', clean: false })
    const [connack] = await once(c, 'connect')
    expect(connack).toMatchObject({ cmd: 'connack', returnCode: 0, sessionPresent: true })
  })
})

describe('memory per client (napi)', () => {
  // A dictionary-mode ("slow") client.options costs over 1 KiB more per
  // client; a `delete` or properties added by computed key cause one (see lib/options/client-options.js).
  testNapi('client.options (and options.query) stay fast-mode objects', async () => {
    require('v8').setFlagsFromString('--allow-natives-syntax')
    const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') // eslint-disable-line no-new-func
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url, { clientId: 'fast', reconnectPeriod: 0, keepalive: 60, clean: true, connectTimeout: 60000 })
    expect(hasFastProperties(c.options)).toBe(true)
    expect(hasFastProperties(c.options.query)).toBe(true)
  })
})

describe('default stores', () => {
  // mqtt-napi creates them on first read (see lib/store-mirror.js); a read must
  // still give the same Store each time, before and after end().
  test('client.incomingStore / outgoingStore: the same Store on every read', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const incoming = c.incomingStore
    expect(incoming).toBeInstanceOf(mqtt.Store)
    expect(c.incomingStore).toBe(incoming)
    await new Promise((resolve) => c.end(resolve))
    expect(c.incomingStore).toBe(incoming)
    const outgoing = c.outgoingStore // first read after end()
    expect(outgoing).toBeInstanceOf(mqtt.Store)
    expect(c.outgoingStore).toBe(outgoing)
  })
})
