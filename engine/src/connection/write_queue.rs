//! Bytes on their way to the socket. Packets are encoded into one buffer,
//! except large PUBLISH payloads: those are queued by reference and go out
//! with a vectored write, instead of being copied into the buffer first
//! (at 1 MiB per message that copy, and the page faults of the buffer growing
//! to hold it, were a large part of the engine thread's time).

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::pin::Pin;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWrite;

use crate::codec::{self, EncodeError, Packet, ProtocolVersion};
use crate::session::Token;

/// Payloads from this size are written from where they are, not copied. Not
/// the addon's N-API threshold (`PAYLOAD_BY_REFERENCE_BYTES`, 64 KiB): here
/// what a payload not copied costs is one more slice in a vectored write.
pub const DETACH_PAYLOAD_BYTES: usize = 16 * 1024;
/// Slices handed to one vectored write.
const MAX_SLICES: usize = 64;
/// Room the encode buffer keeps once everything has been written. A backlog
/// grows it to a few MiB (a `BytesMut` never shrinks by itself); that goes back
/// when the backlog is gone, and a small one is kept for the steady state.
const RETAINED_TAIL_CAPACITY: usize = 256 * 1024;

#[derive(Default)]
pub struct WriteQueue {
    /// What goes out first, in order: encoded bytes cut off `tail`, and the
    /// detached payloads that follow them.
    segments: VecDeque<Bytes>,
    segment_bytes: usize,
    /// Where packets are encoded; goes out after every segment.
    tail: BytesMut,
    /// Bytes written over the queue's life.
    written: u64,
    /// QoS 0 publishes waiting to be written: (the byte count `written`
    /// reaches once the last of them is, the newest token among them). One
    /// entry per `mark_qos0`, not per publish.
    qos0_marks: VecDeque<(u64, Token)>,
    /// Every QoS 0 publish up to this token has been written.
    qos0_written_through: Token,
    /// Where the newest mark ends, in `written` terms.
    marked_end: u64,
}

impl WriteQueue {
    pub fn len(&self) -> usize {
        self.segment_bytes + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues `packet`'s bytes; on error nothing is queued.
    pub fn encode(&mut self, packet: &Packet, version: ProtocolVersion) -> Result<(), EncodeError> {
        let payload =
            codec::encode_detached(packet, version, &mut self.tail, DETACH_PAYLOAD_BYTES)?;
        if let Some(payload) = payload {
            let head = self.tail.split().freeze();
            self.segment_bytes += head.len() + payload.len();
            self.segments.push_back(head);
            self.segments.push_back(payload);
        }
        Ok(())
    }

    /// One vectored write of what is queued; resolves to the bytes written
    /// (call `advance` with them). The slices live only while the write is
    /// polled: kept in the future, 64 of them made every client task 1 KB larger.
    pub async fn write_to(&self, writer: &mut (impl AsyncWrite + Unpin)) -> io::Result<usize> {
        poll_fn(|cx| {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let count = self.slices(&mut slices);
            Pin::new(&mut *writer).poll_write_vectored(cx, &slices[..count])
        })
        .await
    }

    /// Fills `slices` with the queued bytes, in order; returns how many it used.
    fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>; MAX_SLICES]) -> usize {
        let parts = self
            .segments
            .iter()
            .map(|segment| &segment[..])
            .chain(std::iter::once(&self.tail[..]))
            .filter(|part| !part.is_empty());
        let mut used = 0;
        for (slot, part) in slices.iter_mut().zip(parts) {
            *slot = IoSlice::new(part);
            used += 1;
        }
        used
    }

    /// Every QoS 0 publish up to `token` is queued now: it is written once
    /// what is queued so far is.
    pub fn mark_qos0(&mut self, token: Token) {
        let newest = self
            .qos0_marks
            .back()
            .map_or(self.qos0_written_through, |&(_, newest)| newest);
        if token > newest {
            self.marked_end = self.written + self.len() as u64;
            self.qos0_marks.push_back((self.marked_end, token));
        }
    }

    /// Bytes queued after the newest mark.
    pub fn unmarked_len(&self) -> usize {
        (self.written + self.len() as u64).saturating_sub(self.marked_end) as usize
    }

    /// Every QoS 0 publish up to this token has been written (0: none yet).
    pub fn qos0_written_through(&self) -> Token {
        self.qos0_written_through
    }

    /// Drops the first `written` bytes (they reached the socket).
    pub fn advance(&mut self, written: usize) {
        self.written += written as u64;
        while let Some(&(end, token)) = self.qos0_marks.front() {
            if end > self.written {
                break;
            }
            self.qos0_written_through = token;
            self.qos0_marks.pop_front();
        }
        self.drop_written(written);
    }

    fn drop_written(&mut self, mut written: usize) {
        while written > 0 {
            let Some(front) = self.segments.front_mut() else {
                self.tail.advance(written);
                // Empty, and its allocation could hold more than we keep (`capacity()`
                // only counts the room after what was written: `try_reclaim` sees it all).
                if self.tail.is_empty() && self.tail.try_reclaim(RETAINED_TAIL_CAPACITY + 1) {
                    self.tail = BytesMut::new();
                }
                return;
            };
            let step = written.min(front.len());
            front.advance(step);
            self.segment_bytes -= step;
            written -= step;
            if front.is_empty() {
                self.segments.pop_front();
            }
        }
    }

    /// Forgets what was not written (the connection is closing).
    pub fn clear(&mut self) {
        self.segments.clear();
        self.segment_bytes = 0;
        self.tail.clear();
        self.qos0_marks.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{PacketProperties, Publish, PublishAck, QoS};

    const V4: ProtocolVersion = ProtocolVersion::V311;

    fn publish(payload_len: usize, id: u16) -> Packet {
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "a/b".into(),
            packet_id: Some(id),
            payload: Bytes::from(vec![id as u8; payload_len]),
            properties: PacketProperties::NONE,
        })
    }

    fn expected_wire(packets: &[Packet]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for packet in packets {
            codec::encode(packet, V4, &mut out).unwrap();
        }
        out.to_vec()
    }

    /// Drains the queue the way a socket that takes `per_write` bytes at a time would.
    fn drain(queue: &mut WriteQueue, per_write: usize) -> Vec<u8> {
        let mut wire = Vec::new();
        while !queue.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let used = queue.slices(&mut slices);
            assert!(used > 0, "a non-empty queue has something to write");
            let mut taken = 0;
            for slice in &slices[..used] {
                let n = slice.len().min(per_write - taken);
                wire.extend_from_slice(&slice[..n]);
                taken += n;
                if taken == per_write {
                    break;
                }
            }
            queue.advance(taken);
        }
        wire
    }

    #[test]
    fn mixed_small_and_large_packets_reach_the_wire_in_order_whatever_the_write_sizes() {
        let packets = [
            Packet::PingReq,
            publish(10, 1),
            publish(DETACH_PAYLOAD_BYTES, 2),
            publish(3, 3),
            publish(100_000, 4),
            publish(DETACH_PAYLOAD_BYTES * 2, 5),
            Packet::PubAck(PublishAck::new(9)),
        ];
        let expected = expected_wire(&packets);
        for per_write in [1, 7, 4096, 65_536, usize::MAX / 2] {
            let mut queue = WriteQueue::default();
            for packet in &packets {
                queue.encode(packet, V4).unwrap();
            }
            assert_eq!(queue.len(), expected.len());
            assert_eq!(
                drain(&mut queue, per_write),
                expected,
                "{per_write} per write"
            );
            assert!(queue.is_empty());
        }
    }

    #[test]
    fn more_segments_than_slices_go_out_over_several_writes() {
        let packets: Vec<Packet> = (1..=100)
            .map(|id| publish(DETACH_PAYLOAD_BYTES, id))
            .collect();
        let mut queue = WriteQueue::default();
        for packet in &packets {
            queue.encode(packet, V4).unwrap();
        }
        assert_eq!(drain(&mut queue, usize::MAX / 2), expected_wire(&packets));
    }

    #[test]
    fn a_backlog_written_out_gives_its_buffer_back() {
        let packets: Vec<Packet> = (1..=1000).map(|id| publish(1024, id)).collect();
        let mut queue = WriteQueue::default();
        for packet in &packets {
            queue.encode(packet, V4).unwrap();
        }
        assert!(queue.tail.capacity() > RETAINED_TAIL_CAPACITY);
        assert_eq!(drain(&mut queue, 65_536), expected_wire(&packets));
        assert!(
            !queue.tail.try_reclaim(RETAINED_TAIL_CAPACITY + 1),
            "the burst-sized buffer is gone"
        );
        // and it still works afterwards
        queue.encode(&Packet::PingReq, V4).unwrap();
        assert_eq!(drain(&mut queue, 1), expected_wire(&[Packet::PingReq]));
    }

    #[test]
    fn qos0_publishes_count_as_written_once_every_byte_before_their_mark_is() {
        let mut queue = WriteQueue::default();
        queue.encode(&publish(10, 1), V4).unwrap();
        queue.mark_qos0(5);
        let first = queue.len();
        queue.encode(&publish(DETACH_PAYLOAD_BYTES, 2), V4).unwrap();
        queue.mark_qos0(5); // nothing newer: no second mark
        queue.mark_qos0(8);
        assert_eq!(queue.qos0_marks.len(), 2);
        queue.advance(first - 1);
        assert_eq!(
            queue.qos0_written_through(),
            0,
            "one byte of the first is left"
        );
        queue.advance(1);
        assert_eq!(queue.qos0_written_through(), 5);
        let rest = queue.len();
        queue.advance(rest - 1);
        assert_eq!(queue.qos0_written_through(), 5);
        queue.advance(1);
        assert_eq!(queue.qos0_written_through(), 8);
        assert!(queue.is_empty());
        // An older token marked later changes nothing.
        queue.encode(&Packet::PingReq, V4).unwrap();
        queue.mark_qos0(3);
        assert!(queue.qos0_marks.is_empty());
    }

    #[test]
    fn clear_forgets_everything() {
        let mut queue = WriteQueue::default();
        queue.encode(&publish(DETACH_PAYLOAD_BYTES, 1), V4).unwrap();
        queue.encode(&Packet::PingReq, V4).unwrap();
        queue.clear();
        assert!(queue.is_empty());
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        assert_eq!(queue.slices(&mut slices), 0);
    }
}
