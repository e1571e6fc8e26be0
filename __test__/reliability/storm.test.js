'use strict'
// Delivery under faults: QoS 1 and QoS 2 storms against mosquitto through the
// fault-injecting proxy, which cuts connections while messages are in flight.
const { cleanupAll, track } = require('../helpers/cleanup')
const { describeMosquitto } = require('../helpers/brokers')
const { startFaultProxy } = require('../helpers/faultProxy')
const { startVolumeMosquitto, publishLedger, receiveLedger, pacedPublish, head } = require('../helpers/reliability')
const { withTimeout } = require('../helpers/events')
const h = require('../helpers/harness')

afterEach(cleanupAll)

// Storm sizes and pacing. Publishing is paced so that the storm lasts several cut periods
// (QoS 1: 10,000 / 50 per 25 ms = ~5 s, i.e. ~10 cuts while messages are in flight).
const QOS1_STORM_MESSAGES = 10000
const QOS1_BATCH = 50
const QOS2_STORM_MESSAGES = 4000
const QOS2_BATCH = 25
const BATCH_EVERY_MS = 25
const CUT_EVERY_MS = 500
const RECONNECT_PERIOD_MS = 50
const DRAIN_TIMEOUT_MS = 40000 // each of the two waits; both fit in the test timeout

// Protocol errors must never happen in a storm: they would mean the client (or the
// proxy) corrupted the stream. Socket errors (ECONNRESET after a cut) are expected.
function protocolErrors (client) {
  const errs = []
  client.on('error', (err) => { if (err.code === 'ERR_MQTT_PROTOCOL') errs.push(err.message) })
  return errs
}

function counter (client, event) {
  const c = { n: 0 }
  client.on(event, () => { c.n++ })
  return c
}

// MQTT 5 keeps a session only as long as its Session Expiry Interval says (0 by default): the
// storms ask for one, so `clean: false` means what it means in 3.1.1.
const PROTOCOLS = [
  ['MQTT 3.1.1', {}],
  ['MQTT 5', { protocolVersion: 5, properties: { sessionExpiryInterval: 300 } }]
]

describeMosquitto('storms [mosquitto]', () => describe.each(PROTOCOLS)('%s', (_, protocol) => {
  test(`QoS 1 storm: ${QOS1_STORM_MESSAGES} publishes, clean: false, connection cut every ${CUT_EVERY_MS} ms`, async () => {
    const broker = track(await startVolumeMosquitto())
    const proxy = track(await startFaultProxy({ port: broker.port }))
    const topic = h.topic('storm1')

    const [sub] = await h.connected(broker.url, { clientId: h.clientId('s1'), clean: false, ...protocol })
    const subErrors = protocolErrors(sub)
    const inbox = receiveLedger(sub, topic, QOS1_STORM_MESSAGES)
    await h.subscribe(sub, topic, { qos: 1 })

    const [pub] = await h.connected(proxy.url, { clientId: h.clientId('p1'), clean: false, reconnectPeriod: RECONNECT_PERIOD_MS, ...protocol })
    const pubErrors = protocolErrors(pub)
    const reconnects = counter(pub, 'connect')
    const ledger = publishLedger(QOS1_STORM_MESSAGES)

    const stopCutting = proxy.startCutting(CUT_EVERY_MS)
    await pacedPublish(pub, topic, QOS1_STORM_MESSAGES, { batch: QOS1_BATCH, everyMs: BATCH_EVERY_MS, qos: 1, ledger })
    await withTimeout(ledger.all, DRAIN_TIMEOUT_MS, 'publish callbacks').catch(() => {})
    stopCutting()

    expect({ missingCallbacks: head(ledger.missing()), errors: head(ledger.errors), repeated: head(ledger.repeated()) })
      .toEqual({ missingCallbacks: [], errors: [], repeated: [] })
    await inbox.waitAll(DRAIN_TIMEOUT_MS).catch(() => {})
    expect(head(inbox.missing())).toEqual([])
    expect(inbox.strays).toEqual([])
    // the faults really happened while messages were in flight
    expect(proxy.stats.cuts).toBeGreaterThanOrEqual(3)
    expect(reconnects.n).toBeGreaterThanOrEqual(3)
    expect(pubErrors).toEqual([])
    expect(subErrors).toEqual([])
  }, 120000)

  test(`QoS 2 storm: ${QOS2_STORM_MESSAGES} publishes, both legs faulted, each message reaches the app exactly once`, async () => {
    const broker = track(await startVolumeMosquitto())
    const pubProxy = track(await startFaultProxy({ port: broker.port }))
    const subProxy = track(await startFaultProxy({ port: broker.port }))
    const topic = h.topic('storm2')

    const [sub] = await h.connected(subProxy.url, { clientId: h.clientId('s2'), clean: false, reconnectPeriod: RECONNECT_PERIOD_MS, ...protocol })
    const subErrors = protocolErrors(sub)
    const subReconnects = counter(sub, 'connect')
    const inbox = receiveLedger(sub, topic, QOS2_STORM_MESSAGES)
    await h.subscribe(sub, topic, { qos: 2 })

    const [pub] = await h.connected(pubProxy.url, { clientId: h.clientId('p2'), clean: false, reconnectPeriod: RECONNECT_PERIOD_MS, ...protocol })
    const pubErrors = protocolErrors(pub)
    const pubReconnects = counter(pub, 'connect')
    const ledger = publishLedger(QOS2_STORM_MESSAGES)

    // publisher leg: FIN every 500 ms; subscriber leg: RST every 500 ms, offset by half a period
    const stopPub = pubProxy.startCutting(CUT_EVERY_MS, { mode: 'cut' })
    let stopSub = () => {}
    const offset = setTimeout(() => { stopSub = subProxy.startCutting(CUT_EVERY_MS, { mode: 'reset' }) }, CUT_EVERY_MS / 2)
    try {
      await pacedPublish(pub, topic, QOS2_STORM_MESSAGES, { batch: QOS2_BATCH, everyMs: BATCH_EVERY_MS, qos: 2, ledger })
      await withTimeout(ledger.all, DRAIN_TIMEOUT_MS, 'publish callbacks').catch(() => {})
      stopPub()
      // keep faulting the subscriber leg until everything arrived
      await inbox.waitAll(DRAIN_TIMEOUT_MS).catch(() => {})
    } finally {
      clearTimeout(offset)
      stopPub()
      stopSub()
    }
    // a late duplicate would show up shortly after the last reconnect
    await new Promise((resolve) => setTimeout(resolve, 500))

    expect({ missingCallbacks: head(ledger.missing()), errors: head(ledger.errors), repeated: head(ledger.repeated()) })
      .toEqual({ missingCallbacks: [], errors: [], repeated: [] })
    expect({ missing: head(inbox.missing()), duplicated: head(inbox.duplicated()) })
      .toEqual({ missing: [], duplicated: [] })
    expect(inbox.received).toBe(QOS2_STORM_MESSAGES)
    expect(pubProxy.stats.cuts).toBeGreaterThanOrEqual(3)
    expect(subProxy.stats.resets).toBeGreaterThanOrEqual(3)
    expect(pubReconnects.n).toBeGreaterThanOrEqual(3)
    expect(subReconnects.n).toBeGreaterThanOrEqual(3)
    expect(pubErrors).toEqual([])
    expect(subErrors).toEqual([])
  }, 120000)
}))
