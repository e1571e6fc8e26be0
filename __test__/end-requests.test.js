'use strict'
// end(false, cb) with SUBSCRIBE and UNSUBSCRIBE in flight waits for their
// acknowledgements, as it waits for QoS 1/2 publishes (and as MQTT.js does):
// DISCONNECT goes out after the last one, and their callbacks run before
// `close`, `end` and end's callback. (A subscribe's callback runs a few
// microtasks after its last SUBACK, so after `outgoingEmpty`, as in MQTT.js.)
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { delay, waitUntil } = require('./helpers/events')
const h = require('./helpers/harness')

afterEach(cleanupAll)

test('end(false) waits for SUBACK and UNSUBACK; their callbacks run before end\'s', async () => {
  const broker = track(await startRawBroker({ suback: false, unsuback: false }))
  const [c] = await h.connected(broker.url, { clientId: h.clientId('endreq'), reconnectPeriod: 0, subscribeBatchSize: 1 })
  const order = []
  for (const event of ['outgoingEmpty', 'close', 'end', 'error', 'offline']) c.on(event, () => order.push(event))
  c.subscribe(['a/1', 'a/2'], { qos: 1 }, (err, granted) => order.push(['subscribe', err && err.message, granted.map((g) => g.qos)]))
  c.unsubscribe('b/1', (err) => order.push(['unsubscribe', err && err.message]))
  c.end(false, () => order.push('end callback'))

  const subscribes = [await broker.waitForPacket('subscribe'), await broker.waitForPacket((p) => p.cmd === 'subscribe' && p.subscriptions[0].topic === 'a/2')]
  const unsubscribe = await broker.waitForPacket('unsubscribe')
  await delay(300)
  // Nothing acknowledged yet: the client still waits, connected.
  expect(order).toEqual([])
  expect(broker.received('disconnect')).toEqual([])

  const conn = broker.connections[0]
  conn.send({ cmd: 'suback', messageId: subscribes[0].messageId, granted: [1] })
  await delay(100)
  conn.send({ cmd: 'unsuback', messageId: unsubscribe.messageId })
  await delay(100)
  // The second SUBACK is still missing: no DISCONNECT yet.
  expect(broker.received('disconnect')).toEqual([])
  expect(order).toEqual([['unsubscribe', null]])
  const lastAckAt = Date.now()
  conn.send({ cmd: 'suback', messageId: subscribes[1].messageId, granted: [0] })

  const disconnect = await broker.waitForPacket('disconnect')
  expect(disconnect.at).toBeGreaterThanOrEqual(lastAckAt)
  // 'end' may come before the broker's side has reported the DISCONNECT: wait on the record.
  await waitUntil(() => order.includes('end callback'), { timeout: 10000, label: 'the end callback' })
  await delay(50)
  expect(order).toEqual([
    ['unsubscribe', null],
    'outgoingEmpty',
    ['subscribe', null, [1, 0]],
    'close',
    'end',
    'end callback'
  ])
  expect(broker.parseErrors).toEqual([])
})
