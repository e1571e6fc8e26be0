'use strict'
// Tests that must listen on a fixed, well-known port (MQTT's defaults 1883 and
// 8883). Whether the port is free is checked once, synchronously, when the test
// is defined, so that a busy port shows as a *skipped* test in jest's summary
// (named with the reason) instead of a test that passes without running.
// Under MQTT_NAPI_CI=1 (set by .ci/run, which frees the ports first) nothing is
// skipped: a busy port fails the test.
const { spawnSync } = require('node:child_process')

const strict = process.env.MQTT_NAPI_CI === '1'

/** True when a TCP listener can bind `port` on 127.0.0.1 right now. */
function portIsFree (port) {
  const probe = `require('net').createServer().once('error', () => process.exit(1))
    .listen(${Number(port)}, '127.0.0.1', () => process.exit(0))`
  return spawnSync(process.execPath, ['-e', probe], { timeout: 10000 }).status === 0
}

/** `test(name, fn)` when `port` is free; otherwise skipped (or, in CI, failing). */
function testOnFixedPort (port, name, fn, timeout) {
  if (portIsFree(port)) return test(name, fn, timeout)
  if (strict) {
    return test(name, () => {
      throw new Error(`port ${port} is busy: CI must run with it free (see .ci/run)`)
    })
  }
  return test.skip(`${name} [skipped: port ${port} is busy on this machine]`, fn)
}

module.exports = { testOnFixedPort, portIsFree }
