'use strict'

// Broker URL -> the option fields MQTT.js derives from it (`port`, `host`,
// `query`, `auth`, `protocol`, `path`), with the same values: programs read
// them back from `client.options`.

const querystring = require('querystring')

/** `user:pass` as MQTT.js exposes it (decoded), or null when the URL has none. */
function authOf (url) {
  if (!url.username && !url.password) return null
  const user = decodeURIComponent(url.username)
  return url.password ? `${user}:${decodeURIComponent(url.password)}` : user
}

/**
 * What `querystring.parse('')` returns: an empty null-prototype object. Made
 * this way, it is a fast-mode object; V8 keeps `{ __proto__: null }` (what
 * querystring creates) in dictionary mode, about 130 bytes more per client.
 */
function emptyQuery () {
  return Object.setPrototypeOf({}, null)
}

function parseBrokerUrl (brokerUrl) {
  let url
  try {
    url = new URL(brokerUrl)
  } catch (e) {
    // MQTT.js reports a URL without a scheme as this; anything else is unparsable too.
    const missingScheme = !/^[a-z][a-z0-9+.-]*:/i.test(brokerUrl)
    throw new Error(missingScheme ? 'Missing protocol' : `Invalid broker URL ${JSON.stringify(brokerUrl)}: ${e.message}`)
  }
  const parsed = {}
  if (url.port !== '') parsed.port = Number(url.port)
  // Hosts of non-special schemes keep their case in WHATWG URLs; MQTT.js lowercases.
  parsed.host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  parsed.query = url.search === '' ? emptyQuery() : querystring.parse(url.search.slice(1))
  parsed.auth = authOf(url)
  parsed.protocol = url.protocol.replace(/:$/, '')
  if (parsed.protocol === 'ws' || parsed.protocol === 'wss') {
    // The WebSocket request path, as written (percent-encoding kept).
    parsed.path = url.pathname + url.search
  } else {
    parsed.path = url.pathname || url.search ? decodeURIComponent(url.pathname) + url.search : null
  }
  return parsed
}

/**
 * MQTT.js splits `auth` at the last colon that has text on both sides:
 * `a:b:c` is user `a:b` with password `c`; `user:` is a user name alone.
 */
function applyAuth (options) {
  if (!options.auth) return
  const colon = options.auth.lastIndexOf(':', options.auth.length - 2)
  if (colon > 0) {
    options.username = options.auth.slice(0, colon)
    options.password = options.auth.slice(colon + 1)
  } else {
    options.username = options.auth
  }
}

module.exports = { parseBrokerUrl, applyAuth }
