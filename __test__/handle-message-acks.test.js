'use strict'
// When an application overrides handleMessage, an inbound QoS 1/2 message is
// acknowledged only once handleMessage calls back (as MQTT.js): PUBACK for
// QoS 1, PUBCOMP for QoS 2 (PUBREC still goes on receipt; the message is
// delivered on PUBREL). A process that dies while handling gets the message
// again after a restart with `clean: false`. Without an override the engine
// acknowledges on receipt, with no round trip through JS.
const { spawn } = require('node:child_process')
const path = require('node:path')
const { cleanupAll, track } = require('./helpers/cleanup')
const { startRawBroker } = require('./helpers/rawBroker')
const { startThreadBroker } = require('./helpers/threadBroker')
const { startMosquitto, describeMosquitto } = require('./helpers/brokers')
const { withTimeout, waitUntil, delay } = require('./helpers/events')
const { mqtt, isNapi, testNapi } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const HANDLING_MS = 300

/** handleMessage that calls back HANDLING_MS later; `handled` gets each message's callback time. */
function slowHandler (handled) {
  return (packet, callback) => setTimeout(() => {
    handled.push({ messageId: packet.messageId, at: Date.now() })
    callback()
  }, HANDLING_MS)
}

test('QoS 1: the PUBACK is sent after handleMessage calls back, not on receipt', async () => {
  const broker = track(await startRawBroker())
  const [client] = await h.connected(broker.url, { reconnectPeriod: 0 })
  const handled = []
  client.handleMessage = slowHandler(handled)
  const sentAt = Date.now()
  broker.connections[0].send({ cmd: 'publish', topic: 'ack/q1', payload: 'x', qos: 1, messageId: 11, retain: false, dup: false })
  const puback = await broker.waitForPacket('puback')
  expect(puback.messageId).toBe(11)
  expect(handled).toHaveLength(1)
  expect(puback.at).toBeGreaterThanOrEqual(handled[0].at)
  expect(puback.at - sentAt).toBeGreaterThanOrEqual(HANDLING_MS - 50)
})

test('QoS 2: PUBREC on receipt, PUBCOMP after handleMessage calls back', async () => {
  const broker = track(await startRawBroker({ pubrel: false }))
  const [client] = await h.connected(broker.url, { reconnectPeriod: 0 })
  const handled = []
  client.handleMessage = slowHandler(handled)
  const conn = broker.connections[0]
  conn.send({ cmd: 'publish', topic: 'ack/q2', payload: 'x', qos: 2, messageId: 12, retain: false, dup: false })
  const pubrec = await broker.waitForPacket('pubrec')
  expect(pubrec.messageId).toBe(12)
  expect(handled).toHaveLength(0)
  const releasedAt = Date.now()
  conn.send({ cmd: 'pubrel', messageId: 12 })
  const pubcomp = await broker.waitForPacket('pubcomp')
  expect(pubcomp.messageId).toBe(12)
  expect(handled).toHaveLength(1)
  expect(pubcomp.at).toBeGreaterThanOrEqual(handled[0].at)
  expect(pubcomp.at - releasedAt).toBeGreaterThanOrEqual(HANDLING_MS - 50)
})

testNapi('a subclass overriding handleMessage holds the ack of the first message, and the next waits', async () => {
  const broker = track(await startRawBroker())
  const handled = []
  const handler = slowHandler(handled)
  class HoldingClient extends mqtt.MqttClient {
    handleMessage (packet, callback) { handler(packet, callback) }
  }
  const client = track(new HoldingClient(null, { host: '127.0.0.1', port: broker.port, protocol: 'mqtt', reconnectPeriod: 0 }))
  await withTimeout(new Promise((resolve) => client.once('connect', resolve)), 10000, 'connect')
  for (const messageId of [21, 22]) broker.connections[0].send({ cmd: 'publish', topic: 'ack/sub', payload: 'x', qos: 1, messageId, retain: false, dup: false })
  await waitUntil(() => broker.received('puback').length === 2, { timeout: 10000, label: 'two PUBACKs' })
  const pubacks = broker.received('puback')
  expect(pubacks.map((p) => p.messageId)).toEqual([21, 22])
  expect(handled.map((m) => m.messageId)).toEqual([21, 22])
  pubacks.forEach((puback, i) => expect(puback.at).toBeGreaterThanOrEqual(handled[i].at))
})

test('handleMessage calling back with an error: the message is not acknowledged', async () => {
  const broker = track(await startRawBroker())
  const [client] = await h.connected(broker.url, { reconnectPeriod: 0 })
  const errors = []
  client.on('error', (err) => errors.push(err.message))
  client.handleMessage = (packet, callback) => setTimeout(() => callback(new Error('handler failed')), 20)
  broker.connections[0].send({ cmd: 'publish', topic: 'ack/err', payload: 'x', qos: 1, messageId: 13, retain: false, dup: false })
  await delay(400)
  expect(broker.received('puback')).toEqual([])
  // MQTT.js loses the error; mqtt-napi emits it (README: divergences).
  expect(errors).toEqual(isNapi ? ['handler failed'] : [])
})

testNapi('a reconnect while handleMessage holds a message: its late ack is not sent on the new connection; the redelivery is acknowledged once', async () => {
  const message = { cmd: 'publish', topic: 'ack/again', payload: 'x', qos: 1, messageId: 5, retain: false }
  const broker = track(await startRawBroker({
    // The second connection resumes the session: the broker sends the unacknowledged message again.
    connack: (packet, conn) => {
      if (conn.index === 1) setImmediate(() => conn.send({ ...message, dup: true }))
      return { sessionPresent: conn.index > 0 }
    }
  }))
  const [client] = await h.connected(broker.url, { clientId: h.clientId('again'), clean: false, reconnectPeriod: 100 })
  const started = []
  const handled = []
  client.handleMessage = (packet, callback) => {
    started.push(packet.dup)
    setTimeout(() => {
      handled.push({ dup: packet.dup, at: Date.now() })
      callback()
    }, HANDLING_MS)
  }
  broker.connections[0].send({ ...message, dup: false })
  await waitUntil(() => started.length === 1, { timeout: 5000, label: 'handleMessage' })
  client.reconnect()
  await waitUntil(() => handled.length === 2, { timeout: 10000, label: 'the redelivered copy handled' })
  await delay(200)
  expect(handled.map((m) => m.dup)).toEqual([false, true])
  const pubacks = broker.received('puback')
  expect(pubacks.map((p) => [p.conn, p.messageId])).toEqual([[1, 5]])
  expect(pubacks[0].at).toBeGreaterThanOrEqual(handled[1].at)
})

testNapi('without a handleMessage override, the engine acknowledges on receipt while JS is still busy', async () => {
  // The broker runs in a worker thread, so it records the PUBACK while this thread is blocked.
  const broker = track(await startThreadBroker())
  const [client] = await h.connected(broker.url, { reconnectPeriod: 0 })
  let listenerDoneAt = 0
  const received = new Promise((resolve) => client.once('message', () => {
    const until = Date.now() + HANDLING_MS
    while (Date.now() < until) { /* busy: the JS thread cannot send anything */ }
    listenerDoneAt = Date.now()
    resolve()
  }))
  await broker.publish({ topic: 'ack/fast', payload: 'x', qos: 1, messageId: 14 })
  await withTimeout(received, 10000, 'message')
  await waitUntil(async () => (await broker.packets()).some((p) => p.cmd === 'puback'), { timeout: 5000, label: 'PUBACK' })
  const puback = (await broker.packets()).find((p) => p.cmd === 'puback')
  expect(puback.messageId).toBe(14)
  expect(puback.at).toBeLessThan(listenerDoneAt - HANDLING_MS / 2)
})

// ---- a crash inside handleMessage -------------------------------------------

const IMPL_PATH = isNapi ? path.resolve(__dirname, '..') : require.resolve('mqtt')

/**
 * A subscriber process with a fixed clientId and `clean: false`. It prints
 * `subscribed` once subscribed (SUBSCRIBE=1), `received <payload>` for each
 * message its handleMessage gets, then dies there (CRASH=1: SIGKILL before
 * calling back) or calls back and ends after QUIET_MS without messages.
 */
const SUBSCRIBER = `
const mqtt = require(process.env.IMPL_PATH)
const client = mqtt.connect(process.env.URL, { clientId: process.env.CLIENT_ID, clean: false, reconnectPeriod: 0 })
let quiet = null
const endWhenQuiet = () => {
  clearTimeout(quiet)
  quiet = setTimeout(() => client.end(() => console.log('ended')), Number(process.env.QUIET_MS))
}
client.handleMessage = (packet, callback) => {
  console.log('received ' + packet.payload.toString() + (packet.dup ? ' dup' : ''))
  if (process.env.CRASH === '1') process.kill(process.pid, 'SIGKILL')
  callback()
  endWhenQuiet()
}
client.on('error', (err) => console.log('error ' + err.message))
client.on('connect', () => {
  if (process.env.SUBSCRIBE === '1') client.subscribe(process.env.TOPIC, { qos: 1 }, (err) => console.log(err ? 'error ' + err.message : 'subscribed'))
  else endWhenQuiet()
})
`

function runSubscriber (env) {
  const child = spawn(process.execPath, ['-e', SUBSCRIBER], {
    env: { ...process.env, IMPL_PATH, QUIET_MS: '1500', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, output })))
  track({ close: async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited } } })
  return {
    output: () => output,
    exited: () => withTimeout(exited, 15000, `subscriber to exit; output so far: ${output}`)
  }
}

describeMosquitto('a crash inside handleMessage [mosquitto]', () => {
  test('the QoS 1 message comes again after a restart with clean: false, and is acknowledged then', async () => {
    const broker = track(await startMosquitto())
    const env = { URL: broker.url, CLIENT_ID: h.clientId('crash'), TOPIC: h.topic('crash') }

    const first = runSubscriber({ ...env, SUBSCRIBE: '1', CRASH: '1' })
    await waitUntil(() => first.output().includes('subscribed'), { timeout: 10000, label: `subscribed; output: ${first.output()}` })
    const [publisher] = await h.connected(broker.url)
    await h.publish(publisher, env.TOPIC, 'precious', { qos: 1 })
    const crashed = await first.exited()
    expect(crashed.signal).toBe('SIGKILL')
    expect(crashed.output).toContain('received precious')

    // The broker never got a PUBACK: it sends the message again to the same session.
    const second = await runSubscriber(env).exited()
    expect(second.output).toContain('received precious dup')
    expect(second.code).toBe(0)

    // Acknowledged this time: a third start gets nothing.
    const third = await runSubscriber(env).exited()
    expect(third.output).not.toContain('received')
    expect(third.output).toContain('ended')
  }, 40000)
})
