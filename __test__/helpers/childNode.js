'use strict'
// Runs a test program in a fresh Node process, with the implementation under
// test at `process.env.IMPL_PATH` (so `require(process.env.IMPL_PATH)` loads
// mqtt-napi, or MQTT.js under MQTT_IMPL=mqtt). The child is killed at cleanup.
const { spawn } = require('node:child_process')
const path = require('node:path')
const { track } = require('./cleanup')
const { withTimeout } = require('./events')
const { isNapi } = require('./impl')

const IMPL_PATH = isNapi ? path.resolve(__dirname, '..', '..') : require.resolve('mqtt')

/**
 * Starts `node -e code`; `exited()` resolves { code, signal, output, ms } or
 * rejects after `timeout` ms; `output()` is what it printed so far.
 */
function runNode (code, env = {}, timeout = 8000) {
  const child = spawn(process.execPath, ['-e', code], {
    env: { ...process.env, IMPL_PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  const t0 = Date.now()
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, output, ms: Date.now() - t0 })))
  track({ close: async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited } } })
  return { child, exited: () => withTimeout(exited, timeout, `child process to exit; output so far: ${output}`), output: () => output }
}

/** Runs `code` to its end; resolves with what it printed as JSON on its last line. */
async function runNodeForResult (code, env, timeout) {
  const { code: exitCode, output } = await runNode(code, env, timeout).exited()
  const lines = output.trim().split('\n')
  try {
    return { code: exitCode, result: JSON.parse(lines[lines.length - 1]), output }
  } catch (err) {
    throw new Error(`child printed no result (exit code ${exitCode}): ${output}`)
  }
}

module.exports = { runNode, runNodeForResult, IMPL_PATH }
