'use strict'
// Run as a child process by __test__/reliability/hostile.test.js (a crash or an abort
// must kill this process, not the jest worker):
//
//   node garbageChild.js <seed> <connections>
//
// An in-process "broker" answers each connection with a valid CONNACK followed by
// hostile bytes: valid packets with a corrupted byte, truncated or extended packets,
// random bytes, random fixed headers claiming huge lengths. The client under test
// (this package, or MQTT.js with MQTT_IMPL=mqtt) reconnects every few ms. After
// <connections> connections the client ends and the process must exit by itself.
// Prints one JSON line: { connections, errors, errorCodes, messages, invalidMessages, ... }.
const net = require('node:net')
const path = require('node:path')

const seed = Number(process.argv[2] || 1)
const target = Number(process.argv[3] || 200)
const mqtt = process.env.MQTT_IMPL === 'mqtt' ? require('mqtt') : require(path.resolve(__dirname, '..', '..'))

let state = (BigInt(seed) * 0x9E3779B97F4A7C15n) & 0xFFFFFFFFFFFFFFFFn || 1n
function next () {
  state ^= (state << 13n) & 0xFFFFFFFFFFFFFFFFn
  state ^= state >> 7n
  state ^= (state << 17n) & 0xFFFFFFFFFFFFFFFFn
  return Number(state & 0xFFFFFFFFn)
}
const below = (n) => next() % n

const { u16, str, pkt } = require('./rawPackets')

// valid server -> client packets to start mutations from
const CORPUS = [
  pkt(0x30, Buffer.concat([str('a/b'), Buffer.from('hello')])),
  pkt(0x32, Buffer.concat([str('a/b'), u16(1), Buffer.from('q1')])),
  pkt(0x34, Buffer.concat([str('x'), u16(2), Buffer.from('q2')])),
  pkt(0x3b, Buffer.concat([str('dup/retain'), u16(3)])),
  pkt(0x40, u16(1)), pkt(0x50, u16(1)), pkt(0x62, u16(1)), pkt(0x70, u16(1)),
  pkt(0x90, Buffer.concat([u16(1), Buffer.from([0, 1, 2, 0x80])])),
  pkt(0xb0, u16(1)), pkt(0xd0, Buffer.alloc(0)), pkt(0x20, Buffer.from([0, 0])), pkt(0xe0, Buffer.alloc(0))
]

function randomBytes (n) {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = below(256)
  return b
}

function hostileChunk () {
  const base = Buffer.from(CORPUS[below(CORPUS.length)])
  switch (below(6)) {
    case 0: { base[below(base.length)] = below(256); return base } // one corrupted byte
    case 1: return base.subarray(0, below(base.length)) // truncated
    case 2: return Buffer.concat([base, randomBytes(below(8))]) // trailing bytes
    case 3: return randomBytes(1 + below(64))
    case 4: return Buffer.concat([Buffer.from([below(256), 0xff, 0xff, 0xff, 0x7f]), randomBytes(below(32))]) // huge claim
    default: { // several packets, one of them corrupted
      const parts = []
      for (let i = 0; i < 1 + below(4); i++) parts.push(Buffer.from(CORPUS[below(CORPUS.length)]))
      const all = Buffer.concat(parts)
      all[below(all.length)] ^= 1 << below(8)
      return all
    }
  }
}

function invalidTopic (topic) {
  return typeof topic !== 'string' || topic.length === 0 || /[+#\u0000]/.test(topic) || topic.includes('\uFFFD') // eslint-disable-line no-control-regex
}

const summary = { seed, connections: 0, errors: 0, errorCodes: {}, messages: 0, invalidMessages: [], connects: 0 }
const sockets = new Set()
const server = net.createServer((socket) => {
  summary.connections++
  sockets.add(socket)
  socket.on('error', () => {})
  socket.on('close', () => sockets.delete(socket))
  socket.once('data', () => {
    socket.write(pkt(0x20, Buffer.from([0, 0])))
    const chunk = hostileChunk()
    // sometimes split the hostile bytes over several writes
    if (below(2) === 0 || chunk.length < 2) socket.write(chunk)
    else {
      const cut = 1 + below(chunk.length - 1)
      socket.write(chunk.subarray(0, cut))
      setTimeout(() => { if (!socket.destroyed) socket.write(chunk.subarray(cut)) }, 2)
    }
    // a chunk that is merely incomplete would hang until keepalive: close it soon
    setTimeout(() => socket.destroy(), 30)
  })
  if (summary.connections >= target) finish()
})

let finished = false
function finish () {
  if (finished) return
  finished = true
  setTimeout(() => {
    client.end(true, () => {
      for (const s of sockets) s.destroy()
      server.close()
      process.stdout.write(JSON.stringify(summary) + '\n')
    })
  }, 50)
}

let client
server.listen(0, '127.0.0.1', () => {
  client = mqtt.connect(`mqtt://127.0.0.1:${server.address().port}`, { reconnectPeriod: 5, connectTimeout: 2000, keepalive: 0 })
  client.on('connect', () => { summary.connects++ })
  client.on('error', (err) => {
    summary.errors++
    const code = err.code === undefined ? 'none' : String(err.code)
    summary.errorCodes[code] = (summary.errorCodes[code] || 0) + 1
  })
  client.on('message', (topic, payload, packet) => {
    summary.messages++
    if (invalidTopic(topic) || ![0, 1, 2].includes(packet.qos) || !Buffer.isBuffer(payload)) {
      summary.invalidMessages.push({ topic, qos: packet.qos })
    }
  })
})
