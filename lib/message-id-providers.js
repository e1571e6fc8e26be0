'use strict'

// MQTT.js's packet id providers, exported for API compatibility. The client
// does not use them: the engine allocates packet ids and never hands out one
// still in flight (a `messageIdProvider` option gets a warning).

const MAX_ID = 65535

/** Counts up from a random start, wrapping 65535 -> 1; may reuse an id in flight. */
class DefaultMessageIdProvider {
  constructor () {
    this.nextId = Math.max(1, Math.floor(Math.random() * MAX_ID))
  }

  allocate () {
    const id = this.nextId
    this.nextId = id === MAX_ID ? 1 : id + 1
    return id
  }

  getLastAllocated () {
    return this.nextId === 1 ? MAX_ID : this.nextId - 1
  }

  register (messageId) {
    return true
  }

  deallocate (messageId) {}

  clear () {}
}

/**
 * Hands out the lowest free id; null when all 65,535 are in use.
 *
 * Ids never handed out are counted up from 1 (`_fresh`); freed ones below
 * that go into a min-heap. Allocation, deallocation and registration are
 * O(log n): a search from 1 on every call took a minute for 65,535 ids.
 */
class UniqueMessageIdProvider {
  constructor () {
    this.lastId = undefined
    this.clear()
  }

  allocate () {
    const id = this._lowestFree()
    // As MQTT.js: a failed allocation makes getLastAllocated() null too.
    this.lastId = id
    if (id !== null) this._inUse.add(id)
    return id
  }

  getLastAllocated () {
    return this.lastId
  }

  /** Marks `messageId` used; false when it already was (or is not an id). */
  register (messageId) {
    if (!Number.isInteger(messageId) || messageId < 1 || messageId > MAX_ID) return false
    if (this._inUse.has(messageId)) return false
    this._inUse.add(messageId)
    return true
  }

  deallocate (messageId) {
    if (!this._inUse.delete(messageId)) return
    // Ids from `_fresh` up are free by definition; a lower one is remembered.
    if (messageId < this._fresh && !this._inHeap.has(messageId)) {
      this._inHeap.add(messageId)
      this._heap.push(messageId)
    }
  }

  clear () {
    this._inUse = new Set()
    this._fresh = 1
    this._heap = new MinHeap()
    this._inHeap = new Set()
  }

  _lowestFree () {
    // Heap entries may have been registered since they were freed: drop those.
    while (this._heap.size > 0 && this._inUse.has(this._heap.peek())) this._inHeap.delete(this._heap.pop())
    if (this._heap.size > 0) {
      const id = this._heap.pop()
      this._inHeap.delete(id)
      return id
    }
    // Skips ids registered before the counter reached them (each one once).
    while (this._fresh <= MAX_ID && this._inUse.has(this._fresh)) this._fresh++
    if (this._fresh > MAX_ID) return null
    return this._fresh++
  }
}

/** A binary min-heap of numbers. */
class MinHeap {
  constructor () {
    this._items = []
  }

  get size () {
    return this._items.length
  }

  peek () {
    return this._items[0]
  }

  push (value) {
    const items = this._items
    let i = items.push(value) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent] <= value) break
      items[i] = items[parent]
      i = parent
    }
    items[i] = value
  }

  pop () {
    const items = this._items
    const top = items[0]
    const last = items.pop()
    if (items.length === 0) return top
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= items.length) break
      const right = left + 1
      const child = right < items.length && items[right] < items[left] ? right : left
      if (items[child] >= last) break
      items[i] = items[child]
      i = child
    }
    items[i] = last
    return top
  }
}

module.exports = { DefaultMessageIdProvider, UniqueMessageIdProvider }
