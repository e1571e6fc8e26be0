'use strict'
// A Rust panic must never abort Node: in a native method it becomes a thrown
// Error, inside the client task an `error` event then `close`. Runs in a child
// process so that an abort would show as a failed exit, not a dead test runner.

const { execFile } = require('node:child_process')
const path = require('node:path')
const { startAedes } = require('./helpers/brokers')
const { isNapi } = require('./helpers/impl')

const maybe = isNapi ? describe : describe.skip

const script = `
const mqtt = require(${JSON.stringify(path.resolve(__dirname, '..'))})
const client = mqtt.connect(process.argv[1], { reconnectPeriod: 0 })
const seen = []
client.on('error', (err) => seen.push('error:' + err.code + ':' + err.message))
client.on('close', () => seen.push('close'))
client.on('connect', () => {
  seen.push('connect')
  try {
    client._native._testPanic(false)
  } catch (err) {
    seen.push('thrown:' + err.message)
  }
  client._native._testPanic(true)
})
client.on('end', () => seen.push('end'))
setTimeout(() => client.end(() => console.log(JSON.stringify(seen))), 1500)
`

maybe('panics inside the engine', () => {
  let broker
  beforeAll(async () => { broker = await startAedes() })
  afterAll(async () => { await broker.close() })

  test('a panic in a method throws, a panic in the task is an error event, and the process lives on', async () => {
    const { stdout, code } = await new Promise((resolve) => {
      execFile(process.execPath, ['-e', script, broker.url], {
        env: { ...process.env, MQTT_NAPI_TEST_HOOKS: '1', RUST_BACKTRACE: '0' },
        timeout: 15000
      }, (err, stdout) => resolve({ stdout, code: err ? err.code : 0 }))
    })
    expect(code).toBe(0)
    const seen = JSON.parse(stdout.trim().split('\n').pop())
    expect(seen).toEqual([
      'connect',
      'thrown:test failpoint: panic in a native method',
      'error:ERR_MQTT_NAPI_INTERNAL:mqtt-napi internal error: test failpoint: panic in the client task',
      'close',
      'end'
    ])
  })

  test('test hooks are off unless enabled', async () => {
    const mqtt = require('..')
    const client = mqtt.connect(broker.url, { reconnectPeriod: 0 })
    await new Promise((resolve) => client.once('connect', resolve))
    expect(() => client._native._testPanic(false)).toThrow('test hooks are disabled')
    await new Promise((resolve) => client.end(resolve))
  })
})
