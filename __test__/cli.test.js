'use strict'
// The `mqtt-napi` command line (bin/mqtt-napi.js), run as a user runs it, in a
// child process against real brokers: output formats, stdin modes, -n, and the
// exit codes scripts rely on (0 done, 1 failure, 2 bad usage).
const { spawn } = require('node:child_process')
const path = require('node:path')
const { cleanupAll, track } = require('./helpers/cleanup')
const { startAedes, getFreePort } = require('./helpers/brokers')
const { startRawBroker } = require('./helpers/rawBroker')
const { withTimeout } = require('./helpers/events')
const { generateCerts } = require('./helpers/certs')

afterEach(cleanupAll)

const BIN = path.resolve(__dirname, '..', 'bin', 'mqtt-napi.js')

/** Runs the CLI; `exited()` resolves { code, stdout, stderr } (rejects after `timeout`). */
function cli (args, { input, timeout = 15000 } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  if (input !== undefined) child.stdin.end(input)
  const done = new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })))
  track({ close: async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await done } } })
  return { child, exited: () => withTimeout(done, timeout, `mqtt-napi ${args.join(' ')} to exit; stderr so far: ${stderr}`) }
}

/** Starts `sub` and resolves once the broker has its subscription. */
async function subscribed (broker, args) {
  const sub = cli(['sub', '-p', String(broker.port), ...args])
  await broker.waitForEvent((e) => e.event === 'subscribe')
  return sub
}

function expectOneLineError (stderr, pattern) {
  expect(stderr).toMatch(pattern)
  expect(stderr).not.toMatch(/^\s+at /m) // no stack trace
}

test('sub + pub round trip: sub -n 1 prints the payload and exits 0; pub exits 0', async () => {
  const broker = track(await startAedes())
  const sub = await subscribed(broker, ['-t', 'cli/a', '-n', '1'])
  const pub = await cli(['pub', '-p', String(broker.port), '-t', 'cli/a', '-m', 'hello', '-q', '1']).exited()
  expect(pub).toMatchObject({ code: 0, stderr: '' })
  expect(await sub.exited()).toEqual({ code: 0, stdout: 'hello\n', stderr: '' })
})

test('sub -v prints "topic payload"; -n N exits after exactly N messages', async () => {
  const broker = track(await startAedes())
  const sub = await subscribed(broker, ['-t', 'cli/+', '-v', '-n', '2'])
  for (const [topic, payload] of [['cli/x', 'one'], ['cli/y', 'two'], ['cli/z', 'three']]) {
    await broker.publish({ topic, payload })
  }
  expect(await sub.exited()).toEqual({ code: 0, stdout: 'cli/x one\ncli/y two\n', stderr: '' })
})

test('sub --json prints one JSON object per message (binary payloads as base64)', async () => {
  const broker = track(await startAedes())
  const sub = await subscribed(broker, ['-t', 'cli/j', '-q', '1', '--json', '-n', '2'])
  await broker.publish({ topic: 'cli/j', payload: '{"t":21.5}', qos: 1 })
  await broker.publish({ topic: 'cli/j', payload: Buffer.from([0xff, 0x00, 0xfe]), qos: 0 })
  const { code, stdout } = await sub.exited()
  expect(code).toBe(0)
  expect(stdout.trim().split('\n').map((line) => JSON.parse(line))).toEqual([
    { topic: 'cli/j', payload: '{"t":21.5}', qos: 1, retain: false },
    { topic: 'cli/j', payload: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'), payloadEncoding: 'base64', qos: 0, retain: false }
  ])
})

test('pub -s -M publishes one message per stdin line, in order; -s alone one message', async () => {
  const broker = track(await startAedes())
  const sub = await subscribed(broker, ['-t', 'cli/m', '-q', '1', '-n', '4'])
  const lines = await cli(['pub', '-p', String(broker.port), '-t', 'cli/m', '-q', '1', '-s', '-M'], { input: 'first\nsecond\nthird\n' }).exited()
  expect(lines).toMatchObject({ code: 0, stderr: '' })
  const whole = await cli(['pub', '-p', String(broker.port), '-t', 'cli/m', '-s'], { input: 'a\nb' }).exited()
  expect(whole).toMatchObject({ code: 0, stderr: '' })
  expect(await sub.exited()).toEqual({ code: 0, stdout: 'first\nsecond\nthird\na\nb\n', stderr: '' })
})

test('TLS: --ca trusts the broker (round trip), without it exit 1, --insecure skips the check', async () => {
  const certs = generateCerts()
  const broker = track(await startAedes({ tls: { key: certs.server.key, cert: certs.server.cert } }))
  const tlsArgs = ['-h', 'localhost', '-p', String(broker.port), '-C', 'mqtts']
  const sub = cli(['sub', ...tlsArgs, '--ca', certs.ca.certPath, '-t', 'cli/tls', '-n', '1'])
  await broker.waitForEvent((e) => e.event === 'subscribe')
  expect(await cli(['pub', ...tlsArgs, '--cafile', certs.ca.certPath, '-t', 'cli/tls', '-m', 'secret']).exited()).toMatchObject({ code: 0, stderr: '' })
  expect(await sub.exited()).toEqual({ code: 0, stdout: 'secret\n', stderr: '' })

  const untrusted = await cli(['pub', ...tlsArgs, '-t', 'cli/tls', '-m', 'x']).exited()
  expect(untrusted.code).toBe(1)
  expectOneLineError(untrusted.stderr, /^mqtt-napi: cannot connect to mqtts:\/\/localhost:\d+: .*(certificate|issuer|CERT)/i)

  expect(await cli(['pub', ...tlsArgs, '--insecure', '-t', 'cli/tls', '-m', 'x']).exited()).toMatchObject({ code: 0, stderr: '' })
})

test('a broker that is not there: exit 1 and one line naming the address', async () => {
  const port = await getFreePort()
  for (const command of [['sub', '-t', 'x'], ['pub', '-t', 'x', '-m', 'y']]) {
    const { code, stdout, stderr } = await cli([...command, '-h', '127.0.0.1', '-p', String(port)]).exited()
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expectOneLineError(stderr, new RegExp(`^mqtt-napi: cannot connect to mqtt://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\n$`))
  }
})

test('a refused CONNECT (bad credentials): exit 1 with the reason', async () => {
  const broker = track(await startAedes({ auth: { username: 'u', password: 'right' } }))
  const { code, stderr } = await cli(['sub', '-p', String(broker.port), '-t', 'x', '-u', 'u', '-P', 'wrong']).exited()
  expect(code).toBe(1)
  expectOneLineError(stderr, /^mqtt-napi: cannot connect to mqtt:\/\/localhost:\d+: .*(Not authorized|Bad username or password).*\n$/i)
})

test('a subscription the broker refuses (SUBACK 0x80), wholly or in part: exit 1', async () => {
  const rb = track(await startRawBroker({ suback: (packet) => packet.subscriptions.map(() => 0x80) }))
  const { code, stdout, stderr } = await cli(['sub', '-p', String(rb.port), '-t', 'forbidden/#']).exited()
  expect(code).toBe(1)
  expect(stdout).toBe('')
  expectOneLineError(stderr, /^mqtt-napi: subscription refused by the broker: forbidden\/#\n$/)

  // Some filters granted, one refused: still a failure, naming the refused one.
  rb.behavior.suback = (packet) => packet.subscriptions.map((s) => (s.topic === 'no' ? 0x80 : 0))
  const partial = await cli(['sub', '-p', String(rb.port), '-t', 'yes', '-t', 'no']).exited()
  expect(partial.code).toBe(1)
  expectOneLineError(partial.stderr, /^mqtt-napi: subscription refused by the broker: no\n$/)
})

test('bad flags and values: exit 2, one line saying what was wrong, no connection attempt', async () => {
  const cases = [
    [['sub', '-t', 'x', '--nope'], /^mqtt-napi: Unknown option '--nope'\n/],
    [['pub', '-t', 'x', '-m', 'y', '-q', '3'], /^mqtt-napi: --qos must be an integer from 0 to 2, got '3'\n/],
    [['sub', '-t', 'x', '-p', 'abc'], /^mqtt-napi: --port must be an integer from 1 to 65535, got 'abc'\n/],
    [['sub'], /^mqtt-napi: sub needs a topic/],
    [['pub', '-t', 'x'], /^mqtt-napi: pub needs a message/],
    [['sub', '-t', 'x', '--ca', '/nonexistent/ca.pem'], /^mqtt-napi: cannot read --ca \/nonexistent\/ca\.pem: ENOENT\n/],
    [['frobnicate'], /^mqtt-napi: unknown command 'frobnicate'/],
    [['sub', '-t', 'x', '-V', '6'], /^mqtt-napi: --protocol-version must be an integer from 3 to 5, got '6'\n/],
    [[], /^Usage: mqtt-napi <command>/]
  ]
  for (const [args, pattern] of cases) {
    const { code, stdout, stderr } = await cli(args).exited()
    expect({ args, code }).toEqual({ args, code: 2 })
    expect(stdout).toBe('')
    expectOneLineError(stderr, pattern)
  }
})

test('version prints the package version; help lists the commands', async () => {
  expect(await cli(['version']).exited()).toEqual({ code: 0, stdout: `${require('../package.json').version}\n`, stderr: '' })
  const help = await cli(['help']).exited()
  expect(help.code).toBe(0)
  expect(help.stdout).toMatch(/Usage: mqtt-napi <command>/)
  expect(help.stdout).toMatch(/--json/)
})
