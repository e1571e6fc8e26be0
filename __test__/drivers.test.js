'use strict'
// The two drivers (README, `engineThread`): by default a client runs on Node's own thread (its
// socket watched by Node's loop); `engineThread: true` runs it on the engine's thread. Both
// must behave the same: every scenario here runs on each, against a real broker.
const path = require('path')
const { Worker } = require('worker_threads')
const { cleanupAll, track } = require('./helpers/cleanup')
const { startAedes } = require('./helpers/brokers')
const { startFaultProxy } = require('./helpers/faultProxy')
const { unixFront } = require('./helpers/unixFront')
const { record, waitUntil } = require('./helpers/events')
const h = require('./helpers/harness')
const { isNapi } = require('./helpers/impl')

const implPath = path.resolve(__dirname, '..')

afterEach(cleanupAll)

const DRIVERS = isNapi ? [false, true] : [undefined]
const label = (engineThread) => (engineThread === undefined ? 'MQTT.js' : `engineThread: ${engineThread}`)

describe.each(DRIVERS)('%p', (engineThread) => {
  const opts = (more = {}) => (engineThread === undefined ? more : { ...more, engineThread })

  test(`${label(engineThread)}: QoS 0, 1 and 2 round trips with empty, small, by-reference and 512 KiB payloads arrive intact, in order`, async () => {
    const broker = track(await startAedes())
    const [client] = await h.connected(broker.url, opts())
    const topic = h.topic('drv')
    await h.subscribe(client, topic, { qos: 2 })
    const payloads = [0, 64, 70 * 1024, 512 * 1024].map((size, i) => Buffer.alloc(size, 65 + i))
    const received = []
    client.on('message', (t, payload, packet) => received.push({ payload, qos: packet.qos }))
    const sent = []
    for (const qos of [0, 1, 2]) {
      for (const payload of payloads) {
        const [err] = await h.publish(client, topic, payload, { qos })
        expect(err == null).toBe(true)
        sent.push({ payload, qos })
      }
    }
    await waitUntil(() => received.length >= sent.length, { timeout: 10000, label: 'every message back' })
    expect(received.map((m) => [m.qos, m.payload.length])).toEqual(sent.map((m) => [m.qos, m.payload.length]))
    expect(received.every((m, i) => m.payload.equals(sent[i].payload))).toBe(true)
    await h.end(client)
  })

  test(`${label(engineThread)}: over a Unix socket, 10,000 QoS 1 messages arrive once each, in order`, async () => {
    const broker = track(await startAedes())
    const front = track(await unixFront(broker.port))
    const [client] = await h.connected(`mqtt+unix://${front.socketPath}`, opts())
    const topic = h.topic('unix')
    await h.subscribe(client, topic, { qos: 1 })
    const received = []
    client.on('message', (t, payload) => received.push(Number(payload.toString())))
    const COUNT = 10000
    for (let i = 0; i < COUNT; i++) client.publish(topic, String(i), { qos: 1 })
    await waitUntil(() => received.length >= COUNT, { timeout: 20000, label: 'every message' })
    expect(received.every((n, i) => n === i)).toBe(true)
    expect(received).toHaveLength(COUNT)
    await h.end(client)
  })

  test(`${label(engineThread)}: a connection cut by the network reconnects, and QoS 1 publishes made meanwhile are delivered`, async () => {
    const broker = track(await startAedes())
    const proxy = track(await startFaultProxy({ port: broker.port }))
    const [sub] = await h.connected(broker.url, opts())
    const topic = h.topic('cut')
    await h.subscribe(sub, topic, { qos: 1 })
    const received = []
    sub.on('message', (t, payload) => received.push(payload.toString()))

    const client = h.connect(proxy.url, opts({ reconnectPeriod: 100 }))
    const rec = record(client, ['connect', 'close', 'offline', 'reconnect'])
    await rec.waitFor('connect')
    proxy.cut()
    await rec.waitFor('close')
    const done = []
    for (let i = 0; i < 20; i++) client.publish(topic, `m${i}`, { qos: 1 }, (err) => done.push(err))
    await rec.waitFor('connect', 2, 10000)
    await waitUntil(() => done.length === 20 && received.length >= 20, { timeout: 10000, label: 'callbacks and messages' })
    expect(done.every((err) => err == null)).toBe(true)
    expect(received.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`))
    await h.end(client)
    await h.end(sub)
  })
})

if (isNapi) {
  // Each worker thread has its own loop: a client there is polled by that loop, and a
  // terminated worker takes its clients down with it (Node's cleanup hook), not the process.
  test('clients in worker threads terminated mid-flood: each socket closes, the main thread\'s client goes on', async () => {
    const broker = track(await startAedes())
    const [main] = await h.connected(broker.url)
    const topic = h.topic('workers')
    await h.subscribe(main, topic, { qos: 0 })
    let fromWorkers = 0
    main.on('message', () => fromWorkers++)
    const source = `
      const { parentPort, workerData } = require('worker_threads')
      const mqtt = require(workerData.implPath)
      const client = mqtt.connect(workerData.url)
      client.on('connect', () => {
        client.subscribe(workerData.topic)
        setInterval(() => { for (let i = 0; i < 100; i++) client.publish(workerData.topic, 'w') }, 1)
        parentPort.postMessage('connected')
      })
    `
    const workers = Array.from({ length: 3 }, () => new Worker(source, {
      eval: true,
      workerData: { implPath, url: broker.url, topic }
    }))
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
      w.once('message', resolve)
      w.once('error', reject)
    })))
    await waitUntil(() => fromWorkers > 1000, { timeout: 10000, label: 'messages from the workers' })
    const codes = await Promise.all(workers.map((w) => w.terminate()))
    expect(codes).toEqual([1, 1, 1])
    await waitUntil(async () => (await broker.clients()).length === 1, { timeout: 10000, label: 'the workers\' connections closed' })
    const [err] = await h.publish(main, topic, 'still here', { qos: 1 })
    expect(err == null).toBe(true)
    await h.end(main)
  })
}

if (isNapi) {
  test.each([
    ['yes', /^Invalid option engineThread: expected a boolean, got "yes"/],
    [1, /^Invalid option engineThread: expected a boolean, got 1/],
    [null, /^Invalid option engineThread: expected a boolean, got null/]
  ])('engineThread: %p is refused before anything starts', (value, message) => {
    expect(() => h.connect('mqtt://127.0.0.1:1', { engineThread: value })).toThrow(message)
  })
}
