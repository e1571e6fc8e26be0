'use strict'
// Persistent sessions (clean: false) against real brokers.
const { cleanupAll, track } = require('./helpers/cleanup')
const { describeEachBroker } = require('./helpers/brokers')
const { startProxy } = require('./helpers/proxy')
const { record, delay } = require('./helpers/events')
const h = require('./helpers/harness')

afterEach(cleanupAll)

describeEachBroker('session', (brokerName, startBroker) => {
  let broker
  beforeAll(async () => { broker = await startBroker() })
  afterAll(async () => { if (broker) await broker.close() })

  test('first clean:false connect has sessionPresent false; the next one true', async () => {
    const id = h.clientId('s')
    const [a, connack1] = await h.connected(broker.url, { clientId: id, clean: false })
    expect(connack1.sessionPresent).toBe(false)
    await h.subscribe(a, h.topic(), { qos: 1 })
    await h.end(a)
    const [b, connack2] = await h.connected(broker.url, { clientId: id, clean: false })
    expect(connack2.sessionPresent).toBe(true)
    // leave no session behind: a clean connect discards it
    await h.end(b)
    const [, connack3] = await h.connected(broker.url, { clientId: id, clean: true })
    expect(connack3.sessionPresent).toBe(false)
  })

  test('clean:false resume: subscriptions kept, QoS 1 messages published while offline arrive', async () => {
    const id = h.clientId('s')
    const t = h.topic()
    const [a] = await h.connected(broker.url, { clientId: id, clean: false })
    await h.subscribe(a, t, { qos: 1 })
    await h.end(a)

    const [pub] = await h.connected(broker.url)
    for (const body of ['m1', 'm2', 'm3']) {
      const [err] = await h.publish(pub, t, body, { qos: 1 })
      expect(err).toBeFalsy()
    }

    const b = h.connect(broker.url, { clientId: id, clean: false })
    const rec = record(b, ['connect', 'message'])
    const connect = await rec.waitFor('connect')
    expect(connect.args[0].sessionPresent).toBe(true)
    await rec.waitFor('message', 3)
    const msgs = rec.of('message').map((e) => e.args)
    expect(msgs.map(([topic]) => topic)).toEqual([t, t, t])
    expect(msgs.map(([, payload]) => payload.toString())).toEqual(['m1', 'm2', 'm3'])
    expect(msgs.every(([, , packet]) => packet.qos === 1)).toBe(true)
    await h.end(b)
    await h.connected(broker.url, { clientId: id, clean: true }) // discard the session
  })

  test('clean:true: no session, no messages from while offline', async () => {
    const id = h.clientId('s')
    const t = h.topic()
    const [a] = await h.connected(broker.url, { clientId: id, clean: true })
    await h.subscribe(a, t, { qos: 1 })
    await h.end(a)
    const [pub] = await h.connected(broker.url)
    await h.publish(pub, t, 'lost', { qos: 1 })
    const b = h.connect(broker.url, { clientId: id, clean: true })
    const rec = record(b, ['connect', 'message'])
    const connect = await rec.waitFor('connect')
    expect(connect.args[0].sessionPresent).toBe(false)
    await delay(500)
    expect(rec.count('message')).toBe(0)
  })

  test('clean:false with automatic reconnect: messages published during the outage arrive', async () => {
    const id = h.clientId('s')
    const t = h.topic()
    const proxy = track(await startProxy(broker.port))
    const [a] = await h.connected(proxy.url, { clientId: id, clean: false, reconnectPeriod: 300 })
    await h.subscribe(a, t, { qos: 1 })
    const rec = record(a, ['connect', 'message', 'offline'])
    proxy.state.refuse = true
    proxy.drop()
    await rec.waitFor('offline')
    const [pub] = await h.connected(broker.url)
    await h.publish(pub, t, 'during outage', { qos: 1 })
    proxy.state.refuse = false
    const connect = await rec.waitFor('connect')
    expect(connect.args[0].sessionPresent).toBe(true)
    const msg = await rec.waitFor('message')
    expect(msg.args[0]).toBe(t)
    expect(msg.args[1].toString()).toBe('during outage')
    await h.end(a)
    await h.connected(broker.url, { clientId: id, clean: true }) // discard the session
  })
})
