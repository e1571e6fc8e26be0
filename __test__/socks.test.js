'use strict'
// socksProxy / socksTimeout / MQTTJS_SOCKS_PROXY: MQTT over TCP and TLS through
// real SOCKS proxies started here (Debian's microsocks for SOCKS5, with and
// without authentication; the recording server of helpers/socks.js for
// SOCKS4/4a, the host-name-or-address question and refusals).
const net = require('node:net')
const { cleanupAll } = require('./helpers/cleanup')
const { startAedes, getFreePort } = require('./helpers/brokers')
const { generateCerts } = require('./helpers/certs')
const { startMicrosocks, startSocksServer, describeMicrosocks } = require('./helpers/socks')
const { runNodeForResult } = require('./helpers/childNode')
const { record, once, withTimeout, waitUntil } = require('./helpers/events')
const { isNapi, testNapi } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const EVENTS = ['connect', 'reconnect', 'close', 'offline', 'error', 'end']

/** Subscribes, publishes to itself at QoS 1 and resolves with the message that came back. */
async function roundTrip (client) {
  const topic = h.topic('socks')
  const payload = `through the proxy ${h.rnd()}`
  const [err] = await h.subscribe(client, topic, { qos: 1 })
  expect(err).toBeFalsy()
  const message = once(client, 'message')
  const [pubErr] = await h.publish(client, topic, payload, { qos: 1 })
  expect(pubErr).toBeFalsy()
  const [gotTopic, gotPayload] = await message
  expect(gotTopic).toBe(topic)
  expect(gotPayload.toString()).toBe(payload)
}

/** The first `error` event of a client that is expected not to connect. */
function firstError (client) {
  return withTimeout(new Promise((resolve, reject) => {
    client.once('error', resolve)
    client.once('connect', () => reject(new Error('connected, but an error was expected')))
  }), 10000, "'error'")
}

/** A TCP server that accepts connections and never says a word. */
async function startSilentServer () {
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    // Reading (and dropping) what arrives is what lets the client's FIN be seen.
    socket.resume()
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return require('./helpers/cleanup').track({
    port: server.address().port,
    connections: () => sockets.size,
    close () {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    }
  })
}

let broker
let tlsBroker
let certs
beforeAll(async () => {
  certs = generateCerts()
  broker = await startAedes()
  tlsBroker = await startAedes({ tls: { key: certs.server.key, cert: certs.server.cert } })
})
afterAll(async () => {
  if (broker) await broker.close()
  if (tlsBroker) await tlsBroker.close()
})

describeMicrosocks('SOCKS5 through microsocks', () => {
  test('mqtt:// connects, subscribes and publishes through the proxy; the link dies with the proxy', async () => {
    const proxy = await startMicrosocks()
    const [client, connack] = await h.connected(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: proxy.url, reconnectPeriod: 0 })
    expect(connack).toMatchObject({ cmd: 'connack', returnCode: 0 })
    await roundTrip(client)
    // The proof the bytes went through microsocks: killing it cuts the connection.
    const closed = once(client, 'close')
    await proxy.close()
    await closed
    expect(client.connected).toBe(false)
  })

  test('mqtts:// runs TLS end to end over the proxied stream, verified against the broker host', async () => {
    const proxy = await startMicrosocks()
    // socks5h: "localhost" goes to the proxy; the certificate must still match "localhost".
    const [client] = await h.connected(`mqtts://localhost:${tlsBroker.port}`, {
      socksProxy: proxy.url.replace('socks5:', 'socks5h:'),
      ca: certs.ca.cert,
      reconnectPeriod: 0
    })
    await roundTrip(client)
    const closed = once(client, 'close')
    await proxy.close()
    await closed
  })

  test('mqtts:// through the proxy still rejects a certificate that does not match the broker host', async () => {
    const proxy = await startMicrosocks()
    // A certificate for wrong.example.com on the broker at 127.0.0.1.
    const tlsOnAll = await startAedes({ tls: { key: certs.wrongName.key, cert: certs.wrongName.cert } })
    try {
      const client = h.connect(`mqtts://127.0.0.1:${tlsOnAll.port}`, { socksProxy: proxy.url, ca: certs.ca.cert, reconnectPeriod: 0 })
      const err = await firstError(client)
      expect(err.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    } finally {
      await tlsOnAll.close()
    }
  })

  test('a 1 MiB message makes the round trip through the proxy intact', async () => {
    const proxy = await startMicrosocks()
    const [client] = await h.connected(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: proxy.url, reconnectPeriod: 0 })
    const topic = h.topic('big')
    const payload = require('node:crypto').randomBytes(1024 * 1024)
    await h.subscribe(client, topic, { qos: 1 })
    const message = once(client, 'message')
    const [err] = await h.publish(client, topic, payload, { qos: 1 })
    expect(err).toBeFalsy()
    const [, received] = await message
    expect(received.equals(payload)).toBe(true)
  })

  test('reconnects through the proxy after the broker drops the link', async () => {
    const proxy = await startMicrosocks()
    const clientId = h.clientId('sx')
    const [client] = await h.connected(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: proxy.url, clientId, reconnectPeriod: 200 })
    const rec = record(client, EVENTS)
    await broker.disconnectClient(clientId)
    await rec.waitFor('connect')
    expect(rec.names()).toEqual(['offline', 'close', 'reconnect', 'connect'])
    await roundTrip(client)
    // The new link goes through the proxy too: it dies with it.
    const closed = once(client, 'close')
    await proxy.close()
    await closed
  })

  test('a proxy that requires authentication, given none: error (code SOCKS), then reconnect attempts', async () => {
    const proxy = await startMicrosocks({ username: 'mqtt', password: 'secret' })
    const client = h.connect(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: proxy.url, reconnectPeriod: 100 })
    const rec = record(client, EVENTS)
    const err = await firstError(client)
    expect(err.code).toBe('SOCKS')
    expect(err.message).toMatch(/authentication/i)
    await rec.waitFor('reconnect', 2)
    expect(rec.count('connect')).toBe(0)
  })

  testNapi('username:password in the proxy URL authenticates (MQTT.js drops them)', async () => {
    const proxy = await startMicrosocks({ username: 'mqtt user', password: 'p@ss:word' })
    const url = `socks5://${encodeURIComponent('mqtt user')}:${encodeURIComponent('p@ss:word')}@127.0.0.1:${proxy.port}`
    const [client] = await h.connected(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: url, reconnectPeriod: 0 })
    await roundTrip(client)
    const closed = once(client, 'close')
    await proxy.close()
    await closed
  })

  testNapi('wrong proxy credentials: error naming the rejected username/password, then reconnect attempts', async () => {
    const proxy = await startMicrosocks({ username: 'mqtt', password: 'secret' })
    const client = h.connect(`mqtt://127.0.0.1:${broker.port}`, {
      socksProxy: `socks5://mqtt:wrong@127.0.0.1:${proxy.port}`,
      reconnectPeriod: 100
    })
    const rec = record(client, EVENTS)
    const err = await firstError(client)
    expect(err.code).toBe('SOCKS')
    expect(err.message).toBe(`SOCKS5 proxy 127.0.0.1:${proxy.port} rejected the username/password`)
    await rec.waitFor('reconnect', 2)
    expect(rec.count('connect')).toBe(0)
    expect(rec.count('error')).toBeGreaterThanOrEqual(2)
  })

  test('the socksProxy option wins over MQTTJS_SOCKS_PROXY', async () => {
    const proxy = await startMicrosocks()
    const dead = await getFreePort()
    const program = `
      const mqtt = require(process.env.IMPL_PATH)
      const client = mqtt.connect('mqtt://127.0.0.1:${broker.port}', { socksProxy: '${proxy.url}', reconnectPeriod: 0 })
      client.on('error', (err) => { console.log(JSON.stringify({ error: err.message })); process.exit(1) })
      client.on('connect', () => client.end(() => console.log(JSON.stringify({ connected: true }))))
    `
    const { result } = await runNodeForResult(program, { MQTTJS_SOCKS_PROXY: `socks5://127.0.0.1:${dead}` }, 15000)
    expect(result).toEqual({ connected: true })
  })
})

describe('SOCKS4, SOCKS4a, SOCKS5 and SOCKS5h: who resolves the broker host', () => {
  test.each([
    ['socks4', { version: 4, host: '127.0.0.1', hostIsName: false }],
    ['socks4a', { version: 4, host: 'localhost', hostIsName: true }],
    ['socks5', { version: 5, host: '127.0.0.1', hostIsName: false }],
    ['socks5h', { version: 5, host: 'localhost', hostIsName: true }]
  ])('%s:// connects and round-trips; the proxy is asked for %o', async (scheme, asked) => {
    const proxy = await startSocksServer()
    const [client] = await h.connected(`mqtt://localhost:${broker.port}`, { socksProxy: proxy.url(scheme), reconnectPeriod: 0 })
    await roundTrip(client)
    expect(proxy.requests).toEqual([expect.objectContaining({ ...asked, port: broker.port })])
  })

  test('an IP address broker host is sent as an address even with socks4a:// and socks5h://', async () => {
    const proxy = await startSocksServer()
    for (const scheme of ['socks4a', 'socks5h']) {
      const [client] = await h.connected(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: proxy.url(scheme), reconnectPeriod: 0 })
      await h.end(client)
    }
    expect(proxy.requests.map((r) => [r.version, r.host, r.hostIsName])).toEqual([[4, '127.0.0.1', false], [5, '127.0.0.1', false]])
  })

  test('mqtts:// through socks4a://: TLS verified against the broker host the proxy resolved', async () => {
    const proxy = await startSocksServer()
    const [client] = await h.connected(`mqtts://localhost:${tlsBroker.port}`, { socksProxy: proxy.url('socks4a'), ca: certs.ca.cert, reconnectPeriod: 0 })
    await roundTrip(client)
    expect(proxy.requests).toEqual([expect.objectContaining({ version: 4, host: 'localhost', port: tlsBroker.port })])
  })

  test('every server of `servers` is reached through the proxy', async () => {
    const proxy = await startSocksServer()
    const [client] = await h.connected({
      servers: [{ host: '127.0.0.1', port: broker.port }],
      socksProxy: proxy.url('socks5'),
      reconnectPeriod: 0
    })
    await h.end(client)
    expect(proxy.requests).toEqual([expect.objectContaining({ host: '127.0.0.1', port: broker.port })])
  })

  testNapi('socks4://userid@ sends the user id (MQTT.js drops it)', async () => {
    const proxy = await startSocksServer()
    const [client] = await h.connected(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: `socks4://mqtt-user@127.0.0.1:${proxy.port}`, reconnectPeriod: 0 })
    await h.end(client)
    expect(proxy.requests).toEqual([expect.objectContaining({ version: 4, userId: 'mqtt-user' })])
  })
})

describe('proxy failures: error event with code SOCKS, then reconnect per policy', () => {
  test('proxy down: the connect error of the proxy, then reconnect attempts', async () => {
    const port = await getFreePort()
    const client = h.connect(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: `socks5://127.0.0.1:${port}`, reconnectPeriod: 100 })
    const rec = record(client, EVENTS)
    const err = await firstError(client)
    expect(err.code).toBe('SOCKS')
    expect(err.message).toContain(`connect ECONNREFUSED 127.0.0.1:${port}`)
    if (isNapi) expect(err.message).toBe(`SOCKS5 proxy 127.0.0.1:${port} unreachable: connect ECONNREFUSED 127.0.0.1:${port}`)
    await rec.waitFor('reconnect', 3)
    expect(rec.count('connect')).toBe(0)
    expect(rec.count('error')).toBeGreaterThanOrEqual(3)
  })

  test('the proxy comes up later: a reconnect attempt gets through', async () => {
    const proxy = await startSocksServer()
    const port = proxy.port
    await proxy.close()
    const client = h.connect(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: `socks5://127.0.0.1:${port}`, reconnectPeriod: 100 })
    const rec = record(client, EVENTS)
    await firstError(client)
    // Same port again: a plain forwarder speaking SOCKS5 for one client.
    const revived = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write(Buffer.from([5, 0]))
        socket.once('data', () => {
          const upstream = net.connect(broker.port, '127.0.0.1', () => {
            socket.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]))
            socket.pipe(upstream).pipe(socket)
          })
          upstream.on('error', () => socket.destroy())
          socket.on('close', () => upstream.destroy())
        })
      })
      socket.on('error', () => {})
    })
    await new Promise((resolve) => revived.listen(port, '127.0.0.1', resolve))
    try {
      await rec.waitFor('connect')
      expect(client.connected).toBe(true)
      await roundTrip(client)
    } finally {
      await h.end(client)
      await new Promise((resolve) => revived.close(resolve))
    }
  })

  test.each([
    ['socks4', '0x5b', /rejected/i, 'rejected the connection to 127.0.0.1:1883: request rejected or failed (reply 0x5b)'],
    ['socks5', '0x02', /rejected/i, 'rejected the connection to 127.0.0.1:1883: connection not allowed by ruleset (reply 0x02)'],
    ['socks5', '0x05', /rejected/i, 'rejected the connection to 127.0.0.1:1883: connection refused by the destination (reply 0x05)'],
    ['socks5', '0x04', /rejected/i, 'rejected the connection to 127.0.0.1:1883: host unreachable (reply 0x04)']
  ])('%s proxy refusing with reply %s: a clear error, then reconnect attempts', async (scheme, reply, pattern, napiMessage) => {
    const proxy = await startSocksServer()
    proxy.state.reply = Number(reply)
    const client = h.connect('mqtt://127.0.0.1:1883', { socksProxy: proxy.url(scheme), reconnectPeriod: 100 })
    const rec = record(client, EVENTS)
    const err = await firstError(client)
    expect(err.code).toBe('SOCKS')
    expect(err.message).toMatch(pattern)
    if (isNapi) expect(err.message).toBe(`SOCKS${scheme[5]} proxy 127.0.0.1:${proxy.port} ${napiMessage}`)
    await rec.waitFor('reconnect', 2)
    expect(proxy.requests.length).toBeGreaterThanOrEqual(2)
  })

  test('the broker behind the proxy refuses: the proxy says so, then reconnect attempts', async () => {
    const proxy = await startSocksServer()
    const closed = await getFreePort()
    const client = h.connect(`mqtt://127.0.0.1:${closed}`, { socksProxy: proxy.url('socks5'), reconnectPeriod: 100 })
    const err = await firstError(client)
    expect(err.code).toBe('SOCKS')
    expect(err.message).toMatch(/rejected.*connection/i)
    await once(client, 'reconnect')
  })

  test('socksTimeout: a proxy that never answers fails the attempt after socksTimeout, then reconnects', async () => {
    const silent = await startSilentServer()
    const client = h.connect(`mqtt://127.0.0.1:${broker.port}`, {
      socksProxy: `socks5://127.0.0.1:${silent.port}`,
      socksTimeout: 300,
      reconnectPeriod: 100
    })
    const rec = record(client, EVENTS)
    const t0 = Date.now()
    const err = await firstError(client)
    const elapsed = Date.now() - t0
    expect(err.code).toBe('SOCKS')
    expect(err.message).toMatch(/timed out/i)
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(5000)
    await rec.waitFor('reconnect', 2)
    expect(rec.count('connect')).toBe(0)
  })

  test('connectTimeout still bounds an attempt stuck in the proxy handshake', async () => {
    const silent = await startSilentServer()
    const client = h.connect(`mqtt://127.0.0.1:${broker.port}`, {
      socksProxy: `socks5://127.0.0.1:${silent.port}`,
      connectTimeout: 300,
      reconnectPeriod: 100
    })
    const rec = record(client, EVENTS)
    await rec.waitFor('reconnect', 2, 5000)
    expect(rec.count('connect')).toBe(0)
  })

  test('end() while the proxy has not answered ends at once and drops the proxy connection', async () => {
    const silent = await startSilentServer()
    const client = h.connect(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: `socks5://127.0.0.1:${silent.port}` })
    const rec = record(client, EVENTS)
    await waitUntil(() => silent.connections() === 1, { label: 'the client to reach the proxy' })
    const t0 = Date.now()
    await h.end(client)
    expect(Date.now() - t0).toBeLessThan(2000)
    // MQTT.js leaves the proxy connection open until socksTimeout (a README difference).
    if (isNapi) await waitUntil(() => silent.connections() === 0, { label: 'the proxy connection to close' })
    expect(rec.count('connect')).toBe(0)
    expect(rec.count('error')).toBe(0)
  })

  test('a server that is not a SOCKS proxy (the MQTT broker itself) is an error, not a hang', async () => {
    const client = h.connect(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: `socks5://127.0.0.1:${broker.port}`, socksTimeout: 2000, reconnectPeriod: 0 })
    const err = await firstError(client)
    expect(err.code).toBe('SOCKS')
  })

  test('socks4:// with a broker host that has no IPv4 address fails before the proxy is asked', async () => {
    const proxy = await startSocksServer()
    const client = h.connect(`mqtt://no-such-host.invalid:${broker.port}`, { socksProxy: proxy.url('socks4'), reconnectPeriod: 0 })
    const err = await firstError(client)
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(err.code)
    expect(proxy.requests).toEqual([])
  })
})

describe('MQTTJS_SOCKS_PROXY', () => {
  const program = (url, opts = '{}') => `
    const mqtt = require(process.env.IMPL_PATH)
    const client = mqtt.connect('${url}', Object.assign({ reconnectPeriod: 0 }, ${opts}))
    client.on('error', (err) => { console.log(JSON.stringify({ error: err.message, code: err.code })); process.exit(0) })
    client.on('connect', () => {
      client.subscribe('env/t', { qos: 1 }, () => client.publish('env/t', 'via env', { qos: 1 }))
    })
    client.on('message', (topic, payload) => client.end(() => console.log(JSON.stringify({ message: payload.toString() }))))
  `

  test('is the proxy of a client given no socksProxy (mqtt:// and mqtts://)', async () => {
    const proxy = await startSocksServer()
    const env = { MQTTJS_SOCKS_PROXY: proxy.url('socks5h') }
    const plain = await runNodeForResult(program(`mqtt://localhost:${broker.port}`), env, 15000)
    expect(plain.result).toEqual({ message: 'via env' })
    const tls = await runNodeForResult(program(`mqtts://localhost:${tlsBroker.port}`, `{ ca: ${JSON.stringify(certs.ca.cert.toString())} }`), env, 15000)
    expect(tls.result).toEqual({ message: 'via env' })
    expect(proxy.requests.map((r) => [r.host, r.port])).toEqual([['localhost', broker.port], ['localhost', tlsBroker.port]])
  })

  test('pointing at a dead proxy makes connections fail with code SOCKS', async () => {
    const dead = await getFreePort()
    const { result } = await runNodeForResult(program(`mqtt://127.0.0.1:${broker.port}`), { MQTTJS_SOCKS_PROXY: `socks5://127.0.0.1:${dead}` }, 15000)
    expect(result).toMatchObject({ code: 'SOCKS', error: expect.stringContaining('ECONNREFUSED') })
  })
})

describe('invalid proxy settings', () => {
  const invalid = [
    ['http://127.0.0.1:1080', /scheme/],
    ['socks5://127.0.0.1', /port/],
    ['socks5://127.0.0.1:1080/path', /path/],
    ['socks5://127.0.0.1:1080?x=1', /query/],
    ['not a url', /not a URL/]
  ]

  testNapi.each(invalid)('connect() throws for socksProxy %s, naming the option', (socksProxy, detail) => {
    expect(() => h.connect(`mqtt://127.0.0.1:${broker.port}`, { socksProxy, reconnectPeriod: 0 })).toThrow(/^Invalid option socksProxy: /)
    expect(() => h.connect(`mqtt://127.0.0.1:${broker.port}`, { socksProxy, reconnectPeriod: 0 })).toThrow(detail)
  })

  ;(isNapi ? test.skip : test).each(invalid)('MQTT.js reports socksProxy %s as an error event', async (socksProxy) => {
    const client = h.connect(`mqtt://127.0.0.1:${broker.port}`, { socksProxy, reconnectPeriod: 0 })
    const err = await firstError(client)
    expect(['SOCKS', 'ERR_INVALID_URL']).toContain(err.code)
  })

  testNapi.each([
    [{ socksProxy: 'socks5://user@127.0.0.1:1080' }, /^Invalid option socksProxy: SOCKS5 authentication needs both a username and a password/],
    [{ socksProxy: 'socks4://user:pass@127.0.0.1:1080' }, /^Invalid option socksProxy: SOCKS4 has no password/],
    [{ socksProxy: `socks5://${'u'.repeat(256)}:p@127.0.0.1:1080` }, /longer than 255 bytes/],
    [{ socksProxy: 42 }, /^Invalid option socksProxy: expected a URL string/],
    [{ socksProxy: 'socks5://127.0.0.1:1080', socksTimeout: 0 }, /^Invalid option socksTimeout: expected a number of milliseconds above 0, got 0/],
    [{ socksProxy: 'socks5://127.0.0.1:1080', socksTimeout: '500' }, /^Invalid option socksTimeout: .*"500" \(a string\)/],
    [{ socksProxy: 'socks5://127.0.0.1:1080', socksTimeout: Infinity }, /^Invalid option socksTimeout/]
  ])('connect() throws for %o', (opts, message) => {
    expect(() => h.connect(`mqtt://127.0.0.1:${broker.port}`, { ...opts, reconnectPeriod: 0 })).toThrow(message)
  })

  testNapi('an invalid MQTTJS_SOCKS_PROXY is named as the source of the bad value', async () => {
    const program = `
      const mqtt = require(process.env.IMPL_PATH)
      try { mqtt.connect('mqtt://127.0.0.1:1', { reconnectPeriod: 0 }); console.log(JSON.stringify({ threw: false })) }
      catch (err) { console.log(JSON.stringify({ threw: err.message })) }
    `
    const { result } = await runNodeForResult(program, { MQTTJS_SOCKS_PROXY: 'https://proxy.example:3128' })
    expect(result.threw).toMatch(/^Invalid option socksProxy \(from MQTTJS_SOCKS_PROXY\): unsupported scheme "https:"/)
  })

  test('an empty socksProxy means no proxy (mqtts:// too, where MQTT.js fails every connection)', async () => {
    const [client] = await h.connected(`mqtt://127.0.0.1:${broker.port}`, { socksProxy: '', reconnectPeriod: 0 })
    await roundTrip(client)
    const tls = h.connect(`mqtts://localhost:${tlsBroker.port}`, { socksProxy: '', ca: certs.ca.cert, reconnectPeriod: 0 })
    if (isNapi) {
      await h.waitConnect(tls)
      await roundTrip(tls)
    } else {
      expect((await firstError(tls)).code).toBe('ERR_INVALID_URL')
    }
  })
})
