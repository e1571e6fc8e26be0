'use strict'

// mqtt-napi: the `mqtt` (MQTT.js) API over a Rust protocol engine.

const { MqttClient } = require('./client')
const { resolveConnectOptions } = require('./options')
const { ErrorWithReasonCode, ErrorWithSubackPacket, ReasonCodes } = require('./errors')
const { validateTopic, validateTopics } = require('./validations')

function connect (brokerUrl, opts) {
  const options = resolveConnectOptions(brokerUrl, opts)
  const client = new MqttClient(options)
  // As MQTT.js: an `error` nobody listens to must not crash the process.
  client.on('error', () => {})
  return client
}

function connectAsync (brokerUrl, opts, allowRetries = true) {
  return new Promise((resolve, reject) => {
    const client = connect(brokerUrl, opts)
    const listeners = {
      connect: () => settle(() => resolve(client)),
      end: () => settle(() => resolve(client)),
      error: (err) => settle(() => {
        client.end()
        reject(err)
      })
    }
    if (allowRetries === false) {
      listeners.close = () => listeners.error(new Error("Couldn't connect to server"))
    }
    function settle (action) {
      for (const [event, listener] of Object.entries(listeners)) client.off(event, listener)
      action()
    }
    for (const [event, listener] of Object.entries(listeners)) client.on(event, listener)
  })
}

module.exports = {
  connect,
  connectAsync,
  MqttClient,
  Client: MqttClient,
  ErrorWithReasonCode,
  ErrorWithSubackPacket,
  ReasonCodes,
  validateTopic,
  validateTopics
}
module.exports.default = module.exports
