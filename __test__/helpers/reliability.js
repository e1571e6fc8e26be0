'use strict'
// Shared pieces of the reliability suite (__test__/reliability/) and scripts/soak.js.
const { startMosquitto } = require('./brokers')
const { waitUntil } = require('./events')

// mosquitto tuned for volume: no per-client queue limit (its default of 1000 queued
// QoS 1/2 messages would drop messages for a subscriber that is offline during a storm,
// which would be the broker's loss, not the client's), no in-flight window limit.
const VOLUME_CONFIG = [
  'max_queued_messages 0',
  'max_queued_bytes 0',
  'max_inflight_messages 0',
  'max_inflight_bytes 0'
].join('\n')

function startVolumeMosquitto (opts = {}) {
  return startMosquitto({ ...opts, extraConfig: [VOLUME_CONFIG, opts.extraConfig || ''].join('\n') })
}

// A 4-byte big-endian message number: payloads that identify each message.
function idPayload (i) {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32BE(i, 0)
  return b
}

function payloadId (payload) {
  return payload.readUInt32BE(0)
}

/**
 * Counts publish callbacks by message number: every number must be called back exactly
 * once, without error. `callback(i)` returns the callback for message i.
 */
function publishLedger (total) {
  const calls = new Uint8Array(total)
  const errors = []
  let done = 0
  let resolveAll
  const all = new Promise((resolve) => { resolveAll = resolve })
  if (total === 0) resolveAll()
  return {
    callback (i) {
      return (err) => {
        if (calls[i] === 0) done++
        calls[i]++
        if (err) errors.push({ i, message: err.message })
        if (done === total) resolveAll()
      }
    },
    get done () { return done },
    errors,
    all,
    // message numbers whose callback fired more than once
    repeated () {
      const out = []
      for (let i = 0; i < total; i++) if (calls[i] > 1) out.push(i)
      return out
    },
    missing () {
      const out = []
      for (let i = 0; i < total; i++) if (calls[i] === 0) out.push(i)
      return out
    }
  }
}

/** Counts received message numbers on `client` (only on `topic`). */
function receiveLedger (client, topic, total) {
  const counts = new Uint16Array(total)
  const strays = []
  let distinct = 0
  let received = 0
  client.on('message', (t, payload) => {
    if (t !== topic) return
    received++
    if (payload.length !== 4) { strays.push(payload); return }
    const i = payloadId(payload)
    if (i >= total) { strays.push(payload); return }
    if (counts[i] === 0) distinct++
    if (counts[i] < 65535) counts[i]++
  })
  return {
    get distinct () { return distinct },
    get received () { return received },
    strays,
    waitAll (timeout) {
      return waitUntil(() => distinct >= total, { timeout, interval: 25, label: `all ${total} messages (have ${distinct})` })
    },
    missing () {
      const out = []
      for (let i = 0; i < total; i++) if (counts[i] === 0) out.push(i)
      return out
    },
    duplicated () {
      const out = []
      for (let i = 0; i < total; i++) if (counts[i] > 1) out.push(i)
      return out
    }
  }
}

/** Publishes `total` numbered messages, `batch` every `everyMs`, resolves when all are issued. */
function pacedPublish (client, topic, total, { batch, everyMs, qos, ledger }) {
  return new Promise((resolve) => {
    let i = 0
    const tick = () => {
      for (let k = 0; k < batch && i < total; k++, i++) {
        client.publish(topic, idPayload(i), { qos }, ledger.callback(i))
      }
      if (i >= total) resolve()
      else setTimeout(tick, everyMs)
    }
    tick()
  })
}

/** The first few entries of a list, for assertion messages. */
function head (list, n = 20) {
  return list.length <= n ? list : [...list.slice(0, n), `... (${list.length} in all)`]
}

module.exports = { VOLUME_CONFIG, startVolumeMosquitto, idPayload, payloadId, publishLedger, receiveLedger, pacedPublish, head }
