'use strict'
// QoS 0 publishing is paced by the network: a QoS 0 callback means the packet
// was handed to the socket (MQTT.js: written, or on `drain`), so a publisher
// that waits for its callbacks stops when the broker stops reading, instead of
// buffering without bound. The publisher runs in a child process (its RSS is
// its own); the broker accepts, answers CONNECT, then stops reading.
const path = require('node:path')
const { fork } = require('node:child_process')
const { cleanupAll, track } = require('../helpers/cleanup')
const { startRawBroker } = require('../helpers/rawBroker')
const { startAedes } = require('../helpers/brokers')
const { startProxy } = require('../helpers/proxy')
const { waitUntil, delay, once } = require('../helpers/events')
const { isNapi } = require('../helpers/impl')
const h = require('../helpers/harness')

afterEach(cleanupAll)

const PAYLOAD_BYTES = 1024
const WINDOW = 16
const MiB = 1024 * 1024
/** Callbacks that stop for this long have stalled (they run thousands per second otherwise). */
const STALL_MS = 1000

/** A broker that answers CONNECT and then reads nothing until `conn.socket.resume()`. */
async function startStalledBroker () {
  return track(await startRawBroker({
    onPacket (packet, conn) {
      if (packet.cmd !== 'connect') return false
      conn.send({ cmd: 'connack', returnCode: 0, sessionPresent: false })
      conn.socket.pause()
      return true
    }
  }))
}

/** The publisher child and its latest report. */
function startPublisher (url) {
  const child = fork(path.join(__dirname, '..', 'helpers', 'qos0PacingChild.js'),
    [url, String(PAYLOAD_BYTES), String(WINDOW)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const publisher = { child, latest: null, clientErrors: [], ended: false }
  child.on('message', (m) => {
    if (m.clientError) publisher.clientErrors.push(m.clientError)
    else publisher.latest = m
    if (m.ended) publisher.ended = true
  })
  track({ close: async () => { if (child.exitCode === null) child.kill('SIGKILL') } })
  return publisher
}

/** Waits until the callbacks have stopped for STALL_MS; returns the report then. */
async function waitForStall (publisher) {
  let last = -1
  let since = Date.now()
  await waitUntil(() => {
    const settled = publisher.latest ? publisher.latest.settled : -1
    if (settled !== last) {
      last = settled
      since = Date.now()
    }
    return settled > 0 && Date.now() - since >= STALL_MS
  }, { timeout: 20000, interval: 50, label: 'QoS 0 callbacks to stall while the broker does not read' })
  return publisher.latest
}

test('a publisher that waits for its QoS 0 callbacks stops while the broker does not read, with flat RSS, and goes on in order when it reads again', async () => {
  const broker = await startStalledBroker()
  const publisher = startPublisher(broker.url)
  const stalled = await waitForStall(publisher)
  // What went is what the socket buffers hold, not what the app could make.
  expect(stalled.settled * PAYLOAD_BYTES / MiB).toBeLessThan(64)
  expect(stalled.sent - stalled.settled).toBeLessThanOrEqual(WINDOW)

  await delay(2000)
  const later = publisher.latest
  expect(later.settled).toBe(stalled.settled)
  expect(later.sent).toBe(stalled.sent)
  expect((later.rss - stalled.rss) / MiB).toBeLessThan(8)

  broker.connections[0].socket.resume()
  await waitUntil(() => publisher.latest.settled >= stalled.settled + 5000,
    { timeout: 20000, label: '5,000 more callbacks once the broker reads' })
  const resumed = publisher.latest
  expect({ errors: resumed.errors, clientErrors: publisher.clientErrors }).toEqual({ errors: 0, clientErrors: [] })
  // MQTT.js runs a callback inside publish() whenever write() returns true,
  // ahead of earlier ones still waiting for `drain` (README, differences).
  if (isNapi) expect(resumed.outOfOrder).toBe(0)
  expect(broker.parseErrors).toEqual([])
}, 60000)

test('end() while QoS 0 callbacks wait for a stalled socket: they run once the broker reads, then DISCONNECT and the end callback (MQTT.js: they never run)', async () => {
  const broker = await startStalledBroker()
  const publisher = startPublisher(broker.url)
  const stalled = await waitForStall(publisher)
  publisher.child.send('end')
  await delay(1000)
  expect(publisher.ended).toBe(false)
  expect(publisher.latest.settled).toBe(stalled.settled)

  broker.connections[0].socket.resume()
  await waitUntil(() => publisher.ended, { timeout: 10000, label: 'the end callback' })
  const ended = publisher.latest
  if (isNapi) {
    expect({ settled: ended.settled, ok: ended.ok, outOfOrder: ended.outOfOrder })
      .toEqual({ settled: stalled.sent, ok: stalled.sent, outOfOrder: 0 })
  } else {
    expect({ ok: ended.ok, errors: ended.errors }).toEqual({ ok: stalled.ok, errors: 0 })
  }
  await waitUntil(() => broker.packets.some((p) => p.cmd === 'disconnect'), { timeout: 5000, label: 'DISCONNECT' })
  const publishes = broker.packets.filter((p) => p.cmd === 'publish')
  expect(publishes.length).toBe(stalled.sent)
  expect(broker.packets[broker.packets.length - 1].cmd).toBe('disconnect')
}, 60000)

test('end(true) while QoS 0 callbacks wait for a stalled socket: the end callback runs at once; the waiting callbacks fail (MQTT.js: never run)', async () => {
  const broker = await startStalledBroker()
  const publisher = startPublisher(broker.url)
  const stalled = await waitForStall(publisher)
  const waiting = stalled.sent - stalled.settled
  expect(waiting).toBeGreaterThan(0)
  const t0 = Date.now()
  publisher.child.send('end-force')
  await waitUntil(() => publisher.ended, { timeout: 5000, label: 'the end(true) callback' })
  // The engine gives the last packets a moment to go out (1 s), not more.
  expect(Date.now() - t0).toBeLessThan(3000)
  await delay(300)
  const ended = publisher.latest
  if (isNapi) {
    // Nothing waits forever (README, differences: callbacks at end()).
    expect({ ok: ended.ok, errors: ended.errors, errorMessages: ended.errorMessages, outOfOrder: ended.outOfOrder })
      .toEqual({ ok: stalled.ok, errors: waiting, errorMessages: ['Connection closed'], outOfOrder: 0 })
  } else {
    expect({ ok: ended.ok, errors: ended.errors }).toEqual({ ok: stalled.ok, errors: 0 })
  }
}, 60000)

/** Publishes `count` QoS 0 messages (payload: their index) keeping at most `window` callbacks waiting. */
function publishWindowed (client, topic, count, window) {
  return new Promise((resolve, reject) => {
    const calledBack = []
    let sent = 0
    let pumping = false
    function pump () {
      if (pumping) return
      pumping = true
      while (sent < count && sent - calledBack.length < window) {
        const index = sent++
        client.publish(topic, String(index), { qos: 0 }, (err) => {
          if (err) return reject(err)
          calledBack.push(index)
          if (calledBack.length === count) resolve(calledBack)
          else pump()
        })
      }
      pumping = false
    }
    pump()
  })
}

test('a publisher that keeps a window of QoS 0 callbacks waiting: every callback once, in call order (MQTT.js: any order), every message sent in order', async () => {
  const broker = track(await startRawBroker())
  const [client] = await h.connected(broker.url, { reconnectPeriod: 0 })
  const COUNT = 20000
  // A window larger than what fits in the socket's high-water mark: callbacks
  // wait for the engine's reports, and the room each report leaves runs more.
  const calledBack = await publishWindowed(client, 'window', COUNT, 1000)
  const inCallOrder = Array.from({ length: COUNT }, (_, i) => i)
  // MQTT.js may run a later callback before earlier ones waiting for `drain` (README, differences).
  expect(isNapi ? calledBack : [...calledBack].sort((a, b) => a - b)).toEqual(inCallOrder)
  await waitUntil(() => broker.packets.filter((p) => p.cmd === 'publish').length === COUNT,
    { timeout: 20000, label: `${COUNT} PUBLISH packets at the broker` })
  const payloads = broker.packets.filter((p) => p.cmd === 'publish').map((p) => Number(p.payload.toString()))
  expect(payloads).toEqual(inCallOrder)
  expect(broker.parseErrors).toEqual([])
}, 60000)

test('QoS 0 callbacks that ran inside publish() before a dropped connection do not hold back the next connect', async () => {
  const aedes = track(await startAedes())
  const proxy = track(await startProxy(aedes.port))
  const [client] = await h.connected(proxy.url, { reconnectPeriod: 100 })
  let calledBack = 0
  for (let i = 0; i < 50; i++) client.publish('before-drop', 'x', { qos: 0 }, () => { calledBack++ })
  await waitUntil(() => calledBack === 50, { timeout: 5000, label: 'the 50 callbacks' })
  const reconnected = once(client, 'connect')
  proxy.drop()
  await reconnected
  // And the callbacks of the new connection run as before.
  await new Promise((resolve, reject) => client.publish('after-drop', 'y', { qos: 0 }, (err) => (err ? reject(err) : resolve())))
  await h.end(client)
}, 30000)

test('a QoS 0 publisher whose callbacks run inside publish() gets no event batch for its writes', async () => {
  if (!isNapi) return // the engine's reports are mqtt-napi's own
  const broker = track(await startRawBroker())
  const [client] = await h.connected(broker.url, { reconnectPeriod: 0 })
  let batches = 0
  const push = client._inbound.push.bind(client._inbound)
  client._inbound.push = (records, payloads) => {
    batches++
    return push(records, payloads)
  }
  // One at a time, as a sensor publishes: each callback runs inside publish().
  let inside = 0
  for (let i = 0; i < 200; i++) {
    let returned = false
    client.publish('paced', 'x', { qos: 0 }, () => { if (!returned) inside++ })
    returned = true
    await delay(1)
  }
  await waitUntil(() => broker.packets.filter((p) => p.cmd === 'publish').length === 200,
    { timeout: 10000, label: '200 PUBLISH packets at the broker' })
  expect(inside).toBe(200)
  // A report per write would be a call into JS (and a thread wake-up) per publish.
  expect(batches).toBeLessThan(10)
  await h.end(client)
}, 30000)
