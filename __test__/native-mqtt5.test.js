'use strict'
// The addon's MQTT 5 surface, driven directly (no lib/client.js) against
// mosquitto in MQTT 5 mode: what the binding converts reaches the broker, and
// what the broker answers reaches the event records. The MQTT.js-level API on
// top of it is tested in the mqtt5*.test.js suites.
const { isNapi } = require('./helpers/impl')
const { startMosquitto, brokerAvailable } = require('./helpers/brokers')

const describeIt = isNapi && brokerAvailable('mosquitto') ? describe : describe.skip

describeIt('the addon speaks MQTT 5 to mosquitto', () => {
  const { startNativeClient } = isNapi ? require('../lib/event-bridge') : {}
  const { KIND, BatchReader, TopicCache } = isNapi ? require('../lib/event-batch') : {}
  const { readRecord } = isNapi ? require('../lib/event-records') : {}
  const nameOf = isNapi ? Object.fromEntries(Object.entries(KIND).map(([name, value]) => [value, name])) : {}

  let broker
  const clients = []

  beforeAll(async () => {
    broker = await startMosquitto()
  })

  afterEach(() => {
    for (const client of clients.splice(0)) client.native.end(true)
  })

  afterAll(async () => {
    await broker.close()
  })

  /** A native client whose records are kept in order, with a way to wait for the next of a kind. */
  function connect (extra = {}) {
    const records = []
    const waiters = []
    const receive = (buffer, payloads) => {
      const reader = new BatchReader(buffer, new TopicCache(), payloads)
      while (!reader.done) {
        const { kind, value } = readRecord(reader)
        records.push({ kind: nameOf[kind], value })
      }
      for (const waiter of waiters.splice(0)) waiter()
    }
    const options = {
      protocol: 'mqtt',
      host: '127.0.0.1',
      port: broker.port,
      protocolVersion: 5,
      clientId: Buffer.from(extra.clientId ?? `v5-${process.pid}-${clients.length}-${Date.now()}`),
      clean: true,
      keepalive: 60,
      connectTimeout: 5000,
      reconnectPeriod: 0,
      resubscribe: true,
      queueQoSZero: true,
      rejectUnauthorized: true,
      ...extra.options
    }
    const native = startNativeClient(options, receive)
    const client = {
      native,
      records,
      /** Resolves with the first record of `kind` (matching `test`) not taken yet. */
      async next (kind, test = () => true) {
        const deadline = Date.now() + 5000
        for (;;) {
          const index = records.findIndex((r) => r.kind === kind && test(r.value))
          if (index >= 0) return records.splice(index, 1)[0].value
          if (Date.now() > deadline) throw new Error(`no ${kind} record; got ${records.map((r) => r.kind).join(', ')}`)
          await new Promise((resolve) => {
            waiters.push(resolve)
            setTimeout(resolve, 50)
          })
        }
      }
    }
    clients.push(client)
    return client
  }

  test('CONNECT properties go out and the CONNACK\'s come back', async () => {
    const client = connect({
      clientId: '',
      options: { properties: { sessionExpiryInterval: 30, receiveMaximum: 5, userProperties: { app: 'test' } } }
    })
    const { packet } = await client.next('CONNECT')
    expect(packet.returnCode).toBe(0)
    // mosquitto names the client it had to name, and states its topic alias maximum (10 by default).
    expect(packet.properties.assignedClientIdentifier).toMatch(/^auto-/)
    expect(packet.properties.topicAliasMaximum).toBe(10)
  })

  test('publish properties reach a subscriber, with its subscription identifier', async () => {
    const subscriber = connect()
    await subscriber.next('CONNECT')
    subscriber.native.subscribe(1, [{ topic: 'v5/props/#', qos: 1 }], { subscriptionIdentifier: 42 })
    expect(await subscriber.next('SUBSCRIBE_DONE')).toMatchObject({ token: 1, error: null, subackCodes: [1], qos: [1] })

    const publisher = connect()
    await publisher.next('CONNECT')
    const properties = {
      payloadFormatIndicator: true,
      messageExpiryInterval: 3600,
      contentType: 'application/json',
      responseTopic: 'v5/reply',
      correlationData: Buffer.from([1, 2, 3]),
      userProperties: { a: 'b', many: ['1', '2'] }
    }
    publisher.native.publish('v5/props/x', Buffer.from('{}'), 1, false, 7, properties)
    const done = await publisher.next('PUBLISH_DONE')
    expect(done).toMatchObject({ token: 7, error: null, reasonCode: 0 })

    const { packet } = await subscriber.next('MESSAGE')
    expect(packet.topic).toBe('v5/props/x')
    expect(packet.properties).toEqual({
      ...properties,
      // mosquitto counts the expiry down; a second at most has passed.
      messageExpiryInterval: expect.any(Number),
      subscriptionIdentifier: 42,
      userProperties: Object.assign(Object.create(null), { a: 'b', many: ['1', '2'] })
    })
    expect(packet.properties.messageExpiryInterval).toBeGreaterThan(3590)
  })

  test('the batch path carries properties too, and a bad list fails only its publish', async () => {
    const client = connect()
    await client.next('CONNECT')
    client.native.subscribe(1, [{ topic: 'v5/batch', qos: 0 }])
    await client.next('SUBSCRIBE_DONE')
    const { PublishBatch } = require('../lib/publish-batch')
    const { FLAG_PROPERTIES } = require('../lib/properties')
    const batch = new PublishBatch()
    batch.add('v5/batch', Buffer.from('one'), 1 | FLAG_PROPERTIES, false, 11)
    batch.add('v5/batch', Buffer.from('two'), 1 | FLAG_PROPERTIES, false, 12)
    client.native.publishBatch(batch.take(), [{ contentType: 'first' }, { topicAlias: 'nope' }])
    expect(await client.next('PUBLISH_DONE', (d) => d.token === 11)).toMatchObject({ error: null })
    const failed = await client.next('PUBLISH_DONE', (d) => d.token === 12)
    expect(failed.error.message).toBe('Invalid properties.topicAlias: must be an integer from 0 to 65535, got "nope"')
    const { packet } = await client.next('MESSAGE')
    expect(packet.payload.toString()).toBe('one')
    expect(packet.properties).toEqual({ contentType: 'first' })
  })

  test('No Local keeps our own publishes from coming back', async () => {
    const client = connect()
    await client.next('CONNECT')
    client.native.subscribe(1, [{ topic: 'v5/nl/own', qos: 1, nl: true }, { topic: 'v5/nl/all', qos: 1 }])
    expect(await client.next('SUBSCRIBE_DONE')).toMatchObject({ subackCodes: [1, 1], qos: [1, 1] })
    client.native.publish('v5/nl/own', Buffer.from('a'), 1, false, 2)
    client.native.publish('v5/nl/all', Buffer.from('b'), 1, false, 3)
    // The broker keeps the order: the second came back, so the first never will.
    const { packet } = await client.next('MESSAGE')
    expect(packet.topic).toBe('v5/nl/all')
  })

  test('reason codes come back: no matching subscribers, no subscription existed', async () => {
    const client = connect()
    await client.next('CONNECT')
    client.native.publish('v5/nobody/listens', Buffer.from('x'), 1, false, 5)
    expect(await client.next('PUBLISH_DONE')).toMatchObject({ token: 5, error: null, reasonCode: 0x10 })
    client.native.unsubscribe(6, ['v5/never', 'v5/never/2'], { userProperties: { why: 'test' } })
    expect(await client.next('UNSUBSCRIBE_DONE')).toMatchObject({ token: 6, error: null, reasonCodes: [0x11, 0x11] })
  })

  test('end with "disconnect with will message" publishes the will, with its properties', async () => {
    const watcher = connect()
    await watcher.next('CONNECT')
    watcher.native.subscribe(1, [{ topic: 'v5/will', qos: 1 }])
    await watcher.next('SUBSCRIBE_DONE')
    const leaving = connect({
      options: {
        will: { topic: 'v5/will', payload: Buffer.from('gone'), qos: 1, retain: false, properties: { contentType: 'text/plain', userProperties: { w: '1' } } }
      }
    })
    await leaving.next('CONNECT')
    leaving.native.end(false, 0x04, { reasonString: 'leaving on purpose' })
    const { packet } = await watcher.next('MESSAGE')
    expect(packet.payload.toString()).toBe('gone')
    expect(packet.properties).toEqual({ contentType: 'text/plain', userProperties: Object.assign(Object.create(null), { w: '1' }) })
  })

  test('bad MQTT 5 arguments are refused, naming what was wrong', async () => {
    expect(() => connect({ options: { properties: { sessionExpiryInterval: -1 } } }))
      .toThrow('Invalid properties.sessionExpiryInterval: must be an integer from 0 to 4294967295, got -1')
    expect(() => connect({ options: { properties: { topicAlias: 1 } } }))
      .toThrow(/^Invalid properties\.topicAlias: .*not allowed in CONNECT/)
    expect(() => connect({ options: { will: { topic: 't', payload: Buffer.alloc(0), qos: 0, retain: false, properties: { willDelay: 1 } } } }))
      .toThrow('Invalid will.properties.willDelay: not an MQTT 5 property')
    expect(() => connect({ options: { properties: 'x' } })).toThrow('Invalid properties: must be an object, got "x"')
    const client = connect()
    await client.next('CONNECT')
    expect(() => client.native.subscribe(1, [{ topic: 'a', qos: 0, rh: 3 }])).toThrow('Invalid option rh: must be 0, 1 or 2, got 3')
    expect(() => client.native.subscribe(1, [{ topic: 'a', qos: 0 }], { subscriptionIdentifier: 0 }))
      .toThrow(/^Invalid properties\.subscriptionIdentifier: /)
    expect(() => client.native.end(false, 0x10)).toThrow('Invalid option reasonCode: 16 is not a reason code of DISCONNECT')
    expect(() => client.native.acknowledge(1, 1, 0x92)).toThrow(/is not a reason code of PUBACK/)
    expect(() => client.native.authContinue(0x18, { authenticationData: Buffer.from('x') }))
      .toThrow(/^Invalid properties\.authenticationData: /)
    expect(() => client.native.reauthenticate({})).toThrow(/^Invalid properties\.authenticationMethod: /)
    // Refused on the spot: nothing was sent, and the client still works.
    client.native.publish('v5/after', Buffer.from('x'), 1, false, 9)
    expect(await client.next('PUBLISH_DONE')).toMatchObject({ token: 9, error: null })
  })

  test('holdPubrec: a QoS 2 message arrives held and its PUBREC goes only with the reason code acknowledge gives', async () => {
    const client = connect({ options: { manualAcks: true, holdPubrec: true } })
    await client.next('CONNECT')
    client.native.setPacketEvents(true)
    client.native.subscribe(1, [{ topic: 'v5/held/#', qos: 2 }])
    await client.next('SUBSCRIBE_DONE')
    const publisher = connect()
    await publisher.next('CONNECT')
    publisher.native.publish('v5/held/refused', Buffer.from('no'), 2, false, 3)
    publisher.native.publish('v5/held/taken', Buffer.from('yes'), 2, false, 4)
    const refused = await client.next('MESSAGE', (m) => m.packet.topic === 'v5/held/refused')
    const taken = await client.next('MESSAGE', (m) => m.packet.topic === 'v5/held/taken')
    expect(refused.ackConnection).toBe(1)
    expect(taken.ackConnection).toBe(1)
    // Delivered on PUBLISH, and nothing answered yet.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const sentAcks = () => client.records.filter((r) => r.kind === 'PACKET_SEND' && r.value.cmd !== 'subscribe').map((r) => r.value)
    expect(sentAcks()).toEqual([])
    client.native.acknowledge(refused.packet.messageId, 1, 0x97)
    client.native.acknowledge(taken.packet.messageId, 1, 0)
    const pubrec = (id) => client.next('PACKET_SEND', (p) => p.cmd === 'pubrec' && p.messageId === id)
    expect(await pubrec(refused.packet.messageId)).toMatchObject({ reasonCode: 0x97 })
    expect((await pubrec(taken.packet.messageId)).reasonCode || 0).toBe(0)
    // mosquitto releases the accepted one, and our PUBCOMP completes it at once.
    await client.next('PACKET_SEND', (p) => p.cmd === 'pubcomp' && p.messageId === taken.packet.messageId)
    expect(client.records.filter((r) => r.kind === 'MESSAGE')).toEqual([])
  })

  test('abortConnection closes the connection, after a DISCONNECT with the reason code given', async () => {
    const watcher = connect()
    await watcher.next('CONNECT')
    watcher.native.subscribe(1, [{ topic: 'v5/aborted', qos: 1 }])
    await watcher.next('SUBSCRIBE_DONE')
    // The will (DISCONNECT 0x04 is "disconnect with will message") shows mosquitto saw the end.
    const will = { topic: 'v5/aborted', payload: Buffer.from('gone'), qos: 1, retain: false }
    const aborting = connect({ options: { will } })
    await aborting.next('CONNECT')
    expect(() => aborting.native.abortConnection(0x10)).toThrow('Invalid option reasonCode: 16 is not a reason code of DISCONNECT')
    aborting.native.setPacketEvents(true)
    aborting.native.abortConnection(0x04, { reasonString: 'handleAuth failed' })
    expect(await aborting.next('PACKET_SEND', (p) => p.cmd === 'disconnect'))
      .toMatchObject({ reasonCode: 0x04, properties: { reasonString: 'handleAuth failed' } })
    await aborting.next('CLOSE')
    const { packet } = await watcher.next('MESSAGE')
    expect(packet.payload.toString()).toBe('gone')
    // Without a connection there is nothing to abort: no throw, nothing happens.
    expect(() => aborting.native.abortConnection()).not.toThrow()
  })
})
