'use strict'
// SOCKS proxies for the socksProxy tests, started and stopped by the tests:
//   startMicrosocks()   Debian's microsocks (a real SOCKS5 server), optionally
//                       with username/password authentication
//   startSocksServer()  a small SOCKS4/4a/5 server written here (CONNECT only,
//                       SOCKS5 without authentication) that records what each
//                       client asked for, so a test can see whether the host
//                       name or an address reached the proxy, and that can be
//                       told to refuse (any reply code) or to never answer.
// Under MQTT_NAPI_CI=1 a missing microsocks fails the tests instead of skipping them.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const { EventEmitter } = require('node:events')
const { track } = require('./cleanup')
const { getFreePort, canConnect } = require('./brokers')
const { waitUntil } = require('./events')

// MQTT_NAPI_MICROSOCKS=/path overrides the search (an unusable path behaves as "not installed").
const CANDIDATES = process.env.MQTT_NAPI_MICROSOCKS ? [process.env.MQTT_NAPI_MICROSOCKS] : ['/usr/bin/microsocks', '/usr/local/bin/microsocks']
const MICROSOCKS = CANDIDATES.find((p) => {
  try {
    fs.accessSync(p, fs.constants.X_OK)
    return true
  } catch {
    return false
  }
})
const requireMicrosocks = process.env.MQTT_NAPI_CI === '1'

/** describe, or describe.skip without microsocks (never skipped in CI: the start fails there). */
function describeMicrosocks (title, fn) {
  return (MICROSOCKS || requireMicrosocks ? describe : describe.skip)(title, fn)
}

/** microsocks on a random port of 127.0.0.1; `url` is its socks5:// address. */
async function startMicrosocks ({ username, password } = {}) {
  if (!MICROSOCKS) throw new Error('microsocks is not installed (apt-get install microsocks)')
  const port = await getFreePort()
  const args = ['-i', '127.0.0.1', '-p', String(port)]
  if (username !== undefined) args.push('-u', username, '-P', password)
  const child = spawn(MICROSOCKS, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => { output += d })
  child.stderr.on('data', (d) => { output += d })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const proxy = {
    port,
    url: `socks5://127.0.0.1:${port}`,
    output: () => output,
    async close () {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    }
  }
  track(proxy)
  await waitUntil(() => canConnect(port) || child.exitCode !== null, { label: 'microsocks to listen' })
  if (child.exitCode !== null) throw new Error(`microsocks exited with ${child.exitCode}: ${output}`)
  return proxy
}

const SOCKS4_GRANTED = 0x5a
const SOCKS5_SUCCEEDED = 0x00

/**
 * Reads a handshake off `socket`: `read(parse)` resolves when `parse(buffered)`
 * returns { length, value } (null: wait for more), consuming `length` bytes;
 * `detach()` stops listening and returns what arrived beyond the handshake.
 */
function reader (socket) {
  let buffered = Buffer.alloc(0)
  let waiting = null
  const onData = (chunk) => {
    buffered = Buffer.concat([buffered, chunk])
    if (waiting) waiting()
  }
  socket.on('data', onData)
  const read = (parse) => new Promise((resolve, reject) => {
    const attempt = () => {
      let result
      try {
        result = parse(buffered)
      } catch (err) {
        waiting = null
        reject(err)
        return
      }
      if (result === null) return
      waiting = null
      buffered = buffered.subarray(result.length)
      resolve(result.value)
    }
    waiting = attempt
    attempt()
  })
  const detach = () => {
    socket.removeListener('data', onData)
    return buffered
  }
  return { read, detach }
}

/** A NUL-terminated string in `buf` from `start`, or null when incomplete. */
function cstring (buf, start) {
  const end = buf.indexOf(0, start)
  return end < 0 ? null : { value: buf.subarray(start, end).toString(), next: end + 1 }
}

function parseSocks4Request (buf) {
  if (buf.length < 9) return null
  if (buf[1] !== 1) throw new Error(`SOCKS4 command ${buf[1]} is not CONNECT`)
  const port = buf.readUInt16BE(2)
  const ip = [...buf.subarray(4, 8)].join('.')
  const userId = cstring(buf, 8)
  if (userId === null) return null
  // SOCKS4a: 0.0.0.x (x != 0) means "the host name follows the user id".
  if (buf[4] === 0 && buf[5] === 0 && buf[6] === 0 && buf[7] !== 0) {
    const host = cstring(buf, userId.next)
    if (host === null) return null
    return { length: host.next, value: { version: 4, userId: userId.value, host: host.value, port, hostIsName: true } }
  }
  return { length: userId.next, value: { version: 4, userId: userId.value, host: ip, port, hostIsName: false } }
}

function parseSocks5Greeting (buf) {
  if (buf.length < 2 || buf.length < 2 + buf[1]) return null
  return { length: 2 + buf[1], value: [...buf.subarray(2, 2 + buf[1])] }
}

function parseSocks5Request (buf) {
  if (buf.length < 5) return null
  if (buf[1] !== 1) throw new Error(`SOCKS5 command ${buf[1]} is not CONNECT`)
  const type = buf[3]
  if (type === 1) {
    if (buf.length < 10) return null
    return { length: 10, value: { host: [...buf.subarray(4, 8)].join('.'), port: buf.readUInt16BE(8), hostIsName: false } }
  }
  if (type === 3) {
    const len = buf[4]
    if (buf.length < 7 + len) return null
    return { length: 7 + len, value: { host: buf.subarray(5, 5 + len).toString(), port: buf.readUInt16BE(5 + len), hostIsName: true } }
  }
  if (type === 4) {
    if (buf.length < 22) return null
    const parts = []
    for (let i = 0; i < 8; i++) parts.push(buf.readUInt16BE(4 + 2 * i).toString(16))
    return { length: 22, value: { host: parts.join(':'), port: buf.readUInt16BE(20), hostIsName: false } }
  }
  throw new Error(`SOCKS5 address type ${type}`)
}

/**
 * The recording SOCKS server. `requests`: every CONNECT asked for, in order
 * ({ version, host, port, hostIsName, userId? }). Settings a test may change:
 * `reply` (undefined: grant; else the reply code to refuse with, e.g. 0x5b or
 * 0x05), `silent` (accept connections and never answer).
 */
async function startSocksServer () {
  const emitter = new EventEmitter()
  const requests = []
  const sockets = new Set()
  const state = { reply: undefined, silent: false }

  async function handshake (client, read) {
    const version = await read((buf) => (buf.length < 1 ? null : { length: 0, value: buf[0] }))
    let request
    if (version === 4) {
      request = await read(parseSocks4Request)
    } else if (version === 5) {
      const methods = await read(parseSocks5Greeting)
      if (!methods.includes(0)) {
        client.end(Buffer.from([5, 0xff]))
        return null
      }
      client.write(Buffer.from([5, 0]))
      request = { version: 5, ...(await read(parseSocks5Request)) }
    } else {
      throw new Error(`not a SOCKS greeting: version ${version}`)
    }
    requests.push(request)
    emitter.emit('request', request)
    return request
  }

  function answer (client, request, code) {
    const bound = Buffer.from([0, 0, 0, 0, 0, 0])
    if (request.version === 4) client.write(Buffer.concat([Buffer.from([0, code]), bound]))
    else client.write(Buffer.concat([Buffer.from([5, code, 0, 1]), bound]))
  }

  const server = net.createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => {})
    if (state.silent) return
    const { read, detach } = reader(client)
    handshake(client, read).then((request) => {
      if (request === null) return
      if (state.reply !== undefined) {
        answer(client, request, state.reply)
        client.end()
        return
      }
      const upstream = net.connect({ host: request.host, port: request.port })
      sockets.add(upstream)
      upstream.on('close', () => { sockets.delete(upstream); client.destroy() })
      client.on('close', () => upstream.destroy())
      upstream.on('error', () => {
        // The destination refused: SOCKS4 "rejected or failed", SOCKS5 "connection refused".
        if (!client.destroyed) answer(client, request, request.version === 4 ? 0x5b : 0x05)
        client.end()
      })
      upstream.on('connect', () => {
        answer(client, request, request.version === 4 ? SOCKS4_GRANTED : SOCKS5_SUCCEEDED)
        const early = detach()
        if (early.length > 0) upstream.write(early)
        client.pipe(upstream)
        upstream.pipe(client)
      })
    }).catch(() => client.destroy())
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  return track({
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    requests,
    emitter,
    state,
    close () {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    }
  })
}

module.exports = { startMicrosocks, startSocksServer, describeMicrosocks, hasMicrosocks: Boolean(MICROSOCKS), requireMicrosocks }
