//! Bytes to packets. One reader function per packet type holds that packet's whole wire layout in every
//! version; MQTT 5's properties and reason codes are read with the `v5` codec at the places the
//! specification puts them (see the table in `v5`'s module documentation).

use bytes::{Buf, BytesMut};

use super::error::{DecodeError, Field};
use super::fixed_header::parse_fixed_header;
use super::packet::{
    ConnAck, Connect, ConnectReasonCode, Disconnect, LastWill, Packet, PacketProperties,
    ProtocolVersion, Publish, PublishAck, QoS, RetainHandling, SubAck, Subscribe, SubscribeFilter,
    SubscribeReasonCode, SubscriptionOptions, UnsubAck, Unsubscribe,
};
use super::packet_type::PacketType;
use super::reader::Reader;
use super::topic::{validate_topic_filter, validate_topic_name};
use super::v5::{Auth, AuthError, PacketKind, PropertyContext, ReasonCode};

/// Decodes one packet from the front of `buf`, as `version` lays it out.
///
/// `Ok(None)`: incomplete, read more; `buf` is untouched. `Ok(Some(_))`: exactly that packet's bytes were
/// removed from `buf`, and byte fields (payloads, client id, ...) are zero-copy slices of them.
/// `max_packet_size` bounds the whole packet (fixed header included) and is checked as soon as the fixed
/// header is complete, before the body is waited for, so nothing is buffered for an oversized claim.
/// On `Err`, treat the connection as broken (see `DecodeError`).
pub fn decode(
    buf: &mut BytesMut,
    version: ProtocolVersion,
    max_packet_size: usize,
) -> Result<Option<Packet>, DecodeError> {
    let Some(header) = parse_fixed_header(buf, version)? else {
        return Ok(None);
    };
    let size = header.packet_len();
    if size > max_packet_size {
        return Err(DecodeError::PacketTooLarge {
            size,
            max: max_packet_size,
        });
    }
    if buf.len() < size {
        return Ok(None);
    }

    buf.advance(header.header_len);
    let mut body = Reader::new(
        buf.split_to(header.remaining_len).freeze(),
        header.packet_type,
    );
    let packet = read_packet(header.packet_type, header.flags, &mut body, version)?;
    body.finish()?;
    Ok(Some(packet))
}

/// The whole length of the packet at the front of `buf` as soon as its fixed
/// header is complete, before the rest has arrived: room for all of it can be
/// made at once. `None` while the fixed header is incomplete or invalid
/// (`decode` reports the latter). Read by MQTT 5's rules, the most permissive
/// (a length 3.x would refuse is still a length; `decode` refuses it).
pub fn next_packet_len(buf: &[u8]) -> Option<usize> {
    parse_fixed_header(buf, ProtocolVersion::V5)
        .ok()
        .flatten()
        .map(|header| header.packet_len())
}

fn read_packet(
    kind: PacketType,
    flags: u8,
    body: &mut Reader,
    version: ProtocolVersion,
) -> Result<Packet, DecodeError> {
    let v5 = version.is_v5();
    Ok(match kind {
        // CONNECT names its own version: the one the connection will speak.
        PacketType::Connect => Packet::Connect(Box::new(read_connect(body)?)),
        PacketType::ConnAck => Packet::ConnAck(read_connack(body, version)?),
        PacketType::Publish => Packet::Publish(read_publish(flags, body, v5)?),
        PacketType::PubAck => Packet::PubAck(read_publish_ack(kind, PacketKind::PubAck, body, v5)?),
        PacketType::PubRec => Packet::PubRec(read_publish_ack(kind, PacketKind::PubRec, body, v5)?),
        PacketType::PubRel => Packet::PubRel(read_publish_ack(kind, PacketKind::PubRel, body, v5)?),
        PacketType::PubComp => {
            Packet::PubComp(read_publish_ack(kind, PacketKind::PubComp, body, v5)?)
        }
        PacketType::Subscribe => Packet::Subscribe(read_subscribe(body, v5)?),
        PacketType::SubAck => Packet::SubAck(read_suback(body, version)?),
        PacketType::Unsubscribe => Packet::Unsubscribe(read_unsubscribe(body, v5)?),
        PacketType::UnsubAck => Packet::UnsubAck(read_unsuback(body, v5)?),
        PacketType::PingReq => Packet::PingReq,
        PacketType::PingResp => Packet::PingResp,
        PacketType::Disconnect => Packet::Disconnect(read_disconnect(body, v5)?),
        // The fixed-header parser lets AUTH through in MQTT 5 only.
        PacketType::Auth => Packet::Auth(Box::new(read_auth(body)?)),
    })
}

/// A property list where MQTT 5 has one; none in 3.x.
fn read_properties(
    body: &mut Reader,
    v5: bool,
    context: PropertyContext,
) -> Result<PacketProperties, DecodeError> {
    if v5 {
        Ok(PacketProperties::new(body.properties(context)?))
    } else {
        Ok(PacketProperties::NONE)
    }
}

/// A reason code byte that `packet` may carry (table 2-6).
fn read_reason_code(body: &mut Reader, packet: PacketType) -> Result<ReasonCode, DecodeError> {
    let code = ReasonCode(body.u8()?);
    match PacketKind::from_packet_type(packet) {
        Some(kind) if code.is_valid_for(kind) => Ok(code),
        _ => Err(DecodeError::InvalidReasonCode {
            packet,
            code: code.0,
        }),
    }
}

/// Connect flags byte (MQTT 3.1.1 section 3.1.2.3).
const CONNECT_RESERVED: u8 = 0b0000_0001;
const CLEAN_SESSION: u8 = 0b0000_0010;
const WILL_FLAG: u8 = 0b0000_0100;
const WILL_QOS_SHIFT: u8 = 3;
const WILL_RETAIN: u8 = 0b0010_0000;
const PASSWORD_FLAG: u8 = 0b0100_0000;
const USERNAME_FLAG: u8 = 0b1000_0000;

fn read_connect(body: &mut Reader) -> Result<Connect, DecodeError> {
    let protocol = read_protocol(body)?;
    let v5 = protocol.is_v5();
    let flags = body.u8()?;
    if flags & CONNECT_RESERVED != 0 {
        return Err(DecodeError::ConnectReservedFlag);
    }
    let has_will = flags & WILL_FLAG != 0;
    let will_qos = (flags >> WILL_QOS_SHIFT) & 0b11;
    let will_retain = flags & WILL_RETAIN != 0;
    if !has_will && (will_qos != 0 || will_retain) {
        return Err(DecodeError::WillFlagsWithoutWill);
    }
    let will_qos = QoS::from_u8(will_qos).ok_or(DecodeError::InvalidQoS {
        packet: PacketType::Connect,
        qos: will_qos,
    })?;
    let has_username = flags & USERNAME_FLAG != 0;
    let has_password = flags & PASSWORD_FLAG != 0;
    // MQTT 5 allows a password alone (section 3.1.2.9), for authentication that needs no user name.
    if has_password && !has_username && !v5 {
        return Err(DecodeError::PasswordWithoutUsername);
    }
    let keep_alive = body.u16()?;
    let properties = read_properties(body, v5, PacketKind::Connect.into())?;

    let client_id = body.string_bytes(Field::ClientId)?;
    let will = if has_will {
        let properties = read_properties(body, v5, PropertyContext::Will)?;
        let topic = body.string(Field::WillTopic)?;
        validate_topic_name(&topic).map_err(|error| DecodeError::InvalidTopic {
            field: Field::WillTopic,
            error,
        })?;
        let payload = body.binary()?;
        Some(LastWill {
            topic,
            payload,
            qos: will_qos,
            retain: will_retain,
            properties,
        })
    } else {
        None
    };
    let username = has_username
        .then(|| body.string_bytes(Field::Username))
        .transpose()?;
    let password = has_password.then(|| body.binary()).transpose()?;
    Ok(Connect {
        protocol,
        clean_session: flags & CLEAN_SESSION != 0,
        keep_alive,
        client_id,
        will,
        username,
        password,
        properties,
    })
}

/// Protocol name and level: "MQIsdp" is level 3, "MQTT" level 4 or 5.
fn read_protocol(body: &mut Reader) -> Result<ProtocolVersion, DecodeError> {
    let name = body.binary()?;
    let level = body.u8()?;
    let (name, levels): (&'static str, &[ProtocolVersion]) = match &name[..] {
        b"MQTT" => ("MQTT", &[ProtocolVersion::V311, ProtocolVersion::V5]),
        b"MQIsdp" => ("MQIsdp", &[ProtocolVersion::V31]),
        other => {
            return Err(DecodeError::InvalidProtocolName(
                String::from_utf8_lossy(other).into(),
            ))
        }
    };
    levels
        .iter()
        .copied()
        .find(|version| version.level() == level)
        .ok_or(DecodeError::UnsupportedProtocolLevel { name, level })
}

fn read_connack(body: &mut Reader, version: ProtocolVersion) -> Result<ConnAck, DecodeError> {
    let flags = body.u8()?;
    if flags & !1 != 0 {
        return Err(DecodeError::InvalidConnAckFlags(flags));
    }
    let return_code = body.u8()?;
    if version.is_v5() && body.is_empty() && return_code != 0 {
        // A server without MQTT 5 answers our level-5 CONNECT in its own format: a 2-byte
        // CONNACK, normally return code 0x01 "unacceptable protocol level" [MQTT-3.1.2-2] (3.1.1).
        // MQTT 5 expects such an answer (section 3.1.2.2: a server that does not support the
        // requested version may respond with a CONNACK and close), so a 3.x refusal is reported
        // as that refusal, as MQTT.js does, not as a malformed CONNACK. A 2-byte "accepted" (0)
        // is no answer to a v5 CONNECT and stays malformed (no property length).
        if let Some(refusal) = ConnectReasonCode::from_byte(return_code)
            .filter(|code| code.is_valid_in(ProtocolVersion::V311))
        {
            if flags != 0 {
                return Err(DecodeError::SessionPresentOnRefusal { return_code });
            }
            return Ok(ConnAck {
                session_present: false,
                reason_code: refusal,
                properties: PacketProperties::NONE,
            });
        }
    }
    if version.is_v5() && body.is_empty() {
        return Err(DecodeError::RemainingLengthTooShort {
            packet: PacketType::ConnAck,
            minimum: 3,
            actual: 2,
        });
    }
    let reason_code = ConnectReasonCode::from_byte(return_code)
        .filter(|code| code.is_valid_in(version))
        .ok_or(if version.is_v5() {
            DecodeError::InvalidReasonCode {
                packet: PacketType::ConnAck,
                code: return_code,
            }
        } else {
            DecodeError::InvalidConnAckReturnCode(return_code)
        })?;
    let session_present = flags == 1;
    if session_present && !reason_code.is_success() {
        return Err(DecodeError::SessionPresentOnRefusal { return_code });
    }
    let properties = read_properties(body, version.is_v5(), PacketKind::ConnAck.into())?;
    Ok(ConnAck {
        session_present,
        reason_code,
        properties,
    })
}

/// `flags` were checked by the fixed-header parser (QoS < 3, no DUP on QoS 0).
fn read_publish(flags: u8, body: &mut Reader, v5: bool) -> Result<Publish, DecodeError> {
    let qos = QoS::from_u8((flags >> 1) & 0b11).ok_or(DecodeError::InvalidQoS {
        packet: PacketType::Publish,
        qos: 3,
    })?;
    let topic = body.shared_string(Field::PublishTopic)?;
    let packet_id = match qos {
        QoS::AtMostOnce => None,
        QoS::AtLeastOnce | QoS::ExactlyOnce => Some(body.packet_id()?),
    };
    let properties = read_properties(body, v5, PacketKind::Publish.into())?;
    // In MQTT 5 an empty topic stands for the one a Topic Alias was set to; the session resolves it.
    if v5 && topic.is_empty() {
        let aliased = properties
            .get()
            .is_some_and(|properties| properties.topic_alias.is_some());
        if !aliased {
            return Err(DecodeError::EmptyTopicWithoutAlias);
        }
    } else {
        validate_topic_name(&topic).map_err(|error| DecodeError::InvalidTopic {
            field: Field::PublishTopic,
            error,
        })?;
    }
    Ok(Publish {
        dup: flags & 0b1000 != 0,
        qos,
        retain: flags & 0b0001 != 0,
        topic,
        packet_id,
        payload: body.rest(),
        properties,
    })
}

/// Bits 7-2 of a SUBSCRIBE options byte are reserved in 3.1.1; MQTT 5 uses bits 2-5 and reserves 6-7.
const SUBSCRIBE_RESERVED_BITS_V3: u8 = 0b1111_1100;
const SUBSCRIBE_RESERVED_BITS_V5: u8 = 0b1100_0000;
const NO_LOCAL: u8 = 0b0000_0100;
const RETAIN_AS_PUBLISHED: u8 = 0b0000_1000;
const RETAIN_HANDLING_SHIFT: u8 = 4;

fn read_subscribe(body: &mut Reader, v5: bool) -> Result<Subscribe, DecodeError> {
    let packet_id = body.packet_id()?;
    let properties = read_properties(body, v5, PacketKind::Subscribe.into())?;
    let reserved = if v5 {
        SUBSCRIBE_RESERVED_BITS_V5
    } else {
        SUBSCRIBE_RESERVED_BITS_V3
    };
    let mut filters = Vec::new();
    while !body.is_empty() {
        let filter = read_filter(body, Field::SubscribeFilter)?;
        let options = body.u8()?;
        if options & reserved != 0 {
            return Err(DecodeError::SubscribeReservedBits(options));
        }
        let qos = QoS::from_u8(options & 0b11).ok_or(DecodeError::InvalidQoS {
            packet: PacketType::Subscribe,
            qos: options & 0b11,
        })?;
        let retain_handling = RetainHandling::from_u8(options >> RETAIN_HANDLING_SHIFT)
            .ok_or(DecodeError::InvalidRetainHandling(options))?;
        filters.push(SubscribeFilter {
            filter,
            qos,
            options: SubscriptionOptions {
                no_local: options & NO_LOCAL != 0,
                retain_as_published: options & RETAIN_AS_PUBLISHED != 0,
                retain_handling,
            },
        });
    }
    if filters.is_empty() {
        return Err(DecodeError::NoTopicFilters {
            packet: PacketType::Subscribe,
        });
    }
    Ok(Subscribe {
        packet_id,
        filters,
        properties,
    })
}

fn read_suback(body: &mut Reader, version: ProtocolVersion) -> Result<SubAck, DecodeError> {
    let packet_id = body.packet_id()?;
    let properties = read_properties(body, version.is_v5(), PacketKind::SubAck.into())?;
    let codes = body.rest();
    if codes.is_empty() {
        return Err(DecodeError::NoReturnCodes);
    }
    let reason_codes = codes
        .iter()
        .map(|&code| {
            SubscribeReasonCode::from_byte(code)
                .filter(|code| code.is_valid_in(version))
                .ok_or(if version.is_v5() {
                    DecodeError::InvalidReasonCode {
                        packet: PacketType::SubAck,
                        code,
                    }
                } else {
                    DecodeError::InvalidSubAckReturnCode(code)
                })
        })
        .collect::<Result<_, _>>()?;
    Ok(SubAck {
        packet_id,
        reason_codes,
        properties,
    })
}

fn read_unsubscribe(body: &mut Reader, v5: bool) -> Result<Unsubscribe, DecodeError> {
    let packet_id = body.packet_id()?;
    let properties = read_properties(body, v5, PacketKind::Unsubscribe.into())?;
    let mut filters = Vec::new();
    while !body.is_empty() {
        filters.push(read_filter(body, Field::UnsubscribeFilter)?);
    }
    if filters.is_empty() {
        return Err(DecodeError::NoTopicFilters {
            packet: PacketType::Unsubscribe,
        });
    }
    Ok(Unsubscribe {
        packet_id,
        filters,
        properties,
    })
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP: the packet id alone in 3.x. MQTT 5 adds a reason code and
/// properties, each left out when the rest is (remaining length 2: Success; 3: no properties).
fn read_publish_ack(
    kind: PacketType,
    property_kind: PacketKind,
    body: &mut Reader,
    v5: bool,
) -> Result<PublishAck, DecodeError> {
    let mut ack = PublishAck::new(body.packet_id()?);
    if v5 && !body.is_empty() {
        ack.reason_code = read_reason_code(body, kind)?;
        if !body.is_empty() {
            ack.properties = read_properties(body, v5, property_kind.into())?;
        }
    }
    Ok(ack)
}

/// The packet id alone in 3.x; MQTT 5 adds properties and one reason code per filter.
fn read_unsuback(body: &mut Reader, v5: bool) -> Result<UnsubAck, DecodeError> {
    let mut unsuback = UnsubAck::new(body.packet_id()?);
    if v5 {
        unsuback.properties = read_properties(body, v5, PacketKind::UnsubAck.into())?;
        if body.is_empty() {
            return Err(DecodeError::Truncated {
                packet: PacketType::UnsubAck,
            });
        }
        while !body.is_empty() {
            unsuback
                .reason_codes
                .push(read_reason_code(body, PacketType::UnsubAck)?);
        }
    }
    Ok(unsuback)
}

/// Empty in 3.x. MQTT 5: a reason code and properties, each left out when the rest is (section 3.14.2.1).
fn read_disconnect(body: &mut Reader, v5: bool) -> Result<Disconnect, DecodeError> {
    let mut disconnect = Disconnect::NORMAL;
    if v5 && !body.is_empty() {
        disconnect.reason_code = read_reason_code(body, PacketType::Disconnect)?;
        if !body.is_empty() {
            disconnect.properties = read_properties(body, v5, PacketKind::Disconnect.into())?;
        }
    }
    Ok(disconnect)
}

fn read_auth(body: &mut Reader) -> Result<Auth, DecodeError> {
    Auth::decode_body(body.rest()).map_err(|error| match error {
        AuthError::InvalidReasonCode(code) => DecodeError::InvalidReasonCode {
            packet: PacketType::Auth,
            code,
        },
        AuthError::Properties(error) => DecodeError::Property(error),
        AuthError::TrailingBytes(count) => DecodeError::TrailingBytes {
            packet: PacketType::Auth,
            count,
        },
    })
}

fn read_filter(body: &mut Reader, field: Field) -> Result<String, DecodeError> {
    let filter = body.string(field)?;
    validate_topic_filter(&filter).map_err(|error| DecodeError::InvalidTopic { field, error })?;
    Ok(filter)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_v5;
