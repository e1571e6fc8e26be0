'use strict'

// PLACEHOLDER until h/v5binding's lib/properties.js lands (that one wins the merge):
// reads an event record's MQTT 5 property list into MQTT.js's object.

const { batchFormat } = require('./native-loader')

let table = null

function formats () {
  if (table === null) {
    table = new Map()
    for (const { id, name, type } of batchFormat().properties) table.set(id, { name, type })
  }
  return table
}

function readValue (r, type) {
  switch (type) {
    case 'bool': return r.u8() === 1
    case 'u8': return r.u8()
    case 'u16': return r.u16()
    case 'u32': return r.u32()
    case 'string': return r.string()
    case 'binary': return Buffer.from(r.bytes())
    default: throw new Error(`mqtt-napi: unknown property type ${type}`)
  }
}

/** A property list: undefined for none (count 0), else the properties folded as mqtt-packet folds them. */
function readProperties (r) {
  const count = r.u32()
  if (count === 0) return undefined
  const properties = {}
  for (let i = 0; i < count; i++) {
    const { name, type } = formats().get(r.u8())
    if (type === 'pair') {
      const key = r.string()
      const value = r.string()
      const user = properties.userProperties || (properties.userProperties = {})
      if (key in user) user[key] = [].concat(user[key], value)
      else user[key] = value
      continue
    }
    const value = readValue(r, type)
    if (name in properties) properties[name] = [].concat(properties[name], value)
    else properties[name] = value
  }
  return properties
}

module.exports = { readProperties }
