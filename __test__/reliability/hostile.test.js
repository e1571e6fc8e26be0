'use strict'
// Hostile or broken brokers: malformed inbound packets, protocol violations, huge
// length claims. Each must give an `error` naming the violation, close the connection,
// reconnect per policy, deliver nothing invalid, and never crash the process.
const path = require('node:path')
const fs = require('node:fs')
const { execFile } = require('node:child_process')
const { cleanupAll, track } = require('../helpers/cleanup')
const { startRawBroker } = require('../helpers/rawBroker')
const { record, delay, waitUntil } = require('../helpers/events')
const h = require('../helpers/harness')
const { testNapi } = require('../helpers/impl')

afterEach(cleanupAll)

const EVENTS = ['connect', 'reconnect', 'offline', 'close', 'error', 'end', 'message']
const PROTOCOL_MAX_PACKET = 268435460
const GARBAGE_SEEDS = [1, 2, 3]
const GARBAGE_CONNECTIONS = 150

// ---- raw packet building
const { u16, bytes, str, pkt } = require('../helpers/rawPackets')
const CONNACK_OK = pkt(0x20, Buffer.from([0, 0]))

// spec citations, as regular expressions
const cite = (ref) => new RegExp(`\\[${ref.replace(/[.]/g, '\\.')}\\]`)

// [name, bytes sent right after a valid CONNACK, expected message, expected err.code (default 'ERR_MQTT_PROTOCOL')]
const AFTER_CONNACK = [
  ['remaining length longer than 4 bytes', bytes([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), /malformed remaining length/i],
  ['reserved packet type 0', bytes([0x00, 0x00]), /reserved packet type 0/],
  ['reserved packet type 15', bytes([0xf0, 0x00]), /reserved packet type 15/],
  ['PUBACK with reserved flags 0010', bytes([0x42, 0x02, 0x00, 0x01]), cite('MQTT-2.2.2-2')],
  ['PUBREL with flags 0000 (must be 0010)', bytes([0x60, 0x02, 0x00, 0x01]), cite('MQTT-3.6.1-1')],
  ['PINGRESP with reserved flags', bytes([0xd1, 0x00]), cite('MQTT-2.2.2-2')],
  ['PINGRESP with remaining length 1', bytes([0xd0, 0x01, 0x00]), /PINGRESP remaining length must be 0/],
  ['PUBACK with remaining length 3', bytes([0x40, 0x03, 0x00, 0x01, 0x00]), /PUBACK remaining length must be 2/],
  ['PUBLISH to a topic with +', pkt(0x30, bytes(str('a/+'), 'x')), cite('MQTT-3.3.2-2')],
  ['PUBLISH to a topic with #', pkt(0x30, bytes(str('a/#'), 'x')), cite('MQTT-3.3.2-2')],
  ['PUBLISH to an empty topic', pkt(0x30, bytes(str(''), 'x')), cite('MQTT-4.7.3-1')],
  ['PUBLISH topic with invalid UTF-8', pkt(0x30, bytes(str(Buffer.from([0x61, 0xc3, 0x28])), 'x')), cite('MQTT-1.5.3-1')],
  ['PUBLISH topic with an encoded UTF-16 surrogate', pkt(0x30, bytes(str(Buffer.from([0x61, 0xed, 0xa0, 0x80])), 'x')), cite('MQTT-1.5.3-1')],
  ['PUBLISH topic with U+0000', pkt(0x30, bytes(str('a\u0000b'), 'x')), /\[MQTT-(1\.5\.3-2|4\.7\.3-2)\]/],
  ['PUBLISH with QoS 3', pkt(0x36, bytes(str('a'), u16(1), 'x')), cite('MQTT-3.3.1-4')],
  ['QoS 1 PUBLISH with packet id 0', pkt(0x32, bytes(str('a'), u16(0), 'x')), cite('MQTT-2.3.1-1')],
  ['QoS 2 PUBLISH with packet id 0', pkt(0x34, bytes(str('a'), u16(0), 'x')), cite('MQTT-2.3.1-1')],
  ['PUBACK with packet id 0', bytes([0x40, 0x02, 0x00, 0x00]), cite('MQTT-2.3.1-1')],
  ['DUP on a QoS 0 PUBLISH', pkt(0x38, bytes(str('a'), 'x')), cite('MQTT-3.3.1-2')],
  ['truncated: topic length beyond the remaining length', pkt(0x30, bytes(u16(10), 'ab')), /ends before its fields do/],
  ['truncated: QoS 1 PUBLISH without its packet id', pkt(0x32, bytes(str('a'))), /ends before its fields do/],
  ['SUBACK with reserved return code 3', pkt(0x90, bytes(u16(1), [0x03])), cite('MQTT-3.9.3-2')],
  ['SUBACK without return codes', pkt(0x90, u16(1)), cite('MQTT-3.8.4-5')],
  ['unsolicited PUBACK', bytes([0x40, 0x02, 0x00, 0x07]), /puback.*\b7\b.*nothing pending/i],
  ['unsolicited PUBREC', bytes([0x50, 0x02, 0x00, 0x07]), /pubrec.*\b7\b.*nothing pending/i],
  ['unsolicited PUBCOMP', bytes([0x70, 0x02, 0x00, 0x07]), /pubcomp.*\b7\b.*nothing pending/i],
  ['unsolicited SUBACK', pkt(0x90, bytes(u16(9), [0x00])), /suback.*\b9\b/i],
  ['unsolicited UNSUBACK', bytes([0xb0, 0x02, 0x00, 0x09]), /unsuback.*\b9\b/i],
  // As MQTT.js 5.16: ErrorWithReasonCode 130 (MQTT 5 "Protocol Error").
  ['a second CONNACK', CONNACK_OK, /duplicate CONNACK/i, 130],
  ['PINGREQ from the server', bytes([0xc0, 0x00]), /must not send pingreq/i],
  ['SUBSCRIBE from the server', pkt(0x82, bytes(u16(1), str('a'), [0x00])), /must not send subscribe/i],
  ['CONNECT from the server', pkt(0x10, bytes(str('MQTT'), [4, 2], u16(0), str('x'))), /must not send connect/i]
]

// [name, bytes sent instead of the CONNACK, expected message]
const INSTEAD_OF_CONNACK = [
  ['PUBLISH before CONNACK', pkt(0x30, bytes(str('a'), 'x')), cite('MQTT-3.2.0-1')],
  ['CONNACK with reserved flags', pkt(0x20, Buffer.from([0x02, 0x00])), /invalid CONNACK flags/],
  ['CONNACK with return code 6', pkt(0x20, Buffer.from([0x00, 0x06])), /invalid CONNACK return code 6/],
  ['CONNACK refusing with session present', pkt(0x20, Buffer.from([0x01, 0x05])), cite('MQTT-3.2.2-4')],
  ['CONNACK with remaining length 3', pkt(0x20, Buffer.from([0x00, 0x00, 0x00])), /CONNACK remaining length must be 2/]
]

/**
 * A broker whose first connection gets `hostile` (after a valid CONNACK, or instead of it);
 * later connections are served normally.
 */
async function hostileBroker (hostile, { afterConnack = true, before = null } = {}) {
  return track(await startRawBroker({
    onPacket: (packet, conn) => {
      if (conn.index !== 0 || packet.cmd !== 'connect') return false
      conn.sendRaw(Buffer.concat([afterConnack ? CONNACK_OK : Buffer.alloc(0), before || Buffer.alloc(0), hostile]))
      return true
    }
  }))
}

function expectValidMessages (rec) {
  for (const { args: [topic, payload, packet] } of rec.of('message')) {
    expect(typeof topic).toBe('string')
    expect(topic.length).toBeGreaterThan(0)
    expect(topic).not.toMatch(/[+#\u0000\uFFFD]/) // eslint-disable-line no-control-regex
    expect([0, 1, 2]).toContain(packet.qos)
    expect(Buffer.isBuffer(payload)).toBe(true)
  }
}

async function expectViolationThenReconnect (broker, expected, connectsBefore, code = 'ERR_MQTT_PROTOCOL') {
  const c = h.connect(broker.url, { reconnectPeriod: 100 })
  const rec = record(c, EVENTS)
  const [err] = (await rec.waitFor('error', 1, 5000)).args
  await rec.waitFor('close', 1, 5000)
  await rec.waitFor('connect', connectsBefore + 1, 5000)
  await broker.connections[0].closed
  await delay(50)

  expect(h.isError(err)).toBe(true)
  expect(err.code).toBe(code)
  expect(err.message).toMatch(expected)
  // one error for the one violation; closed, then reconnected on a new connection
  expect(rec.count('error')).toBe(1)
  const names = rec.names()
  expect(names.indexOf('error')).toBeLessThan(names.indexOf('close'))
  expect(names.indexOf('close')).toBeLessThan(names.lastIndexOf('reconnect'))
  expect(names.lastIndexOf('reconnect')).toBeLessThan(names.lastIndexOf('connect'))
  expect(broker.connections.length).toBe(2)
  expect(c.connected).toBe(true)
  return rec
}

describe('malformed or illegal packets from the broker', () => {
  // MQTT.js accepts most of these (or stalls): the strict decoder is ours (README, divergences).
  testNapi.each(AFTER_CONNACK)('%s: error naming the violation, closed, reconnected, nothing delivered', async (...row) => {
    // A rest parameter: jest reads a 4th declared parameter as a `done` callback on 3-element rows.
    const [, hostile, expected, code] = row
    const broker = await hostileBroker(hostile)
    const rec = await expectViolationThenReconnect(broker, expected, 1, code)
    expect(rec.count('message')).toBe(0)
  })

  testNapi.each(INSTEAD_OF_CONNACK)('%s: error naming the violation, closed, reconnected', async (name, hostile, expected) => {
    const broker = await hostileBroker(hostile, { afterConnack: false })
    const rec = await expectViolationThenReconnect(broker, expected, 0)
    expect(rec.count('message')).toBe(0)
    expect(rec.count('connect')).toBe(1)
  })

  testNapi('valid messages before the violation are delivered; the invalid one and anything after it are not', async () => {
    const before = bytes(pkt(0x30, bytes(str('ok/1'), 'one')), pkt(0x30, bytes(str('ok/2'), 'two')))
    const after = pkt(0x30, bytes(str('ok/3'), 'three'))
    const broker = await hostileBroker(bytes(pkt(0x30, bytes(str('bad/+'), 'x')), after), { before })
    const rec = await expectViolationThenReconnect(broker, cite('MQTT-3.3.2-2'), 1)
    expect(rec.of('message').map((e) => e.args[0])).toEqual(['ok/1', 'ok/2'])
    expectValidMessages(rec)
  })

  test('a PUBREL for an unknown id is not a violation: answered with PUBCOMP, connection kept', async () => {
    const broker = await hostileBroker(bytes([0x62, 0x02, 0x00, 0x05]))
    const c = h.connect(broker.url, { reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    await rec.waitFor('connect')
    const pubcomp = await broker.waitForPacket('pubcomp')
    expect(pubcomp.messageId).toBe(5)
    await delay(200)
    expect(rec.names()).toEqual(['connect'])
  })

  test('half a packet, then the broker closes: nothing delivered, no crash, reconnects', async () => {
    const whole = pkt(0x30, bytes(str('half/t'), 'payload'))
    const broker = track(await startRawBroker({
      onPacket: (packet, conn) => {
        if (conn.index !== 0 || packet.cmd !== 'connect') return false
        conn.sendRaw(Buffer.concat([CONNACK_OK, whole.subarray(0, 6)]))
        setTimeout(() => conn.destroy(), 50)
        return true
      }
    }))
    const c = h.connect(broker.url, { reconnectPeriod: 100 })
    const rec = record(c, EVENTS)
    await rec.waitFor('connect', 2, 5000)
    expect(rec.count('message')).toBe(0)
    expect(rec.of('error').filter((e) => e.args[0].code === 'ERR_MQTT_PROTOCOL')).toEqual([])
  })

  testNapi('reconnectPeriod: 0: a violation closes the connection for good', async () => {
    const broker = await hostileBroker(bytes([0x40, 0x02, 0x00, 0x07]))
    const c = h.connect(broker.url, { reconnectPeriod: 0 })
    const rec = record(c, EVENTS)
    const [err] = (await rec.waitFor('error')).args
    await rec.waitFor('close')
    await delay(500)
    expect(err.code).toBe('ERR_MQTT_PROTOCOL')
    expect(rec.count('reconnect')).toBe(0)
    expect(rec.count('connect')).toBe(1)
    expect(broker.connections.length).toBe(1)
    expect(c.connected).toBe(false)
  })
})

describe('maxIncomingPacketSize', () => {
  // A PUBLISH to topic "t" of exactly `total` bytes on the wire (total >= 132, so that the
  // remaining length takes 2 bytes).
  const publishOfSize = (total) => pkt(0x30, bytes(str('t'), Buffer.alloc(total - 1 - 2 - 3, 0x61)))

  // maxIncomingPacketSize is an mqtt-napi option (MQTT.js has no limit for MQTT 3.1.1).
  testNapi('a remaining length of 268,435,455 then a trickle: with maxIncomingPacketSize the error comes from the header alone', async () => {
    const MAX = 1024 * 1024
    let trickle
    const broker = track(await startRawBroker({
      onPacket: (packet, conn) => {
        if (conn.index !== 0 || packet.cmd !== 'connect') return false
        conn.sendRaw(Buffer.concat([CONNACK_OK, Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])]))
        trickle = setInterval(() => conn.sendRaw(Buffer.alloc(1024, 0x61)), 20)
        conn.closed.then(() => clearInterval(trickle))
        return true
      }
    }))
    try {
      const c = h.connect(broker.url, { reconnectPeriod: 0, maxIncomingPacketSize: MAX })
      const rec = record(c, EVENTS)
      const connected = await rec.waitFor('connect')
      const error = await rec.waitFor('error', 1, 5000)
      await rec.waitFor('close', 1, 5000)
      const [err] = error.args
      expect(err.code).toBe('ERR_MQTT_PROTOCOL')
      expect(err.message).toMatch(new RegExp(`packet of ${PROTOCOL_MAX_PACKET} bytes exceeds maximum of ${MAX}`))
      // from the header, not after waiting for the body (which would take hours at this rate)
      expect(error.t - connected.t).toBeLessThan(2000)
      await broker.connections[0].closed
      expect(rec.count('message')).toBe(0)
    } finally {
      clearInterval(trickle)
    }
  })

  test('default (protocol maximum): a claimed 256 MiB packet trickling in is buffered as it arrives, never allocated up front', async () => {
    const TRICKLE_BYTES = 4 * 1024 * 1024
    const CHUNK = 64 * 1024
    const vmSize = () => {
      const m = /VmSize:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
      return m ? Number(m[1]) * 1024 : 0
    }
    let conn0
    const broker = track(await startRawBroker({
      onPacket: (packet, conn) => {
        if (conn.index !== 0 || packet.cmd !== 'connect') return false
        conn0 = conn
        conn.sendRaw(CONNACK_OK)
        return true
      }
    }))
    const c = h.connect(broker.url, { reconnectPeriod: 0, keepalive: 0 })
    const rec = record(c, EVENTS)
    await rec.waitFor('connect')
    global.gc && global.gc()
    const before = { rss: process.memoryUsage().rss, vm: vmSize() }
    conn0.sendRaw(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]))
    let sent = 0
    while (sent < TRICKLE_BYTES) {
      const ok = conn0.socket.write(Buffer.alloc(CHUNK, 0x61))
      sent += CHUNK
      if (!ok) await new Promise((resolve) => conn0.socket.once('drain', resolve))
      await delay(5)
    }
    await delay(300)
    const after = { rss: process.memoryUsage().rss, vm: vmSize() }
    // still waiting for the rest of the body: no error, no message
    expect(rec.names()).toEqual(['connect'])
    const MiB = 1024 * 1024
    // a 256 MiB allocation would show in the address space even if untouched
    expect(Math.round((after.vm - before.vm) / MiB)).toBeLessThan(128)
    expect(Math.round((after.rss - before.rss) / MiB)).toBeLessThan(64)
  })

  testNapi('a packet of exactly maxIncomingPacketSize is accepted; one byte more is an error', async () => {
    const MAX = 1000
    const broker = track(await startRawBroker({
      onPacket: (packet, conn) => {
        if (packet.cmd !== 'connect') return false
        conn.sendRaw(Buffer.concat([CONNACK_OK, publishOfSize(conn.index === 0 ? MAX : MAX + 1)]))
        return true
      }
    }))
    const c = h.connect(broker.url, { reconnectPeriod: 0, maxIncomingPacketSize: MAX })
    const rec = record(c, EVENTS)
    const [, payload] = (await rec.waitFor('message')).args
    expect(payload.length).toBe(MAX - 6)
    c.reconnect()
    const [err] = (await rec.waitFor('error', 1, 5000)).args
    expect(err.code).toBe('ERR_MQTT_PROTOCOL')
    expect(err.message).toMatch(new RegExp(`packet of ${MAX + 1} bytes exceeds maximum of ${MAX}`))
    await waitUntil(() => broker.connections.length === 2 && broker.connections[1].isClosed, { label: 'second connection closed' })
    expect(rec.count('message')).toBe(1)
  })

  testNapi('the option is validated: a size below 2 or above the protocol maximum throws, naming the option', () => {
    for (const bad of [0, 1, PROTOCOL_MAX_PACKET + 1, -5, 'big']) {
      expect(() => h.connect('mqtt://127.0.0.1:1', { maxIncomingPacketSize: bad, manualConnect: true }))
        .toThrow(/maxIncomingPacketSize/)
    }
  })
})

describe('random hostile bytes never crash the process', () => {
  // The child asserts the strict decoder's verdicts, which MQTT.js does not give.
  testNapi.each(GARBAGE_SEEDS)(`seed %i: ${GARBAGE_CONNECTIONS} connections of corrupted, truncated and random packets; the child exits cleanly`, async (seed) => {
    const child = path.join(__dirname, '..', 'helpers', 'garbageChild.js')
    const { code, signal, stdout, stderr } = await new Promise((resolve) => {
      execFile(process.execPath, [child, String(seed), String(GARBAGE_CONNECTIONS)], { timeout: 60000 }, (error, stdout, stderr) => {
        resolve({ code: error ? error.code : 0, signal: error ? error.signal : null, stdout, stderr })
      })
    })
    expect({ code, signal, stderr: stderr.slice(0, 2000) }).toEqual({ code: 0, signal: null, stderr: '' })
    const summary = JSON.parse(stdout.trim().split('\n').pop())
    expect(summary.connections).toBeGreaterThanOrEqual(GARBAGE_CONNECTIONS)
    expect(summary.invalidMessages).toEqual([])
    expect(summary.errors).toBeGreaterThan(0)
    // every error is a protocol error (130: a duplicate CONNACK, as MQTT.js reports it) or a
    // socket reset: no internal error, no error without a code
    expect(Object.keys(summary.errorCodes).filter((k) => !['ERR_MQTT_PROTOCOL', '130', 'ECONNRESET', 'EPIPE'].includes(k))).toEqual([])
  }, 90000)
})
