'use strict'
// Differential scenario runner: every scenario runs once against MQTT.js
// (devDependency `mqtt`) and once against mqtt-napi, each time with a fresh
// broker, and the two transcripts must be equal:
//   events  what the program saw, in order: client events, callback
//           arguments, values it noted (normalised: see normalize.js)
//   wire    the packets the broker received (PINGREQ left out: timing)
//
// A deliberate divergence is declared on the scenario, never skipped:
//   diverges: { because, expect (mqttjs, napi) }  asserts the exact difference
// or `napiExpected (mqttjsTranscript) -> transcript` for a mechanical one;
// either way the runner also checks that the two transcripts really differ,
// so a divergence that has gone away is reported, not hidden.
//
// Ids: MQTT.js starts packet ids at a random number; the runner starts its
// provider at 1, as the engine does, so ids compare directly.
//
// With MQTT_IMPL=mqtt (see helpers/impl.js) both runs use MQTT.js: the
// transcripts must then be equal for every scenario, divergences included,
// which checks that the scenarios themselves are deterministic.
const path = require('node:path')
const { startRawBroker } = require('../helpers/rawBroker')
const { startAedes } = require('../helpers/brokers')
const { withTimeout, delay } = require('../helpers/events')
const { normalize, normalizeWire, normalizeAedesEvent } = require('./normalize')
const { IMPL } = require('../helpers/impl')

const IMPLEMENTATIONS = {
  mqtt: require('mqtt'),
  napi: require(path.resolve(__dirname, '..', '..'))
}

const CLIENT_EVENTS = ['connect', 'message', 'error', 'close', 'end', 'reconnect', 'offline', 'outgoingEmpty', 'disconnect']
const PACKET_EVENTS = ['packetsend', 'packetreceive']
const RUN_TIMEOUT = 15000

/** Makes MQTT.js's packet ids start at 1 (the engine's first id) so transcripts compare. */
function deterministicIds (client) {
  const provider = client.messageIdProvider
  if (provider && provider.constructor && provider.constructor.name === 'DefaultMessageIdProvider') provider.nextId = 1
  return client
}

/** The implementation as scenarios use it: `connect` gives deterministic ids (MQTT.js). */
function moduleFor (impl) {
  const mod = IMPLEMENTATIONS[impl]
  if (impl !== 'mqtt') return mod
  return {
    ...mod,
    default: mod.default,
    connect: (...args) => deterministicIds(mod.connect(...args)),
    connectAsync: (...args) => mod.connectAsync(...args).then(deterministicIds)
  }
}

/** What one run of a scenario records, and the helpers scenarios drive it with. */
class Run {
  constructor (impl, broker) {
    this.impl = impl
    this.isNapi = impl === 'napi'
    this.mqtt = moduleFor(impl)
    this.broker = broker
    this.url = broker ? broker.url : null
    this.entries = []
    this.clients = []
    this._waiters = []
    this._labels = 0
  }

  /** Appends `[key, ...args]` to the transcript (arguments normalised at the end). */
  record (key, ...args) {
    if (this.closing) return
    this.entries.push({ key, args })
    for (const waiter of [...this._waiters]) waiter.check()
  }

  /** Records a value the scenario wants compared (return values, flags, ...). */
  note (key, value) {
    this.record(`note.${key}`, value)
  }

  /** A callback that records its arguments as `cb.<name>`. */
  cb (name) {
    return (...args) => this.record(`cb.${name}`, ...args)
  }

  /** Resolves once `key` (or an entry matching the predicate) has been recorded `count` times. */
  waitFor (key, count = 1, timeout = 10000) {
    const matches = typeof key === 'function' ? key : (entry) => entry.key === key
    return withTimeout(new Promise((resolve) => {
      const waiter = {
        check: () => {
          const found = this.entries.filter(matches)
          if (found.length < count) return
          this._waiters.splice(this._waiters.indexOf(waiter), 1)
          resolve(found[count - 1])
        }
      }
      this._waiters.push(waiter)
      waiter.check()
    }), timeout, `${typeof key === 'function' ? 'entry' : key} x${count}; transcript: [${this.entries.map((e) => e.key).join(', ')}]`)
  }

  /** Connects a client whose events are recorded as `c.<event>` (`c2`, `c3`... for later ones). */
  connect (...args) {
    return this.connectWith({}, ...args)
  }

  /** As `connect`, with `watch` = { label, packets: record packetsend/packetreceive too }. */
  connectWith (watch, ...args) {
    const label = watch.label || (this._labels++ === 0 ? 'c' : `c${this._labels}`)
    const client = this.mqtt.connect(...args)
    return this.watch(client, label, watch)
  }

  /** Connects and waits for the first `connect` event. */
  async connected (...args) {
    const client = this.connect(...args)
    await this.waitFor(`${client.$label}.connect`)
    return client
  }

  watch (client, label, { packets = false, events = CLIENT_EVENTS } = {}) {
    client.$label = label
    this.clients.push(client)
    for (const event of packets ? [...events, ...PACKET_EVENTS] : events) {
      client.on(event, (...args) => this.record(`${label}.${event}`, ...args))
    }
    return client
  }

  /** Ends `client` with `args` and waits for its callback (recorded as `cb.end`). */
  async end (client, ...args) {
    const done = new Promise((resolve) => client.end(...args, (...cbArgs) => {
      this.record(`cb.end.${client.$label}`, ...cbArgs)
      resolve()
    }))
    await withTimeout(done, 10000, 'end callback')
  }

  /** MQTT.js's client state flags, as a note. */
  state (client, key) {
    const { connected, reconnecting, disconnecting, disconnected } = client
    this.note(key, { connected, reconnecting, disconnecting, disconnected })
  }

  /** `client.options` as a note, the broker's random port written as `<port>`. */
  noteOptions (client, key = 'options') {
    const port = this.broker && this.broker.port
    const replacePort = (value) => (port !== undefined && value === port ? '<port>' : value)
    const copy = {}
    for (const [name, value] of Object.entries(client.options)) {
      if (name === 'servers' && Array.isArray(value)) copy[name] = value.map((s) => ({ ...s, port: replacePort(s.port) }))
      else copy[name] = replacePort(value)
    }
    this.note(key, copy)
  }

  /** Waits until the broker has received `count` packets of `cmd`. */
  async received (cmd, count = 1) {
    const matches = (p) => p.cmd === cmd
    for (let i = 0; i < 1000; i++) {
      if (this.broker.packets.filter(matches).length >= count) return
      await delay(10)
    }
    throw new Error(`broker did not receive ${count} ${cmd}; got [${this.broker.packets.map((p) => p.cmd)}]`)
  }

  sleep (ms) {
    return delay(ms)
  }

  transcript (wireFilter) {
    const events = this.entries.map(({ key, args }) => [key, ...normalize(args)])
    let wire = null
    if (this.broker && this.broker.packets) wire = normalizeWire(this.broker.packets)
    else if (this.broker && this.broker.events) wire = this.broker.events.filter((e) => e.event !== 'ready').map(normalizeAedesEvent)
    if (wire && wireFilter) wire = wireFilter(wire)
    return { events, wire }
  }

  /** Ends every client (unrecorded), lets the broker read what they sent, then closes it. */
  async close () {
    this.closing = true
    await Promise.all(this.clients.map((client) => withTimeout(new Promise((resolve) => {
      try {
        client.end(true, () => resolve())
      } catch (err) {
        resolve()
      }
    }), 5000, 'cleanup end').catch(() => {})))
    if (this.broker && this.broker.connections) {
      await Promise.all(this.broker.connections.map((conn) => withTimeout(conn.closed, 2000, 'connection close').catch(() => {})))
    }
    if (this.broker) await withTimeout(Promise.resolve(this.broker.close()), 10000, 'broker close').catch(() => {})
  }
}

async function startBroker (spec, impl) {
  if (spec === false) return null
  if (spec === 'aedes') return startAedes()
  const behavior = typeof spec === 'function' ? spec(impl) : (spec || {})
  return startRawBroker(behavior)
}

/** Runs `scenario` once against `impl` and returns its transcript. */
async function runOnce (scenario, impl) {
  const broker = await startBroker(scenario.broker, impl)
  const run = new Run(impl, broker)
  try {
    await withTimeout(Promise.resolve(scenario.run(run)), RUN_TIMEOUT, `scenario run (${impl})`)
    if (scenario.settle) await delay(scenario.settle)
  } finally {
    await run.close()
  }
  return run.transcript(scenario.wire)
}

/** Registers one jest test per scenario. */
function defineScenarios (scenarios) {
  const names = new Set()
  for (const scenario of scenarios) {
    if (names.has(scenario.name)) throw new Error(`duplicate scenario name: ${scenario.name}`)
    names.add(scenario.name)
    const title = scenario.diverges ? `${scenario.name} [divergence: ${scenario.diverges.because}]` : scenario.name
    test(title, async () => {
      const mqttjs = await runOnce(scenario, 'mqtt')
      const napi = await runOnce(scenario, IMPL)
      if (!scenario.diverges || IMPL === 'mqtt') {
        expect(napi).toEqual(mqttjs)
        return
      }
      expect(napi).not.toEqual(mqttjs)
      if (scenario.diverges.napiExpected) expect(napi).toEqual(scenario.diverges.napiExpected(structuredClone(mqttjs)))
      if (scenario.diverges.expect) scenario.diverges.expect(mqttjs, napi)
    })
  }
}

/** Entries of a transcript whose key starts with `prefix`. */
function entriesOf (transcript, prefix) {
  return transcript.events.filter(([key]) => key.startsWith(prefix))
}

module.exports = { defineScenarios: (list) => module.exports.register(list), register: defineScenarios, runOnce, entriesOf, IMPLEMENTATIONS, CLIENT_EVENTS }
