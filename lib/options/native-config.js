'use strict'

// The plain config the native constructor takes (src/binding/options.rs),
// built from the resolved MQTT.js-style options.

const http = require('http')
const { DEFAULT_PORTS, transportOf, isWebSocket, plainWebSocketUrl, webSocketUrl, toBuffer, checkNumber } = require('./client-options')
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

function willOf (will, v5) {
  if (!will) return undefined
  return {
    topic: will.topic,
    payload: binary(will.payload, 'will.payload') || Buffer.alloc(0),
    qos: will.qos || 0,
    retain: !!will.retain,
    properties: v5 && will.properties ? will.properties : undefined
  }
}

/**
 * The MQTT 5 options, as the user gave them (the addon converts and checks
 * the properties); none for 3.1/3.1.1, which MQTT.js sends without them too.
 */
function mqtt5Fields (options) {
  if (options.protocolVersion !== 5) return {}
  return {
    properties: options.properties || undefined,
    autoUseTopicAlias: !!options.autoUseTopicAlias,
    autoAssignTopicAlias: !!options.autoAssignTopicAlias
  }
}

/**
 * The failover list: each server's own protocol, or the client's. The current server's
 * WebSocket URL is `currentWsUrl` (through `transformWsUrl`); the others' are the plain
 * ones, replaced on each reconnect by the URL JS hands over then.
 */
function serversOf (options, currentWsUrl) {
  if (!Array.isArray(options.servers) || options.servers.length === 0) return undefined
  return options.servers.map((server, i) => {
    const protocol = transportOf(server.protocol || options.defaultProtocol)
    const host = server.host || 'localhost'
    const port = Number(server.port) || DEFAULT_PORTS[protocol]
    let wsUrl
    if (isWebSocket(protocol)) {
      wsUrl = i === 0 ? currentWsUrl : plainWebSocketUrl({ protocol, hostname: host, port, path: options.path || '/' })
    }
    return { protocol, host, port, wsUrl }
  })
}

/** `wsOptions.headers` (and `origin`, which `ws` sends as a header) as name/value pairs. */
function wsHeadersOf (wsOptions) {
  const headers = []
  if (!wsOptions) return headers
  const given = wsOptions.headers
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object') throw new TypeError(`Invalid option wsOptions.headers: expected an object, got ${typeof given}`)
    for (const [name, value] of Object.entries(given)) {
      if (value === undefined) continue
      for (const one of Array.isArray(value) ? value : [value]) {
        // Node's own checks, so a bad header throws here, as `ws` (through http.request) throws.
        http.validateHeaderName(name)
        http.validateHeaderValue(name, String(one))
        headers.push({ name, value: String(one) })
      }
    }
  }
  if (typeof wsOptions.origin === 'string') headers.push({ name: 'Origin', value: wsOptions.origin })
  return headers
}

/** The WebSocket fields: URL, headers and subprotocol (`mqttv3.1` for MQTT 3.1, as MQTT.js). */
function webSocketFields (options, client, protocol, hasServers) {
  if (!isWebSocket(protocol) && !(hasServers && options.servers.some((s) => isWebSocket(s.protocol)))) return {}
  const wsUrl = isWebSocket(protocol) ? webSocketUrl(options, client) : undefined
  return {
    wsUrl,
    wsHeaders: wsHeadersOf(options.wsOptions),
    wsSubprotocol: options.protocolId === 'MQIsdp' && options.protocolVersion === 3 ? 'mqttv3.1' : 'mqtt'
  }
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
  if (options.engineThread !== undefined) extensions.engineThread = options.engineThread
  return extensions
}

/**
 * @param options the live client options, after `applyEndpoint`
 * @param defaultRoots returns Node's root certificates (only asked for TLS without `ca`)
 * @param client handed to `transformWsUrl`
 */
function nativeOptions (options, defaultRoots, client) {
  const protocol = transportOf(options.protocol)
  const hasServers = Array.isArray(options.servers) && options.servers.length > 0
  const ws = webSocketFields(options, client, protocol, hasServers)
  const servers = serversOf(options, ws.wsUrl)
  const secure = (p) => p === 'mqtts' || p === 'wss'
  // A `transformWsUrl` may send a ws:// client to a wss:// URL: TLS settings go along.
  const tls = secure(protocol) || (servers !== undefined && servers.some((s) => secure(s.protocol))) ||
    (ws.wsUrl !== undefined && typeof options.transformWsUrl === 'function')
  // For wss, MQTT.js hands `wsOptions` (with the TLS options it copied there) to `ws`.
  const tlsSource = isWebSocket(protocol) ? (options.wsOptions || {}) : options
  const ca = tls ? caList(tlsSource) : undefined
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
    will: willOf(options.will, options.protocolVersion === 5),
    resubscribe: options.resubscribe !== false,
    queueQoSZero: options.queueQoSZero !== false,
    maxIncomingPacketSize: options.maxIncomingPacketSize,
    subscribeBatchSize: options.subscribeBatchSize || undefined,
    ca,
    defaultRoots: tls && !ca ? defaultRoots() : undefined,
    cert: tls ? binary(tlsSource.cert, 'cert') : undefined,
    key: tls ? binary(tlsSource.key, 'key') : undefined,
    rejectUnauthorized: tlsSource.rejectUnauthorized !== false,
    // Only an explicit servername: by default each server is verified against its own host.
    servername: tls && tlsSource.servername && !servers ? String(tlsSource.servername) : undefined,
    alpnProtocols: tls && Array.isArray(tlsSource.ALPNProtocols) ? tlsSource.ALPNProtocols.map(String) : undefined,
    // MQTT.js applies socksProxy to mqtt/mqtts only (the engine ignores it for ws/wss).
    socksProxy: unixSocket ? undefined : socksProxyOf(options),
    ...ws,
    ...mqtt5Fields(options),
    ...engineExtensions(options)
  }
}

module.exports = { nativeOptions, binary }
