#!/usr/bin/env bash
# Install without Rust: packs mqtt-napi and its linux-x64-gnu platform package
# with `npm pack`, installs both into a fresh app with no cargo or rustc on
# PATH and no registry (npm --offline: the package has no runtime
# dependencies, and the other platforms' optional packages are skipped), and
# runs there, each against a real broker and each exiting by itself:
#   - a CommonJS script, an ES module script (default and named imports),
#   - a strict TypeScript file compiled with tsc against the installed types,
#   - the mqtt-napi CLI (sub -n 1 + pub),
#   - the drop-in: the same tarball installed under the name `mqtt`
#     (`mqtt@file:`, as `mqtt@npm:mqtt-napi` from a registry) running an
#     unmodified MQTT.js program, with require('mqtt') and import mqtt from 'mqtt'.
# Builds the release addon first if it is missing. Argument: the platform
# package to pack (default linux-x64-gnu; the workflow's Linux test jobs pass
# linux-x64-musl, linux-arm64-gnu, linux-arm64-musl).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

platform="${1:-linux-x64-gnu}"
binary="lib/mqtt-napi.$platform.node"
if [ ! -f "$binary" ] || [ ! -f lib/native.js ]; then
  echo "check-install: $binary missing, building it (npm run build)"
  npm run build --silent
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/mqtt-napi-install.XXXXXX")"
broker_pid=""
cleanup () {
  if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check () { # check NAME COMMAND...: runs one step, counts it
  local name="$1"; shift
  if "$@" > "$work/step.log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$work/step.log"
  fi
}

# --- the two tarballs -------------------------------------------------------
# The platform package gets its binary the way the release does (napi
# artifacts puts lib/*.node into npm/<platform>/); a copy keeps npm/ clean.
cp -r "npm/$platform" "$work/platform"
cp "$binary" "$work/platform/"
main_tgz="$work/$(npm pack --silent --pack-destination "$work" | tail -1)"
platform_tgz="$work/$(cd "$work/platform" && npm pack --silent --pack-destination "$work" | tail -1)"
for tgz in "$main_tgz" "$platform_tgz"; do
  tar -tzf "$tgz" > "$work/listing"
  echo "packed $(basename "$tgz"): $(wc -l < "$work/listing") files"
done
tar -tzf "$platform_tgz" | grep -qx "package/mqtt-napi.$platform.node" || { echo "the platform tarball has no binary" >&2; exit 1; }
if tar -tzf "$main_tgz" | grep -q '\.node$'; then echo "the main tarball must not carry a binary" >&2; exit 1; fi
# The binary wiring prepack writes in: an optional dependency on every platform package, same version.
tar -xzOf "$main_tgz" package/package.json | node -e "
  const pkg = JSON.parse(require('fs').readFileSync(0, 'utf8'))
  const deps = pkg.optionalDependencies || {}
  if (Object.keys(deps).length !== pkg.napi.targets.length || Object.values(deps).some((v) => v !== pkg.version)) {
    console.error('the main tarball lacks its optionalDependencies:', JSON.stringify(deps)); process.exit(1)
  }
  console.log('optionalDependencies:', Object.keys(deps).join(' '))"

# --- no Rust on PATH --------------------------------------------------------
clean_path=""
IFS=: read -r -a path_dirs <<< "$PATH"
for dir in "${path_dirs[@]}"; do
  if [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ]; then continue; fi
  clean_path="${clean_path:+$clean_path:}$dir"
done
node_bin="$(command -v node)"
tsc="$root/node_modules/typescript/bin/tsc"
types_root="$root/node_modules/@types"

# --- a broker: aedes from this repository's node_modules, on a free port ----
(node --input-type=module -e "
  import net from 'node:net'
  import { Aedes } from 'aedes'
  const broker = await Aedes.createBroker()
  const server = net.createServer(broker.handle)
  server.listen(0, '127.0.0.1', () => console.log(server.address().port))
" > "$work/broker.port" 2> "$work/broker.log") &
broker_pid=$!
for _ in $(seq 100); do [ -s "$work/broker.port" ] && break; sleep 0.1; done
port="$(head -1 "$work/broker.port")"
[ -n "$port" ] || { echo "aedes did not start:" >&2; cat "$work/broker.log" >&2; exit 1; }
url="mqtt://127.0.0.1:$port"
echo "broker: aedes on $url"

# A program written for MQTT.js: connect, subscribe, publish, receive, end.
# $1: how it loads the library. Used for every JS variant below.
program () {
  cat <<EOF
$1
const client = mqtt.connect(process.env.BROKER_URL, { clientId: 'check-' + process.pid })
const topic = 'check-install/' + process.pid
client.on('connect', () => {
  client.subscribe(topic, { qos: 1 }, (err) => {
    if (err) throw err
    client.publish(topic, 'hello from ' + process.argv[1], { qos: 1 })
  })
})
client.on('message', (t, payload) => {
  console.log('received', payload.toString())
  client.end()
})
client.on('error', (err) => { console.error(err.message); process.exitCode = 1; client.end(true) })
EOF
}

install_app () { # install_app DIR SPEC...: a fresh app, offline, with no Rust on PATH
  mkdir -p "$1"
  printf '{ "name": "%s", "version": "1.0.0", "private": true }\n' "$(basename "$1")" > "$1/package.json"
  (cd "$1" && PATH="$clean_path" npm install --offline --no-audit --no-fund --loglevel=error "${@:2}")
}

run_in () { # run_in DIR COMMAND...: no Rust on PATH, the broker in BROKER_URL, 60 s at most
  (cd "$1" && env PATH="$clean_path" BROKER_URL="$url" timeout 60 "${@:2}")
}

# --- the app that depends on mqtt-napi ---------------------------------------
app="$work/app"
install_app "$app" "$main_tgz" "$platform_tgz"
if PATH="$clean_path" command -v cargo >/dev/null || PATH="$clean_path" command -v rustc >/dev/null; then
  echo "cargo/rustc still on PATH" >&2; exit 1
fi
echo "installed into $app with PATH free of cargo/rustc: $(cd "$app" && ls node_modules | tr '\n' ' ')"

program "const mqtt = require('mqtt-napi')" > "$app/cjs.js"
program "import mqtt, { connect } from 'mqtt-napi'
if (connect !== mqtt.connect) throw new Error('named and default imports differ')" > "$app/esm.mjs"
cat > "$app/app.ts" <<'EOF'
import mqtt, { connect, type IClientOptions, type MqttClient } from 'mqtt-napi'

const options: IClientOptions = { clientId: `check-ts-${process.pid}`, keepalive: 30 }
const url: string = process.env.BROKER_URL ?? 'mqtt://127.0.0.1:1883'
const client: MqttClient = connect(url, options)
const topic = `check-install/ts/${process.pid}`
client.on('connect', () => {
  client.subscribe(topic, { qos: 1 }, (err) => {
    if (err) throw err
    client.publish(topic, Buffer.from('hello from typescript'), { qos: 1 })
  })
})
client.on('message', (t: string, payload: Buffer) => {
  console.log('received', payload.toString(), 'on', t, typeof mqtt.connectAsync)
  client.end()
})
EOF
cat > "$app/tsconfig.json" <<EOF
{
  "compilerOptions": {
    "strict": true, "target": "es2022", "module": "nodenext", "moduleResolution": "nodenext",
    "esModuleInterop": true, "skipLibCheck": false, "outDir": "out",
    "typeRoots": ["$types_root"], "types": ["node"]
  },
  "files": ["app.ts"]
}
EOF

check "CommonJS: require('mqtt-napi')" run_in "$app" bash -c 'node cjs.js | grep -q "^received hello from"'
check "ES module: import mqtt, { connect } from 'mqtt-napi'" run_in "$app" bash -c 'node esm.mjs | grep -q "^received hello from"'
check "TypeScript (strict, nodenext): tsc against the installed types, then run" \
  run_in "$app" bash -c "node '$tsc' -p tsconfig.json && node out/app.js | grep -q '^received hello from typescript on check-install/ts/'"
check "CLI: npx mqtt-napi sub -n 1 receives what npx mqtt-napi pub sends" run_in "$app" bash -c '
  set -e
  port=${BROKER_URL##*:}
  ./node_modules/.bin/mqtt-napi sub -h 127.0.0.1 -p "$port" -t check-install/cli -q 1 -n 1 > sub.out &
  sub=$!
  sleep 1.5
  ./node_modules/.bin/mqtt-napi pub -h 127.0.0.1 -p "$port" -t check-install/cli -q 1 -m "hello cli"
  wait "$sub"
  test "$(cat sub.out)" = "hello cli"'

# --- the same install without its platform package: the loader's own error ---
bare="$work/bare"
install_app "$bare" "$main_tgz"
check "without the platform package: the error names $platform and mqtt-napi-$platform" run_in "$bare" bash -c '
  ! node -e "require(\"mqtt-napi\")" 2> err.txt &&
  grep -q "platform, '"$platform"'" err.txt && grep -q "optional dependency mqtt-napi-'"$platform"'@" err.txt &&
  ! grep -q "npm has a bug" err.txt'

# --- the drop-in: the same tarball installed as `mqtt` -------------------------
dropin="$work/dropin"
install_app "$dropin" "mqtt@file:$main_tgz" "$platform_tgz"
program "const mqtt = require('mqtt')" > "$dropin/cjs.js"
program "import mqtt from 'mqtt'" > "$dropin/esm.mjs"
check "drop-in: an MQTT.js program with require('mqtt') runs on mqtt-napi installed as mqtt" \
  run_in "$dropin" bash -c 'node -e "if (require(\"mqtt/package.json\").name !== \"mqtt-napi\") process.exit(1)" && node cjs.js | grep -q "^received hello from"'
check "drop-in: an MQTT.js program with import mqtt from 'mqtt'" run_in "$dropin" bash -c 'node esm.mjs | grep -q "^received hello from"'

echo "node: $node_bin $(node --version)"
echo "check-install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
