'use strict'

/**
 * MQTT.js's topic filter check: `+` must fill a whole level, `#` must be the
 * whole last level. (Empty filters and U+0000 are rejected by the engine,
 * which follows the MQTT specification there.)
 */
function validateTopic (topic) {
  const levels = topic.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]
    if (level === '+') continue
    if (level === '#') return i === levels.length - 1
    if (level.includes('+') || level.includes('#')) return false
  }
  return true
}

/** The first invalid topic, `'empty_topic_list'` for none, or null when all are valid. */
function validateTopics (topics) {
  if (topics.length === 0) return 'empty_topic_list'
  for (const topic of topics) {
    if (typeof topic !== 'string' || !validateTopic(topic)) return topic
  }
  return null
}

/**
 * Why `topic` cannot be published to, or null. MQTT.js sends such topics and
 * the broker drops the connection; here the publish fails and nothing is sent.
 */
function topicNameError (topic) {
  // Publishers mostly repeat a topic: remember the last one that passed.
  if (topic === lastValidTopicName) return null
  const error = checkTopicName(topic)
  if (error === null) lastValidTopicName = topic
  return error
}

let lastValidTopicName = null

function checkTopicName (topic) {
  if (topic.length === 0) return 'Invalid topic: a topic name must not be empty [MQTT-4.7.3-1]'
  if (topic.includes('+') || topic.includes('#')) {
    return `Invalid topic ${topic}: wildcards are not allowed in a topic name [MQTT-3.3.2-2]`
  }
  if (topic.includes('\u0000')) return `Invalid topic ${topic}: U+0000 is not allowed [MQTT-4.7.3-2]`
  if (topic.length > 21845 && Buffer.byteLength(topic) > 65535) {
    return 'Invalid topic: longer than 65535 bytes [MQTT-4.7.3-3]'
  }
  return null
}

/**
 * A value as an error message should name it: what the caller gave, with its
 * type where the text alone would mislead (`NaN`, not `null` as
 * JSON.stringify writes it; `"1" (a string)`, not `1`).
 */
function describeValue (value) {
  switch (typeof value) {
    case 'number': return String(value)
    case 'string': return `${JSON.stringify(value)} (a string)`
    case 'bigint': return `${value}n (a bigint)`
    case 'undefined': return 'undefined'
    case 'function': return 'a function'
    case 'symbol': return 'a symbol'
    case 'boolean': return `${value} (a boolean)`
    default:
      if (value === null) return 'null'
      if (Array.isArray(value)) return 'an array'
      if (Buffer.isBuffer(value)) return 'a Buffer'
      return 'an object'
  }
}

module.exports = { validateTopic, validateTopics, topicNameError, describeValue }
