'use strict'
// 70,000 QoS 1 publishes made while offline: more than there are packet ids.
const { cleanupAll, track } = require('../helpers/cleanup')
const { describeMosquitto } = require('../helpers/brokers')
const { startFaultProxy } = require('../helpers/faultProxy')
const { startVolumeMosquitto, publishLedger, receiveLedger, idPayload, head } = require('../helpers/reliability')
const { delay, withTimeout } = require('../helpers/events')
const h = require('../helpers/harness')
const { testNapi } = require('../helpers/impl')

afterEach(cleanupAll)

const OFFLINE_MESSAGES = 70000
const DRAIN_TIMEOUT_MS = 40000 // each of the two waits; both fit in the test timeout

describeMosquitto('offline queue [mosquitto]', () => {
  // MQTT.js reuses packet ids still in flight past 65,535 and loses those callbacks (README).
  testNapi(`${OFFLINE_MESSAGES} QoS 1 publishes made while offline: all delivered, all callbacks fire, no packet id reused while in flight`, async () => {
    const broker = track(await startVolumeMosquitto())
    // the tap parses both directions of the publisher's connection, in wire order
    const proxy = track(await startFaultProxy({ port: broker.port, tap: true }))
    const topic = h.topic('off')

    const [sub] = await h.connected(broker.url, { clientId: h.clientId('os'), clean: false })
    const inbox = receiveLedger(sub, topic, OFFLINE_MESSAGES)
    await h.subscribe(sub, topic, { qos: 1 })

    // "broker down": the proxy accepts and closes at once; the client keeps retrying
    proxy.refuse(true)
    const pub = h.connect(proxy.url, { clientId: h.clientId('op'), clean: false, reconnectPeriod: 100 })
    await proxy.waitForConnections(1)
    expect(pub.connected).toBe(false)

    const ledger = publishLedger(OFFLINE_MESSAGES)
    for (let i = 0; i < OFFLINE_MESSAGES; i++) pub.publish(topic, idPayload(i), { qos: 1 }, ledger.callback(i))
    await delay(300)
    expect(ledger.done).toBe(0)

    proxy.refuse(false)
    await withTimeout(ledger.all, DRAIN_TIMEOUT_MS, 'publish callbacks').catch(() => {})
    expect({ missingCallbacks: head(ledger.missing()), errors: head(ledger.errors), repeated: head(ledger.repeated()) })
      .toEqual({ missingCallbacks: [], errors: [], repeated: [] })
    await inbox.waitAll(DRAIN_TIMEOUT_MS).catch(() => {})
    expect(head(inbox.missing())).toEqual([])

    // On the wire: an id is in flight from its PUBLISH until the PUBACK for it passes
    // the proxy (the client can only learn of it later). No PUBLISH may reuse one.
    const inFlight = new Set()
    const reused = []
    let publishes = 0
    let zeroIds = 0
    for (const { dir, packet } of proxy.tapped) {
      if (dir === 'up' && packet.cmd === 'publish') {
        publishes++
        if (!packet.messageId) zeroIds++
        if (inFlight.has(packet.messageId) && !packet.dup) reused.push(packet.messageId)
        inFlight.add(packet.messageId)
      } else if (dir === 'down' && packet.cmd === 'puback') {
        inFlight.delete(packet.messageId)
      }
    }
    expect(head(reused)).toEqual([])
    expect(zeroIds).toBe(0)
    expect(publishes).toBeGreaterThanOrEqual(OFFLINE_MESSAGES)
    expect(inFlight.size).toBe(0)
  }, 120000)
})
