'use strict'
// Format agreement across the N-API boundary. Both batch formats are defined
// once, in Rust (src/binding/batch_format.rs), and the JS side reads them from
// the addon; these tests run each side's encoder through the other side's
// reader and check every field, for every record kind:
// - event batches: the Rust encoder (`__formatSamples()`, fixed known events)
//   through the JS reader (lib/event-records.js);
// - publish batches: the JS writer (lib/publish-batch.js) through the Rust
//   reader (`__readPublishBatch()`, which reports what it decoded).
// Internals of mqtt-napi: nothing to compare with MQTT.js.
const { isNapi } = require('./helpers/impl')

const describeNapi = isNapi ? describe : describe.skip

describeNapi('batch formats agree between Rust and JS', () => {
  // Required inside: under MQTT_IMPL=mqtt the addon may not even be built.
  const native = () => require('../lib/native-loader')
  const { KIND, BatchReader, TopicCache } = isNapi ? require('../lib/event-batch') : {}
  const { readRecord } = isNapi ? require('../lib/event-records') : {}
  const { PublishBatch } = isNapi ? require('../lib/publish-batch') : {}

  function decodeSamples () {
    const { records, payloads } = native().__formatSamples()
    const reader = new BatchReader(records, new TopicCache(), payloads)
    const nameOf = Object.fromEntries(Object.entries(KIND).map(([name, value]) => [value, name]))
    const decoded = []
    while (!reader.done) {
      const { kind, value } = readRecord(reader)
      decoded.push([nameOf[kind], value])
    }
    return { decoded, payloads }
  }

  test('the addon exports every record kind, distinct, and the JS side uses them', () => {
    const { eventBatch } = native().batchFormat()
    expect(KIND).toEqual(eventBatch.kinds)
    expect(Object.keys(KIND).sort()).toEqual([
      'CLOSE', 'CONNECT', 'DISCONNECT', 'ERROR', 'MESSAGE', 'OFFLINE', 'OUTGOING_EMPTY', 'PACKET_ID_ALLOCATED',
      'PACKET_RECEIVE', 'PACKET_SEND', 'PUBLISH_DONE', 'QOS0_DROPPED', 'QOS0_WRITTEN', 'RECONNECT', 'SUBSCRIBE_DONE',
      'SUBSCRIPTIONS_REFUSED', 'TERMINATED', 'UNSUBSCRIBE_DONE'
    ])
    expect(new Set(Object.values(KIND)).size).toBe(Object.keys(KIND).length)
  })

  test('every event record the Rust encoder writes decodes in JS to the values it was given', () => {
    const { decoded, payloads } = decodeSamples()
    // Every kind appears at least once.
    expect(new Set(decoded.map(([kind]) => kind))).toEqual(new Set(Object.keys(KIND)))
    const next = (kind) => {
      const [actual, value] = decoded.shift()
      expect(actual).toBe(kind)
      return value
    }
    const fixedHeader = { retain: false, qos: 0, dup: false, topic: null, payload: null }

    expect(next('CONNECT')).toEqual({
      packet: { cmd: 'connack', ...fixedHeader, length: 2, sessionPresent: true, returnCode: 0 },
      sessionResumed: true
    })

    const small = next('MESSAGE')
    expect(small.ackConnection).toBe(0)
    expect(small.packet).toEqual({
      cmd: 'publish', retain: true, qos: 1, dup: true, length: 2 + 3 + 2 + 2, topic: 'a/b', payload: Buffer.from('hi'), messageId: 258
    })

    const attached = next('MESSAGE')
    expect(attached.ackConnection).toBe(0)
    expect(attached.packet.qos).toBe(0)
    expect(attached.packet.messageId).toBeUndefined()
    expect(attached.packet.payload).toBe(payloads[0])
    expect(attached.packet.payload.length).toBe(64 * 1024)
    expect(attached.packet.payload.every((b) => b === 7)).toBe(true)

    const held = next('MESSAGE')
    expect(held.ackConnection).toBe(0x01020304)
    expect(held.packet).toMatchObject({ qos: 2, retain: false, dup: false, messageId: 9, topic: 'a/b' })
    expect(held.packet.payload.toString()).toBe('hi')

    expect(next('PUBLISH_DONE')).toEqual({ token: 7, messageId: 300, error: null })
    const tooLarge = next('PUBLISH_DONE')
    expect(tooLarge.token).toBe(8)
    expect(tooLarge.messageId).toBe(0)
    expect(tooLarge.error).toBeInstanceOf(Error)
    expect(tooLarge.error.code).toBe('ERR_MQTT_PACKET_TOO_LARGE')
    expect(tooLarge.error.message).toMatch(/9/)

    expect(next('SUBSCRIPTIONS_REFUSED')).toEqual(['s/denied', 's/é/#'])
    expect(next('SUBSCRIBE_DONE')).toEqual({ token: 9, messageId: 301, error: null, subackCodes: [0, 2, 0x80], qos: [1, 2, 0, 2] })
    const failedSubscribe = next('SUBSCRIBE_DONE')
    expect(failedSubscribe).toMatchObject({ token: 10, messageId: 0, subackCodes: null, qos: [0, 1] })
    expect(failedSubscribe.error.message).toBe('Connection closed')
    expect(failedSubscribe.error.code).toBeUndefined()

    expect(next('UNSUBSCRIBE_DONE')).toEqual({ token: 11, messageId: 302, error: null })
    expect(next('PACKET_ID_ALLOCATED')).toBe(65535)
    // Tokens are JS numbers: the largest safe integer survives the trip.
    expect(next('QOS0_WRITTEN')).toBe(Number.MAX_SAFE_INTEGER)
    expect(next('QOS0_DROPPED')).toBe(12)
    expect(next('RECONNECT')).toEqual({ server: 2 })
    expect(next('OFFLINE')).toBeNull()
    expect(next('CLOSE')).toBeNull()

    const refused = next('ERROR')
    expect(refused.name).toBe('ErrorWithReasonCode')
    expect(refused.message).toBe('Connection refused: Not authorized')
    expect(refused.code).toBe(5)
    const syscall = next('ERROR')
    expect(syscall.message).toBe('connect ECONNREFUSED 1.2.3.4:80')
    expect({ ...syscall }).toEqual({
      errno: -111, code: 'ECONNREFUSED', syscall: 'connect', address: '1.2.3.4', port: 80, hostname: 'broker.example'
    })

    expect(next('OUTGOING_EMPTY')).toBeNull()
    expect(next('DISCONNECT')).toBeNull()

    expect(next('PACKET_SEND')).toEqual({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: false,
      keepalive: 30,
      clientId: 'client-1',
      will: { topic: 'will/t', payload: Buffer.from('bye'), qos: 2, retain: true },
      username: 'user',
      password: Buffer.from('pass')
    })
    expect(next('PACKET_SEND')).toEqual({
      cmd: 'publish', topic: 'a/b', payload: Buffer.from('hi'), qos: 1, retain: true, messageId: 303, dup: false
    })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'puback', messageId: 304, reasonCode: 0 })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'pubrec', messageId: 305 })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'pubrel', qos: 2, messageId: 306 })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'pubcomp', messageId: 307 })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'subscribe', subscriptions: [{ topic: 's/+', qos: 1 }], messageId: 308 })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'unsubscribe', messageId: 309, unsubscriptions: ['u/#'] })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'pingreq' })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'disconnect' })

    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'connack', ...fixedHeader, length: 2, sessionPresent: false, returnCode: 0 })
    expect(next('PACKET_RECEIVE')).toEqual({
      cmd: 'publish', retain: false, qos: 2, dup: true, length: 2 + 3 + 2 + 2, topic: 'a/b', payload: Buffer.from('hi'), messageId: 310
    })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'puback', ...fixedHeader, length: 2, messageId: 311 })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'pubrec', ...fixedHeader, length: 2, messageId: 312 })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'pubrel', ...fixedHeader, qos: 1, length: 2, messageId: 313 })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'pubcomp', ...fixedHeader, length: 2, messageId: 314 })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'suback', ...fixedHeader, length: 4, granted: [1, 0x80], messageId: 315 })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'unsuback', ...fixedHeader, length: 2, messageId: 316 })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'pingresp', ...fixedHeader, length: 0 })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'subscribe', ...fixedHeader, length: 0 })

    expect(next('TERMINATED')).toBeNull()
    expect(decoded).toEqual([])
  })

  test('every publish record the JS writer writes decodes in Rust to the values it was given', () => {
    const batch = new PublishBatch()
    const payload = Buffer.from([0, 1, 2, 255])
    const longTopic = 'é/'.repeat(1000) + 'ü'
    batch.add('a/b', payload, 0, false, 1)
    batch.add('a/b', payload, 1, true, 2)
    batch.add(longTopic, Buffer.alloc(0), 2, false, 2 ** 53 - 1)
    batch.add('x/+', payload, 1, false, 4) // the Rust side's topic rule still applies
    batch.add('q', payload, 3, false, 5) // so does its QoS rule
    const records = native().__readPublishBatch(batch.take())
    expect(records.map(({ error, ...fields }) => error === null || error === undefined ? fields : { token: fields.token, error })).toEqual([
      { token: 1, topic: 'a/b', payload, qos: 0, retain: false },
      { token: 2, topic: 'a/b', payload, qos: 1, retain: true },
      { token: 2 ** 53 - 1, topic: longTopic, payload: Buffer.alloc(0), qos: 2, retain: false },
      { token: 4, error: expect.stringMatching(/^Invalid topic x\/\+/) },
      { token: 5, error: expect.stringMatching(/^Invalid QoS 3/) }
    ])
  })

  test('a publish batch cut anywhere is refused whole by the Rust reader, never misread', () => {
    const batch = new PublishBatch()
    batch.add('t', Buffer.from('payload'), 1, false, 1)
    const bytes = Buffer.from(batch.take())
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(() => native().__readPublishBatch(bytes.subarray(0, cut))).toThrow(/malformed publish batch \(truncated record\)/)
    }
  })
})

describeNapi('rules the shim takes from the engine instead of copying', () => {
  const { topicNameError } = isNapi ? require('../lib/validations') : {}
  const { ReasonCodes } = isNapi ? require('..') : {}

  test('a publish topic is judged by the engine rule: wildcards, empty, U+0000, over 65535 bytes', () => {
    expect(topicNameError('a/b')).toBeNull()
    expect(topicNameError('a/b')).toBeNull() // the cached answer agrees
    expect(topicNameError('a/+')).toMatch(/^Invalid topic a\/\+: .*wildcard/)
    expect(topicNameError('a/#')).toMatch(/^Invalid topic a\/#: .*wildcard/)
    expect(topicNameError('')).toMatch(/^Invalid topic: .*empty \[MQTT-4\.7\.3-1\]/)
    expect(topicNameError('a\u0000b')).toMatch(/U\+0000 \[MQTT-4\.7\.3-2\]/)
    expect(topicNameError('é'.repeat(32768))).toMatch(/^Invalid topic: .*65535.*\[MQTT-4\.7\.3-3\]/)
    expect(topicNameError('é'.repeat(32767))).toBeNull()
  })

  test('ReasonCodes is the engine table, with the CONNACK and MQTT 5 texts', () => {
    expect(ReasonCodes[0]).toBe('')
    expect(ReasonCodes[4]).toBe('Bad username or password')
    expect(ReasonCodes[5]).toBe('Not authorized')
    expect(ReasonCodes[128]).toBe('Unspecified error')
    expect(ReasonCodes[162]).toBe('Wildcard Subscriptions not supported')
    expect(Object.keys(ReasonCodes)).toHaveLength(43)
  })
})
