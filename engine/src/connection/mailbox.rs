//! The queues between the JS thread and a client's tasks: commands from JS,
//! and event batches on their way to JS.
//!
//! Why not `tokio::sync::mpsc`: a tokio channel allocates its first block of
//! 32 slots when it is made, 2.3 KB for the command channel alone, and a
//! process with thousands of mostly idle clients pays that for every one of
//! them (heaptrack, 2,000 clients). A mailbox allocates nothing until the
//! first item, takes a batch of items with one lock and at most one wake-up,
//! and hands the receiver everything waiting at once.
//!
//! One receiver; any number of senders. A mailbox with a capacity bounds
//! what waits in it: the sender waits with [`Sender::room`] before sending.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// A buffer that grew past this many items in a burst is let go once drained,
/// so the burst does not stay allocated for the client's life.
const KEEP_CAPACITY: usize = 1024;

pub fn mailbox<T>(capacity: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: Vec::new(),
            senders: 1,
            receiver_alive: true,
        }),
        capacity,
        arrived: Notify::new(),
        taken: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver {
            shared,
            taken: VecDeque::new(),
        },
    )
}

struct Shared<T> {
    state: Mutex<State<T>>,
    capacity: Option<usize>,
    /// Wakes the receiver: items arrived, or the last sender went away.
    arrived: Notify,
    /// Wakes a sender waiting for room: the receiver took what was waiting, or went away.
    taken: Notify,
}

struct State<T> {
    items: Vec<T>,
    senders: usize,
    receiver_alive: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while holding the lock, but a poisoned queue is still a
        // consistent Vec: keep going rather than turn one panic into many.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The receiver is gone: nothing sent now would ever be read.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed;

pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Queues one item; never waits (a bounded mailbox's sender checks
    /// [`Sender::room`] first).
    pub fn send(&self, item: T) -> Result<(), Closed> {
        self.send_all(std::iter::once(item))
    }

    /// Queues items in order, with one lock and one wake-up for all of them.
    pub fn send_all(&self, items: impl IntoIterator<Item = T>) -> Result<(), Closed> {
        {
            let mut state = self.shared.lock();
            if !state.receiver_alive {
                return Err(Closed);
            }
            state.items.extend(items);
        }
        self.shared.arrived.notify_one();
        Ok(())
    }

    /// Waits until the mailbox has room for one more item (at once for an
    /// unbounded one). Cancel-safe: it reserves nothing.
    pub async fn room(&self) -> Result<(), Closed> {
        loop {
            let taken = self.shared.taken.notified();
            {
                let state = self.shared.lock();
                if !state.receiver_alive {
                    return Err(Closed);
                }
                let full = self
                    .shared
                    .capacity
                    .is_some_and(|capacity| state.items.len() >= capacity);
                if !full {
                    return Ok(());
                }
            }
            // A `notify_one` between the check and here leaves a permit, so
            // this wakes up rather than missing it.
            taken.await;
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let last = {
            let mut state = self.shared.lock();
            state.senders -= 1;
            state.senders == 0
        };
        if last {
            self.shared.arrived.notify_one();
        }
    }
}

pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Items taken from the mailbox, not yet handed out.
    taken: VecDeque<T>,
}

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum TryRecvError {
    Empty,
    /// Every sender is gone and nothing is left.
    Closed,
}

impl<T> Receiver<T> {
    /// The next item; `None` once every sender is gone and all was read.
    /// Cancel-safe: an item is never lost with a dropped future.
    pub async fn recv(&mut self) -> Option<T> {
        let shared = self.shared.clone();
        loop {
            let arrived = shared.arrived.notified();
            match self.try_recv() {
                Ok(item) => return Some(item),
                Err(TryRecvError::Closed) => return None,
                // A send between the check and here leaves a permit (see `room`).
                Err(TryRecvError::Empty) => arrived.await,
            }
        }
    }

    /// The next item if one is waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(item) = self.taken.pop_front() {
            return Ok(item);
        }
        // The emptied buffer goes back for the senders to fill (no allocation
        // per batch), unless a burst made it large.
        let mut buffer = Vec::from(std::mem::take(&mut self.taken));
        if buffer.capacity() > KEEP_CAPACITY {
            buffer = Vec::new();
        }
        let senders_left = {
            let mut state = self.shared.lock();
            std::mem::swap(&mut state.items, &mut buffer);
            state.senders
        };
        self.taken = VecDeque::from(buffer);
        match self.taken.pop_front() {
            Some(item) => {
                self.shared.taken.notify_one();
                Ok(item)
            }
            None if senders_left == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.lock().receiver_alive = false;
        self.shared.taken.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn items_arrive_in_order_across_batches() {
        let (tx, mut rx) = mailbox(None);
        tx.send(1).unwrap();
        tx.send_all([2, 3, 4]).unwrap();
        assert_eq!(rx.recv().await, Some(1));
        tx.send(5).unwrap();
        let mut got = Vec::new();
        while let Ok(item) = rx.try_recv() {
            got.push(item);
        }
        assert_eq!(got, [2, 3, 4, 5]);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    #[tokio::test]
    async fn recv_wakes_for_a_send_from_another_thread() {
        let (tx, mut rx) = mailbox(None);
        let sender = std::thread::spawn(move || {
            for i in 0..10_000u32 {
                tx.send(i).unwrap();
            }
        });
        for expected in 0..10_000u32 {
            let got = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
            assert_eq!(got, Ok(Some(expected)));
        }
        sender.join().unwrap();
        assert_eq!(rx.recv().await, None, "closed once the sender is gone");
    }

    #[tokio::test]
    async fn closed_only_after_the_last_sender_and_the_last_item() {
        let (tx, mut rx) = mailbox(None);
        let second = tx.clone();
        tx.send(1).unwrap();
        drop(tx);
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        second.send(2).unwrap();
        drop(second);
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, None);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    #[tokio::test]
    async fn sending_to_a_dropped_receiver_fails() {
        let (tx, rx) = mailbox::<u8>(Some(1));
        drop(rx);
        assert_eq!(tx.send(1), Err(Closed));
        assert_eq!(tx.room().await, Err(Closed));
    }

    #[tokio::test]
    async fn room_waits_while_a_bounded_mailbox_is_full() {
        let (tx, mut rx) = mailbox(Some(2));
        tx.send(1).unwrap();
        tx.room().await.unwrap();
        tx.send(2).unwrap();
        let full = tokio::time::timeout(Duration::from_millis(50), tx.room()).await;
        assert!(full.is_err(), "no room while two items wait");
        let waiter = tokio::spawn(async move {
            tx.room().await.unwrap();
            tx.send(3).unwrap();
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(rx.recv().await, Some(1));
        tokio::time::timeout(Duration::from_secs(10), waiter)
            .await
            .expect("taking the items makes room")
            .unwrap();
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_burst_does_not_keep_its_buffer() {
        let (tx, mut rx) = mailbox(None);
        tx.send_all(0..100_000u32).unwrap();
        assert_eq!(rx.recv().await, Some(0));
        while rx.try_recv().is_ok() {}
        tx.send(1).unwrap();
        assert_eq!(rx.recv().await, Some(1));
        assert!(rx.taken.capacity() <= KEEP_CAPACITY * 2);
    }
}
