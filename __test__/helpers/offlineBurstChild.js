'use strict'
// Run as a child process (node --expose-gc) by __test__/reliability/memory.test.js,
// so that its RSS is the client's alone:
//
//   node --expose-gc offlineBurstChild.js <brokerUrl> <messages> <payloadBytes> <qos>
//
// Connects to a broker that is down (the parent's proxy refuses), publishes
// <messages> payloads while offline, reports { phase: 'queued' } over IPC and
// waits for the parent's 'up'; then waits for every callback, lets the process
// settle and reports { phase: 'drained' }. Memory figures are bytes after a
// full GC: start (connected attempt, nothing queued), queued, drained.
const path = require('node:path')

const [url, messages, payloadBytes, qos] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])]
const mqtt = process.env.MQTT_IMPL === 'mqtt' ? require('mqtt') : require(path.resolve(__dirname, '..', '..'))

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function measure () {
  global.gc()
  global.gc()
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage()
  return { rss, heapUsed, heapTotal, external }
}

async function main () {
  const client = mqtt.connect(url, { reconnectPeriod: 100, clientId: `burst-${process.pid}` })
  client.on('error', () => {})
  await delay(300)
  const start = measure()
  const payload = Buffer.alloc(payloadBytes, 0x61)
  let done = 0
  let errors = 0
  const all = new Promise((resolve) => {
    const callback = (err) => {
      if (err) errors++
      if (++done === messages) resolve()
    }
    for (let i = 0; i < messages; i++) client.publish('burst/t', payload, { qos }, callback)
  })
  await delay(300)
  const queued = measure()
  const queuedDone = done
  process.send({ phase: 'queued' })
  await new Promise((resolve) => process.once('message', resolve))
  await all
  // What a burst leaves behind, once the client has had a moment to settle.
  await delay(1000)
  const drained = measure()
  process.send({ phase: 'drained', start, queued, drained, queuedDone, done, errors })
  client.end(true, () => process.disconnect())
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
