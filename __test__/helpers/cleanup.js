'use strict'
// Tracks every client and broker a test opens, and closes them all in afterEach
// (registered by each test file: `afterEach(cleanupAll)`). Jest must exit by itself
// without --forceExit, so nothing may be left open.
const { withTimeout } = require('./events')

const resources = []

function track (resource) {
  resources.push(resource)
  return resource
}

function endClient (client) {
  return new Promise((resolve) => {
    try {
      client.end(true, () => resolve())
    } catch (err) {
      resolve()
    }
  })
}

async function closeOne (res) {
  if (res && typeof res.end === 'function' && typeof res.publish === 'function') {
    await withTimeout(endClient(res), 5000, 'client.end(true)').catch(() => {})
  } else if (res && typeof res.close === 'function') {
    await withTimeout(Promise.resolve(res.close()), 10000, 'close').catch(() => {})
  }
}

// Clients first (newest first), then brokers/servers.
async function cleanupAll () {
  const list = resources.splice(0).reverse()
  const clients = list.filter((r) => typeof r.publish === 'function' && typeof r.end === 'function')
  const others = list.filter((r) => !clients.includes(r))
  await Promise.all(clients.map(closeOne))
  for (const r of others) await closeOne(r)
}

module.exports = { track, cleanupAll, endClient }
