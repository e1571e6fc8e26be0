'use strict'
// Reconnection: event order, timing, resubscribe, reconnectPeriod 0, end() while reconnecting.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { startAedes, describeEachBroker, getFreePort } = require('./helpers/brokers')
const { startProxy } = require('./helpers/proxy')
const { once, record, delay, waitUntil } = require('./helpers/events')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const EVENTS = ['connect', 'reconnect', 'close', 'offline', 'error', 'end']

describeEachBroker('reconnect', (brokerName, startBroker) => {
  let broker
  beforeAll(async () => { broker = await startBroker() })
  afterAll(async () => { if (broker) await broker.close() })

  test('broker-side drop: offline, close, then reconnect after reconnectPeriod, then connect', async () => {
    const proxy = track(await startProxy(broker.port))
    const [c] = await h.connected(proxy.url, { reconnectPeriod: 500 })
    const rec = record(c, EVENTS)
    proxy.drop()
    const connect = await rec.waitFor('connect')
    expect(rec.names()).toEqual(['offline', 'close', 'reconnect', 'connect'])
    const close = rec.of('close')[0]
    const reconnect = rec.of('reconnect')[0]
    // 'reconnect' comes one reconnectPeriod after the drop (generous upper bound)
    expect(reconnect.t - close.t).toBeGreaterThanOrEqual(400)
    expect(reconnect.t - close.t).toBeLessThan(5000)
    expect(connect.args[0]).toMatchObject({ cmd: 'connack', returnCode: 0 })
    expect(c.connected).toBe(true)
    expect(proxy.connections).toBe(2)
  })

  test('subscriptions are re-sent after reconnect when the broker has no session (clean: true)', async () => {
    const proxy = track(await startProxy(broker.port))
    const [c] = await h.connected(proxy.url, { reconnectPeriod: 100 })
    const t = h.topic()
    await h.subscribe(c, { [t + '/a']: { qos: 1 }, [t + '/b']: { qos: 0 } })
    proxy.drop()
    await once(c, 'connect')
    const [pub] = await h.connected(broker.url)
    const rec = record(c, ['message'])
    // retry until the resubscription has reached the broker
    await waitUntil(async () => {
      await h.publish(pub, t + '/a', 'back', { qos: 1 })
      return rec.count('message') > 0
    }, { label: 'message after resubscribe', interval: 100 })
    expect(rec.of('message')[0].args[0]).toBe(t + '/a')
    expect(rec.of('message')[0].args[1].toString()).toBe('back')
  })

  test('reconnects repeatedly: three drops, three reconnects', async () => {
    const proxy = track(await startProxy(broker.port))
    const [c] = await h.connected(proxy.url, { reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    for (let i = 1; i <= 3; i++) {
      proxy.drop()
      await rec.waitFor('connect', i)
    }
    expect(rec.count('reconnect')).toBe(3)
    expect(rec.count('offline')).toBe(3)
    expect(rec.count('close')).toBe(3)
    expect(rec.count('error')).toBe(0)
  })

  test('reconnectPeriod 0: no reconnect after a drop', async () => {
    const proxy = track(await startProxy(broker.port))
    const [c] = await h.connected(proxy.url, { reconnectPeriod: 0 })
    const rec = record(c, EVENTS)
    proxy.drop()
    await rec.waitFor('close')
    await delay(1000)
    expect(rec.names()).toEqual(['close'])
    expect(proxy.connections).toBe(1)
    expect(c.connected).toBe(false)
  })

  test('end() while reconnecting stops the reconnect loop; end fires before the callback', async () => {
    const proxy = track(await startProxy(broker.port))
    const [c] = await h.connected(proxy.url, { reconnectPeriod: 200 })
    const rec = record(c, EVENTS)
    proxy.state.refuse = true
    proxy.drop()
    await rec.waitFor('reconnect', 1)
    await rec.waitFor('close', 2) // the refused attempt has ended
    const order = []
    c.on('end', () => order.push('end'))
    await h.call((cb) => c.end(() => { order.push('callback'); cb() }))
    expect(order).toEqual(['end', 'callback'])
    const connections = proxy.connections
    await delay(800)
    expect(proxy.connections).toBe(connections)
    expect(rec.count('reconnect')).toBeLessThanOrEqual(2)
  })
})

describe('reconnect (aedes-specific)', () => {
  test('broker closes the connection (aedes destroys it): reconnects', async () => {
    const broker = track(await startAedes())
    const id = h.clientId()
    const [c] = await h.connected(broker.url, { clientId: id, reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    expect(await broker.disconnectClient(id)).toBe(true)
    await rec.waitFor('connect')
    expect(rec.names()).toEqual(['offline', 'close', 'reconnect', 'connect'])
  })
})

describe('reconnect: the reconnect listener runs before the next CONNECT', () => {
  test('a password refreshed in the reconnect listener is the one the next CONNECT carries (aedes authenticate)', async () => {
    // A token that has expired is refused; the app refreshes it when the client reconnects.
    const broker = track(await startAedes({ auth: { username: 'app', password: 'fresh-token' } }))
    const c = h.connect(broker.url, {
      clientId: h.clientId(), username: 'app', password: 'expired-token', reconnectPeriod: 100, reconnectOnConnackError: true
    })
    const rec = record(c, EVENTS)
    c.once('reconnect', () => { c.options.password = 'fresh-token' })
    await rec.waitFor('connect')
    expect(rec.names()).toEqual(['error', 'offline', 'close', 'reconnect', 'connect'])
    expect(rec.of('error')[0].args[0].code).toBe(4)
    const attempts = broker.events.filter((e) => e.event === 'auth').map((e) => Buffer.from(e.password, 'base64').toString())
    expect(attempts).toEqual(['expired-token', 'fresh-token'])
  })

  test('a handleMessage that has not called back does not stop reconnect() from connecting again', async () => {
    // Later events (its `reconnect` record too) wait for the callback; MQTT.js reconnects meanwhile.
    const rb = track(await startRawBroker())
    const [c] = await h.connected(rb.url, { reconnectPeriod: 50 })
    let handed = null
    c.handleMessage = (packet, callback) => { handed = callback }
    rb.connections[0].send({ cmd: 'publish', topic: 'held', payload: Buffer.from('x'), qos: 0, retain: false, dup: false })
    await waitUntil(() => handed !== null, { label: 'handleMessage called' })
    const rec = record(c, ['connect'])
    c.reconnect()
    await rb.waitForPacket((p) => p.cmd === 'connect' && p.conn === 1)
    handed()
    await rec.waitFor('connect')
  })
})

describe('reconnect (raw broker)', () => {
  test('broker not up yet: ECONNREFUSED error, retries, connects once it is up', async () => {
    const port = await getFreePort()
    const c = h.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    const [err] = await once(c, 'error')
    expect(err.code).toBe('ECONNREFUSED')
    expect(err.message).toMatch(/ECONNREFUSED/)
    await rec.waitFor('reconnect', 2)
    const rb = track(await startRawBroker({ port }))
    await rec.waitFor('connect')
    expect(rb.received('connect')).toHaveLength(1)
    // ECONNREFUSED: error first, then offline (once), then close; every retry: reconnect, error, close
    const names = rec.names()
    expect(names.slice(0, 3)).toEqual(['error', 'offline', 'close'])
    expect(names.filter((n) => n === 'offline')).toHaveLength(1)
    expect(names[names.length - 1]).toBe('connect')
    expect(names[names.length - 2]).toBe('reconnect')
  })

  test('default reconnectPeriod is 1000 ms', async () => {
    const rb = track(await startRawBroker())
    const [c] = await h.connected(rb.url)
    const rec = record(c, EVENTS)
    rb.connections[0].destroy()
    await rec.waitFor('connect')
    const dt = rec.of('reconnect')[0].t - rec.of('close')[0].t
    expect(dt).toBeGreaterThanOrEqual(900)
    expect(dt).toBeLessThan(5000)
  })

  test('resubscribe: the raw broker sees the same SUBSCRIBE topics on the new connection', async () => {
    const rb = track(await startRawBroker())
    const [c] = await h.connected(rb.url, { reconnectPeriod: 100 })
    await h.subscribe(c, { 'rs/a': { qos: 1 }, 'rs/b': { qos: 2 } })
    await h.subscribe(c, 'rs/c')
    await h.unsubscribe(c, 'rs/c')
    rb.connections[0].destroy()
    const sub = await rb.waitForPacket((p) => p.cmd === 'subscribe' && p.conn === 1)
    expect(sub.subscriptions).toEqual([{ topic: 'rs/a', qos: 1 }, { topic: 'rs/b', qos: 2 }])
  })

  test('no resubscribe when the broker resumed the session (clean: false, sessionPresent)', async () => {
    const rb = track(await startRawBroker({ connack: (p, conn) => ({ sessionPresent: conn.index > 0 }) }))
    const [c] = await h.connected(rb.url, { clientId: h.clientId(), clean: false, reconnectPeriod: 100 })
    await h.subscribe(c, 'ns/a', { qos: 1 })
    rb.connections[0].destroy()
    const [connack] = await once(c, 'connect')
    expect(connack.sessionPresent).toBe(true)
    await delay(300)
    expect(rb.received('subscribe', 1)).toEqual([])
  })

  test('socket closed before CONNACK: reconnects', async () => {
    const rb = track(await startRawBroker({ connack: (p, conn) => (conn.index === 0 ? null : {}) }))
    rb.emitter.on('packet', (p, conn) => { if (p.cmd === 'connect' && conn.index === 0) conn.destroy() })
    const c = h.connect(rb.url, { reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    await rec.waitFor('connect')
    expect(rb.connections.length).toBe(2)
    expect(rec.names()).toEqual(['offline', 'close', 'reconnect', 'connect'])
  })
})
