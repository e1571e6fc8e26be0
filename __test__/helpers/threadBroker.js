'use strict'
// A minimal scripted MQTT broker running in a worker thread, so that it keeps answering
// (and timestamping what it receives) while the test's own event loop is blocked.
// It answers CONNECT (CONNACK 0), PINGREQ, SUBSCRIBE, UNSUBSCRIBE, QoS 1/2 PUBLISH and
// PUBREL, and records every packet as { conn, cmd, messageId, at } (at = Date.now()).
//
//   const b = await startThreadBroker()
//   b.port, b.url
//   await b.packets()    everything recorded so far
//   await b.connections() number of connections accepted, and how many are closed
//   await b.publish(packet) sends a PUBLISH (mqtt-packet fields) on every open connection
//   await b.flood({ topic, count, size }) writes `count` QoS 0 PUBLISHes of `size` bytes
//                         (payload: the message's index, space-padded) to every connection, at once
//   await b.close()
const path = require('node:path')
const { Worker, isMainThread, parentPort } = require('node:worker_threads')

if (!isMainThread && parentPort && process.env.MQTT_NAPI_THREAD_BROKER !== undefined) {
  runBroker()
}

function runBroker () {
  const net = require('node:net')
  const mqttPacket = require('mqtt-packet')
  const packets = []
  const sockets = new Set()
  let accepted = 0
  let closed = 0
  const server = net.createServer((socket) => {
    const conn = accepted++
    sockets.add(socket)
    socket.setNoDelay(true)
    socket.on('error', () => {})
    socket.on('close', () => { closed++; sockets.delete(socket) })
    const parser = mqttPacket.parser({ protocolVersion: 4 })
    const send = (p) => { if (!socket.destroyed) socket.write(mqttPacket.generate(p)) }
    parser.on('packet', (p) => {
      packets.push({ conn, cmd: p.cmd, messageId: p.messageId, at: Date.now() })
      switch (p.cmd) {
        case 'connect': send({ cmd: 'connack', returnCode: 0, sessionPresent: false }); break
        case 'pingreq': send({ cmd: 'pingresp' }); break
        case 'subscribe': send({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map((s) => s.qos) }); break
        case 'unsubscribe': send({ cmd: 'unsuback', messageId: p.messageId }); break
        case 'publish':
          if (p.qos === 1) send({ cmd: 'puback', messageId: p.messageId })
          if (p.qos === 2) send({ cmd: 'pubrec', messageId: p.messageId })
          break
        case 'pubrel': send({ cmd: 'pubcomp', messageId: p.messageId }); break
        default: break
      }
    })
    parser.on('error', () => socket.destroy())
    socket.on('data', (d) => parser.parse(d))
  })
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ ready: true, port: server.address().port }))
  parentPort.on('message', (msg) => {
    if (msg.cmd === 'packets') parentPort.postMessage({ id: msg.id, result: packets })
    else if (msg.cmd === 'connections') parentPort.postMessage({ id: msg.id, result: { accepted, closed } })
    else if (msg.cmd === 'publish') {
      for (const s of sockets) if (!s.destroyed) s.write(mqttPacket.generate({ cmd: 'publish', retain: false, dup: false, ...msg.packet }))
      parentPort.postMessage({ id: msg.id, result: Date.now() })
    } else if (msg.cmd === 'flood') {
      const { topic, count, size } = msg.spec
      // Generated first and written with one call, so the bytes are all there at once
      // (generating them one by one would trickle them out at this thread's pace).
      const packets = []
      for (let i = 0; i < count; i++) {
        const payload = Buffer.alloc(size, 0x20)
        payload.write(String(i))
        packets.push(mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 0 }))
      }
      const all = Buffer.concat(packets)
      for (const socket of sockets) socket.write(all)
      parentPort.postMessage({ id: msg.id, result: true })
    } else if (msg.cmd === 'close') {
      for (const s of sockets) s.destroy()
      server.close(() => parentPort.postMessage({ id: msg.id, result: true }))
    }
  })
}

async function startThreadBroker () {
  const worker = new Worker(path.resolve(__filename), {
    env: { ...process.env, MQTT_NAPI_THREAD_BROKER: '1' }
  })
  const pending = new Map()
  let nextId = 1
  let exited = false
  const exit = new Promise((resolve) => worker.once('exit', () => { exited = true; resolve() }))
  const port = await new Promise((resolve, reject) => {
    worker.once('error', reject)
    worker.on('message', (msg) => {
      if (msg.ready) { resolve(msg.port); return }
      const p = pending.get(msg.id)
      if (p) { pending.delete(msg.id); p(msg.result) }
    })
  })
  const call = (cmd, fields = {}) => new Promise((resolve) => {
    const id = nextId++
    pending.set(id, resolve)
    worker.postMessage({ ...fields, id, cmd })
  })
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    packets: () => call('packets'),
    connections: () => call('connections'),
    publish: (packet) => call('publish', { packet }),
    flood: (spec) => call('flood', { spec }),
    async close () {
      if (exited) return
      await Promise.race([call('close'), new Promise((resolve) => { const t = setTimeout(resolve, 2000); t.unref() })])
      await worker.terminate()
      await exit
    }
  }
}

module.exports = { startThreadBroker }
