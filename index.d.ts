// Public types of mqtt-napi: MQTT.js 5.x's public types, self-contained, so
// that code written against `mqtt`'s types compiles against this package
// unchanged (checked by __test__/types). Where this package accepts more
// (options as JSON strings, engine options), the additions are marked.

/// <reference types="node" />
import { Readable } from 'stream'

// ---- packets (the shapes of mqtt-packet, which MQTT.js re-exports) --------

export type QoS = 0 | 1 | 2

export type PacketCmd = 'auth' | 'connack' | 'connect' | 'disconnect' | 'pingreq' | 'pingresp' | 'puback' | 'pubcomp' |
  'publish' | 'pubrel' | 'pubrec' | 'suback' | 'subscribe' | 'unsuback' | 'unsubscribe'

export type UserProperties = { [index: string]: string | string[] }

export interface IPacket {
  cmd: PacketCmd
  messageId?: number
  length?: number
}

export interface IAuthPacket extends IPacket {
  cmd: 'auth'
  reasonCode: number
  properties?: {
    authenticationMethod?: string
    authenticationData?: Buffer
    reasonString?: string
    userProperties?: UserProperties
  }
}

export interface IConnectPacket extends IPacket {
  cmd: 'connect'
  clientId: string
  protocolVersion?: 4 | 5 | 3
  protocolId?: 'MQTT' | 'MQIsdp'
  clean?: boolean
  keepalive?: number
  username?: string
  password?: Buffer
  will?: {
    topic: string
    payload: Buffer | string
    qos?: QoS
    retain?: boolean
    properties?: {
      willDelayInterval?: number
      payloadFormatIndicator?: boolean
      messageExpiryInterval?: number
      contentType?: string
      responseTopic?: string
      correlationData?: Buffer
      userProperties?: UserProperties
    }
  }
  properties?: {
    sessionExpiryInterval?: number
    receiveMaximum?: number
    maximumPacketSize?: number
    topicAliasMaximum?: number
    requestResponseInformation?: boolean
    requestProblemInformation?: boolean
    userProperties?: UserProperties
    authenticationMethod?: string
    authenticationData?: Buffer
  }
}

export interface IPublishPacket extends IPacket {
  cmd: 'publish'
  qos: QoS
  dup: boolean
  retain: boolean
  topic: string
  payload: string | Buffer
  properties?: {
    payloadFormatIndicator?: boolean
    messageExpiryInterval?: number
    topicAlias?: number
    responseTopic?: string
    correlationData?: Buffer
    userProperties?: UserProperties
    subscriptionIdentifier?: number | number[]
    contentType?: string
  }
}

export interface IConnackPacket extends IPacket {
  cmd: 'connack'
  returnCode?: number
  reasonCode?: number
  sessionPresent: boolean
  properties?: {
    sessionExpiryInterval?: number
    receiveMaximum?: number
    maximumQoS?: number
    retainAvailable?: boolean
    maximumPacketSize?: number
    assignedClientIdentifier?: string
    topicAliasMaximum?: number
    reasonString?: string
    userProperties?: UserProperties
    wildcardSubscriptionAvailable?: boolean
    subscriptionIdentifiersAvailable?: boolean
    sharedSubscriptionAvailable?: boolean
    serverKeepAlive?: number
    responseInformation?: string
    serverReference?: string
    authenticationMethod?: string
    authenticationData?: Buffer
  }
}

export interface ISubscription {
  topic: string
  qos: QoS
  nl?: boolean
  rap?: boolean
  rh?: number
}

export interface ISubscribePacket extends IPacket {
  cmd: 'subscribe'
  subscriptions: ISubscription[]
  properties?: { reasonString?: string, subscriptionIdentifier?: number, userProperties?: UserProperties }
}

export interface ISubackPacket extends IPacket {
  cmd: 'suback'
  reasonCode?: number
  properties?: { reasonString?: string, userProperties?: UserProperties }
  granted: number[] | Object[]
}

export interface IUnsubscribePacket extends IPacket {
  cmd: 'unsubscribe'
  properties?: { reasonString?: string, userProperties?: UserProperties }
  unsubscriptions: string[]
}

export interface IUnsubackPacket extends IPacket {
  cmd: 'unsuback'
  reasonCode?: number
  properties?: { reasonString?: string, userProperties?: UserProperties }
  granted: number[]
}

interface IAckPacket<C extends PacketCmd> extends IPacket {
  cmd: C
  reasonCode?: number
  properties?: { reasonString?: string, userProperties?: UserProperties }
}

export interface IPubackPacket extends IAckPacket<'puback'> {}
export interface IPubcompPacket extends IAckPacket<'pubcomp'> {}
export interface IPubrelPacket extends IAckPacket<'pubrel'> {}
export interface IPubrecPacket extends IAckPacket<'pubrec'> {}

export interface IPingreqPacket extends IPacket {
  cmd: 'pingreq'
}

export interface IPingrespPacket extends IPacket {
  cmd: 'pingresp'
}

export interface IDisconnectPacket extends IPacket {
  cmd: 'disconnect'
  reasonCode?: number
  properties?: {
    sessionExpiryInterval?: number
    reasonString?: string
    userProperties?: UserProperties
    serverReference?: string
  }
}

export type Packet = IConnectPacket | IPublishPacket | IConnackPacket | ISubscribePacket | ISubackPacket |
  IUnsubscribePacket | IUnsubackPacket | IPubackPacket | IPubcompPacket | IPubrelPacket | IPingreqPacket |
  IPingrespPacket | IDisconnectPacket | IPubrecPacket | IAuthPacket

// ---- callbacks, stores, id providers -----------------------------------------

export type DoneCallback = (error?: Error) => void
export type GenericCallback<T> = (error?: Error, result?: T) => void
export type VoidCallback = () => void
export type TimerVariant = 'auto' | 'worker' | 'native'

export interface Timer {
  set: (callback: () => void, ms: number) => any
  clear: (id: any) => void
}

export type StorePutCallback = () => void
export type StorePacketCallback = (error?: Error, packet?: Packet) => void

export interface IStoreOptions {
  /** Forget everything on close (default true). */
  clean?: boolean
}

export interface IStore {
  put (packet: Packet, cb: DoneCallback): IStore
  createStream (): Readable
  del (packet: Pick<Packet, 'messageId'>, cb: StorePacketCallback): IStore
  get (packet: Pick<Packet, 'messageId'>, cb: StorePacketCallback): IStore
  close (cb: DoneCallback): void
}

/** MQTT.js's in-memory store. A user store given as an option is kept in step with the engine (see README). */
export declare class Store implements IStore {
  constructor (options?: IStoreOptions)
  put (packet: Packet, cb: DoneCallback): this
  createStream (): Readable
  del (packet: Pick<Packet, 'messageId'>, cb: StorePacketCallback): this
  get (packet: Pick<Packet, 'messageId'>, cb: StorePacketCallback): this
  close (cb: DoneCallback): void
}

export interface IMessageIdProvider {
  allocate (): number | null
  getLastAllocated (): number | null
  register (num: number): boolean
  deallocate (num: number): void
  clear (): void
}

/** Exported for compatibility; the engine allocates packet ids itself. */
export declare class DefaultMessageIdProvider implements IMessageIdProvider {
  constructor ()
  allocate (): number
  getLastAllocated (): number
  register (messageId: number): boolean
  deallocate (messageId: number): void
  clear (): void
}

/** Exported for compatibility; the engine allocates packet ids itself. */
export declare class UniqueMessageIdProvider implements IMessageIdProvider {
  constructor ()
  allocate (): number
  getLastAllocated (): number
  register (messageId: number): boolean
  deallocate (messageId: number): void
  clear (): void
}

// ---- options -------------------------------------------------------------------

export type BaseMqttProtocol = 'wss' | 'ws' | 'mqtt' | 'mqtts' | 'tcp' | 'ssl' | 'wx' | 'wxs' | 'ali' | 'alis'
export type MqttProtocolWithUnix = `${BaseMqttProtocol}+unix`
export type MqttProtocol = BaseMqttProtocol | MqttProtocolWithUnix

export type AckHandler = (topic: string, message: Buffer, packet: any, cb: (error: Error | number, code?: number) => void) => void

export interface ISecureClientOptions {
  key?: string | string[] | Buffer | Buffer[] | any[]
  keyPath?: string
  cert?: string | string[] | Buffer | Buffer[]
  certPath?: string
  ca?: string | string[] | Buffer | Buffer[]
  caPaths?: string | string[]
  /** Default true. */
  rejectUnauthorized?: boolean
  ALPNProtocols?: string[] | Buffer[] | Uint8Array[] | Buffer | Uint8Array
}

export interface IClientOptions extends ISecureClientOptions {
  encoding?: BufferEncoding
  browserBufferSize?: number
  binary?: boolean
  my?: any
  /** Do not connect until `client.connect()`. */
  manualConnect?: boolean
  authPacket?: Partial<IAuthPacket>
  writeCache?: boolean
  servername?: string
  defaultProtocol?: MqttProtocol
  query?: Record<string, string>
  auth?: string
  /**
   * SOCKS proxy for mqtt:// and mqtts:// (default: the MQTTJS_SOCKS_PROXY environment variable):
   * `socks5://`, `socks5h://` (the proxy resolves the broker host), `socks4://`, `socks4a://`.
   * `user:password@` (SOCKS5) or `userid@` (SOCKS4) in the URL is sent to the proxy.
   */
  socksProxy?: string
  /** Milliseconds for the connection to the proxy and its handshake (default 30000). */
  socksTimeout?: number
  customHandleAcks?: AckHandler
  port?: number
  host?: string
  hostname?: string
  unixSocket?: boolean
  path?: string
  /** ws/wss are not supported: connect() throws. */
  protocol?: MqttProtocol
  wsOptions?: { [key: string]: any }
  /** Milliseconds between reconnect attempts; 0 disables. Default 1000. */
  reconnectPeriod?: number
  reconnectOnConnackError?: boolean
  /** Milliseconds to wait for CONNACK. Default 30000. */
  connectTimeout?: number
  incomingStore?: IStore
  outgoingStore?: IStore
  /** Queue QoS 0 publishes made while offline. Default true. */
  queueQoSZero?: boolean
  log?: (...args: any[]) => void
  autoUseTopicAlias?: boolean
  autoAssignTopicAlias?: boolean
  /** `false` is accepted with a warning: PINGREQ is sent after a keepalive period without traffic. */
  reschedulePings?: boolean
  servers?: Array<{
    host: string
    port: number
    protocol?: 'wss' | 'ws' | 'mqtt' | 'mqtts' | 'tcp' | 'ssl' | 'wx' | 'wxs'
  }>
  resubscribe?: boolean
  subscribeBatchSize?: number
  transformWsUrl?: (url: string, options: IClientOptions, client: MqttClient) => string
  createWebsocket?: (url: string, websocketSubProtocols: string[], options: IClientOptions) => any
  /** Accepted with a warning: the engine allocates packet ids. */
  messageIdProvider?: IMessageIdProvider
  browserBufferTimeout?: number
  objectMode?: boolean
  /** Default `'mqttjs_' + 8 hex digits`. (napi: a Buffer is accepted too.) */
  clientId?: string
  /** 3 = MQTT 3.1, 4 = MQTT 3.1.1 (default), 5 = MQTT 5.0. */
  protocolVersion?: IConnectPacket['protocolVersion']
  protocolId?: IConnectPacket['protocolId']
  clean?: boolean
  /** Seconds; 0 disables keepalive. Default 60. */
  keepalive?: number
  username?: string
  password?: Buffer | string
  will?: IConnectPacket['will']
  /** MQTT 5 CONNECT properties (ignored for 3.1/3.1.1, as MQTT.js). */
  properties?: IConnectPacket['properties']
  timerVariant?: TimerVariant | Timer
  forceNativeWebSocket?: boolean

  // mqtt-napi additions
  /** napi: alias of `protocolVersion`. */
  version?: 3 | 4 | 5
  /** napi: largest inbound packet accepted (bytes, fixed header included). Default 268,435,460. */
  maxIncomingPacketSize?: number
  /** napi: exponential reconnect backoff, from `reconnectPeriod` up to `max` milliseconds. */
  reconnectBackoff?: { max: number, factor?: number, jitter?: number }
  /** napi: publishes that may wait for a connection; past it the callback gets an error. Default unbounded. */
  offlineQueueMaxMessages?: number
  /** napi: bytes (topic + payload) that may wait for a connection. Default unbounded. */
  offlineQueueMaxBytes?: number
  /** napi: legacy bound on how many bytes of `ca` are read. */
  ca_len?: number
  /**
   * napi: run the client's protocol and socket on the engine's own thread instead of Node's
   * (default `false`, or `true` when the environment variable `MQTT_NAPI_ENGINE_THREAD=1`).
   * Keepalive then goes on while JS is blocked, at the cost of a thread hop per message.
   */
  engineThread?: boolean
}

export interface IClientPublishOptions {
  qos?: QoS
  retain?: boolean
  /** Ignored: DUP is set by the engine when it resends. */
  dup?: boolean
  properties?: IPublishPacket['properties']
  cbStorePut?: StorePutCallback
}

export interface IClientReconnectOptions {
  incomingStore?: Store
  outgoingStore?: Store
}

export interface IClientSubscribeProperties {
  properties?: ISubscribePacket['properties']
}

export interface IClientSubscribeOptions extends IClientSubscribeProperties {
  qos: QoS
  nl?: boolean
  rap?: boolean
  rh?: number
}

export interface ISubscriptionRequest extends IClientSubscribeOptions {
  topic: string
}

export interface ISubscriptionGrant extends Omit<ISubscriptionRequest, 'qos' | 'properties'> {
  qos: QoS | 128
}

export type ISubscriptionMap = {
  [topic: string]: IClientSubscribeOptions
} & {
  resubscribe?: boolean
}

export interface IClientUnsubscribeProperties {
  properties?: IUnsubscribePacket['properties']
}

// ---- events --------------------------------------------------------------------

export type OnConnectCallback = (packet: IConnackPacket) => void
export type OnDisconnectCallback = (packet: IDisconnectPacket) => void
export type ClientSubscribeCallback = (err: Error | null, granted?: ISubscriptionGrant[], packet?: ISubackPacket) => void
export type OnMessageCallback = (topic: string, payload: Buffer, packet: IPublishPacket) => void
export type OnPacketCallback = (packet: Packet) => void
export type OnCloseCallback = () => void
export type OnErrorCallback = (error: Error | ErrorWithReasonCode) => void
export type PacketCallback = (error?: Error | ErrorWithReasonCode, packet?: Packet) => any
export type CloseCallback = (error?: Error) => void

export interface MqttClientEventCallbacks {
  connect: OnConnectCallback
  message: OnMessageCallback
  packetsend: OnPacketCallback
  packetreceive: OnPacketCallback
  disconnect: OnDisconnectCallback
  error: OnErrorCallback
  close: OnCloseCallback
  end: VoidCallback
  reconnect: VoidCallback
  offline: VoidCallback
  outgoingEmpty: VoidCallback
}

export type EventHandler = ((arg1: any, arg2: any, arg3: any, arg4: any) => void) | ((arg1: any, arg2: any, arg3: any) => void) |
  ((arg1: any, arg2: any) => void) | ((arg1: any) => void) | ((...args: any[]) => void)

/**
 * An EventEmitter whose methods only take the events in `TEvents`, with
 * their listener types (as MQTT.js types its client). At run time the client
 * is a plain Node EventEmitter.
 */
export declare class TypedEventEmitter<TEvents extends Record<keyof TEvents, EventHandler>> {
  on<TEvent extends keyof TEvents> (event: TEvent, callback: TEvents[TEvent]): this
  once<TEvent extends keyof TEvents> (event: TEvent, callback: TEvents[TEvent]): this
  prependListener<TEvent extends keyof TEvents> (event: TEvent, callback: TEvents[TEvent]): this
  prependOnceListener<TEvent extends keyof TEvents> (event: TEvent, callback: TEvents[TEvent]): this
  removeListener<TEvent extends keyof TEvents> (event: TEvent, callback: TEvents[TEvent]): this
  off<TEvent extends keyof TEvents> (event: TEvent, callback: TEvents[TEvent]): this
  removeAllListeners (event?: keyof TEvents): this
  emit<TEvent extends keyof TEvents> (event: TEvent, ...args: Parameters<TEvents[TEvent]>): boolean
  setMaxListeners (n: number): this
  getMaxListeners (): number
  listeners<TEvent extends keyof TEvents> (eventName: TEvent): Array<TEvents[TEvent]>
  rawListeners<TEvent extends keyof TEvents> (eventName: TEvent): Array<TEvents[TEvent]>
  listenerCount<TEvent extends keyof TEvents> (event: TEvent, listener?: TEvents[TEvent]): number
  eventNames (): Array<keyof TEvents>
}

/** napi: every options argument may also be given as a JSON string of the object. */
type OrJson<T> = T | string

// ---- the client ------------------------------------------------------------------

export declare class MqttClient extends TypedEventEmitter<MqttClientEventCallbacks> {
  static VERSION: string
  static defaultId (): string

  connected: boolean
  disconnecting: boolean
  disconnected: boolean
  reconnecting: boolean
  /** The user's store, or an in-memory one. */
  readonly incomingStore: IStore
  readonly outgoingStore: IStore
  /** The live options: defaults and URL-derived fields filled in, as in MQTT.js. */
  options: IClientOptions
  queueQoSZero: boolean
  log: (...args: any[]) => void
  connackPacket?: IConnackPacket
  /** The last MQTT 5 CONNACK's properties while connected (undefined with none, and with MQTT 3.1/3.1.1). */
  readonly serverProperties: IConnackPacket['properties']
  /** The keepalive in use (seconds): the broker's MQTT 5 `serverKeepAlive` while connected with one, else the option. */
  readonly keepalive: number

  /** Clients are created by `connect()`; `options` are resolved as there. */
  constructor (options?: IClientOptions)

  /**
   * Override to apply backpressure: the next message is delivered after `callback`, and this
   * message's PUBACK (QoS 1) or PUBCOMP (QoS 2) is sent only then (not at all if `callback` gets an error).
   */
  handleMessage (packet: IPublishPacket, callback: DoneCallback): void

  /**
   * MQTT 5 enhanced authentication: gets each AUTH the broker sends; after "continue authentication"
   * (reasonCode 0x18) answer with `callback(null, { cmd: 'auth', reasonCode: 0x18, properties })`;
   * `callback(err)` closes the connection and emits `err`. Default: `callback()`.
   */
  handleAuth (packet: IAuthPacket, callback: PacketCallback): void

  /**
   * napi (MQTT.js has none): MQTT 5 re-authentication. Sends AUTH 0x19 with the connect's
   * `authenticationMethod` and `authPacket.properties`; the broker's challenges go to `handleAuth`.
   * The callback gets the broker's final AUTH (success), or the error (`code`: the reason code of the
   * broker's DISCONNECT when it refused).
   */
  reauthenticate (callback?: PacketCallback): MqttClient
  reauthenticate (authPacket?: Partial<IAuthPacket> | null, callback?: PacketCallback): MqttClient
  reauthenticateAsync (authPacket?: Partial<IAuthPacket> | null): Promise<IAuthPacket>

  connect (): this

  publish (topic: string, message: string | Buffer | Uint8Array): MqttClient
  publish (topic: string, message: string | Buffer | Uint8Array, callback?: PacketCallback): MqttClient
  publish (topic: string, message: string | Buffer | Uint8Array, opts?: OrJson<IClientPublishOptions> | null, callback?: PacketCallback): MqttClient
  publishAsync (topic: string, message: string | Buffer | Uint8Array): Promise<Packet | undefined>
  publishAsync (topic: string, message: string | Buffer | Uint8Array, opts?: OrJson<IClientPublishOptions> | null): Promise<Packet | undefined>

  subscribe (topicObject: string | string[] | ISubscriptionMap): MqttClient
  subscribe (topicObject: string | string[] | ISubscriptionMap, callback?: ClientSubscribeCallback): MqttClient
  subscribe (topicObject: string | string[] | ISubscriptionMap, opts?: OrJson<IClientSubscribeOptions | IClientSubscribeProperties> | null): MqttClient
  subscribe (topicObject: string | string[] | ISubscriptionMap, opts?: OrJson<IClientSubscribeOptions | IClientSubscribeProperties> | null, callback?: ClientSubscribeCallback): MqttClient
  subscribeAsync (topicObject: string | string[] | ISubscriptionMap): Promise<ISubscriptionGrant[]>
  subscribeAsync (topicObject: string | string[] | ISubscriptionMap, opts?: OrJson<IClientSubscribeOptions | IClientSubscribeProperties> | null): Promise<ISubscriptionGrant[]>

  unsubscribe (topic: string | string[]): MqttClient
  unsubscribe (topic: string | string[], opts?: OrJson<IClientUnsubscribeProperties> | null): MqttClient
  unsubscribe (topic: string | string[], callback?: PacketCallback): MqttClient
  unsubscribe (topic: string | string[], opts?: OrJson<IClientUnsubscribeProperties> | null, callback?: PacketCallback): MqttClient
  unsubscribeAsync (topic: string | string[]): Promise<Packet | undefined>
  unsubscribeAsync (topic: string | string[], opts?: OrJson<IClientUnsubscribeProperties> | null): Promise<Packet | undefined>

  end (cb?: DoneCallback): MqttClient
  end (force?: boolean): MqttClient
  end (opts?: OrJson<Partial<IDisconnectPacket>>, cb?: DoneCallback): MqttClient
  end (force?: boolean, cb?: DoneCallback): MqttClient
  end (force?: boolean, opts?: OrJson<Partial<IDisconnectPacket>>, cb?: DoneCallback): MqttClient
  endAsync (): Promise<void>
  endAsync (force?: boolean): Promise<void>
  endAsync (opts?: OrJson<Partial<IDisconnectPacket>>): Promise<void>
  endAsync (force?: boolean, opts?: OrJson<Partial<IDisconnectPacket>>): Promise<void>

  /** Withdraws an unacknowledged QoS 1/2 publish; its callback gets "Message removed" (asynchronously). */
  removeOutgoingMessage (messageId: number): MqttClient
  reconnect (opts?: Pick<IClientOptions, 'incomingStore' | 'outgoingStore'>): MqttClient
  /** The last packet id the engine reported (known once the packet is sent, or completes). */
  getLastMessageId (): number
}

export declare const Client: typeof MqttClient

export declare class ErrorWithReasonCode extends Error {
  code: number
  constructor (message: string, code: number)
}

export declare class ErrorWithSubackPacket extends Error {
  packet: ISubackPacket
  constructor (message: string, packet: ISubackPacket)
}

export declare const ReasonCodes: { [code: number]: string }

export declare function validateTopic (topic: string): boolean
export declare function validateTopics (topics: string[]): string | null

export declare function connect (brokerUrl: string): MqttClient
export declare function connect (opts: IClientOptions): MqttClient
export declare function connect (brokerUrl: string, opts?: OrJson<IClientOptions>): MqttClient
export declare function connectAsync (brokerUrl: string): Promise<MqttClient>
export declare function connectAsync (opts: IClientOptions): Promise<MqttClient>
export declare function connectAsync (brokerUrl: string, opts?: OrJson<IClientOptions>): Promise<MqttClient>
export declare function connectAsync (brokerUrl: string, opts: OrJson<IClientOptions>, allowRetries: boolean): Promise<MqttClient>

/** As in MQTT.js, equal to `MqttClient.VERSION`: here, the mqtt-napi package version. */
export declare const MQTTJS_VERSION: string

declare const mqtt: {
  connect: typeof connect
  connectAsync: typeof connectAsync
  MqttClient: typeof MqttClient
  Client: typeof MqttClient
  ErrorWithReasonCode: typeof ErrorWithReasonCode
  ErrorWithSubackPacket: typeof ErrorWithSubackPacket
  ReasonCodes: typeof ReasonCodes
  Store: typeof Store
  DefaultMessageIdProvider: typeof DefaultMessageIdProvider
  UniqueMessageIdProvider: typeof UniqueMessageIdProvider
  validateTopic: typeof validateTopic
  validateTopics: typeof validateTopics
  MQTTJS_VERSION: typeof MQTTJS_VERSION
}
export default mqtt
