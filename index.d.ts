// Public types of mqtt-napi: the shapes of MQTT.js 5.x's public API, so that
// code written against `mqtt` type-checks against this package unchanged.

/// <reference types="node" />
import { EventEmitter } from 'events'

export type QoS = 0 | 1 | 2

export type MqttProtocol = 'mqtt' | 'mqtts' | 'tcp' | 'ssl' | 'tls'

export interface IPacket {
  cmd: string
  messageId?: number
  length?: number
}

export interface IConnackPacket extends IPacket {
  cmd: 'connack'
  retain: boolean
  qos: 0
  dup: boolean
  topic: null
  payload: null
  sessionPresent: boolean
  returnCode?: number
  reasonCode?: number
}

export interface IPublishPacket extends IPacket {
  cmd: 'publish'
  qos: QoS
  dup: boolean
  retain: boolean
  topic: string
  payload: Buffer | string
}

export interface ISubackPacket extends IPacket {
  cmd: 'suback'
  granted: number[]
}

export interface IUnsubackPacket extends IPacket {
  cmd: 'unsuback'
}

export interface IDisconnectPacket extends IPacket {
  cmd: 'disconnect'
}

export type Packet = IConnackPacket | IPublishPacket | ISubackPacket | IUnsubackPacket | IDisconnectPacket

export interface IClientWill {
  topic: string
  payload: Buffer | string
  qos: QoS
  retain: boolean
}

export interface IClientOptions {
  /** Broker URL parts, when not given in the URL. */
  protocol?: MqttProtocol
  host?: string
  hostname?: string
  port?: number
  /** Seconds; 0 disables keepalive. Default 60. */
  keepalive?: number
  /** Default `'mqttjs_' + 8 hex digits`. */
  clientId?: string | Buffer
  /** 3 = MQTT 3.1, 4 = MQTT 3.1.1 (default). */
  protocolVersion?: 3 | 4
  /** Alias of `protocolVersion`. */
  version?: 3 | 4
  protocolId?: 'MQTT' | 'MQIsdp'
  /** Default true. `clean: false` needs a `clientId`. */
  clean?: boolean
  /** Milliseconds between reconnect attempts; 0 disables. Default 1000. */
  reconnectPeriod?: number
  /** Milliseconds to wait for CONNACK. Default 30000. */
  connectTimeout?: number
  username?: string
  password?: string | Buffer
  will?: IClientWill
  /** Re-send subscriptions after reconnecting to a broker without our session. Default true. */
  resubscribe?: boolean
  /** Queue QoS 0 publishes made while offline. Default true. */
  queueQoSZero?: boolean
  subscribeBatchSize?: number | null
  /** Largest inbound packet accepted (bytes, fixed header included). Default 268,435,460. */
  maxIncomingPacketSize?: number
  manualConnect?: boolean
  /** TLS: trusted CA certificates (PEM or DER). Default: Node's root store. */
  ca?: string | Buffer | Array<string | Buffer>
  /** Legacy: bounds how many bytes of `ca` are read. */
  ca_len?: number
  cert?: string | Buffer
  key?: string | Buffer
  /** Default true. */
  rejectUnauthorized?: boolean
  servername?: string
  ALPNProtocols?: string[]
  [key: string]: unknown
}

export interface IClientPublishOptions {
  qos?: QoS
  retain?: boolean
  dup?: boolean
}

export interface IClientSubscribeOptions {
  qos: QoS
}

export interface IClientSubscribeProperties {
  qos?: QoS
}

export interface ISubscriptionMap {
  [topic: string]: { qos: QoS }
}

export interface ISubscriptionGrant {
  topic: string
  qos: QoS | 128
}

export interface ISubscriptionRequest {
  topic: string
  qos: QoS
}

export type ClientSubscribeCallback = (err: Error | null, granted?: ISubscriptionGrant[], packet?: ISubackPacket) => void
export type PacketCallback = (error?: Error | null, packet?: Packet) => void
export type DoneCallback = (error?: Error) => void
export type OnMessageCallback = (topic: string, payload: Buffer, packet: IPublishPacket) => void
export type OnConnectCallback = (packet: IConnackPacket) => void
export type OnErrorCallback = (error: Error | ErrorWithReasonCode) => void
export type OnPacketCallback = (packet: Packet) => void
export type OnCloseCallback = () => void
export type OnDisconnectCallback = (packet: IDisconnectPacket) => void

/** Options as an object, or (as existing user code does) a JSON string of one. */
type Options<T> = T | string

export interface MqttClientEventCallbacks {
  connect: OnConnectCallback
  message: OnMessageCallback
  packetsend: OnPacketCallback
  packetreceive: OnPacketCallback
  disconnect: OnDisconnectCallback
  error: OnErrorCallback
  close: OnCloseCallback
  end: () => void
  reconnect: () => void
  offline: () => void
  outgoingEmpty: () => void
}

export declare class MqttClient extends EventEmitter {
  static defaultId (): string
  connected: boolean
  disconnecting: boolean
  disconnected: boolean
  reconnecting: boolean
  options: IClientOptions
  queueQoSZero: boolean

  on<K extends keyof MqttClientEventCallbacks> (event: K, listener: MqttClientEventCallbacks[K]): this
  on (event: string | symbol, listener: (...args: any[]) => void): this
  once<K extends keyof MqttClientEventCallbacks> (event: K, listener: MqttClientEventCallbacks[K]): this
  once (event: string | symbol, listener: (...args: any[]) => void): this

  connect (): this

  publish (topic: string, message: string | Buffer | Uint8Array, opts: Options<IClientPublishOptions>, callback?: PacketCallback): this
  publish (topic: string, message: string | Buffer | Uint8Array, callback?: PacketCallback): this
  publishAsync (topic: string, message: string | Buffer | Uint8Array, opts?: Options<IClientPublishOptions>): Promise<Packet | undefined>

  subscribe (topicObject: string | string[] | ISubscriptionMap, opts: Options<IClientSubscribeOptions | IClientSubscribeProperties>, callback?: ClientSubscribeCallback): this
  subscribe (topicObject: string | string[] | ISubscriptionMap, callback?: ClientSubscribeCallback): this
  subscribeAsync (topicObject: string | string[] | ISubscriptionMap, opts?: Options<IClientSubscribeOptions | IClientSubscribeProperties>): Promise<ISubscriptionGrant[]>

  unsubscribe (topic: string | string[], opts?: Options<object>, callback?: PacketCallback): this
  unsubscribe (topic: string | string[], callback?: PacketCallback): this
  unsubscribeAsync (topic: string | string[], opts?: Options<object>): Promise<Packet | undefined>

  end (force?: boolean, opts?: object, cb?: DoneCallback): this
  end (force?: boolean, cb?: DoneCallback): this
  end (cb?: DoneCallback): this
  endAsync (force?: boolean, opts?: object): Promise<void>

  getLastMessageId (): number
}

export { MqttClient as Client }

export declare class ErrorWithReasonCode extends Error {
  code: number
  constructor (message: string, code: number)
}

export declare class ErrorWithSubackPacket extends Error {
  packet?: ISubackPacket
  constructor (message: string, packet?: ISubackPacket)
}

export declare const ReasonCodes: { [code: number]: string }

export declare function validateTopic (topic: string): boolean
export declare function validateTopics (topics: string[]): string | null

export declare function connect (brokerUrl: string, opts?: Options<IClientOptions>): MqttClient
export declare function connect (opts: IClientOptions): MqttClient
export declare function connectAsync (brokerUrl: string, opts?: Options<IClientOptions>, allowRetries?: boolean): Promise<MqttClient>
export declare function connectAsync (opts: IClientOptions): Promise<MqttClient>

declare const mqtt: {
  connect: typeof connect
  connectAsync: typeof connectAsync
  MqttClient: typeof MqttClient
  Client: typeof MqttClient
  ErrorWithReasonCode: typeof ErrorWithReasonCode
  ErrorWithSubackPacket: typeof ErrorWithSubackPacket
  ReasonCodes: typeof ReasonCodes
  validateTopic: typeof validateTopic
  validateTopics: typeof validateTopics
}
export default mqtt
