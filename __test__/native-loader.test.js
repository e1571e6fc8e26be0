'use strict'
// When no native binary fits the machine, loading the package must fail with
// one error that names the platform, the prebuilt package npm should have
// installed, and how to build from source: not napi's generic "npm has a bug
// related to optional dependencies" advice. Checked on a copy of the package's
// JavaScript without any .node file, as an install missing its platform
// package looks.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..')
let copy

beforeAll(() => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-nobinary-'))
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'))
  for (const dir of ['lib', 'bin']) {
    fs.mkdirSync(path.join(copy, dir))
    for (const file of fs.readdirSync(path.join(ROOT, dir)).filter((f) => /\.(c?js|mjs)$/.test(f))) {
      fs.copyFileSync(path.join(ROOT, dir, file), path.join(copy, dir, file))
    }
  }
})

afterAll(() => fs.rmSync(copy, { recursive: true, force: true }))

/** Runs node in the copy; `preload` code runs first (to pose as another platform). */
function run (args, preload) {
  const pre = []
  if (preload) {
    const file = path.join(copy, 'preload.js')
    fs.writeFileSync(file, preload)
    pre.push('-r', file)
  }
  return spawnSync(process.execPath, [...pre, ...args], { cwd: copy, encoding: 'utf8', timeout: 20000 })
}

function expectBuildFromSource (stderr) {
  expect(stderr).toMatch(/Rust toolchain/)
  expect(stderr).toMatch(/npm run build/)
  expect(stderr).not.toMatch(/npm has a bug/)
}

test('missing platform package: the error names this platform, its Rust target and the package expected', () => {
  const { status, stderr } = run(['-e', "require('./lib/index.js')"])
  expect(status).not.toBe(0)
  // This machine's own platform, whatever it is (CI runs on several).
  const { suffix, triple } = JSON.parse(run(['-e', `
    const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch]
    const libc = process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'
    const [suffix, triple] = process.platform === 'linux' ? ['linux-' + process.arch + '-' + libc, arch + '-unknown-linux-' + libc]
      : process.platform === 'darwin' ? ['darwin-' + process.arch, arch + '-apple-darwin']
        : ['win32-' + process.arch + '-msvc', arch + '-pc-windows-msvc']
    console.log(JSON.stringify({ suffix, triple }))`]).stdout)
  expect(stderr).toContain(`no native engine could be loaded for this platform, ${suffix} (Rust target ${triple})`)
  expect(stderr).toContain(`optional dependency mqtt-napi-${suffix}@${require('../package.json').version}`)
  expectBuildFromSource(stderr)
})

test('a platform with no prebuilt package: the error says so and lists the ones that exist', () => {
  const posing = "Object.defineProperty(process, 'arch', { value: 'riscv64' }); Object.defineProperty(process, 'platform', { value: 'linux' })"
  const { status, stderr } = run(['--input-type=module', '-e', "import('./lib/index.mjs')"], posing)
  expect(status).not.toBe(0)
  expect(stderr).toMatch(/this platform, linux-riscv64-(gnu|musl) \(Rust target riscv64gc-unknown-linux-(gnu|musl)\)/)
  expect(stderr).toMatch(/No prebuilt binary is published for linux-riscv64-(gnu|musl) \(there is no package mqtt-napi-linux-riscv64-(gnu|musl)\)/)
  expect(stderr).toContain(`the prebuilt ones are for ${require('../package.json').napi.targets.join(', ')}.`)
  expectBuildFromSource(stderr)
})

test('the CLI reports a missing binary the same way, with exit code 1 and no stack', () => {
  const { status, stdout, stderr } = run(['bin/mqtt-napi.js', 'sub', '-t', 'x'])
  expect(status).toBe(1)
  expect(stdout).toBe('')
  expect(stderr).toMatch(/^mqtt-napi: no native engine could be loaded/)
  expectBuildFromSource(stderr)
  expect(stderr).not.toMatch(/^\s+at /m)
})
