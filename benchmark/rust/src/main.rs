//! Raw-protocol companion of the mqtt-napi benchmark (std only, MQTT 3.1.1).
//!
//!   mqtt-bench-raw peer [--port P]
//!       Synthetic broker-less peer. Prints `LISTENING <port>`, then serves
//!       clients: CONNACK, SUBACK, PUBACK, PUBREC/PUBCOMP, PINGRESP. A
//!       subscription to `flood/<count>/<size>` makes it send <count> QoS 0
//!       PUBLISH packets of <size> bytes on that topic as fast as the socket
//!       takes them. A QoS 1 PUBLISH on topic `fence` whose payload is a decimal
//!       number N is acknowledged only if exactly N QoS 0 PUBLISH packets came
//!       before it on the connection; otherwise the peer closes the connection.
//!
//!   mqtt-bench-raw flood --port P --topic T --count N --size S [--start K]
//!       Connects to a broker and publishes N QoS 0 messages (payload: u32 BE
//!       sequence number from K, then filler) as fast as possible, then
//!       DISCONNECT. Prints one JSON line.
//!
//!   mqtt-bench-raw ceiling <scenario> --port P [--count N --size S --window W]
//!       The raw client running a benchmark scenario; prints one JSON line:
//!       {"ok":true,"metrics":{...}} or {"ok":false,"error":"..."}.
//!       scenarios: qos0 qos1 qos2 receive large (through a broker),
//!                  peer-recv peer-pub0 peer-pub1 (against `peer`).

mod mqtt;

use mqtt::{Conn, Pkt};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

struct Args {
    pos: Vec<String>,
    opts: HashMap<String, String>,
}

impl Args {
    fn parse() -> Args {
        let mut pos = Vec::new();
        let mut opts = HashMap::new();
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            if let Some(k) = a.strip_prefix("--") {
                let v = it.next().unwrap_or_default();
                opts.insert(k.to_string(), v);
            } else {
                pos.push(a);
            }
        }
        Args { pos, opts }
    }
    fn str(&self, k: &str, d: &str) -> String {
        self.opts.get(k).cloned().unwrap_or_else(|| d.to_string())
    }
    fn num(&self, k: &str, d: u64) -> u64 {
        match self.opts.get(k) {
            Some(v) => v.parse().unwrap_or_else(|_| die(&format!("--{k}: not a number: {v}"))),
            None => d,
        }
    }
}

fn die(msg: &str) -> ! {
    println!("{{\"ok\":false,\"error\":{}}}", json_str(msg));
    std::process::exit(1)
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[repr(C)]
struct Timeval {
    sec: i64,
    usec: i64,
}

#[repr(C)]
struct Rusage {
    utime: Timeval,
    stime: Timeval,
    rest: [i64; 14],
}

extern "C" {
    fn getrusage(who: i32, usage: *mut Rusage) -> i32;
}

/// Process CPU time (user + system, all threads) in seconds.
fn cpu_seconds() -> f64 {
    let mut u = Rusage { utime: Timeval { sec: 0, usec: 0 }, stime: Timeval { sec: 0, usec: 0 }, rest: [0; 14] };
    // SAFETY: RUSAGE_SELF (0) fills the struct, which matches Linux x86_64/aarch64's `struct rusage`.
    if unsafe { getrusage(0, &mut u) } != 0 {
        return 0.0;
    }
    let t = |v: &Timeval| v.sec as f64 + v.usec as f64 / 1e6;
    t(&u.utime) + t(&u.stime)
}

fn main() {
    let args = Args::parse();
    let cmd = args.pos.first().cloned().unwrap_or_default();
    let result = match cmd.as_str() {
        "peer" => peer(&args).map(|_| String::new()),
        "flood" => flood_cmd(&args),
        "ceiling" => ceiling(&args),
        _ => die("usage: mqtt-bench-raw peer|flood|ceiling ... (see src/main.rs)"),
    };
    match result {
        Ok(line) => {
            if !line.is_empty() {
                println!("{line}");
            }
        }
        Err(e) => die(&e.to_string()),
    }
}

fn addr(args: &Args) -> String {
    format!("{}:{}", args.str("host", "127.0.0.1"), args.num("port", 1883))
}

fn client_id(tag: &str) -> String {
    format!("raw-{tag}-{}-{}", std::process::id(), Instant::now().elapsed().as_nanos() % 1_000_000)
}

// ---------------------------------------------------------------- flood ----

/// Publishes `count` QoS 0 messages with sequence numbers from `start`, then DISCONNECT.
fn flood_publish(addr: &str, topic: &str, count: u64, size: usize, start: u64) -> io::Result<f64> {
    let mut conn = Conn::open(addr, &client_id("flood"))?;
    let t0 = Instant::now();
    let mut out = Vec::with_capacity(256 * 1024);
    for i in 0..count {
        mqtt::publish_seq(&mut out, topic, 0, 0, (start + i) as u32, size);
        if out.len() >= 128 * 1024 {
            conn.stream.write_all(&out)?;
            out.clear();
        }
    }
    mqtt::disconnect(&mut out);
    conn.stream.write_all(&out)?;
    conn.stream.flush()?;
    let _ = conn.stream.shutdown(std::net::Shutdown::Write);
    Ok(t0.elapsed().as_secs_f64())
}

fn flood_cmd(args: &Args) -> io::Result<String> {
    let count = args.num("count", 100_000);
    let secs = flood_publish(
        &addr(args),
        &args.str("topic", "bench/flood"),
        count,
        args.num("size", 64) as usize,
        args.num("start", 0),
    )?;
    Ok(format!("{{\"ok\":true,\"sent\":{count},\"secs\":{secs:.6}}}"))
}

// ------------------------------------------------------------- receiver ----

/// When the last read returned little data (< 16 KiB), sleep this long (µs;
/// env COALESCE_US, default 200) before the next one so that data accumulates:
/// waking up for every small TCP segment costs the broker more than it costs
/// the client.
fn coalesce_us() -> u64 {
    std::env::var("COALESCE_US").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}

struct Received {
    count: u64,
    first: Instant,
    last: Instant,
}

/// Reads `count` PUBLISH packets on `conn`, acknowledging QoS 1/2 ones.
/// With `check_seq`, payloads must carry consecutive sequence numbers from 0.
fn receive(conn: &mut Conn, count: u64, check_seq: bool) -> io::Result<Received> {
    let mut got = 0u64;
    let mut first = None;
    let mut last = Instant::now();
    let mut out = Vec::new();
    let coalesce_us = coalesce_us();
    conn.set_timeout(Some(Duration::from_secs(20)));
    while got < count {
        while let Some(p) = conn.next()? {
            handle_incoming(conn, p, &mut out, &mut |payload| {
                if check_seq {
                    let seq = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) as u64;
                    if seq != got {
                        return Err(mqtt::bad(&format!("message {got} has sequence number {seq}")));
                    }
                }
                got += 1;
                Ok(())
            })?;
        }
        if !out.is_empty() {
            conn.stream.write_all(&out)?;
            out.clear();
        }
        let now = Instant::now();
        if first.is_none() && got > 0 {
            first = Some(now);
        }
        last = now;
        if got < count {
            if coalesce_us > 0 && conn.last_read < 16 * 1024 && conn.buffered() < 16 * 1024 {
                // Let data accumulate instead of waking up for every segment.
                thread::sleep(Duration::from_micros(coalesce_us));
            }
            conn.fill().map_err(|e| io::Error::new(e.kind(), format!("after {got} of {count} messages: {e}")))?;
        }
    }
    Ok(Received { count: got, first: first.unwrap_or(last), last })
}

fn handle_incoming(
    conn: &Conn,
    p: Pkt,
    out: &mut Vec<u8>,
    on_msg: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let body = &conn.buf[p.start..p.end];
    match p.kind() {
        mqtt::PUBLISH => {
            let m = mqtt::parse_publish(body, p.qos())?;
            match p.qos() {
                1 => mqtt::ack(out, mqtt::PUBACK, m.pid),
                2 => mqtt::ack(out, mqtt::PUBREC, m.pid),
                _ => {}
            }
            on_msg(m.payload)
        }
        mqtt::PUBREL => {
            mqtt::ack(out, mqtt::PUBCOMP, mqtt::pid_of(body));
            Ok(())
        }
        13 => Ok(()), // PINGRESP
        k => Err(mqtt::bad(&format!("unexpected packet type {k} on subscriber"))),
    }
}

// ------------------------------------------------------------ publisher ----

/// Packet ids in flight, shared by the writer and the reader of a pipelined
/// publisher: one byte per id (no allocation per message).
struct InFlight {
    state: Vec<AtomicU8>,
}

const FREE: u8 = 0;
const SENT: u8 = 1;
const RELEASED: u8 = 2;

/// What the reader tells the writer: acknowledged count, PUBRELs to send, the end.
struct Progress {
    done: AtomicU64,
    pubrels: Mutex<Vec<u16>>,
    failed: AtomicBool,
    writer: thread::Thread,
    writer_parked: AtomicBool,
}

impl Progress {
    fn wake_writer(&self) {
        // SeqCst with the writer's store-then-check: one of the two sees the other.
        if self.writer_parked.load(Ordering::SeqCst) {
            self.writer.unpark();
        }
    }
}

/// Publishes `count` messages at `qos` keeping up to `window` unacknowledged;
/// returns when every one is acknowledged (QoS 1 PUBACK, QoS 2 PUBCOMP).
///
/// Pipelined as hard as the protocol allows: one thread writes (publishes,
/// and PUBRELs as soon as their PUBREC arrives), the calling thread reads the
/// acknowledgements, so neither waits for the other; each batch of packets
/// goes out in one write, and nothing is allocated per message.
fn publish_window(conn: &mut Conn, topic: &str, count: u64, size: usize, qos: u8, window: u64) -> io::Result<()> {
    let mut writer_stream = conn.stream.try_clone()?;
    let in_flight = Arc::new(InFlight { state: (0..=u16::MAX as usize).map(|_| AtomicU8::new(FREE)).collect() });
    let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Progress>>(1);
    let topic = topic.to_string();
    let flights = in_flight.clone();
    let writer = thread::spawn(move || -> io::Result<()> {
        let progress = rx.recv().map_err(|_| mqtt::bad("no progress handle"))?;
        let mut sent = 0u64;
        let mut next_pid: u16 = 0;
        let mut out = Vec::with_capacity(256 * 1024);
        let mut pubrels = Vec::new();
        // Writes wait for this much to send (an eighth of the window): one large
        // write instead of one per acknowledgement, which on 2 cores made the
        // broker wake up for every small segment (-25 % QoS 1).
        let batch = (window / 8).max(1);
        loop {
            if progress.failed.load(Ordering::Acquire) {
                return Ok(());
            }
            let done = progress.done.load(Ordering::Acquire);
            let free = window - (sent - done);
            let rels = progress.pubrels.lock().unwrap().len() as u64;
            let ready =
                (sent < count && free >= batch.min(count - sent)) || rels >= batch || (sent == count && rels > 0);
            if ready {
                std::mem::swap(&mut pubrels, &mut *progress.pubrels.lock().unwrap());
                for pid in pubrels.drain(..) {
                    mqtt::ack(&mut out, mqtt::PUBREL, pid);
                }
            }
            while ready && sent < count && sent - done < window && out.len() < 256 * 1024 {
                next_pid = if next_pid == u16::MAX { 1 } else { next_pid + 1 };
                if flights.state[next_pid as usize].swap(SENT, Ordering::AcqRel) != FREE {
                    return Err(mqtt::bad("packet id space exhausted"));
                }
                mqtt::publish_seq(&mut out, &topic, qos, next_pid, sent as u32, size);
                sent += 1;
            }
            if !out.is_empty() {
                writer_stream.write_all(&out)?;
                out.clear();
                continue;
            }
            if done >= count {
                return Ok(());
            }
            // Not enough to send until more acknowledgements come: spin briefly, then park.
            let mut spins = 0;
            while spins < 200
                && progress.done.load(Ordering::Acquire) == done
                && progress.pubrels.lock().unwrap().len() as u64 == rels
                && !progress.failed.load(Ordering::Acquire)
            {
                std::hint::spin_loop();
                spins += 1;
            }
            if spins == 200 {
                progress.writer_parked.store(true, Ordering::SeqCst);
                if progress.done.load(Ordering::SeqCst) == done && progress.pubrels.lock().unwrap().len() as u64 == rels
                {
                    thread::park_timeout(Duration::from_millis(50));
                }
                progress.writer_parked.store(false, Ordering::Release);
            }
        }
    });
    let progress = Arc::new(Progress {
        done: AtomicU64::new(0),
        pubrels: Mutex::new(Vec::new()),
        failed: AtomicBool::new(false),
        writer: writer.thread().clone(),
        writer_parked: AtomicBool::new(false),
    });
    tx.send(progress.clone()).map_err(|_| mqtt::bad("writer gone"))?;
    let read = read_acks(conn, &in_flight, &progress, count, qos);
    if read.is_err() {
        progress.failed.store(true, Ordering::Release);
        progress.writer.unpark();
    }
    let written = writer.join().map_err(|_| mqtt::bad("writer panicked"))?;
    read.and(written)
}

/// The reading half of `publish_window`.
fn read_acks(conn: &mut Conn, in_flight: &InFlight, progress: &Progress, count: u64, qos: u8) -> io::Result<()> {
    conn.set_timeout(Some(Duration::from_secs(20)));
    let coalesce_us = coalesce_us();
    let mut done = 0u64;
    while done < count {
        if coalesce_us > 0 && conn.last_read > 0 && conn.last_read < 16 * 1024 && conn.buffered() < 16 * 1024 {
            // As the receiver does: let acknowledgements accumulate (see `coalesce_us`).
            thread::sleep(Duration::from_micros(coalesce_us));
        }
        conn.fill().map_err(|e| io::Error::new(e.kind(), format!("after {done} of {count} acks: {e}")))?;
        let mut released = false;
        while let Some(p) = conn.next()? {
            let pid = mqtt::pid_of(&conn.buf[p.start..p.end]);
            let state = &in_flight.state[pid as usize];
            match (p.kind(), qos) {
                (mqtt::PUBACK, 1) | (mqtt::PUBCOMP, 2) => {
                    let expected = if qos == 1 { SENT } else { RELEASED };
                    if state.swap(FREE, Ordering::AcqRel) != expected {
                        return Err(mqtt::bad(&format!("unexpected ack for packet id {pid}")));
                    }
                    done += 1;
                }
                (mqtt::PUBREC, 2) => {
                    if state.swap(RELEASED, Ordering::AcqRel) != SENT {
                        return Err(mqtt::bad(&format!("PUBREC for unknown packet id {pid}")));
                    }
                    progress.pubrels.lock().unwrap().push(pid);
                    released = true;
                }
                (13, _) => {}
                (k, _) => return Err(mqtt::bad(&format!("unexpected packet type {k} on publisher"))),
            }
        }
        // One store and at most one wake-up per read, not per acknowledgement.
        progress.done.store(done, Ordering::SeqCst);
        if released || done > 0 {
            progress.wake_writer();
        }
    }
    Ok(())
}

// -------------------------------------------------------------- ceiling ----

fn ceiling(args: &Args) -> io::Result<String> {
    let scenario = args.pos.get(1).cloned().unwrap_or_default();
    let addr = addr(args);
    let count = args.num("count", 100_000);
    let size = args.num("size", 64) as usize;
    let window = args.num("window", 1000);
    let topic = format!("bench/raw/{}/{}", std::process::id(), scenario);
    match scenario.as_str() {
        "qos0" => {
            // Two connections through the broker, as the Node scenario.
            let mut sub = Conn::open(&addr, &client_id("sub"))?;
            sub.subscribe(&topic, 0)?;
            let mut publ = Conn::open(&addr, &client_id("pub"))?;
            let (c0, t0) = (cpu_seconds(), Instant::now());
            let h = thread::spawn(move || receive(&mut sub, count, true));
            let mut out = Vec::with_capacity(256 * 1024);
            for i in 0..count {
                mqtt::publish_seq(&mut out, &topic, 0, 0, i as u32, size);
                if out.len() >= 128 * 1024 {
                    publ.stream.write_all(&out)?;
                    out.clear();
                }
            }
            publ.stream.write_all(&out)?;
            let r = h.join().map_err(|_| mqtt::bad("receiver panicked"))??;
            let secs = (r.last - t0).as_secs_f64();
            let cpu = cpu_seconds() - c0;
            Ok(format!(
                "{{\"ok\":true,\"metrics\":{{\"rate\":{:.1},\"cpuPer100k\":{:.4}}},\"info\":{{\"count\":{},\"secs\":{secs:.4}}}}}",
                r.count as f64 / secs,
                cpu * 100_000.0 / r.count as f64,
                r.count
            ))
        }
        "qos1" | "qos2" | "peer-pub1" => {
            let qos = if scenario == "qos2" { 2 } else { 1 };
            let mut conn = Conn::open(&addr, &client_id("pub"))?;
            let (c0, t0) = (cpu_seconds(), Instant::now());
            publish_window(&mut conn, &topic, count, size, qos, window)?;
            let secs = t0.elapsed().as_secs_f64();
            let cpu = cpu_seconds() - c0;
            Ok(format!(
                "{{\"ok\":true,\"metrics\":{{\"rate\":{:.1},\"cpuPer100k\":{:.4}}},\"info\":{{\"count\":{count},\"secs\":{secs:.4}}}}}",
                count as f64 / secs,
                cpu * 100_000.0 / count as f64
            ))
        }
        "receive" | "peer-recv" => {
            let mut sub = Conn::open(&addr, &client_id("sub"))?;
            let check_seq = scenario == "receive";
            let sub_topic = if check_seq { topic.clone() } else { format!("flood/{count}/{size}") };
            sub.subscribe(&sub_topic, 0)?;
            // The flood publisher runs in its own process, as it does for the
            // Node clients: its CPU is not the receiver's.
            let flooder = if check_seq {
                let port = addr.rsplit(':').next().unwrap_or_default().to_string();
                let child = std::process::Command::new(std::env::current_exe()?)
                    .args(["flood", "--port", &port, "--topic", &topic])
                    .args(["--count", &count.to_string(), "--size", &size.to_string()])
                    .stdout(std::process::Stdio::null())
                    .spawn()?;
                Some(child)
            } else {
                None
            };
            let c0 = cpu_seconds();
            let r = receive(&mut sub, count, check_seq)?;
            let cpu = cpu_seconds() - c0;
            if let Some(mut f) = flooder {
                let status = f.wait()?;
                if !status.success() {
                    return Err(mqtt::bad(&format!("flood publisher exited with {status}")));
                }
            }
            let secs = (r.last - r.first).as_secs_f64().max(1e-9);
            Ok(format!(
                "{{\"ok\":true,\"metrics\":{{\"rate\":{:.1},\"cpuPer100k\":{:.4}}},\"info\":{{\"count\":{},\"secs\":{secs:.4}}}}}",
                (r.count - 1) as f64 / secs,
                cpu * 100_000.0 / r.count as f64,
                r.count
            ))
        }
        "large" => {
            let mut sub = Conn::open(&addr, &client_id("sub"))?;
            sub.subscribe(&topic, 1)?;
            let mut publ = Conn::open(&addr, &client_id("pub"))?;
            let t0 = Instant::now();
            let h = thread::spawn(move || receive(&mut sub, count, true));
            publish_window(&mut publ, &topic, count, size, 1, window)?;
            let r = h.join().map_err(|_| mqtt::bad("receiver panicked"))??;
            let secs = t0.elapsed().as_secs_f64();
            Ok(format!(
                "{{\"ok\":true,\"metrics\":{{\"mibps\":{:.2}}},\"info\":{{\"count\":{},\"secs\":{secs:.4}}}}}",
                (r.count as f64 * size as f64 / 1048576.0) / secs,
                r.count
            ))
        }
        "peer-pub0" => {
            let mut conn = Conn::open(&addr, &client_id("pub"))?;
            let (c0, t0) = (cpu_seconds(), Instant::now());
            let mut out = Vec::with_capacity(256 * 1024);
            for i in 0..count {
                mqtt::publish_seq(&mut out, &topic, 0, 0, i as u32, size);
                if out.len() >= 128 * 1024 {
                    conn.stream.write_all(&out)?;
                    out.clear();
                }
            }
            mqtt::publish_raw(&mut out, "fence", 1, 1, count.to_string().as_bytes());
            conn.stream.write_all(&out)?;
            conn.set_timeout(Some(Duration::from_secs(20)));
            let p = conn
                .wait_for(mqtt::PUBACK)
                .map_err(|e| io::Error::new(e.kind(), format!("fence not acknowledged: {e}")))?;
            let _ = p;
            let secs = t0.elapsed().as_secs_f64();
            let cpu = cpu_seconds() - c0;
            Ok(format!(
                "{{\"ok\":true,\"metrics\":{{\"rate\":{:.1},\"cpuPer100k\":{:.4}}},\"info\":{{\"count\":{count},\"secs\":{secs:.4}}}}}",
                count as f64 / secs,
                cpu * 100_000.0 / count as f64
            ))
        }
        _ => Err(mqtt::bad(&format!("unknown ceiling scenario '{scenario}'"))),
    }
}

// ----------------------------------------------------------------- peer ----

fn peer(args: &Args) -> io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", args.num("port", 0) as u16))?;
    println!("LISTENING {}", listener.local_addr()?.port());
    io::stdout().flush()?;
    for stream in listener.incoming() {
        match stream {
            Ok(s) => {
                thread::spawn(move || {
                    if let Err(e) = peer_conn(s) {
                        if e.kind() != io::ErrorKind::UnexpectedEof && e.kind() != io::ErrorKind::ConnectionReset {
                            eprintln!("peer: connection error: {e}");
                        }
                    }
                });
            }
            Err(e) => eprintln!("peer: accept failed: {e}"),
        }
    }
    Ok(())
}

fn peer_conn(stream: TcpStream) -> io::Result<()> {
    let writer = Arc::new(Mutex::new(stream.try_clone()?));
    let mut conn = Conn::new(stream);
    let mut out = Vec::new();
    let mut qos0_count: u64 = 0;
    loop {
        while let Some(p) = conn.next()? {
            let body = &conn.buf[p.start..p.end];
            match p.kind() {
                mqtt::CONNECT => mqtt::connack(&mut out),
                mqtt::SUBSCRIBE => {
                    let pid = mqtt::pid_of(body);
                    let mut pos = 2;
                    let mut granted = Vec::new();
                    let mut floods = Vec::new();
                    while pos + 2 <= body.len() {
                        let tlen = u16::from_be_bytes([body[pos], body[pos + 1]]) as usize;
                        let topic = String::from_utf8_lossy(&body[pos + 2..pos + 2 + tlen]).to_string();
                        let qos = body[pos + 2 + tlen];
                        pos += 3 + tlen;
                        granted.push(qos.min(2));
                        let parts: Vec<&str> = topic.split('/').collect();
                        if parts.len() == 3 && parts[0] == "flood" {
                            let n: u64 = parts[1].parse().map_err(|_| mqtt::bad("bad flood count"))?;
                            let sz: usize = parts[2].parse().map_err(|_| mqtt::bad("bad flood size"))?;
                            floods.push((topic, n, sz));
                        }
                    }
                    mqtt::suback(&mut out, pid, &granted);
                    if !floods.is_empty() {
                        // The SUBACK goes first, then the flood.
                        writer.lock().unwrap().write_all(&out)?;
                        out.clear();
                        for (topic, n, sz) in floods {
                            let w = writer.clone();
                            thread::spawn(move || {
                                if let Err(e) = peer_flood(&w, &topic, n, sz) {
                                    eprintln!("peer: flood failed: {e}");
                                }
                            });
                        }
                    }
                }
                mqtt::PUBLISH => {
                    let m = mqtt::parse_publish(body, p.qos())?;
                    match p.qos() {
                        0 => qos0_count += 1,
                        1 => {
                            if m.topic == b"fence" {
                                let want: u64 = String::from_utf8_lossy(m.payload).trim().parse().unwrap_or(u64::MAX);
                                if want != qos0_count {
                                    eprintln!("peer: fence expected {want} QoS 0 messages, received {qos0_count}");
                                    let _ = conn.stream.shutdown(std::net::Shutdown::Both);
                                    return Ok(());
                                }
                            }
                            mqtt::ack(&mut out, mqtt::PUBACK, m.pid)
                        }
                        _ => mqtt::ack(&mut out, mqtt::PUBREC, m.pid),
                    }
                }
                mqtt::PUBREL => mqtt::ack(&mut out, mqtt::PUBCOMP, mqtt::pid_of(body)),
                mqtt::UNSUBSCRIBE => mqtt::ack(&mut out, 11, mqtt::pid_of(body)),
                mqtt::PINGREQ => mqtt::pingresp(&mut out),
                mqtt::DISCONNECT => {
                    if !out.is_empty() {
                        writer.lock().unwrap().write_all(&out)?;
                    }
                    return Ok(());
                }
                _ => {} // acks from the client
            }
        }
        if !out.is_empty() {
            writer.lock().unwrap().write_all(&out)?;
            out.clear();
        }
        conn.fill()?;
    }
}

/// Sends `count` pre-encoded QoS 0 PUBLISH packets as fast as the socket takes them.
fn peer_flood(writer: &Mutex<TcpStream>, topic: &str, count: u64, size: usize) -> io::Result<()> {
    let payload = vec![b'x'; size];
    let mut one = Vec::new();
    mqtt::publish_raw(&mut one, topic, 0, 0, &payload);
    let per_chunk = ((256 * 1024) / one.len()).max(1) as u64;
    let mut chunk = Vec::with_capacity(one.len() * per_chunk as usize);
    for _ in 0..per_chunk {
        chunk.extend_from_slice(&one);
    }
    let mut left = count;
    while left > 0 {
        let n = left.min(per_chunk);
        writer.lock().unwrap().write_all(&chunk[..one.len() * n as usize])?;
        left -= n;
    }
    Ok(())
}
