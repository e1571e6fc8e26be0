//! Random valid packets from a seeded generator, for property tests: the codec's round-trip tests and the
//! fuzz crate's targets and smoke run draw from this one source, so a packet field added here is covered
//! by both. Compiled for the engine's own tests and, through the `testing` feature, for `fuzz/`.
//!
//! xorshift64*: tiny and deterministic, so every failure reproduces from its seed.

use bytes::Bytes;

use super::packet::*;
use super::shared_str::SharedStr;
use super::v5::{Auth, PacketKind, Properties, PropertyContext, PropertyId, ReasonCode};

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

    /// A random valid packet of any type, as `version` can carry it: in MQTT 5 with random properties,
    /// reason codes and subscription options, and AUTH among the types.
    pub fn packet(&mut self, version: ProtocolVersion) -> Packet {
        let v5 = version.is_v5();
        match self.below(if v5 { 15 } else { 14 }) {
            0 => Packet::Connect(Box::new(self.connect(version))),
            1 => Packet::ConnAck(self.connack(version)),
            2 => Packet::Publish(self.publish_in(version)),
            3 => Packet::PubAck(self.publish_ack(version, PacketKind::PubAck)),
            4 => Packet::PubRec(self.publish_ack(version, PacketKind::PubRec)),
            5 => Packet::PubRel(self.publish_ack(version, PacketKind::PubRel)),
            6 => Packet::PubComp(self.publish_ack(version, PacketKind::PubComp)),
            7 => Packet::Subscribe(Subscribe {
                packet_id: self.packet_id(),
                filters: (0..1 + self.below(4))
                    .map(|_| SubscribeFilter {
                        filter: self.topic_filter(),
                        qos: self.qos(),
                        options: if v5 {
                            self.subscription_options()
                        } else {
                            SubscriptionOptions::DEFAULT
                        },
                    })
                    .collect(),
                properties: self.packet_properties(version, PacketKind::Subscribe),
            }),
            8 => Packet::SubAck(SubAck {
                packet_id: self.packet_id(),
                properties: self.packet_properties(version, PacketKind::SubAck),
                reason_codes: (0..1 + self.below(4))
                    .map(|_| match self.below(4) {
                        3 => *self.pick(&Self::codes(|byte| {
                            SubscribeReasonCode::from_byte(byte).filter(|code| {
                                code.granted_qos().is_none() && code.is_valid_in(version)
                            })
                        })),
                        _ => SubscribeReasonCode::granted(self.qos()),
                    })
                    .collect(),
            }),
            9 => Packet::Unsubscribe(Unsubscribe {
                packet_id: self.packet_id(),
                filters: (0..1 + self.below(4))
                    .map(|_| self.topic_filter())
                    .collect(),
                properties: self.packet_properties(version, PacketKind::Unsubscribe),
            }),
            10 => Packet::UnsubAck(UnsubAck {
                properties: self.packet_properties(version, PacketKind::UnsubAck),
                reason_codes: if v5 {
                    (0..1 + self.below(4))
                        .map(|_| self.reason_code(PacketKind::UnsubAck))
                        .collect()
                } else {
                    Vec::new()
                },
                ..UnsubAck::new(self.packet_id())
            }),
            11 => Packet::PingReq,
            12 => Packet::PingResp,
            13 if v5 => Packet::Disconnect(Disconnect {
                reason_code: self.reason_code(PacketKind::Disconnect),
                properties: self.packet_properties(version, PacketKind::Disconnect),
            }),
            13 => Packet::Disconnect(Disconnect::NORMAL),
            _ => Packet::Auth(Box::new(Auth {
                reason_code: self.reason_code(PacketKind::Auth),
                properties: self.properties(PacketKind::Auth.into()),
            })),
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Every byte value `code` accepts, in order.
    fn codes<T>(code: impl Fn(u8) -> Option<T>) -> Vec<T> {
        (0..=u8::MAX).filter_map(code).collect()
    }

    /// A reason code `packet` may carry (table 2-6), Success half the time so short forms appear too.
    pub fn reason_code(&mut self, packet: PacketKind) -> ReasonCode {
        if self.chance(2) && ReasonCode::SUCCESS.is_valid_for(packet) {
            return ReasonCode::SUCCESS;
        }
        let valid =
            Self::codes(|byte| Some(ReasonCode(byte)).filter(|code| code.is_valid_for(packet)));
        *self.pick(&valid)
    }

    /// A property list for `packet` in MQTT 5 (none half the time), nothing in 3.x.
    pub fn packet_properties(
        &mut self,
        version: ProtocolVersion,
        packet: PacketKind,
    ) -> PacketProperties {
        if version.is_v5() && self.chance(2) {
            PacketProperties::new(self.properties(packet.into()))
        } else {
            PacketProperties::NONE
        }
    }

    pub fn subscription_options(&mut self) -> SubscriptionOptions {
        SubscriptionOptions {
            no_local: self.chance(2),
            retain_as_published: self.chance(2),
            retain_handling: *self.pick(&[
                RetainHandling::SendAtSubscribe,
                RetainHandling::SendAtSubscribeIfNew,
                RetainHandling::DoNotSend,
            ]),
        }
    }

    fn publish_ack(&mut self, version: ProtocolVersion, packet: PacketKind) -> PublishAck {
        let mut ack = PublishAck::new(self.packet_id());
        if version.is_v5() {
            ack.reason_code = self.reason_code(packet);
            ack.properties = self.packet_properties(version, packet);
        }
        ack
    }

    pub fn connect(&mut self, protocol: ProtocolVersion) -> Connect {
        let v5 = protocol.is_v5();
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
                properties: if v5 && self.chance(2) {
                    PacketProperties::new(self.properties(PropertyContext::Will))
                } else {
                    PacketProperties::NONE
                },
            }),
            // MQTT 5 allows a password without a user name.
            password: ((username.is_some() || v5) && self.chance(2)).then(|| self.bytes(30)),
            username,
            properties: self.packet_properties(protocol, PacketKind::Connect),
        }
    }

    /// Accepted half the time, with or without a session; otherwise refused with a random code.
    pub fn connack(&mut self, version: ProtocolVersion) -> ConnAck {
        let mut connack = if self.chance(2) {
            ConnAck::accepted(self.chance(2))
        } else {
            let refusals = Self::codes(|byte| {
                ConnectReasonCode::from_byte(byte)
                    .filter(|code| !code.is_success() && code.is_valid_in(version))
            });
            ConnAck::refused(*self.pick(&refusals))
        };
        connack.properties = self.packet_properties(version, PacketKind::ConnAck);
        connack
    }

    /// A 3.1.1 PUBLISH (see `publish_in`).
    pub fn publish(&mut self) -> Publish {
        self.publish_in(ProtocolVersion::V311)
    }

    /// Payloads of up to 200 bytes, and one in 50 up to 20,000 (past the 2-byte remaining length). In
    /// MQTT 5 with random properties, and an empty topic now and then where a Topic Alias stands for it.
    pub fn publish_in(&mut self, version: ProtocolVersion) -> Publish {
        let qos = self.qos();
        let packet_id = (qos != QoS::AtMostOnce).then(|| self.packet_id());
        let max_payload = if self.chance(50) { 20_000 } else { 200 };
        let properties = self.packet_properties(version, PacketKind::Publish);
        let aliased = properties
            .get()
            .is_some_and(|properties| properties.topic_alias.is_some());
        let topic = if aliased && self.chance(2) {
            SharedStr::from("")
        } else {
            self.topic_name().into()
        };
        Publish {
            dup: packet_id.is_some() && self.chance(2),
            qos,
            retain: self.chance(2),
            topic,
            packet_id,
            payload: self.bytes(max_payload),
            properties,
        }
    }

    /// A random valid MQTT 5 property list for `context`: each allowed property present or not, with random valid values.
    pub fn properties(&mut self, context: PropertyContext) -> Properties {
        let rng = self;
        const TEXTS: [&str; 6] = ["", "a", "application/json", "é温度🙂", "$SYS/x", "k e y"];
        let mut p = Properties::default();
        let text = |rng: &mut Rng| -> SharedStr { TEXTS[rng.below(TEXTS.len())].into() };
        let topic = |rng: &mut Rng| -> SharedStr {
            ["a", "reply/to/me", "é/🙂", "/", "x//y"][rng.below(5)].into()
        };
        let bytes = |rng: &mut Rng| -> Bytes {
            let len = if rng.chance(20) { 300 } else { rng.below(8) };
            (0..len).map(|_| rng.next_u64() as u8).collect()
        };
        let u32_any = |rng: &mut Rng| -> u32 {
            [
                0,
                1,
                127,
                128,
                65_535,
                65_536,
                u32::MAX,
                rng.next_u64() as u32,
            ][rng.below(8)]
        };
        let u16_any = |rng: &mut Rng| -> u16 {
            [0, 1, 255, 256, u16::MAX, rng.next_u64() as u16][rng.below(6)]
        };
        let var_int = |rng: &mut Rng| -> u32 {
            [
                1,
                127,
                128,
                16_383,
                16_384,
                2_097_151,
                2_097_152,
                268_435_455,
            ][rng.below(8)]
        };
        for property in PropertyId::ALL {
            if !property.allowed_in(context) || rng.chance(2) {
                continue;
            }
            use PropertyId as P;
            match property {
                P::PayloadFormatIndicator => p.payload_format_indicator = Some(rng.chance(2)),
                P::MessageExpiryInterval => p.message_expiry_interval = Some(u32_any(rng)),
                P::ContentType => p.content_type = Some(text(rng)),
                P::ResponseTopic => p.response_topic = Some(topic(rng)),
                P::CorrelationData => p.correlation_data = Some(bytes(rng)),
                P::SubscriptionIdentifier => {
                    let count = if property.repeatable_in(context) {
                        1 + rng.below(4)
                    } else {
                        1
                    };
                    p.subscription_identifiers = (0..count).map(|_| var_int(rng)).collect();
                }
                P::SessionExpiryInterval => p.session_expiry_interval = Some(u32_any(rng)),
                P::AssignedClientIdentifier => p.assigned_client_identifier = Some(text(rng)),
                P::ServerKeepAlive => p.server_keep_alive = Some(u16_any(rng)),
                P::AuthenticationMethod => p.authentication_method = Some(text(rng)),
                P::AuthenticationData => {
                    p.authentication_data = Some(bytes(rng));
                    p.authentication_method = Some(text(rng));
                }
                P::RequestProblemInformation => p.request_problem_information = Some(rng.chance(2)),
                P::WillDelayInterval => p.will_delay_interval = Some(u32_any(rng)),
                P::RequestResponseInformation => {
                    p.request_response_information = Some(rng.chance(2))
                }
                P::ResponseInformation => p.response_information = Some(text(rng)),
                P::ServerReference => p.server_reference = Some(text(rng)),
                P::ReasonString => p.reason_string = Some(text(rng)),
                P::ReceiveMaximum => p.receive_maximum = Some(u16_any(rng).max(1)),
                P::TopicAliasMaximum => p.topic_alias_maximum = Some(u16_any(rng)),
                P::TopicAlias => p.topic_alias = Some(u16_any(rng).max(1)),
                P::MaximumQoS => {
                    p.maximum_qos = Some([QoS::AtMostOnce, QoS::AtLeastOnce][rng.below(2)])
                }
                P::RetainAvailable => p.retain_available = Some(rng.chance(2)),
                P::UserProperty => {
                    p.user_properties = (0..1 + rng.below(4))
                        .map(|_| (text(rng), text(rng)))
                        .collect()
                }
                P::MaximumPacketSize => p.maximum_packet_size = Some(u32_any(rng).max(1)),
                P::WildcardSubscriptionAvailable => {
                    p.wildcard_subscription_available = Some(rng.chance(2))
                }
                P::SubscriptionIdentifierAvailable => {
                    p.subscription_identifier_available = Some(rng.chance(2))
                }
                P::SharedSubscriptionAvailable => {
                    p.shared_subscription_available = Some(rng.chance(2))
                }
            }
        }
        if context == PropertyContext::Packet(PacketKind::Auth) && p.authentication_method.is_none()
        {
            p.authentication_method = Some(text(rng));
        }
        p
    }
}
