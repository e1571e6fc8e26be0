#!/usr/bin/env node
'use strict'
// Soak test (not in CI): QoS 1 traffic both ways between two clients, each behind its own
// fault-injecting proxy to a mosquitto broker, with both connections cut every 30 s.
// Reports lost messages (must be 0), duplicates, RSS / heap drift and open file descriptors.
//
//   node [--expose-gc] scripts/soak.js [--minutes 30] [--rate 200] [--cut-every 30] [--report-every 10] [--payload 64]
//
//   --rate         messages per second in each direction
//   --cut-every    seconds between cuts (alternately FIN and RST, both legs)
// Needs the release build (npm run build) and mosquitto (/usr/sbin/mosquitto).
// Exit status 0 when nothing was lost and every publish callback succeeded.
const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')

const root = path.resolve(__dirname, '..')
const mqtt = process.env.MQTT_IMPL === 'mqtt' ? require('mqtt') : require(root)
const { startFaultProxy } = require(path.join(root, '__test__/helpers/faultProxy'))
const { startVolumeMosquitto } = require(path.join(root, '__test__/helpers/reliability'))

function parseArgs (argv) {
  const opts = { minutes: 30, rate: 200, cutEvery: 30, reportEvery: 10, payload: 64 }
  const names = { '--minutes': 'minutes', '--rate': 'rate', '--cut-every': 'cutEvery', '--report-every': 'reportEvery', '--payload': 'payload' }
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]]
    if (!key) throw new Error(`unknown argument ${argv[i]} (known: ${Object.keys(names).join(', ')})`)
    const value = Number(argv[++i])
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${argv[i - 1]} needs a positive number`)
    opts[key] = value
  }
  return opts
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const mb = (bytes) => (bytes / 1048576).toFixed(1)
const openFds = () => { try { return fs.readdirSync('/proc/self/fd').length } catch (e) { return -1 } }
const stamp = (t0) => `${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s`

// One direction of traffic: numbered messages from `from` to `to`.
function lane (name, from, to, topic, capacity, payloadSize) {
  const received = new Uint8Array(capacity)
  const acked = new Uint8Array(capacity)
  const s = { name, sent: 0, acked: 0, errors: 0, errorSamples: [], distinct: 0, duplicates: 0, strays: 0 }
  to.on('message', (t, payload) => {
    if (t !== topic) return
    const i = payload.readUInt32BE(0)
    if (i >= capacity) { s.strays++; return }
    if (received[i]) s.duplicates++
    else { received[i] = 1; s.distinct++ }
  })
  const pad = crypto.randomBytes(Math.max(0, payloadSize - 4))
  s.publish = () => {
    const i = s.sent++
    const payload = Buffer.allocUnsafe(4 + pad.length)
    payload.writeUInt32BE(i, 0)
    pad.copy(payload, 4)
    from.publish(topic, payload, { qos: 1 }, (err) => {
      if (err) {
        s.errors++
        if (s.errorSamples.length < 5) s.errorSamples.push(err.message)
      } else if (!acked[i]) {
        acked[i] = 1
        s.acked++
      }
    })
  }
  // acknowledged by the broker but never received: lost
  s.lost = () => {
    const out = []
    for (let i = 0; i < s.sent; i++) if (acked[i] && !received[i]) out.push(i)
    return out
  }
  s.unacked = () => s.sent - s.acked - s.errors
  return s
}

function connected (client) {
  return new Promise((resolve, reject) => {
    client.once('connect', resolve)
    client.once('error', reject)
  })
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const baseline = { fds: openFds(), rss: process.memoryUsage().rss }
  const durationMs = opts.minutes * 60000
  const capacity = Math.ceil(opts.rate * (durationMs / 1000) * 1.2) + 1000
  const run = crypto.randomBytes(3).toString('hex')
  console.log(`soak: ${opts.minutes} min, ${opts.rate} msg/s each way (QoS 1, ${opts.payload}-byte payloads), ` +
    `cut every ${opts.cutEvery} s, implementation ${process.env.MQTT_IMPL === 'mqtt' ? 'MQTT.js' : 'mqtt-napi'}`)

  const broker = await startVolumeMosquitto()
  const proxyA = await startFaultProxy({ port: broker.port })
  const proxyB = await startFaultProxy({ port: broker.port })
  const common = { clean: false, reconnectPeriod: 200, keepalive: 10, connectTimeout: 5000 }
  const a = mqtt.connect(proxyA.url, { ...common, clientId: `soakA${run}` })
  const b = mqtt.connect(proxyB.url, { ...common, clientId: `soakB${run}` })
  const counts = { connect: 0, close: 0, error: 0 }
  const errorKinds = {}
  for (const c of [a, b]) {
    c.on('connect', () => counts.connect++)
    c.on('close', () => counts.close++)
    c.on('error', (err) => {
      counts.error++
      const k = err.code || err.message
      errorKinds[k] = (errorKinds[k] || 0) + 1
    })
  }
  await Promise.all([connected(a), connected(b)])
  const a2b = `soak/${run}/a2b`
  const b2a = `soak/${run}/b2a`
  await Promise.all([
    new Promise((resolve, reject) => b.subscribe(a2b, { qos: 1 }, (err) => (err ? reject(err) : resolve()))),
    new Promise((resolve, reject) => a.subscribe(b2a, { qos: 1 }, (err) => (err ? reject(err) : resolve())))
  ])
  const lanes = [lane('A->B', a, b, a2b, capacity, opts.payload), lane('B->A', b, a, b2a, capacity, opts.payload)]

  const t0 = Date.now()
  const samples = []
  // with `node --expose-gc`, heap figures are taken after a full collection (live data only)
  const sample = (label) => {
    if (global.gc) global.gc()
    const m = process.memoryUsage()
    const s = { t: Date.now() - t0, label, rss: m.rss, heap: m.heapUsed, external: m.external, fds: openFds() }
    samples.push(s)
    return s
  }
  const report = (label) => {
    const s = sample(label)
    const lanesText = lanes.map((l) => `${l.name} sent ${l.sent} acked ${l.acked} recv ${l.distinct} dup ${l.duplicates}`).join(' | ')
    console.log(`${stamp(t0)}  ${lanesText} | rss ${mb(s.rss)} MB heap ${mb(s.heap)} MB ext ${mb(s.external)} MB fds ${s.fds} | cuts ${proxyA.stats.cuts + proxyA.stats.resets} connects ${counts.connect}`)
  }
  report('start')

  // traffic: every 10 ms, the messages due so far
  let due = 0
  const perTick = opts.rate / 100
  const traffic = setInterval(() => {
    due += perTick
    while (due >= 1) {
      for (const l of lanes) l.publish()
      due -= 1
    }
  }, 10)
  let cutNo = 0
  const cutter = setInterval(() => {
    const mode = cutNo++ % 2 === 0 ? 'cut' : 'reset'
    proxyA[mode]()
    proxyB[mode]()
  }, opts.cutEvery * 1000)
  const reporter = setInterval(() => report('run'), opts.reportEvery * 1000)

  await sleep(durationMs)
  clearInterval(traffic)
  clearInterval(cutter)
  clearInterval(reporter)
  report('end of traffic')

  // drain: everything acknowledged must arrive
  const drainStart = Date.now()
  while (Date.now() - drainStart < 60000) {
    const pending = lanes.some((l) => l.unacked() > 0 || l.distinct < l.acked)
    if (!pending) break
    await sleep(100)
  }
  const drained = sample('drained')
  console.log(`${stamp(t0)}  drained in ${((Date.now() - drainStart) / 1000).toFixed(1)} s`)

  await Promise.all([new Promise((resolve) => a.end(false, resolve)), new Promise((resolve) => b.end(false, resolve))])
  await proxyA.close()
  await proxyB.close()
  await broker.close()
  await sleep(200)
  const closed = sample('closed')

  // RSS drift: from the first sample after warm-up (20 % of the run, at least one report) to the end
  const warm = samples.find((s) => s.label === 'run' && s.t >= durationMs * 0.2) || samples[0]
  const peakRss = Math.max(...samples.map((s) => s.rss))
  const results = lanes.map((l) => ({ lane: l.name, sent: l.sent, acked: l.acked, failed: l.errors, unacked: l.unacked(), received: l.distinct, duplicates: l.duplicates, strays: l.strays, lost: l.lost().length, errorSamples: l.errorSamples }))
  console.log('\nresults')
  console.table(results.map(({ errorSamples, ...r }) => r))
  for (const r of results) if (r.errorSamples.length) console.log(`${r.lane} callback errors, e.g.: ${r.errorSamples.join(' / ')}`)
  console.log(`cuts: ${cutNo} (each on both legs), connects: ${counts.connect}, closes: ${counts.close}, error events: ${counts.error} ${JSON.stringify(errorKinds)}`)
  console.log(`RSS: start ${mb(samples[0].rss)} MB, after warm-up (${(warm.t / 1000).toFixed(0)} s) ${mb(warm.rss)} MB, ` +
    `end of traffic ${mb(drained.rss)} MB, peak ${mb(peakRss)} MB; drift after warm-up ${mb(drained.rss - warm.rss)} MB`)
  console.log(`JS heap used${global.gc ? ' (after gc)' : ''}: after warm-up ${mb(warm.heap)} MB, end ${mb(drained.heap)} MB; ` +
    `external (Buffers): after warm-up ${mb(warm.external)} MB, end ${mb(drained.external)} MB`)
  console.log(`open fds: before anything was opened ${baseline.fds}, start ${samples[0].fds}, after warm-up ${warm.fds}, end of traffic ${drained.fds}, after closing everything ${closed.fds}`)
  const lost = results.reduce((n, r) => n + r.lost, 0)
  const failed = results.reduce((n, r) => n + r.failed + r.unacked, 0)
  console.log(`\nLOST: ${lost}${failed ? `, publishes failed or never acknowledged: ${failed}` : ''}`)
  process.exitCode = lost === 0 && failed === 0 ? 0 : 1
}

main().catch((err) => {
  console.error(err)
  process.exit(2)
})
