#!/usr/bin/env node
'use strict'

// `mqtt-napi pub|sub|version|help`: the command line MQTT.js users know from
// `mqtt pub` / `mqtt sub` (same flags), plus `--json` output, `-n/--count`,
// and exit codes scripts can rely on:
//   0 done, 1 failed (connect, subscribe refused, publish error), 2 bad usage.

const fs = require('fs')
const path = require('path')
const readline = require('readline')
const { parseArgs } = require('util')

const EXIT_FAILED = 1
const EXIT_USAGE = 2

/** A mistake in the command line: printed as one line, exit code 2. */
class UsageError extends Error {}

/** The client library, loaded once the command line is known to be good. */
let mqtt = null

// Flags shared by both commands (MQTT.js's names; -h is the host, as there).
const CONNECTION_OPTIONS = {
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  protocol: { type: 'string', short: 'C' },
  'protocol-version': { type: 'string', short: 'V' },
  'client-id': { type: 'string', short: 'i' },
  username: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'P' },
  keepalive: { type: 'string', short: 'k' },
  'no-clean': { type: 'boolean' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  'will-topic': { type: 'string' },
  'will-message': { type: 'string' },
  'will-qos': { type: 'string' },
  'will-retain': { type: 'boolean' },
  qos: { type: 'string', short: 'q' },
  help: { type: 'boolean', short: 'H' }
}

const COMMANDS = {
  pub: {
    options: {
      ...CONNECTION_OPTIONS,
      topic: { type: 'string', short: 't' },
      message: { type: 'string', short: 'm' },
      retain: { type: 'boolean', short: 'r' },
      stdin: { type: 'boolean', short: 's' },
      multiline: { type: 'boolean', short: 'M' }
    },
    run: publish
  },
  sub: {
    options: {
      ...CONNECTION_OPTIONS,
      topic: { type: 'string', short: 't', multiple: true },
      verbose: { type: 'boolean', short: 'v' },
      json: { type: 'boolean' },
      count: { type: 'string', short: 'n' }
    },
    run: subscribe
  }
}
COMMANDS.publish = COMMANDS.pub
COMMANDS.subscribe = COMMANDS.sub

// MQTT.js's other spellings of the same flags.
const ALIASES = { '-l': '-C', '--hostname': '--host', '--id': '--client-id', '--clientId': '--client-id', '--cafile': '--ca', '--keep-alive': '--keepalive' }

const HELP = `Usage: mqtt-napi <command> [options]

Commands:
  sub [topic]              subscribe and print the messages that arrive
  pub [topic] [message]    publish one message (or stdin with -s, one per line with -M)
  version                  print the version
  help                     print this help

Connection (both commands):
  -h, --host HOST          broker host (default localhost)
  -p, --port PORT          broker port (default 1883, 8883 for mqtts)
  -C, -l, --protocol P     mqtt, mqtts, tcp, tls, ssl, ws, wss
  -V, --protocol-version N 3 (MQTT 3.1), 4 (MQTT 3.1.1, default) or 5 (MQTT 5.0)
  -i, --client-id ID       client id (default: a random one)
  -u, --username USER      username
  -P, --password PASS      password
  -k, --keepalive SEC      keepalive in seconds (default 60)
      --no-clean           keep the session (clean: false)
      --ca FILE            CA certificate(s) to trust (PEM)
      --cert FILE          client certificate (PEM); with --key implies mqtts
      --key FILE           client private key (PEM)
      --insecure           do not verify the broker's certificate
      --will-topic T       last will: topic
      --will-message M     last will: payload
      --will-qos Q         last will: QoS
      --will-retain        last will: retain
  -q, --qos Q              QoS 0, 1 or 2 (default 0)
  -H, --help               this help

pub:
  -t, --topic TOPIC        topic to publish to
  -m, --message MSG        payload
  -r, --retain             retain the message
  -s, --stdin              read the payload from standard input
  -M, --multiline          one message per line of standard input

sub:
  -t, --topic TOPIC        topic filter (repeatable)
  -v, --verbose            print "topic payload"
      --json               print one JSON object per message:
                           {"topic","payload","qos","retain"[,"payloadEncoding":"base64"]}
  -n, --count N            exit after N messages

Exit codes: 0 done, 1 connection/subscribe/publish failure, 2 bad usage.

Examples:
  mqtt-napi sub -t 'sensors/#' -v
  mqtt-napi pub -t sensors/t1 -m 21.5 -q 1
  mqtt-napi sub -h broker.local -t alerts --json -n 1
  printf 'a\\nb\\n' | mqtt-napi pub -t lines -s -M
`

function main (argv) {
  const [command, ...rest] = argv
  if (command === undefined) {
    process.stderr.write(HELP)
    process.exitCode = EXIT_USAGE
    return
  }
  if (command === 'help' || command === '--help' || command === '-H') {
    process.stdout.write(HELP)
    return
  }
  if (command === 'version' || command === '--version') {
    process.stdout.write(`${require('../package.json').version}\n`)
    return
  }
  const spec = COMMANDS[command]
  if (!spec) throw new UsageError(`unknown command '${command}' (expected pub, sub, version or help)`)
  let parsed
  try {
    parsed = parseArgs({ args: rest.map(alias), options: spec.options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(err.message.split('. To specify')[0])
  }
  if (parsed.values.help) {
    process.stdout.write(HELP)
    return
  }
  mqtt = require('../lib/index.js')
  spec.run(parsed.values, parsed.positionals)
}

function alias (arg) {
  const [flag, ...value] = arg.split('=')
  if (!Object.prototype.hasOwnProperty.call(ALIASES, flag)) return arg
  return [ALIASES[flag], ...value].join('=')
}

function integerOption (values, name, min, max, fallback) {
  const text = values[name]
  if (text === undefined) return fallback
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`)
  return n
}

function readPem (values, name) {
  const file = values[name]
  if (file === undefined) return undefined
  try {
    return fs.readFileSync(file)
  } catch (err) {
    throw new UsageError(`cannot read --${name} ${file}: ${err.code || err.message}`)
  }
}

/** The MQTT.js connect options the flags describe. */
function connectOptions (values) {
  const options = {
    host: values.host || 'localhost',
    keepalive: integerOption(values, 'keepalive', 0, 65535, 60),
    clean: !values['no-clean'],
    reconnectPeriod: 1000
  }
  const port = integerOption(values, 'port', 1, 65535, undefined)
  if (port !== undefined) options.port = port
  const version = integerOption(values, 'protocol-version', 3, 5, undefined)
  if (version !== undefined) options.protocolVersion = version
  if (values['client-id'] !== undefined) options.clientId = values['client-id']
  if (values.username !== undefined) options.username = values.username
  if (values.password !== undefined) options.password = values.password
  options.ca = readPem(values, 'ca')
  options.cert = readPem(values, 'cert')
  options.key = readPem(values, 'key')
  for (const name of ['ca', 'cert', 'key']) if (options[name] === undefined) delete options[name]
  if (values.protocol !== undefined) options.protocol = values.protocol
  else if (options.cert && options.key) options.protocol = 'mqtts'
  if (values.insecure) options.rejectUnauthorized = false
  if (values['will-topic'] !== undefined) {
    options.will = {
      topic: values['will-topic'],
      payload: values['will-message'] || '',
      qos: integerOption(values, 'will-qos', 0, 2, 0),
      retain: !!values['will-retain']
    }
  }
  return options
}

function fail (message) {
  process.stderr.write(`${message.startsWith('mqtt-napi: ') ? '' : 'mqtt-napi: '}${message}\n`)
  process.exitCode = EXIT_FAILED
}

function describe (err) {
  const code = err.code !== undefined && !String(err.message).includes(String(err.code)) ? ` (${err.code})` : ''
  return `${err.message}${code}`
}

/**
 * Connects and calls `onConnect` once. A failure before the first CONNACK
 * (refused, unreachable, TLS) ends the client with exit code 1 rather than
 * retrying forever; after it, the client reconnects as MQTT.js's would.
 */
function openClient (values, onConnect) {
  const options = connectOptions(values)
  const target = `${options.protocol || 'mqtt'}://${options.host}${options.port ? `:${options.port}` : ''}`
  let client
  try {
    client = mqtt.connect(options)
  } catch (err) {
    // The library's own option checks (e.g. an unsupported protocol).
    return reportUsage(err.message)
  }
  let connected = false
  client.on('error', (err) => {
    if (connected) return process.stderr.write(`mqtt-napi: ${describe(err)}\n`)
    fail(`cannot connect to ${target}: ${describe(err)}`)
    client.end(true)
  })
  client.on('close', () => {
    if (connected || process.exitCode) return
    fail(`cannot connect to ${target}: connection closed before CONNACK`)
    client.end(true)
  })
  client.once('connect', () => {
    connected = true
    onConnect(client)
  })
  return client
}

function subscribe (values, positionals) {
  const topics = values.topic || positionals.slice(0, 1)
  if (topics.length === 0) throw new UsageError('sub needs a topic (-t TOPIC)')
  const qos = integerOption(values, 'qos', 0, 2, 0)
  const count = integerOption(values, 'count', 1, Number.MAX_SAFE_INTEGER, Infinity)
  let received = 0
  const client = openClient(values, (client) => {
    client.subscribe(topics, { qos }, (err, granted) => {
      // A SUBACK with a refused filter (code 128) arrives as an error carrying
      // the packet (MQTT.js 5), or in older versions as a granted qos of 128.
      if (err && !err.packet) {
        fail(`subscribe failed: ${describe(err)}`)
        return client.end(true)
      }
      const codes = err ? err.packet.granted || [] : (granted || []).map((g) => g.qos)
      const refused = topics.filter((topic, i) => codes[i] === 128 || codes[i] === undefined)
      if (refused.length > 0) {
        fail(`subscription refused by the broker: ${refused.join(', ')}`)
        client.end(true)
      }
    })
  })
  if (!client) return
  client.on('message', (topic, payload, packet) => {
    if (received >= count) return
    received++
    process.stdout.write(formatMessage(values, topic, payload, packet))
    if (received >= count) client.end()
  })
}

function formatMessage (values, topic, payload, packet) {
  if (values.json) {
    const text = payload.toString('utf8')
    const utf8 = Buffer.from(text, 'utf8').equals(payload)
    const record = { topic, payload: utf8 ? text : payload.toString('base64'), qos: packet.qos, retain: !!packet.retain }
    if (!utf8) record.payloadEncoding = 'base64'
    if (packet.properties) record.properties = packet.properties
    return `${JSON.stringify(record)}\n`
  }
  return values.verbose ? `${topic} ${payload}\n` : `${payload}\n`
}

function publish (values, positionals) {
  const topic = values.topic !== undefined ? values.topic : positionals[0]
  if (!topic) throw new UsageError('pub needs a topic (-t TOPIC)')
  const fromStdin = values.stdin || values.multiline
  const message = values.message !== undefined ? values.message : positionals[1]
  if (!fromStdin && message === undefined) throw new UsageError('pub needs a message (-m MESSAGE, or -s to read standard input)')
  const publishOptions = { qos: integerOption(values, 'qos', 0, 2, 0), retain: !!values.retain }
  connectOptions(values) // usage errors before touching standard input
  if (values.multiline) {
    openClient(values, (client) => publishLines(client, topic, publishOptions))
  } else if (fromStdin) {
    readAll(process.stdin, (payload) => openClient(values, (client) => publishOne(client, topic, payload, publishOptions)))
  } else {
    openClient(values, (client) => publishOne(client, topic, message, publishOptions))
  }
}

function publishOne (client, topic, payload, options) {
  client.publish(topic, payload, options, (err) => {
    if (err) fail(`publish failed: ${describe(err)}`)
    client.end()
  })
}

/** One message per line of stdin, in order; ends once every publish completed. */
function publishLines (client, topic, options) {
  let pending = 1 // the input itself
  const settle = () => { if (--pending === 0) client.end() }
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  lines.on('line', (line) => {
    pending++
    client.publish(topic, line, options, (err) => {
      if (err) fail(`publish failed: ${describe(err)}`)
      settle()
    })
  })
  lines.on('close', settle)
}

function readAll (stream, done) {
  const chunks = []
  stream.on('data', (chunk) => chunks.push(chunk))
  stream.on('end', () => done(Buffer.concat(chunks)))
}

function reportUsage (message) {
  process.stderr.write(`mqtt-napi: ${message}\nRun '${path.basename(process.argv[1], '.js')} help' for the options.\n`)
  process.exitCode = EXIT_USAGE
}

try {
  main(process.argv.slice(2))
} catch (err) {
  if (err instanceof UsageError) reportUsage(err.message)
  else fail(err.message)
}
