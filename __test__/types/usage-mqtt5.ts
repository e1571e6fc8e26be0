// An MQTT 5 program written against MQTT.js's types: it must type-check,
// unchanged, against `mqtt` and against mqtt-napi (see usage.ts).
import { connect, ErrorWithReasonCode, ReasonCodes } from 'mqtt'
import type {
  IClientOptions,
  IClientPublishOptions,
  IClientSubscribeOptions,
  IConnackPacket,
  IDisconnectPacket,
  IPublishPacket,
  ISubscriptionMap,
  Packet
} from 'mqtt'

const options: IClientOptions = {
  protocolVersion: 5,
  clientId: 'v5',
  properties: {
    sessionExpiryInterval: 300,
    receiveMaximum: 20,
    maximumPacketSize: 1 << 20,
    topicAliasMaximum: 10,
    requestResponseInformation: true,
    requestProblemInformation: true,
    userProperties: { app: 'demo', tags: ['a', 'b'] },
    authenticationMethod: 'SCRAM-SHA-1',
    authenticationData: Buffer.from('client-first')
  },
  will: {
    topic: 'v5/will',
    payload: 'gone',
    qos: 1,
    properties: { willDelayInterval: 10, contentType: 'text/plain', userProperties: { k: 'v' } }
  },
  authPacket: { reasonCode: 0, properties: { authenticationMethod: 'SCRAM-SHA-1' } },
  autoUseTopicAlias: true,
  autoAssignTopicAlias: false,
  customHandleAcks: (topic, message, packet, done) => {
    if (topic.startsWith('forbidden/')) done(0x87)
    else done(0)
  }
}

const client = connect('mqtt://localhost', options)

client.handleAuth = (packet, callback) => {
  const data: Buffer | undefined = packet.properties?.authenticationData
  callback(undefined, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: data } })
}

client.on('connect', (connack: IConnackPacket) => {
  const reason: number | undefined = connack.reasonCode
  const max: number | undefined = connack.properties?.topicAliasMaximum
  const assigned: string | undefined = client.serverProperties?.assignedClientIdentifier
  const keepalive: number = client.keepalive
  void [reason, max, assigned, keepalive]
})

client.on('disconnect', (packet: IDisconnectPacket) => {
  const text: string = ReasonCodes[0x8b]
  const reason: string | undefined = packet.properties?.reasonString
  void [text, reason]
})

client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
  const ids: number | number[] | undefined = packet.properties?.subscriptionIdentifier
  const correlation: Buffer | undefined = packet.properties?.correlationData
  void [topic, payload, ids, correlation]
})

const publishOptions: IClientPublishOptions = {
  qos: 1,
  properties: {
    payloadFormatIndicator: true,
    messageExpiryInterval: 60,
    topicAlias: 1,
    responseTopic: 'v5/reply',
    correlationData: Buffer.from('id-1'),
    userProperties: { a: '1' },
    contentType: 'application/json'
  }
}
client.publish('v5/t', '{}', publishOptions, (err?: Error, packet?: Packet) => {
  if (err instanceof ErrorWithReasonCode) {
    const code: number = err.code
    void code
  }
  void packet
})

const subscribeOptions: IClientSubscribeOptions = { qos: 1, nl: true, rap: true, rh: 2, properties: { subscriptionIdentifier: 7, userProperties: { s: 'x' } } }
client.subscribe('v5/#', subscribeOptions, (err, granted) => {
  for (const grant of granted ?? []) {
    const nl: boolean | undefined = grant.nl
    const rh: number | undefined = grant.rh
    void [nl, rh, grant.qos, err]
  }
})
const map: ISubscriptionMap = { 'v5/a': { qos: 0, nl: true }, 'v5/b': { qos: 2, rh: 1 } }
client.subscribe(map, { properties: { subscriptionIdentifier: 8 } })

client.unsubscribe('v5/#', { properties: { userProperties: { why: 'done' } } }, (err, packet) => {
  void [err, packet]
})

client.end(false, { reasonCode: 0x04, properties: { sessionExpiryInterval: 0, reasonString: 'bye' } }, () => {})
client.end({ reasonCode: 0 })
void client.endAsync(false, { reasonCode: 0x80 })
