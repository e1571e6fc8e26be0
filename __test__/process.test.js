'use strict'
// Process liveness: a script that connects, publishes and ends must exit by itself;
// an open (or reconnecting) client keeps the process alive.
const { cleanupAll, track } = require('./helpers/cleanup')
const { startAedes, getFreePort } = require('./helpers/brokers')
const { startRawBroker } = require('./helpers/rawBroker')
const { delay } = require('./helpers/events')
const { runNode } = require('./helpers/childNode')
const { isNapi } = require('./helpers/impl')

afterEach(cleanupAll)

test('connect, publish QoS 1, end: the process exits by itself with code 0', async () => {
  const broker = track(await startAedes())
  const { exited } = runNode(`
    const mqtt = require(process.env.IMPL_PATH)
    const client = mqtt.connect(process.env.URL)
    client.on('connect', () => {
      client.publish('proc/t', 'bye', { qos: 1 }, (err) => {
        if (err) { console.error(err); process.exitCode = 2 }
        client.end(() => console.log('ended'))
      })
    })
  `, { URL: broker.url })
  const r = await exited()
  expect(r.output).toContain('ended')
  expect(r.code).toBe(0)
  expect(r.ms).toBeLessThan(5000)
})

test('end() while reconnecting to a dead port: the process exits by itself', async () => {
  const port = await getFreePort()
  const { exited } = runNode(`
    const mqtt = require(process.env.IMPL_PATH)
    const client = mqtt.connect('mqtt://127.0.0.1:' + process.env.PORT, { reconnectPeriod: 100 })
    let n = 0
    client.on('reconnect', () => { if (++n === 2) client.end(() => console.log('ended')) })
  `, { PORT: String(port) })
  const r = await exited()
  expect(r.output).toContain('ended')
  expect(r.code).toBe(0)
})

test('end(true) right after connect(), before CONNACK: the process exits by itself', async () => {
  const broker = track(await startAedes())
  const { exited } = runNode(`
    const mqtt = require(process.env.IMPL_PATH)
    const client = mqtt.connect(process.env.URL)
    client.end(true, () => console.log('ended'))
  `, { URL: broker.url })
  const r = await exited()
  expect(r.output).toContain('ended')
  expect(r.code).toBe(0)
})

test('end() then end(true) with a SUBACK outstanding, then the broker drops: the process exits', async () => {
  const rb = track(await startRawBroker({ suback: false }))
  const { exited } = runNode(`
    const mqtt = require(process.env.IMPL_PATH)
    const client = mqtt.connect(process.env.URL)
    client.on('connect', () => {
      client.subscribe('never/acked')
      client.end()
      client.end(true, () => console.log('ended'))
    })
  `, { URL: rb.url })
  await rb.waitForPacket('subscribe')
  for (const conn of rb.connections) conn.destroy()
  const r = await exited()
  expect(r.output).toContain('ended')
  expect(r.code).toBe(0)
})

// MQTT.js waits for 'outgoingEmpty', which only an ack emits: it never completes this
// end() and never exits. Ours must complete the end (event + callback) and release.
const testNapi = isNapi ? test : test.skip
testNapi('napi: graceful end() waiting for a SUBACK, then the connection is lost: end completes, the process exits', async () => {
  const rb = track(await startRawBroker({ suback: false }))
  const { exited } = runNode(`
    const mqtt = require(process.env.IMPL_PATH)
    const client = mqtt.connect(process.env.URL, { reconnectPeriod: 100 })
    client.on('end', () => console.log('end event'))
    client.on('connect', () => {
      client.subscribe('never/acked')
      client.end((err) => console.log('ended', err ? err.message : 'ok'))
    })
  `, { URL: rb.url })
  await rb.waitForPacket('subscribe')
  await delay(100)
  for (const conn of rb.connections) conn.destroy()
  const r = await exited()
  expect(r.output).toContain('end event')
  expect(r.output).toContain('ended ok')
  expect(r.code).toBe(0)
  expect(rb.connections.length).toBe(1) // ended: no reconnect
})

test('an open client keeps the process alive; ending it from a timer lets it exit', async () => {
  const broker = track(await startAedes())
  const { exited, child } = runNode(`
    const mqtt = require(process.env.IMPL_PATH)
    const client = mqtt.connect(process.env.URL)
    client.on('connect', () => console.log('connected'))
    process.on('SIGUSR2', () => client.end(() => console.log('ended')))
  `, { URL: broker.url })
  await delay(1500)
  expect(child.exitCode).toBeNull() // still alive: the client holds the event loop
  child.kill('SIGUSR2')
  const r = await exited()
  expect(r.output).toContain('connected')
  expect(r.output).toContain('ended')
  expect(r.code).toBe(0)
})

test('a reconnecting client (broker down) keeps the process alive', async () => {
  const port = await getFreePort()
  const { exited, child } = runNode(`
    const mqtt = require(process.env.IMPL_PATH)
    const client = mqtt.connect('mqtt://127.0.0.1:' + process.env.PORT, { reconnectPeriod: 200 })
    process.on('SIGUSR2', () => client.end(() => console.log('ended')))
  `, { PORT: String(port) })
  await delay(1500)
  expect(child.exitCode).toBeNull()
  child.kill('SIGUSR2')
  const r = await exited()
  expect(r.output).toContain('ended')
  expect(r.code).toBe(0)
})

test('with several clients, the process lives until the last has ended, including one started after the others ended', async () => {
  const broker = track(await startAedes())
  const { exited, child, output } = runNode(`
    const mqtt = require(process.env.IMPL_PATH)
    const a = mqtt.connect(process.env.URL)
    const b = mqtt.connect(process.env.URL)
    let up = 0
    const ready = () => { if (++up === 2) a.end(() => console.log('a ended')) }
    a.on('connect', ready)
    b.on('connect', ready)
    process.on('SIGUSR2', () => b.end(() => {
      console.log('b ended')
      const c = mqtt.connect(process.env.URL)
      c.on('connect', () => setTimeout(() => c.end(() => console.log('c ended')), 300))
    }))
  `, { URL: broker.url })
  const t0 = Date.now()
  while (!output().includes('a ended')) {
    if (Date.now() - t0 > 5000) throw new Error(`client a did not end; output: ${output()}`)
    await delay(50)
  }
  await delay(1000)
  expect(child.exitCode).toBeNull() // b still holds the event loop
  child.kill('SIGUSR2')
  const r = await exited()
  expect(r.output).toContain('b ended')
  expect(r.output).toContain('c ended')
  expect(r.code).toBe(0)
})
