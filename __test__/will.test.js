'use strict'
// Last will: published by the broker when the client vanishes without DISCONNECT.
const { cleanupAll, track } = require('./helpers/cleanup')
const { describeEachBroker, startAedes } = require('./helpers/brokers')
const { startProxy } = require('./helpers/proxy')
const { once, record, delay } = require('./helpers/events')
const h = require('./helpers/harness')

afterEach(cleanupAll)

describeEachBroker('will', (brokerName, startBroker) => {
  let broker
  beforeAll(async () => { broker = await startBroker() })
  afterAll(async () => { if (broker) await broker.close() })

  // The proxy cuts the TCP connection in the middle: the broker sees the client
  // disappear without DISCONNECT, which is what triggers a will.
  test('will is published when the connection is lost', async () => {
    const t = h.topic('will')
    const [watcher] = await h.connected(broker.url)
    await h.subscribe(watcher, t, { qos: 1 })
    const proxy = track(await startProxy(broker.port))
    await h.connected(proxy.url, {
      reconnectPeriod: 0,
      will: { topic: t, payload: Buffer.from('dev gone'), qos: 1, retain: false }
    })
    const msg = once(watcher, 'message')
    proxy.drop()
    const [topic, payload, packet] = await msg
    expect(topic).toBe(t)
    expect(payload.toString()).toBe('dev gone')
    expect(packet.qos).toBe(1)
  })

  test('will is NOT published on a graceful end()', async () => {
    const t = h.topic('will')
    const [watcher] = await h.connected(broker.url)
    await h.subscribe(watcher, [t, t + '/marker'], { qos: 1 })
    const [c] = await h.connected(broker.url, { will: { topic: t, payload: 'should not', qos: 1, retain: false } })
    const rec = record(watcher, ['message'])
    await h.end(c)
    // a later marker message proves the broker had time to act on the disconnect
    await delay(200)
    await h.publish(watcher, t + '/marker', 'm', { qos: 1 })
    await rec.waitFor('message', 1)
    await delay(100)
    expect(rec.of('message').map((e) => e.args[0])).toEqual([t + '/marker'])
  })

  test('retained will (string payload) is delivered to a later subscriber', async () => {
    const t = h.topic('will')
    const proxy = track(await startProxy(broker.port))
    await h.connected(proxy.url, { reconnectPeriod: 0, will: { topic: t, payload: 'offline', qos: 0, retain: true } })
    proxy.drop()
    const [late] = await h.connected(broker.url)
    const rec = record(late, ['message'])
    // poll: the will is published asynchronously after the broker notices the drop
    for (let i = 0; i < 50 && rec.count('message') === 0; i++) {
      await h.subscribe(late, t)
      await delay(100)
      if (rec.count('message') === 0) await h.unsubscribe(late, t)
    }
    const [topic, payload, packet] = (await rec.waitFor('message')).args
    expect(topic).toBe(t)
    expect(payload.toString()).toBe('offline')
    expect(packet.retain).toBe(true)
    // clean up the retained will
    const [w] = await h.connected(broker.url)
    await h.publish(w, t, '', { retain: true, qos: 1 })
  })
})

describe('will (aedes-specific)', () => {
  test('will is published when the broker destroys the connection', async () => {
    const broker = track(await startAedes())
    const t = h.topic('will')
    const id = h.clientId()
    const [watcher] = await h.connected(broker.url)
    await h.subscribe(watcher, t)
    await h.connected(broker.url, { clientId: id, reconnectPeriod: 0, will: { topic: t, payload: 'kicked', qos: 0, retain: false } })
    const msg = once(watcher, 'message')
    await broker.disconnectClient(id)
    const [topic, payload] = await msg
    expect(topic).toBe(t)
    expect(payload.toString()).toBe('kicked')
  })
})
