'use strict'

// mqtt-napi: the `mqtt` (MQTT.js 5.x) Node API over a Rust protocol engine.

const { MqttClient, createClient } = require('./client')
const { resolveConnectOptions } = require('./options/client-options')
const { ErrorWithReasonCode, ErrorWithSubackPacket, ReasonCodes } = require('./errors')
const { validateTopic, validateTopics } = require('./validations')
const { Store } = require('./store')
const { DefaultMessageIdProvider, UniqueMessageIdProvider } = require('./message-id-providers')

function ignoreError () {}

function connect (brokerUrl, opts) {
  const client = createClient(resolveConnectOptions(brokerUrl, opts))
  // As MQTT.js: an `error` nobody listens to must not crash the process.
  client.on('error', ignoreError)
  return client
}

/**
 * Resolves with the client on its first `connect` (or `end`); rejects with
 * the first error (ending the client). With `allowRetries` false, a `close`
 * before connecting rejects too.
 */
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
  Store,
  DefaultMessageIdProvider,
  UniqueMessageIdProvider,
  validateTopic,
  validateTopics,
  // As in MQTT.js, the same string as `MqttClient.VERSION`: here, this package's version.
  MQTTJS_VERSION: MqttClient.VERSION
}
// `import mqtt from 'mqtt-napi'` and `require('mqtt-napi').default` both give the module.
module.exports.default = module.exports
