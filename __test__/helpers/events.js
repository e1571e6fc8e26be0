'use strict'
// Small helpers to wait for events with generous ceilings (machines are noisy).

const DEFAULT_TIMEOUT = 10000

function delay (ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// Resolve with the arguments array of the next `event` on `emitter` (optionally the
// next one that satisfies `filter(...args)`); reject after `timeout` ms.
function once (emitter, event, { timeout = DEFAULT_TIMEOUT, filter } = {}) {
  return new Promise((resolve, reject) => {
    const onEvent = (...args) => {
      if (filter && !filter(...args)) return
      clearTimeout(timer)
      emitter.removeListener(event, onEvent)
      resolve(args)
    }
    const timer = setTimeout(() => {
      emitter.removeListener(event, onEvent)
      reject(new Error(`timed out after ${timeout} ms waiting for '${event}'`))
    }, timeout)
    emitter.on(event, onEvent)
  })
}

// Resolve once `predicate()` is truthy (polled); reject after `timeout`.
async function waitUntil (predicate, { timeout = DEFAULT_TIMEOUT, interval = 10, label = 'condition' } = {}) {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await predicate()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${label}`)
    await delay(interval)
  }
}

function withTimeout (promise, ms = DEFAULT_TIMEOUT, label = 'operation') {
  let timer
  return Promise.race([
    promise,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms)
    })
  ]).finally(() => clearTimeout(timer))
}

// Record every emission of `names` on `emitter`, in order, with a timestamp.
function record (emitter, names) {
  const events = []
  const waiters = []
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]
      const count = events.filter((e) => e.name === w.name).length
      if (count >= w.count) {
        waiters.splice(i, 1)
        clearTimeout(w.timer)
        w.resolve(events.filter((e) => e.name === w.name)[w.count - 1])
      }
    }
  }
  for (const name of names) {
    emitter.on(name, (...args) => {
      events.push({ name, args, t: Date.now() })
      check()
    })
  }
  return {
    events,
    names: () => events.map((e) => e.name),
    count: (name) => events.filter((e) => e.name === name).length,
    of: (name) => events.filter((e) => e.name === name),
    // resolve with the `count`-th occurrence of `name` (1-based), already recorded or future
    waitFor (name, count = 1, timeout = DEFAULT_TIMEOUT) {
      return new Promise((resolve, reject) => {
        const w = { name, count, resolve }
        w.timer = setTimeout(() => {
          const i = waiters.indexOf(w)
          if (i >= 0) waiters.splice(i, 1)
          reject(new Error(`timed out after ${timeout} ms waiting for '${name}' #${count}; saw [${events.map((e) => e.name).join(', ')}]`))
        }, timeout)
        waiters.push(w)
        check()
      })
    }
  }
}

module.exports = { once, waitUntil, withTimeout, record, delay, DEFAULT_TIMEOUT }
