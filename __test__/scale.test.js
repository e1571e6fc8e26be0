'use strict'
// Client-sized collections: 100,000 subscriptions with `resubscribe` on, and
// 65,535 packet ids from UniqueMessageIdProvider. Each operation on them must
// not search the whole collection: the bounds below are a few times what the
// work takes, and a fraction of what a search per topic or per id took
// (subscribe of 100,000 topics: 13 s of CPU; 65,535 allocations: a minute).
const { cleanupAll, track } = require('./helpers/cleanup')
const { startMosquitto, describeMosquitto, describeEachBroker } = require('./helpers/brokers')
const { record, delay } = require('./helpers/events')
const { mqtt } = require('./helpers/impl')
const h = require('./helpers/harness')

afterEach(cleanupAll)

const TOPICS = 100000
/** CPU seconds of this process (JS and engine threads) a 100,000-topic call may take. */
const CPU_BOUND_S = 4
/** Wall-clock bound, broker included; generous for a shared machine. */
const WALL_BOUND_S = 20

/** Runs `fn`, resolving with [its result, wall seconds, CPU seconds of this process]. */
async function measured (fn) {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  const result = await fn()
  const wall = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  return [result, wall, (used.user + used.system) / 1e6]
}

describeMosquitto('100,000 topics with resubscribe on [mosquitto]', () => {
  test('subscribe, resubscribe after a reconnect, and unsubscribe each stay within the bounds', async () => {
    const broker = track(await startMosquitto())
    const [c] = await h.connected(broker.url, { clientId: h.clientId('scale'), reconnectPeriod: 200 })
    const rec = record(c, ['connect', 'message', 'error'])
    const topics = Array.from({ length: TOPICS }, (_, i) => `scale/${i}/temperature`)

    const [[err, granted], subWall, subCpu] = await measured(() => new Promise((resolve) => {
      c.subscribe(topics, { qos: 1 }, (...args) => resolve(args))
    }))
    expect(err).toBeNull()
    expect(granted).toHaveLength(TOPICS)
    expect(granted[TOPICS - 1]).toEqual({ topic: topics[TOPICS - 1], qos: 1 })
    expect(subCpu).toBeLessThan(CPU_BOUND_S)
    expect(subWall).toBeLessThan(WALL_BOUND_S)

    // A repeat of the same topics is skipped client-side (equal QoS): nothing to send.
    const [[again], , againCpu] = await measured(() => h.subscribe(c, topics, { qos: 1 }))
    expect(again).toBeNull()
    expect(againCpu).toBeLessThan(CPU_BOUND_S)

    // The broker keeps no session (clean): the client subscribes to all of them again.
    const [, resubWall, resubCpu] = await measured(async () => {
      c.reconnect()
      await rec.waitFor('connect', 1, WALL_BOUND_S * 1000)
      // Sent after the resubscription on the same connection: delivered only if it covered the last topic.
      c.publish(topics[TOPICS - 1], 'after reconnect', { qos: 1 })
      await rec.waitFor('message', 1, WALL_BOUND_S * 1000)
    })
    expect(rec.of('message')[0].args[0]).toBe(topics[TOPICS - 1])
    expect(resubCpu).toBeLessThan(CPU_BOUND_S)
    expect(resubWall).toBeLessThan(WALL_BOUND_S)

    const [[unsubErr], unsubWall, unsubCpu] = await measured(() => h.unsubscribe(c, topics))
    expect(unsubErr).toBeNull()
    expect(unsubCpu).toBeLessThan(CPU_BOUND_S)
    expect(unsubWall).toBeLessThan(WALL_BOUND_S)
    expect(rec.count('error')).toBe(0)
  }, 120000)
})

// The engine splits one subscribe() call into SUBSCRIBE packets of `subscribeBatchSize`
// filters and reports it once; JS meanwhile only waits (a timer keeps its pace).
describeEachBroker('100,000 topics in SUBSCRIBE packets of 1,000 (subscribeBatchSize)', (name, start) => {
  test('one callback with all 100,000 grants in order and the last SUBACK; 100 packets, each its own id', async () => {
    const broker = track(await start())
    const [c] = await h.connected(broker.url, { clientId: h.clientId('batch'), reconnectPeriod: 200, subscribeBatchSize: 1000 })
    const sent = []
    c.on('packetsend', (packet) => {
      if (packet.cmd === 'subscribe') sent.push({ messageId: packet.messageId, count: packet.subscriptions.length, lastId: c.getLastMessageId() })
    })
    const topics = Array.from({ length: TOPICS }, (_, i) => `batch/${i}/level`)
    // Each topic asks its own QoS, so a grant in the wrong place shows.
    const request = Object.fromEntries(topics.map((topic, i) => [topic, { qos: i % 3 }]))

    const calls = []
    const started = Date.now()
    const answered = new Promise((resolve) => c.subscribe(request, (...args) => {
      calls.push(args)
      resolve({ args, at: Date.now() })
    }))
    // (subscribe() itself validates and hands over 100,000 strings: measured apart.)
    const returned = Date.now()
    // From here to the callback the engine splits, sends and joins: JS must stay free to run.
    const loop = watchEventLoop(10)
    const { args, at } = await answered
    const { ticks, longestGap } = loop.stop()
    const waitMs = at - returned
    await delay(200) // time for a second (wrong) callback
    const [err, granted, suback] = args
    expect(err).toBeNull()
    expect(calls).toHaveLength(1)
    expect(granted).toHaveLength(TOPICS)
    const misplaced = granted.findIndex((g, i) => g.topic !== topics[i] || g.qos !== i % 3)
    expect(misplaced).toBe(-1)

    // 100 packets of 1,000, each with its own id. getLastMessageId() knows a packet's id by
    // its packetsend (the engine may have allocated the next ones already: README,
    // differences table) and ends at the last packet's.
    expect(sent).toHaveLength(TOPICS / 1000)
    expect(sent.every((p) => p.count === 1000 && p.lastId >= p.messageId)).toBe(true)
    expect(new Set(sent.map((p) => p.messageId)).size).toBe(sent.length)
    expect(c.getLastMessageId()).toBe(sent[sent.length - 1].messageId)
    // The callback's packet is the SUBACK of the call's last packet, as MQTT.js reports it.
    expect(suback.cmd).toBe('suback')
    expect(suback.messageId).toBe(sent[sent.length - 1].messageId)
    expect(suback.granted).toEqual(Array.from({ length: 1000 }, (_, i) => (TOPICS - 1000 + i) % 3))

    // The event loop kept turning while the call was out: at least a quarter of the
    // ticks a free loop gets, no stall of seconds (bounds generous for a shared machine).
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(waitMs / 10 / 4))
    expect(longestGap).toBeLessThan(2000)

    // Really subscribed: the first and the last topic deliver.
    const rec = record(c, ['message'])
    c.publish(topics[0], 'first', { qos: 1 })
    c.publish(topics[TOPICS - 1], 'last', { qos: 1 })
    await rec.waitFor('message', 2, WALL_BOUND_S * 1000)
    expect(rec.of('message').map((m) => m.args[0]).sort()).toEqual([topics[0], topics[TOPICS - 1]].sort())
    console.log(`[${name}] 100,000 topics in 100 packets: subscribe() ${returned - started} ms, then ${waitMs} ms to the callback: ${ticks} ticks, longest gap ${longestGap} ms`)
  }, 120000)
})

describe('UniqueMessageIdProvider', () => {
  test('hands out all 65,535 ids, lowest first, in well under a second each way', () => {
    const ids = new mqtt.UniqueMessageIdProvider()
    const [allocated, allocWall] = measuredSync(() => Array.from({ length: 65535 }, () => ids.allocate()))
    expect(allocated[0]).toBe(1)
    expect(allocated[65534]).toBe(65535)
    expect(ids.allocate()).toBeNull()
    expect(allocWall).toBeLessThan(2)

    // Freed newest first, then taken again: always the lowest free id.
    const [again, churnWall] = measuredSync(() => {
      for (let id = 65535; id > 0; id--) ids.deallocate(id)
      return Array.from({ length: 65535 }, () => ids.allocate())
    })
    expect(again).toEqual(allocated)
    expect(churnWall).toBeLessThan(2)
  })

  test('gives the same answers as MQTT.js for a random mix of allocate, deallocate, register and clear', () => {
    const reference = new (require('mqtt').UniqueMessageIdProvider)()
    const ours = new mqtt.UniqueMessageIdProvider()
    let seed = 12345
    const random = (n) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const ops = []
    for (let i = 0; i < 20000; i++) {
      const pick = random(100)
      // Mostly small ids so that frees, re-registrations and collisions happen often.
      const id = random(10) === 0 ? random(65537) : 1 + random(300)
      if (pick < 45) ops.push(['allocate'])
      else if (pick < 75) ops.push(['deallocate', id])
      else if (pick < 99) ops.push(['register', id])
      else ops.push(['clear'])
    }
    // A stretch that fills every id, then more.
    for (let i = 0; i < 66000; i++) ops.push(['allocate'])
    const answers = (provider) => ops.map(([op, arg]) => [provider[op](arg), provider.getLastAllocated()])
    const expected = answers(reference)
    const actual = answers(ours)
    const firstDifference = actual.findIndex((answer, i) => answer[0] !== expected[i][0] || answer[1] !== expected[i][1])
    expect(firstDifference === -1 ? null : { op: ops[firstDifference], mqttjs: expected[firstDifference], ours: actual[firstDifference] }).toBeNull()
  })
})

/** A `period` ms timer; `stop()` says how often it ticked and its longest gap between ticks. */
function watchEventLoop (period) {
  let ticks = 0
  let longestGap = 0
  let last = Date.now()
  const timer = setInterval(() => {
    const now = Date.now()
    longestGap = Math.max(longestGap, now - last)
    last = now
    ticks++
  }, period)
  return {
    stop () {
      clearInterval(timer)
      return { ticks, longestGap: Math.max(longestGap, Date.now() - last) }
    }
  }
}

function measuredSync (fn) {
  const start = process.hrtime.bigint()
  const result = fn()
  return [result, Number(process.hrtime.bigint() - start) / 1e9]
}
