'use strict'
// Turns what a program observes into plain values two implementations can be
// compared on. Only what cannot be the same by construction is erased:
//   - random default client ids (`mqttjs_<hex>`) become `mqttjs_*`
//   - payloads of packet objects become text: MQTT.js hands `packetsend` the
//     caller's string, mqtt-napi a Buffer of it (documented)
//   - trailing `undefined` arguments are dropped (`cb()` vs `cb(undefined)`)
//   - object keys whose value is `undefined` are dropped (as jest's toEqual does)
const util = require('node:util')

const DEFAULT_CLIENT_ID = /^mqttjs_[0-9a-f]*$/

function isError (value) {
  return util.types.isNativeError(value) || value instanceof Error
}

function text (value) {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('utf8')
  return value
}

function normalizeError (err) {
  const out = { $error: err.name || 'Error', message: err.message }
  if (err.code !== undefined) out.code = err.code
  if (err.packet !== undefined) out.packet = normalizeValue(err.packet)
  return out
}

/** A packet object (anything with `cmd`): payload-like fields as text. */
function normalizePacket (packet) {
  const out = {}
  for (const [key, value] of Object.entries(packet)) {
    if (value === undefined) continue
    if (key === 'payload' || key === 'password' || key === 'username') out[key] = text(value)
    else if (key === 'clientId' && typeof value === 'string' && DEFAULT_CLIENT_ID.test(value)) out[key] = 'mqttjs_*'
    else if (key === 'will' && value) out[key] = normalizePacket(value)
    else out[key] = normalizeValue(value)
  }
  return out
}

function normalizeValue (value) {
  if (value === null || value === undefined) return value
  if (isError(value)) return normalizeError(value)
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { $buffer: Buffer.from(value).toString('utf8') }
  if (typeof value === 'function') return '[function]'
  if (typeof value === 'string') return DEFAULT_CLIENT_ID.test(value) ? 'mqttjs_*' : value
  if (typeof value !== 'object') return value
  if (typeof value.publish === 'function' && typeof value.end === 'function') return '[client]'
  if (Array.isArray(value)) return value.map(normalizeValue)
  if (typeof value.cmd === 'string') return normalizePacket(value)
  const out = {}
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== undefined) out[key] = normalizeValue(entry)
  }
  return out
}

/** Normalises an argument list, dropping trailing undefined arguments. */
function normalize (args) {
  const out = args.map(normalizeValue)
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop()
  return out
}

/** Packets recorded by the scripted broker, without what only timing decides. */
function normalizeWire (packets) {
  return packets
    .filter((p) => p.cmd !== 'pingreq')
    .map((p) => {
      const { at, ...rest } = p
      const out = normalizePacket(rest)
      if (out.cmd !== 'publish') {
        // Fixed-header fields only PUBLISH uses (and PUBREL's mandatory qos 1) add noise elsewhere.
        if (out.topic === null) delete out.topic
        if (out.payload === null) delete out.payload
      }
      return out
    })
}

/** Events reported by the aedes broker, minus client ids chosen at random. */
function normalizeAedesEvent (event) {
  return normalizeValue(event.payload !== undefined ? { ...event, payload: text(event.payload) } : event)
}

module.exports = { normalize, normalizeValue, normalizeWire, normalizeAedesEvent, isError }
