'use strict'
// Publish / subscribe against real brokers (aedes, and mosquitto when present).
const { cleanupAll } = require('./helpers/cleanup')
const { describeEachBroker } = require('./helpers/brokers')
const { once, record, waitUntil } = require('./helpers/events')
const h = require('./helpers/harness')

afterEach(cleanupAll)

describeEachBroker('publish/subscribe', (brokerName, startBroker) => {
  let broker
  beforeAll(async () => { broker = await startBroker() })
  afterAll(async () => { if (broker) await broker.close() })

  test('QoS 0 round trip: message(topic, Buffer payload, packet)', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    const [err, granted] = await h.subscribe(c, t)
    expect(err).toBeFalsy()
    expect(granted).toEqual([{ topic: t, qos: 0 }])
    const msg = once(c, 'message')
    c.publish(t, 'hello')
    const [topic, payload, packet] = await msg
    expect(topic).toBe(t)
    expect(Buffer.isBuffer(payload)).toBe(true)
    expect(payload.toString()).toBe('hello')
    expect(packet.cmd).toBe('publish')
    expect(packet.topic).toBe(t)
    expect(Buffer.isBuffer(packet.payload)).toBe(true)
    expect(packet.payload.toString()).toBe('hello')
    expect(packet.qos).toBe(0)
    expect(packet.retain).toBe(false)
    expect(packet.dup).toBe(false)
    expect(packet.messageId).toBeUndefined()
  })

  test.each([1, 2])('QoS %i round trip: packet.qos and messageId', async (qos) => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    const [err, granted] = await h.subscribe(c, t, { qos })
    expect(err).toBeFalsy()
    expect(granted).toEqual([{ topic: t, qos }])
    const msg = once(c, 'message')
    const [perr] = await h.publish(c, t, 'q' + qos, { qos })
    expect(perr).toBeFalsy()
    const [topic, payload, packet] = await msg
    expect(topic).toBe(t)
    expect(payload.toString()).toBe('q' + qos)
    expect(packet.qos).toBe(qos)
    expect(Number.isInteger(packet.messageId)).toBe(true)
    expect(packet.messageId).toBeGreaterThan(0)
    expect(packet.messageId).toBeLessThanOrEqual(65535)
  })

  test('delivered QoS is the minimum of publish and subscription QoS', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    await h.subscribe(c, t, { qos: 1 })
    const msg = once(c, 'message')
    c.publish(t, 'x', { qos: 2 })
    const [, , packet] = await msg
    expect(packet.qos).toBe(1)
  })

  test('payload types: string, Buffer, Uint8Array, empty, binary, 256 KiB', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    await h.subscribe(c, t + '/#', { qos: 1 })
    const got = new Map()
    c.on('message', (topic, payload) => got.set(topic, payload))
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0])
    const big = Buffer.alloc(256 * 1024, 'abcdefgh')
    const cases = {
      [t + '/string']: ['héllo wörld ✓', Buffer.from('héllo wörld ✓')],
      [t + '/buffer']: [Buffer.from('buf'), Buffer.from('buf')],
      [t + '/u8']: [new Uint8Array([104, 105]), Buffer.from('hi')],
      [t + '/empty']: ['', Buffer.alloc(0)],
      [t + '/binary']: [binary, binary],
      [t + '/big']: [big, big]
    }
    for (const [topic, [payload]] of Object.entries(cases)) {
      const [err] = await h.publish(c, topic, payload, { qos: 1 })
      expect(err).toBeFalsy()
    }
    await waitUntil(() => got.size === Object.keys(cases).length, { label: 'all payloads' })
    for (const [topic, [, expected]] of Object.entries(cases)) {
      const payload = got.get(topic)
      expect(Buffer.isBuffer(payload)).toBe(true)
      expect(payload.equals(expected)).toBe(true)
    }
  })

  test('large payloads (sent and received without copies from 64 KiB) interleaved with small ones: order, bytes, packet.length', async () => {
    const [pub] = await h.connected(broker.url)
    const [sub] = await h.connected(broker.url)
    const t = h.topic()
    await h.subscribe(sub, t, { qos: 1 })
    const sizes = [70000, 10, 65536, 65535, 1024 * 1024, 3, 200000, 64 * 1024 + 1]
    const payloads = sizes.map((size, i) => {
      const b = Buffer.alloc(size)
      for (let j = 0; j < size; j += 997) b[j] = (i * 31 + j) & 0xff
      if (size >= 4) b.writeUInt32BE(i, 0)
      return b
    })
    const got = []
    sub.on('message', (topic, payload, packet) => {
      got.push({ payload: Buffer.from(payload), length: packet.length })
      // Whatever a listener does to one payload must not touch the next ones.
      payload.fill(0xee)
    })
    for (const payload of payloads) pub.publish(t, payload, { qos: 1 })
    await waitUntil(() => got.length === sizes.length, { label: 'all messages', timeout: 20000 })
    const topicBytes = Buffer.byteLength(t)
    got.forEach(({ payload, length }, i) => {
      expect(payload.length).toBe(sizes[i])
      expect(payload.equals(payloads[i])).toBe(true)
      expect(length).toBe(2 + topicBytes + 2 + sizes[i])
    })
  })

  test('subscribe forms: array with options, object map; granted shape', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    const [err1, granted1] = await h.subscribe(c, [t + '/a', t + '/b'], { qos: 1 })
    expect(err1).toBeFalsy()
    expect(granted1).toEqual([{ topic: t + '/a', qos: 1 }, { topic: t + '/b', qos: 1 }])
    const [err2, granted2] = await h.subscribe(c, { [t + '/c']: { qos: 0 }, [t + '/d']: { qos: 2 } })
    expect(err2).toBeFalsy()
    expect(granted2).toEqual([{ topic: t + '/c', qos: 0 }, { topic: t + '/d', qos: 2 }])
  })

  test('wildcards + and # match; unmatched topics are not delivered', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    await h.subscribe(c, [t + '/+/x', t + '/deep/#'], { qos: 1 })
    const rec = record(c, ['message'])
    for (const topic of [t + '/a/x', t + '/a/y', t + '/deep', t + '/deep/1/2', t + '/zz/x/x']) {
      await h.publish(c, topic, topic, { qos: 1 })
    }
    await h.publish(c, t + '/deep/end', 'end', { qos: 1 })
    await rec.waitFor('message', 4)
    // `t/deep/#` also matches `t/deep` itself (the parent level)
    expect(rec.of('message').map((e) => e.args[0]).sort()).toEqual([t + '/a/x', t + '/deep', t + '/deep/1/2', t + '/deep/end'].sort())
  })

  test('QoS 1 messages from one publisher arrive in order', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    await h.subscribe(c, t, { qos: 1 })
    const rec = record(c, ['message'])
    const N = 200
    for (let i = 0; i < N; i++) c.publish(t, String(i), { qos: 1 })
    await rec.waitFor('message', N)
    expect(rec.of('message').map((e) => Number(e.args[1].toString()))).toEqual([...Array(N).keys()])
  })

  test('two clients: a publisher and a subscriber', async () => {
    const [sub] = await h.connected(broker.url)
    const [pub] = await h.connected(broker.url)
    const t = h.topic()
    await h.subscribe(sub, t, { qos: 1 })
    const msg = once(sub, 'message')
    const [err] = await h.publish(pub, t, Buffer.from('from pub'), { qos: 1 })
    expect(err).toBeFalsy()
    const [topic, payload] = await msg
    expect(topic).toBe(t)
    expect(payload.toString()).toBe('from pub')
  })

  test('unsubscribe stops delivery; callback (err) with no error', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    await h.subscribe(c, [t + '/gone', t + '/stays'], { qos: 1 })
    const [err] = await h.unsubscribe(c, t + '/gone')
    expect(err).toBeFalsy()
    const rec = record(c, ['message'])
    await h.publish(c, t + '/gone', 'no', { qos: 1 })
    await h.publish(c, t + '/stays', 'yes', { qos: 1 })
    await rec.waitFor('message', 1)
    // the broker forwards in order: if 'gone' were delivered it would come first
    expect(rec.of('message').map((e) => e.args[0])).toEqual([t + '/stays'])
  })

  test('unsubscribe accepts an array', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    await h.subscribe(c, [t + '/1', t + '/2', t + '/3'], { qos: 1 })
    const [err] = await h.unsubscribe(c, [t + '/1', t + '/2'])
    expect(err).toBeFalsy()
    const rec = record(c, ['message'])
    await h.publish(c, t + '/1', 'no', { qos: 1 })
    await h.publish(c, t + '/2', 'no', { qos: 1 })
    await h.publish(c, t + '/3', 'yes', { qos: 1 })
    await rec.waitFor('message', 1)
    expect(rec.of('message').map((e) => e.args[0])).toEqual([t + '/3'])
  })

  test('retained message is delivered to a later subscriber with packet.retain true', async () => {
    const [pub] = await h.connected(broker.url)
    const t = h.topic()
    const [err] = await h.publish(pub, t, 'kept', { qos: 1, retain: true })
    expect(err).toBeFalsy()
    const [sub] = await h.connected(broker.url)
    const msg = once(sub, 'message')
    await h.subscribe(sub, t, { qos: 1 })
    const [topic, payload, packet] = await msg
    expect(topic).toBe(t)
    expect(payload.toString()).toBe('kept')
    expect(packet.retain).toBe(true)
    // a live (non-retained-delivery) message has retain false, even if published with retain
    const live = once(sub, 'message')
    pub.publish(t, 'live', { qos: 1, retain: true })
    const [, p2, packet2] = await live
    expect(p2.toString()).toBe('live')
    expect(packet2.retain).toBe(false)
    // clear the retained message (empty retained payload)
    await h.publish(pub, t, '', { qos: 1, retain: true })
  })

  test('clearing a retained message with an empty payload', async () => {
    const [pub] = await h.connected(broker.url)
    const t = h.topic()
    await h.publish(pub, t, 'old', { qos: 1, retain: true })
    await h.publish(pub, t, '', { qos: 1, retain: true })
    const [sub] = await h.connected(broker.url)
    const rec = record(sub, ['message'])
    await h.subscribe(sub, [t, t + '/marker'], { qos: 1 })
    await h.publish(pub, t + '/marker', 'm', { qos: 1 })
    await rec.waitFor('message', 1)
    expect(rec.of('message').map((e) => e.args[0])).toEqual([t + '/marker'])
  })

  test('volume: 5000 QoS 0 and 1000 QoS 1 messages all arrive, in order', async () => {
    const [sub] = await h.connected(broker.url)
    const [pub] = await h.connected(broker.url)
    const t = h.topic()
    await h.subscribe(sub, { [t + '/0']: { qos: 0 }, [t + '/1']: { qos: 1 } })
    const got = { [t + '/0']: [], [t + '/1']: [] }
    sub.on('message', (topic, payload) => got[topic].push(Number(payload.toString())))
    const N0 = 5000
    const N1 = 1000
    for (let i = 0; i < N1; i++) pub.publish(t + '/1', String(i), { qos: 1 })
    // QoS 0 in chunks so the broker's outgoing buffer for the subscriber never overflows
    for (let i = 0; i < N0; i += 500) {
      for (let j = i; j < i + 500; j++) pub.publish(t + '/0', String(j))
      await waitUntil(() => got[t + '/0'].length >= i + 500, { label: `QoS 0 message #${i + 500}` })
    }
    await waitUntil(() => got[t + '/1'].length === N1, { label: `${N1} QoS 1 messages` })
    expect(got[t + '/0']).toEqual([...Array(N0).keys()])
    expect(got[t + '/1']).toEqual([...Array(N1).keys()])
  })

  test('re-entrancy: publish, subscribe and end from inside event handlers', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    const seen = []
    const done = new Promise((resolve) => {
      c.on('message', (topic, payload) => {
        seen.push(topic)
        if (topic === t + '/ping') {
          // subscribe + publish from inside a 'message' listener
          c.subscribe(t + '/pong', { qos: 1 }, () => c.publish(t + '/pong', 'pong', { qos: 1 }))
        } else if (topic === t + '/pong') {
          c.end(() => resolve())
        }
      })
    })
    await h.subscribe(c, t + '/ping', { qos: 1 })
    c.publish(t + '/ping', 'ping', { qos: 1 })
    await h.call((cb) => done.then(cb))
    expect(seen).toEqual([t + '/ping', t + '/pong'])
  })

  test('many clients at once: 30 connect, exchange a message each, and end', async () => {
    const t = h.topic()
    const clients = await Promise.all([...Array(30).keys()].map(async () => (await h.connected(broker.url))[0]))
    await Promise.all(clients.map((c, i) => h.subscribe(c, `${t}/${i}`, { qos: 1 })))
    const got = await Promise.all(clients.map((c, i) => {
      const p = once(c, 'message')
      clients[(i + 1) % clients.length].publish(`${t}/${i}`, `to ${i}`, { qos: 1 })
      return p
    }))
    got.forEach(([topic, payload], i) => {
      expect(topic).toBe(`${t}/${i}`)
      expect(payload.toString()).toBe(`to ${i}`)
    })
    await Promise.all(clients.map((c) => h.end(c)))
    expect(clients.every((c) => !c.connected)).toBe(true)
  })

  test('unicode topic names', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic() + '/žluťoučký/🐴'
    await h.subscribe(c, t, { qos: 1 })
    const msg = once(c, 'message')
    c.publish(t, 'ü', { qos: 1 })
    const [topic, payload, packet] = await msg
    expect(topic).toBe(t)
    expect(packet.topic).toBe(t)
    expect(payload.toString()).toBe('ü')
  })

  test('methods return the client (chainable)', async () => {
    const [c] = await h.connected(broker.url)
    const t = h.topic()
    expect(c.subscribe(t)).toBe(c)
    expect(c.publish(t, 'x')).toBe(c)
    expect(c.unsubscribe(t)).toBe(c)
    expect(c.on('message', () => {})).toBe(c)
    const ended = once(c, 'end')
    expect(c.end()).toBe(c)
    await ended
  })
})
