'use strict'
// Outbound validation, bounded offline queue, reconnect backoff.
const { cleanupAll, track } = require('../helpers/cleanup')
const { startRawBroker } = require('../helpers/rawBroker')
const { startFaultProxy } = require('../helpers/faultProxy')
const { record, delay, waitUntil, withTimeout } = require('../helpers/events')
const { publishLedger } = require('../helpers/reliability')
const h = require('../helpers/harness')
const { testNapi } = require('../helpers/impl')

afterEach(cleanupAll)

const EVENTS = ['connect', 'reconnect', 'offline', 'close', 'error', 'end']

const BAD_PUBLISHES = [
  ['a topic with +', 'a/+/c', {}],
  ['a topic with #', 'a/#', {}],
  ['a topic that is just +', '+', {}],
  ['a topic with U+0000', 'a\u0000b', {}],
  ['an empty topic', '', {}],
  ['a topic of 65,536 bytes', 'a'.repeat(65536), {}],
  ['a topic of 21,846 three-byte characters (65,538 bytes)', '\u20ac'.repeat(21846), {}],
  ['qos: 3', 'ok/topic', { qos: 3 }]
]

// Publish every bad case, each way (callback and promise); resolve with what happened.
async function publishAllBad (client) {
  const results = []
  for (const [name, topic, opts] of BAD_PUBLISHES) {
    for (const qos of opts.qos !== undefined ? [opts.qos] : [0, 1, 2]) {
      let thrown = null
      const cb = new Promise((resolve) => {
        try {
          client.publish(topic, 'payload', { ...opts, qos }, (err) => resolve(err))
        } catch (err) {
          thrown = err
          resolve(undefined)
        }
      })
      const cbErr = await withTimeout(cb, 5000, `callback of publish to ${name}`)
      let rejected = null
      try {
        await withTimeout(client.publishAsync(topic, 'payload', { ...opts, qos }), 5000, `publishAsync to ${name}`)
      } catch (err) {
        rejected = err
      }
      results.push({
        name: `${name} (qos ${qos})`,
        thrown: thrown && thrown.message,
        callbackError: h.isError(cbErr),
        rejected: h.isError(rejected),
        message: cbErr && cbErr.message
      })
    }
  }
  return results
}

function expectAllRejected (results) {
  for (const r of results) {
    expect({ name: r.name, thrown: r.thrown, callbackError: r.callbackError, rejected: r.rejected })
      .toEqual({ name: r.name, thrown: null, callbackError: true, rejected: true })
  }
}

describe('outbound validation: an invalid publish fails, nothing is sent', () => {
  // MQTT.js sends most of these and the broker drops the connection (README, divergences).
  testNapi('while connected: callback error, promise rejection, no PUBLISH on the wire, connection unharmed', async () => {
    const broker = track(await startRawBroker())
    const [c] = await h.connected(broker.url, { reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    const results = await publishAllBad(c)
    expectAllRejected(results)
    // the messages name the rule
    expect(results.find((r) => r.name.startsWith('a topic with +')).message).toMatch(/wildcard|\[MQTT-3\.3\.2-2\]/i)
    expect(results.find((r) => r.name.startsWith('an empty topic')).message).toMatch(/empty|\[MQTT-4\.7\.3-1\]/i)
    expect(results.find((r) => r.name.startsWith('qos: 3')).message).toMatch(/qos/i)

    // a valid publish still goes through, and is the only PUBLISH the broker ever saw
    const [err] = await h.publish(c, 'ok/after', 'fine', { qos: 1 })
    expect(err == null).toBe(true)
    const [max] = await h.publish(c, 'b'.repeat(65535), 'longest legal topic', { qos: 1 })
    expect(max == null).toBe(true)
    expect(broker.received('publish').map((p) => p.topic.length)).toEqual(['ok/after'.length, 65535])
    expect(broker.parseErrors).toEqual([])
    expect(rec.names()).toEqual([])
    expect(broker.connections.length).toBe(1)
    expect(c.connected).toBe(true)
  })

  testNapi('while offline: the same publishes fail at once and nothing is sent after connecting', async () => {
    const broker = track(await startRawBroker({ connack: null }))
    const c = h.connect(broker.url, { reconnectPeriod: 100 })
    await broker.waitForPacket('connect')
    const results = await publishAllBad(c)
    expectAllRejected(results)
    broker.connections[0].send({ cmd: 'connack', returnCode: 0, sessionPresent: false })
    await h.once(c, 'connect')
    const [err] = await h.publish(c, 'ok/after', 'fine', { qos: 1 })
    expect(err == null).toBe(true)
    expect(broker.received('publish').map((p) => p.topic)).toEqual(['ok/after'])
    expect(broker.parseErrors).toEqual([])
  })
})

describe('offline queue limits', () => {
  // a client that cannot connect yet: the proxy closes every connection until allowed
  async function offlineClient (opts) {
    const broker = track(await startRawBroker())
    const proxy = track(await startFaultProxy({ port: broker.port }))
    proxy.refuse(true)
    const c = h.connect(proxy.url, { reconnectPeriod: 100, ...opts })
    const rec = record(c, EVENTS)
    await proxy.waitForConnections(1)
    return { broker, proxy, c, rec }
  }

  // offlineQueueMaxMessages / offlineQueueMaxBytes are mqtt-napi options.
  testNapi('offlineQueueMaxMessages: publishes past the limit fail with "Offline queue full"; the rest are sent on connect', async () => {
    const LIMIT = 3
    const { broker, proxy, c, rec } = await offlineClient({ offlineQueueMaxMessages: LIMIT })
    const ledger = publishLedger(5)
    for (let i = 0; i < 5; i++) c.publish('q/t', `m${i}`, { qos: 1 }, ledger.callback(i))
    await waitUntil(() => ledger.errors.length === 2, { timeout: 5000, label: 'two rejected publishes' })
    expect(ledger.errors.map((e) => e.i)).toEqual([3, 4])
    for (const e of ledger.errors) {
      expect(e.message).toMatch(/^Offline queue full \(3 messages, \d+ bytes queued\): publish rejected$/)
    }
    proxy.refuse(false)
    await rec.waitFor('connect', 1, 10000)
    await withTimeout(ledger.all, 10000, 'publish callbacks')
    expect(ledger.repeated()).toEqual([])
    await delay(100)
    expect(broker.received('publish').map((p) => p.payload.toString())).toEqual(['m0', 'm1', 'm2'])
  })

  testNapi('offlineQueueMaxBytes counts topic + payload; the limit applies only to what waits', async () => {
    // topic "q/t" (3 bytes) + 7-byte payload = 10 bytes a message; 25 bytes fit two
    const { broker, proxy, c, rec } = await offlineClient({ offlineQueueMaxBytes: 25 })
    const ledger = publishLedger(6)
    for (let i = 0; i < 3; i++) c.publish('q/t', `payld-${i}`, { qos: 1 }, ledger.callback(i))
    await waitUntil(() => ledger.errors.length === 1, { timeout: 5000, label: 'one rejected publish' })
    expect(ledger.errors).toEqual([{ i: 2, message: 'Offline queue full (2 messages, 20 bytes queued): publish rejected' }])
    proxy.refuse(false)
    await rec.waitFor('connect', 1, 10000)
    await waitUntil(() => ledger.done === 3, { timeout: 10000, label: 'first three callbacks' })

    // offline again: the queue is empty again, so two more fit
    proxy.refuse(true)
    const offlines = rec.count('offline')
    proxy.cut()
    await rec.waitFor('offline', offlines + 1, 10000)
    for (let i = 3; i < 6; i++) c.publish('q/t', `payld-${i}`, { qos: 1 }, ledger.callback(i))
    await waitUntil(() => ledger.errors.length === 2, { timeout: 5000, label: 'second rejected publish' })
    expect(ledger.errors[1].i).toBe(5)
    proxy.refuse(false)
    await withTimeout(ledger.all, 10000, 'publish callbacks')
    await delay(100)
    expect(broker.received('publish').map((p) => p.payload.toString()))
      .toEqual(['payld-0', 'payld-1', 'payld-3', 'payld-4'])
  })

  test('default: unbounded (as MQTT.js): 5,000 offline publishes are all accepted', async () => {
    const { proxy, c, rec } = await offlineClient({})
    const ledger = publishLedger(5000)
    for (let i = 0; i < 5000; i++) c.publish('q/t', 'x', { qos: 1 }, ledger.callback(i))
    await delay(200)
    expect(ledger.errors).toEqual([])
    proxy.refuse(false)
    await rec.waitFor('connect', 1, 10000)
    await withTimeout(ledger.all, 20000, 'publish callbacks')
    expect(ledger.errors).toEqual([])
  })
})

describe('reconnect backoff', () => {
  // Attempt times as seen by a proxy that closes every connection at once.
  async function attemptTimes (opts, attempts) {
    const broker = track(await startRawBroker())
    const proxy = track(await startFaultProxy({ port: broker.port }))
    proxy.refuse(true)
    const times = []
    proxy.emitter.on('refused', () => times.push(Date.now()))
    h.connect(proxy.url, opts)
    await waitUntil(() => times.length >= attempts, { timeout: 20000, label: `${attempts} connection attempts` })
    const gaps = []
    for (let i = 1; i < attempts; i++) gaps.push(times[i] - times[i - 1])
    return gaps
  }

  // Timers never fire early; a busy machine makes them late, so upper bounds are generous.
  // Gaps are measured in JS (the proxy's accept events), whose own latency can shorten a
  // measured gap a little: lower bounds allow EARLY_MS.
  const SLACK_MS = 400
  const EARLY_MS = 50

  test('default: the fixed reconnectPeriod between attempts', async () => {
    const gaps = await attemptTimes({ reconnectPeriod: 200 }, 6)
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(200 - EARLY_MS)
      expect(g).toBeLessThan(200 + SLACK_MS)
    }
  })

  // reconnectBackoff is an mqtt-napi option.
  testNapi('reconnectBackoff { max, factor: 2, jitter: 0 }: the delay doubles from reconnectPeriod up to max', async () => {
    const gaps = await attemptTimes({ reconnectPeriod: 100, reconnectBackoff: { max: 800, factor: 2, jitter: 0 } }, 7)
    const expected = [100, 200, 400, 800, 800, 800]
    gaps.forEach((g, i) => {
      expect({ attempt: i + 1, gap: g, atLeast: g >= expected[i] - EARLY_MS }).toEqual({ attempt: i + 1, gap: g, atLeast: true })
      expect(g).toBeLessThan(expected[i] + SLACK_MS)
    })
  })

  testNapi('reconnectBackoff jitter 0.5: each delay within [50 %, 100 %] of the backoff value, and they vary', async () => {
    const gaps = await attemptTimes({ reconnectPeriod: 200, reconnectBackoff: { max: 400, factor: 2, jitter: 0.5 } }, 12)
    gaps.forEach((g, i) => {
      const backoff = i === 0 ? 200 : 400
      expect(g).toBeGreaterThanOrEqual(backoff * 0.5 - EARLY_MS)
      expect(g).toBeLessThan(backoff + SLACK_MS)
    })
    // 10 draws from [200, 400]: without jitter they would all be ~400 ms; with it, the
    // chance that they span less than 60 ms is about 1e-4
    const capped = gaps.slice(1)
    expect(Math.max(...capped) - Math.min(...capped)).toBeGreaterThan(60)
  })

  test('the backoff restarts from reconnectPeriod after a successful connection', async () => {
    const broker = track(await startRawBroker())
    const proxy = track(await startFaultProxy({ port: broker.port }))
    proxy.refuse(true)
    const times = []
    proxy.emitter.on('refused', () => times.push(Date.now()))
    const c = h.connect(proxy.url, { reconnectPeriod: 100, reconnectBackoff: { max: 3200, factor: 2, jitter: 0 } })
    const rec = record(c, EVENTS)
    await waitUntil(() => times.length >= 5, { timeout: 20000, label: '5 refused attempts' }) // delays 100..800
    proxy.refuse(false)
    await rec.waitFor('connect', 1, 10000)
    proxy.refuse(true)
    const cutAt = Date.now()
    proxy.cut()
    const before = times.length
    await waitUntil(() => times.length >= before + 1, { timeout: 10000, label: 'first attempt after the cut' })
    expect(times[before] - cutAt).toBeLessThan(100 + SLACK_MS)
  })
})
