'use strict'
// A scripted WebSocket server over a plain net.Server, for what a real broker never does:
// framing chosen byte by byte, pings, close frames, a frame cut in half, handshake answers
// of any kind. Each connection parses the client's (masked) frames and the MQTT packets
// they carry, whatever the framing.
//
//   startRawWsServer({ handshake }) -> { port, url, connections, connection(i), close() }
//     handshake(request) -> undefined (accept with subprotocol `mqtt`, or `mqttv3.1` if only
//       that was offered) | { status, headers } (a refusal: an HTTP response without upgrade)
//       | { protocol: string|null } (accept, answering this subprotocol, or none)
//   connection: { request: { path, headers }, frames, packets, waitForPacket(cmd), send(frames,
//     { byteByByte }), raw(buffer, { byteByByte }), destroy() }
//     frames: the client's frames { opcode, payload } (pongs and close frames included)
const net = require('node:net')
const crypto = require('node:crypto')
const { EventEmitter } = require('node:events')
const mqttPacket = require('mqtt-packet')
const { waitUntil } = require('./events')

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 }

/** One server frame (servers do not mask). `fin: false` starts or continues a fragmented message. */
function frame (opcode, payload = Buffer.alloc(0), { fin = true } = {}) {
  const code = typeof opcode === 'string' ? OPCODE[opcode] : opcode
  payload = Buffer.from(payload)
  let header
  if (payload.length < 126) {
    header = Buffer.from([(fin ? 0x80 : 0) | code, payload.length])
  } else if (payload.length < 65536) {
    header = Buffer.alloc(4)
    header[0] = (fin ? 0x80 : 0) | code
    header[1] = 126
    header.writeUInt16BE(payload.length, 2)
  } else {
    header = Buffer.alloc(10)
    header[0] = (fin ? 0x80 : 0) | code
    header[1] = 127
    header.writeBigUInt64BE(BigInt(payload.length), 2)
  }
  return Buffer.concat([header, payload])
}

/** The bytes of an MQTT packet. */
function packet (fields) {
  return mqttPacket.generate(fields)
}

/** Parses masked client frames from a growing buffer; returns [frames, rest]. */
function parseClientFrames (buf) {
  const frames = []
  for (;;) {
    if (buf.length < 2) break
    const opcode = buf[0] & 0x0f
    const fin = (buf[0] & 0x80) !== 0
    const masked = (buf[1] & 0x80) !== 0
    let len = buf[1] & 0x7f
    let offset = 2
    if (len === 126) {
      if (buf.length < 4) break
      len = buf.readUInt16BE(2)
      offset = 4
    } else if (len === 127) {
      if (buf.length < 10) break
      len = Number(buf.readBigUInt64BE(2))
      offset = 10
    }
    const maskLen = masked ? 4 : 0
    if (buf.length < offset + maskLen + len) break
    const mask = buf.subarray(offset, offset + maskLen)
    const payload = Buffer.from(buf.subarray(offset + maskLen, offset + maskLen + len))
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4]
    frames.push({ opcode, fin, masked, payload })
    buf = buf.subarray(offset + maskLen + len)
  }
  return [frames, buf]
}

async function writeBytes (socket, data, byteByByte) {
  if (!byteByByte) {
    socket.write(data)
    return
  }
  for (const byte of data) {
    if (socket.destroyed) return
    await new Promise((resolve) => socket.write(Buffer.of(byte), resolve))
    await new Promise((resolve) => setImmediate(resolve))
  }
}

function startRawWsServer ({ handshake = () => undefined } = {}) {
  const emitter = new EventEmitter()
  const connections = []
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let head = Buffer.alloc(0)
    const onHead = (chunk) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.removeListener('data', onHead)
      const [requestLine, ...lines] = head.subarray(0, end).toString('latin1').split('\r\n')
      const headers = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      const request = { path: requestLine.split(' ')[1], headers }
      const answer = handshake(request) || {}
      if (answer.status) {
        const extra = Object.entries(answer.headers || {}).map(([k, v]) => `${k}: ${v}\r\n`).join('')
        socket.end(`HTTP/1.1 ${answer.status} Refused\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`)
        return
      }
      const offered = (headers['sec-websocket-protocol'] || '').split(',').map((p) => p.trim())
      const protocol = 'protocol' in answer ? answer.protocol : offered.find((p) => p === 'mqtt' || p === 'mqttv3.1')
      const accept = crypto.createHash('sha1').update(headers['sec-websocket-key'] + GUID).digest('base64')
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n` + (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') + '\r\n')
      const conn = makeConnection(socket, request)
      connections.push(conn)
      emitter.emit('connection', conn)
      const rest = head.subarray(end + 4)
      if (rest.length) conn.onData(rest)
      socket.on('data', (d) => conn.onData(d))
    }
    socket.on('data', onHead)
  })

  function makeConnection (socket, request) {
    const parser = mqttPacket.parser({ protocolVersion: 4 })
    const conn = new EventEmitter()
    let pending = Buffer.alloc(0)
    Object.assign(conn, {
      socket,
      request,
      frames: [],
      packets: [],
      closeSent: false,
      onData (data) {
        const [frames, rest] = parseClientFrames(Buffer.concat([pending, data]))
        pending = rest
        for (const f of frames) {
          conn.frames.push(f)
          conn.emit('frame', f)
          // The closing handshake, as servers do it: a client's close frame is echoed, then TCP ends.
          if (f.opcode === OPCODE.close && !conn.closeSent) {
            conn.closeSent = true
            socket.end(frame('close', f.payload.subarray(0, 2)))
          }
          if (f.opcode === OPCODE.binary || f.opcode === OPCODE.continuation) parser.parse(f.payload)
        }
      },
      waitForPacket (cmd, count = 1, timeout = 5000) {
        return waitUntil(() => conn.packets.filter((p) => p.cmd === cmd).length >= count, { timeout, label: `${cmd} #${count}` })
          .then(() => conn.packets.filter((p) => p.cmd === cmd)[count - 1])
      },
      waitForFrame (opcode, timeout = 5000) {
        return waitUntil(() => conn.frames.find((f) => f.opcode === OPCODE[opcode]), { timeout, label: `${opcode} frame` })
          .then(() => conn.frames.find((f) => f.opcode === OPCODE[opcode]))
      },
      /** Server frames, written whole or one byte per TCP write. */
      send (frames, { byteByByte = false } = {}) {
        if ([].concat(frames).some((f) => (f[0] & 0x0f) === OPCODE.close)) conn.closeSent = true
        return writeBytes(socket, Buffer.concat([].concat(frames)), byteByByte)
      },
      raw (data, { byteByByte = false } = {}) {
        return writeBytes(socket, Buffer.from(data), byteByByte)
      },
      destroy () { socket.destroy() }
    })
    parser.on('packet', (p) => { conn.packets.push(p); conn.emit('packet', p) })
    return conn
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = server.address().port
      resolve({
        port,
        url: `ws://127.0.0.1:${port}`,
        connections,
        /** The i-th accepted WebSocket connection (0-based), now or once it comes. */
        connection (i, timeout = 5000) {
          return waitUntil(() => connections.length > i, { timeout, label: `WebSocket connection #${i}` })
            .then(() => connections[i])
        },
        close () {
          for (const s of sockets) s.destroy()
          return new Promise((resolve) => server.close(() => resolve()))
        }
      })
    })
  })
}

module.exports = { startRawWsServer, frame, packet, OPCODE }
