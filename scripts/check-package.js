#!/usr/bin/env node
'use strict'

// `prepack` guard: refuses to make a tarball of mqtt-napi that could not load
// its engine once installed. Checks the binary wiring against one source of
// truth, package.json's napi.targets: each target has its npm/<platform>
// package at this version, the main package depends on exactly those
// (optionalDependencies, same version), the generated loader is there (it is
// built, not committed), and `files` ships the loader, the types and the CLI.
// With --platform-packages it also requires each npm/<platform> folder that
// has been filled (`napi artifacts`) to hold its .node.

const fs = require('fs')
const path = require('path')
const { parseTriple } = require('@napi-rs/cli')

const root = path.resolve(__dirname, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
const problems = []

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

const declared = pkg.optionalDependencies || {}
for (const [name, version] of Object.entries(expected)) {
  if (declared[name] !== version) problems.push(`optionalDependencies must have ${name}: "${version}", has ${JSON.stringify(declared[name])}`)
}
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
