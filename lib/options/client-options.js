'use strict'

// MQTT.js-compatible `connect(brokerUrl, opts)` argument handling: URL
// parsing, defaults and derived fields, so `client.options` reads as it does
// with MQTT.js. Errors name the option they are about.

const net = require('net')
const { parseBrokerUrl, applyAuth } = require('./broker-url')
const { checkSupport } = require('./unsupported')
const { describeValue } = require('../validations')
const { MAX_PACKET_SIZE } = require('../native-loader')
const { socksProxyOf } = require('./socks-proxy')

/** MQTT.js's defaults, applied to the options object by the client (see applyDefaultValues). */
const DEFAULTS = {
  keepalive: 60,
  reschedulePings: true,
  protocolId: 'MQTT',
  protocolVersion: 4,
  reconnectPeriod: 1000,
  connectTimeout: 30 * 1000,
  clean: true,
  resubscribe: true,
  subscribeBatchSize: null,
  writeCache: true,
  timerVariant: 'auto'
}

/** URL schemes to the engine's transports. Unknown schemes fall back to mqtt, as in MQTT.js. */
const TRANSPORTS = { mqtt: 'mqtt', tcp: 'mqtt', mqtts: 'mqtts', ssl: 'mqtts', tls: 'mqtts', ws: 'ws', wss: 'wss' }
const DEFAULT_PORTS = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 }
/** The TLS options MQTT.js copies into `wsOptions` for wss (unless `wsOptions` has its own). */
const WSS_TLS_OPTIONS = ['rejectUnauthorized', 'ca', 'cert', 'key', 'pfx', 'passphrase']

function defaultClientId () {
  return `mqttjs_${Math.random().toString(16).substr(2, 8)}`
}

/**
 * An options argument: an object (used as is, as MQTT.js does), a JSON
 * string of one (existing code passes `JSON.stringify(opts)`), or nothing.
 */
function parseOptionsArg (value, name) {
  if (value === undefined || value === null) return {}
  if (typeof value === 'string') {
    let parsed
    try {
      parsed = JSON.parse(value)
    } catch (e) {
      throw new TypeError(`Invalid ${name}: not valid JSON (${e.message})`)
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new TypeError(`Invalid ${name}: JSON must describe an object`)
    }
    return parsed
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`Invalid ${name}: expected an object or a JSON string, got ${typeof value}`)
  }
  return value
}

function isBinary (value) {
  return Buffer.isBuffer(value) || value instanceof Uint8Array
}

function toBuffer (value, name) {
  if (typeof value === 'string') return Buffer.from(value)
  if (Buffer.isBuffer(value)) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  throw new TypeError(`Invalid option ${name}: expected a string or a Buffer, got ${typeof value}`)
}

function checkNumber (options, name, { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = {}) {
  const value = options[name]
  if (typeof value !== 'number' || Number.isNaN(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new TypeError(`Invalid option ${name}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${describeValue(value)}`)
  }
}

/** The engine transport for a URL scheme. */
function transportOf (protocol) {
  return TRANSPORTS[protocol] || 'mqtt'
}

function isWebSocket (protocol) {
  const transport = transportOf(protocol)
  return transport === 'ws' || transport === 'wss'
}

function looksLikeJsonObject (value) {
  return typeof value === 'string' && value.trimStart().startsWith('{')
}

/** What `connect()` does to its arguments before the client exists. */
function connectArguments (brokerUrl, opts) {
  if (looksLikeJsonObject(brokerUrl) && !opts) {
    opts = brokerUrl
    brokerUrl = ''
  }
  if (brokerUrl !== null && typeof brokerUrl === 'object' && !opts) {
    opts = brokerUrl
    brokerUrl = ''
  }
  let options = parseOptionsArg(opts, 'options')
  // With a URL, `options` becomes a new object: the URL's fields, then the caller's.
  const fromUrl = Boolean(brokerUrl)
  if (brokerUrl) {
    if (typeof brokerUrl !== 'string') throw new TypeError(`Invalid broker URL: expected a string, got ${typeof brokerUrl}`)
    options = { ...parseBrokerUrl(brokerUrl), ...options }
    if (!options.protocol) throw new Error('Missing protocol')
    // As MQTT.js, with a URL the protocol loses a trailing colon, the caller's
    // too (`protocol: 'mqtts:'`, as `new URL().protocol` spells it).
    options.protocol = String(options.protocol).replace(/:$/, '')
  }
  const protocol = options.protocol == null ? undefined : String(options.protocol)
  options.unixSocket = options.unixSocket || (protocol === undefined ? undefined : protocol.includes('+unix'))
  if (options.unixSocket) {
    if (protocol !== undefined) options.protocol = protocol.replace('+unix', '')
  } else if (isWebSocket(protocol)) {
    // The WebSocket URL's path (MQTT.js keeps `path` for ws and wss only).
  } else if (fromUrl) {
    // `delete options.path` without `delete`, which would turn this object
    // into a slow dictionary-mode one: over 1 KiB more per client.
    const { path, ...rest } = options
    options = rest
  } else {
    // The caller's object (or one parsed from JSON): MQTT.js deletes from it too.
    delete options.path
  }
  applyAuth(options)
  if (options.query && typeof options.query.clientId === 'string') options.clientId = options.query.clientId
  if (options.unixSocket) options.socksProxy = undefined
  else if (options.socksProxy === undefined) options.socksProxy = process.env.MQTTJS_SOCKS_PROXY

  if (options.cert && options.key) {
    if (!options.protocol) throw new Error('Missing secure protocol key')
    const transport = transportOf(options.protocol)
    if (transport === 'mqtt') options.protocol = 'mqtts'
    else if (transport === 'ws') options.protocol = 'wss'
  }
  if (!TRANSPORTS[options.protocol]) options.protocol = 'mqtt'
  if (options.clean === false && !options.clientId) throw new Error('Missing clientId for unclean clients')
  options.defaultProtocol = options.protocol
  return options
}

/** What MQTT.js's client constructor adds: defaults and a client id. */
function applyDefaults (options) {
  // napi extension: `version` is an alias of `protocolVersion`.
  if (options.version !== undefined && options.protocolVersion === undefined) options.protocolVersion = options.version
  applyDefaultValues(options)
  // napi extension: MQTT 3.1 needs protocol name MQIsdp; MQTT.js would send MQTT.
  if (options.protocolVersion === 3 && options.protocolId === 'MQTT') options.protocolId = 'MQIsdp'
  // napi extension: a Buffer client id is sent as is (MQTT.js replaces it with a random one).
  if (typeof options.clientId !== 'string' && !isBinary(options.clientId)) options.clientId = defaultClientId()
  if (typeof options.customHandleAcks !== 'function' || options.protocolVersion !== 5) {
    // MQTT.js keeps an acknowledging handler here; it only matters for MQTT 5.
    options.customHandleAcks = acceptAll
  }
}

/**
 * DEFAULTS for the options left undefined, in DEFAULTS' order. Spelled out
 * rather than `options[key] = DEFAULTS[key]` in a loop: V8 turns an object
 * that gets many properties added by computed key into a slow dictionary-mode
 * object, over 1 KiB more per client.
 */
function applyDefaultValues (options) {
  if (options.keepalive === undefined) options.keepalive = DEFAULTS.keepalive
  if (options.reschedulePings === undefined) options.reschedulePings = DEFAULTS.reschedulePings
  if (options.protocolId === undefined) options.protocolId = DEFAULTS.protocolId
  if (options.protocolVersion === undefined) options.protocolVersion = DEFAULTS.protocolVersion
  if (options.reconnectPeriod === undefined) options.reconnectPeriod = DEFAULTS.reconnectPeriod
  if (options.connectTimeout === undefined) options.connectTimeout = DEFAULTS.connectTimeout
  if (options.clean === undefined) options.clean = DEFAULTS.clean
  if (options.resubscribe === undefined) options.resubscribe = DEFAULTS.resubscribe
  if (options.subscribeBatchSize === undefined) options.subscribeBatchSize = DEFAULTS.subscribeBatchSize
  if (options.writeCache === undefined) options.writeCache = DEFAULTS.writeCache
  if (options.timerVariant === undefined) options.timerVariant = DEFAULTS.timerVariant
}

function acceptAll (topic, message, packet, done) {
  done(null, 0)
}

/** True when the app gave its own `customHandleAcks` (MQTT 5 only: it picks the reason codes of our acks). */
function hasCustomAckHandler (options) {
  return options.customHandleAcks !== acceptAll
}

/**
 * MQTT.js `connect(brokerUrl, opts)` argument handling. Returns the live
 * options object (what `client.options` shows): the caller's own object
 * when no URL is given, as in MQTT.js.
 */
function resolveConnectOptions (brokerUrl, opts) {
  const options = connectArguments(brokerUrl, opts)
  applyDefaults(options)
  validate(options)
  checkSupport(options)
  // A bad proxy URL fails here, from connect(), not on every reconnect attempt.
  socksProxyOf(options)
  return options
}

/**
 * The endpoint fields MQTT.js writes into the options each time it opens a
 * connection: the current entry of `servers`, then the transport defaults.
 */
function applyEndpoint (options, attempt) {
  const servers = options.servers
  if (Array.isArray(servers) && servers.length > 0) {
    const server = servers[attempt % servers.length]
    options.host = server.host
    options.port = server.port
    options.protocol = server.protocol || options.defaultProtocol
    options.hostname = options.host
  }
  const transport = transportOf(options.protocol)
  if (transport === 'ws' || transport === 'wss') {
    applyWebSocketDefaults(options, transport)
  } else if (transport === 'mqtts') {
    options.port = options.port || DEFAULT_PORTS.mqtts
    options.host = options.hostname || options.host || 'localhost'
    if (net.isIP(options.host) === 0 && !options.servername) options.servername = options.host
    options.rejectUnauthorized = options.rejectUnauthorized !== false
    delete options.path
  } else {
    options.port = options.port || DEFAULT_PORTS.mqtt
    options.hostname = options.hostname || options.host || 'localhost'
  }
}

/** What MQTT.js's WebSocket stream builder writes into the options before each connect. */
function applyWebSocketDefaults (options, transport) {
  options.port = options.port || DEFAULT_PORTS[transport]
  if (!options.path) options.path = '/'
  if (!options.wsOptions) options.wsOptions = {}
  if (transport === 'wss' && !options.forceNativeWebSocket) {
    for (const name of WSS_TLS_OPTIONS) {
      if (Object.prototype.hasOwnProperty.call(options, name) && !Object.prototype.hasOwnProperty.call(options.wsOptions, name)) {
        options.wsOptions[name] = options[name]
      }
    }
  }
  options.hostname = options.hostname || options.host || 'localhost'
}

/** `protocol://hostname:port/path`, as MQTT.js builds a WebSocket URL. */
function plainWebSocketUrl ({ protocol, hostname, port, path }) {
  // An IPv6 address gets its brackets (MQTT.js would build an unparsable URL).
  const host = hostname.includes(':') ? `[${hostname}]` : hostname
  return `${protocol}://${host}:${port}${path}`
}

/** The URL a WebSocket attempt opens, as MQTT.js builds it, through `transformWsUrl` if set. */
function webSocketUrl (options, client) {
  const url = plainWebSocketUrl(options)
  if (typeof options.transformWsUrl !== 'function') return url
  const transformed = options.transformWsUrl(url, options, client)
  if (typeof transformed !== 'string') {
    throw new TypeError(`Invalid transformWsUrl result: expected a URL string, got ${describeValue(transformed)}`)
  }
  return transformed
}

function validate (options) {
  if (![3, 4, 5].includes(options.protocolVersion)) {
    throw new Error(`Invalid option protocolVersion: ${describeValue(options.protocolVersion)} is not supported (3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0)`)
  }
  checkNumber(options, 'keepalive', { max: 65535 })
  checkNumber(options, 'reconnectPeriod', { integer: false })
  checkNumber(options, 'connectTimeout', { integer: false })
  if (options.port !== undefined && options.port !== null && options.port !== '') {
    // A numeric string is accepted; an error names what was given ('x', not NaN).
    const given = options.port
    options.port = Number(given)
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new TypeError(`Invalid option port: expected an integer from 1 to 65535, got ${describeValue(given)}`)
    }
  }
  if (typeof options.clean !== 'boolean') {
    throw new TypeError(`Invalid option clean: expected a boolean, got ${typeof options.clean}`)
  }
  if (options.username !== undefined && options.username !== null) toBuffer(options.username, 'username')
  if (options.password !== undefined && options.password !== null) toBuffer(options.password, 'password')
  validateWill(options.will)
  validateServers(options.servers)
  if (options.subscribeBatchSize !== null && options.subscribeBatchSize !== undefined) {
    checkNumber(options, 'subscribeBatchSize', { min: 1 })
  }
  if (options.engineThread !== undefined && typeof options.engineThread !== 'boolean') {
    throw new TypeError(`Invalid option engineThread: expected a boolean, got ${describeValue(options.engineThread)}`)
  }
  if (options.maxIncomingPacketSize !== undefined) {
    checkNumber(options, 'maxIncomingPacketSize', { min: 2, max: MAX_PACKET_SIZE })
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new TypeError(`Invalid option log: expected a function, got ${typeof options.log}`)
  }
  if (options.protocolVersion === 5) validateMqtt5(options)
}

/**
 * The MQTT 5 options' shapes. The property values themselves are checked by
 * the addon's one converter (src/binding/properties.rs), whose errors name the
 * property; MQTT.js ignores these options for 3.1/3.1.1, and so do we.
 */
function validateMqtt5 (options) {
  checkObject(options.properties, 'properties')
  checkObject(options.authPacket, 'authPacket')
  if (options.authPacket) checkObject(options.authPacket.properties, 'authPacket.properties')
  if (options.will) checkObject(options.will.properties, 'will.properties')
  for (const name of ['autoUseTopicAlias', 'autoAssignTopicAlias']) {
    const value = options[name]
    if (value !== undefined && value !== null && typeof value !== 'boolean') {
      throw new TypeError(`Invalid option ${name}: expected a boolean, got ${describeValue(value)}`)
    }
  }
}

function checkObject (value, name) {
  if (value === undefined || value === null) return
  if (typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new TypeError(`Invalid option ${name}: expected an object, got ${describeValue(value)}`)
  }
}

function validateWill (will) {
  if (will === undefined || will === null) return
  if (typeof will !== 'object') throw new TypeError('Invalid option will: expected an object')
  if (typeof will.topic !== 'string' || will.topic.length === 0) {
    throw new TypeError('Invalid option will.topic: expected a non-empty string')
  }
  if (will.payload !== undefined && will.payload !== null) toBuffer(will.payload, 'will.payload')
  if (will.qos !== undefined && ![0, 1, 2].includes(will.qos)) {
    throw new TypeError(`Invalid option will.qos: expected 0, 1 or 2, got ${describeValue(will.qos)}`)
  }
}

function validateServers (servers) {
  if (servers === undefined || servers === null) return
  if (!Array.isArray(servers)) throw new TypeError('Invalid option servers: expected an array of { host, port, protocol? }')
  servers.forEach((server, i) => {
    if (server === null || typeof server !== 'object' || typeof server.host !== 'string') {
      throw new TypeError(`Invalid option servers[${i}]: expected { host, port, protocol? }`)
    }
  })
}

module.exports = {
  DEFAULT_PORTS,
  resolveConnectOptions,
  applyEndpoint,
  transportOf,
  isWebSocket,
  plainWebSocketUrl,
  webSocketUrl,
  parseOptionsArg,
  toBuffer,
  checkNumber,
  defaultClientId,
  hasCustomAckHandler
}
