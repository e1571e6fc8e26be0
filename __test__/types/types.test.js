'use strict'
// The public types: a program written against MQTT.js's types must compile
// with `tsc --noEmit --strict` against `mqtt` and, unchanged, against
// mqtt-napi; misuse must fail against both (negative.ts, @ts-expect-error).
const path = require('node:path')
const { execFile } = require('node:child_process')

const TSC = require.resolve('typescript/bin/tsc')

function tsc (config) {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, '-p', path.join(__dirname, config)], { timeout: 60000 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, output: `${stdout}${stderr}` })
    })
  })
}

test.each([
  ['tsconfig.mqtt.json', 'the reference: usage.ts, negative.ts and esm.mts against mqtt'],
  ['tsconfig.napi.json', 'the same files against mqtt-napi\'s index.d.ts'],
  ['tsconfig.package.json', 'mqtt-napi imported by package name (package.json exports)']
])('%s compiles: %s', async (config) => {
  const { code, output } = await tsc(config)
  expect(output).toBe('')
  expect(code).toBe(0)
}, 60000)
