//! A minimal MQTT 3.1.1 encoder/decoder: just the packets the benchmark needs.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub const CONNECT: u8 = 1;
pub const CONNACK: u8 = 2;
pub const PUBLISH: u8 = 3;
pub const PUBACK: u8 = 4;
pub const PUBREC: u8 = 5;
pub const PUBREL: u8 = 6;
pub const PUBCOMP: u8 = 7;
pub const SUBSCRIBE: u8 = 8;
pub const SUBACK: u8 = 9;
pub const UNSUBSCRIBE: u8 = 10;
pub const PINGREQ: u8 = 12;
pub const DISCONNECT: u8 = 14;

fn put_len(out: &mut Vec<u8>, mut len: usize) {
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

pub fn connect(out: &mut Vec<u8>, client_id: &str, keepalive: u16) {
    let body_len = 10 + 2 + client_id.len();
    out.push(CONNECT << 4);
    put_len(out, body_len);
    put_str(out, b"MQTT");
    out.push(4); // protocol level 3.1.1
    out.push(0x02); // clean session
    out.extend_from_slice(&keepalive.to_be_bytes());
    put_str(out, client_id.as_bytes());
}

pub fn connack(out: &mut Vec<u8>) {
    out.extend_from_slice(&[CONNACK << 4, 2, 0, 0]);
}

pub fn subscribe(out: &mut Vec<u8>, pid: u16, topic: &str, qos: u8) {
    out.push((SUBSCRIBE << 4) | 0x02);
    put_len(out, 2 + 2 + topic.len() + 1);
    out.extend_from_slice(&pid.to_be_bytes());
    put_str(out, topic.as_bytes());
    out.push(qos);
}

pub fn suback(out: &mut Vec<u8>, pid: u16, granted: &[u8]) {
    out.push(SUBACK << 4);
    put_len(out, 2 + granted.len());
    out.extend_from_slice(&pid.to_be_bytes());
    out.extend_from_slice(granted);
}

/// PUBLISH with `payload_len` bytes of payload: `seq` (u32 BE) then filler.
pub fn publish_seq(out: &mut Vec<u8>, topic: &str, qos: u8, pid: u16, seq: u32, payload_len: usize) {
    let pid_len = if qos > 0 { 2 } else { 0 };
    out.push((PUBLISH << 4) | (qos << 1));
    put_len(out, 2 + topic.len() + pid_len + payload_len);
    put_str(out, topic.as_bytes());
    if qos > 0 {
        out.extend_from_slice(&pid.to_be_bytes());
    }
    let seq_bytes = seq.to_be_bytes();
    let head = payload_len.min(4);
    out.extend_from_slice(&seq_bytes[..head]);
    out.resize(out.len() + (payload_len - head), b'x');
}

pub fn publish_raw(out: &mut Vec<u8>, topic: &str, qos: u8, pid: u16, payload: &[u8]) {
    let pid_len = if qos > 0 { 2 } else { 0 };
    out.push((PUBLISH << 4) | (qos << 1));
    put_len(out, 2 + topic.len() + pid_len + payload.len());
    put_str(out, topic.as_bytes());
    if qos > 0 {
        out.extend_from_slice(&pid.to_be_bytes());
    }
    out.extend_from_slice(payload);
}

/// PUBACK, PUBREC, PUBREL (flags 0b0010), PUBCOMP, UNSUBACK.
pub fn ack(out: &mut Vec<u8>, kind: u8, pid: u16) {
    let flags = if kind == PUBREL { 0x02 } else { 0 };
    out.push((kind << 4) | flags);
    out.push(2);
    out.extend_from_slice(&pid.to_be_bytes());
}

pub fn pingresp(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0xD0, 0]);
}

pub fn disconnect(out: &mut Vec<u8>) {
    out.extend_from_slice(&[DISCONNECT << 4, 0]);
}

/// One decoded packet: its fixed-header byte and where its body lies in the read buffer.
#[derive(Clone, Copy, Debug)]
pub struct Pkt {
    pub first: u8,
    pub start: usize,
    pub end: usize,
}

impl Pkt {
    pub fn kind(&self) -> u8 {
        self.first >> 4
    }
    pub fn qos(&self) -> u8 {
        (self.first >> 1) & 3
    }
}

/// A PUBLISH body split into its parts.
pub struct Publish<'a> {
    pub topic: &'a [u8],
    pub pid: u16,
    pub payload: &'a [u8],
}

pub fn parse_publish(body: &[u8], qos: u8) -> io::Result<Publish<'_>> {
    if body.len() < 2 {
        return Err(bad("short PUBLISH"));
    }
    let tlen = u16::from_be_bytes([body[0], body[1]]) as usize;
    let mut pos = 2 + tlen;
    if body.len() < pos {
        return Err(bad("short PUBLISH topic"));
    }
    let topic = &body[2..pos];
    let mut pid = 0;
    if qos > 0 {
        if body.len() < pos + 2 {
            return Err(bad("short PUBLISH packet id"));
        }
        pid = u16::from_be_bytes([body[pos], body[pos + 1]]);
        pos += 2;
    }
    Ok(Publish { topic, pid, payload: &body[pos..] })
}

pub fn pid_of(body: &[u8]) -> u16 {
    if body.len() >= 2 {
        u16::from_be_bytes([body[0], body[1]])
    } else {
        0
    }
}

pub fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// A TCP connection with a growable read buffer and a packet decoder.
pub struct Conn {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Bytes returned by the last read.
    pub last_read: usize,
}

impl Conn {
    pub fn new(stream: TcpStream) -> Conn {
        let _ = stream.set_nodelay(true);
        Conn { stream, buf: vec![0; 1024 * 1024], pos: 0, len: 0, last_read: 0 }
    }

    /// Connects and completes the CONNECT/CONNACK handshake.
    pub fn open(addr: &str, client_id: &str) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        let mut conn = Conn::new(stream);
        let mut out = Vec::new();
        connect(&mut out, client_id, 60);
        conn.stream.write_all(&out)?;
        let p = conn.wait_for(CONNACK)?;
        let body = &conn.buf[p.start..p.end];
        if body.len() != 2 || body[1] != 0 {
            return Err(bad(&format!("CONNACK refused: {body:?}")));
        }
        Ok(conn)
    }

    /// Subscribes and waits for the SUBACK (fails on a refused subscription).
    pub fn subscribe(&mut self, topic: &str, qos: u8) -> io::Result<()> {
        let mut out = Vec::new();
        subscribe(&mut out, 1, topic, qos);
        self.stream.write_all(&out)?;
        let p = self.wait_for(SUBACK)?;
        let body = &self.buf[p.start..p.end];
        if body.len() < 3 || body[2] & 0x80 != 0 {
            return Err(bad(&format!("SUBACK refused: {body:?}")));
        }
        Ok(())
    }

    /// Reads until a packet of `kind` arrives; any other packet is an error.
    pub fn wait_for(&mut self, kind: u8) -> io::Result<Pkt> {
        loop {
            if let Some(p) = self.next()? {
                if p.kind() == kind {
                    return Ok(p);
                }
                return Err(bad(&format!("expected packet type {kind}, got {}", p.kind())));
            }
            self.fill()?;
        }
    }

    /// Next complete packet in the buffer, if any.
    pub fn next(&mut self) -> io::Result<Option<Pkt>> {
        let avail = self.len - self.pos;
        if avail < 2 {
            return Ok(None);
        }
        let b = &self.buf[self.pos..self.len];
        let mut rem: usize = 0;
        let mut mult: usize = 1;
        let mut i = 1;
        loop {
            if i >= b.len() {
                return Ok(None);
            }
            if i > 4 {
                return Err(bad("malformed remaining length"));
            }
            let byte = b[i];
            rem += (byte & 0x7f) as usize * mult;
            mult *= 128;
            i += 1;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let total = i + rem;
        if avail < total {
            if total > self.buf.len() {
                // Make room for a packet larger than the buffer.
                self.buf.copy_within(self.pos..self.len, 0);
                self.len -= self.pos;
                self.pos = 0;
                self.buf.resize(total.next_power_of_two(), 0);
            }
            return Ok(None);
        }
        let p = Pkt { first: b[0], start: self.pos + i, end: self.pos + total };
        self.pos += total;
        Ok(Some(p))
    }

    /// Reads more bytes (blocking). EOF is an error.
    pub fn fill(&mut self) -> io::Result<()> {
        if self.pos == self.len {
            self.pos = 0;
            self.len = 0;
        } else if self.len == self.buf.len() {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
        }
        if self.len == self.buf.len() {
            let n = self.buf.len() * 2;
            self.buf.resize(n, 0);
        }
        let n = self.stream.read(&mut self.buf[self.len..])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed by peer"));
        }
        self.len += n;
        self.last_read = n;
        Ok(())
    }

    /// Bytes read but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.len - self.pos
    }

    pub fn set_timeout(&self, t: Option<Duration>) {
        let _ = self.stream.set_read_timeout(t);
    }
}
