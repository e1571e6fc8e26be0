'use strict'
// Real brokers for the tests:
//   startAedes(opts)     aedes 1.x in a child process (ESM-only; jest cannot load it in-process)
//   startMosquitto(opts) the Debian mosquitto binary with a generated config
// Both listen on 127.0.0.1 on a random free port and return { name, port, url, close() }.
// `brokerMatrix` lists both for `describe.each`; mosquitto tests are skipped when the
// binary is missing, unless MQTT_NAPI_REQUIRE_MOSQUITTO=1 (then they fail loudly).
const { fork, spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { EventEmitter } = require('node:events')
const { waitUntil, withTimeout } = require('./events')

// ---------------------------------------------------------------- aedes

/**
 * @param {object} [opts]
 * @param {{username: string, password: string, returnCode?: number}} [opts.auth]
 *   require these credentials; otherwise CONNACK with returnCode (default 4)
 * @param {number} [opts.port] listen on this port (default: a random free port)
 * @param {{key, cert, ca?, requestCert?}} [opts.tls] PEM (string/Buffer): TLS-only listener;
 *   requestCert: true demands a client certificate signed by `ca` (mTLS)
 * @param {boolean} [opts.websocket] MQTT over WebSocket (`ws`, or `wss` with opts.tls); each
 *   upgrade request is reported as {event: 'wsUpgrade', url, headers, protocol}
 * @returns {Promise<{name, port, url, events, emitter, waitForEvent, clients, disconnectClient, publish, close}>}
 *   events: everything the broker reported, in order: {event:'auth'|'client'|'clientReady'|
 *   'clientDisconnect'|'subscribe'|'unsubscribe'|'publish', clientId, ...}
 */
async function startAedes (opts = {}) {
  if (opts.tls) {
    const pem = (v) => (v == null ? undefined : Buffer.from(v).toString())
    opts = { ...opts, tls: { key: pem(opts.tls.key), cert: pem(opts.tls.cert), ca: pem(opts.tls.ca), requestCert: !!opts.tls.requestCert } }
  }
  const child = fork(path.join(__dirname, 'aedes-server.mjs'), [], {
    env: { ...process.env, AEDES_TEST_OPTS: JSON.stringify(opts) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json'
  })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })

  const emitter = new EventEmitter()
  const events = []
  const pending = new Map()
  let nextId = 1
  let exited = false
  const exitPromise = new Promise((resolve) => child.once('exit', () => { exited = true; resolve() }))

  child.on('message', (msg) => {
    if (msg.reply) {
      const p = pending.get(msg.reply)
      if (!p) return
      pending.delete(msg.reply)
      if (msg.error) p.reject(new Error(msg.error))
      else p.resolve(msg.result)
      return
    }
    if (msg.event === 'auth' && msg.password != null) {
      msg.password = Buffer.from(msg.password, 'base64')
    }
    if (msg.event === 'publish' && msg.payload != null) {
      msg.payload = Buffer.from(msg.payload, 'base64')
    }
    events.push(msg)
    emitter.emit(msg.event, msg)
    emitter.emit('any', msg)
  })

  const call = (cmd, args = {}) => {
    if (exited) return Promise.reject(new Error('aedes child has exited'))
    const id = nextId++
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      child.send({ id, cmd, ...args })
    })
  }

  const ready = await withTimeout(new Promise((resolve, reject) => {
    emitter.once('ready', resolve)
    emitter.once('listenError', (e) => reject(Object.assign(new Error(`aedes listen: ${e.message}`), { code: e.code })))
    child.once('exit', (code) => reject(new Error(`aedes child exited with ${code}: ${output}`)))
  }), 10000, 'aedes to start')

  const port = ready.port
  return {
    name: 'aedes',
    port,
    url: opts.websocket ? `${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${port}` : `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    events,
    emitter,
    // resolve with the first reported event (already seen or future) matching pred
    waitForEvent (pred, timeout = 10000) {
      const found = events.find(pred)
      if (found) return Promise.resolve(found)
      return withTimeout(new Promise((resolve) => {
        const on = (msg) => { if (pred(msg)) { emitter.removeListener('any', on); resolve(msg) } }
        emitter.on('any', on)
      }), timeout, 'aedes event')
    },
    clients: () => call('clients'),
    // abruptly destroy the broker side of a client's TCP connection (no DISCONNECT)
    disconnectClient: (clientId) => call('disconnectClient', { clientId }),
    // (websocket) a close frame from the broker to a client
    closeWebSocket: (clientId, code = 1000) => call('closeWebSocket', { clientId, code }),
    publish: ({ topic, payload, qos = 0, retain = false }) =>
      call('publish', { topic, payload: Buffer.from(payload).toString('base64'), qos, retain }),
    output: () => output,
    async close () {
      if (exited) return
      await withTimeout(call('close'), 5000, 'aedes close').catch(() => {})
      if (!exited) child.kill('SIGKILL')
      await exitPromise
    }
  }
}

// ---------------------------------------------------------------- mosquitto

const MOSQUITTO_CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto']

// MQTT_NAPI_MOSQUITTO=/path/to/mosquitto overrides the search (an unusable path
// behaves as "not installed")
function findMosquitto () {
  if (process.env.MQTT_NAPI_MOSQUITTO) {
    try {
      fs.accessSync(process.env.MQTT_NAPI_MOSQUITTO, fs.constants.X_OK)
      return process.env.MQTT_NAPI_MOSQUITTO
    } catch (e) {
      return null
    }
  }
  for (const p of MOSQUITTO_CANDIDATES) {
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return p
    } catch (e) {}
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, 'mosquitto')
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return p
    } catch (e) {}
  }
  return null
}

const mosquittoPath = findMosquitto()
const requireMosquitto = process.env.MQTT_NAPI_REQUIRE_MOSQUITTO === '1'
const hasMosquitto = mosquittoPath !== null

function getFreePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function canConnect (port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => { s.destroy(); resolve(false) })
  })
}

/**
 * @param {object} [opts]
 * @param {{ca: string, cert: string, key: string, requireCertificate?: boolean}} [opts.tls]
 *   file paths; the listener is TLS-only when given
 * @param {number} [opts.maxInflightMessages] `max_inflight_messages`: also the Receive Maximum
 *   mosquitto announces in a v5 CONNACK
 * @param {number} [opts.maxPacketSize] `max_packet_size` (bytes, >= 20): the CONNACK's Maximum
 *   Packet Size; a larger packet from a client gets it disconnected
 * @param {number} [opts.maxKeepalive] `max_keepalive` (seconds, >= 10): a v5 client asking for
 *   more (or 0) gets this as the CONNACK's Server Keep Alive
 * @param {number} [opts.maxTopicAlias] `max_topic_alias` of the main listener: the CONNACK's
 *   Topic Alias Maximum (mosquitto's default is 10; 0 forbids aliases)
 * @param {string} [opts.extraConfig] appended to the generated config
 * @param {boolean|{cert: string, key: string}} [opts.websocket] also a `protocol websockets`
 *   listener (TLS with cert/key file paths); its port is `wsPort`, its URL `wsUrl`
 */
async function startMosquitto (opts = {}) {
  if (!mosquittoPath) {
    throw new Error('mosquitto binary not found (apt-get install mosquitto); ' +
      'it is required when MQTT_NAPI_REQUIRE_MOSQUITTO=1')
  }
  let lastErr
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startMosquittoOnce(opts)
    } catch (err) {
      lastErr = err // most likely a port race with another process; retry on a new port
    }
  }
  throw lastErr
}

async function startMosquittoOnce (opts) {
  const port = await getFreePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-mosq-'))
  // mosquitto started as root drops privileges to the `mosquitto` user
  fs.chmodSync(dir, 0o755)
  const lines = [
    `listener ${port} 127.0.0.1`,
    // per-listener settings must follow their `listener` line
    ...(opts.maxTopicAlias !== undefined ? [`max_topic_alias ${opts.maxTopicAlias}`] : []),
    'allow_anonymous true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information'
  ]
  if (opts.tls) {
    lines.push(`cafile ${opts.tls.ca}`, `certfile ${opts.tls.cert}`, `keyfile ${opts.tls.key}`)
    lines.push(`require_certificate ${opts.tls.requireCertificate ? 'true' : 'false'}`)
  }
  let wsPort
  if (opts.websocket) {
    // mosquitto refuses to start with a websockets listener only: the TCP one above stays.
    wsPort = await getFreePort()
    lines.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets')
    if (typeof opts.websocket === 'object') lines.push(`certfile ${opts.websocket.cert}`, `keyfile ${opts.websocket.key}`)
  }
  // global (MQTT 5 limits announced in CONNACK)
  if (opts.maxInflightMessages !== undefined) lines.push(`max_inflight_messages ${opts.maxInflightMessages}`)
  if (opts.maxPacketSize !== undefined) lines.push(`max_packet_size ${opts.maxPacketSize}`)
  if (opts.maxKeepalive !== undefined) lines.push(`max_keepalive ${opts.maxKeepalive}`)
  if (opts.extraConfig) lines.push(opts.extraConfig)
  const conf = path.join(dir, 'mosquitto.conf')
  fs.writeFileSync(conf, lines.join('\n') + '\n', { mode: 0o644 })

  const child = spawn(mosquittoPath, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  let exited = false
  const exitPromise = new Promise((resolve) => child.once('exit', () => { exited = true; resolve() }))
  child.once('error', (err) => { output += String(err) })

  const cleanupDir = () => fs.rmSync(dir, { recursive: true, force: true })
  try {
    await waitUntil(async () => {
      if (exited) throw new Error(`mosquitto exited early:\n${output}`)
      return (await canConnect(port)) && (wsPort === undefined || canConnect(wsPort))
    }, { timeout: 10000, interval: 25, label: `mosquitto on port ${port}` })
  } catch (err) {
    if (!exited) child.kill('SIGKILL')
    await exitPromise
    cleanupDir()
    throw err
  }

  const scheme = opts.tls ? 'mqtts' : 'mqtt'
  return {
    name: 'mosquitto',
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    wsPort,
    wsUrl: wsPort && `${typeof opts.websocket === 'object' ? 'wss' : 'ws'}://127.0.0.1:${wsPort}`,
    output: () => output,
    async close () {
      if (!exited) {
        child.kill('SIGTERM')
        const t = setTimeout(() => { if (!exited) child.kill('SIGKILL') }, 3000)
        await exitPromise
        clearTimeout(t)
      }
      cleanupDir()
    }
  }
}

// ---------------------------------------------------------------- matrix

// Broker-agnostic suites: describe.each(brokerMatrix)('%s', (name, start) => ...)
// A missing mosquitto makes its suite skip (see describeBroker) unless required.
const brokerMatrix = [
  ['aedes', startAedes],
  ['mosquitto', startMosquitto]
]

function brokerAvailable (name) {
  if (name !== 'mosquitto') return true
  return hasMosquitto || requireMosquitto // when required and missing, startMosquitto throws
}

// describe.each over brokerMatrix, skipping unavailable brokers
function describeEachBroker (title, fn) {
  for (const [name, start] of brokerMatrix) {
    const d = brokerAvailable(name) ? describe : describe.skip
    d(`${title} [${name}]`, () => fn(name, start))
  }
}

// describe, or describe.skip when mosquitto is unavailable (and not required)
function describeMosquitto (title, fn) {
  return (brokerAvailable('mosquitto') ? describe : describe.skip)(title, fn)
}

module.exports = {
  startAedes,
  startMosquitto,
  hasMosquitto,
  requireMosquitto,
  mosquittoPath,
  brokerMatrix,
  brokerAvailable,
  describeEachBroker,
  describeMosquitto,
  getFreePort,
  canConnect
}
