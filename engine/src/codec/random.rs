//! Random valid packets from a seeded generator, for property tests: the codec's round-trip tests and the
//! fuzz crate's targets and smoke run draw from this one source, so a packet field added here is covered
//! by both. Compiled for the engine's own tests and, through the `testing` feature, for `fuzz/`.
//!
//! xorshift64*: tiny and deterministic, so every failure reproduces from its seed.

use bytes::Bytes;

use super::packet::*;

pub struct Rng(u64);

impl Rng {
    /// Any seed works, 0 included (the state is scrambled and never 0).
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    /// Up to `max_len` random bytes.
    pub fn bytes(&mut self, max_len: usize) -> Bytes {
        let len = self.below(max_len + 1);
        (0..len).map(|_| self.byte()).collect()
    }

    pub fn qos(&mut self) -> QoS {
        [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce][self.below(3)]
    }

    /// 1..=65535: zero is never a valid packet id.
    pub fn packet_id(&mut self) -> PacketId {
        1 + self.below(usize::from(u16::MAX)) as PacketId
    }

    /// A topic name: levels of ASCII and multi-byte characters, possibly empty levels, never a wildcard.
    pub fn topic_name(&mut self) -> String {
        const PIECES: [&str; 8] = ["a", "sensor", "é", "温度", "🙂", "$SYS", " ", "x-y_z"];
        let mut topic = String::new();
        for level in 0..1 + self.below(4) {
            if level > 0 {
                topic.push('/');
            }
            for _ in 0..self.below(3) {
                topic.push_str(PIECES[self.below(PIECES.len())]);
            }
        }
        if topic.is_empty() {
            topic.push('t');
        }
        topic
    }

    /// A topic filter: a topic name with some levels made `+`, sometimes ending in `#`.
    pub fn topic_filter(&mut self) -> String {
        let mut levels: Vec<String> = self.topic_name().split('/').map(str::to_owned).collect();
        for level in &mut levels {
            if self.chance(4) {
                *level = "+".into();
            }
        }
        if self.chance(4) {
            levels.push("#".into());
        }
        levels.join("/")
    }

    /// A random valid packet of any type, as `version` can carry it.
    pub fn packet(&mut self, version: ProtocolVersion) -> Packet {
        match self.below(14) {
            0 => Packet::Connect(Box::new(self.connect(version))),
            1 => Packet::ConnAck(self.connack()),
            2 => Packet::Publish(self.publish()),
            3 => Packet::PubAck(PublishAck::new(self.packet_id())),
            4 => Packet::PubRec(PublishAck::new(self.packet_id())),
            5 => Packet::PubRel(PublishAck::new(self.packet_id())),
            6 => Packet::PubComp(PublishAck::new(self.packet_id())),
            7 => Packet::Subscribe(Subscribe {
                packet_id: self.packet_id(),
                filters: (0..1 + self.below(4))
                    .map(|_| SubscribeFilter::new(self.topic_filter(), self.qos()))
                    .collect(),
                properties: PacketProperties::NONE,
            }),
            8 => Packet::SubAck(SubAck {
                packet_id: self.packet_id(),
                reason_codes: (0..1 + self.below(4))
                    .map(|_| match self.below(4) {
                        3 => SubscribeReasonCode::Failure,
                        _ => SubscribeReasonCode::granted(self.qos()),
                    })
                    .collect(),
                properties: PacketProperties::NONE,
            }),
            9 => Packet::Unsubscribe(Unsubscribe {
                packet_id: self.packet_id(),
                filters: (0..1 + self.below(4))
                    .map(|_| self.topic_filter())
                    .collect(),
                properties: PacketProperties::NONE,
            }),
            10 => Packet::UnsubAck(UnsubAck::new(self.packet_id())),
            11 => Packet::PingReq,
            12 => Packet::PingResp,
            _ => Packet::Disconnect(Disconnect::NORMAL),
        }
    }

    pub fn connect(&mut self, protocol: ProtocolVersion) -> Connect {
        let username = self.chance(2).then(|| Bytes::from(self.topic_name()));
        Connect {
            protocol,
            clean_session: self.chance(2),
            keep_alive: self.next_u64() as u16,
            client_id: if self.chance(5) {
                Bytes::new()
            } else {
                Bytes::from(self.topic_name())
            },
            will: self.chance(2).then(|| LastWill {
                topic: self.topic_name(),
                payload: self.bytes(100),
                qos: self.qos(),
                retain: self.chance(2),
                properties: PacketProperties::NONE,
            }),
            password: (username.is_some() && self.chance(2)).then(|| self.bytes(30)),
            username,
            properties: PacketProperties::NONE,
        }
    }

    /// Accepted half the time, with or without a session; otherwise refused with a random code.
    pub fn connack(&mut self) -> ConnAck {
        if self.chance(2) {
            ConnAck::accepted(self.chance(2))
        } else {
            const REFUSALS: [ConnectReasonCode; 5] = [
                ConnectReasonCode::UnacceptableProtocolVersion,
                ConnectReasonCode::IdentifierRejected,
                ConnectReasonCode::ServerUnavailable,
                ConnectReasonCode::BadUsernameOrPassword,
                ConnectReasonCode::NotAuthorized,
            ];
            ConnAck::refused(REFUSALS[self.below(REFUSALS.len())])
        }
    }

    /// Payloads of up to 200 bytes, and one in 50 up to 20,000 (past the 2-byte remaining length).
    pub fn publish(&mut self) -> Publish {
        let qos = self.qos();
        let packet_id = (qos != QoS::AtMostOnce).then(|| self.packet_id());
        let max_payload = if self.chance(50) { 20_000 } else { 200 };
        Publish {
            dup: packet_id.is_some() && self.chance(2),
            qos,
            retain: self.chance(2),
            topic: self.topic_name().into(),
            packet_id,
            payload: self.bytes(max_payload),
            properties: PacketProperties::NONE,
        }
    }
}
