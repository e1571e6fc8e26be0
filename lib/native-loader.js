'use strict'

// Loads the native engine through the loader `napi build` generates
// (lib/native.js, not in git) and, when no binary fits this machine, replaces
// napi's generic "npm has a bug related to optional dependencies" error with
// one that says what was looked for and how to get it: the platform, the
// prebuilt package npm should have installed, and how to build from source.

// napi.targets (Rust triples) is the one list of prebuilt binaries; each is
// published as `<name>-<platform>` and is an optional dependency of the
// package as published (written in at pack time).
const { name, version, napi } = require('../package.json')

// Node's names (process.arch) -> the Rust target triple's first part.
const RUST_ARCH = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7', riscv64: 'riscv64gc', s390x: 's390x', ppc64: 'powerpc64le' }

/** glibc or musl, as the generated loader decides it (the C library the running Node links). */
function linuxLibc () {
  const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null
  return report && report.header && report.header.glibcVersionRuntime ? 'gnu' : 'musl'
}

/**
 * The platform this process needs a binary for: napi's package suffix
 * (`linux-x64-gnu`) and the Rust target triple (`x86_64-unknown-linux-gnu`).
 */
function currentPlatform () {
  const { platform, arch } = process
  const rustArch = RUST_ARCH[arch] || arch
  if (platform === 'linux') {
    const libc = linuxLibc()
    return { suffix: `linux-${arch}-${libc}`, triple: `${rustArch}-unknown-linux-${libc}${arch === 'arm' ? 'eabihf' : ''}` }
  }
  if (platform === 'win32') return { suffix: `win32-${arch}-msvc`, triple: `${rustArch}-pc-windows-msvc` }
  if (platform === 'darwin') return { suffix: `darwin-${arch}`, triple: `${rustArch}-apple-darwin` }
  return { suffix: `${platform}-${arch}`, triple: `${rustArch}-unknown-${platform}` }
}

/** The load failures worth showing: not the "module not found" of every candidate path. */
function realCauses (error) {
  const causes = []
  for (let e = error; e; e = e.cause) {
    const notFound = e.code === 'MODULE_NOT_FOUND' || /^Cannot find (module|native binding)/.test(e.message)
    if (!notFound) causes.push(e.message.split('\n')[0])
  }
  return causes
}

function noBindingError (cause) {
  const { suffix, triple } = currentPlatform()
  const expected = `${name}-${suffix}`
  const prebuilt = napi.targets.includes(triple)
  const lines = [
    `${name}: no native engine could be loaded for this platform, ${suffix} (Rust target ${triple}).`,
    prebuilt
      ? `It ships as the optional dependency ${expected}@${version}, which is missing or unusable here: reinstall without --omit=optional / --no-optional, and do not copy node_modules or a lockfile made on another OS, CPU or C library.`
      : `No prebuilt binary is published for ${suffix} (there is no package ${expected}); the prebuilt ones are for ${napi.targets.join(', ')}.`,
    `To build it from source: with a Rust toolchain (https://rustup.rs), run \`npm install && npm run build\` in a checkout of the ${name} source, then install that directory (\`npm install <path>\`) or point NAPI_RS_NATIVE_LIBRARY_PATH at the built lib/${name}.${suffix}.node.`
  ]
  const causes = realCauses(cause)
  if (causes.length > 0) lines.push(`Load error: ${causes.join('; ')}`)
  const error = new Error(lines.join('\n'))
  error.code = 'ERR_MQTT_NAPI_NO_BINARY'
  error.platform = suffix
  error.target = triple
  error.expectedPackage = expected
  // No `cause`: napi's error would print under ours and send the user to
  // delete node_modules, the wrong fix. The real load errors are in the message.
  return error
}

let binding
try {
  binding = require('./native')
} catch (err) {
  throw noBindingError(err)
}

module.exports = binding
