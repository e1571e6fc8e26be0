// Child-process aedes broker, controlled over IPC by brokers.js.
// aedes 1.x is ESM-only and jest (no transform, no --experimental-vm-modules)
// cannot load it in-process, so it runs here, in a real Node process.
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import { Aedes } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'

const opts = JSON.parse(process.env.AEDES_TEST_OPTS || '{}')

const send = (msg) => { if (process.connected) process.send(msg) }
const b64 = (v) => (v == null ? null : Buffer.from(v).toString('base64'))

const broker = await Aedes.createBroker({ heartbeatInterval: 60000 })

broker.authenticate = (client, username, password, callback) => {
  send({ event: 'auth', clientId: client.id, username: username ?? null, password: b64(password) })
  if (opts.auth) {
    const ok = username === opts.auth.username &&
      password != null && Buffer.from(password).toString() === opts.auth.password
    if (!ok) {
      const err = new Error('Auth error')
      err.returnCode = opts.auth.returnCode || 4
      return callback(err, null)
    }
  }
  callback(null, true)
}

broker.on('client', (client) => send({ event: 'client', clientId: client.id }))
broker.on('clientReady', (client) => send({ event: 'clientReady', clientId: client.id }))
broker.on('clientDisconnect', (client) => send({ event: 'clientDisconnect', clientId: client.id }))
broker.on('subscribe', (subs, client) => send({ event: 'subscribe', clientId: client && client.id, subscriptions: subs.map((s) => ({ topic: s.topic, qos: s.qos })) }))
broker.on('unsubscribe', (unsubs, client) => send({ event: 'unsubscribe', clientId: client && client.id, unsubscriptions: unsubs }))
broker.on('publish', (packet, client) => {
  if (packet.topic.startsWith('$SYS')) return
  send({ event: 'publish', clientId: client ? client.id : null, topic: packet.topic, payload: b64(packet.payload), qos: packet.qos, retain: packet.retain })
})

const sockets = new Set()
const tlsOptions = opts.tls && {
  key: opts.tls.key,
  cert: opts.tls.cert,
  ca: opts.tls.ca,
  requestCert: !!opts.tls.requestCert,
  rejectUnauthorized: !!opts.tls.requestCert
}
// opts.tls: { key, cert, ca?, requestCert? } PEM strings -> a TLS-only listener
// opts.websocket: MQTT over WebSocket (wss with opts.tls); each upgrade request is reported
const server = opts.websocket ? webSocketServer() : opts.tls ? tls.createServer(tlsOptions, broker.handle) : net.createServer(broker.handle)

function webSocketServer () {
  const httpServer = opts.tls ? https.createServer(tlsOptions) : http.createServer()
  const wss = new WebSocketServer({
    server: httpServer,
    // As brokers do: answer with `mqtt` (or `mqttv3.1`) when the client offers it.
    handleProtocols: (protocols) => [...protocols].find((p) => p === 'mqtt' || p === 'mqttv3.1') || false
  })
  wss.on('connection', (ws, req) => {
    send({ event: 'wsUpgrade', url: req.url, headers: req.headers, protocol: ws.protocol })
    const stream = createWebSocketStream(ws)
    stream.ws = ws
    stream.on('error', () => {})
    broker.handle(stream, req)
  })
  return httpServer
}
server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
server.on('error', (err) => {
  const msg = { event: 'listenError', message: err.message, code: err.code || null }
  if (process.connected) process.send(msg, () => process.exit(1))
  else process.exit(1)
})
server.on('tlsClientError', (err) => send({ event: 'tlsClientError', message: err.message, code: err.code || null }))
server.listen(opts.port || 0, '127.0.0.1', () => send({ event: 'ready', port: server.address().port }))

async function handle (msg) {
  switch (msg.cmd) {
    case 'clients':
      return Object.keys(broker.clients)
    case 'disconnectClient': {
      // broker-side abrupt close of the client's TCP connection
      const c = broker.clients[msg.clientId]
      if (!c) return false
      c.conn.destroy()
      return true
    }
    case 'closeWebSocket': {
      // broker-side WebSocket close frame (code 1000), then the TCP close it leads to
      const c = broker.clients[msg.clientId]
      if (!c || !c.conn.ws) return false
      c.conn.ws.close(msg.code || 1000, msg.reason || '')
      return true
    }
    case 'publish':
      await new Promise((resolve, reject) => broker.publish({
        cmd: 'publish',
        topic: msg.topic,
        payload: Buffer.from(msg.payload, 'base64'),
        qos: msg.qos || 0,
        retain: !!msg.retain,
        dup: false
      }, (err) => (err ? reject(err) : resolve())))
      return true
    case 'close':
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(() => resolve()))
      await new Promise((resolve) => broker.close(() => resolve()))
      setImmediate(() => process.exit(0))
      return true
    default:
      throw new Error('unknown command ' + msg.cmd)
  }
}

process.on('message', (msg) => {
  handle(msg).then(
    (result) => send({ reply: msg.id, result }),
    (err) => send({ reply: msg.id, error: err.message })
  )
})
// parent went away: do not linger
process.on('disconnect', () => process.exit(0))
