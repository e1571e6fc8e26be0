'use strict'
// Keepalive: PINGREQ timing, PINGRESP timeout, keepalive 0.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { startAedes } = require('./helpers/brokers')
const { startProxy } = require('./helpers/proxy')
const { record, delay } = require('./helpers/events')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const EVENTS = ['connect', 'reconnect', 'close', 'offline', 'error', 'end']

test('keepalive 1: the broker sees PINGREQ within ~1.5 s of an idle connection, and again after PINGRESP', async () => {
  const rb = track(await startRawBroker())
  const [c] = await h.connected(rb.url, { keepalive: 1 })
  const connect = await rb.waitForPacket('connect')
  const ping1 = await rb.waitForPacket('pingreq', { timeout: 5000 })
  expect(ping1.at - connect.at).toBeLessThan(2500)
  expect(ping1.at - connect.at).toBeGreaterThanOrEqual(400)
  const ping2 = await rb.waitForPacket((p) => p.cmd === 'pingreq' && p !== ping1, { timeout: 5000 })
  expect(ping2.at - ping1.at).toBeLessThan(3000)
  expect(c.connected).toBe(true)
})

test('no PINGRESP: error "Keepalive timeout", then the client reconnects', async () => {
  const rb = track(await startRawBroker({ pingresp: false }))
  const [c] = await h.connected(rb.url, { keepalive: 1, reconnectPeriod: 100 })
  const rec = record(c, EVENTS)
  const t0 = Date.now()
  const err = (await rec.waitFor('error')).args[0]
  expect(err.message).toBe('Keepalive timeout')
  // ping after ~1 s, give up ~0.5 s later (MQTT.js: 1.5 x keepalive); generous bound
  expect(Date.now() - t0).toBeLessThan(5000)
  expect(rb.received('pingreq', 0).length).toBeGreaterThanOrEqual(1)
  await rec.waitFor('connect')
  expect(rec.names()).toEqual(['offline', 'error', 'close', 'reconnect', 'connect'])
  expect(rb.connections.length).toBe(2)
  expect(rb.connections[0].isClosed).toBe(true)
})

test('keepalive 0: no PINGREQ at all', async () => {
  const rb = track(await startRawBroker())
  const [c] = await h.connected(rb.url, { keepalive: 0 })
  await delay(2500)
  expect(rb.received('pingreq')).toEqual([])
  expect(c.connected).toBe(true)
})

test('PINGRESP lost on the way (real broker, proxy drops broker->client bytes): Keepalive timeout, reconnect', async () => {
  const broker = track(await startAedes())
  const proxy = track(await startProxy(broker.port))
  const [c] = await h.connected(proxy.url, { keepalive: 1, reconnectPeriod: 100 })
  const rec = record(c, EVENTS)
  proxy.blackhole('down')
  const err = (await rec.waitFor('error')).args[0]
  expect(err.message).toBe('Keepalive timeout')
  proxy.blackhole(false)
  await rec.waitFor('connect')
  expect(c.connected).toBe(true)
})
