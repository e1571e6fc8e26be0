//! Packets to bytes. One writer function per packet type holds that packet's whole wire layout and its
//! checks; it runs twice, first into a byte counter (validating and sizing the body) and then into the
//! output, so `encoded_len` and `encode` cannot disagree and a failing packet appends nothing.
//! MQTT 5's properties and reason codes are written only for MQTT 5; a 3.x writer given something only
//! MQTT 5 can say refuses the packet (`EncodeError::NeedsMqtt5`) rather than drop it silently.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{EncodeError, Field, MAX_REMAINING_LEN};
use super::fixed_header::{put_remaining_length, remaining_length_len};
use super::packet::{
    ConnAck, Connect, Disconnect, Packet, PacketId, PacketProperties, ProtocolVersion, Publish,
    PublishAck, QoS, SubAck, Subscribe, SubscriptionOptions, UnsubAck, Unsubscribe,
};
use super::packet_type::PacketType;
use super::v5::{Auth, PacketKind, Properties, PropertyContext, ReasonCode};

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
    write_publish_head(publish, version.is_v5(), out)?;
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
    let mut counter = ByteCounter(0);
    write_publish(publish, version.is_v5(), &mut counter)?;
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
    /// A value of `len` bytes that `write` puts into a buffer (the `v5` codec's property lists and AUTH).
    fn write_encoded(&mut self, len: usize, write: impl FnOnce(&mut BytesMut));
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
    fn write_encoded(&mut self, len: usize, _: impl FnOnce(&mut BytesMut)) {
        self.0 = self.0.saturating_add(len);
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
    fn write_encoded(&mut self, len: usize, write: impl FnOnce(&mut BytesMut)) {
        let start = self.len();
        write(self);
        debug_assert_eq!(self.len() - start, len);
    }
}

fn write_body(
    packet: &Packet,
    version: ProtocolVersion,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    let v5 = version.is_v5();
    let kind = packet.packet_type();
    match packet {
        Packet::Connect(connect) => write_connect(connect, out),
        Packet::ConnAck(connack) => write_connack(connack, version, out),
        Packet::Publish(publish) => write_publish(publish, v5, out),
        Packet::PubAck(ack) => write_publish_ack(kind, PacketKind::PubAck, ack, v5, out),
        Packet::PubRec(ack) => write_publish_ack(kind, PacketKind::PubRec, ack, v5, out),
        Packet::PubRel(ack) => write_publish_ack(kind, PacketKind::PubRel, ack, v5, out),
        Packet::PubComp(ack) => write_publish_ack(kind, PacketKind::PubComp, ack, v5, out),
        Packet::Subscribe(subscribe) => write_subscribe(subscribe, v5, out),
        Packet::SubAck(suback) => write_suback(suback, version, out),
        Packet::Unsubscribe(unsubscribe) => write_unsubscribe(unsubscribe, v5, out),
        Packet::UnsubAck(unsuback) => write_unsuback(unsuback, v5, out),
        Packet::Disconnect(disconnect) => write_disconnect(disconnect, v5, out),
        Packet::Auth(auth) => write_auth(auth, v5, out),
        Packet::PingReq | Packet::PingResp => Ok(()),
    }
}

/// A property list where MQTT 5 has one (checked against the rules for `context`); in 3.x there is no
/// room for one, so a non-empty list is refused.
fn write_properties(
    properties: &PacketProperties,
    v5: bool,
    packet: PacketType,
    context: PropertyContext,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    match properties.get() {
        None if v5 => {
            // The empty list: a Property Length of 0.
            out.write_u8(0);
            Ok(())
        }
        None => Ok(()),
        Some(_) if !v5 => Err(EncodeError::NeedsMqtt5 {
            packet,
            what: "properties",
        }),
        Some(list) => write_property_list(list, context, out),
    }
}

fn write_property_list(
    list: &Properties,
    context: PropertyContext,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    list.validate(context)?;
    out.write_encoded(list.encoded_len(), |buf| list.encode(buf));
    Ok(())
}

/// A reason code: MQTT 5 checks it against the packet (table 2-6); 3.x can carry none but Success,
/// which it says by leaving the code out.
fn check_reason_code(
    code: ReasonCode,
    v5: bool,
    packet: PacketType,
    kind: PacketKind,
) -> Result<(), EncodeError> {
    if v5 && !code.is_valid_for(kind) {
        return Err(EncodeError::InvalidReasonCode {
            packet,
            code: code.0,
        });
    }
    if !v5 && code != ReasonCode::SUCCESS {
        return Err(EncodeError::NeedsMqtt5 {
            packet,
            what: "reason codes other than success",
        });
    }
    Ok(())
}

fn write_connect(connect: &Connect, out: &mut impl Sink) -> Result<(), EncodeError> {
    // The protocol is the packet's own, not the `version` argument: CONNECT is what announces it.
    let v5 = connect.protocol.is_v5();
    if connect.password.is_some() && connect.username.is_none() && !v5 {
        return Err(EncodeError::PasswordWithoutUsername);
    }
    let mut flags = u8::from(connect.clean_session) << 1;
    if let Some(will) = &connect.will {
        flags |= 0b100 | will.qos.as_u8() << 3 | u8::from(will.retain) << 5;
    }
    flags |= u8::from(connect.password.is_some()) << 6 | u8::from(connect.username.is_some()) << 7;

    write_prefixed(
        out,
        Field::ProtocolName,
        connect.protocol.protocol_name().as_bytes(),
    )?;
    out.write_u8(connect.protocol.level());
    out.write_u8(flags);
    out.write_u16(connect.keep_alive);
    write_properties(
        &connect.properties,
        v5,
        PacketType::Connect,
        PacketKind::Connect.into(),
        out,
    )?;
    write_prefixed(out, Field::ClientId, &connect.client_id)?;
    if let Some(will) = &connect.will {
        write_properties(
            &will.properties,
            v5,
            PacketType::Connect,
            PropertyContext::Will,
            out,
        )?;
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

fn write_connack(
    connack: &ConnAck,
    version: ProtocolVersion,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    let return_code = connack.reason_code.byte();
    if !connack.reason_code.is_valid_in(version) {
        return Err(if version.is_v5() {
            EncodeError::InvalidReasonCode {
                packet: PacketType::ConnAck,
                code: return_code,
            }
        } else {
            EncodeError::NeedsMqtt5 {
                packet: PacketType::ConnAck,
                what: "reason codes above 5",
            }
        });
    }
    if connack.session_present && !connack.reason_code.is_success() {
        return Err(EncodeError::SessionPresentOnRefusal { return_code });
    }
    out.write_u8(u8::from(connack.session_present));
    out.write_u8(return_code);
    write_properties(
        &connack.properties,
        version.is_v5(),
        PacketType::ConnAck,
        PacketKind::ConnAck.into(),
        out,
    )
}

fn write_publish(publish: &Publish, v5: bool, out: &mut impl Sink) -> Result<(), EncodeError> {
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
    write_publish_head(publish, v5, out)?;
    out.write_slice(&publish.payload);
    Ok(())
}

/// Everything of a PUBLISH body before the payload.
fn write_publish_head(publish: &Publish, v5: bool, out: &mut impl Sink) -> Result<(), EncodeError> {
    // MQTT 5's empty topic stands for an alias; without one a receiver has no topic at all.
    if v5
        && publish.topic.is_empty()
        && publish
            .properties
            .get()
            .is_none_or(|properties| properties.topic_alias.is_none())
    {
        return Err(EncodeError::EmptyTopicWithoutAlias);
    }
    write_prefixed(out, Field::PublishTopic, publish.topic.as_bytes())?;
    if let Some(id) = publish.packet_id {
        write_packet_id(PacketType::Publish, id, out)?;
    }
    write_properties(
        &publish.properties,
        v5,
        PacketType::Publish,
        PacketKind::Publish.into(),
        out,
    )
}

fn write_subscribe(
    subscribe: &Subscribe,
    v5: bool,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    if subscribe.filters.is_empty() {
        return Err(EncodeError::NoTopicFilters {
            packet: PacketType::Subscribe,
        });
    }
    write_packet_id(PacketType::Subscribe, subscribe.packet_id, out)?;
    write_properties(
        &subscribe.properties,
        v5,
        PacketType::Subscribe,
        PacketKind::Subscribe.into(),
        out,
    )?;
    for filter in &subscribe.filters {
        if !v5 && filter.options != SubscriptionOptions::DEFAULT {
            return Err(EncodeError::NeedsMqtt5 {
                packet: PacketType::Subscribe,
                what: "subscription options (no local, retain as published, retain handling)",
            });
        }
        let options = filter.options;
        write_prefixed(out, Field::SubscribeFilter, filter.filter.as_bytes())?;
        out.write_u8(
            filter.qos.as_u8()
                | u8::from(options.no_local) << 2
                | u8::from(options.retain_as_published) << 3
                | options.retain_handling.as_u8() << 4,
        );
    }
    Ok(())
}

fn write_suback(
    suback: &SubAck,
    version: ProtocolVersion,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    if suback.reason_codes.is_empty() {
        return Err(EncodeError::NoReturnCodes);
    }
    if let Some(code) = suback
        .reason_codes
        .iter()
        .find(|code| !code.is_valid_in(version))
    {
        return Err(if version.is_v5() {
            EncodeError::InvalidReasonCode {
                packet: PacketType::SubAck,
                code: code.byte(),
            }
        } else {
            EncodeError::NeedsMqtt5 {
                packet: PacketType::SubAck,
                what: "reason codes other than 0, 1, 2 and 0x80",
            }
        });
    }
    write_packet_id(PacketType::SubAck, suback.packet_id, out)?;
    write_properties(
        &suback.properties,
        version.is_v5(),
        PacketType::SubAck,
        PacketKind::SubAck.into(),
        out,
    )?;
    for code in &suback.reason_codes {
        out.write_u8(code.byte());
    }
    Ok(())
}

fn write_unsubscribe(
    unsubscribe: &Unsubscribe,
    v5: bool,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    if unsubscribe.filters.is_empty() {
        return Err(EncodeError::NoTopicFilters {
            packet: PacketType::Unsubscribe,
        });
    }
    write_packet_id(PacketType::Unsubscribe, unsubscribe.packet_id, out)?;
    write_properties(
        &unsubscribe.properties,
        v5,
        PacketType::Unsubscribe,
        PacketKind::Unsubscribe.into(),
        out,
    )?;
    for filter in &unsubscribe.filters {
        write_prefixed(out, Field::UnsubscribeFilter, filter.as_bytes())?;
    }
    Ok(())
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP: the packet id alone in 3.x, where every ack is a success. MQTT 5
/// adds a reason code and properties, written in the short forms when they say nothing (section 3.4.2.1).
fn write_publish_ack(
    packet: PacketType,
    kind: PacketKind,
    ack: &PublishAck,
    v5: bool,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    check_reason_code(ack.reason_code, v5, packet, kind)?;
    write_packet_id(packet, ack.packet_id, out)?;
    write_optional_code_and_properties(
        ack.reason_code,
        &ack.properties,
        v5,
        packet,
        kind.into(),
        out,
    )
}

/// The tail of MQTT 5's acks and DISCONNECT: nothing for Success without properties, the code alone
/// without properties, else both. In 3.x: nothing, and no properties allowed.
fn write_optional_code_and_properties(
    code: ReasonCode,
    properties: &PacketProperties,
    v5: bool,
    packet: PacketType,
    context: PropertyContext,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    match properties.get() {
        Some(_) if !v5 => Err(EncodeError::NeedsMqtt5 {
            packet,
            what: "properties",
        }),
        _ if !v5 => Ok(()),
        None if code == ReasonCode::SUCCESS => Ok(()),
        None => {
            out.write_u8(code.0);
            Ok(())
        }
        Some(list) => {
            out.write_u8(code.0);
            write_property_list(list, context, out)
        }
    }
}

fn write_unsuback(unsuback: &UnsubAck, v5: bool, out: &mut impl Sink) -> Result<(), EncodeError> {
    if !v5 && !unsuback.reason_codes.is_empty() {
        return Err(EncodeError::ReasonCodesNeedMqtt5 {
            packet: PacketType::UnsubAck,
        });
    }
    if v5 && unsuback.reason_codes.is_empty() {
        // One code per filter of the UNSUBSCRIBE [MQTT-3.11.3-1]: there is at least one.
        return Err(EncodeError::NoReturnCodes);
    }
    for &code in &unsuback.reason_codes {
        check_reason_code(code, v5, PacketType::UnsubAck, PacketKind::UnsubAck)?;
    }
    write_packet_id(PacketType::UnsubAck, unsuback.packet_id, out)?;
    write_properties(
        &unsuback.properties,
        v5,
        PacketType::UnsubAck,
        PacketKind::UnsubAck.into(),
        out,
    )?;
    for code in &unsuback.reason_codes {
        out.write_u8(code.0);
    }
    Ok(())
}

fn write_disconnect(
    disconnect: &Disconnect,
    v5: bool,
    out: &mut impl Sink,
) -> Result<(), EncodeError> {
    check_reason_code(
        disconnect.reason_code,
        v5,
        PacketType::Disconnect,
        PacketKind::Disconnect,
    )?;
    write_optional_code_and_properties(
        disconnect.reason_code,
        &disconnect.properties,
        v5,
        PacketType::Disconnect,
        PacketKind::Disconnect.into(),
        out,
    )
}

fn write_auth(auth: &Auth, v5: bool, out: &mut impl Sink) -> Result<(), EncodeError> {
    if !v5 {
        return Err(EncodeError::NeedsMqtt5 {
            packet: PacketType::Auth,
            what: "packets",
        });
    }
    check_reason_code(auth.reason_code, v5, PacketType::Auth, PacketKind::Auth)?;
    let len = auth.body_len();
    if len > 0 {
        auth.properties.validate(PacketKind::Auth.into())?;
    }
    out.write_encoded(len, |buf| auth.encode_body(buf));
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
