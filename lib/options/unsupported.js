'use strict'

// MQTT.js options this package cannot honour. Each one is either refused
// with an error that says why, or accepted with a process warning (code
// MQTT_NAPI_UNSUPPORTED_OPTION) that says what happens instead: never
// silently ignored. Options that MQTT.js itself ignores in a transport
// (WebSocket settings over TCP/TLS, browser settings in Node, MQTT 5 settings
// with protocolVersion 4) are ignored here too, exactly as there.

const WARNING_CODE = 'MQTT_NAPI_UNSUPPORTED_OPTION'

/** Node TLS options the Rust TLS stack (rustls) has no equivalent for. */
const TLS_REFUSED = {
  pfx: 'PKCS#12 bundles are not supported: pass `cert` and `key` as PEM',
  passphrase: 'encrypted private keys are not supported: pass an unencrypted PEM `key`',
  secureContext: 'a Node SecureContext cannot be used by the Rust TLS stack: pass `ca`/`cert`/`key`'
}
const TLS_IGNORED = ['ciphers', 'ecdhCurve', 'secureProtocol', 'minVersion', 'maxVersion', 'checkServerIdentity',
  'crl', 'sigalgs', 'honorCipherOrder', 'session', 'requestOCSP', 'dhparam', 'secureOptions']

const warned = new Set()

/** Emits each distinct warning once per process, and always to the client's `log`. */
function warn (options, key, message) {
  if (typeof options.log === 'function') options.log(`mqtt-napi :: ${message}`)
  if (warned.has(key)) return
  warned.add(key)
  process.emitWarning(message, { code: WARNING_CODE, type: 'MqttNapiWarning' })
}

function refuse (option, reason) {
  const err = new Error(`Unsupported option ${option}: ${reason}`)
  err.code = 'ERR_MQTT_NAPI_UNSUPPORTED_OPTION'
  return err
}

function isStore (value) {
  return value !== null && typeof value === 'object' &&
    ['put', 'get', 'del', 'createStream', 'close'].every((method) => typeof value[method] === 'function')
}

/**
 * Throws for options that cannot work here and warns for those whose effect
 * differs. `options` are the resolved client options.
 */
function checkSupport (options) {
  if (options.protocol === 'wss' && options.wsOptions) {
    for (const [name, reason] of Object.entries(TLS_REFUSED)) {
      const value = options.wsOptions[name]
      if (value !== undefined && value !== null) throw refuse(`wsOptions.${name}`, reason)
    }
  }
  if (options.protocol === 'ws' || options.protocol === 'wss') checkWebSocketSupport(options)
  if (options.protocol === 'mqtts' || options.protocol === 'wss') {
    for (const [name, reason] of Object.entries(TLS_REFUSED)) {
      if (options[name] !== undefined && options[name] !== null) throw refuse(name, reason)
    }
    for (const name of TLS_IGNORED) {
      if (options[name] !== undefined) {
        warn(options, `tls:${name}`, `TLS option ${name} is not supported by the Rust TLS stack and has no effect (defaults of rustls apply)`)
      }
    }
  }
  for (const name of ['incomingStore', 'outgoingStore']) {
    const store = options[name]
    if (store !== undefined && store !== null && !isStore(store)) {
      throw new TypeError(`Invalid option ${name}: expected a Store (an object with put, get, del, createStream and close)`)
    }
  }
  if (options.messageIdProvider !== undefined && options.messageIdProvider !== null) {
    warn(options, 'messageIdProvider', 'option messageIdProvider is not used: the engine allocates packet ids itself and never reuses one still in flight')
  }
  if (options.reschedulePings === false) {
    warn(options, 'reschedulePings', 'option reschedulePings: false is not supported: PINGREQ is sent only after a keepalive period without traffic')
  }
  if (options.timerVariant !== undefined && typeof options.timerVariant === 'object') {
    warn(options, 'timerVariant', 'a custom timerVariant is not used: keepalive timers run in the engine')
  }
  if (options.protocolVersion === 5 && options.authPacket && options.properties && options.properties.authenticationMethod) {
    warn(options, 'authPacket', 'option authPacket is not sent: the engine runs the AUTH exchange; answer the broker\'s challenges in handleAuth')
  }
  if (options.forceNativeWebSocket) {
    warn(options, 'forceNativeWebSocket', 'option forceNativeWebSocket has no effect: the engine opens WebSockets itself')
  }
}

/** `wsOptions` the engine applies: the handshake headers, `origin`, and the TLS ones for wss. */
const WS_OPTIONS_APPLIED = new Set(['headers', 'origin', 'rejectUnauthorized', 'ca', 'cert', 'key', 'servername', 'ALPNProtocols'])

function checkWebSocketSupport (options) {
  if (typeof options.createWebsocket === 'function') {
    warn(options, 'createWebsocket', 'option createWebsocket is not used: the Rust engine opens the WebSocket itself (wsOptions.headers and the TLS options apply)')
  }
  const wsOptions = options.wsOptions
  if (wsOptions === undefined || wsOptions === null) return
  if (typeof wsOptions !== 'object') throw new TypeError(`Invalid option wsOptions: expected an object, got ${typeof wsOptions}`)
  for (const name of Object.keys(wsOptions)) {
    if (!WS_OPTIONS_APPLIED.has(name) && !(name in TLS_REFUSED)) {
      warn(options, `ws:${name}`, `option wsOptions.${name} is not supported by the engine's WebSocket and has no effect`)
    }
  }
}

module.exports = { checkSupport, warn, refuse }
