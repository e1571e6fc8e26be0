// ESM entry: the same module, with named exports and a default export.
import mqtt from './index.js'

export const {
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
  validateTopics
} = mqtt

export default mqtt
