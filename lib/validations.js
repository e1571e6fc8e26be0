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

module.exports = { validateTopic, validateTopics }
