'use strict'

// MQTT.js's `socksProxy` / `socksTimeout` (and the MQTTJS_SOCKS_PROXY
// environment variable, applied in options.js): the proxy URL read as
// MQTT.js reads it, into the plain object the engine takes. The handshake
// itself runs in the engine (engine/src/transport/socks.rs).
//
// Where MQTT.js reports a bad URL asynchronously as an `error` event (code
// SOCKS) on every reconnect attempt, this throws from connect(), naming the
// option. Credentials in the URL are used (MQTT.js drops them).

const { describeValue } = require('../validations')

/** MQTT.js's schemes: SOCKS version, and whether the proxy resolves the broker's host name. */
const SCHEMES = {
  'socks4:': { version: 4, remoteDns: false },
  'socks4a:': { version: 4, remoteDns: true },
  'socks5:': { version: 5, remoteDns: false },
  'socks5h:': { version: 5, remoteDns: true }
}

/** The `socks` package's DEFAULT_TIMEOUT, which MQTT.js leaves in force without `socksTimeout`. */
const DEFAULT_SOCKS_TIMEOUT = 30000

/** RFC 1928/1929 and SOCKS4 carry each of these in at most 255 bytes. */
const MAX_FIELD_BYTES = 255

function invalid (option, detail) {
  return new TypeError(`Invalid option ${option}: ${detail}`)
}

/** How to name the proxy option in errors: where the value came from. */
function optionName (options) {
  const fromEnv = process.env.MQTTJS_SOCKS_PROXY
  return fromEnv !== undefined && options.socksProxy === fromEnv ? 'socksProxy (from MQTTJS_SOCKS_PROXY)' : 'socksProxy'
}

function decoded (component, option, what) {
  try {
    return decodeURIComponent(component)
  } catch {
    throw invalid(option, `the ${what} is not valid percent-encoding`)
  }
}

function credentialsOf (url, version, option) {
  const username = decoded(url.username, option, 'username')
  const password = decoded(url.password, option, 'password')
  if (username === '' && password === '') return {}
  for (const [what, value] of [['username', username], ['password', password]]) {
    if (Buffer.byteLength(value) > MAX_FIELD_BYTES) throw invalid(option, `the proxy ${what} is longer than ${MAX_FIELD_BYTES} bytes`)
  }
  if (version === 4) {
    // SOCKS4 has a user id and no password.
    if (password !== '') throw invalid(option, 'SOCKS4 has no password: give only a user id (socks4://userid@host:port)')
    return { username }
  }
  if (username === '' || password === '') {
    throw invalid(option, 'SOCKS5 authentication needs both a username and a password (socks5://user:password@host:port)')
  }
  return { username, password }
}

function timeoutOf (options) {
  const timeout = options.socksTimeout
  if (timeout === undefined || timeout === null) return DEFAULT_SOCKS_TIMEOUT
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw invalid('socksTimeout', `expected a number of milliseconds above 0, got ${describeValue(timeout)}`)
  }
  return timeout
}

/**
 * The engine's proxy settings for the resolved client `options`, or
 * undefined without a proxy. Throws a TypeError naming the option for a
 * value that cannot be a SOCKS proxy URL.
 */
function socksProxyOf (options) {
  const value = options.socksProxy
  // MQTT.js's TCP transport takes any falsy value as "no proxy"; so does this, for TLS too.
  if (!value) return undefined
  const option = optionName(options)
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw invalid(option, `expected a URL string such as "socks5://127.0.0.1:1080", got ${describeValue(value)}`)
  }
  let url
  try {
    url = new URL(value)
  } catch {
    throw invalid(option, `${JSON.stringify(String(value))} is not a URL (expected socks5://host:port)`)
  }
  const scheme = SCHEMES[url.protocol]
  if (!scheme) {
    throw invalid(option, `unsupported scheme ${JSON.stringify(url.protocol)} (expected socks4://, socks4a://, socks5:// or socks5h://)`)
  }
  if (url.pathname || url.search || url.hash) {
    throw invalid(option, 'the URL must have no path, query or fragment: scheme://[user:password@]host:port')
  }
  if (!url.hostname) throw invalid(option, 'the URL has no host')
  const port = Number(url.port)
  if (url.port === '' || port === 0) throw invalid(option, 'the URL needs the proxy\'s port (1 to 65535), e.g. socks5://host:1080')
  return {
    version: scheme.version,
    remoteDns: scheme.remoteDns,
    host: url.hostname,
    port,
    ...credentialsOf(url, scheme.version, option),
    timeout: timeoutOf(options)
  }
}

module.exports = { socksProxyOf, DEFAULT_SOCKS_TIMEOUT }
