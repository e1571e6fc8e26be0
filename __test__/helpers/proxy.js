'use strict'
// A TCP proxy between a client and a real broker, so a test can cut the connection
// from the middle without reaching into the client (our native client's socket is
// not reachable from JS):
//   drop()       destroy both halves of every proxied connection: the client sees the
//                "broker" close its socket, the broker sees the client vanish without
//                DISCONNECT (so it publishes the will)
//   blackhole(dir)  keep sockets open but silently discard bytes: dir 'both' (default),
//                'down' (broker -> client only: the broker still hears PINGREQ, the
//                client never gets PINGRESP), 'up' (client -> broker only), or false (off)
//   refuse       while true, new connections are closed immediately
const net = require('node:net')
const { EventEmitter } = require('node:events')
const { waitUntil } = require('./events')

async function startProxy (targetPort, targetHost = '127.0.0.1') {
  const pairs = new Set()
  const emitter = new EventEmitter()
  let connections = 0
  let down = false // discard broker -> client
  let up = false // discard client -> broker
  const state = { refuse: false }

  const server = net.createServer((client) => {
    connections++
    if (state.refuse) {
      client.destroy()
      return
    }
    const upstream = net.connect({ port: targetPort, host: targetHost })
    const pair = { client, upstream }
    pairs.add(pair)
    client.on('data', (d) => { if (!up && !upstream.destroyed) upstream.write(d) })
    upstream.on('data', (d) => { if (!down && !client.destroyed) client.write(d) })
    const close = () => {
      client.destroy()
      upstream.destroy()
      pairs.delete(pair)
    }
    client.on('error', close)
    upstream.on('error', close)
    client.on('close', close)
    upstream.on('close', close)
    emitter.emit('connection', connections)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    state,
    get connections () { return connections },
    get open () { return pairs.size },
    waitForConnections (n, timeout = 10000) {
      return waitUntil(() => connections >= n, { timeout, label: `${n} proxied connection(s)` })
    },
    drop () {
      for (const { client, upstream } of pairs) {
        client.destroy()
        upstream.destroy()
      }
      pairs.clear()
    },
    blackhole (dir = 'both') {
      down = dir === 'both' || dir === 'down'
      up = dir === 'both' || dir === 'up'
    },
    async close () {
      this.drop()
      await new Promise((resolve) => server.close(() => resolve()))
    }
  }
}

module.exports = { startProxy }
