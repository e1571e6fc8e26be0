'use strict'
// MQTT 5 interop with a second, independent implementation: Eclipse Paho's Python client
// (helpers/paho.js), through mosquitto 2.0.11 in v5. Properties are checked field by field in
// both directions, so a property we encode or decode wrongly shows up as a mismatch with Paho,
// not only with ourselves.
const { mqtt } = require('./helpers/impl')
const { startMosquitto, describeMosquitto } = require('./helpers/brokers')
const { describePaho, startPahoSubscriber, pahoPublish } = require('./helpers/paho')
const { once, withTimeout } = require('./helpers/events')
const { track, cleanupAll } = require('./helpers/cleanup')

afterEach(cleanupAll)

async function connectV5 (broker, opts = {}) {
  const client = track(mqtt.connect(broker.url, { protocolVersion: 5, reconnectPeriod: 0, ...opts }))
  await withTimeout(once(client, 'connect'), 10000, 'connect')
  return client
}

function subscribe (client, topic, opts) {
  return new Promise((resolve, reject) => client.subscribe(topic, opts, (err, granted) => err ? reject(err) : resolve(granted)))
}

function publish (client, topic, payload, opts) {
  return new Promise((resolve, reject) => client.publish(topic, payload, opts, (err) => err ? reject(err) : resolve()))
}

describeMosquitto('MQTT 5 interop with Paho (Python) through mosquitto', () => {
  describePaho('', () => {
    let broker
    beforeEach(async () => { broker = track(await startMosquitto()) })

    test('properties Paho publishes reach message listeners as MQTT.js shapes them', async () => {
      const client = await connectV5(broker)
      await subscribe(client, 'interop/in', { qos: 1, properties: { subscriptionIdentifier: 7 } })
      const received = new Promise((resolve) => client.on('message', (topic, payload, packet) => resolve({ topic, payload, packet })))
      await pahoPublish({
        port: broker.port,
        topic: 'interop/in',
        messages: [{
          payload: 'hello from paho',
          qos: 1,
          properties: {
            payloadFormatIndicator: true,
            messageExpiryInterval: 3600,
            contentType: 'text/plain',
            responseTopic: 'interop/reply',
            correlationData: 'c0ffee00',
            userProperties: { region: 'eu', tag: ['a', 'b'] }
          }
        }]
      })
      const { topic, payload, packet } = await withTimeout(received, 10000, 'message from Paho')
      expect(topic).toBe('interop/in')
      expect(payload.toString()).toBe('hello from paho')
      expect(packet.qos).toBe(1)
      const { messageExpiryInterval, ...rest } = packet.properties
      // The broker forwards the time left, which is at most what was sent.
      expect(messageExpiryInterval).toBeGreaterThan(3590)
      expect(messageExpiryInterval).toBeLessThanOrEqual(3600)
      expect(rest).toEqual({
        payloadFormatIndicator: true,
        contentType: 'text/plain',
        responseTopic: 'interop/reply',
        correlationData: Buffer.from('c0ffee00', 'hex'),
        userProperties: { region: 'eu', tag: ['a', 'b'] },
        subscriptionIdentifier: 7
      })
    })

    test('properties we publish reach Paho intact, with its own subscription identifier', async () => {
      const paho = startPahoSubscriber({ port: broker.port, topic: 'interop/out', count: 2, subscriptionIdentifier: 9 })
      track(paho)
      expect(await withTimeout(paho.ready, 10000, 'Paho SUBACK')).toEqual([1])
      const client = await connectV5(broker)
      await publish(client, 'interop/out', 'first', {
        qos: 1,
        properties: {
          payloadFormatIndicator: true,
          contentType: 'application/json',
          responseTopic: 'interop/answers',
          correlationData: Buffer.from([0, 1, 2, 255]),
          userProperties: { a: '1', b: ['2', '3'] }
        }
      })
      await publish(client, 'interop/out', 'second', { qos: 0 })
      const messages = await withTimeout(paho.messages, 10000, 'Paho receiving')
      expect(messages).toEqual([
        {
          topic: 'interop/out',
          payload: 'first',
          qos: 1,
          retain: false,
          properties: {
            payloadFormatIndicator: 1,
            contentType: 'application/json',
            responseTopic: 'interop/answers',
            correlationData: '000102ff',
            userProperties: [['a', '1'], ['b', '2'], ['b', '3']],
            subscriptionIdentifier: [9]
          }
        },
        { topic: 'interop/out', payload: 'second', qos: 0, retain: false, properties: { subscriptionIdentifier: [9] } }
      ])
    })
  })
})
