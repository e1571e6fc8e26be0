// A program written against MQTT.js's types. It must type-check, unchanged,
// against `mqtt` (the reference) and against mqtt-napi (tsconfig.napi.json
// maps the module name to this package's index.d.ts).
import mqtt, {
  connect,
  connectAsync,
  MqttClient,
  Client,
  ErrorWithReasonCode,
  ErrorWithSubackPacket,
  ReasonCodes,
  Store,
  DefaultMessageIdProvider,
  UniqueMessageIdProvider,
  validateTopic,
  validateTopics,
  MQTTJS_VERSION
} from 'mqtt'
import type {
  IClientOptions,
  IClientPublishOptions,
  IClientSubscribeOptions,
  IClientSubscribeProperties,
  ISubscriptionGrant,
  ISubscriptionMap,
  ISubscriptionRequest,
  IPublishPacket,
  IConnackPacket,
  IDisconnectPacket,
  IStore,
  Packet,
  MqttClientEventCallbacks,
  OnMessageCallback,
  OnConnectCallback,
  PacketCallback,
  ClientSubscribeCallback,
  MqttProtocol
} from 'mqtt'

const options: IClientOptions = {
  clientId: 'typed',
  username: 'user',
  password: Buffer.from('secret'),
  keepalive: 30,
  clean: false,
  reconnectPeriod: 1000,
  connectTimeout: 4000,
  protocolVersion: 4,
  protocolId: 'MQTT',
  will: { topic: 'status', payload: 'gone', qos: 1, retain: true },
  resubscribe: true,
  queueQoSZero: false,
  reconnectOnConnackError: true,
  subscribeBatchSize: 100,
  manualConnect: false,
  servers: [{ host: 'a.example', port: 1883 }, { host: 'b.example', port: 8883, protocol: 'mqtts' }],
  incomingStore: new Store(),
  outgoingStore: new Store({ clean: false }),
  messageIdProvider: new UniqueMessageIdProvider(),
  log: (...args: any[]) => { void args },
  rejectUnauthorized: true,
  ca: [Buffer.from('pem')],
  properties: { sessionExpiryInterval: 60 },
  unixSocket: false
}
const protocol: MqttProtocol = 'mqtt+unix'

const client: MqttClient = connect('mqtt://localhost:1883', options)
const other: MqttClient = mqtt.connect(options)
const alias: typeof MqttClient = Client
void protocol, other, alias

const onConnect: OnConnectCallback = (connack: IConnackPacket) => {
  const present: boolean = connack.sessionPresent
  const code: number | undefined = connack.returnCode
  void present, code
}
client.on('connect', onConnect)

const onMessage: OnMessageCallback = (topic: string, payload: Buffer, packet: IPublishPacket) => {
  const qos: 0 | 1 | 2 = packet.qos
  const id: number | undefined = packet.messageId
  console.log(topic, payload.toString(), qos, id, packet.retain, packet.dup)
}
client.on('message', onMessage)
client.once('message', (topic, payload, packet) => {
  // Parameters are typed from MqttClientEventCallbacks.
  const t: string = topic
  const b: Buffer = payload
  const p: IPublishPacket = packet
  void t, b, p
})
client.on('error', (err) => {
  if (err instanceof ErrorWithReasonCode) {
    const code: number = err.code
    console.log(ReasonCodes[code as keyof typeof ReasonCodes])
  }
})
client.on('packetsend', (packet: Packet) => console.log(packet.cmd))
client.on('packetreceive', (packet: Packet) => console.log(packet.cmd))
client.on('disconnect', (packet: IDisconnectPacket) => console.log(packet.reasonCode))
for (const event of ['close', 'end', 'reconnect', 'offline', 'outgoingEmpty'] as const) client.on(event, () => {})
const handler: MqttClientEventCallbacks['message'] = onMessage
client.removeListener('message', handler)

const publishOptions: IClientPublishOptions = { qos: 1, retain: false, dup: false }
const done: PacketCallback = (err, packet) => {
  if (err) console.error(err.message)
  if (packet && packet.cmd === 'publish') console.log(packet.topic)
}
client.publish('t', 'payload')
client.publish('t', Buffer.from('payload'), done)
client.publish('t', 'payload', publishOptions, done)
client.publish('t', 'payload', { qos: 2 })

const subscribed: ClientSubscribeCallback = (err, granted?: ISubscriptionGrant[]) => {
  if (err) return
  for (const grant of granted ?? []) console.log(grant.topic, grant.qos === 128 ? 'refused' : grant.qos)
}
const subscribeOptions: IClientSubscribeOptions = { qos: 1 }
const properties: IClientSubscribeProperties = {}
const map: ISubscriptionMap = { 'a/+': { qos: 0 }, 'b/#': { qos: 2 } }
const request: ISubscriptionRequest = { topic: 'c', qos: 1 }
client.subscribe('a')
client.subscribe('a', subscribed)
client.subscribe(['a', 'b'], subscribeOptions, subscribed)
client.subscribe(map, subscribed)
client.subscribe(request.topic, properties)
client.unsubscribe('a')
client.unsubscribe(['a', 'b'], (err?: Error, packet?: Packet) => { void err, packet })
client.unsubscribe('a', {}, () => {})

client.handleMessage = (packet: IPublishPacket, callback) => {
  setImmediate(() => callback())
  void packet
}

async function promises (): Promise<void> {
  const c = await connectAsync('mqtt://localhost', { clientId: 'p' })
  const c2 = await connectAsync('mqtt://localhost', { clientId: 'p2' }, false)
  const granted: ISubscriptionGrant[] = await c.subscribeAsync({ 'x/#': { qos: 1 } })
  const sent: Packet | undefined = await c.publishAsync('x/1', 'hello', { qos: 1 })
  const unsub: Packet | undefined = await c.unsubscribeAsync('x/#')
  await c.endAsync()
  await c2.endAsync(true)
  void granted, sent, unsub
}
void promises

const flags: boolean[] = [client.connected, client.reconnecting, client.disconnecting, client.disconnected]
const id: number = client.getLastMessageId()
client.removeOutgoingMessage(id)
client.reconnect()
const opts: IClientOptions = client.options
const store: IStore = client.outgoingStore
void flags, opts, store

client.end()
client.end(true)
client.end(() => {})
client.end(false, {}, (err?: Error) => { void err })
client.end(true, () => {})

const valid: boolean = validateTopic('a/+/b')
const invalid: string | null = validateTopics(['a', 'b#'])
const version: string = MQTTJS_VERSION
const suback = new ErrorWithSubackPacket('Subscribe error', { cmd: 'suback', granted: [128] })
const reason = new ErrorWithReasonCode('refused', 5)
const ids = new DefaultMessageIdProvider()
const next: number = ids.allocate()
void valid, invalid, suback.packet, reason.code, next, MqttClient.defaultId()
