#!/usr/bin/env node
'use strict'

// `prepack` guard: refuses to make a tarball of mqtt-napi that could not load
// its engine once installed, then writes the binary wiring into package.json
// for the tarball. One source of truth, package.json's napi.targets: each
// target has its npm/<platform> package at this version, the generated loader
// is there (it is built, not committed), and `files` ships the loader, the
// types and the CLI. The optionalDependencies on the eight platform packages
// (same version) are written in here, as `napi prepublish` writes them, and
// not kept in git: unpublished, they would put the lockfile out of step with
// package.json and fail `npm ci`.
//   (no flag)            check, then write optionalDependencies (prepack)
//   --restore            remove them again (postpack; kept when publishing)
//   --platform-packages  also require every npm/<platform>/ .node (prepublishOnly)

const fs = require('fs')
const path = require('path')
const { parseTriple } = require('@napi-rs/cli')

const root = path.resolve(__dirname, '..')
const manifestFile = path.join(root, 'package.json')
const pkg = JSON.parse(fs.readFileSync(manifestFile, 'utf8'))
const problems = []

function writeManifest (manifest) {
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`)
}

const expected = {}
for (const triple of pkg.napi.targets) {
  const { platformArchABI } = parseTriple(triple)
  const name = `${pkg.name}-${platformArchABI}`
  expected[name] = pkg.version
  const manifestPath = path.join(root, 'npm', platformArchABI, 'package.json')
  if (!fs.existsSync(manifestPath)) {
    problems.push(`npm/${platformArchABI}/package.json is missing (run \`npx napi create-npm-dirs\`)`)
    continue
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
  if (manifest.name !== name) problems.push(`npm/${platformArchABI}/package.json is named ${manifest.name}, expected ${name}`)
  if (manifest.version !== pkg.version) problems.push(`${name} is at ${manifest.version}, the main package at ${pkg.version} (run \`npx napi version\`)`)
  const binary = path.join(root, 'npm', platformArchABI, manifest.main)
  if (process.argv.includes('--platform-packages') && !fs.existsSync(binary)) {
    problems.push(`${name} has no ${manifest.main} (run \`npx napi artifacts\` after the builds)`)
  }
}

if (process.argv.includes('--restore')) {
  // Not after `npm publish`'s pack: npm re-reads package.json after packing
  // and sends that to the registry, whose copy is what installs resolve.
  if (process.env.npm_command !== 'publish' && JSON.stringify(pkg.optionalDependencies) === JSON.stringify(expected)) {
    delete pkg.optionalDependencies
    writeManifest(pkg)
  }
  process.exit(0)
}
const declared = pkg.optionalDependencies || {}
for (const name of Object.keys(declared)) {
  if (!(name in expected)) problems.push(`optionalDependencies has ${name}, which is not a napi target`)
}

// The generated loader and what `files` must carry for an install to work.
for (const file of ['lib/native.js', 'lib/native-loader.js', 'lib/index.js', 'lib/index.mjs', pkg.types, ...Object.values(pkg.bin || {})]) {
  if (!fs.existsSync(path.join(root, file))) {
    problems.push(`${file} is missing${file === 'lib/native.js' ? ' (it is generated: run `npm run build`)' : ''}`)
  }
}

if (problems.length > 0) {
  console.error(`${pkg.name}: not packing, the binary wiring is incomplete:\n  - ${problems.join('\n  - ')}`)
  process.exit(1)
}
pkg.optionalDependencies = expected
writeManifest(pkg)
