'use strict'
// The "done" example, verbatim apart from the URL and the assertions.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startAedes, startMosquitto, brokerAvailable } = require('./helpers/brokers')
const { startRawBroker } = require('./helpers/rawBroker')
const { withTimeout } = require('./helpers/events')
const { mqtt } = require('./helpers/impl')

afterEach(cleanupAll)

// `publishInSubscribeCallback`: aedes registers a subscription asynchronously and
// routes a PUBLISH that arrives right behind the SUBSCRIBE before the subscription
// exists (the example's message is lost with MQTT.js too), so for aedes the publish
// waits for the SUBACK. Everything else is the example as written.
async function runExample (url, { publishInSubscribeCallback = false } = {}) {
  const seen = { subscribe: null, publish: null, message: null, end: false }
  await withTimeout(new Promise((resolve, reject) => {
    const client = track(mqtt.connect(url, {
      clientId: 'dev1',
      keepalive: 60,
      clean: false,
      version: 4,
      reconnectPeriod: 1000,
      connectTimeout: 4000,
      username: 'u',
      password: 'p'
    }))
    client.on('error', reject)
    client.on('connect', function () {
      const publish = () => client.publish('story/dev1/server', JSON.stringify({ hello: 1 }), { qos: 0, retain: false }, function (err) {
        seen.publish = { err }
      })
      client.subscribe('story/dev1/server', JSON.stringify({ qos: 0 }), function (err, granted) {
        seen.subscribe = { err, granted }
        if (publishInSubscribeCallback) publish()
      })
      if (!publishInSubscribeCallback) publish()
    })
    client.on('message', function (topic, payload, packet) {
      seen.message = { topic, payload, packet }
      client.end()
    })
    client.on('end', () => { seen.end = true; resolve() })
  }), 10000, 'the example to finish')
  return seen
}

function check (seen) {
  expect(seen.subscribe.err).toBeNull()
  expect(seen.subscribe.granted).toHaveLength(1)
  expect(seen.subscribe.granted[0]).toEqual({ topic: 'story/dev1/server', qos: 0 })
  expect(seen.publish.err).toBeFalsy()
  expect(seen.message.topic).toBe('story/dev1/server')
  expect(Buffer.isBuffer(seen.message.payload)).toBe(true)
  expect(seen.message.payload.toString()).toBe('{"hello":1}')
  expect(seen.message.packet.qos).toBe(0)
  expect(seen.end).toBe(true)
}

test('the done example against a scripted in-order broker; CONNECT as specified', async () => {
  const broker = track(await startRawBroker({ echo: true }))
  check(await runExample(broker.url))
  const connect = await broker.waitForPacket('connect')
  expect(connect).toMatchObject({ clientId: 'dev1', keepalive: 60, clean: false, protocolId: 'MQTT', protocolVersion: 4, username: 'u' })
  expect(Buffer.from(connect.password).toString()).toBe('p')
  await broker.waitForPacket('disconnect')
  expect(broker.received('subscribe')[0].subscriptions).toEqual([{ topic: 'story/dev1/server', qos: 0 }])
  expect(broker.packets.map((p) => p.cmd)).toEqual(['connect', 'subscribe', 'publish', 'disconnect'])
})

test('the done example against aedes (requiring username u / password p)', async () => {
  const broker = track(await startAedes({ auth: { username: 'u', password: 'p' } }))
  check(await runExample(broker.url, { publishInSubscribeCallback: true }))
  const auth = broker.events.find((e) => e.event === 'auth' && e.clientId === 'dev1')
  expect(auth.username).toBe('u')
  expect(auth.password.toString()).toBe('p')
})

const testMosquitto = brokerAvailable('mosquitto') ? test : test.skip
testMosquitto('the done example against mosquitto', async () => {
  const broker = track(await startMosquitto())
  check(await runExample(broker.url))
})
