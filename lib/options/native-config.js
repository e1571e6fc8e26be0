'use strict'

// The plain config the native constructor takes (src/binding/options.rs),
// built from the resolved MQTT.js-style options.

const { DEFAULT_PORTS, transportOf, toBuffer, checkNumber } = require('./client-options')
const { socksProxyOf } = require('./socks-proxy')

function binary (value, name) {
  return value === undefined || value === null ? undefined : toBuffer(value, name)
}

function caList (options) {
  const ca = options.ca
  if (ca === undefined || ca === null) return undefined
  const list = Array.isArray(ca) ? ca : [ca]
  const buffers = list.map((entry, i) => toBuffer(entry, Array.isArray(ca) ? `ca[${i}]` : 'ca'))
  if (options.ca_len === undefined) return buffers
  // Legacy option: bounds how many bytes of `ca` are read.
  checkNumber(options, 'ca_len', { min: 0 })
  const bounded = []
  let remaining = options.ca_len
  for (const buffer of buffers) {
    if (remaining <= 0) break
    bounded.push(buffer.subarray(0, remaining))
    remaining -= buffer.length
  }
  return bounded
}

function willOf (will) {
  if (!will) return undefined
  return {
    topic: will.topic,
    payload: binary(will.payload, 'will.payload') || Buffer.alloc(0),
    qos: will.qos || 0,
    retain: !!will.retain
  }
}

/** The failover list: each server's own protocol, or the client's. */
function serversOf (options) {
  if (!Array.isArray(options.servers) || options.servers.length === 0) return undefined
  return options.servers.map((server) => {
    const protocol = transportOf(server.protocol || options.defaultProtocol)
    return { protocol, host: server.host || 'localhost', port: Number(server.port) || DEFAULT_PORTS[protocol] }
  })
}

/** Non-MQTT.js options of the engine (see README): passed through when given. */
function engineExtensions (options) {
  const extensions = {}
  if (options.reconnectBackoff !== undefined && options.reconnectBackoff !== null) {
    const { max, factor, jitter } = options.reconnectBackoff
    extensions.reconnectBackoff = { max, factor, jitter }
  }
  if (options.offlineQueueMaxMessages !== undefined) extensions.offlineQueueMaxMessages = options.offlineQueueMaxMessages
  if (options.offlineQueueMaxBytes !== undefined) extensions.offlineQueueMaxBytes = options.offlineQueueMaxBytes
  return extensions
}

/**
 * @param options the live client options, after `applyEndpoint`
 * @param defaultRoots returns Node's root certificates (only asked for TLS without `ca`)
 */
function nativeOptions (options, defaultRoots) {
  const protocol = transportOf(options.protocol)
  const servers = serversOf(options)
  const tls = protocol === 'mqtts' || (servers !== undefined && servers.some((s) => s.protocol === 'mqtts'))
  const ca = tls ? caList(options) : undefined
  const unixSocket = options.unixSocket && protocol === 'mqtt' && typeof options.path === 'string' && options.path !== ''
  return {
    protocol,
    host: options.hostname || options.host || 'localhost',
    port: Number(options.port) || DEFAULT_PORTS[protocol],
    servers,
    unixSocketPath: unixSocket ? options.path : undefined,
    protocolVersion: options.protocolVersion,
    clientId: toBuffer(options.clientId, 'clientId'),
    clean: options.clean,
    keepalive: options.keepalive,
    connectTimeout: options.connectTimeout,
    reconnectPeriod: options.reconnectPeriod,
    reconnectOnConnackError: !!options.reconnectOnConnackError,
    username: binary(options.username, 'username'),
    password: binary(options.password, 'password'),
    will: willOf(options.will),
    resubscribe: options.resubscribe !== false,
    queueQoSZero: options.queueQoSZero !== false,
    maxIncomingPacketSize: options.maxIncomingPacketSize,
    subscribeBatchSize: options.subscribeBatchSize || undefined,
    ca,
    defaultRoots: tls && !ca ? defaultRoots() : undefined,
    cert: tls ? binary(options.cert, 'cert') : undefined,
    key: tls ? binary(options.key, 'key') : undefined,
    rejectUnauthorized: options.rejectUnauthorized !== false,
    // Only an explicit servername: by default each server is verified against its own host.
    servername: tls && options.servername && !servers ? String(options.servername) : undefined,
    alpnProtocols: tls && Array.isArray(options.ALPNProtocols) ? options.ALPNProtocols.map(String) : undefined,
    socksProxy: unixSocket ? undefined : socksProxyOf(options),
    ...engineExtensions(options)
  }
}

module.exports = { nativeOptions, binary }
