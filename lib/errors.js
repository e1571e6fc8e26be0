'use strict'

/** An error carrying an MQTT return/reason code in `code` (as MQTT.js). */
class ErrorWithReasonCode extends Error {
  constructor (message, code) {
    super(message)
    this.code = code
  }
}

/** A failed subscribe, with the SUBACK (if any) in `packet` (as MQTT.js). */
class ErrorWithSubackPacket extends Error {
  constructor (message, packet) {
    super(message)
    this.packet = packet
  }
}

// `name` lives on the prototype, as in MQTT.js: an instance's own properties
// are only what MQTT.js's have (`code`, `packet`), so they compare and
// serialise the same.
ErrorWithReasonCode.prototype.name = 'ErrorWithReasonCode'
ErrorWithSubackPacket.prototype.name = 'ErrorWithSubackPacket'

/** MQTT 3.1.1 CONNACK return codes and MQTT 5 reason codes, worded as MQTT.js. */
const ReasonCodes = {
  0: '',
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad username or password',
  5: 'Not authorized',
  16: 'No matching subscribers',
  17: 'No subscription existed',
  128: 'Unspecified error',
  129: 'Malformed Packet',
  130: 'Protocol Error',
  131: 'Implementation specific error',
  132: 'Unsupported Protocol Version',
  133: 'Client Identifier not valid',
  134: 'Bad User Name or Password',
  135: 'Not authorized',
  136: 'Server unavailable',
  137: 'Server busy',
  138: 'Banned',
  139: 'Server shutting down',
  140: 'Bad authentication method',
  141: 'Keep Alive timeout',
  142: 'Session taken over',
  143: 'Topic Filter invalid',
  144: 'Topic Name invalid',
  145: 'Packet identifier in use',
  146: 'Packet Identifier not found',
  147: 'Receive Maximum exceeded',
  148: 'Topic Alias invalid',
  149: 'Packet too large',
  150: 'Message rate too high',
  151: 'Quota exceeded',
  152: 'Administrative action',
  153: 'Payload format invalid',
  154: 'Retain not supported',
  155: 'QoS not supported',
  156: 'Use another server',
  157: 'Server moved',
  158: 'Shared Subscriptions not supported',
  159: 'Connection rate exceeded',
  160: 'Maximum connect time',
  161: 'Subscription Identifiers not supported',
  162: 'Wildcard Subscriptions not supported'
}

module.exports = { ErrorWithReasonCode, ErrorWithSubackPacket, ReasonCodes }
