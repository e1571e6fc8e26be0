// A scripted MQTT "broker" on a raw net.Server (mqtt-packet parser/generate).
// It speaks MQTT 3.1.1, or MQTT 5 to a client whose CONNECT says protocol level 5.
// It records every packet the client sends and answers according to `behavior`,
// which a test may change at any time (it applies to subsequent packets):
//
//   connack:   { returnCode = 0, sessionPresent = false } | null (never answer CONNECT)
//              | (packet, conn) => object | null
//              MQTT 5: { reasonCode = returnCode, sessionPresent, properties }
//   pingresp:  true | false (withhold PINGRESP)
//   suback:    true | false | (packet, conn) => granted[] | { granted, properties }
//              (default: granted = requested qos)
//   unsuback:  true | false | (packet, conn) => { granted?, properties? }
//              (MQTT 5: `granted` are the reason codes, default 0 for each topic)
//   puback:    true | false | { reasonCode, properties } | (packet, conn) => that | false
//              (answer client QoS 1 PUBLISH; an object or function's result is merged into the PUBACK)
//   pubrec:    like puback, for client QoS 2 PUBLISH
//   pubcomp:   like puback, for client PUBREL
//   pubrel:    true | false  (answer the client's PUBREC, i.e. for a QoS 2 PUBLISH this
//                             broker sent, with PUBREL; set false to script PUBREL by hand)
//   auth:      null | (packet, conn) => object | null   answer to the client's AUTH (MQTT 5)
//   onPacket:  (packet, conn) => boolean   called first; return true to skip the defaults
//   echo:      true: act as a tiny synchronous broker for this connection: remember its
//              subscriptions and send its own PUBLISHes back when a filter matches
//              (delivered QoS = min(publish, subscription), QoS 1/2 ids from 1 up)
//   port:      listen on this port instead of a random free one (default-port tests)
//
// Bytes the parser rejects (a malformed packet from the client) are recorded in
// `parseErrors` ({ conn, message }); tests assert it stays empty.
//
// Each connection `conn` has: index, packets, sent (what the broker sent it),
// protocolVersion, send(packetObject), sendRaw(buffer), disconnect(reasonCode, properties)
// (MQTT 5 server DISCONNECT, then the broker closes its side), end(), destroy(),
// closed (promise), isClosed. The broker has packets (all connections, each packet tagged
// with `conn` index), timeline (both directions in order: { dir: 'in' | 'out', conn, packet }),
// connections, waitForPacket, waitForConnection, close().
const net = require('node:net')
const { EventEmitter } = require('node:events')
const mqttPacket = require('mqtt-packet')
const { withTimeout } = require('./events')

const DEFAULT_BEHAVIOR = {
  connack: { returnCode: 0, sessionPresent: false },
  pingresp: true,
  suback: true,
  unsuback: true,
  puback: true,
  pubrec: true,
  pubcomp: true,
  pubrel: true,
  auth: null,
  echo: false,
  onPacket: null,
  port: 0
}

async function startRawBroker (behavior = {}) {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(100)
  const b = { ...DEFAULT_BEHAVIOR, ...behavior }
  const packets = []
  const connections = []
  const parseErrors = []
  const timeline = []

  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    const conn = {
      index: connections.length,
      socket,
      packets: [],
      sent: [],
      protocolVersion: 4,
      isClosed: false,
      subscriptions: new Map(),
      nextId: 1,
      send (packet) {
        if (socket.destroyed) return
        const bytes = mqttPacket.generate(packet, { protocolVersion: conn.protocolVersion === 5 ? 5 : 4 })
        conn.sent.push(packet)
        timeline.push({ dir: 'out', conn: conn.index, packet, at: Date.now() })
        socket.write(bytes)
      },
      disconnect (reasonCode = 0, properties) {
        const packet = { cmd: 'disconnect', reasonCode }
        if (properties) packet.properties = properties
        conn.send(packet)
        socket.end()
      },
      sendRaw (buf) {
        if (!socket.destroyed) socket.write(buf)
      },
      end () { socket.end() },
      destroy () { socket.destroy() }
    }
    conn.closed = new Promise((resolve) => socket.once('close', () => {
      conn.isClosed = true
      emitter.emit('connClose', conn)
      resolve()
    }))
    connections.push(conn)
    socket.on('error', () => {})

    const parser = mqttPacket.parser({ protocolVersion: 4 })
    parser.on('packet', (packet) => {
      packet.conn = conn.index
      packet.at = Date.now()
      if (packet.cmd === 'connect') {
        conn.protocolVersion = packet.protocolVersion
        if (packet.protocolVersion === 5) parser.settings = { protocolVersion: 5 }
      }
      conn.packets.push(packet)
      packets.push(packet)
      timeline.push({ dir: 'in', conn: conn.index, packet, at: packet.at })
      emitter.emit('packet', packet, conn)
      respond(packet, conn)
    })
    parser.on('error', (err) => {
      conn.parseError = err
      parseErrors.push({ conn: conn.index, message: err.message })
      emitter.emit('parseError', err, conn)
    })
    socket.on('data', (d) => parser.parse(d))
    emitter.emit('connection', conn)
  })

  // puback/pubrec/pubcomp behaviour: false = withhold, true = plain ack, object or
  // function result = merged into the ack (reason code, properties)
  function ack (setting, cmd, packet, conn) {
    if (!setting) return
    const extra = typeof setting === 'function' ? setting(packet, conn) : setting
    if (extra === false || extra == null) return
    conn.send({ cmd, messageId: packet.messageId, ...(typeof extra === 'object' ? extra : {}) })
  }

  function respond (packet, conn) {
    if (b.onPacket && b.onPacket(packet, conn)) return
    const v5 = conn.protocolVersion === 5
    switch (packet.cmd) {
      case 'connect': {
        let ack = typeof b.connack === 'function' ? b.connack(packet, conn) : b.connack
        if (ack) {
          ack = { returnCode: 0, sessionPresent: false, ...ack }
          if (v5) {
            const out = { cmd: 'connack', reasonCode: ack.reasonCode ?? ack.returnCode, sessionPresent: ack.sessionPresent }
            if (ack.properties) out.properties = ack.properties
            conn.send(out)
          } else {
            conn.send({ cmd: 'connack', returnCode: ack.returnCode, sessionPresent: ack.sessionPresent })
          }
        }
        break
      }
      case 'auth':
        if (b.auth) {
          const out = b.auth(packet, conn)
          if (out) conn.send({ cmd: 'auth', ...out })
        }
        break
      case 'pingreq':
        if (b.pingresp) conn.send({ cmd: 'pingresp' })
        break
      case 'subscribe':
        if (b.suback) {
          let answer = typeof b.suback === 'function'
            ? b.suback(packet, conn)
            : packet.subscriptions.map((s) => s.qos)
          if (Array.isArray(answer)) answer = { granted: answer }
          const { granted } = answer
          conn.send({ cmd: 'suback', messageId: packet.messageId, ...answer })
          packet.subscriptions.forEach((s, i) => {
            if (granted[i] < 0x80) conn.subscriptions.set(s.topic, granted[i])
          })
        }
        break
      case 'unsubscribe':
        for (const t of packet.unsubscriptions) conn.subscriptions.delete(t)
        if (b.unsuback) {
          const extra = typeof b.unsuback === 'function' ? b.unsuback(packet, conn) : {}
          const out = { cmd: 'unsuback', messageId: packet.messageId }
          if (v5) out.granted = packet.unsubscriptions.map(() => 0)
          conn.send({ ...out, ...extra })
        }
        break
      case 'publish':
        if (packet.qos === 1) ack(b.puback, 'puback', packet, conn)
        if (packet.qos === 2) ack(b.pubrec, 'pubrec', packet, conn)
        if (b.echo) echo(packet, conn)
        break
      case 'pubrel':
        ack(b.pubcomp, 'pubcomp', packet, conn)
        break
      case 'pubrec':
        if (b.pubrel) conn.send({ cmd: 'pubrel', messageId: packet.messageId })
        break
      default:
        break
    }
  }

  function echo (packet, conn) {
    let best = -1
    for (const [filter, qos] of conn.subscriptions) {
      if (topicMatches(filter, packet.topic)) best = Math.max(best, qos)
    }
    if (best < 0) return
    const qos = Math.min(best, packet.qos)
    const out = { cmd: 'publish', topic: packet.topic, payload: packet.payload, qos, retain: false, dup: false }
    if (qos > 0) out.messageId = conn.nextId++
    conn.send(out)
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(b.port || 0, '127.0.0.1', resolve)
  })
  const port = server.address().port

  function match (pred) {
    if (typeof pred === 'string') {
      const cmd = pred
      return (p) => p.cmd === cmd
    }
    return pred
  }

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    behavior: b,
    packets,
    timeline,
    connections,
    parseErrors,
    emitter,
    // the most QoS 1/2 PUBLISHes the client had unacknowledged at once on connection `connIndex`
    // (a PUBLISH counts from its arrival to this broker's PUBACK, PUBCOMP, or PUBREC
    // with a failure reason code; a resend with DUP=1 of an id in flight is not counted twice)
    peakInFlight (connIndex = 0) {
      const open = new Set()
      let peak = 0
      for (const { dir, conn, packet } of timeline) {
        if (conn !== connIndex) continue
        if (dir === 'in' && packet.cmd === 'publish' && packet.qos > 0) open.add(packet.messageId)
        if (dir === 'out' && (packet.cmd === 'puback' || packet.cmd === 'pubcomp' ||
          (packet.cmd === 'pubrec' && packet.reasonCode >= 0x80))) open.delete(packet.messageId)
        peak = Math.max(peak, open.size)
      }
      return peak
    },
    // packets of a given cmd (optionally on one connection)
    received (cmd, connIndex) {
      return packets.filter((p) => p.cmd === cmd && (connIndex === undefined || p.conn === connIndex))
    },
    // resolve with the first packet (already received or future) matching pred/cmd
    // whose index in `packets` is >= `from`
    waitForPacket (pred, { timeout = 10000, from = 0 } = {}) {
      const m = match(pred)
      const found = packets.slice(from).find(m)
      if (found) return Promise.resolve(found)
      let on
      return withTimeout(new Promise((resolve) => {
        on = (p) => { if (m(p)) resolve(p) }
        emitter.on('packet', on)
      }), timeout, `packet ${typeof pred === 'string' ? pred : 'matching predicate'}; got [${packets.map((p) => p.cmd).join(', ')}]`)
        .finally(() => emitter.removeListener('packet', on))
    },
    // resolve with the n-th connection (0-based)
    waitForConnection (n = 0, timeout = 10000) {
      if (connections[n]) return Promise.resolve(connections[n])
      let on
      return withTimeout(new Promise((resolve) => {
        on = () => { if (connections[n]) resolve(connections[n]) }
        emitter.on('connection', on)
      }), timeout, `raw broker connection #${n}`)
        .finally(() => emitter.removeListener('connection', on))
    },
    async close () {
      for (const c of connections) c.socket.destroy()
      await new Promise((resolve) => server.close(() => resolve()))
    }
  }
}

function topicMatches (filter, topic) {
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

module.exports = { startRawBroker, mqttPacket, topicMatches }
