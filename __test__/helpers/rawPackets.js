'use strict'
// Hand-built MQTT bytes for hostile-broker tests: fields and framing only, no validation.

const u16 = (n) => Buffer.from([(n >> 8) & 255, n & 255])
const bytes = (...parts) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Array.isArray(p) ? Buffer.from(p) : Buffer.from(String(p)))))
const str = (s) => { const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'); return bytes(u16(b.length), b) }

/** The variable-length "remaining length" encoding. */
function remLen (n) {
  const out = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 128
    out.push(byte)
  } while (n > 0)
  return Buffer.from(out)
}

/** A packet: first byte, remaining length, body. */
const pkt = (first, body = Buffer.alloc(0)) => bytes([first], remLen(body.length), body)

module.exports = { u16, bytes, str, remLen, pkt }
