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
      'AUTH', 'CLOSE', 'CONNECT', 'DISCONNECT', 'ERROR', 'MESSAGE', 'OFFLINE', 'OUTGOING_EMPTY', 'PACKET_ID_ALLOCATED',
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

    expect(next('PUBLISH_DONE')).toEqual({ token: 7, messageId: 300, error: null, reasonCode: 0, properties: undefined })
    const tooLarge = next('PUBLISH_DONE')
    expect(tooLarge.token).toBe(8)
    expect(tooLarge.messageId).toBe(0)
    expect(tooLarge.error).toBeInstanceOf(Error)
    expect(tooLarge.error.code).toBe('ERR_MQTT_PACKET_TOO_LARGE')
    expect(tooLarge.error.message).toMatch(/9/)

    expect(next('SUBSCRIPTIONS_REFUSED')).toEqual(['s/denied', 's/é/#'])
    expect(next('SUBSCRIBE_DONE')).toEqual({ token: 9, messageId: 301, error: null, subackCodes: [0, 2, 0x80], properties: undefined, qos: [1, 2, 0, 2] })
    const failedSubscribe = next('SUBSCRIBE_DONE')
    expect(failedSubscribe).toMatchObject({ token: 10, messageId: 0, subackCodes: null, qos: [0, 1] })
    expect(failedSubscribe.error.message).toBe('Connection closed')
    expect(failedSubscribe.error.code).toBeUndefined()

    expect(next('UNSUBSCRIBE_DONE')).toEqual({ token: 11, messageId: 302, error: null, reasonCodes: [], properties: undefined })
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
    expect(next('DISCONNECT')).toEqual({ reasonCode: 0, properties: undefined })

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

    // MQTT 5: every reason code and property list, each property type, repeats folded as mqtt-packet folds them.
    expectMqtt5Records(next, payloads, fixedHeader)

    expect(next('TERMINATED')).toBeNull()
    expect(decoded).toEqual([])
  })

  /** Every property type, as `every_type()` in src/binding/format_samples.rs holds them. */
  const everyType = () => ({
    payloadFormatIndicator: true,
    messageExpiryInterval: 0xDEADBEEF,
    contentType: 'text/é',
    correlationData: Buffer.from([0, 0xff]),
    subscriptionIdentifier: [1, 268435455],
    topicAlias: 0x0102,
    maximumQoS: 1,
    userProperties: Object.assign(Object.create(null), { a: ['1', '2', '3'], b: 'x' })
  })

  function expectMqtt5Records (next, payloads, fixedHeader) {
    const connackProperties = {
      sessionExpiryInterval: 60,
      assignedClientIdentifier: 'auto-1',
      serverKeepAlive: 30,
      authenticationMethod: 'SCRAM-SHA-1',
      authenticationData: Buffer.from('ok'),
      responseInformation: 'resp/',
      serverReference: 'other:1883',
      reasonString: 'welcome',
      receiveMaximum: 20,
      topicAliasMaximum: 10,
      maximumQoS: 0,
      retainAvailable: false,
      userProperties: Object.assign(Object.create(null), { k: 'v' }),
      maximumPacketSize: 1024,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: true
    }
    const connected = next('CONNECT')
    expect(connected).toEqual({
      packet: { cmd: 'connack', ...fixedHeader, length: 2, sessionPresent: false, returnCode: 0, properties: connackProperties },
      sessionResumed: false
    })
    // In wire order (identifier order), as the broker's decoder meets them.
    expect(Object.keys(connected.packet.properties)).toEqual(Object.keys(connackProperties))
    expect(Object.getPrototypeOf(connected.packet.properties.userProperties)).toBeNull()

    const message = next('MESSAGE')
    expect(message.ackConnection).toBe(0)
    expect(message.packet).toEqual({
      cmd: 'publish', retain: false, qos: 1, dup: false, length: 2 + 3 + 2 + 2, topic: 'a/b', payload: Buffer.from('hi'), messageId: 400, properties: everyType()
    })
    const heldAttached = next('MESSAGE')
    expect(heldAttached.ackConnection).toBe(7)
    expect(heldAttached.packet.messageId).toBe(401)
    expect(heldAttached.packet.payload).toBe(payloads[1])
    expect(heldAttached.packet.properties).toEqual(everyType())

    expect(next('PUBLISH_DONE')).toEqual({ token: 20, messageId: 402, error: null, reasonCode: 0x10, properties: { reasonString: 'nobody' } })
    const refused = next('PUBLISH_DONE')
    expect(refused).toMatchObject({ token: 21, messageId: 403, reasonCode: 0x87, properties: { reasonString: 'denied' } })
    expect(refused.error.name).toBe('ErrorWithReasonCode')
    expect(refused.error.message).toBe('Publish error: Not authorized')
    expect(refused.error.code).toBe(0x87)

    expect(next('SUBSCRIBE_DONE')).toEqual({ token: 22, messageId: 404, error: null, subackCodes: [1, 0x97], properties: { reasonString: 'partly' }, qos: [1, 2] })
    expect(next('UNSUBSCRIBE_DONE')).toEqual({ token: 23, messageId: 405, error: null, reasonCodes: [0, 0x11], properties: { reasonString: 'done' } })
    const failedUnsubscribe = next('UNSUBSCRIBE_DONE')
    expect(failedUnsubscribe).toMatchObject({ token: 24, messageId: 406, reasonCodes: [], properties: undefined })
    expect(failedUnsubscribe.error.message).toBe('Connection closed')

    expect(next('DISCONNECT')).toEqual({ reasonCode: 0x8b, properties: { serverReference: 'backup', reasonString: 'bye' } })
    const authProperties = { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from([1, 2]) }
    expect(next('AUTH')).toEqual({ reasonCode: 0x18, properties: authProperties })

    expect(next('PACKET_SEND')).toEqual({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 60,
      clientId: 'v5',
      will: { topic: 'will/t', payload: Buffer.from('bye'), qos: 1, retain: false, properties: { contentType: 'text/plain', willDelayInterval: 5 } },
      properties: { sessionExpiryInterval: 300, requestProblemInformation: false, requestResponseInformation: true }
    })
    expect(next('PACKET_SEND')).toEqual({
      cmd: 'publish', topic: 'a/b', payload: Buffer.from('hi'), qos: 2, retain: false, messageId: 407, dup: false, properties: everyType()
    })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'puback', messageId: 408, reasonCode: 0x97, properties: { reasonString: 'quota' } })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'pubrec', messageId: 409 })
    expect(next('PACKET_SEND')).toEqual({
      cmd: 'subscribe',
      subscriptions: [{ topic: 's/#', qos: 2, nl: true, rap: true, rh: 2 }, { topic: 'plain', qos: 0 }],
      messageId: 410,
      properties: { subscriptionIdentifier: 42 }
    })
    expect(next('PACKET_SEND')).toEqual({
      cmd: 'unsubscribe', messageId: 411, unsubscriptions: ['u'], properties: { reasonString: 'not really allowed, but carried' }
    })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'disconnect', reasonCode: 4 })
    expect(next('PACKET_SEND')).toEqual({ cmd: 'auth', reasonCode: 0x18, properties: authProperties })

    expect(next('PACKET_RECEIVE')).toEqual({
      cmd: 'connack', ...fixedHeader, length: 2, sessionPresent: false, returnCode: 0, properties: connackProperties
    })
    expect(next('PACKET_RECEIVE')).toEqual({
      cmd: 'publish', retain: false, qos: 0, dup: false, length: 2 + 3 + 2, topic: 'a/b', payload: Buffer.from('hi'), properties: everyType()
    })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'pubrec', ...fixedHeader, length: 2, messageId: 412, reasonCode: 0x80, properties: { reasonString: 'no' } })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'pubcomp', ...fixedHeader, length: 2, messageId: 413, reasonCode: 0x92 })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'suback', ...fixedHeader, length: 3, granted: [0], messageId: 414, properties: { reasonString: 'ok' } })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'unsuback', ...fixedHeader, length: 2, messageId: 415, granted: [0x11] })
    expect(next('PACKET_RECEIVE')).toEqual({
      cmd: 'disconnect', ...fixedHeader, length: 0, reasonCode: 0x8b, properties: { serverReference: 'backup', reasonString: 'bye' }
    })
    expect(next('PACKET_RECEIVE')).toEqual({ cmd: 'auth', ...fixedHeader, length: 21, reasonCode: 0x18, properties: authProperties }) // length as mqtt-packet parses it
  }

  test('the addon exports every MQTT 5 property with MQTT.js\'s name and its record type', () => {
    const { properties } = native().batchFormat()
    const byName = Object.fromEntries(properties.map(({ name, id, type }) => [name, { id, type }]))
    expect(Object.keys(byName).sort()).toEqual([
      'assignedClientIdentifier', 'authenticationData', 'authenticationMethod', 'contentType', 'correlationData',
      'maximumPacketSize', 'maximumQoS', 'messageExpiryInterval', 'payloadFormatIndicator', 'reasonString',
      'receiveMaximum', 'requestProblemInformation', 'requestResponseInformation', 'responseInformation',
      'responseTopic', 'retainAvailable', 'serverKeepAlive', 'serverReference', 'sessionExpiryInterval',
      'sharedSubscriptionAvailable', 'subscriptionIdentifier', 'subscriptionIdentifiersAvailable', 'topicAlias',
      'topicAliasMaximum', 'userProperties', 'wildcardSubscriptionAvailable', 'willDelayInterval'
    ])
    // mqtt-packet's identifiers; its `byte` properties are booleans in MQTT.js, maximumQoS a number.
    expect(byName.topicAlias).toEqual({ id: 0x23, type: 'u16' })
    expect(byName.subscriptionIdentifier).toEqual({ id: 0x0b, type: 'u32' })
    expect(byName.retainAvailable).toEqual({ id: 0x25, type: 'bool' })
    expect(byName.maximumQoS).toEqual({ id: 0x24, type: 'u8' })
    expect(byName.correlationData).toEqual({ id: 0x09, type: 'binary' })
    expect(byName.userProperties).toEqual({ id: 0x26, type: 'pair' })
    expect(byName.sessionExpiryInterval).toEqual({ id: 0x11, type: 'u32' })
    expect(byName.contentType).toEqual({ id: 0x03, type: 'string' })
    const { publishBatch, eventBatch } = native().batchFormat()
    expect(publishBatch.flagProperties).toBe(eventBatch.flagProperties)
  })

  test('publish records flagged with properties take the properties list in order, and bad ones fail alone', () => {
    const { flagProperties } = native().batchFormat().publishBatch
    const { readProperties } = require('../lib/properties')
    const batch = new PublishBatch()
    const payload = Buffer.from('p')
    batch.add('a', payload, 1 | flagProperties, false, 1)
    batch.add('b', payload, 0, false, 2)
    batch.add('c', payload, 0 | flagProperties, true, 3)
    batch.add('d', payload, 2 | flagProperties, false, 4)
    batch.add('e', payload, 0 | flagProperties, false, 5)
    const first = {
      payloadFormatIndicator: false,
      messageExpiryInterval: 10,
      topicAlias: 7,
      responseTopic: 'r/t',
      correlationData: Buffer.from([1, 2, 3]),
      userProperties: { a: ['1', '2'], b: 'c' },
      contentType: 'json',
      subscriptionIdentifier: undefined // left out, as mqtt-packet leaves it out
    }
    const records = native().__readPublishBatch(batch.take(), [
      first,
      { topicAlias: 0 },
      { sessionExpiryInterval: 5 },
      { noSuchProperty: 1 }
    ])
    const decoded = (record) => readProperties(new BatchReader(record.properties, new TopicCache()))
    expect(records[0]).toMatchObject({ token: 1, topic: 'a', qos: 1 })
    const { subscriptionIdentifier, ...sent } = first
    expect({ ...decoded(records[0]), userProperties: { ...decoded(records[0]).userProperties } }).toEqual(sent)
    expect(records[1]).toMatchObject({ token: 2, topic: 'b' })
    expect(records[1].properties).toBeUndefined()
    expect(records[2].error).toMatch(/^Invalid properties\.topicAlias: .*MQTT-3\.3\.2-8/)
    expect(records[3].error).toMatch(/^Invalid properties\.sessionExpiryInterval: .*not allowed/)
    expect(records[4].error).toBe('Invalid properties.noSuchProperty: not an MQTT 5 property')
  })

  test('a properties list that does not pair up with the flagged records is refused whole', () => {
    const { flagProperties } = native().batchFormat().publishBatch
    const flagged = new PublishBatch()
    flagged.add('a', Buffer.from('p'), flagProperties, false, 1)
    expect(() => native().__readPublishBatch(flagged.take(), [])).toThrow(/more records flagged with properties than properties/)
    const plain = new PublishBatch()
    plain.add('a', Buffer.from('p'), 0, false, 1)
    expect(() => native().__readPublishBatch(plain.take(), [{}])).toThrow(/more properties than records flagged/)
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
