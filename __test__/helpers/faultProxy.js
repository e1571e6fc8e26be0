'use strict'
// A fault-injecting TCP proxy between one client and a broker (reliability tests and
// scripts/soak.js). Every fault applies to the connections open now and to the ones
// accepted later, until it is switched off:
//
//   cut()              close both halves of every proxied connection with a FIN
//                      (socket.end(), then destroy once flushed or after 1 s)
//   reset()            abort both halves with a TCP RST (socket.resetAndDestroy())
//   blackhole(dir)     stop forwarding without closing: bytes are read and discarded.
//                      dir: 'both' (default) | 'up' (client -> broker) | 'down'
//                      (broker -> client) | false (forward again; discarded bytes are gone)
//   delay(ms)          hold every chunk ms before forwarding it (order kept); 0 = off
//   fragment(on)       forward byte by byte: each 1-byte write waits for the previous one to
//                      complete and for a turn of the event loop
//   refuse(on)         accept new connections and close them at once (a broker that is down)
//   startCutting(ms, { mode: 'cut' | 'reset', onCut })
//                      cut every ms until the returned stop() is called
//   tap                when created with { tap: true }: every packet of every connection,
//                      parsed with mqtt-packet in wire order: { dir: 'up'|'down', conn,
//                      packet, at }. A 'packet' event fires for each (dir, packet, conn).
//
// Counters: connections (accepted, refused ones included), open, cuts, resets,
// bytesUp / bytesDown (forwarded). close() tears everything down.
const net = require('node:net')
const { EventEmitter } = require('node:events')
const mqttPacket = require('mqtt-packet')
const { waitUntil } = require('./events')

async function startFaultProxy ({ port: targetPort, host: targetHost = '127.0.0.1', tap = false } = {}) {
  if (!targetPort) throw new Error('startFaultProxy: target port required')
  const pairs = new Set()
  const emitter = new EventEmitter()
  emitter.setMaxListeners(100)
  const stats = { connections: 0, refused: 0, cuts: 0, resets: 0, bytesUp: 0, bytesDown: 0 }
  const faults = { up: false, down: false, delay: 0, fragment: false, refuse: false }
  const tapped = []
  const timers = new Set()

  // One ordered pump per direction: chunks wait their due time, then go out whole or
  // byte by byte. The fast path (no delay, no fragmentation, nothing queued) writes at once.
  function makeLane (pair, dir, dst) {
    const lane = { queue: [], busy: false }
    const counter = dir === 'up' ? 'bytesUp' : 'bytesDown'
    const pump = () => {
      if (lane.busy) return
      const item = lane.queue[0]
      if (!item) return
      if (pair.closed || dst.destroyed) { lane.queue.length = 0; return }
      const wait = item.due - Date.now()
      if (wait > 0) {
        lane.busy = true
        const t = setTimeout(() => { timers.delete(t); lane.busy = false; pump() }, wait)
        timers.add(t)
        return
      }
      lane.queue.shift()
      if (!faults.fragment || item.data.length <= 1) {
        stats[counter] += item.data.length
        dst.write(item.data)
        pump()
        return
      }
      lane.busy = true
      let i = 0
      const next = () => {
        if (pair.closed || dst.destroyed) { lane.busy = false; lane.queue.length = 0; return }
        if (i >= item.data.length) { lane.busy = false; pump(); return }
        stats[counter] += 1
        // the next byte waits for this write to complete and for a turn of the event loop,
        // so that the peer gets a chance to read each byte on its own
        dst.write(item.data.subarray(i, i + 1), () => setImmediate(next))
        i++
      }
      next()
    }
    lane.push = (data) => {
      if (!faults.delay && !faults.fragment && lane.queue.length === 0 && !lane.busy) {
        stats[counter] += data.length
        dst.write(data)
        return
      }
      lane.queue.push({ data, due: Date.now() + faults.delay })
      pump()
    }
    return lane
  }

  function makeTap (pair, dir) {
    const parser = mqttPacket.parser({ protocolVersion: 4 })
    parser.on('packet', (packet) => {
      const entry = { dir, conn: pair.index, packet, at: Date.now() }
      tapped.push(entry)
      emitter.emit('packet', dir, packet, pair.index)
    })
    parser.on('error', (err) => emitter.emit('tapError', dir, err, pair.index))
    return (d) => parser.parse(d)
  }

  const server = net.createServer((client) => {
    const index = stats.connections++
    client.on('error', () => {})
    if (faults.refuse) {
      stats.refused++
      client.destroy()
      emitter.emit('refused', index)
      return
    }
    client.setNoDelay(true)
    const upstream = net.connect({ port: targetPort, host: targetHost })
    upstream.setNoDelay(true)
    upstream.on('error', () => {})
    const pair = { index, client, upstream, closed: false }
    pair.up = makeLane(pair, 'up', upstream)
    pair.down = makeLane(pair, 'down', client)
    const tapUp = tap ? makeTap(pair, 'up') : null
    const tapDown = tap ? makeTap(pair, 'down') : null
    pairs.add(pair)
    client.on('data', (d) => {
      if (faults.up || pair.closed) return
      if (tapUp) tapUp(d)
      pair.up.push(d)
    })
    upstream.on('data', (d) => {
      if (faults.down || pair.closed) return
      if (tapDown) tapDown(d)
      pair.down.push(d)
    })
    const close = () => {
      if (pair.closed) return
      pair.closed = true
      client.destroy()
      upstream.destroy()
      pairs.delete(pair)
      emitter.emit('pairClosed', index)
    }
    pair.close = close
    // a half-close from either side becomes a full close of both
    client.on('end', close)
    upstream.on('end', close)
    client.on('close', close)
    upstream.on('close', close)
    emitter.emit('connection', index)
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const port = server.address().port

  function endGracefully (sock) {
    if (sock.destroyed) return
    sock.end()
    const t = setTimeout(() => { timers.delete(t); sock.destroy() }, 1000)
    timers.add(t)
    sock.once('close', () => { clearTimeout(t); timers.delete(t) })
  }

  const proxy = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    stats,
    emitter,
    tapped,
    get connections () { return stats.connections },
    get open () { return pairs.size },
    waitForConnections (n, timeout = 10000) {
      return waitUntil(() => stats.connections >= n, { timeout, label: `${n} proxied connection(s)` })
    },
    cut () {
      stats.cuts++
      for (const pair of [...pairs]) {
        pair.closed = true
        pairs.delete(pair)
        endGracefully(pair.client)
        endGracefully(pair.upstream)
      }
    },
    reset () {
      stats.resets++
      for (const pair of [...pairs]) {
        pair.closed = true
        pairs.delete(pair)
        for (const s of [pair.client, pair.upstream]) {
          if (s.destroyed) continue
          if (typeof s.resetAndDestroy === 'function' && s.readyState !== 'opening') s.resetAndDestroy()
          else s.destroy()
        }
      }
    },
    blackhole (dir = 'both') {
      faults.down = dir === 'both' || dir === 'down'
      faults.up = dir === 'both' || dir === 'up'
    },
    delay (ms) { faults.delay = Math.max(0, ms | 0) },
    fragment (on = true) { faults.fragment = !!on },
    refuse (on = true) { faults.refuse = !!on },
    heal () {
      faults.up = false
      faults.down = false
      faults.delay = 0
      faults.fragment = false
      faults.refuse = false
    },
    startCutting (intervalMs, { mode = 'cut', onCut } = {}) {
      const timer = setInterval(() => {
        if (mode === 'reset') proxy.reset()
        else proxy.cut()
        if (onCut) onCut()
      }, intervalMs)
      timers.add(timer)
      return () => { clearInterval(timer); timers.delete(timer) }
    },
    // tapped packets of one direction (optionally one cmd)
    packets (dir, cmd) {
      return tapped.filter((e) => e.dir === dir && (cmd === undefined || e.packet.cmd === cmd))
    },
    async close () {
      for (const t of timers) { clearTimeout(t); clearInterval(t) }
      timers.clear()
      for (const pair of [...pairs]) pair.close()
      await new Promise((resolve) => server.close(() => resolve()))
    }
  }
  return proxy
}

module.exports = { startFaultProxy }
