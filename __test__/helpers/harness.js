'use strict'
// Convenience layer used by every test file: tracked clients, unique names.
const crypto = require('node:crypto')
const { mqtt } = require('./impl')
const { track } = require('./cleanup')
const { once, withTimeout } = require('./events')

// mqtt.connect(...), tracked for afterEach cleanup
function connect (...args) {
  return track(mqtt.connect(...args))
}

// connect and resolve with [client, connack] on the first 'connect';
// reject on the first 'error' (with the error) or after `timeout`
async function connected (url, opts, timeout = 10000) {
  const client = connect(url, opts)
  const connack = await waitConnect(client, timeout)
  return [client, connack]
}

function waitConnect (client, timeout = 10000) {
  return withTimeout(new Promise((resolve, reject) => {
    const onConnect = (connack) => { client.removeListener('error', onError); resolve(connack) }
    const onError = (err) => { client.removeListener('connect', onConnect); reject(err) }
    client.once('connect', onConnect)
    client.once('error', onError)
  }), timeout, "'connect'")
}

// promisified callback APIs: resolve with the callback's argument list
function call (fn) {
  return withTimeout(new Promise((resolve) => fn((...args) => resolve(args))), 10000, 'callback')
}
const subscribe = (client, ...args) => call((cb) => client.subscribe(...args, cb))
const publish = (client, ...args) => call((cb) => client.publish(...args, cb))
const unsubscribe = (client, ...args) => call((cb) => client.unsubscribe(...args, cb))
const end = (client, ...args) => call((cb) => client.end(...args, cb))

// Run fn(cb) and resolve with the error it produces, however it is delivered:
// thrown synchronously, passed to the callback, or emitted as 'error' on `client`
// (if given) within `timeout`. Resolves null if there is no error.
function captureError (fn, client, timeout = 5000) {
  return new Promise((resolve) => {
    let settled = false
    const finish = (err) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (client) client.removeListener('error', onError)
      resolve(err || null)
    }
    const onError = (err) => finish(err)
    const timer = setTimeout(() => finish(null), timeout)
    if (client) client.on('error', onError)
    try {
      fn((err) => finish(err))
    } catch (err) {
      finish(err)
    }
  })
}

// An Error from any realm: jest runs tests in a vm context, so errors created by
// Node internals (net/tls) or by a native addon are not `instanceof` the test's Error.
function isError (e) {
  return require('node:util').types.isNativeError(e) || e instanceof Error
}

// short random names: aedes limits client ids to 23 chars
const rnd = (n = 5) => crypto.randomBytes(n).toString('hex')
const clientId = (prefix = 'c') => `${prefix}${rnd(5)}`
const topic = (prefix = 't') => `${prefix}/${rnd(4)}`

module.exports = { isError, captureError, connect, connected, waitConnect, call, subscribe, publish, unsubscribe, end, rnd, clientId, topic, once }
