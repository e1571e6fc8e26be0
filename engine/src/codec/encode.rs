//! Packets to bytes. One writer function per packet type holds that packet's whole wire layout and its
//! checks; it runs twice, first into a byte counter (validating and sizing the body) and then into the
//! output, so `encoded_len` and `encode` cannot disagree and a failing packet appends nothing.
//! MQTT 5 properties get written at the point marked in each writer.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{EncodeError, Field, MAX_REMAINING_LEN};
use super::fixed_header::{put_remaining_length, remaining_length_len};
use super::packet::{
    AckReasonCode, ConnAck, Connect, Disconnect, DisconnectReasonCode, Packet, PacketId,
    ProtocolVersion, Publish, PublishAck, QoS, SubAck, Subscribe, UnsubAck, Unsubscribe,
};
use super::packet_type::PacketType;

/// Appends `packet` to `out`. On error nothing is appended.
pub fn encode(
    packet: &Packet,
    version: ProtocolVersion,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let remaining_len = body_len(packet, version)?;
    let start = out.len();
    out.reserve(1 + remaining_length_len(remaining_len) + remaining_len);
    out.put_u8(first_byte(packet));
    put_remaining_length(out, remaining_len);
    if let Err(error) = write_body(packet, version, out) {
        // Unreachable: the counting pass ran the same checks. Kept so `out` stays whole regardless.
        out.truncate(start);
        return Err(error);
    }
    debug_assert_eq!(
        out.len() - start,
        1 + remaining_length_len(remaining_len) + remaining_len
    );
    Ok(())
}

/// Like `encode`, except that a PUBLISH payload of `min_detached` bytes or
/// more is not copied into `out`: it is returned, and belongs on the wire
/// right after what was appended (for a vectored write). On error nothing is
/// appended.
pub fn encode_detached(
    packet: &Packet,
    version: ProtocolVersion,
    out: &mut BytesMut,
    min_detached: usize,
) -> Result<Option<Bytes>, EncodeError> {
    let Packet::Publish(publish) = packet else {
        return encode(packet, version, out).map(|()| None);
    };
    if publish.payload.len() < min_detached {
        return encode(packet, version, out).map(|()| None);
    }
    let remaining_len = body_len(packet, version)?;
    let head_len = remaining_len - publish.payload.len();
    out.reserve(1 + remaining_length_len(remaining_len) + head_len);
    out.put_u8(first_byte(packet));
    put_remaining_length(out, remaining_len);
    // Cannot fail: the counting pass ran the same checks.
    write_publish_head(publish, out)?;
    Ok(Some(publish.payload.clone()))
}

/// The exact number of bytes `encode` would append, or the error it would return.
pub fn encoded_len(packet: &Packet, version: ProtocolVersion) -> Result<usize, EncodeError> {
    let remaining_len = body_len(packet, version)?;
    Ok(1 + remaining_length_len(remaining_len) + remaining_len)
}

/// `encoded_len` of a PUBLISH, for a caller holding a `Publish` rather than a `Packet`
/// (the session checks a publish's size before it becomes a packet).
pub fn publish_encoded_len(
    publish: &Publish,
    version: ProtocolVersion,
) -> Result<usize, EncodeError> {
    // As in `write_body`: MQTT 5 (PUBLISH properties) must be handled here too.
    match version {
        ProtocolVersion::V31 | ProtocolVersion::V311 => {}
    }
    let mut counter = ByteCounter(0);
    write_publish(publish, &mut counter)?;
    let remaining_len = checked_remaining_len(counter.0)?;
    Ok(1 + remaining_length_len(remaining_len) + remaining_len)
}

fn body_len(packet: &Packet, version: ProtocolVersion) -> Result<usize, EncodeError> {
    let mut counter = ByteCounter(0);
    write_body(packet, version, &mut counter)?;
    checked_remaining_len(counter.0)
}

fn checked_remaining_len(body_len: usize) -> Result<usize, EncodeError> {
    match body_len {
        remaining_len if remaining_len > MAX_REMAINING_LEN => {
            Err(EncodeError::PacketTooLarge { remaining_len })
        }
        remaining_len => Ok(remaining_len),
    }
}

/// Packet type in the high nibble; the low nibble is fixed except for PUBLISH (table 2.2).
fn first_byte(packet: &Packet) -> u8 {
    let kind = packet.packet_type();
    let flags = match packet {
        Packet::Publish(publish) => {
            u8::from(publish.dup) << 3 | publish.qos.as_u8() << 1 | u8::from(publish.retain)
        }
        _ => kind.required_flags().unwrap_or(0),
    };
    kind.wire() << 4 | flags
}

/// Where a body goes: a `ByteCounter` when sizing, the output buffer when writing.
trait Sink {
    fn write_u8(&mut self, value: u8);
    fn write_u16(&mut self, value: u16);
    fn write_slice(&mut self, bytes: &[u8]);
}

/// Counts instead of writing. Saturates, so absurd sizes surface as `PacketTooLarge`, not as overflow.
struct ByteCounter(usize);

impl Sink for ByteCounter {
    fn write_u8(&mut self, _: u8) {
        self.0 = self.0.saturating_add(1);
    }
    fn write_u16(&mut self, _: u16) {
        self.0 = self.0.saturating_add(2);
    }
    fn write_slice(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len());
    }
}

impl Sink for BytesMut {
    fn write_u8(&mut self, value: u8) {
        self.put_u8(value);
    }
    fn write_u16(&mut self, value: u16) {
        self.put_u16(value);
    }
    fn write_slice(&mut self, bytes: &[u8]) {
        self.put_slice(bytes);
    }
}

fn write_body(
    packet: &Packet,
    version: ProtocolVersion,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    // 3.1 and 3.1.1 share every layout (CONNECT names its own version), so the version selects nothing yet.
    // The exhaustive match turns adding MQTT 5 into a compile error here, where it reaches the writers.
    match version {
        ProtocolVersion::V31 | ProtocolVersion::V311 => {}
    }
    let kind = packet.packet_type();
    match packet {
        Packet::Connect(connect) => write_connect(connect, out),
        Packet::ConnAck(connack) => write_connack(connack, out),
        Packet::Publish(publish) => write_publish(publish, out),
        Packet::PubAck(ack) | Packet::PubRec(ack) | Packet::PubRel(ack) | Packet::PubComp(ack) => {
            write_publish_ack(kind, ack, out)
        }
        Packet::Subscribe(subscribe) => write_subscribe(subscribe, out),
        Packet::SubAck(suback) => write_suback(suback, out),
        Packet::Unsubscribe(unsubscribe) => write_unsubscribe(unsubscribe, out),
        Packet::UnsubAck(unsuback) => write_unsuback(unsuback, out),
        Packet::Disconnect(disconnect) => write_disconnect(disconnect),
        Packet::PingReq | Packet::PingResp => Ok(()),
    }
}

fn write_connect(connect: &Connect, out: &mut impl Sink) -> Result<(), EncodeError> {
    if connect.password.is_some() && connect.username.is_none() {
        return Err(EncodeError::PasswordWithoutUsername);
    }
    let mut flags = u8::from(connect.clean_session) << 1;
    if let Some(will) = &connect.will {
        flags |= 0b100 | will.qos.as_u8() << 3 | u8::from(will.retain) << 5;
    }
    flags |= u8::from(connect.password.is_some()) << 6 | u8::from(connect.username.is_some()) << 7;

    // The protocol is the packet's own, not the `version` argument: CONNECT is what announces it.
    write_prefixed(
        out,
        Field::ProtocolName,
        connect.protocol.protocol_name().as_bytes(),
    )?;
    out.write_u8(connect.protocol.level());
    out.write_u8(flags);
    out.write_u16(connect.keep_alive);
    // MQTT 5: CONNECT properties here.
    write_prefixed(out, Field::ClientId, &connect.client_id)?;
    if let Some(will) = &connect.will {
        write_prefixed(out, Field::WillTopic, will.topic.as_bytes())?;
        write_prefixed(out, Field::WillPayload, &will.payload)?;
    }
    if let Some(username) = &connect.username {
        write_prefixed(out, Field::Username, username)?;
    }
    if let Some(password) = &connect.password {
        write_prefixed(out, Field::Password, password)?;
    }
    Ok(())
}

fn write_connack(connack: &ConnAck, out: &mut impl Sink) -> Result<(), EncodeError> {
    // Every code the type holds today is a 3.x return code; MQTT 5's own codes will need a version check.
    let return_code = connack.reason_code.byte();
    if connack.session_present && !connack.reason_code.is_success() {
        return Err(EncodeError::SessionPresentOnRefusal { return_code });
    }
    out.write_u8(u8::from(connack.session_present));
    out.write_u8(return_code);
    // MQTT 5: CONNACK properties here.
    Ok(())
}

fn write_publish(publish: &Publish, out: &mut impl Sink) -> Result<(), EncodeError> {
    match (publish.qos, publish.packet_id) {
        (QoS::AtMostOnce, Some(_)) => return Err(EncodeError::UnexpectedPacketId),
        (QoS::AtMostOnce, None) if publish.dup => return Err(EncodeError::DupOnQoS0),
        (QoS::AtLeastOnce | QoS::ExactlyOnce, None) => {
            return Err(EncodeError::MissingPacketId {
                qos: publish.qos.as_u8(),
            })
        }
        _ => {}
    }
    write_publish_head(publish, out)?;
    out.write_slice(&publish.payload);
    Ok(())
}

/// Everything of a PUBLISH body before the payload.
fn write_publish_head(publish: &Publish, out: &mut impl Sink) -> Result<(), EncodeError> {
    write_prefixed(out, Field::PublishTopic, publish.topic.as_bytes())?;
    if let Some(id) = publish.packet_id {
        write_packet_id(PacketType::Publish, id, out)?;
    }
    // MQTT 5: PUBLISH properties here.
    Ok(())
}

fn write_subscribe(subscribe: &Subscribe, out: &mut impl Sink) -> Result<(), EncodeError> {
    if subscribe.filters.is_empty() {
        return Err(EncodeError::NoTopicFilters {
            packet: PacketType::Subscribe,
        });
    }
    write_packet_id(PacketType::Subscribe, subscribe.packet_id, out)?;
    // MQTT 5: SUBSCRIBE properties here.
    for filter in &subscribe.filters {
        write_prefixed(out, Field::SubscribeFilter, filter.filter.as_bytes())?;
        out.write_u8(filter.qos.as_u8());
    }
    Ok(())
}

fn write_suback(suback: &SubAck, out: &mut impl Sink) -> Result<(), EncodeError> {
    if suback.reason_codes.is_empty() {
        return Err(EncodeError::NoReturnCodes);
    }
    write_packet_id(PacketType::SubAck, suback.packet_id, out)?;
    // MQTT 5: SUBACK properties here.
    for code in &suback.reason_codes {
        out.write_u8(code.byte());
    }
    Ok(())
}

fn write_unsubscribe(unsubscribe: &Unsubscribe, out: &mut impl Sink) -> Result<(), EncodeError> {
    if unsubscribe.filters.is_empty() {
        return Err(EncodeError::NoTopicFilters {
            packet: PacketType::Unsubscribe,
        });
    }
    write_packet_id(PacketType::Unsubscribe, unsubscribe.packet_id, out)?;
    // MQTT 5: UNSUBSCRIBE properties here.
    for filter in &unsubscribe.filters {
        write_prefixed(out, Field::UnsubscribeFilter, filter.as_bytes())?;
    }
    Ok(())
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP: the packet id alone in 3.x, where every ack is a success.
fn write_publish_ack(
    packet: PacketType,
    ack: &PublishAck,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    // A 3.x ack has no reason code on the wire: the match stops compiling when MQTT 5 adds codes that
    // 3.x cannot say.
    match ack.reason_code {
        AckReasonCode::Success => {}
    }
    write_packet_id(packet, ack.packet_id, out)?;
    // MQTT 5: reason code and properties here.
    Ok(())
}

fn write_unsuback(unsuback: &UnsubAck, out: &mut impl Sink) -> Result<(), EncodeError> {
    if !unsuback.reason_codes.is_empty() {
        return Err(EncodeError::ReasonCodesNeedMqtt5 {
            packet: PacketType::UnsubAck,
        });
    }
    write_packet_id(PacketType::UnsubAck, unsuback.packet_id, out)?;
    // MQTT 5: properties and per-filter reason codes here.
    Ok(())
}

fn write_disconnect(disconnect: &Disconnect) -> Result<(), EncodeError> {
    // A 3.x DISCONNECT is empty; as in `write_publish_ack`, MQTT 5's codes will break this match.
    match disconnect.reason_code {
        DisconnectReasonCode::NormalDisconnection => {}
    }
    // MQTT 5: reason code and properties here.
    Ok(())
}

fn write_packet_id(
    packet: PacketType,
    id: PacketId,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    if id == 0 {
        return Err(EncodeError::PacketIdZero { packet });
    }
    out.write_u16(id);
    Ok(())
}

/// A string or binary field: two-byte big-endian length, then the bytes.
fn write_prefixed(out: &mut impl Sink, field: Field, bytes: &[u8]) -> Result<(), EncodeError> {
    let len = u16::try_from(bytes.len()).map_err(|_| EncodeError::StringTooLong {
        field,
        len: bytes.len(),
    })?;
    out.write_u16(len);
    out.write_slice(bytes);
    Ok(())
}

#[cfg(test)]
mod tests;
