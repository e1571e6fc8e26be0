'use strict'
// mqtts://: TLS options, verification, and the options object after connecting.
// A TLS front (Node's tls server) terminates TLS for the scripted broker.
const net = require('node:net')
const tls = require('node:tls')
const { defineScenarios } = require('./runner')
const { generateCerts } = require('../helpers/certs')

const certs = generateCerts()

/** A TLS listener on a random port that forwards the plain stream to `port`. */
async function tlsFront (port, server = certs.server) {
  const sockets = new Set()
  const front = tls.createServer({ key: server.key, cert: server.cert }, (socket) => {
    const upstream = net.connect(port, '127.0.0.1')
    for (const s of [socket, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
    }
    socket.pipe(upstream).pipe(socket)
  })
  front.on('tlsClientError', () => {})
  await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve))
  return {
    port: front.address().port,
    async close () {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => front.close(resolve))
    }
  }
}

/** Runs `body(t, front)` with a TLS front for the scripted broker, closed after. */
function overTls (body, server) {
  return async (t) => {
    const front = await tlsFront(t.broker.port, server)
    try {
      await body(t, front)
    } finally {
      await front.close()
    }
  }
}

/** `client.options` with the TLS material and the front's random port made comparable. */
function noteTlsOptions (t, c, front) {
  const options = { ...c.options }
  for (const key of ['ca', 'cert', 'key']) if (options[key] !== undefined) options[key] = `<${key}>`
  options.port = options.port === front.port ? '<tls port>' : options.port
  t.note('options', options)
}

/** MQTT.js reports a failed TLS handshake twice (its TLS handler and its stream handler). */
const ONE_TLS_ERROR = {
  because: 'MQTT.js emits the same TLS connection error (verification, lookup) twice; the engine reports it once',
  napiExpected (mqttjs) {
    const first = mqttjs.events.findIndex(([key]) => key === 'c.error')
    const second = mqttjs.events.findIndex(([key], i) => i > first && key === 'c.error')
    mqttjs.events.splice(second, 1)
    return mqttjs
  }
}

defineScenarios([
  {
    name: 'mqtts:// with the CA: connects; options gain servername and rejectUnauthorized',
    run: overTls(async (t, front) => {
      const c = await t.connected(`mqtts://localhost:${front.port}`, { clientId: 'diff-tls', ca: certs.ca.cert, reconnectPeriod: 0 })
      noteTlsOptions(t, c, front)
      await t.end(c)
      await t.received('disconnect')
    })
  },
  {
    name: 'tls:// and ssl:// are mqtts',
    run: overTls(async (t, front) => {
      const a = await t.connected(`tls://127.0.0.1:${front.port}`, { clientId: 'diff-tls-a', ca: certs.ca.cert, reconnectPeriod: 0 })
      await t.end(a)
      const b = await t.connected(`ssl://127.0.0.1:${front.port}`, { clientId: 'diff-tls-b', ca: certs.ca.cert, reconnectPeriod: 0 })
      noteTlsOptions(t, b, front)
      await t.end(b)
      await t.received('disconnect', 2)
    })
  },
  {
    name: 'an unknown CA: an error with a Node TLS code, then close',
    run: overTls(async (t, front) => {
      const c = t.connect(`mqtts://localhost:${front.port}`, { clientId: 'diff-tls-bad', ca: certs.otherCa.cert, reconnectPeriod: 0 })
      await t.waitFor('c.close')
      await t.end(c)
    }),
    diverges: ONE_TLS_ERROR
  },
  {
    name: 'rejectUnauthorized: false connects despite an unknown CA',
    run: overTls(async (t, front) => {
      const c = await t.connected(`mqtts://localhost:${front.port}`, { clientId: 'diff-tls-insecure', rejectUnauthorized: false, reconnectPeriod: 0 })
      t.note('rejectUnauthorized', c.options.rejectUnauthorized)
      await t.end(c)
      await t.received('disconnect')
    })
  },
  {
    name: 'a certificate for another name is refused',
    run: overTls(async (t, front) => {
      const c = t.connect(`mqtts://localhost:${front.port}`, { clientId: 'diff-tls-name', ca: certs.ca.cert, reconnectPeriod: 0 })
      await t.waitFor('c.close')
      await t.end(c)
    }, certs.wrongName),
    diverges: ONE_TLS_ERROR
  },
  {
    name: 'connect({ protocol: \'mqtts\', host: \'mqtt://localhost:8993\' }): the host is looked up as given (ENOTFOUND), no throw',
    broker: false,
    async run (t) {
      const c = t.connect({ protocol: 'mqtts', host: 'mqtt://localhost:8993', reconnectPeriod: 0 })
      const [err] = (await t.waitFor('c.error')).args
      await t.waitFor('c.close')
      const { protocol, host, hostname, port, servername } = c.options
      t.note('options', { protocol, host, hostname, port, servername })
      t.note('error', { message: err.message, ...err })
      await t.end(c)
    },
    diverges: ONE_TLS_ERROR
  }
])
