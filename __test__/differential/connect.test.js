'use strict'
// connect(), connectAsync(), option handling, CONNECT on the wire, refused
// and failed connections, failover.
const { defineScenarios } = require('./runner')
const { getFreePort } = require('../helpers/brokers')
const { unixFront } = require('../helpers/unixFront')

/** A port nothing listens on (taken once: both runs must see the same options). */
let deadPort
beforeAll(async () => {
  deadPort = await getFreePort()
})

defineScenarios([
  {
    name: 'connect(url): connect event with the CONNACK packet, CONNECT with MQTT.js defaults',
    async run (t) {
      const c = await t.connected(t.url)
      t.state(c, 'connected')
      await t.end(c)
      t.state(c, 'ended')
    }
  },
  {
    name: 'client.options after connect(url): defaults and URL-derived fields',
    async run (t) {
      const c = await t.connected(t.url)
      t.noteOptions(c)
      await t.end(c)
    }
  },
  {
    name: 'client.options after connect(url with credentials, path and ?clientId=)',
    async run (t) {
      const c = await t.connected(`mqtt://user:pa%3Ass@127.0.0.1:${t.broker.port}/some/path?clientId=from-query&x=1`)
      t.noteOptions(c)
      await t.end(c)
    }
  },
  {
    name: 'connect(options): the options object itself becomes client.options, with defaults filled in',
    async run (t) {
      const options = { host: '127.0.0.1', port: t.broker.port, clientId: 'diff-opts', keepalive: 30 }
      const c = await t.connected(options)
      t.note('same object', c.options === options)
      t.noteOptions(c)
      await t.end(c)
    }
  },
  {
    name: 'connect(url, options): options override the URL; tcp:// is plain MQTT',
    async run (t) {
      const c = await t.connected(`tcp://127.0.0.1:${t.broker.port}`, { clientId: 'diff-merge', keepalive: 10, reconnectPeriod: 50 })
      t.noteOptions(c)
      await t.end(c)
    }
  },
  {
    name: 'CONNECT carries username, password, will, clean:false and keepalive',
    async run (t) {
      const c = await t.connected(t.url, {
        clientId: 'diff-full',
        username: 'alice',
        password: Buffer.from('secret'),
        clean: false,
        keepalive: 17,
        will: { topic: 'will/t', payload: 'gone', qos: 1, retain: true }
      })
      await t.end(c)
    }
  },
  {
    name: 'keepalive 0 is sent as 0',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-ka0', keepalive: 0 })
      await t.end(c)
    }
  },
  {
    name: 'protocolVersion 3 connects with MQTT 3.1 (MQIsdp)',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-v3', protocolVersion: 3 })
      t.note('protocolId', c.options.protocolId)
      await t.end(c)
    },
    diverges: {
      because: 'MQTT 3.1 requires protocol name "MQIsdp"; MQTT.js sends "MQTT" with level 3 unless protocolId is also given',
      napiExpected (mqttjs) {
        const connect = mqttjs.wire.find((p) => p.cmd === 'connect')
        connect.protocolId = 'MQIsdp'
        connect.length += 2
        mqttjs.events.find(([key]) => key === 'note.protocolId')[1] = 'MQIsdp'
        return mqttjs
      }
    }
  },
  {
    name: 'clean:false without a clientId throws "Missing clientId for unclean clients"',
    broker: false,
    run (t) {
      try {
        t.mqtt.connect('mqtt://127.0.0.1:1', { clean: false })
      } catch (err) {
        t.note('thrown', err)
      }
    }
  },
  {
    name: 'a URL without a scheme throws "Missing protocol"',
    broker: false,
    run (t) {
      try {
        t.mqtt.connect('//127.0.0.1:1883')
      } catch (err) {
        t.note('thrown', err)
      }
    }
  },
  {
    name: 'CONNACK refused (5): error with code 5, then close; no reconnect',
    broker: { connack: { returnCode: 5 } },
    async run (t) {
      const c = t.connect(t.url, { clientId: 'diff-refused', reconnectPeriod: 50 })
      await t.waitFor('c.close')
      await t.sleep(200)
      t.state(c, 'after')
      await t.end(c)
    }
  },
  {
    name: 'reconnectOnConnackError: a refused connection is retried',
    broker: () => {
      let attempts = 0
      return { connack: () => (++attempts === 1 ? { returnCode: 3 } : { returnCode: 0 }) }
    },
    async run (t) {
      const c = t.connect(t.url, { clientId: 'diff-retry', reconnectPeriod: 50, reconnectOnConnackError: true })
      await t.waitFor('c.connect')
      t.state(c, 'connected')
      await t.end(c)
    }
  },
  {
    name: 'connection refused by the OS: ECONNREFUSED error, then close (reconnectPeriod 0)',
    broker: false,
    async run (t) {
      const c = t.connect(`mqtt://127.0.0.1:${deadPort}`, { reconnectPeriod: 0 })
      await t.waitFor('c.close')
      t.state(c, 'after')
      await t.end(c)
    }
  },
  {
    name: 'connection refused by the OS, reconnecting: error and close on each attempt; then end()',
    broker: false,
    async run (t) {
      const c = t.connect(`mqtt://127.0.0.1:${deadPort}`, { reconnectPeriod: 100 })
      await t.waitFor('c.reconnect', 2)
      await t.waitFor('c.close', 3)
      await t.end(c)
    }
  },
  {
    name: 'connection refused by the OS: the error carries Node\'s errno, code, syscall, address and port',
    broker: false,
    async run (t) {
      t.connect(`mqtt://127.0.0.1:${deadPort}`, { reconnectPeriod: 0 })
      const [err] = (await t.waitFor('c.error')).args
      await t.waitFor('c.close')
      t.note('fields', { ...err, port: err.port === deadPort ? '<port>' : err.port })
      t.note('field order', Object.keys(err))
    }
  },
  {
    name: 'unknown host: the error carries Node\'s errno, code, syscall and hostname',
    broker: false,
    async run (t) {
      t.connect('mqtt://no-such-host.invalid:1883', { reconnectPeriod: 0 })
      const [err] = (await t.waitFor('c.error')).args
      await t.waitFor('c.close')
      t.note('fields', { message: err.message, ...err })
      t.note('field order', Object.keys(err))
    }
  },
  {
    name: 'connect(url, { protocol: \'mqtts:\' }): the trailing colon is dropped, as with the URL\'s own',
    broker: false,
    async run (t) {
      const c = t.connect(`mqtt://127.0.0.1:${deadPort}`, { protocol: 'mqtts:', reconnectPeriod: 0, rejectUnauthorized: false })
      t.note('protocol', [c.options.protocol, c.options.defaultProtocol])
      await t.waitFor('c.close')
    }
  },
  {
    name: 'connect({ host: \'mqtt://localhost:8993\' }): the host is looked up as given, not parsed as a URL',
    broker: false,
    async run (t) {
      const c = t.connect({ host: 'mqtt://localhost:8993', reconnectPeriod: 0 })
      const [err] = (await t.waitFor('c.error')).args
      await t.waitFor('c.close')
      const { protocol, host, hostname, port } = c.options
      t.note('options', { protocol, host, hostname, port })
      t.note('error', { message: err.message, ...err })
    }
  },
  {
    name: 'connectAsync resolves with the connected client',
    async run (t) {
      const c = t.watch(await t.mqtt.connectAsync(t.url, { clientId: 'diff-async' }), 'c')
      t.note('connected', c.connected)
      await t.end(c)
    }
  },
  {
    name: 'connectAsync rejects with the CONNACK error',
    broker: { connack: { returnCode: 4 } },
    async run (t) {
      t.note('rejected', await t.mqtt.connectAsync(t.url, { clientId: 'diff-async-bad' }).catch((err) => err))
    }
  },
  {
    name: 'connectAsync(url, opts, false) rejects when the connection cannot be made',
    broker: false,
    async run (t) {
      t.note('rejected', await t.mqtt.connectAsync(`mqtt://127.0.0.1:${deadPort}`, { reconnectPeriod: 0 }, false).catch((err) => err))
    }
  },
  {
    name: 'manualConnect: nothing happens until connect()',
    async run (t) {
      const c = t.connect(t.url, { clientId: 'diff-manual', manualConnect: true })
      await t.sleep(100)
      t.note('packets before connect()', t.broker.packets.length)
      t.state(c, 'before')
      c.connect()
      await t.waitFor('c.connect')
      t.state(c, 'after')
      await t.end(c)
    }
  },
  {
    name: 'servers: failover to the next server on reconnect; options follow the server in use',
    async run (t) {
      const c = t.connect({
        clientId: 'diff-servers',
        reconnectPeriod: 50,
        servers: [{ host: '127.0.0.1', port: deadPort }, { host: '127.0.0.1', port: t.broker.port }]
      })
      await t.waitFor('c.connect')
      t.note('host', c.options.host)
      t.note('port is the broker', c.options.port === t.broker.port)
      await t.end(c)
    }
  },
  {
    name: 'servers: the rotation wraps around; options change as each connection opens',
    async run (t) {
      const c = t.connect({
        clientId: 'diff-servers-wrap',
        reconnectPeriod: 50,
        servers: [{ host: '127.0.0.1', port: t.broker.port }, { host: '127.0.0.1', port: deadPort }]
      })
      const where = () => (c.options.port === t.broker.port ? 'broker' : c.options.port === deadPort ? 'dead' : c.options.port)
      for (const event of ['connect', 'reconnect', 'error']) c.on(event, () => t.note(`server at ${event}`, where()))
      await t.waitFor('c.connect')
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      await t.end(c)
    }
  },
  {
    name: 'mqtt+unix:// connects over a unix domain socket',
    async run (t) {
      const front = await unixFront(t.broker.port)
      try {
        const c = await t.connected(`mqtt+unix://${front.socketPath}`, { clientId: 'diff-unix' })
        t.note('unixSocket', c.options.unixSocket)
        t.note('path is the socket', c.options.path === front.socketPath)
        await t.end(c)
        await t.received('disconnect')
      } finally {
        await front.close()
      }
    }
  },
  {
    name: 'no CONNACK within connectTimeout: "connack timeout" error, close',
    broker: { connack: null },
    async run (t) {
      const c = t.connect(t.url, { clientId: 'diff-ct', connectTimeout: 200, reconnectPeriod: 0 })
      await t.waitFor('c.close')
      await t.end(c)
    }
  },
  {
    name: 'no CONNACK, reconnecting: each attempt ends in "connack timeout" and close',
    broker: { connack: null },
    async run (t) {
      t.connect(t.url, { clientId: 'diff-ct-retry', connectTimeout: 300, reconnectPeriod: 100 })
      await t.waitFor('c.close', 2)
    }
  },
  {
    name: 'keepalive: PINGREQ after an idle keepalive period',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-ping', keepalive: 1 })
      await t.received('pingreq')
      await t.end(c)
    },
    wire: (wire) => wire
  },
  {
    name: 'no PINGRESP: "Keepalive timeout" error, close, offline',
    broker: { pingresp: false },
    async run (t) {
      const c = t.connect(t.url, { clientId: 'diff-ka-timeout', keepalive: 1, reconnectPeriod: 10000 })
      c.on('offline', () => t.state(c, 'at offline'))
      await t.waitFor('c.close')
      await t.end(c, true)
    },
    diverges: {
      because: 'the connection is gone when offline is emitted; MQTT.js still says connected (it does not when the broker drops the connection)',
      napiExpected (mqttjs) {
        mqttjs.events.find(([key]) => key === 'note.at offline')[1].connected = false
        return mqttjs
      }
    }
  },
  {
    name: 'no PINGRESP, reconnecting: "Keepalive timeout", then connect again on a new connection',
    broker: { pingresp: false },
    async run (t) {
      const c = t.connect(t.url, { clientId: 'diff-ka-retry', keepalive: 1, reconnectPeriod: 100 })
      await t.waitFor('c.connect', 2)
      await t.end(c, true)
    }
  },
  {
    name: 'the broker drops the connection: close, offline, reconnect, connect again',
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-drop', reconnectPeriod: 50 })
      t.broker.connections[0].destroy()
      await t.waitFor('c.connect', 2)
      t.state(c, 'reconnected')
      await t.end(c)
    }
  },
  {
    name: 'a DISCONNECT from the broker is emitted as disconnect',
    broker: {
      onPacket (packet, conn) {
        if (packet.cmd !== 'subscribe') return false
        conn.send({ cmd: 'disconnect' })
        return true
      }
    },
    async run (t) {
      const c = await t.connected(t.url, { clientId: 'diff-srv-disc', reconnectPeriod: 0 })
      c.subscribe('d/x')
      await t.waitFor('c.disconnect')
      await t.end(c, true)
    }
  }
])
