'use strict'

// MQTT 5 property lists in event records, as `put_properties` in
// src/binding/properties.rs writes them: u32 count (0: the packet had none),
// then per property its u8 identifier and its value, written as the type the
// addon's table (`batchFormat().properties`) gives it. They are folded into
// MQTT.js's shape the way mqtt-packet's parser folds them: a property seen
// again becomes an array of its values, and user properties an object whose
// repeated names hold arrays.

const { batchFormat } = require('./native-loader')

const FORMAT = batchFormat()

/** Each property's MQTT.js name and record type, by identifier. */
const PROPERTIES = []
for (const { id, name, type } of FORMAT.properties) PROPERTIES[id] = { name, type }

/** Flags bit of a publish (both batch formats): MQTT 5 properties go with it. */
const FLAG_PROPERTIES = FORMAT.eventBatch.flagProperties

function readValue (r, type) {
  switch (type) {
    case 'bool': return r.u8() !== 0
    case 'u8': return r.u8()
    case 'u16': return r.u16()
    case 'u32': return r.u32()
    case 'string': return r.string()
    case 'binary': return r.bytes()
  }
  r.failed = true
  throw new Error(`mqtt-napi: unknown property type ${type} (engine and shim out of sync)`)
}

/** A name-value pair added to `userProperties` (an object without a prototype, as mqtt-packet makes it). */
function addUserProperty (properties, name, value) {
  if (properties.userProperties === undefined) properties.userProperties = Object.create(null)
  const user = properties.userProperties
  const current = user[name]
  if (current === undefined) user[name] = value
  else if (Array.isArray(current)) current.push(value)
  else user[name] = [current, value]
}

/** A property list: MQTT.js's `properties` object, or undefined when the packet had none. */
function readProperties (r) {
  const count = r.u32()
  if (count === 0) return undefined
  const properties = {}
  for (let i = 0; i < count; i++) {
    const id = r.u8()
    const property = PROPERTIES[id]
    if (property === undefined) {
      r.failed = true
      throw new Error(`mqtt-napi: unknown property id ${id} (engine and shim out of sync)`)
    }
    if (property.type === 'pair') {
      const name = r.string()
      addUserProperty(properties, name, r.string())
      continue
    }
    const value = readValue(r, property.type)
    const current = properties[property.name]
    if (current === undefined) properties[property.name] = value
    else if (Array.isArray(current)) current.push(value)
    else properties[property.name] = [current, value]
  }
  return properties
}

module.exports = { readProperties, FLAG_PROPERTIES }
