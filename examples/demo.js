'use strict'

// The main job: start an embedded broker on a free port, connect with
// mqtt-napi, subscribe, publish at QoS 0/1/2 and print what arrives.

const net = require('net')
const { Aedes } = require('aedes')
const mqtt = require('..')

async function startBroker () {
  const broker = await Aedes.createBroker()
  const server = net.createServer(broker.handle)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { broker, server, port: server.address().port }
}

async function main () {
  const { broker, server, port } = await startBroker()
  const url = `mqtt://127.0.0.1:${port}`
  console.log(`embedded broker (aedes) listening on ${url}`)

  const client = mqtt.connect(url, { clientId: 'demo', keepalive: 60 })
  client.on('error', (err) => console.error('error:', err.message))
  await new Promise((resolve) => client.once('connect', (connack) => {
    console.log('connected, connack =', JSON.stringify(connack))
    resolve()
  }))

  const granted = await client.subscribeAsync('demo/#', { qos: 2 })
  console.log('subscribed:', JSON.stringify(granted))

  const expected = 3
  const received = new Promise((resolve) => {
    let count = 0
    client.on('message', (topic, payload, packet) => {
      console.log(`message on ${topic} (qos ${packet.qos}): ${payload.toString()}`)
      if (++count === expected) resolve()
    })
  })
  for (const qos of [0, 1, 2]) {
    await client.publishAsync(`demo/qos${qos}`, JSON.stringify({ hello: 'world', qos }), { qos })
    console.log(`published at qos ${qos}`)
  }
  await received
  await client.endAsync()
  console.log('client ended')
  await new Promise((resolve) => broker.close(resolve))
  server.close()
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
