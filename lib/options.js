'use strict'

// MQTT.js-compatible option handling: URL parsing, defaults, aliases and
// validation. Errors name the option they are about.

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

const PROTOCOL_ALIASES = {
  mqtt: 'mqtt',
  tcp: 'mqtt',
  mqtts: 'mqtts',
  ssl: 'mqtts',
  tls: 'mqtts'
}

const DEFAULT_PORTS = { mqtt: 1883, mqtts: 8883 }

function defaultClientId () {
  return `mqttjs_${Math.random().toString(16).substr(2, 8)}`
}

/**
 * Accepts an options object, a JSON string of one (existing code passes
 * `JSON.stringify(opts)`), or nothing. `name` is used in error messages.
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
    throw new TypeError(`Invalid option ${name}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`)
  }
}

function parseUrl (brokerUrl) {
  let url
  try {
    url = new URL(brokerUrl)
  } catch (e) {
    throw new TypeError(`Invalid broker URL ${JSON.stringify(brokerUrl)}: ${e.message}`)
  }
  const parsed = {
    protocol: url.protocol.replace(/:$/, ''),
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    query: Object.fromEntries(url.searchParams)
  }
  if (url.port) parsed.port = Number(url.port)
  if (url.username) {
    parsed.auth = decodeURIComponent(url.username) + (url.password ? ':' + decodeURIComponent(url.password) : '')
  }
  return parsed
}

function applyAuth (options) {
  if (!options.auth) return
  const match = /^(.+?):(.+)$/.exec(options.auth)
  if (match) {
    options.username = match[1]
    options.password = match[2]
  } else {
    options.username = options.auth
  }
}

function caList (options) {
  let ca = options.ca
  if (ca === undefined || ca === null) return undefined
  const list = Array.isArray(ca) ? ca : [ca]
  const buffers = list.map((entry, i) => toBuffer(entry, Array.isArray(ca) ? `ca[${i}]` : 'ca'))
  if (options.ca_len !== undefined) {
    // Legacy option: bounds how many bytes of `ca` are read.
    checkNumber(options, 'ca_len', { min: 0 })
    let remaining = options.ca_len
    ca = []
    for (const buffer of buffers) {
      if (remaining <= 0) break
      ca.push(buffer.subarray(0, remaining))
      remaining -= buffer.length
    }
    return ca
  }
  return buffers
}

/**
 * MQTT.js `connect(brokerUrl, opts)` argument handling. Returns the live
 * options object (what `client.options` shows) with defaults applied.
 */
function resolveConnectOptions (brokerUrl, opts) {
  if (typeof brokerUrl === 'string' && brokerUrl.trimStart().startsWith('{') && !opts) {
    // connect(JSON.stringify(options)): options only, as a JSON string.
    opts = brokerUrl
    brokerUrl = ''
  }
  if (brokerUrl !== null && typeof brokerUrl === 'object' && !opts) {
    opts = brokerUrl
    brokerUrl = ''
  }
  opts = parseOptionsArg(opts, 'options')
  let options = { ...opts }
  if (brokerUrl && typeof brokerUrl === 'string') {
    options = { ...parseUrl(brokerUrl), ...opts }
  } else if (brokerUrl && typeof brokerUrl !== 'string') {
    throw new TypeError(`Invalid broker URL: expected a string, got ${typeof brokerUrl}`)
  }
  applyAuth(options)
  if (options.query && typeof options.query.clientId === 'string') {
    options.clientId = options.query.clientId
  }
  if (options.hostname && !opts.host) options.host = options.hostname

  if (options.version !== undefined && options.protocolVersion === undefined) {
    options.protocolVersion = options.version
  }
  for (const key of Object.keys(DEFAULTS)) {
    if (options[key] === undefined) options[key] = DEFAULTS[key]
  }
  if (options.protocolVersion === 3 && opts.protocolId === undefined) options.protocolId = 'MQIsdp'

  const protocol = PROTOCOL_ALIASES[options.protocol || 'mqtt']
  if (!protocol) {
    throw new Error(`Unsupported protocol ${JSON.stringify(options.protocol)}: mqtt-napi supports mqtt://, tcp://, mqtts://, ssl:// and tls://`)
  }
  options.protocol = protocol === 'mqtt' && options.cert && options.key ? 'mqtts' : protocol
  options.host = options.host || 'localhost'
  options.port = options.port === undefined || options.port === null || options.port === '' ? DEFAULT_PORTS[options.protocol] : Number(options.port)
  if (options.protocol === 'mqtts') {
    options.rejectUnauthorized = options.rejectUnauthorized !== false
  }

  if (options.clean === false && !options.clientId) {
    throw new Error('Missing clientId for unclean clients')
  }
  if (options.clientId === undefined || options.clientId === null || options.clientId === '') {
    options.clientId = options.clientId === '' ? '' : defaultClientId()
  } else if (typeof options.clientId !== 'string' && !isBinary(options.clientId)) {
    throw new TypeError(`Invalid option clientId: expected a string or a Buffer, got ${typeof options.clientId}`)
  }
  validate(options)
  return options
}

function validate (options) {
  if (![3, 4].includes(options.protocolVersion)) {
    if (options.protocolVersion === 5) {
      throw new Error('Invalid option protocolVersion: MQTT 5 is not supported yet (use 3 or 4)')
    }
    throw new Error(`Invalid option protocolVersion: ${JSON.stringify(options.protocolVersion)} is not supported (3 = MQTT 3.1, 4 = MQTT 3.1.1)`)
  }
  checkNumber(options, 'keepalive', { max: 65535 })
  checkNumber(options, 'reconnectPeriod', { integer: false })
  checkNumber(options, 'connectTimeout', { integer: false })
  checkNumber(options, 'port', { min: 1, max: 65535 })
  if (typeof options.clean !== 'boolean') {
    throw new TypeError(`Invalid option clean: expected a boolean, got ${typeof options.clean}`)
  }
  if (options.username !== undefined && options.username !== null) toBuffer(options.username, 'username')
  if (options.password !== undefined && options.password !== null) toBuffer(options.password, 'password')
  if (options.will !== undefined && options.will !== null) {
    const will = options.will
    if (typeof will !== 'object') throw new TypeError('Invalid option will: expected an object')
    if (typeof will.topic !== 'string' || will.topic.length === 0) {
      throw new TypeError('Invalid option will.topic: expected a non-empty string')
    }
    if (will.payload !== undefined && will.payload !== null) toBuffer(will.payload, 'will.payload')
    if (will.qos !== undefined && ![0, 1, 2].includes(will.qos)) {
      throw new TypeError(`Invalid option will.qos: expected 0, 1 or 2, got ${JSON.stringify(will.qos)}`)
    }
  }
  if (options.maxIncomingPacketSize !== undefined) {
    checkNumber(options, 'maxIncomingPacketSize', { min: 2, max: 268435460 })
  }
}

/** The plain config the native constructor takes (see src/binding/options.rs). */
function nativeOptions (options, defaultRoots) {
  const binary = (value, name) => (value === undefined || value === null ? undefined : toBuffer(value, name))
  const will = options.will
    ? {
        topic: options.will.topic,
        payload: binary(options.will.payload, 'will.payload') || Buffer.alloc(0),
        qos: options.will.qos || 0,
        retain: !!options.will.retain
      }
    : undefined
  const tls = options.protocol === 'mqtts'
  const ca = tls ? caList(options) : undefined
  return {
    protocol: options.protocol,
    host: options.host,
    port: options.port,
    protocolVersion: options.protocolVersion,
    clientId: toBuffer(options.clientId, 'clientId'),
    clean: options.clean,
    keepalive: options.keepalive,
    connectTimeout: options.connectTimeout,
    reconnectPeriod: options.reconnectPeriod,
    username: binary(options.username, 'username'),
    password: binary(options.password, 'password'),
    will,
    resubscribe: options.resubscribe !== false,
    queueQoSZero: options.queueQoSZero !== false,
    maxIncomingPacketSize: options.maxIncomingPacketSize,
    ca,
    defaultRoots: tls && !ca ? defaultRoots() : undefined,
    cert: tls ? binary(options.cert, 'cert') : undefined,
    key: tls ? binary(options.key, 'key') : undefined,
    rejectUnauthorized: options.rejectUnauthorized !== false,
    servername: tls && options.servername ? String(options.servername) : undefined,
    alpnProtocols: tls && Array.isArray(options.ALPNProtocols) ? options.ALPNProtocols.map(String) : undefined
  }
}

module.exports = { DEFAULTS, resolveConnectOptions, nativeOptions, parseOptionsArg, toBuffer, isBinary }
