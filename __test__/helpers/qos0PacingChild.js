'use strict'
// Run as a child process by __test__/reliability/qos0-pacing.test.js, so that
// its RSS is the publisher's alone:
//
//   node qos0PacingChild.js <brokerUrl> <payloadBytes> <window>
//
// Publishes QoS 0 messages as an app that waits for its callbacks does: at
// most <window> whose callbacks have not run, each callback making room for
// the next. Every 100 ms it reports over IPC { sent, settled, ok, errors,
// outOfOrder, errorMessages, rss }. The parent's messages: 'stop' (publish no
// more), 'end' / 'end-force' (client.end(false / true); reports { ended } from
// the end callback).
const path = require('node:path')

const [url, payloadBytes, window] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])]
const mqtt = process.env.MQTT_IMPL === 'mqtt' ? require('mqtt') : require(path.resolve(__dirname, '..', '..'))

const payload = Buffer.alloc(payloadBytes, 0x61)
const state = { sent: 0, settled: 0, ok: 0, errors: 0, outOfOrder: 0, errorMessages: [], stopped: false }
let pumping = false

const client = mqtt.connect(url, { reconnectPeriod: 0, keepalive: 0, clientId: `pacing-${process.pid}` })
client.on('error', (err) => process.send({ clientError: err.message }))

function pump () {
  if (pumping) return
  pumping = true
  while (!state.stopped && state.sent - state.settled < window) {
    const index = state.sent++
    client.publish('pacing', payload, { qos: 0 }, (err) => {
      if (index !== state.settled) state.outOfOrder++
      state.settled++
      if (err) {
        state.errors++
        if (!state.errorMessages.includes(err.message)) state.errorMessages.push(err.message)
      } else {
        state.ok++
      }
      pump()
    })
  }
  pumping = false
}

function report (extra = {}) {
  process.send({ ...state, rss: process.memoryUsage().rss, ...extra })
}

client.once('connect', () => {
  pump()
  setInterval(report, 100)
})

process.on('message', (command) => {
  if (command === 'stop') state.stopped = true
  if (command === 'end' || command === 'end-force') {
    state.stopped = true
    client.end(command === 'end-force', () => report({ ended: true }))
  }
})
process.on('disconnect', () => process.exit(0))
