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
  validateTopics,
  MQTTJS_VERSION
} = mqtt

export default mqtt
