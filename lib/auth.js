'use strict'

// MQTT 5 enhanced authentication, the JS side. The engine runs the exchange
// (it checks the broker's AUTH packets against the method the client connected
// with, and sends ours); the app takes part through MQTT.js's hook,
// `client.handleAuth(packet, callback)`, which answers each AUTH the broker
// sends with "continue authentication" (0x18), and through
// `client.reauthenticate()`, this package's re-authentication (MQTT.js has
// none): AUTH 0x19 after connect, settled by the broker's AUTH 0x00 (success)
// or its DISCONNECT (failure).

const { ErrorWithReasonCode, ReasonCodes } = require('./errors')
const { describeValue } = require('./validations')

const SUCCESS = 0x00
const CONTINUE_AUTHENTICATION = 0x18
const PROTOCOL_ERROR = 0x82

/** The method the client authenticates with: its CONNECT's `authenticationMethod`, if any. */
function authenticationMethodOf (client) {
  const { protocolVersion, properties } = client.options
  return protocolVersion === 5 && properties ? properties.authenticationMethod : undefined
}

/**
 * An AUTH from the broker (`packet`, as mqtt-packet parses it). As MQTT.js:
 * `handleAuth` gets every one; after a "continue" (0x18) its callback must
 * give the AUTH to answer with; an error ends the connection and is emitted.
 * A success (0x00) settles a re-authentication.
 */
function onAuth (client, packet) {
  const native = client._native
  let answered = false
  client.handleAuth(packet, (err, answer) => {
    if (answered) return
    answered = true
    // The connection that asked may be gone: its engine or attempt has moved on.
    if (native !== client._native || client._terminated) return
    if (err) {
      refuse(client, err)
      return
    }
    if (packet.reasonCode === SUCCESS) {
      settleReauthentication(client, null, packet)
      return
    }
    if (packet.reasonCode !== CONTINUE_AUTHENTICATION) return
    if (!answer) {
      refuse(client, new ErrorWithReasonCode('Protocol error: No auth packet to continue the authentication exchange', PROTOCOL_ERROR))
      return
    }
    try {
      // (The engine fills in the connect's Authentication Method when the answer leaves it out.)
      native.authContinue(answer.reasonCode === undefined ? CONTINUE_AUTHENTICATION : answer.reasonCode, answer.properties || {})
    } catch (thrown) {
      // An answer the addon cannot send (bad properties): as a failed handleAuth.
      refuse(client, thrown)
    }
  })
}

/**
 * handleAuth failed: the app hears why, and, as in MQTT.js, the connection
 * is dropped at once (no DISCONNECT, as MQTT.js just cleans up); the engine
 * then follows the reconnect policy like after any lost connection.
 */
function refuse (client, err) {
  settleReauthentication(client, err)
  client._native.abortConnection()
  client.emit('error', err)
}

/**
 * `client.reauthenticate(authPacket, callback)`: sends AUTH 0x19 with the
 * CONNECT's Authentication Method and `authPacket.properties` (its
 * `authenticationData` mostly). `callback(err, packet)` gets the broker's
 * final AUTH (0x00), or the error: refused (the broker's DISCONNECT reason
 * code in `code`), connection closed, or not possible now.
 */
function reauthenticate (client, authPacket, callback) {
  const fail = (message) => setImmediate(callback, new Error(message))
  const method = authenticationMethodOf(client)
  if (method === undefined) return fail('Re-authentication needs MQTT 5 and an authenticationMethod in the connect properties')
  if (authPacket !== undefined && authPacket !== null && (typeof authPacket !== 'object' || Array.isArray(authPacket))) {
    return fail(`Invalid re-authentication packet: expected an object like { properties: { authenticationData } }, got ${describeValue(authPacket)}`)
  }
  const properties = { ...(authPacket && authPacket.properties) }
  if (properties.authenticationMethod === undefined) properties.authenticationMethod = method
  else if (properties.authenticationMethod !== method) {
    return fail(`Invalid re-authentication authenticationMethod: must be the connect's "${method}" [MQTT-4.12.1-1], got ${describeValue(properties.authenticationMethod)}`)
  }
  if (!client.connected || client.disconnecting || client._native === null || client._terminated) return fail('Re-authentication needs a connected client')
  if (client._reauthentication !== null) return fail('A re-authentication is already in progress')
  try {
    client._native.reauthenticate(properties)
  } catch (err) {
    setImmediate(callback, err)
    return
  }
  client._reauthentication = callback
}

/** The broker's DISCONNECT ends a re-authentication under way: refused, with its reason code. */
function onServerDisconnect (client, packet) {
  if (client._reauthentication === null) return
  const code = packet.reasonCode || 0
  settleReauthentication(client, new ErrorWithReasonCode(`Re-authentication failed: ${ReasonCodes[code] || `reason code ${code}`}`, code))
}

/** The connection closed before the broker answered. */
function onClose (client) {
  settleReauthentication(client, new Error('Connection closed'))
}

/** Calls back the re-authentication under way, if any. */
function settleReauthentication (client, err, packet) {
  const callback = client._reauthentication
  if (callback === null) return
  client._reauthentication = null
  try {
    if (err) callback(err)
    else callback(null, packet)
  } catch (thrown) {
    client._inbound.reportError(thrown)
  }
}

module.exports = { onAuth, reauthenticate, onServerDisconnect, onClose }
