'use strict'
// The fault-injecting proxy itself (so that the reliability tests' faults are what they
// claim), and delivery through a slow, fragmenting path.
const net = require('node:net')
const { cleanupAll, track } = require('../helpers/cleanup')
const { describeMosquitto } = require('../helpers/brokers')
const { startFaultProxy } = require('../helpers/faultProxy')
const { startVolumeMosquitto, publishLedger, idPayload, payloadId } = require('../helpers/reliability')
const { delay, waitUntil, withTimeout, record } = require('../helpers/events')
const h = require('../helpers/harness')

afterEach(cleanupAll)

// A TCP server that records what it receives and can write to its one connection.
async function recordingServer () {
  const chunks = []
  let socket = null
  const sockets = new Set()
  const server = net.createServer((s) => {
    socket = s
    sockets.add(s)
    s.on('error', () => {})
    s.on('data', (d) => chunks.push({ d, at: Date.now() }))
    s.on('close', () => sockets.delete(s))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return track({
    port: server.address().port,
    chunks,
    received: () => Buffer.concat(chunks.map((c) => c.d)).toString(),
    get socket () { return socket },
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()) })
  })
}

async function connectThrough (proxy) {
  const client = net.connect({ port: proxy.port, host: '127.0.0.1' })
  const chunks = []
  const events = []
  client.on('data', (d) => chunks.push({ d, at: Date.now() }))
  client.on('end', () => events.push('end'))
  client.on('close', () => events.push('close'))
  client.on('error', (err) => events.push(err.code))
  await new Promise((resolve) => client.once('connect', resolve))
  track({ close: () => client.destroy() })
  return { client, chunks, events, received: () => Buffer.concat(chunks.map((c) => c.d)).toString() }
}

describe('fault proxy', () => {
  test('forwards both ways and counts the bytes', async () => {
    const server = await recordingServer()
    const proxy = track(await startFaultProxy({ port: server.port }))
    const c = await connectThrough(proxy)
    await waitUntil(() => server.socket, { label: 'upstream connection' })
    c.client.write('hello')
    await waitUntil(() => server.received() === 'hello')
    server.socket.write('world')
    await waitUntil(() => c.received() === 'world')
    expect(proxy.stats).toMatchObject({ connections: 1, bytesUp: 5, bytesDown: 5 })
  })

  test('cut(): the client sees an orderly close (FIN), no error', async () => {
    const server = await recordingServer()
    const proxy = track(await startFaultProxy({ port: server.port }))
    const c = await connectThrough(proxy)
    proxy.cut()
    await waitUntil(() => c.events.includes('close'))
    expect(c.events).toEqual(['end', 'close'])
  })

  test('reset(): the client sees ECONNRESET', async () => {
    const server = await recordingServer()
    const proxy = track(await startFaultProxy({ port: server.port }))
    const c = await connectThrough(proxy)
    proxy.reset()
    await waitUntil(() => c.events.includes('close'))
    expect(c.events).toContain('ECONNRESET')
    expect(c.events).not.toContain('end')
  })

  test('blackhole(dir): bytes vanish in that direction, the connection stays open; blackhole(false) resumes', async () => {
    const server = await recordingServer()
    const proxy = track(await startFaultProxy({ port: server.port }))
    const c = await connectThrough(proxy)
    await waitUntil(() => server.socket, { label: 'upstream connection' })
    proxy.blackhole('up')
    c.client.write('lost')
    server.socket.write('down ok')
    await waitUntil(() => c.received() === 'down ok')
    await delay(200)
    expect(server.received()).toBe('')
    proxy.blackhole('down')
    server.socket.write('lost too')
    c.client.write('up ok')
    await waitUntil(() => server.received() === 'up ok')
    await delay(200)
    expect(c.received()).toBe('down ok')
    proxy.blackhole(false)
    c.client.write('!')
    server.socket.write('!')
    await waitUntil(() => server.received() === 'up ok!' && c.received() === 'down ok!')
    expect(c.events).toEqual([])
  })

  test('delay(ms): every chunk arrives at least ms later, in order', async () => {
    const server = await recordingServer()
    const proxy = track(await startFaultProxy({ port: server.port }))
    const c = await connectThrough(proxy)
    proxy.delay(200)
    const sentAt = Date.now()
    for (const part of ['a', 'b', 'c', 'd']) {
      c.client.write(part)
      await delay(20)
    }
    await waitUntil(() => server.received() === 'abcd', { timeout: 5000 })
    expect(server.chunks[0].at - sentAt).toBeGreaterThanOrEqual(190)
  })

  test('fragment(): forwarded one byte per write', async () => {
    const server = await recordingServer()
    const proxy = track(await startFaultProxy({ port: server.port }))
    const c = await connectThrough(proxy)
    proxy.fragment(true)
    const text = 'x'.repeat(50)
    c.client.write(text)
    await waitUntil(() => server.received() === text, { timeout: 5000 })
    expect(server.chunks.length).toBeGreaterThanOrEqual(10)
    expect(Math.max(...server.chunks.map((ch) => ch.d.length))).toBeLessThanOrEqual(5)
  })

  test('refuse(): new connections are closed at once and counted', async () => {
    const server = await recordingServer()
    const proxy = track(await startFaultProxy({ port: server.port }))
    proxy.refuse(true)
    const client = net.connect({ port: proxy.port, host: '127.0.0.1' })
    client.on('error', () => {})
    await new Promise((resolve) => client.once('close', resolve))
    expect(proxy.stats).toMatchObject({ connections: 1, refused: 1 })
    expect(proxy.open).toBe(0)
  })
})

describeMosquitto('delivery through a slow, fragmenting path [mosquitto]', () => {
  const MESSAGES = 40

  test(`QoS 2 round trip of ${MESSAGES} messages with every byte written alone and 100 ms of delay each way: all arrive once, in order`, async () => {
    const broker = track(await startVolumeMosquitto())
    const proxy = track(await startFaultProxy({ port: broker.port }))
    proxy.fragment(true)
    proxy.delay(100)
    const c = h.connect(proxy.url, { clientId: h.clientId('frag'), keepalive: 5, reconnectPeriod: 1000 })
    const rec = record(c, ['connect', 'close', 'offline', 'error'])
    await rec.waitFor('connect', 1, 10000)
    const t = h.topic('frag')
    await withTimeout(new Promise((resolve) => c.subscribe(t, { qos: 2 }, resolve)), 10000, 'suback')
    const got = []
    c.on('message', (topic, payload) => got.push(payloadId(payload)))
    const ledger = publishLedger(MESSAGES)
    for (let i = 0; i < MESSAGES; i++) c.publish(t, idPayload(i), { qos: 2 }, ledger.callback(i))
    await withTimeout(ledger.all, 30000, 'publish callbacks')
    await waitUntil(() => got.length >= MESSAGES, { timeout: 30000, label: `${MESSAGES} messages` })
    await delay(300)
    expect(ledger.errors).toEqual([])
    expect(got).toEqual([...Array(MESSAGES).keys()])
    expect(rec.names()).toEqual(['connect'])
  }, 60000)
})
