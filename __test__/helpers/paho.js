'use strict'
// Eclipse Paho's Python client (Debian's python3-paho-mqtt, installed by .ci/run) as a second,
// independent MQTT 5 implementation: __test__/interop-paho.test.js exchanges messages with it
// through mosquitto. The peer itself is pahoPeer.py.
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')

const PYTHON = '/usr/bin/python3'
const PEER = path.join(__dirname, 'pahoPeer.py')
const hasPaho = spawnSync(PYTHON, ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' }).status === 0
const requirePaho = process.env.MQTT_NAPI_CI === '1'

/** describe, or describe.skip without Paho (never skipped in CI: the peer fails to start there). */
function describePaho (title, fn) {
  return (hasPaho || requirePaho ? describe : describe.skip)(title, fn)
}

/** Runs the peer; resolves each JSON line it prints through `onLine`, and its exit. */
function runPeer (args, onLine = () => {}) {
  if (!hasPaho) throw new Error(`Paho is not installed for ${PYTHON} (apt-get install python3-paho-mqtt)`)
  const child = spawn(PYTHON, [PEER, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
    let newline
    while ((newline = stdout.indexOf('\n')) !== -1) {
      onLine(JSON.parse(stdout.slice(0, newline)))
      stdout = stdout.slice(newline + 1)
    }
  })
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const exited = new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => code === 0 ? resolve() : reject(new Error(`Paho peer exited with ${code}: ${stderr}`)))
  })
  return { child, exited }
}

/**
 * A Paho subscriber: `ready` resolves once its SUBACK is in (with the granted codes), `messages`
 * once `count` messages arrived (each `{ topic, payload, qos, retain, properties }`).
 */
function startPahoSubscriber ({ port, topic, count, subscriptionIdentifier }) {
  const messages = []
  let onReady
  const ready = new Promise((resolve) => { onReady = resolve })
  const peer = runPeer({ host: '127.0.0.1', port, mode: 'subscribe', topic, count, subscriptionIdentifier }, (line) => {
    if (line.ready) onReady(line.granted)
    else messages.push(line)
  })
  return {
    ready,
    messages: peer.exited.then(() => messages),
    close () { peer.child.kill() }
  }
}

/** Publishes `messages` (`{ payload, qos, properties }`, properties in MQTT.js's names) through Paho. */
function pahoPublish ({ port, topic, messages }) {
  return runPeer({ host: '127.0.0.1', port, mode: 'publish', topic, messages }).exited
}

module.exports = { describePaho, startPahoSubscriber, pahoPublish, hasPaho }
