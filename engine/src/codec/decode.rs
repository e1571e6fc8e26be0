//! Bytes to packets. One reader function per packet type holds that packet's whole wire layout; MQTT 5
//! properties get read at the point marked in each.

use bytes::{Buf, BytesMut};

use super::error::{DecodeError, Field};
use super::fixed_header::parse_fixed_header;
use super::packet::{
    ConnAck, Connect, ConnectReasonCode, Disconnect, LastWill, Packet, PacketProperties,
    ProtocolVersion, Publish, PublishAck, QoS, SubAck, Subscribe, SubscribeFilter,
    SubscribeReasonCode, UnsubAck, Unsubscribe,
};
use super::packet_type::PacketType;
use super::reader::Reader;
use super::topic::{validate_topic_filter, validate_topic_name};

/// Decodes one packet from the front of `buf`.
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
    // 3.1 and 3.1.1 share every layout past the fixed header (CONNECT carries its own level), so the
    // version selects nothing yet. The exhaustive match turns adding MQTT 5 into a compile error here, where
    // it gets passed on to the readers that gain properties.
    match version {
        ProtocolVersion::V31 | ProtocolVersion::V311 => {}
    }

    let Some(header) = parse_fixed_header(buf)? else {
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
    let packet = read_packet(header.packet_type, header.flags, &mut body)?;
    body.finish()?;
    Ok(Some(packet))
}

/// The whole length of the packet at the front of `buf` as soon as its fixed
/// header is complete, before the rest has arrived: room for all of it can be
/// made at once. `None` while the fixed header is incomplete or invalid
/// (`decode` reports the latter).
pub fn next_packet_len(buf: &[u8]) -> Option<usize> {
    parse_fixed_header(buf)
        .ok()
        .flatten()
        .map(|header| header.packet_len())
}

fn read_packet(kind: PacketType, flags: u8, body: &mut Reader) -> Result<Packet, DecodeError> {
    Ok(match kind {
        PacketType::Connect => Packet::Connect(Box::new(read_connect(body)?)),
        PacketType::ConnAck => Packet::ConnAck(read_connack(body)?),
        PacketType::Publish => Packet::Publish(read_publish(flags, body)?),
        PacketType::PubAck => Packet::PubAck(read_publish_ack(body)?),
        PacketType::PubRec => Packet::PubRec(read_publish_ack(body)?),
        PacketType::PubRel => Packet::PubRel(read_publish_ack(body)?),
        PacketType::PubComp => Packet::PubComp(read_publish_ack(body)?),
        PacketType::Subscribe => Packet::Subscribe(read_subscribe(body)?),
        PacketType::SubAck => Packet::SubAck(read_suback(body)?),
        PacketType::Unsubscribe => Packet::Unsubscribe(read_unsubscribe(body)?),
        PacketType::UnsubAck => Packet::UnsubAck(read_unsuback(body)?),
        PacketType::PingReq => Packet::PingReq,
        PacketType::PingResp => Packet::PingResp,
        // MQTT 5: DISCONNECT reason code and properties here.
        PacketType::Disconnect => Packet::Disconnect(Disconnect::NORMAL),
    })
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
    if has_password && !has_username {
        return Err(DecodeError::PasswordWithoutUsername);
    }
    let keep_alive = body.u16()?;
    // MQTT 5: CONNECT properties here.

    let client_id = body.string_bytes(Field::ClientId)?;
    let will = if has_will {
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
            properties: PacketProperties::NONE,
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
        properties: PacketProperties::NONE,
    })
}

/// Protocol name and level; each name admits exactly one level.
fn read_protocol(body: &mut Reader) -> Result<ProtocolVersion, DecodeError> {
    let name = body.binary()?;
    let level = body.u8()?;
    let expected = match &name[..] {
        b"MQTT" => ProtocolVersion::V311,
        b"MQIsdp" => ProtocolVersion::V31,
        other => {
            return Err(DecodeError::InvalidProtocolName(
                String::from_utf8_lossy(other).into(),
            ))
        }
    };
    if level != expected.level() {
        return Err(DecodeError::UnsupportedProtocolLevel {
            name: expected.protocol_name(),
            level,
        });
    }
    Ok(expected)
}

fn read_connack(body: &mut Reader) -> Result<ConnAck, DecodeError> {
    let flags = body.u8()?;
    if flags & !1 != 0 {
        return Err(DecodeError::InvalidConnAckFlags(flags));
    }
    let return_code = body.u8()?;
    let reason_code = ConnectReasonCode::from_byte(return_code)
        .ok_or(DecodeError::InvalidConnAckReturnCode(return_code))?;
    let session_present = flags == 1;
    if session_present && !reason_code.is_success() {
        return Err(DecodeError::SessionPresentOnRefusal { return_code });
    }
    // MQTT 5: CONNACK properties here.
    Ok(ConnAck {
        session_present,
        reason_code,
        properties: PacketProperties::NONE,
    })
}

/// `flags` were checked by the fixed-header parser (QoS < 3, no DUP on QoS 0).
fn read_publish(flags: u8, body: &mut Reader) -> Result<Publish, DecodeError> {
    let qos = QoS::from_u8((flags >> 1) & 0b11).ok_or(DecodeError::InvalidQoS {
        packet: PacketType::Publish,
        qos: 3,
    })?;
    let topic = body.shared_string(Field::PublishTopic)?;
    validate_topic_name(&topic).map_err(|error| DecodeError::InvalidTopic {
        field: Field::PublishTopic,
        error,
    })?;
    let packet_id = match qos {
        QoS::AtMostOnce => None,
        QoS::AtLeastOnce | QoS::ExactlyOnce => Some(body.packet_id()?),
    };
    // MQTT 5: PUBLISH properties here.
    Ok(Publish {
        dup: flags & 0b1000 != 0,
        qos,
        retain: flags & 0b0001 != 0,
        topic,
        packet_id,
        payload: body.rest(),
        properties: PacketProperties::NONE,
    })
}

/// Bits 7-2 of a SUBSCRIBE options byte are reserved in 3.1.1.
const SUBSCRIBE_RESERVED_BITS: u8 = 0b1111_1100;

fn read_subscribe(body: &mut Reader) -> Result<Subscribe, DecodeError> {
    let packet_id = body.packet_id()?;
    // MQTT 5: SUBSCRIBE properties here.
    let mut filters = Vec::new();
    while !body.is_empty() {
        let filter = read_filter(body, Field::SubscribeFilter)?;
        let options = body.u8()?;
        if options & SUBSCRIBE_RESERVED_BITS != 0 {
            return Err(DecodeError::SubscribeReservedBits(options));
        }
        let qos = QoS::from_u8(options).ok_or(DecodeError::InvalidQoS {
            packet: PacketType::Subscribe,
            qos: options,
        })?;
        filters.push(SubscribeFilter { filter, qos });
    }
    if filters.is_empty() {
        return Err(DecodeError::NoTopicFilters {
            packet: PacketType::Subscribe,
        });
    }
    Ok(Subscribe {
        packet_id,
        filters,
        properties: PacketProperties::NONE,
    })
}

fn read_suback(body: &mut Reader) -> Result<SubAck, DecodeError> {
    let packet_id = body.packet_id()?;
    // MQTT 5: SUBACK properties here.
    let codes = body.rest();
    if codes.is_empty() {
        return Err(DecodeError::NoReturnCodes);
    }
    let reason_codes = codes
        .iter()
        .map(|&code| {
            SubscribeReasonCode::from_byte(code).ok_or(DecodeError::InvalidSubAckReturnCode(code))
        })
        .collect::<Result<_, _>>()?;
    Ok(SubAck {
        packet_id,
        reason_codes,
        properties: PacketProperties::NONE,
    })
}

fn read_unsubscribe(body: &mut Reader) -> Result<Unsubscribe, DecodeError> {
    let packet_id = body.packet_id()?;
    // MQTT 5: UNSUBSCRIBE properties here.
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
        properties: PacketProperties::NONE,
    })
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP: the packet id alone in 3.x.
fn read_publish_ack(body: &mut Reader) -> Result<PublishAck, DecodeError> {
    // MQTT 5: reason code and properties after the packet id, both optional.
    Ok(PublishAck::new(body.packet_id()?))
}

fn read_unsuback(body: &mut Reader) -> Result<UnsubAck, DecodeError> {
    // MQTT 5: properties, then one reason code per filter, after the packet id.
    Ok(UnsubAck::new(body.packet_id()?))
}

fn read_filter(body: &mut Reader, field: Field) -> Result<String, DecodeError> {
    let filter = body.string(field)?;
    validate_topic_filter(&filter).map_err(|error| DecodeError::InvalidTopic { field, error })?;
    Ok(filter)
}

#[cfg(test)]
mod tests;
