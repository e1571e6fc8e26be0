'use strict'
// Resend rules, checked on the wire with a scripted broker (MQTT 3.1.1 section 4.4 and 4.6).
const { cleanupAll, track } = require('../helpers/cleanup')
const { startRawBroker } = require('../helpers/rawBroker')
const { record, waitUntil, withTimeout, delay } = require('../helpers/events')
const { publishLedger } = require('../helpers/reliability')
const h = require('../helpers/harness')
const { testNapi } = require('../helpers/impl')

afterEach(cleanupAll)

const EVENTS = ['connect', 'reconnect', 'offline', 'close', 'error', 'end']
const RESENT = 5

// The packets of connection `conn`, without keepalive traffic.
function wire (broker, conn) {
  return broker.packets.filter((p) => p.conn === conn && p.cmd !== 'pingreq')
}

const summary = (p) => p.cmd === 'publish'
  ? { cmd: p.cmd, messageId: p.messageId, qos: p.qos, dup: p.dup, payload: p.payload.toString() }
  : { cmd: p.cmd, messageId: p.messageId }

async function reconnectAfterCut (broker, rec, conn = 0) {
  broker.connections[conn].destroy()
  await rec.waitFor('close')
  await rec.waitFor('connect', 2, 10000)
}

// MQTT.js resends with DUP=0 and sends PUBREL for state a clean session dropped: these are the
// specification's rules, which mqtt-napi follows (README, divergences).
describe('resend after reconnect (scripted broker)', () => {
  testNapi('session present: unacknowledged QoS 1 PUBLISHes are resent with DUP=1, same ids, in order, before newer ones', async () => {
    const broker = track(await startRawBroker({
      puback: false, // nothing acknowledged on the first connection
      connack: (packet, conn) => ({ sessionPresent: conn.index > 0 })
    }))
    const c = h.connect(broker.url, { clientId: h.clientId('r1'), clean: false, reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    await rec.waitFor('connect')

    const ledger = publishLedger(RESENT + 1)
    for (let i = 0; i < RESENT; i++) c.publish('resend/q1', `m${i}`, { qos: 1 }, ledger.callback(i))
    await waitUntil(() => broker.received('publish', 0).length === RESENT, { label: `${RESENT} PUBLISH on connection 0` })
    const first = broker.received('publish', 0)
    expect(first.map((p) => p.dup)).toEqual(Array(RESENT).fill(false))

    broker.behavior.puback = true
    broker.connections[0].destroy()
    await rec.waitFor('close')
    // made while offline: goes out after the resends
    c.publish('resend/q1', 'new', { qos: 1 }, ledger.callback(RESENT))
    await rec.waitFor('connect', 2, 10000)
    await withTimeout(ledger.all, 10000, 'publish callbacks')
    expect(ledger.errors).toEqual([])
    expect(ledger.repeated()).toEqual([])

    const second = wire(broker, 1)
    expect(second[0].cmd).toBe('connect')
    expect(second[0].clean).toBe(false)
    expect(second.slice(1, 1 + RESENT).map(summary)).toEqual(first.map((p) => ({ ...summary(p), dup: true })))
    const fresh = second[1 + RESENT]
    expect(summary(fresh)).toMatchObject({ cmd: 'publish', dup: false, payload: 'new', qos: 1 })
    expect(first.map((p) => p.messageId)).not.toContain(fresh.messageId)
    expect(second.slice(2 + RESENT)).toEqual([])
  })

  testNapi('session present: a QoS 2 message past PUBREC is resent as PUBREL (not PUBLISH); one before PUBREC as PUBLISH DUP=1; in original order', async () => {
    const broker = track(await startRawBroker({
      connack: (packet, conn) => ({ sessionPresent: conn.index > 0 }),
      onPacket: (packet, conn) => {
        if (conn.index !== 0) return false
        // first connection: PUBREC for the first two messages only, never PUBCOMP
        if (packet.cmd === 'publish') {
          if (conn.packets.filter((p) => p.cmd === 'publish').length <= 2) conn.send({ cmd: 'pubrec', messageId: packet.messageId })
          return true
        }
        return packet.cmd === 'pubrel'
      }
    }))
    const c = h.connect(broker.url, { clientId: h.clientId('r2'), clean: false, reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    await rec.waitFor('connect')

    const ledger = publishLedger(3)
    for (let i = 0; i < 3; i++) c.publish('resend/q2', `q${i}`, { qos: 2 }, ledger.callback(i))
    await waitUntil(() => broker.received('pubrel', 0).length === 2 && broker.received('publish', 0).length === 3,
      { label: '3 PUBLISH and 2 PUBREL on connection 0' })
    const ids = broker.received('publish', 0).map((p) => p.messageId)
    await delay(100)
    expect(ledger.done).toBe(0)

    await reconnectAfterCut(broker, rec)
    await withTimeout(ledger.all, 10000, 'publish callbacks')
    expect(ledger.errors).toEqual([])
    expect(ledger.repeated()).toEqual([])

    const second = wire(broker, 1).map(summary)
    expect(second[0].cmd).toBe('connect')
    expect(second.slice(1, 4)).toEqual([
      { cmd: 'pubrel', messageId: ids[0] },
      { cmd: 'pubrel', messageId: ids[1] },
      { cmd: 'publish', messageId: ids[2], qos: 2, dup: true, payload: 'q2' }
    ])
    // then the third exchange completes normally
    expect(second.slice(4)).toEqual([{ cmd: 'pubrel', messageId: ids[2] }])
  })

  testNapi.each([
    ['clean: true', { clean: true }],
    ['clean: false, broker without the session (sessionPresent 0)', { clean: false }]
  ])('no resend on a clean session (%s): no DUP=1 PUBLISH, no PUBREL of the old exchanges, every callback fires once', async (name, opts) => {
    const broker = track(await startRawBroker({
      connack: { sessionPresent: false },
      onPacket: (packet, conn) => {
        if (conn.index !== 0) return false
        // first connection: the QoS 1 message is never acked; of the QoS 2 ones the
        // first gets PUBREC (so it reaches the PUBREL stage), the second nothing
        if (packet.cmd === 'publish') {
          if (packet.qos === 2 && conn.packets.filter((p) => p.cmd === 'publish' && p.qos === 2).length === 1) {
            conn.send({ cmd: 'pubrec', messageId: packet.messageId })
          }
          return true
        }
        return packet.cmd === 'pubrel'
      }
    }))
    const c = h.connect(broker.url, { clientId: h.clientId('r3'), reconnectPeriod: 100, ...opts })
    const rec = record(c, EVENTS)
    await rec.waitFor('connect')

    const ledger = publishLedger(3)
    c.publish('resend/clean', 'a', { qos: 1 }, ledger.callback(0))
    c.publish('resend/clean', 'b', { qos: 2 }, ledger.callback(1))
    c.publish('resend/clean', 'c', { qos: 2 }, ledger.callback(2))
    await waitUntil(() => broker.received('publish', 0).length === 3 && broker.received('pubrel', 0).length === 1,
      { label: '3 PUBLISH and 1 PUBREL on connection 0' })

    await reconnectAfterCut(broker, rec)
    // each callback fires exactly once: either it failed, or the message went out anew
    await withTimeout(ledger.all, 10000, 'publish callbacks')
    await delay(300)
    expect(ledger.repeated()).toEqual([])

    const second = wire(broker, 1)
    expect(second[0].cmd).toBe('connect')
    expect(second[0].clean).toBe(opts.clean)
    expect(second.filter((p) => p.dup).map(summary)).toEqual([])
    // a PUBREL on the new connection may only complete an exchange begun on it
    const publishedAnew = new Set(second.filter((p) => p.cmd === 'publish').map((p) => p.messageId))
    expect(second.filter((p) => p.cmd === 'pubrel' && !publishedAnew.has(p.messageId)).map(summary)).toEqual([])
  })
})

describe('inbound QoS 2 across a reconnect (scripted broker)', () => {
  test('session present: a QoS 2 message redelivered with DUP=1 after the cut reaches the app exactly once', async () => {
    const broker = track(await startRawBroker({
      pubrel: false, // PUBREL is scripted below
      connack: (packet, conn) => ({ sessionPresent: conn.index > 0 })
    }))
    const c = h.connect(broker.url, { clientId: h.clientId('r4'), clean: false, reconnectPeriod: 100 })
    const rec = record(c, [...EVENTS, 'message'])
    await rec.waitFor('connect')
    const conn0 = broker.connections[0]
    conn0.send({ cmd: 'publish', topic: 'in/q2', payload: Buffer.from('once'), qos: 2, messageId: 7, dup: false, retain: false })
    await broker.waitForPacket((p) => p.cmd === 'pubrec' && p.conn === 0)

    await reconnectAfterCut(broker, rec)
    const conn1 = broker.connections[1]
    conn1.send({ cmd: 'publish', topic: 'in/q2', payload: Buffer.from('once'), qos: 2, messageId: 7, dup: true, retain: false })
    await broker.waitForPacket((p) => p.cmd === 'pubrec' && p.conn === 1)
    conn1.send({ cmd: 'pubrel', messageId: 7 })
    await broker.waitForPacket((p) => p.cmd === 'pubcomp' && p.conn === 1)
    await delay(300)
    expect(rec.of('message').map((e) => e.args[1].toString())).toEqual(['once'])
  })

  test('clean session: a new QoS 2 message reusing an old id after the cut is delivered (old state discarded)', async () => {
    const broker = track(await startRawBroker({ pubrel: false, connack: { sessionPresent: false } }))
    const c = h.connect(broker.url, { clientId: h.clientId('r5'), clean: true, reconnectPeriod: 100 })
    const rec = record(c, [...EVENTS, 'message'])
    await rec.waitFor('connect')
    broker.connections[0].send({ cmd: 'publish', topic: 'in/q2', payload: Buffer.from('old'), qos: 2, messageId: 7, dup: false, retain: false })
    await broker.waitForPacket((p) => p.cmd === 'pubrec' && p.conn === 0)

    await reconnectAfterCut(broker, rec)
    const conn1 = broker.connections[1]
    conn1.send({ cmd: 'publish', topic: 'in/q2', payload: Buffer.from('new'), qos: 2, messageId: 7, dup: false, retain: false })
    await broker.waitForPacket((p) => p.cmd === 'pubrec' && p.conn === 1)
    conn1.send({ cmd: 'pubrel', messageId: 7 })
    await broker.waitForPacket((p) => p.cmd === 'pubcomp' && p.conn === 1)
    await delay(300)
    const payloads = rec.of('message').map((e) => e.args[1].toString())
    expect(payloads.filter((p) => p === 'new')).toEqual(['new'])
  })
})
