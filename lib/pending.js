'use strict'

// Callbacks waiting for the engine, each under the token its command carried.
// Tokens count up in call order. Token 0 is never registered: it tells the
// engine nobody waits.
//
// QoS 0 publishes wait apart from the rest, in call order: the engine reports
// them in runs ("written through token N", see QoS0Queue), and they need
// nothing but their callback, so no object is made per publish (50,000
// offline publishes with callbacks kept ~12 MiB of RSS in entry objects).
// Readers get the usual `{ kind, callback, qos }` shape.

/** Marks a QoS 0 publish that is waited for without a callback (its size may be refused). */
const NO_CALLBACK = Symbol('no callback')
/** Marks a QoS 0 publish whose callback has run already (see `registerQoS0Publish`): it needs no report. */
const CALLED = Symbol('called back')
/** Marks a QoS 0 publish completed out of turn (it failed). */
const DONE = null
/** Completed slots at the front kept before the arrays are compacted. */
const COMPACT_AFTER = 1024

function callbackOf (stored) {
  return stored === NO_CALLBACK || stored === CALLED ? undefined : stored
}

function qos0Entry (stored) {
  return { kind: 'publish', callback: callbackOf(stored), qos: 0 }
}

/**
 * The QoS 0 publishes not yet known written, oldest first, in parallel arrays
 * (token, callback, bytes) from index `_head` on; tokens grow, so one is found
 * by binary search. Counts the bytes they hold. Those whose callback has run
 * go with the engine's next report, or when `dropWrittenThrough` finds them
 * written.
 */
class QoS0Queue {
  constructor () {
    this._tokens = []
    this._callbacks = []
    this._bytes = []
    this._head = 0
    this.unwrittenBytes = 0
    /** How many of them have a callback still to run. */
    this.callbacksWaiting = 0
    /** How many of them wait for the engine's report (all but those called back). */
    this.awaitingReport = 0
  }

  push (token, stored, bytes) {
    this._tokens.push(token)
    this._callbacks.push(stored)
    this._bytes.push(bytes)
    this.unwrittenBytes += bytes
    if (stored !== CALLED) this.awaitingReport++
    if (typeof stored === 'function') this.callbacksWaiting++
  }

  _indexOf (token) {
    let lo = this._head
    let hi = this._tokens.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const at = this._tokens[mid]
      if (at === token) return this._callbacks[mid] === DONE ? -1 : mid
      if (at < token) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  /** What waits under `token` (a callback, NO_CALLBACK or CALLED), or undefined. */
  get (token) {
    const i = this._indexOf(token)
    return i < 0 ? undefined : this._callbacks[i]
  }

  /** Removes and returns what waits under `token` (undefined if nothing does). */
  take (token) {
    const i = this._indexOf(token)
    if (i < 0) return undefined
    const stored = this._callbacks[i]
    this._complete(i)
    this._dropCompleted()
    return stored
  }

  /**
   * Removes every publish up to `token` and calls `visit(token, stored)` for
   * each, oldest first, once all are removed (a callback may publish or end
   * the client meanwhile). Until its visit, a callback still counts as
   * waiting: a publish made by an earlier one must not call back first.
   */
  takeThrough (token, visit) {
    const run = []
    while (this._head < this._tokens.length && this._tokens[this._head] <= token) {
      const i = this._head++
      const stored = this._callbacks[i]
      if (stored === DONE) continue
      this._callbacks[i] = DONE
      this.unwrittenBytes -= this._bytes[i]
      if (stored !== CALLED) this.awaitingReport--
      run.push(this._tokens[i], stored)
    }
    this._dropCompleted()
    for (let i = 0; i < run.length; i += 2) {
      if (typeof run[i + 1] === 'function') this.callbacksWaiting--
      visit(run[i], run[i + 1])
    }
  }

  /**
   * Removes the publishes at the front, up to `token`, whose callbacks have
   * run: the engine has written them (its mark), so they hold no room any
   * more. Stops at the first that waits for a report. Returns whether any went.
   */
  dropWrittenThrough (token) {
    const head = this._head
    while (this._head < this._tokens.length && this._tokens[this._head] <= token) {
      const i = this._head
      if (this._callbacks[i] === CALLED) {
        this._callbacks[i] = DONE
        this.unwrittenBytes -= this._bytes[i]
      } else if (this._callbacks[i] !== DONE) {
        break
      }
      this._head++
    }
    if (this._head === head) return false
    this._dropCompleted()
    return true
  }

  /** Every token whose publish still waits for the engine, oldest first. */
  tokens () {
    const out = []
    for (let i = this._head; i < this._tokens.length; i++) {
      const stored = this._callbacks[i]
      if (stored !== DONE && stored !== CALLED) out.push(this._tokens[i])
    }
    return out
  }

  _complete (i) {
    if (this._callbacks[i] !== CALLED) this.awaitingReport--
    if (typeof this._callbacks[i] === 'function') this.callbacksWaiting--
    this._callbacks[i] = DONE
    this.unwrittenBytes -= this._bytes[i]
  }

  _dropCompleted () {
    while (this._head < this._tokens.length && this._callbacks[this._head] === DONE) this._head++
    if (this._head === this._tokens.length) {
      this._tokens = []
      this._callbacks = []
      this._bytes = []
      this._head = 0
    } else if (this._head > COMPACT_AFTER && this._head * 2 > this._tokens.length) {
      this._tokens = this._tokens.slice(this._head)
      this._callbacks = this._callbacks.slice(this._head)
      this._bytes = this._bytes.slice(this._head)
      this._head = 0
    }
  }
}

class PendingCallbacks {
  constructor () {
    // Created with the first entry: a client that only listens never needs them.
    this._entries = null
    this._qos0 = null
    this._nextToken = 1
  }

  register (entry) {
    const token = this._nextToken++
    if (this._entries === null) this._entries = new Map()
    this._entries.set(token, entry)
    return token
  }

  /**
   * A QoS 0 publish of `bytes` waits until the engine has written it: its
   * callback (if any), or, with `calledBack`, only its bytes (the caller ran
   * the callback already, as MQTT.js does while the socket takes its writes).
   */
  registerQoS0Publish (callback, bytes, calledBack = false) {
    const token = this._nextToken++
    if (this._qos0 === null) this._qos0 = new QoS0Queue()
    this._qos0.push(token, calledBack ? CALLED : callback || NO_CALLBACK, bytes)
    return token
  }

  /** Whether an earlier QoS 0 callback still waits: a later one waits its turn (call order). */
  hasQoS0CallbacksWaiting () {
    return this._qos0 !== null && this._qos0.callbacksWaiting > 0
  }

  /** Whether a QoS 0 publish of `bytes` keeps what the engine has not reported written under `highWaterMark`. */
  qos0Fits (bytes, highWaterMark) {
    return (this._qos0 === null ? 0 : this._qos0.unwrittenBytes) + bytes < highWaterMark
  }

  /** Whether a QoS 0 publish waits for the engine to report it written (or refused). */
  qos0AwaitsReport () {
    return this._qos0 !== null && this._qos0.awaitingReport > 0
  }

  /**
   * The engine's mark says every QoS 0 publish up to `token` is written:
   * the ones whose callbacks ran stop counting against the room. Returns
   * whether any did.
   */
  dropWrittenQoS0 (token) {
    return this._qos0 !== null && this._qos0.dropWrittenThrough(token)
  }

  get (token) {
    const entry = this._entries === null ? undefined : this._entries.get(token)
    if (entry !== undefined || this._qos0 === null) return entry
    const stored = this._qos0.get(token)
    return stored === undefined ? undefined : qos0Entry(stored)
  }

  /** Removes and returns the entry (undefined if it was already completed). */
  take (token) {
    const entry = this._entries === null ? undefined : this._entries.get(token)
    if (entry !== undefined) {
      this._entries.delete(token)
      return entry
    }
    const stored = this._qos0 === null ? undefined : this._qos0.take(token)
    return stored === undefined ? undefined : qos0Entry(stored)
  }

  /**
   * Removes the QoS 0 publishes up to `token`, oldest first, calling
   * `visit(token, callback)` for each (callback undefined when there is none
   * left to run).
   */
  takeQoS0Through (token, visit) {
    if (this._qos0 === null) return
    this._qos0.takeThrough(token, (t, stored) => visit(t, callbackOf(stored)))
  }

  /** True when something MQTT.js would count as `outgoing` waits: QoS 1/2 publishes, (un)subscribes. */
  hasOutgoing () {
    return this._entries !== null && this._entries.size > 0
  }

  /** The tokens of every publish whose callback still waits. */
  publishTokens () {
    const tokens = new Set(this._qos0 === null ? [] : this._qos0.tokens())
    if (this._entries !== null) {
      for (const [token, entry] of this._entries) if (entry.kind === 'publish') tokens.add(token)
    }
    return tokens
  }

  /** Takes every entry, oldest first. */
  takeAll () {
    const waiting = []
    if (this._entries !== null) {
      for (const [token, entry] of this._entries) waiting.push([token, entry])
      this._entries.clear()
    }
    if (this._qos0 !== null) {
      this._qos0.takeThrough(Infinity, (token, stored) => waiting.push([token, qos0Entry(stored)]))
    }
    return waiting.sort((a, b) => a[0] - b[0]).map(([, entry]) => entry)
  }
}

module.exports = { PendingCallbacks }
