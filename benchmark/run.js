#!/usr/bin/env node
'use strict'

// Benchmark runner: mqtt (MQTT.js) vs mqtt-napi, through a real broker
// (mosquitto) and against a synthetic peer, plus a raw-Rust "ceiling".
// See benchmark/README.md. Usage:
//   node benchmark/run.js [--quick] [--runs N] [--only name,prefix,...]
//                         [--impl mqtt|napi] [--timeout S] [--no-ceiling]

const { spawn, spawnSync } = require('child_process')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const RUST_DIR = path.join(__dirname, 'rust')
const RAW_BIN = path.join(RUST_DIR, 'target', 'release', 'mqtt-bench-raw')
const WORKER = path.join(__dirname, 'worker.js')
const RESULTS_DIR = path.join(__dirname, 'results')
const IMPLS = { mqtt: 'mqtt', napi: 'mqtt-napi' }
const FD_LIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"'

// ------------------------------------------------------------------ options --

function parseArgs (argv) {
  const o = { quick: false, runs: null, only: null, impl: null, timeout: null, ceiling: true }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--quick') o.quick = true
    else if (a === '--runs') o.runs = Number(value())
    else if (a === '--only') o.only = value().split(',').map((s) => s.trim()).filter(Boolean)
    else if (a === '--impl') o.impl = value()
    else if (a === '--timeout') o.timeout = Number(value())
    else if (a === '--no-ceiling') o.ceiling = false
    else if (a === '--help' || a === '-h') usage()
    else usage(`unknown argument ${a}`)
  }
  if (o.runs !== null && (!Number.isInteger(o.runs) || o.runs < 1)) usage('--runs must be a positive integer')
  if (o.impl !== null && !(o.impl in IMPLS)) usage('--impl must be mqtt or napi')
  if (o.timeout !== null && !(o.timeout > 0)) usage('--timeout must be a positive number of seconds')
  o.runs = o.runs || (o.quick ? 1 : 3)
  o.timeoutMs = (o.timeout || (o.quick ? 20 : 120)) * 1000
  return o
}

function usage (error) {
  const text = `usage: node benchmark/run.js [options]
  --quick          small counts, 1 run (smoke test, < 1 min)
  --runs N         runs per scenario and implementation (default 3, quick 1)
  --only A,B       scenarios by name or prefix (e.g. qos0,peer-recv, or the groups broker / peer)
  --impl mqtt|napi run only one implementation (the ceiling still runs)
  --timeout S      per-run timeout in seconds (default 120, quick 20)
  --no-ceiling     skip the raw-Rust ceiling runs
scenarios: ${scenarioList(false).map((s) => s.name).join(' ')}
quick mode runs clients-100 instead of clients-500 and clients-5000.`
  if (error) {
    console.error(`error: ${error}\n${text}`)
    process.exit(2)
  }
  console.log(text)
  process.exit(0)
}

// ---------------------------------------------------------------- scenarios --

const KIB = 1024
const MIB = 1024 * 1024

// metric: key, label, better ('higher' | 'lower'), fmt
const M = {
  rate: (label = 'msg/s') => ({ key: 'rate', label, better: 'higher', fmt: 'int' }),
  cpu: () => ({ key: 'cpuPer100k', label: 'CPU s / 100k msgs', better: 'lower', fmt: 'f3' }),
  mibps: () => ({ key: 'mibps', label: 'MiB/s', better: 'higher', fmt: 'f1' })
}

const LATENCY_METRICS = [
  { key: 'p50', label: 'p50 µs', better: 'lower', fmt: 'int' },
  { key: 'p99', label: 'p99 µs', better: 'lower', fmt: 'int' },
  { key: 'p999', label: 'p99.9 µs', better: 'lower', fmt: 'int' },
  { key: 'cpuPerRoundTripUs', label: 'CPU µs / round trip', better: 'lower', fmt: 'int' }
]

function scenarioList (quick) {
  const q = (normal, small) => (quick ? small : normal)
  const list = [
    {
      name: 'qos0',
      group: 'broker',
      kind: 'qos0',
      title: 'QoS 0 pub → sub, 64 B (2 clients)',
      params: { count: q(300000, 20000), size: 64, window: 1000 },
      metrics: [M.rate('msg/s end to end'), M.cpu(), { key: 'peakRss', label: 'peak RSS MiB (pub + sub)', better: 'lower', fmt: 'f1' }],
      ceiling: ['qos0']
    },
    {
      name: 'qos1',
      group: 'broker',
      kind: 'qos1',
      title: 'QoS 1 publish, 64 B, ≤1000 in flight',
      params: { count: q(200000, 10000), size: 64, window: 1000 },
      metrics: [M.rate('acked msg/s')],
      ceiling: ['qos1']
    },
    {
      name: 'qos2',
      group: 'broker',
      kind: 'qos2',
      title: 'QoS 2 publish, 64 B, ≤1000 in flight',
      params: { count: q(100000, 5000), size: 64, window: 1000 },
      metrics: [M.rate('completed msg/s')],
      ceiling: ['qos2']
    },
    {
      // MQTT 5 must cost what 3.1.1 costs (no properties: nothing extra per message).
      name: 'qos0-v5',
      group: 'broker',
      kind: 'qos0',
      title: 'MQTT 5: QoS 0 pub → sub, 64 B (2 clients)',
      params: { count: q(300000, 20000), size: 64, window: 1000, protocolVersion: 5 },
      metrics: [M.rate('msg/s end to end'), M.cpu()]
    },
    {
      name: 'qos1-v5',
      group: 'broker',
      kind: 'qos1',
      title: 'MQTT 5: QoS 1 publish, 64 B, ≤1000 in flight',
      params: { count: q(200000, 10000), size: 64, window: 1000, protocolVersion: 5 },
      metrics: [M.rate('acked msg/s')]
    },
    {
      name: 'receive',
      group: 'broker',
      kind: 'receive',
      title: 'Receive only, QoS 0 64 B (raw flood publisher)',
      params: { count: q(300000, 20000), size: 64 },
      metrics: [M.rate('received msg/s'), M.cpu()],
      ceiling: ['receive']
    },
    {
      name: 'latency',
      group: 'broker',
      kind: 'latency',
      title: 'Round trip A → B → A, QoS 0',
      params: { count: q(5000, 1000), warmup: q(200, 50), size: 64 },
      metrics: LATENCY_METRICS
    },
    {
      // Client process and broker share one CPU (`taskset -c 0`): a container
      // limited to one CPU, or a small gateway. Every thread hop is a context switch.
      name: 'latency-pinned',
      group: 'broker',
      kind: 'latency',
      title: 'Round trip A → B → A, QoS 0, client and broker on CPU 0',
      params: { count: q(5000, 1000), warmup: q(200, 50), size: 64 },
      pinCpu: '0',
      metrics: LATENCY_METRICS
    },
    {
      name: 'large',
      group: 'broker',
      kind: 'large',
      title: '1 MiB payloads, QoS 1, window 10 (pub + sub)',
      params: { count: q(500, 20), size: MIB, window: 10 },
      metrics: [M.mibps()],
      ceiling: ['large']
    },
    // The same through mosquitto's websockets listener (no ceiling: the raw client speaks TCP only).
    {
      name: 'ws-qos0',
      group: 'broker',
      kind: 'qos0',
      transport: 'ws',
      title: 'WebSocket: QoS 0 pub → sub, 64 B (2 clients)',
      params: { count: q(300000, 20000), size: 64, window: 1000 },
      metrics: [M.rate('msg/s end to end'), M.cpu()]
    },
    {
      name: 'ws-qos1',
      group: 'broker',
      kind: 'qos1',
      transport: 'ws',
      title: 'WebSocket: QoS 1 publish, 64 B, ≤1000 in flight',
      params: { count: q(200000, 10000), size: 64, window: 1000 },
      metrics: [M.rate('acked msg/s')]
    }
  ]
  for (const n of quick ? [100] : [500, 5000]) {
    list.push({
      name: `clients-${n}`,
      group: 'broker',
      kind: 'clients',
      title: `${n} clients in one process`,
      params: { count: n },
      metrics: [
        { key: 'connectMs', label: 'ms until all connected', better: 'lower', fmt: 'int' },
        { key: 'rssPerClientKiB', label: 'RSS KiB / client', better: 'lower', fmt: 'f1' }
      ]
    })
  }
  const memCount = q(1000000, 100000)
  const memEarly = q(200000, 20000)
  list.push({
    name: 'memory',
    group: 'broker',
    kind: 'memory',
    title: `RSS while receiving ${fmtCount(memCount)} QoS 0 msgs`,
    params: { count: memCount, early: memEarly, size: 64 },
    metrics: [
      { key: 'rssEarly', label: `RSS MiB after ${fmtCount(memEarly)}`, better: 'lower', fmt: 'f1' },
      { key: 'rssEnd', label: `RSS MiB after ${fmtCount(memCount)}`, better: 'lower', fmt: 'f1' },
      { key: 'growthPct', label: `RSS growth % ${fmtCount(memEarly)} → ${fmtCount(memCount)}`, better: 'lower', fmt: 'pct', noRatio: true }
    ]
  })
  for (const [size, tag] of [[64, '64'], [4 * KIB, '4k']]) {
    const big = size > 64
    list.push({
      name: `peer-recv-${tag}`,
      group: 'peer',
      kind: 'peer-recv',
      title: `Peer: QoS 0 receive, ${fmtSize(size)}`,
      params: { count: big ? q(300000, 10000) : q(2000000, 50000), size },
      metrics: [M.rate('received msg/s'), M.cpu()],
      ceiling: ['peer-recv']
    })
    list.push({
      name: `peer-pub0-${tag}`,
      group: 'peer',
      kind: 'peer-pub0',
      title: `Peer: QoS 0 publish, ${fmtSize(size)}`,
      params: { count: big ? q(300000, 10000) : q(2000000, 50000), size, window: 1000 },
      metrics: [M.rate('published msg/s'), M.cpu()],
      ceiling: ['peer-pub0']
    })
    list.push({
      name: `peer-pub1-${tag}`,
      group: 'peer',
      kind: 'peer-pub1',
      title: `Peer: QoS 1 publish, ${fmtSize(size)}, ≤1000 in flight`,
      params: { count: big ? q(300000, 10000) : q(1000000, 20000), size, window: 1000 },
      metrics: [M.rate('acked msg/s'), M.cpu()],
      ceiling: ['peer-pub1']
    })
  }
  return list
}

function selectScenarios (opts) {
  const all = scenarioList(opts.quick)
  if (!opts.only) return all
  const picked = all.filter((s) => opts.only.some((o) => s.name === o || s.group === o || s.name.startsWith(o)))
  if (picked.length === 0) usage(`--only ${opts.only.join(',')} matches no scenario`)
  return picked
}

// ------------------------------------------------------------ formatting --

function fmtCount (n) {
  if (n >= 1000000 && n % 1000000 === 0) return `${n / 1000000}M`
  if (n >= 1000 && n % 1000 === 0) return `${n / 1000}k`
  return String(n)
}

function fmtSize (n) {
  if (n >= MIB) return `${n / MIB} MiB`
  if (n >= KIB) return `${n / KIB} KiB`
  return `${n} B`
}

function fmtNum (v, fmt) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–'
  switch (fmt) {
    case 'int': return Math.round(v).toLocaleString('en-US')
    case 'f1': return v.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
    case 'f3': return v.toFixed(3)
    case 'pct': return `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`
    default: return String(v)
  }
}

function median (values) {
  if (values.length === 0) return null
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// --------------------------------------------------------------- processes --

const children = new Set() // process-group leaders we started

function track (child) {
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

function killGroup (child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch (e) {
    try { child.kill(signal) } catch (e2) {}
  }
}

const tempDirs = new Set()

function killAll () {
  for (const child of children) killGroup(child)
  children.clear()
  for (const dir of tempDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }) } catch (e) {}
  }
  tempDirs.clear()
}

process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping all benchmark processes`)
    killAll()
    process.exit(130)
  })
}

function freePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function waitForPort (port, ms, isDead) {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const dead = isDead()
      if (dead) return reject(new Error(dead))
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve() })
      s.once('error', () => {
        s.destroy()
        if (Date.now() > deadline) reject(new Error(`nothing listens on port ${port} after ${ms} ms`))
        else setTimeout(attempt, 50)
      })
    }
    attempt()
  })
}

function findMosquitto () {
  const dirs = (process.env.PATH || '').split(':').concat(['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/local/bin', '/usr/bin'])
  for (const d of dirs) {
    const p = path.join(d, 'mosquitto')
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return p
    } catch (e) {}
  }
  return null
}

async function startBroker (bin) {
  const port = await freePort()
  const wsPort = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-bench-broker-'))
  tempDirs.add(dir)
  const conf = path.join(dir, 'mosquitto.conf')
  // Limits off: QoS 0 messages to a connected client are dropped once
  // max_queued_messages (default 1000) packets wait for it, and QoS 1/2 are
  // limited to max_inflight_messages (default 20) in flight.
  fs.writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'max_inflight_messages 0',
    'max_inflight_bytes 0',
    'max_queued_messages 0',
    'max_queued_bytes 0',
    'max_connections -1',
    'message_size_limit 0',
    'set_tcp_nodelay true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    // MQTT over WebSocket for the ws-* scenarios (the limits above are global).
    `listener ${wsPort} 127.0.0.1`,
    'protocol websockets',
    ''
  ].join('\n'))
  const child = track(spawn('bash', ['-c', `${FD_LIMIT}; exec "$@"`, 'bash', bin, '-c', conf], {
    detached: true, stdio: ['ignore', 'ignore', 'pipe']
  }))
  let log = ''
  child.stderr.on('data', (d) => { log = (log + d).slice(-4000) })
  await waitForPort(port, 5000, () => (child.exitCode !== null ? `mosquitto exited with ${child.exitCode}: ${log.trim()}` : null))
  await waitForPort(wsPort, 5000, () => (child.exitCode !== null ? `mosquitto exited with ${child.exitCode}: ${log.trim()}` : null))
  return { port, wsPort, child, dir, log: () => log }
}

async function startPeer () {
  const child = track(spawn(RAW_BIN, ['peer', '--port', '0'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }))
  let err = ''
  child.stderr.on('data', (d) => { err = (err + d).slice(-4000) })
  const port = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('the peer did not report its port')), 5000)
    child.stdout.on('data', (d) => {
      out += d
      const m = /LISTENING (\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.on('exit', (code) => reject(new Error(`the peer exited with ${code}: ${err}`)))
  })
  return { port, child, log: () => err }
}

/** Moves every thread of process `pid` to the CPUs in `cpus` (taskset syntax). */
function pinProcess (pid, cpus) {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' })
  if (r.error || r.status !== 0) {
    console.error(`error: taskset -a -p -c ${cpus} ${pid} failed (${r.error ? r.error.message : r.stderr.trim()}); is util-linux installed?`)
    process.exit(1)
  }
}

/** Runs a command in its own process group; resolves with the last JSON line it printed. */
function runJson (cmd, args, { timeoutMs, prefix = '', what }) {
  return new Promise((resolve) => {
    const t0 = Date.now()
    const child = track(spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT }))
    let out = ''
    let err = ''
    let timedOut = false
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { err = (err + d).slice(-8000) })
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, timeoutMs)
    child.on('error', (e) => { err += String(e) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const wall = (Date.now() - t0) / 1000
      const lines = out.split('\n').filter((l) => l.trim() && l.startsWith(prefix))
      let result = null
      if (lines.length) {
        try { result = JSON.parse(lines[lines.length - 1].slice(prefix.length)) } catch (e) {}
      }
      if (timedOut) {
        result = { ok: false, error: `${what}: killed after the ${timeoutMs / 1000} s timeout${err.trim() ? ` (stderr: ${tail(err)})` : ''}` }
      } else if (!result) {
        result = { ok: false, error: `${what}: exited with ${signal || code} without a result${err.trim() ? `: ${tail(err)}` : ''}` }
      } else if (!result.ok && err.trim()) {
        result.stderr = tail(err)
      }
      result.wallSecs = wall
      resolve(result)
    })
  })
}

function tail (s, n = 600) {
  s = s.trim()
  return s.length > n ? '…' + s.slice(-n) : s
}

// ------------------------------------------------------------------- build --

function buildRaw () {
  process.stderr.write('building benchmark/rust (cargo build --release) … ')
  const r = spawnSync('cargo', ['build', '--release', '--quiet', '--manifest-path', path.join(RUST_DIR, 'Cargo.toml')], { stdio: ['ignore', 'inherit', 'inherit'] })
  if (r.error || r.status !== 0) {
    console.error(`\nerror: building the raw Rust bench client failed (${r.error ? r.error.message : `exit ${r.status}`}); is cargo installed?`)
    process.exit(1)
  }
  process.stderr.write('ok\n')
}

function mosquittoVersion (bin) {
  if (!bin) return 'not installed'
  const r = spawnSync(bin, ['-h'], { encoding: 'utf8' })
  const m = /mosquitto version (\S+)/.exec((r.stdout || '') + (r.stderr || ''))
  return m ? m[1] : 'unknown'
}

function packageVersion (name) {
  try {
    return require(path.join(ROOT, 'node_modules', name, 'package.json')).version
  } catch (e) {
    return 'unknown'
  }
}

// --------------------------------------------------------------------- main --

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const scenarios = selectScenarios(opts)
  const impls = opts.impl ? [opts.impl] : ['mqtt', 'napi']
  const tStart = Date.now()

  const needBroker = scenarios.some((s) => s.group === 'broker')
  const needPeer = scenarios.some((s) => s.group === 'peer')
  const mosquittoBin = findMosquitto()
  if (needBroker && !mosquittoBin) {
    console.error('error: mosquitto not found (looked in PATH and /usr/sbin). Install it (e.g. `apt-get install mosquitto`),\n' +
      'or run only the broker-less scenarios: node benchmark/run.js --only peer')
    process.exit(1)
  }
  if (impls.includes('napi') && !fs.readdirSync(path.join(ROOT, 'lib')).some((f) => f.endsWith('.node'))) {
    console.error('error: the mqtt-napi native addon is not built (no lib/*.node): run `npm run build` first')
    process.exit(1)
  }
  buildRaw()

  const broker = needBroker ? await startBroker(mosquittoBin) : null
  const peer = needPeer ? await startPeer() : null
  const machine = {
    cpu: os.cpus()[0] ? os.cpus()[0].model : 'unknown',
    cores: os.cpus().length,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    mosquitto: mosquittoVersion(mosquittoBin),
    mqttjs: packageVersion('mqtt'),
    date: new Date().toISOString()
  }
  console.error(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}, mosquitto ${machine.mosquitto}` +
    `${broker ? ` (port ${broker.port})` : ''}${peer ? `, peer on port ${peer.port}` : ''}; ` +
    `${opts.runs} run(s)${opts.quick ? ', quick' : ''}`)

  const results = []
  for (const [si, sc] of scenarios.entries()) {
    const target = sc.group === 'broker' ? broker : peer
    const entry = { name: sc.name, title: sc.title, group: sc.group, params: sc.params, runs: { mqtt: [], napi: [], ceiling: [] } }
    results.push(entry)
    if (sc.pinCpu) pinProcess(target.child.pid, sc.pinCpu)
    const pinned = sc.pinCpu ? `exec taskset -c ${sc.pinCpu} "$@"` : 'exec "$@"'
    for (let run = 0; run < opts.runs; run++) {
      // Alternate which implementation goes first.
      const order = (si + run) % 2 === 0 ? impls : [...impls].reverse()
      for (const impl of order) {
        const cfg = {
          impl,
          kind: sc.kind,
          url: sc.transport === 'ws' ? `ws://127.0.0.1:${target.wsPort}` : `mqtt://127.0.0.1:${target.port}`,
          port: target.port,
          rawBin: RAW_BIN,
          params: sc.params,
          timeoutMs: Math.max(opts.timeoutMs - 2000, opts.timeoutMs * 0.9),
          stallMs: opts.quick ? 8000 : 15000
        }
        const r = await runJson('bash', ['-c', `${FD_LIMIT}; ${pinned}`, 'bash', process.execPath, '--expose-gc', WORKER, JSON.stringify(cfg)],
          { timeoutMs: opts.timeoutMs, prefix: 'RESULT ', what: `${IMPLS[impl]} worker` })
        entry.runs[impl].push(r)
        logRun(sc, run, opts.runs, IMPLS[impl], r)
      }
      if (opts.ceiling && sc.ceiling) {
        const [kind] = sc.ceiling
        const p = sc.params
        const args = ['ceiling', kind, '--port', String(target.port), '--count', String(p.count), '--size', String(p.size)]
        if (p.window) args.push('--window', String(p.window))
        const r = await runJson(RAW_BIN, args, { timeoutMs: opts.timeoutMs, what: 'raw Rust client' })
        entry.runs.ceiling.push(r)
        logRun(sc, run, opts.runs, 'ceiling', r)
      }
    }
    if (sc.pinCpu) pinProcess(target.child.pid, `0-${os.cpus().length - 1}`)
    if (broker && broker.child.exitCode !== null) {
      console.error(`error: mosquitto died: ${broker.log()}`)
      break
    }
  }

  const duration = (Date.now() - tStart) / 1000
  const table = buildTable(scenarios, results, impls)
  const failures = collectFailures(results)
  const warnings = collectWarnings(results)
  const md = renderMarkdown(machine, opts, table, failures, warnings, duration)
  console.log('\n' + md)

  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), JSON.stringify({ machine, options: { quick: opts.quick, runs: opts.runs, only: opts.only, impl: opts.impl }, durationSecs: duration, results, table }, null, 2) + '\n')
  fs.writeFileSync(path.join(RESULTS_DIR, 'latest.md'), md)
  console.error(`wrote ${path.relative(ROOT, path.join(RESULTS_DIR, 'latest.md'))} and latest.json (${duration.toFixed(0)} s)`)

  killAll()
  process.exitCode = failures.length ? 1 : 0
}

function logRun (sc, run, runs, who, r) {
  const what = r.ok
    ? sc.metrics.map((m) => (r.metrics && m.key in r.metrics ? `${fmtNum(r.metrics[m.key], m.fmt)} ${m.label}` : null)).filter(Boolean).join(', ')
    : `FAILED: ${r.error}`
  console.error(`[${sc.name}] run ${run + 1}/${runs} ${who.padEnd(9)} ${what} (${r.wallSecs.toFixed(1)} s)`)
}

function buildTable (scenarios, results, impls) {
  const rows = []
  for (const sc of scenarios) {
    const entry = results.find((e) => e.name === sc.name)
    if (!entry) continue
    for (const m of sc.metrics) {
      const row = { scenario: sc.name, title: sc.title, metric: m.label, key: m.key, better: m.better, fmt: m.fmt, noRatio: !!m.noRatio }
      for (const who of ['mqtt', 'napi', 'ceiling']) {
        const runs = entry.runs[who]
        const ok = runs.filter((r) => r.ok && r.metrics && typeof r.metrics[m.key] === 'number')
        const failed = runs.filter((r) => !r.ok)
        row[who] = {
          median: ok.length ? median(ok.map((r) => r.metrics[m.key])) : null,
          values: ok.map((r) => r.metrics[m.key]),
          runs: runs.length,
          failed: failed.length,
          error: failed.length ? failed[0].error : null
        }
      }
      const a = row.mqtt.median
      const b = row.napi.median
      row.ratio = !row.noRatio && !row.mqtt.failed && !row.napi.failed && a && b !== null ? b / a : null
      rows.push(row)
    }
  }
  return rows
}

function cell (c, fmt) {
  if (!c || c.runs === 0) return '–'
  if (c.failed) {
    const msg = c.error.length > 90 ? c.error.slice(0, 90) + '…' : c.error
    return `**FAIL** ${c.failed}/${c.runs}: ${msg.replace(/\|/g, '\\|').replace(/\n/g, ' ')}`
  }
  return fmtNum(c.median, fmt)
}

function renderMarkdown (machine, opts, table, failures, warnings, duration) {
  const lines = []
  lines.push(`# mqtt-napi benchmark${opts.quick ? ' (quick: smoke test, numbers not meaningful)' : ''}`)
  lines.push('')
  lines.push(`${machine.date} · ${machine.cpu} · ${machine.cores} cores · ${machine.memGiB} GiB · ${machine.platform} · node ${machine.node} · mosquitto ${machine.mosquitto} · MQTT.js ${machine.mqttjs} · ${opts.runs} run(s) per cell, median · ${duration.toFixed(0)} s`)
  lines.push('')
  lines.push('ratio = mqtt-napi / mqtt (↑ higher is better, ↓ lower is better). ceiling = raw Rust MQTT client on the same broker/peer; % of ceiling is given as mqtt / mqtt-napi.')
  lines.push('')
  lines.push('| scenario | metric | mqtt | mqtt-napi | ratio | ceiling | % of ceiling (mqtt / napi) |')
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |')
  let last = null
  for (const r of table) {
    const arrow = r.better === 'higher' ? '↑' : '↓'
    const name = r.scenario === last ? '' : `**${r.scenario}** ${r.title}`
    last = r.scenario
    const ratio = r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×`
    const ceil = r.ceiling.runs ? cell(r.ceiling, r.fmt) : '–'
    let pct = '–'
    if (r.better === 'higher' && r.ceiling.median) {
      const p = (c) => (c.median !== null && !c.failed ? `${(c.median / r.ceiling.median * 100).toFixed(0)} %` : '–')
      pct = `${p(r.mqtt)} / ${p(r.napi)}`
    }
    lines.push(`| ${name} | ${r.metric} ${arrow} | ${cell(r.mqtt, r.fmt)} | ${cell(r.napi, r.fmt)} | ${ratio} | ${ceil} | ${pct} |`)
  }
  lines.push('')
  if (failures.length) {
    lines.push('## Failures')
    lines.push('')
    for (const f of failures) lines.push(`- ${f}`)
    lines.push('')
  }
  if (warnings.length) {
    lines.push('## Warnings')
    lines.push('')
    for (const w of warnings) lines.push(`- ${w}`)
    lines.push('')
  }
  return lines.join('\n')
}

function collectFailures (results) {
  const out = []
  for (const e of results) {
    for (const who of ['mqtt', 'napi', 'ceiling']) {
      e.runs[who].forEach((r, i) => {
        if (!r.ok) out.push(`${e.name} · ${who === 'ceiling' ? 'ceiling (raw Rust)' : IMPLS[who]} · run ${i + 1}: ${r.error}${r.stderr ? ` — stderr: ${r.stderr}` : ''}`)
      })
    }
  }
  return out
}

function collectWarnings (results) {
  const out = []
  for (const e of results) {
    for (const who of ['mqtt', 'napi']) {
      e.runs[who].forEach((r, i) => {
        for (const w of r.warnings || []) out.push(`${e.name} · ${IMPLS[who]} · run ${i + 1}: ${w}`)
      })
    }
  }
  return out
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err)
  killAll()
  process.exit(1)
})
