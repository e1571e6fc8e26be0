'use strict'

// subscribe() argument handling as MQTT.js does it: the accepted topic
// shapes, per-topic options, skipping topics already subscribed at an equal
// or higher QoS. (Splitting a call into SUBSCRIBE packets of
// `subscribeBatchSize` is the engine's: engine/src/session/subscribe_calls.rs.)

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

module.exports = { readTopicObject, subscriptionsToSend }
