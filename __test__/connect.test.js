'use strict'
// Connecting: URL forms, connect(options), the CONNECT packet on the wire, CONNACK.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { startAedes } = require('./helpers/brokers')
const { once, record, delay } = require('./helpers/events')
const { mqtt, isNapi } = require('./helpers/impl')
const h = require('./helpers/harness')
const { testOnFixedPort } = require('./helpers/fixedPort')

afterEach(cleanupAll)

async function rawBroker (behavior) {
  return track(await startRawBroker(behavior))
}

describe('URL forms and connect(options)', () => {
  let broker
  beforeAll(async () => { broker = await startAedes() })
  afterAll(async () => { if (broker) await broker.close() })

  test.each(['mqtt', 'tcp'])('%s://127.0.0.1:port connects; connack is the CONNACK packet', async (scheme) => {
    const [, connack] = await h.connected(`${scheme}://127.0.0.1:${broker.port}`)
    expect(connack).toMatchObject({ cmd: 'connack', returnCode: 0, sessionPresent: false })
  })

  test('mqtt://localhost:port connects', async () => {
    await h.connected(`mqtt://localhost:${broker.port}`)
  })

  test('connect(options) with host/port/protocol', async () => {
    const client = h.connect({ host: '127.0.0.1', port: broker.port, protocol: 'mqtt' })
    const [connack] = await once(client, 'connect')
    expect(connack.returnCode).toBe(0)
    expect(client.connected).toBe(true)
  })

  test('connect(url, options): options are merged with the URL', async () => {
    const id = h.clientId()
    await h.connected(broker.url, { clientId: id })
    const ev = await broker.waitForEvent((e) => e.event === 'client' && e.clientId === id)
    expect(ev.clientId).toBe(id)
  })

  test('user:pass@ in the URL reaches the broker as username/password', async () => {
    const id = h.clientId()
    await h.connected(`mqtt://alice:s3cret@127.0.0.1:${broker.port}`, { clientId: id })
    const auth = await broker.waitForEvent((e) => e.event === 'auth' && e.clientId === id)
    expect(auth.username).toBe('alice')
    expect(auth.password.toString()).toBe('s3cret')
  })

  test('username/password options (password as Buffer) reach the broker', async () => {
    const id = h.clientId()
    await h.connected(broker.url, { clientId: id, username: 'bob', password: Buffer.from([0x70, 0x00, 0xff]) })
    const auth = await broker.waitForEvent((e) => e.event === 'auth' && e.clientId === id)
    expect(auth.username).toBe('bob')
    expect(auth.password.equals(Buffer.from([0x70, 0x00, 0xff]))).toBe(true)
  })

  test('clientId from the URL query (?clientId=)', async () => {
    const id = h.clientId()
    await h.connected(`${broker.url}?clientId=${id}`)
    const ev = await broker.waitForEvent((e) => e.event === 'client' && e.clientId === id)
    expect(ev.clientId).toBe(id)
  })

  test('client.connected reflects the connection state', async () => {
    const client = h.connect(broker.url)
    expect(client.connected).toBe(false)
    await once(client, 'connect')
    expect(client.connected).toBe(true)
    await h.end(client)
    expect(client.connected).toBe(false)
  })
})

describe('authentication against aedes', () => {
  let broker
  beforeAll(async () => { broker = await startAedes({ auth: { username: 'u', password: 'p', returnCode: 4 } }) })
  afterAll(async () => { if (broker) await broker.close() })

  test('right credentials connect', async () => {
    const [, connack] = await h.connected(broker.url, { username: 'u', password: 'p' })
    expect(connack.returnCode).toBe(0)
  })

  test('wrong credentials: error code 4 "Connection refused: Bad username or password"', async () => {
    const client = h.connect(broker.url, { username: 'u', password: 'wrong', reconnectPeriod: 100 })
    const [err] = await once(client, 'error')
    expect(err.code).toBe(4)
    expect(err.message).toBe('Connection refused: Bad username or password')
  })
})

describe('the CONNECT packet on the wire', () => {
  test('defaults: MQTT 3.1.1, clean, keepalive 60, clientId mqttjs_<8 hex>, no credentials, no will', async () => {
    const rb = await rawBroker()
    await h.connected(rb.url)
    const p = await rb.waitForPacket('connect')
    expect(p.protocolId).toBe('MQTT')
    expect(p.protocolVersion).toBe(4)
    expect(p.clean).toBe(true)
    expect(p.keepalive).toBe(60)
    expect(p.clientId).toMatch(/^mqttjs_[0-9a-f]{8}$/)
    expect(p.username).toBeUndefined()
    expect(p.password).toBeUndefined()
    expect(p.will).toBeUndefined()
    expect(rb.parseErrors).toEqual([])
  })

  test('two clients get different default client ids', async () => {
    const rb = await rawBroker()
    await h.connected(rb.url)
    await h.connected(rb.url)
    const ids = rb.received('connect').map((p) => p.clientId)
    expect(ids).toHaveLength(2)
    expect(ids[0]).not.toBe(ids[1])
  })

  test('clientId, keepalive, clean:false, username, password', async () => {
    const rb = await rawBroker()
    await h.connected(rb.url, { clientId: 'dev-42', keepalive: 30, clean: false, username: 'user', password: 'pw' })
    const p = await rb.waitForPacket('connect')
    expect(p).toMatchObject({ clientId: 'dev-42', keepalive: 30, clean: false, username: 'user' })
    expect(Buffer.from(p.password).toString()).toBe('pw')
  })

  test('keepalive 0 is sent as 0', async () => {
    const rb = await rawBroker()
    await h.connected(rb.url, { keepalive: 0 })
    expect((await rb.waitForPacket('connect')).keepalive).toBe(0)
  })

  test('password as Buffer is sent verbatim', async () => {
    const rb = await rawBroker()
    const pw = Buffer.from([1, 2, 3, 0, 255])
    await h.connected(rb.url, { username: 'u', password: pw })
    const p = await rb.waitForPacket('connect')
    expect(Buffer.from(p.password).equals(pw)).toBe(true)
  })

  test('will: topic, payload, qos, retain', async () => {
    const rb = await rawBroker()
    await h.connected(rb.url, { will: { topic: 'dev/status', payload: 'gone', qos: 1, retain: true } })
    const p = await rb.waitForPacket('connect')
    expect(p.will).toMatchObject({ topic: 'dev/status', qos: 1, retain: true })
    expect(Buffer.from(p.will.payload).toString()).toBe('gone')
  })

  test('will payload as Buffer', async () => {
    const rb = await rawBroker()
    await h.connected(rb.url, { will: { topic: 'dev/w', payload: Buffer.from([0, 1, 2]), qos: 0, retain: false } })
    const p = await rb.waitForPacket('connect')
    expect(p.will).toMatchObject({ topic: 'dev/w', qos: 0, retain: false })
    expect(Buffer.from(p.will.payload).equals(Buffer.from([0, 1, 2]))).toBe(true)
  })

  test('MQTT 3.1: protocolId MQIsdp, protocol level 3', async () => {
    const rb = await rawBroker()
    // MQTT.js needs protocolId spelled out; ours derives it (see the napi test below)
    await h.connected(rb.url, { protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'v31' })
    const p = await rb.waitForPacket('connect')
    expect(p.protocolId).toBe('MQIsdp')
    expect(p.protocolVersion).toBe(3)
    expect(p.clientId).toBe('v31')
  })

  test('MQTT 3.1.1 explicitly: protocolId MQTT, level 4', async () => {
    const rb = await rawBroker()
    await h.connected(rb.url, { protocolVersion: 4 })
    const p = await rb.waitForPacket('connect')
    expect(p.protocolId).toBe('MQTT')
    expect(p.protocolVersion).toBe(4)
  })

  const testNapi = isNapi ? test : test.skip
  testNapi('napi: protocolVersion 3 alone implies protocolId MQIsdp', async () => {
    const rb = await rawBroker()
    await h.connected(rb.url, { protocolVersion: 3, clientId: 'v31b' })
    const p = await rb.waitForPacket('connect')
    expect(p.protocolId).toBe('MQIsdp')
    expect(p.protocolVersion).toBe(3)
  })

  testNapi.each([[3, 'MQIsdp'], [4, 'MQTT']])('napi: `version: %i` is an alias of protocolVersion', async (version, protocolId) => {
    const rb = await rawBroker()
    await h.connected(rb.url, { version, clientId: 'alias' + version })
    const p = await rb.waitForPacket('connect')
    expect(p.protocolVersion).toBe(version)
    expect(p.protocolId).toBe(protocolId)
  })

  test('clientId as a Buffer', async () => {
    const rb = await rawBroker()
    await h.connected(rb.url, { clientId: Buffer.from('buf-id') })
    const p = await rb.waitForPacket('connect')
    if (isNapi) {
      expect(p.clientId).toBe('buf-id')
    } else {
      // MQTT.js only accepts a string clientId and silently generates a default one
      expect(p.clientId).toMatch(/^mqttjs_[0-9a-f]+$/)
    }
  })

  test('CONNECT is the first packet; publishes and subscribes made before connect are flushed after it', async () => {
    const rb = await rawBroker()
    const client = h.connect(rb.url)
    const rec = record(client, ['connect'])
    const results = {}
    client.publish('pre/q0', 'zero', (err) => { results.q0 = err || null })
    client.publish('pre/q1', 'one', { qos: 1 }, (err) => { results.q1 = err || null })
    client.subscribe('pre/sub', (err, granted) => { results.sub = [err || null, granted] })
    expect(client.connected).toBe(false)
    await rec.waitFor('connect')
    await h.call((cb) => { const poll = () => (Object.keys(results).length === 3 ? cb() : setTimeout(poll, 10)); poll() })
    expect(results.q0).toBeNull()
    expect(results.q1).toBeNull()
    expect(results.sub).toEqual([null, [{ topic: 'pre/sub', qos: 0 }]])
    const cmds = rb.packets.map((p) => p.cmd)
    expect(cmds[0]).toBe('connect')
    expect(cmds.filter((c) => c === 'connect')).toHaveLength(1)
    expect(rb.received('publish').map((p) => p.topic).sort()).toEqual(['pre/q0', 'pre/q1'])
    expect(rb.received('subscribe')).toHaveLength(1)
  })
})

describe('connect() validation', () => {
  test('clean:false without clientId throws "Missing clientId for unclean clients"', () => {
    expect(() => track(mqtt.connect('mqtt://127.0.0.1:1', { clean: false }))).toThrow('Missing clientId for unclean clients')
  })

  test('connect() installs an error listener: an unhandled error event does not throw', async () => {
    const rb = await rawBroker()
    const port = rb.port
    await rb.close()
    const client = h.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 })
    expect(client.listenerCount('error')).toBeGreaterThanOrEqual(1)
    // connection refused -> 'error' emitted with no user listener -> must not throw
    await once(client, 'close')
  })

  test('invalid protocolVersion is reported as an error', async () => {
    const rb = await rawBroker()
    if (isNapi) {
      // either connect() throws, or the client emits 'error'; either way naming the option
      let client = null
      let err = null
      try {
        client = track(mqtt.connect(rb.url, { protocolVersion: 7, reconnectPeriod: 0 }))
      } catch (e) {
        err = e
      }
      if (!err) [err] = await once(client, 'error')
      expect(h.isError(err)).toBe(true)
      expect(err.message).toMatch(/protocolVersion/)
    } else {
      // MQTT.js swallows mqtt-packet's 'Invalid protocol version' (no err.code) and just
      // closes the stream: no error event, no CONNECT ever reaches the broker.
      const client = h.connect(rb.url, { protocolVersion: 7, reconnectPeriod: 0 })
      const rec = record(client, ['error', 'connect'])
      await once(client, 'close')
      await delay(100)
      expect(rec.names()).toEqual([])
      expect(rb.received('connect')).toEqual([])
    }
  })
})

describe('default ports', () => {
  testOnFixedPort(1883, 'mqtt:// without a port connects to 1883', async () => {
    const rb = await rawBroker({ port: 1883 })
    const [, connack] = await h.connected('mqtt://127.0.0.1')
    expect(connack.returnCode).toBe(0)
    expect(rb.received('connect')).toHaveLength(1)
  })
})
