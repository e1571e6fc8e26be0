'use strict'
// QoS flows verified on the wire with the scripted raw broker.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { once, record, waitUntil, delay } = require('./helpers/events')
const { isNapi } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

async function rawBroker (behavior) {
  return track(await startRawBroker(behavior))
}

describe('outgoing QoS', () => {
  test('QoS 0: PUBLISH without messageId; callback after it is written, no ack', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err] = await h.publish(c, 'q/0', 'zero', { qos: 0 })
    expect(err).toBeFalsy()
    const p = await rb.waitForPacket('publish')
    expect(p).toMatchObject({ cmd: 'publish', topic: 'q/0', qos: 0, retain: false, dup: false })
    expect(p.payload.toString()).toBe('zero')
    // messageId is absent for QoS 0 on the wire
    expect(p.messageId).toBeUndefined()
  })

  test('QoS 1: PUBLISH with a messageId; callback only after PUBACK', async () => {
    const rb = await rawBroker({ puback: false })
    const [c] = await h.connected(rb.url)
    let done = null
    c.publish('q/1', 'one', { qos: 1 }, (...args) => { done = args })
    const p = await rb.waitForPacket('publish')
    expect(p).toMatchObject({ topic: 'q/1', qos: 1, dup: false, retain: false })
    expect(p.messageId).toBeGreaterThan(0)
    // no PUBACK yet: the callback must wait
    await delay(300)
    expect(done).toBeNull()
    rb.connections[0].send({ cmd: 'puback', messageId: p.messageId })
    await waitUntil(() => done, { label: 'publish callback' })
    expect(done[0]).toBeFalsy()
  })

  test('QoS 2: PUBLISH -> PUBREC -> PUBREL -> PUBCOMP, callback after PUBCOMP', async () => {
    const rb = await rawBroker({ pubrec: false, pubcomp: false })
    const [c] = await h.connected(rb.url)
    let done = null
    c.publish('q/2', 'two', { qos: 2 }, (...args) => { done = args })
    const p = await rb.waitForPacket('publish')
    expect(p).toMatchObject({ topic: 'q/2', qos: 2, dup: false })
    const id = p.messageId
    expect(id).toBeGreaterThan(0)
    rb.connections[0].send({ cmd: 'pubrec', messageId: id })
    const rel = await rb.waitForPacket('pubrel')
    expect(rel.messageId).toBe(id)
    await delay(200)
    expect(done).toBeNull()
    rb.connections[0].send({ cmd: 'pubcomp', messageId: id })
    await waitUntil(() => done, { label: 'publish callback' })
    expect(done[0]).toBeFalsy()
    // nothing but PUBLISH and PUBREL went out for this message
    expect(rb.packets.filter((x) => x.messageId === id).map((x) => x.cmd)).toEqual(['publish', 'pubrel'])
  })

  test('concurrent in-flight publishes use distinct non-zero message ids', async () => {
    const rb = await rawBroker({ puback: false, pubrec: false })
    const [c] = await h.connected(rb.url)
    for (let i = 0; i < 20; i++) c.publish('q/many', String(i), { qos: 1 + (i % 2) })
    await waitUntil(() => rb.received('publish').length === 20, { label: '20 publishes' })
    const ids = rb.received('publish').map((p) => p.messageId)
    expect(new Set(ids).size).toBe(20)
    for (const id of ids) {
      expect(id).toBeGreaterThan(0)
      expect(id).toBeLessThanOrEqual(65535)
    }
  })

  test.each([
    [0, 3000],
    [1, 3000],
    [2, 1000]
  ])('burst: every one of many back-to-back QoS %i publishes reaches the wire once, every callback fires', async (qos, N) => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    let callbacks = 0
    let errors = 0
    for (let i = 0; i < N; i++) c.publish('burst/' + qos, String(i), { qos }, (err) => { callbacks++; if (err) errors++ })
    await waitUntil(() => callbacks === N && rb.received('publish').length >= N, {
      label: `${N} publishes on the wire and ${N} callbacks`
    }).catch((e) => {
      const got = new Set(rb.received('publish').map((p) => Number(p.payload.toString())))
      const missing = [...Array(N).keys()].filter((i) => !got.has(i))
      throw new Error(`${e.message}; wire: ${got.size}, callbacks: ${callbacks}, missing payloads: ${missing.slice(0, 10).join(',')}`)
    })
    expect(errors).toBe(0)
    expect(rb.received('publish').map((p) => Number(p.payload.toString()))).toEqual([...Array(N).keys()])
    expect(rb.parseErrors).toEqual([])
  })

  test('retain and qos flags on the wire', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    await h.publish(c, 'q/r', 'r', { qos: 1, retain: true })
    const p = await rb.waitForPacket('publish')
    expect(p).toMatchObject({ topic: 'q/r', qos: 1, retain: true, dup: false })
  })

  test('SUBSCRIBE and UNSUBSCRIBE packets on the wire', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const [err, granted] = await h.subscribe(c, { 'w/a': { qos: 0 }, 'w/b/#': { qos: 2 } })
    expect(err).toBeFalsy()
    expect(granted).toEqual([{ topic: 'w/a', qos: 0 }, { topic: 'w/b/#', qos: 2 }])
    const sub = await rb.waitForPacket('subscribe')
    expect(sub.messageId).toBeGreaterThan(0)
    expect(sub.subscriptions).toEqual([{ topic: 'w/a', qos: 0 }, { topic: 'w/b/#', qos: 2 }])
    const [uerr] = await h.unsubscribe(c, ['w/a', 'w/b/#'])
    expect(uerr).toBeFalsy()
    const unsub = await rb.waitForPacket('unsubscribe')
    expect(unsub.messageId).toBeGreaterThan(0)
    expect(unsub.unsubscriptions).toEqual(['w/a', 'w/b/#'])
  })

  test('granted QoS in the callback is what the broker granted in SUBACK', async () => {
    const rb = await rawBroker({ suback: (packet) => packet.subscriptions.map(() => 1) })
    const [c] = await h.connected(rb.url)
    const [err, granted] = await h.subscribe(c, ['g/a', 'g/b'], { qos: 2 })
    expect(err).toBeFalsy()
    expect(granted).toEqual([{ topic: 'g/a', qos: 1 }, { topic: 'g/b', qos: 1 }])
  })
})

describe('incoming QoS', () => {
  test('QoS 0: message emitted, nothing sent back', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const msg = once(c, 'message')
    rb.connections[0].send({ cmd: 'publish', topic: 'in/0', payload: Buffer.from('z'), qos: 0, retain: false, dup: false })
    const [topic, payload, packet] = await msg
    expect(topic).toBe('in/0')
    expect(payload.toString()).toBe('z')
    expect(packet).toMatchObject({ cmd: 'publish', topic: 'in/0', qos: 0, retain: false, dup: false })
    await delay(200)
    expect(rb.packets.map((p) => p.cmd)).toEqual(['connect'])
  })

  test('QoS 1: message emitted and PUBACK with the same id', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const msg = once(c, 'message')
    rb.connections[0].send({ cmd: 'publish', topic: 'in/1', payload: Buffer.from('one'), qos: 1, messageId: 4242, retain: false, dup: false })
    const [topic, payload, packet] = await msg
    expect(topic).toBe('in/1')
    expect(payload.toString()).toBe('one')
    expect(packet).toMatchObject({ cmd: 'publish', qos: 1, messageId: 4242 })
    const ack = await rb.waitForPacket('puback')
    expect(ack.messageId).toBe(4242)
  })

  test('retain flag of an incoming PUBLISH is exposed on packet.retain', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const msg = once(c, 'message')
    rb.connections[0].send({ cmd: 'publish', topic: 'in/r', payload: Buffer.from('r'), qos: 0, retain: true, dup: false })
    const [, , packet] = await msg
    expect(packet.retain).toBe(true)
  })

  test('QoS 2: PUBREC, PUBCOMP after PUBREL, message emitted exactly once despite a DUP resend', async () => {
    const rb = await rawBroker({ pubrel: false })
    const [c] = await h.connected(rb.url)
    const rec = record(c, ['message'])
    const conn = rb.connections[0]
    const publish = { cmd: 'publish', topic: 'in/2', payload: Buffer.from('two'), qos: 2, messageId: 77, retain: false, dup: false }
    conn.send(publish)
    const pubrec1 = await rb.waitForPacket('pubrec')
    expect(pubrec1.messageId).toBe(77)
    // the broker did not see the PUBREC (say) and resends with DUP before PUBREL
    conn.send({ ...publish, dup: true })
    await waitUntil(() => rb.received('pubrec').length === 2, { label: 'second PUBREC' })
    expect(rb.received('pubrec')[1].messageId).toBe(77)
    conn.send({ cmd: 'pubrel', messageId: 77 })
    const comp = await rb.waitForPacket('pubcomp')
    expect(comp.messageId).toBe(77)
    await rec.waitFor('message', 1)
    await delay(300)
    expect(rec.count('message')).toBe(1)
    const [topic, payload, packet] = rec.of('message')[0].args
    expect(topic).toBe('in/2')
    expect(payload.toString()).toBe('two')
    expect(packet.qos).toBe(2)
    expect(packet.messageId).toBe(77)
  })

  test('QoS 2: after PUBCOMP the same id is a new message', async () => {
    const rb = await rawBroker({ pubrel: false })
    const [c] = await h.connected(rb.url)
    const rec = record(c, ['message'])
    const conn = rb.connections[0]
    for (const body of ['first', 'second']) {
      const before = rb.received('pubcomp').length
      conn.send({ cmd: 'publish', topic: 'in/2b', payload: Buffer.from(body), qos: 2, messageId: 9, retain: false, dup: false })
      await waitUntil(() => rb.received('pubrec').length > before, { label: 'PUBREC' })
      conn.send({ cmd: 'pubrel', messageId: 9 })
      await waitUntil(() => rb.received('pubcomp').length > before, { label: 'PUBCOMP' })
    }
    await rec.waitFor('message', 2)
    expect(rec.of('message').map((e) => e.args[1].toString())).toEqual(['first', 'second'])
  })

  test('a PUBLISH split across TCP segments is reassembled', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const { mqttPacket } = require('./helpers/rawBroker')
    const bytes = mqttPacket.generate({ cmd: 'publish', topic: 'in/split', payload: Buffer.from('split payload'), qos: 1, messageId: 5, retain: false, dup: false })
    const msg = once(c, 'message')
    const conn = rb.connections[0]
    for (let i = 0; i < bytes.length; i++) {
      conn.sendRaw(bytes.subarray(i, i + 1))
      if (i % 4 === 0) await delay(5)
    }
    const [topic, payload] = await msg
    expect(topic).toBe('in/split')
    expect(payload.toString()).toBe('split payload')
    expect((await rb.waitForPacket('puback')).messageId).toBe(5)
  })

  test('several packets in one TCP segment are all processed', async () => {
    const rb = await rawBroker()
    const [c] = await h.connected(rb.url)
    const { mqttPacket } = require('./helpers/rawBroker')
    const rec = record(c, ['message'])
    const bytes = Buffer.concat([1, 2, 3].map((i) => mqttPacket.generate({
      cmd: 'publish', topic: 'in/batch', payload: Buffer.from('m' + i), qos: 1, messageId: i, retain: false, dup: false
    })))
    rb.connections[0].sendRaw(bytes)
    await rec.waitFor('message', 3)
    expect(rec.of('message').map((e) => e.args[1].toString())).toEqual(['m1', 'm2', 'm3'])
    await waitUntil(() => rb.received('puback').length === 3, { label: '3 PUBACKs' })
    expect(rb.received('puback').map((p) => p.messageId)).toEqual([1, 2, 3])
  })
})

describe('in-flight messages across a reconnect', () => {
  // A session resume (clean: false, CONNACK sessionPresent: true): unacknowledged
  // QoS 1/2 PUBLISHes are resent with the same id. The spec requires DUP=1 on a
  // resend [MQTT-3.3.1-1]; MQTT.js resends with DUP=0 (our deliberate divergence).
  test('unacknowledged QoS 1 PUBLISH is resent with the same id after reconnect', async () => {
    const rb = await rawBroker({ puback: false, connack: (p, conn) => ({ sessionPresent: conn.index > 0 }) })
    const [c] = await h.connected(rb.url, { clientId: h.clientId(), clean: false, reconnectPeriod: 100 })
    let done = null
    c.publish('re/1', 'again', { qos: 1 }, (...args) => { done = args })
    const first = await rb.waitForPacket('publish')
    expect(first.dup).toBe(false)
    rb.connections[0].destroy()
    const conn1 = await rb.waitForConnection(1)
    const again = await rb.waitForPacket((p) => p.cmd === 'publish' && p.conn === 1)
    expect(again.messageId).toBe(first.messageId)
    expect(again.topic).toBe('re/1')
    expect(again.payload.toString()).toBe('again')
    expect(again.dup).toBe(isNapi) // spec: DUP=1 on resend; MQTT.js: DUP=0
    expect(done).toBeNull()
    conn1.send({ cmd: 'puback', messageId: again.messageId })
    await waitUntil(() => done, { label: 'publish callback' })
    expect(done[0]).toBeFalsy()
  })

  test('QoS 2 after PUBREC: PUBREL (not PUBLISH) is resent after reconnect', async () => {
    const rb = await rawBroker({ pubcomp: false, connack: (p, conn) => ({ sessionPresent: conn.index > 0 }) })
    const [c] = await h.connected(rb.url, { clientId: h.clientId(), clean: false, reconnectPeriod: 100 })
    let done = null
    c.publish('re/2', 'x', { qos: 2 }, (...args) => { done = args })
    const pub = await rb.waitForPacket('publish')
    const rel = await rb.waitForPacket('pubrel')
    expect(rel.messageId).toBe(pub.messageId)
    rb.connections[0].destroy()
    const conn1 = await rb.waitForConnection(1)
    const rel2 = await rb.waitForPacket((p) => p.cmd === 'pubrel' && p.conn === 1)
    expect(rel2.messageId).toBe(pub.messageId)
    expect(rb.packets.filter((p) => p.conn === 1 && p.cmd === 'publish')).toEqual([])
    conn1.send({ cmd: 'pubcomp', messageId: pub.messageId })
    await waitUntil(() => done, { label: 'publish callback' })
    expect(done[0]).toBeFalsy()
  })
})
