'use strict'
// The code examples of MQTT.js's README, read from node_modules/mqtt/README.md
// and run unchanged in a child Node process except for the module name and
// the broker URL (a local aedes instead of test.mosquitto.org). Snippets that
// only create a client get a harness epilogue that prints and ends it. The
// process must print the same and exit by itself with both implementations.
const fs = require('node:fs')
const path = require('node:path')
const vm = require('node:vm')
const { execFile } = require('node:child_process')
const { pathToFileURL } = require('node:url')
const { defineScenarios } = require('./runner')

const README = fs.readFileSync(path.join(path.dirname(require.resolve('mqtt/package.json')), 'README.md'), 'utf8')
const PUBLIC_BROKER = 'mqtt://test.mosquitto.org'

/** The first fenced code block after `heading` (and after `after`, when given). */
function codeBlock (heading, { after = '', lang = 'js' } = {}) {
  let from = README.indexOf(`\n${heading}\n`)
  if (from < 0) throw new Error(`README heading not found: ${heading}`)
  if (after) from = README.indexOf(after, from)
  const start = README.indexOf('```' + lang + '\n', from)
  const end = README.indexOf('\n```', start + 4)
  return README.slice(start + lang.length + 4, end + 1)
}

const SNIPPETS = {
  example: codeBlock('## Example'),
  commonjs: codeBlock('### CommonJS (Require)'),
  defaultImport: codeBlock('#### Default import'),
  namedImport: codeBlock('#### Importing individual components'),
  typescriptImport: codeBlock('Example:', { lang: 'ts' }),
  mqtt31Options: codeBlock('#### Enabling Reconnection with `reconnectPeriod` option', { after: 'MQTT 3.1' })
}

/** Where each implementation's module is: for require() and for import. */
function moduleOf (impl) {
  if (impl === 'mqtt') return { cjs: require.resolve('mqtt'), esm: pathToFileURL(require.resolve('mqtt')).href }
  return { cjs: path.resolve(__dirname, '..', '..'), esm: pathToFileURL(path.resolve(__dirname, '..', '..', 'lib', 'index.mjs')).href }
}

/** The snippet for `impl`: only the module name and the broker URL replaced. */
function adapt (code, impl, url) {
  const { cjs, esm } = moduleOf(impl)
  return code
    .replaceAll('require("mqtt")', `require(${JSON.stringify(cjs)})`)
    .replaceAll('from "mqtt"', `from ${JSON.stringify(esm)}`)
    .replaceAll(`"${PUBLIC_BROKER}"`, JSON.stringify(url))
    .replaceAll(`'${PUBLIC_BROKER}'`, JSON.stringify(url))
}

/** Runs `code` in a child Node process; resolves with its exit code and output. */
function runNode (code, { esm = false } = {}) {
  const args = esm ? ['--input-type=module', '-e', code] : ['-e', code]
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 15000, cwd: path.resolve(__dirname, '..', '..') }, (err, stdout, stderr) => {
      resolve({ exitCode: err ? (err.code ?? err.signal) : 0, stdout, stderr: stderr.replace(/\(node:\d+\)/g, '(node)') })
    })
  })
}

/** Harness epilogue for snippets that only create `client`: report its CONNACK and end it. */
const END_CLIENT = `
client.on("connect", (connack) => { console.log("connect", connack.returnCode); client.end(() => console.log("ended")) });
client.on("error", (err) => { console.log("error", err.message); client.end(true) });
`

function snippetScenario (name, snippet, { esm = false, epilogue = '' } = {}) {
  return {
    name: `README: ${name}`,
    broker: 'aedes',
    async run (t) {
      const code = adapt(snippet, t.impl, t.url) + epilogue
      t.note('result', await runNode(code, { esm }))
    },
    // aedes reports its own events in whatever order its streams settle: compare them as a set.
    wire: (events) => events.map((e) => JSON.stringify(e)).sort()
  }
}

defineScenarios([
  snippetScenario('the Example (subscribe, publish, print, end)', SNIPPETS.example),
  snippetScenario('CommonJS require and connect', SNIPPETS.commonjs, { epilogue: END_CLIENT }),
  snippetScenario('ES module default import', SNIPPETS.defaultImport, { esm: true, epilogue: END_CLIENT }),
  snippetScenario('ES module named import', SNIPPETS.namedImport, { esm: true, epilogue: END_CLIENT }),
  snippetScenario('TypeScript-style named import (valid ESM)', SNIPPETS.typescriptImport, { esm: true, epilogue: END_CLIENT }),
  {
    name: 'README: MQTT 3.1 options { protocolId: \'MQIsdp\', protocolVersion: 3 }',
    async run (t) {
      // The README gives an options literal: connect with exactly it.
      const options = vm.runInNewContext(`(${SNIPPETS.mqtt31Options.trim()})`)
      const c = await t.connected(t.url, { clientId: 'diff-readme-v31', ...options })
      await t.end(c)
    }
  }
])
