'use strict'
// A publish whose packet would exceed MQTT's maximum (a remaining length of
// 268,435,455 bytes) fails at once with a clear error, is neither queued nor
// sent, and leaves the connection up. MQTT.js hands it to the socket: the
// broker drops the connection, the QoS 0 callback never runs, and a QoS 1
// message is resent (and the connection dropped) on every reconnect.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startAedes } = require('./helpers/brokers')
const { record, delay } = require('./helpers/events')
const { testNapi } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const MAX_REMAINING_LENGTH = 268435455
// With any topic, past the maximum: the payload alone fills the remaining length.
const oversized = Buffer.alloc(MAX_REMAINING_LENGTH)

function expectTooLarge (err) {
  expect(h.isError(err)).toBe(true)
  expect(err.code).toBe('ERR_MQTT_PACKET_TOO_LARGE')
  expect(err.message).toMatch(/^Publish too large: its packet would be \d+ bytes/)
  expect(err.message).toContain(String(MAX_REMAINING_LENGTH))
}

/** A connected client subscribed to `ok/#`, its events recorded. */
async function subscribedClient (broker, opts = {}) {
  const [c] = await h.connected(broker.url, { clientId: h.clientId('big'), ...opts })
  const [err] = await h.subscribe(c, 'ok/#', { qos: 1 })
  expect(err).toBeNull()
  return [c, record(c, ['close', 'offline', 'error', 'message', 'reconnect'])]
}

/** The client still works: a small publish goes through the broker and comes back. */
async function expectStillWorking (c, rec) {
  const [err] = await h.publish(c, 'ok/after', 'small', { qos: 1 })
  expect(err).toBeFalsy()
  const message = await rec.waitFor('message')
  expect(message.args[0]).toBe('ok/after')
}

for (const qos of [0, 1, 2]) {
  testNapi(`QoS ${qos}: the callback gets the error, nothing is sent, the connection stays up`, async () => {
    const broker = track(await startAedes())
    const [c, rec] = await subscribedClient(broker)
    const [err] = await h.publish(c, 'big/one', oversized, { qos })
    expectTooLarge(err)
    await expectStillWorking(c, rec)
    await delay(100)
    expect(rec.names().filter((name) => name !== 'message')).toEqual([])
    expect(broker.events.filter((e) => e.event === 'publish' && e.topic.startsWith('big/'))).toEqual([])
    expect(c.connected).toBe(true)
  }, 30000)
}

testNapi('publishAsync rejects; without a callback it is an `error` event', async () => {
  const broker = track(await startAedes())
  const [c, rec] = await subscribedClient(broker)
  const rejected = await c.publishAsync('big/async', oversized, { qos: 1 }).then(() => null, (err) => err)
  expectTooLarge(rejected)
  c.publish('big/nocallback', oversized)
  const [emitted] = (await rec.waitFor('error')).args
  expectTooLarge(emitted)
  await expectStillWorking(c, rec)
  expect(rec.count('close')).toBe(0)
  expect(rec.count('offline')).toBe(0)
}, 30000)

testNapi('made before the connection is up: refused at once, not queued, later publishes flow', async () => {
  const broker = track(await startAedes())
  const c = h.connect(broker.url, { clientId: h.clientId('bigoff') })
  const rec = record(c, ['connect', 'close', 'offline', 'error', 'message'])
  const results = []
  c.publish('big/offline0', oversized, { qos: 0 }, (err) => results.push(err))
  c.publish('big/offline1', oversized, { qos: 1 }, (err) => results.push(err))
  expect(c.connected).toBe(false)
  await rec.waitFor('connect')
  await h.subscribe(c, 'ok/#', { qos: 1 })
  await expectStillWorking(c, rec)
  expect(results).toHaveLength(2)
  results.forEach(expectTooLarge)
  expect(broker.events.filter((e) => e.event === 'publish' && e.topic.startsWith('big/'))).toEqual([])
  expect(rec.names().filter((name) => name !== 'message')).toEqual(['connect'])
}, 30000)
