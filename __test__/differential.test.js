'use strict'
// Differential suite: the same scripted scenario against MQTT.js and against the
// implementation under test; the normalized traces (client events and callbacks in
// order, and the packets the broker received) must be equal. With MQTT_IMPL=mqtt both
// sides are MQTT.js, which checks that the scenarios themselves are deterministic.
// Deliberate divergences (DUP on resend, malformed-input handling, JSON options, TLS
// error count) are not exercised here; see the topic files.
const path = require('node:path')
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { getFreePort } = require('./helpers/brokers')
const { withTimeout, delay } = require('./helpers/events')
const { isNapi } = require('./helpers/impl')

afterEach(cleanupAll)

const reference = require('mqtt')
const underTest = isNapi ? require(path.resolve(__dirname, '..')) : require('mqtt')

const EVENTS = ['connect', 'reconnect', 'close', 'offline', 'error', 'end', 'message']

const errInfo = (e) => (e ? { message: e.message, code: e.code === undefined ? null : e.code } : null)

function normEvent (name, args) {
  switch (name) {
    case 'connect': return [name, { cmd: args[0].cmd, returnCode: args[0].returnCode, sessionPresent: args[0].sessionPresent }]
    case 'error': return [name, errInfo(args[0])]
    case 'message': {
      const [topic, payload, p] = args
      return [name, topic, payload.toString(), { cmd: p.cmd, topic: p.topic, qos: p.qos, retain: p.retain, dup: p.dup, hasId: p.messageId !== undefined }]
    }
    default: return [name]
  }
}

function normWire (p) {
  const out = { cmd: p.cmd, conn: p.conn }
  for (const k of ['topic', 'qos', 'retain', 'dup', 'clean', 'keepalive', 'protocolId', 'protocolVersion', 'username', 'subscriptions', 'unsubscriptions']) {
    if (p[k] !== undefined && p[k] !== null) out[k] = p[k]
  }
  if (p.cmd === 'publish') out.payload = p.payload.toString()
  if (p.password) out.password = Buffer.from(p.password).toString()
  if (p.will) out.will = { ...p.will, payload: Buffer.from(p.will.payload).toString() }
  return out
}

// Run `script(ctx)` with a fresh raw broker and a client of `lib`; returns the traces.
async function trace (lib, { behavior, url, options }, script) {
  const rb = track(await startRawBroker(behavior))
  const t = []
  const client = track(lib.connect(url ? url(rb) : rb.url, options))
  for (const name of EVENTS) client.on(name, (...args) => t.push(normEvent(name, args)))
  const step = (name, fn) => withTimeout(new Promise((resolve) => fn((...args) => {
    t.push([name + ' callback', ...args.slice(0, 2).map((a, i) => (i === 0 ? errInfo(a) : a))])
    resolve(args)
  })), 10000, name)
  const until = (pred) => withTimeout((async () => { while (!pred(t)) await delay(10) })(), 10000, 'scenario condition')
  const count = (name) => t.filter((e) => e[0] === name).length
  await script({ client, rb, step, until, count })
  await delay(50)
  // snapshot: cleanup adds more events ('end') later
  return { events: t.slice(), wire: rb.packets.map(normWire) }
}

async function compare (scenario, script) {
  const ref = await trace(reference, scenario, script)
  await cleanupAll()
  const ours = await trace(underTest, scenario, script)
  expect(ours.events).toEqual(ref.events)
  expect(ours.wire).toEqual(ref.wire)
  return ref
}

test('subscribe, publish QoS 0/1/2 both ways, unsubscribe, end', async () => {
  const ref = await compare({ options: { clientId: 'diff1', keepalive: 0, username: 'u', password: 'p' }, behavior: { pubrel: false } }, async ({ client, rb, step, until, count }) => {
    await until(() => count('connect') === 1)
    await step('subscribe', (cb) => client.subscribe({ 'd/in': { qos: 2 }, 'd/zero': { qos: 0 } }, cb))
    for (const qos of [0, 1, 2]) {
      await step('publish' + qos, (cb) => client.publish('d/out', 'out' + qos, { qos, retain: qos === 1 }, (err) => cb(err)))
    }
    const conn = rb.connections[0]
    conn.send({ cmd: 'publish', topic: 'd/in', payload: Buffer.from('in0'), qos: 0, retain: false, dup: false })
    await until(() => count('message') === 1)
    conn.send({ cmd: 'publish', topic: 'd/in', payload: Buffer.from('in1'), qos: 1, messageId: 11, retain: true, dup: false })
    await until(() => count('message') === 2)
    conn.send({ cmd: 'publish', topic: 'd/in', payload: Buffer.from('in2'), qos: 2, messageId: 12, retain: false, dup: false })
    await rb.waitForPacket('pubrec')
    conn.send({ cmd: 'pubrel', messageId: 12 })
    await until(() => count('message') === 3)
    await rb.waitForPacket('pubcomp')
    await step('unsubscribe', (cb) => client.unsubscribe(['d/in', 'd/zero'], (err) => cb(err)))
    await step('end', (cb) => client.end((err) => cb(err)))
    await rb.waitForPacket('disconnect')
  })
  // sanity: the scenario did what it says
  expect(ref.events.filter((e) => e[0] === 'message')).toHaveLength(3)
  expect(ref.wire.map((p) => p.cmd)).toEqual(['connect', 'subscribe', 'publish', 'publish', 'publish', 'pubrel', 'puback', 'pubrec', 'pubcomp', 'unsubscribe', 'disconnect'])
})

test('refused CONNACK (5)', async () => {
  await compare({ behavior: { connack: { returnCode: 5 } }, options: { reconnectPeriod: 100 } }, async ({ until, count }) => {
    await until(() => count('close') === 1)
    await delay(500)
  })
})

test('connack timeout twice', async () => {
  await compare({ behavior: { connack: null }, options: { connectTimeout: 300, reconnectPeriod: 100 } }, async ({ until, count }) => {
    await until(() => count('close') === 2)
  })
})

test('broker drops the connection: reconnect', async () => {
  await compare({ options: { reconnectPeriod: 100, clientId: 'diff-drop' } }, async ({ rb, until, count }) => {
    await until(() => count('connect') === 1)
    rb.connections[0].destroy()
    await until(() => count('connect') === 2)
  })
})

test('keepalive timeout', async () => {
  await compare({ behavior: { pingresp: false }, options: { keepalive: 1, reconnectPeriod: 100, clientId: 'diff-ka' } }, async ({ until, count }) => {
    await until(() => count('connect') === 2)
  })
})

test('connection refused by the OS, then end()', async () => {
  const port = await getFreePort()
  await compare({ url: () => `mqtt://127.0.0.1:${port}`, options: { reconnectPeriod: 100 } }, async ({ client, until, count, step }) => {
    await until(() => count('reconnect') === 2 && count('close') === 3)
    await step('end', (cb) => client.end((err) => cb(err)))
  })
})

test('resubscribe after reconnect (clean session)', async () => {
  await compare({ options: { reconnectPeriod: 100, clientId: 'diff-rs' } }, async ({ client, rb, step, until, count }) => {
    await until(() => count('connect') === 1)
    await step('subscribe', (cb) => client.subscribe(['r/a', 'r/b'], { qos: 1 }, cb))
    rb.connections[0].destroy()
    await until(() => count('connect') === 2)
    await rb.waitForPacket((p) => p.cmd === 'subscribe' && p.conn === 1)
  })
})
