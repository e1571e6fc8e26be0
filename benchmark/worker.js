'use strict'

// One benchmark run in a fresh process: `node worker.js '<json config>'`.
// The config names the implementation (`mqtt` or `napi`), the scenario, the
// broker/peer URL and the scenario's parameters. The worker prints exactly one
// line `RESULT {...}` on stdout: {ok:true, metrics, info} or {ok:false, error}.
// Only the MQTT.js API is used, so the same code runs both implementations.
// Every run checks that every message arrived (and in order where the path
// guarantees order); anything else is a failure, never a number.

const { spawn } = require('child_process')
const { performance } = require('perf_hooks')

const cfg = JSON.parse(process.argv[2])
const P = cfg.params || {}
const mqtt = require(cfg.impl === 'mqtt' ? 'mqtt' : '..')

const state = { progress: 'starting', counter: 0, lastCounter: -1, lastChange: Date.now(), ending: false }
const children = new Set()
const warnings = []
let finished = false

function report (result) {
  if (finished) return
  finished = true
  for (const child of children) {
    try { child.kill('SIGKILL') } catch (e) {}
  }
  process.stdout.write('RESULT ' + JSON.stringify(result) + '\n', () => process.exit(result.ok ? 0 : 1))
  setTimeout(() => process.exit(result.ok ? 0 : 1), 1000).unref()
}

function fail (err) {
  const message = err instanceof Error ? err.message : String(err)
  report({ ok: false, error: message, progress: state.progress })
}

process.on('uncaughtException', (err) => fail(new Error(`uncaught exception: ${err && err.stack ? err.stack : err}`)))
process.on('unhandledRejection', (err) => fail(err instanceof Error ? err : new Error(`unhandled rejection: ${err}`)))

// Watchdog: a run that stops making progress, or outlives its budget, fails
// with what it had done so far.
const started = Date.now()
setInterval(() => {
  const now = Date.now()
  if (state.counter !== state.lastCounter) {
    state.lastCounter = state.counter
    state.lastChange = now
  } else if (now - state.lastChange > (cfg.stallMs || 15000)) {
    fail(new Error(`stalled: no progress for ${((now - state.lastChange) / 1000).toFixed(1)} s (${state.progress})`))
  }
  if (now - started > (cfg.timeoutMs || 120000)) {
    fail(new Error(`timed out after ${((now - started) / 1000).toFixed(0)} s (${state.progress})`))
  }
}, 250).unref()

function progress (text) {
  state.progress = text
  state.counter++
}

const runTag = `${process.pid}-${Math.random().toString(16).slice(2, 8)}`
let clientSeq = 0

/** Connects one client; resolves on CONNACK. After that, errors and unexpected closes fail the run. */
function connectClient (url = cfg.url, extra = {}) {
  const name = `bench-${cfg.impl}-${runTag}-${clientSeq++}`
  return new Promise((resolve, reject) => {
    // The *-v5 scenarios: the same traffic over MQTT 5.
    const version = P.protocolVersion ? { protocolVersion: P.protocolVersion } : {}
    const client = mqtt.connect(url, { clientId: name, reconnectPeriod: 0, keepalive: 60, clean: true, connectTimeout: 30000, ...version, ...extra })
    let connected = false
    client.on('connect', () => {
      connected = true
      resolve(client)
    })
    client.on('error', (err) => {
      if (!connected) reject(new Error(`${name}: connect error: ${err.message}`))
      else fail(new Error(`${name}: client error: ${err.message}`))
    })
    client.on('close', () => {
      if (!connected) reject(new Error(`${name}: connection closed before CONNACK`))
      else if (!state.ending) fail(new Error(`${name}: connection closed unexpectedly (${state.progress})`))
    })
  })
}

function deferred () {
  let resolve, reject
  const promise = new Promise((_resolve, _reject) => { resolve = _resolve; reject = _reject })
  return { promise, resolve, reject }
}

/** Ends clients (gracefully), noting a warning if end() does not call back. */
async function endAll (clients, ms = 10000) {
  state.ending = true
  let timer
  const all = Promise.all(clients.map((c) => new Promise((resolve) => c.end(false, {}, () => resolve()))))
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), ms) })
  const r = await Promise.race([all, timeout])
  clearTimeout(timer)
  if (r === 'timeout') warnings.push(`end() did not call back within ${ms / 1000} s for some of ${clients.length} client(s)`)
}

function makePayload (size, seq, fill = 0x78) {
  const b = Buffer.allocUnsafe(size)
  b.fill(fill)
  if (size >= 4) b.writeUInt32BE(seq >>> 0, 0)
  return b
}

/**
 * Publishes `count` messages keeping at most `window` whose callbacks have not
 * fired (each callback issues the next publish). Resolves when all called back.
 */
function publishWindow (client, topic, count, qos, window, payloadAt, label) {
  const d = deferred()
  let sent = 0
  let acked = 0
  let pumping = false
  const opts = { qos }
  progress(`${label}: publishing ${count} messages`)
  function onDone (err) {
    if (err) return fail(new Error(`${label}: publish ${acked} failed: ${err.message}`))
    acked++
    if ((acked & 1023) === 0) progress(`${label}: ${acked}/${count} publishes called back`)
    if (acked === count) d.resolve()
    else if (acked > count) fail(new Error(`${label}: more publish callbacks than publishes`))
    else pump()
  }
  function pump () {
    if (pumping) return
    pumping = true
    while (sent < count && sent - acked < window) {
      const i = sent++
      client.publish(topic, payloadAt(i), opts, onDone)
    }
    pumping = false
  }
  if (count === 0) d.resolve()
  else pump()
  return d.promise
}

/**
 * Counts messages on `client`; checks size and, with checkSeq, that the payload
 * sequence numbers are 0,1,2,... Resolves with timing when `count` arrived.
 */
function receiveCounter (client, count, size, { checkSeq = true, label = 'receive', marks = [] } = {}) {
  const d = deferred()
  const r = { received: 0, tFirst: 0, tLast: 0, cpuFirst: null, cpuLast: null, marks: {} }
  const markSet = new Set(marks)
  progress(`${label}: 0/${count} received`)
  client.on('message', (topic, payload) => {
    if (r.received === 0) {
      r.tFirst = performance.now()
      r.cpuFirst = process.cpuUsage()
    }
    if (payload.length !== size) return fail(new Error(`${label}: message ${r.received} has ${payload.length} bytes, expected ${size}`))
    if (checkSeq) {
      const seq = payload.readUInt32BE(0)
      if (seq !== r.received) return fail(new Error(`${label}: message ${r.received} carries sequence number ${seq} (lost, duplicated or reordered messages)`))
    }
    r.received++
    if ((r.received & 1023) === 0) progress(`${label}: ${r.received}/${count} received`)
    if (markSet.has(r.received) && r.onMark) r.onMark(r.received)
    if (r.received === count) {
      r.tLast = performance.now()
      r.cpuLast = process.cpuUsage(r.cpuFirst)
      d.resolve(r)
    } else if (r.received > count) {
      fail(new Error(`${label}: received ${r.received} messages, more than the ${count} sent`))
    }
  })
  r.promise = d.promise
  return r
}

function cpuSeconds (usage) {
  return (usage.user + usage.system) / 1e6
}

/** Runs the raw Rust flood publisher (through the broker). */
function flood (topic, count, size, start = 0) {
  return new Promise((resolve, reject) => {
    const child = spawn(cfg.rawBin, ['flood', '--port', String(cfg.port), '--topic', topic, '--count', String(count), '--size', String(size), '--start', String(start)], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    child.on('error', reject)
    child.on('exit', (code) => {
      children.delete(child)
      if (code === 0) resolve()
      else reject(new Error(`flood publisher exited with ${code}: ${out.trim()}`))
    })
  })
}

function gc () {
  if (global.gc) {
    global.gc()
    global.gc()
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function percentile (sorted, p) {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}

// ---------------------------------------------------------------- scenarios --

const scenarios = {
  // 1. QoS 0 publish -> subscribe through the broker, two clients.
  async qos0 () {
    const { count, size, window = 1000 } = P
    const topic = `bench/${runTag}/qos0`
    const sub = await connectClient()
    const pub = await connectClient()
    await sub.subscribeAsync(topic, { qos: 0 })
    const payloads = Array.from({ length: count }, (_, i) => makePayload(size, i))
    const rx = receiveCounter(sub, count, size, { label: 'subscriber' })
    gc()
    // Peak RSS: what publishing ahead of the network buffers (the callbacks pace the publisher).
    let peakRss = process.memoryUsage.rss()
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()) }, 10)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const published = publishWindow(pub, topic, count, 0, window, (i) => payloads[i], 'publisher')
    await rx.promise
    const secs = (rx.tLast - t0) / 1000
    const cpu = cpuSeconds(process.cpuUsage(cpu0))
    await published
    clearInterval(sampler)
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    await endAll([pub, sub])
    return { metrics: { rate: count / secs, cpuPer100k: cpu * 100000 / count, peakRss: peakRss / 1048576 }, info: { count, secs } }
  },

  // 2./3. QoS 1 / QoS 2 publishes with a window, acknowledged by the broker.
  async qos1 () { return publishAcked(1) },
  async qos2 () { return publishAcked(2) },

  // 4. Receive only: the raw Rust publisher floods QoS 0 through the broker.
  async receive () {
    const { count, size } = P
    const topic = `bench/${runTag}/receive`
    const sub = await connectClient()
    await sub.subscribeAsync(topic, { qos: 0 })
    const rx = receiveCounter(sub, count, size, { label: 'subscriber' })
    gc()
    await Promise.all([flood(topic, count, size), rx.promise])
    const secs = (rx.tLast - rx.tFirst) / 1000
    const cpu = cpuSeconds(rx.cpuLast)
    await endAll([sub])
    return { metrics: { rate: (count - 1) / secs, cpuPer100k: cpu * 100000 / count }, info: { count, secs } }
  },

  // 5. Round-trip latency, QoS 0: A publishes a ping, B echoes it back.
  async latency () {
    const { count, warmup, size } = P
    const pingTopic = `bench/${runTag}/ping`
    const pongTopic = `bench/${runTag}/pong`
    const a = await connectClient()
    const b = await connectClient()
    await b.subscribeAsync(pingTopic, { qos: 0 })
    await a.subscribeAsync(pongTopic, { qos: 0 })
    b.on('message', (topic, payload) => b.publish(pongTopic, payload, { qos: 0 }))
    const total = warmup + count
    const samples = new Float64Array(count)
    const d = deferred()
    let seq = 0
    let sentAt = 0n
    let cpuAtWarm = null
    let cpuMeasured = null
    function ping () {
      sentAt = process.hrtime.bigint()
      a.publish(pingTopic, makePayload(size, seq), { qos: 0 })
    }
    a.on('message', (topic, payload) => {
      const now = process.hrtime.bigint()
      const got = payload.readUInt32BE(0)
      if (got !== seq) return fail(new Error(`round trip ${seq}: got the echo of ${got}`))
      if (seq >= warmup) samples[seq - warmup] = Number(now - sentAt) / 1000
      seq++
      if (seq === warmup) cpuAtWarm = process.cpuUsage()
      if ((seq & 127) === 0) progress(`${seq}/${total} round trips`)
      if (seq === total) {
        cpuMeasured = process.cpuUsage(cpuAtWarm)
        d.resolve()
      } else {
        ping()
      }
    })
    ping()
    await d.promise
    await endAll([a, b])
    const sorted = Array.from(samples).sort((x, y) => x - y)
    // CPU of both clients (the whole process) per round trip, after the warm-up.
    const cpuPerRoundTripUs = cpuSeconds(cpuMeasured) * 1e6 / count
    return {
      metrics: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), cpuPerRoundTripUs },
      info: { count, warmup, meanUs: sorted.reduce((s, v) => s + v, 0) / count }
    }
  },

  // 6. 1 MiB payloads, QoS 1, publisher and subscriber through the broker.
  async large () {
    const { count, size, window } = P
    const topic = `bench/${runTag}/large`
    const sub = await connectClient()
    const pub = await connectClient()
    await sub.subscribeAsync(topic, { qos: 1 })
    const template = makePayload(size, 0)
    const rx = receiveCounter(sub, count, size, { label: 'subscriber' })
    gc()
    const t0 = performance.now()
    await Promise.all([
      publishWindow(pub, topic, count, 1, window, (i) => {
        const b = Buffer.allocUnsafe(size)
        template.copy(b)
        b.writeUInt32BE(i, 0)
        return b
      }, 'publisher'),
      rx.promise
    ])
    const secs = (performance.now() - t0) / 1000
    await endAll([pub, sub])
    return { metrics: { mibps: (count * size / 1048576) / secs }, info: { count, size, secs } }
  },

  // 7. Many clients in one process: time until all are connected, RSS per client.
  async clients () {
    const { count } = P
    // One warm-up client first, so that one-time costs (lazy module loading,
    // runtime start-up, JIT) count neither as connect time nor per-client RSS.
    const warm = await connectClient()
    await sleep(100)
    gc()
    await sleep(100)
    gc()
    const rss0 = process.memoryUsage().rss
    const clients = []
    const d = deferred()
    let connected = 0
    let started = 0
    let tAll = 0
    // At most `concurrency` connects in progress: mosquitto listens with a
    // backlog of 100, and a connect beyond it waits for a TCP SYN retry
    // (1 s, 3 s, ...), which would measure the kernel, not the client.
    const concurrency = P.concurrency || 64
    function startOne () {
      const i = started++
      const name = `bench-${cfg.impl}-${runTag}-many-${i}`
      const c = mqtt.connect(cfg.url, { clientId: name, reconnectPeriod: 0, keepalive: 60, clean: true, connectTimeout: 60000 })
      let isUp = false
      c.on('connect', () => {
        if (isUp) return fail(new Error(`${name}: second connect event`))
        isUp = true
        connected++
        progress(`${connected}/${count} connected`)
        if (connected === count) {
          tAll = performance.now()
          d.resolve()
        } else if (started < count) {
          startOne()
        }
      })
      c.on('error', (err) => fail(new Error(`${name}: error after ${connected}/${count} connected: ${err.message}`)))
      c.on('close', () => { if (!state.ending) fail(new Error(`${name}: connection closed (${connected}/${count} connected)`)) })
      clients.push(c)
    }
    const t0 = performance.now()
    while (started < Math.min(concurrency, count)) startOne()
    await d.promise
    const connectMs = tAll - t0
    await sleep(300)
    gc()
    await sleep(200)
    gc()
    const rss1 = process.memoryUsage().rss
    progress('ending clients')
    await endAll([warm, ...clients], 30000)
    return { metrics: { connectMs, rssPerClientKiB: (rss1 - rss0) / count / 1024 }, info: { count, rssBeforeMiB: rss0 / 1048576, rssAfterMiB: rss1 / 1048576 } }
  },

  // 8. RSS after receiving many messages; growth between an early and the final sample.
  async memory () {
    const { count, early, size } = P
    const topic = `bench/${runTag}/memory`
    const sub = await connectClient()
    await sub.subscribeAsync(topic, { qos: 0 })
    const rx = receiveCounter(sub, count, size, { label: 'subscriber', marks: [early] })
    const earlyReached = deferred()
    rx.onMark = () => earlyReached.resolve()
    // Phase 1: `early` messages, then a quiet sample; phase 2: the rest.
    await Promise.all([flood(topic, early, size, 0), earlyReached.promise])
    await sleep(200)
    gc()
    await sleep(100)
    const rssEarly = process.memoryUsage().rss
    const heapEarly = process.memoryUsage().heapUsed
    await Promise.all([flood(topic, count - early, size, early), rx.promise])
    await sleep(200)
    gc()
    await sleep(100)
    const rssEnd = process.memoryUsage().rss
    const heapEnd = process.memoryUsage().heapUsed
    await endAll([sub])
    const growthPct = (rssEnd - rssEarly) / rssEarly * 100
    if (growthPct > 10) warnings.push(`RSS grew ${growthPct.toFixed(1)} % between ${early} and ${count} messages`)
    return {
      metrics: { rssEarly: rssEarly / 1048576, rssEnd: rssEnd / 1048576, growthPct },
      info: { count, early, heapEarlyMiB: heapEarly / 1048576, heapEndMiB: heapEnd / 1048576, gc: !!global.gc }
    }
  },

  // B. Against the synthetic peer: QoS 0 receive flood.
  async 'peer-recv' () {
    const { count, size } = P
    const client = await connectClient()
    const rx = receiveCounter(client, count, size, { checkSeq: false, label: 'receiver' })
    gc()
    await client.subscribeAsync(`flood/${count}/${size}`, { qos: 0 })
    await rx.promise
    const secs = (rx.tLast - rx.tFirst) / 1000
    await endAll([client])
    return { metrics: { rate: (count - 1) / secs, cpuPer100k: cpuSeconds(rx.cpuLast) * 100000 / count }, info: { count, size, secs } }
  },

  // B. QoS 0 publish to the peer, closed by a QoS 1 fence the peer acknowledges
  // only after having counted every QoS 0 message.
  async 'peer-pub0' () {
    const { count, size, window = 1000 } = P
    const client = await connectClient()
    const payload = makePayload(size, 0)
    gc()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await publishWindow(client, 'bench/pub0', count, 0, window, () => payload, 'publisher')
    await client.publishAsync('fence', String(count), { qos: 1 })
    const secs = (performance.now() - t0) / 1000
    const cpu = cpuSeconds(process.cpuUsage(cpu0))
    await endAll([client])
    return { metrics: { rate: count / secs, cpuPer100k: cpu * 100000 / count }, info: { count, size, secs } }
  },

  // B. QoS 1 publish to the peer, window of 1000.
  async 'peer-pub1' () {
    const { count, size, window } = P
    const client = await connectClient()
    const payload = makePayload(size, 0)
    gc()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await publishWindow(client, 'bench/pub1', count, 1, window, () => payload, 'publisher')
    const secs = (performance.now() - t0) / 1000
    const cpu = cpuSeconds(process.cpuUsage(cpu0))
    await endAll([client])
    return { metrics: { rate: count / secs, cpuPer100k: cpu * 100000 / count }, info: { count, size, secs } }
  }
}

async function publishAcked (qos) {
  const { count, size, window } = P
  const topic = `bench/${runTag}/qos${qos}`
  const pub = await connectClient()
  const payloads = Array.from({ length: count }, (_, i) => makePayload(size, i))
  gc()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await publishWindow(pub, topic, count, qos, window, (i) => payloads[i], 'publisher')
  const secs = (performance.now() - t0) / 1000
  const cpu = cpuSeconds(process.cpuUsage(cpu0))
  await endAll([pub])
  return { metrics: { rate: count / secs }, info: { count, secs, cpuPer100k: cpu * 100000 / count } }
}

const run = scenarios[cfg.kind]
if (!run) {
  fail(new Error(`unknown scenario kind ${cfg.kind}`))
} else {
  run().then(
    (r) => report({ ok: true, ...r, warnings }),
    (err) => fail(err)
  )
}
