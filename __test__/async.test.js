'use strict'
// Promise API (MQTT.js 5): connectAsync, subscribeAsync, publishAsync, unsubscribeAsync, endAsync.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { mqtt } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

test('connectAsync resolves with a connected client', async () => {
  const rb = track(await startRawBroker())
  const c = track(await mqtt.connectAsync(rb.url, { clientId: 'async1' }))
  expect(c.connected).toBe(true)
  expect((await rb.waitForPacket('connect')).clientId).toBe('async1')
})

test('connectAsync rejects on a refused CONNACK with the connack error', async () => {
  const rb = track(await startRawBroker({ connack: { returnCode: 5 } }))
  let err = null
  try {
    track(await mqtt.connectAsync(rb.url, { reconnectPeriod: 0 }))
  } catch (e) {
    err = e
  }
  expect(h.isError(err)).toBe(true)
  expect(err.message).toBe('Connection refused: Not authorized')
  expect(err.code).toBe(5)
})

test('subscribeAsync / publishAsync / unsubscribeAsync / endAsync', async () => {
  const rb = track(await startRawBroker())
  const c = track(await mqtt.connectAsync(rb.url))
  expect(await c.subscribeAsync('as/a', { qos: 1 })).toEqual([{ topic: 'as/a', qos: 1 }])
  expect(await c.publishAsync('as/a', 'zero')).toBeUndefined()
  const pkt = await c.publishAsync('as/a', 'one', { qos: 1 })
  expect(pkt).toMatchObject({ cmd: 'publish', topic: 'as/a', qos: 1 })
  await c.unsubscribeAsync('as/a')
  await c.endAsync()
  expect(c.connected).toBe(false)
  await rb.waitForPacket('disconnect')
  expect(rb.received('unsubscribe')[0].unsubscriptions).toEqual(['as/a'])
})

test('publishAsync rejects after end()', async () => {
  const rb = track(await startRawBroker())
  const c = track(await mqtt.connectAsync(rb.url))
  await c.endAsync()
  await expect(c.publishAsync('as/x', 'x')).rejects.toThrow('client disconnecting')
})
