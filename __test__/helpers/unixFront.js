'use strict'
// A Unix socket in front of a TCP broker (for mqtt+unix:// URLs): a plain pipe per connection.
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

/** Listens on a fresh Unix socket path and pipes each connection to 127.0.0.1:`port`. */
async function unixFront (port) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-unix-'))
  const socketPath = path.join(dir, 'broker.sock')
  const sockets = new Set()
  const server = net.createServer((socket) => {
    const upstream = net.connect(port, '127.0.0.1')
    for (const s of [socket, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
    }
    socket.pipe(upstream).pipe(socket)
  })
  await new Promise((resolve) => server.listen(socketPath, resolve))
  return {
    socketPath,
    async close () {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

module.exports = { unixFront }
