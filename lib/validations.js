'use strict'

const native = require('./native-loader')

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
 * The rule is the engine's (one native call), checked here because the
 * publish must fail before it is queued.
 */
function topicNameError (topic) {
  // Publishers mostly repeat a topic: remember the last one that passed.
  if (topic === lastValidTopicName) return null
  const error = native.topicNameError(topic)
  if (error === null || error === undefined) {
    lastValidTopicName = topic
    return null
  }
  return error
}

let lastValidTopicName = null

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
