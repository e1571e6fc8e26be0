'use strict'
// Debug aid: prints both transcripts of one scenario.
//   node __test__/differential/show.js <file.test.js> "<scenario name substring>" [mqtt|napi]
const path = require('node:path')
const util = require('node:util')
const runner = require('./runner')

const [file, name, only] = process.argv.slice(2)
const scenarios = []
runner.register = (list) => scenarios.push(...list)
const beforeAlls = []
global.test = () => {}
global.expect = () => {}
global.beforeAll = (fn) => beforeAlls.push(fn)
global.afterAll = () => {}
require(path.resolve(file))

;(async () => {
  for (const fn of beforeAlls) await fn()
  for (const scenario of scenarios.filter((s) => s.name.includes(name))) {
    console.log(`== ${scenario.name}`)
    for (const impl of only ? [only] : ['mqtt', 'napi']) {
      const transcript = await runner.runOnce(scenario, impl)
      console.log(`-- ${impl}`)
      console.log(util.inspect(transcript, { depth: 6, breakLength: 160 }))
    }
  }
})()
