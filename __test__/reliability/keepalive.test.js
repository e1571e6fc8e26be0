'use strict'
// Half-open connections and a blocked JS event loop: keepalive is the Rust runtime's job.
const { cleanupAll, track } = require('../helpers/cleanup')
const { describeMosquitto } = require('../helpers/brokers')
const { startFaultProxy } = require('../helpers/faultProxy')
const { startThreadBroker } = require('../helpers/threadBroker')
const { startVolumeMosquitto, publishLedger, receiveLedger, idPayload, head } = require('../helpers/reliability')
const { record, delay, withTimeout, waitUntil } = require('../helpers/events')
const h = require('../helpers/harness')
const { testNapi } = require('../helpers/impl')

afterEach(cleanupAll)

const KEEPALIVE_S = 2
const KEEPALIVE_MS = KEEPALIVE_S * 1000
const QUEUED_WHILE_DOWN = 50
const EVENTS = ['connect', 'reconnect', 'offline', 'close', 'error', 'end']

describeMosquitto('half-open connection [mosquitto]', () => {
  test(`black-holed right after CONNACK (keepalive ${KEEPALIVE_S} s): offline and close within 2 x keepalive, reconnect once healed, queued messages flow`, async () => {
    const broker = track(await startVolumeMosquitto())
    const proxy = track(await startFaultProxy({ port: broker.port }))
    const topic = h.topic('half')

    const [sub] = await h.connected(broker.url, { clientId: h.clientId('hs'), clean: false })
    const inbox = receiveLedger(sub, topic, QUEUED_WHILE_DOWN)
    await h.subscribe(sub, topic, { qos: 1 })

    const client = h.connect(proxy.url, {
      clientId: h.clientId('hp'),
      clean: false,
      keepalive: KEEPALIVE_S,
      reconnectPeriod: 500,
      // attempts made while the path is black-holed never get a CONNACK
      connectTimeout: 3000
    })
    const rec = record(client, EVENTS)
    await rec.waitFor('connect')
    proxy.blackhole('both')
    const blackholedAt = Date.now()

    const offline = await rec.waitFor('offline', 1, 3 * KEEPALIVE_MS)
    const close = await rec.waitFor('close', 1, 3 * KEEPALIVE_MS)
    expect(offline.t - blackholedAt).toBeLessThan(2 * KEEPALIVE_MS)
    expect(close.t - blackholedAt).toBeLessThan(2 * KEEPALIVE_MS)
    expect(client.connected).toBe(false)

    // publishes made while the path is still broken wait in the client
    const ledger = publishLedger(QUEUED_WHILE_DOWN)
    for (let i = 0; i < QUEUED_WHILE_DOWN; i++) client.publish(topic, idPayload(i), { qos: 1 }, ledger.callback(i))
    await delay(1000)
    expect(ledger.done).toBe(0)
    expect(rec.count('connect')).toBe(1)

    proxy.heal()
    await rec.waitFor('connect', 2, 15000)
    await withTimeout(ledger.all, 15000, 'publish callbacks')
    expect(ledger.errors).toEqual([])
    await inbox.waitAll(15000)
    expect(head(inbox.missing())).toEqual([])
  }, 40000)
})

// MQTT.js's keepalive runs on JS timers: a blocked event loop disconnects it (README). So does
// ours by default (the client runs on Node's thread); `engineThread: true` keeps it going.
/**
 * Blocks JS for 1.2 x keepalive, from 0.7 s after CONNACK: the first PINGREQ is due one keepalive
 * after CONNACK and its PINGRESP deadline half a keepalive later, so the block covers both.
 */
async function blockAfterConnect (connected) {
  await delay(Math.max(0, connected.t + 700 - Date.now()))
  const blockStart = Date.now()
  const blockEnd = blockStart + 1.2 * KEEPALIVE_MS
  while (Date.now() < blockEnd) { /* busy: no timers, no I/O callbacks in JS */ }
  return { blockStart, unblockedAt: Date.now() }
}

describe('blocked event loop', () => {
  testNapi(`engineThread: JS blocked for 1.2 x keepalive (keepalive ${KEEPALIVE_S} s) causes no disconnect: PINGREQ/PINGRESP happen meanwhile`, async () => {
    const broker = track(await startThreadBroker())
    const client = h.connect(broker.url, { keepalive: KEEPALIVE_S, reconnectPeriod: 1000, engineThread: true })
    const rec = record(client, EVENTS)
    const connected = await rec.waitFor('connect')

    const { blockStart, unblockedAt } = await blockAfterConnect(connected)

    // whatever the engine queued during the block is delivered now; wait a little more
    await delay(1500)
    expect(rec.names().filter((n) => n !== 'connect')).toEqual([])
    expect(rec.count('connect')).toBe(1)
    expect(client.connected).toBe(true)

    const packets = await broker.packets()
    const pings = packets.filter((p) => p.cmd === 'pingreq')
    const pingsDuringBlock = pings.filter((p) => p.at >= blockStart && p.at < unblockedAt)
    expect(pingsDuringBlock.length).toBeGreaterThanOrEqual(1)
    expect(packets.filter((p) => p.cmd === 'connect')).toHaveLength(1)
    const conns = await broker.connections()
    expect(conns).toEqual({ accepted: 1, closed: 0 })

    // and the connection is still usable
    const [err] = await h.publish(client, 'blocked/after', 'x', { qos: 1 })
    expect(err == null).toBe(true)
  }, 20000)
  // The engine stops reading while JS has a full backlog (8,192 events or 16 MiB): the broker's
  // PINGRESP then waits in the socket behind the messages. That silence is ours, not the broker's,
  // so it must not count as a keepalive timeout.
  testNapi(`engineThread: messages arriving while JS is blocked for 2 x keepalive (keepalive ${KEEPALIVE_S} s): the backlog stops reads, yet no keepalive timeout; every message arrives, in order`, async () => {
    const COUNT = 100000
    const SIZE = 1024 // 100 MiB in all: far past the backlog limits and the socket buffers
    const broker = track(await startThreadBroker())
    const client = h.connect(broker.url, { keepalive: KEEPALIVE_S, reconnectPeriod: 1000, engineThread: true })
    const rec = record(client, EVENTS)
    const received = []
    client.on('message', (topic, payload) => { received.push(parseInt(payload.toString(), 10)) })
    await rec.waitFor('connect')

    await broker.flood({ topic: 'blocked/flood', count: COUNT, size: SIZE })
    // The first PINGREQ is due a keepalive after the reads stop, its PINGRESP half a keepalive
    // later: both fall inside the block.
    const blockStart = Date.now()
    const blockEnd = blockStart + 2 * KEEPALIVE_MS
    while (Date.now() < blockEnd) { /* busy: no timers, no I/O callbacks in JS */ }
    const unblockedAt = Date.now()

    await waitUntil(() => received.length >= COUNT || rec.count('close') > 0, { timeout: 20000, label: 'every message or a close' })
    await delay(500)
    expect(rec.names().filter((n) => n !== 'connect')).toEqual([])
    expect(received.length).toBe(COUNT)
    expect(received.every((n, i) => n === i)).toBe(true)
    const packets = await broker.packets()
    const pingsDuringBlock = packets.filter((p) => p.cmd === 'pingreq' && p.at >= blockStart && p.at < unblockedAt)
    expect(pingsDuringBlock.length).toBeGreaterThanOrEqual(1)
    expect(await broker.connections()).toEqual({ accepted: 1, closed: 0 })
  }, 40000)

  // The default driver runs on Node's thread: nothing is sent while JS is blocked (the proof
  // that the socket is Node's), and the late PINGREQ goes out once it is free.
  testNapi(`engineThread: false (the default): JS blocked for 1.2 x keepalive (keepalive ${KEEPALIVE_S} s) sends nothing meanwhile; the PINGREQ follows the block and the connection goes on`, async () => {
    const broker = track(await startThreadBroker())
    const client = h.connect(broker.url, { keepalive: KEEPALIVE_S, reconnectPeriod: 1000, engineThread: false })
    const rec = record(client, EVENTS)
    const connected = await rec.waitFor('connect')

    const { blockStart, unblockedAt } = await blockAfterConnect(connected)
    await delay(1500)

    const packets = await broker.packets()
    const pings = packets.filter((p) => p.cmd === 'pingreq')
    expect(pings.filter((p) => p.at >= blockStart && p.at < unblockedAt)).toEqual([])
    expect(pings.filter((p) => p.at >= unblockedAt).length).toBeGreaterThanOrEqual(1)
    expect(rec.names().filter((n) => n !== 'connect')).toEqual([])
    expect(await broker.connections()).toEqual({ accepted: 1, closed: 0 })
    const [err] = await h.publish(client, 'blocked/after', 'x', { qos: 1 })
    expect(err == null).toBe(true)
  }, 20000)
})
