'use strict'

// subscribe() argument handling as MQTT.js does it: the accepted topic
// shapes, per-topic options, skipping topics already subscribed at an equal
// or higher QoS, and splitting into SUBSCRIBE packets of `subscribeBatchSize`.

/**
 * Normalises `topicObject` (string, array, or `{ topic: { qos } }` map with an
 * optional `resubscribe` flag) into `{ topics, optionsOf, force }`.
 */
function readTopicObject (topicObject) {
  if (typeof topicObject === 'string') return { topics: [topicObject], optionsOf: () => null, force: false }
  if (Array.isArray(topicObject)) return { topics: topicObject, optionsOf: () => null, force: false }
  if (topicObject !== null && typeof topicObject === 'object') {
    const { resubscribe, ...map } = topicObject
    return { topics: Object.keys(map), optionsOf: (topic) => map[topic], force: !!resubscribe }
  }
  throw new TypeError(`Invalid topic: expected a string, an array or an object, got ${typeof topicObject}`)
}

/** The QoS asked for a topic: its own entry (`{ qos }`, or a bare number), else the call's. */
function requestedQos (entry, defaultQos) {
  if (typeof entry === 'number') return entry
  if (entry !== null && typeof entry === 'object' && entry.qos !== undefined) return entry.qos
  return defaultQos
}

/**
 * The subscriptions to send, as `{ topic, qos }` objects (the objects the
 * callback later reports, with the granted QoS filled in). `known` maps
 * topics already subscribed to their QoS (null: none yet).
 */
function subscriptionsToSend ({ topics, optionsOf, force }, defaultQos, known) {
  const subs = []
  for (const topic of topics) {
    const qos = requestedQos(optionsOf(topic), defaultQos)
    const previous = known === null ? undefined : known[topic]
    if (force || previous === undefined || previous.qos < qos) subs.push({ topic, qos })
  }
  return subs
}

/**
 * A subscribe() as MQTT.js splits it: one SUBSCRIBE (one callback to join) per
 * `size` topics. The engine splits its own resubscribes after a reconnect by
 * the same option (`subscribe_batch_size`); moving this split into the engine
 * too needs per-packet completions with their place in the call (follow-up).
 */
function chunk (subs, size) {
  const batchSize = size || subs.length
  const chunks = []
  for (let i = 0; i < subs.length; i += batchSize) chunks.push(subs.slice(i, i + batchSize))
  return chunks
}

module.exports = { readTopicObject, subscriptionsToSend, chunk }
