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

/**
 * The call's options as MQTT.js applies them to each topic: `qos` (default 0)
 * and, with MQTT 5, `nl`, `rap`, `rh` (defaults false, false, 0) and the
 * SUBSCRIBE's `properties`.
 */
function subscribeDefaults (opts, v5) {
  if (!v5) return { v5, qos: opts.qos === undefined ? 0 : opts.qos }
  return {
    v5,
    qos: opts.qos === undefined ? 0 : opts.qos,
    nl: opts.nl === undefined ? false : opts.nl,
    rap: opts.rap === undefined ? false : opts.rap,
    rh: opts.rh === undefined ? 0 : opts.rh,
    properties: opts.properties
  }
}

/**
 * The options a topic is subscribed with: its own entry of a topic map
 * (`{ qos, nl, rap, rh }`, MQTT.js takes nothing else from it; napi: a bare
 * number is its QoS), else the call's.
 */
function optionsFor (entry, defaults) {
  if (typeof entry === 'number') return { ...defaults, qos: entry }
  // (An entry without `qos` takes the call's, as before MQTT 5.)
  if (entry !== null && typeof entry === 'object') return entry.qos === undefined ? { ...entry, qos: defaults.qos } : entry
  return defaults
}

/**
 * The subscriptions to send, as the objects the callback later reports (with
 * the granted QoS or reason code filled in): `{ topic, qos }`, and with MQTT 5
 * `nl`, `rap`, `rh` and the call's `properties`, as MQTT.js builds them.
 * `known` maps topics already subscribed to their QoS (null: none yet).
 */
function subscriptionsToSend ({ topics, optionsOf, force }, defaults, known) {
  const subs = []
  for (const topic of topics) {
    const options = optionsFor(optionsOf(topic), defaults)
    const qos = options.qos
    const previous = known === null ? undefined : known[topic]
    if (!(force || previous === undefined || previous.qos < qos)) continue
    if (defaults.v5) subs.push({ topic, qos, nl: options.nl, rap: options.rap, rh: options.rh, properties: defaults.properties })
    else subs.push({ topic, qos })
  }
  return subs
}

/** A subscription as the addon takes it (`nl`/`rap`/`rh` unused with MQTT 3.1/3.1.1). */
function nativeFilter (sub) {
  return { topic: sub.topic, qos: Number(sub.qos), nl: !!sub.nl, rap: !!sub.rap, rh: sub.rh === undefined ? 0 : Number(sub.rh) }
}

module.exports = { readTopicObject, subscribeDefaults, subscriptionsToSend, nativeFilter }
