'use strict'

const { reasonCodes } = require('./native-loader')

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

/**
 * MQTT 3.1.1 CONNACK return codes and MQTT 5 reason codes, worded as MQTT.js:
 * the engine's table (`ReasonCode::mqttjs_text` in
 * engine/src/codec/v5/reason_codes.rs), which also words its own
 * `Connection refused: ...` errors.
 */
const ReasonCodes = reasonCodes()

module.exports = { ErrorWithReasonCode, ErrorWithSubackPacket, ReasonCodes }
