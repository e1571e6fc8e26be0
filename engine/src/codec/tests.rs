//! encode -> decode round trips across the whole packet space, and decoding hostile input without panics.
//! Packets come from the seeded generator in `random`, so every failure reproduces.

use bytes::{BufMut, Bytes, BytesMut};

use super::random::Rng;
use super::*;

const V311: ProtocolVersion = ProtocolVersion::V311;
const V5: ProtocolVersion = ProtocolVersion::V5;
const ALL_VERSIONS: [ProtocolVersion; 3] = [ProtocolVersion::V31, V311, V5];

fn round_trip(packet: &Packet, version: ProtocolVersion) -> Packet {
    let mut buf = BytesMut::new();
    encode(packet, version, &mut buf).unwrap_or_else(|e| panic!("{e}: {packet:?}"));
    assert_eq!(encoded_len(packet, version), Ok(buf.len()));
    let decoded =
        decode(&mut buf, version, usize::MAX).unwrap_or_else(|e| panic!("{e}: {packet:?}"));
    assert!(buf.is_empty());
    decoded.expect("complete packet")
}

#[test]
fn every_fixture_packet_survives_encode_then_decode() {
    for fixture in super::fixtures::all() {
        assert_eq!(
            round_trip(&fixture.packet, fixture.version),
            fixture.packet,
            "{}",
            fixture.name
        );
    }
}

#[test]
fn publish_round_trips_at_each_remaining_length_boundary() {
    // Topic "t" (3 bytes) + packet id (2 bytes) + payload = remaining length.
    for (remaining_len, length_bytes) in [
        (127, 1),
        (128, 2),
        (16_383, 2),
        (16_384, 3),
        (2_097_151, 3),
        (2_097_152, 4),
    ] {
        let packet = Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "t".into(),
            packet_id: Some(9),
            payload: Bytes::from(vec![0x5A; remaining_len - 5]),
            properties: PacketProperties::NONE,
        });
        assert_eq!(
            encoded_len(&packet, V311),
            Ok(1 + length_bytes + remaining_len)
        );
        assert_eq!(
            round_trip(&packet, V311),
            packet,
            "remaining length {remaining_len}"
        );
    }
}

#[test]
fn ten_thousand_random_packets_survive_encode_then_decode() {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    for _ in 0..10_000 {
        let version = ALL_VERSIONS[rng.below(3)];
        let packet = rng.packet(version);
        assert_eq!(round_trip(&packet, version), packet, "{version:?}");
    }
}

#[test]
fn every_mqtt_5_packet_type_comes_out_of_the_generator_with_and_without_properties() {
    let mut rng = Rng::new(5);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..2_000 {
        let packet = rng.packet(V5);
        let has_properties = match &packet {
            Packet::Publish(publish) => !publish.properties.is_empty(),
            Packet::PubAck(ack) => !ack.properties.is_empty(),
            Packet::Auth(_) => true,
            _ => false,
        };
        seen.insert((packet.packet_type(), has_properties));
    }
    for packet_type in (1..=15).filter_map(PacketType::from_wire) {
        assert!(
            seen.iter().any(|(seen, _)| *seen == packet_type),
            "{packet_type}"
        );
    }
    assert!(seen.contains(&(PacketType::Publish, true)));
    assert!(seen.contains(&(PacketType::Publish, false)));
    assert!(seen.contains(&(PacketType::PubAck, true)));
}

#[test]
fn a_random_stream_split_into_random_chunks_decodes_to_the_same_packets() {
    for version in [V311, V5] {
        random_stream_in_chunks(version);
    }
}

fn random_stream_in_chunks(version: ProtocolVersion) {
    let mut rng = Rng::new(42);
    let packets: Vec<Packet> = (0..2_000).map(|_| rng.packet(version)).collect();
    let mut wire = BytesMut::new();
    for packet in &packets {
        encode(packet, version, &mut wire).unwrap();
    }

    let mut read_buf = BytesMut::new();
    let mut decoded = Vec::new();
    let mut wire = wire.freeze();
    while !wire.is_empty() {
        let chunk = wire.split_to((1 + rng.below(300)).min(wire.len()));
        read_buf.put_slice(&chunk);
        while let Some(packet) = decode(&mut read_buf, version, usize::MAX).unwrap() {
            decoded.push(packet);
        }
    }
    assert!(read_buf.is_empty());
    assert_eq!(decoded, packets);
}

/// Decodes until the buffer is exhausted, an error occurs or more input is needed. Only panics matter here.
fn decode_everything(bytes: &[u8], version: ProtocolVersion, max_packet_size: usize) {
    let mut buf = BytesMut::from(bytes);
    while let Ok(Some(_)) = decode(&mut buf, version, max_packet_size) {}
}

#[test]
fn random_bytes_never_panic_the_decoder() {
    let mut rng = Rng::new(7);
    for _ in 0..20_000 {
        let mut bytes = rng.bytes(64).to_vec();
        // Bias towards plausible headers so the body parsers are reached, not just the type check.
        if let Some(first) = bytes.first_mut() {
            *first = (*first & 0x0F) | ((1 + rng.below(15) as u8) << 4);
        }
        if bytes.len() > 1 {
            bytes[1] = rng.below(bytes.len()) as u8;
        }
        for version in [V311, V5] {
            decode_everything(&bytes, version, 1 + rng.below(100));
            decode_everything(&bytes, version, usize::MAX);
        }
    }
}

#[test]
fn valid_packets_with_one_corrupted_byte_never_panic_the_decoder() {
    let mut rng = Rng::new(99);
    for round in 0..20_000 {
        let version = if round % 2 == 0 { V311 } else { V5 };
        let mut wire = BytesMut::new();
        encode(&rng.packet(version), version, &mut wire).unwrap();
        let index = rng.below(wire.len());
        wire[index] = rng.byte();
        let cut = rng.below(wire.len() + 1);
        decode_everything(&wire[..cut], version, usize::MAX);
        decode_everything(&wire, version, usize::MAX);
    }
}
