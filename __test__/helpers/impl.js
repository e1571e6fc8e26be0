'use strict'
// Selects the implementation under test.
//   MQTT_IMPL=mqtt npx jest   -> the reference, MQTT.js (devDependency `mqtt`)
//   npx jest                  -> this package (package root, main = lib/index.js)
// Tests are written and validated against MQTT.js first, so that a failure with
// our implementation is our bug, not a test bug. Where we deliberately diverge
// from MQTT.js (spec compliance, JSON-string options), tests branch on `isNapi`.
const path = require('node:path')

const IMPL = process.env.MQTT_IMPL === 'mqtt' ? 'mqtt' : 'napi'
const isNapi = IMPL === 'napi'
const mqtt = require(isNapi ? path.resolve(__dirname, '..', '..') : 'mqtt')

// `testNapi` / `testMqttjs`: tests that only make sense for one implementation.
const testNapi = (...args) => (isNapi ? test : test.skip)(...args)
const testMqttjs = (...args) => (isNapi ? test.skip : test)(...args)
testNapi.each = (...table) => (isNapi ? test : test.skip).each(...table)

module.exports = { mqtt, isNapi, IMPL, testNapi, testMqttjs }
