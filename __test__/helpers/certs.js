'use strict'
// TLS material generated with the openssl CLI into a temp dir, once per test file
// (module registry is per file), removed when the process exits.
//   ca            the test CA (cert/key paths + PEM buffers)
//   server        signed by ca, SAN IP:127.0.0.1, DNS:localhost
//   wrongName     signed by ca, SAN DNS:wrong.example.com, IP:10.9.9.9
//   expired       signed by ca, valid Jan 2020 only, right names
//   client        signed by ca, extendedKeyUsage clientAuth (for mTLS)
//   otherCa       an unrelated CA (its cert does not verify the server)
// EC P-256 keys (fast to generate; supported by rustls/ring, OpenSSL and mosquitto).
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

let cached = null

function openssl (args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

function makeCa (dir, name, cn) {
  openssl(['req', '-x509', ...KEY_ARGS, '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-days', '3650', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash'], dir)
}

function makeLeaf (dir, name, { cn, san, eku, startdate, enddate }) {
  openssl(['req', '-new', ...KEY_ARGS, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir)
  const ext = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${eku}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid'
  ]
  if (san) ext.push(`subjectAltName=${san}`)
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext.join('\n') + '\n')
  if (startdate) {
    // `openssl x509` cannot back-date; `openssl ca` can
    openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key',
      '-in', `${name}.csr`, '-out', `${name}.crt`, '-startdate', startdate, '-enddate', enddate,
      '-extfile', `${name}.ext`, '-notext'], dir)
  } else {
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '825', '-sha256', '-extfile', `${name}.ext`], dir)
  }
}

/**
 * `ca.cnf` and its database in `dir`, for `openssl ca`: the only command that
 * sets a certificate's start date (expired and not-yet-valid certificates).
 */
function writeCaConfig (dir, firstSerial) {
  fs.mkdirSync(path.join(dir, 'db'))
  fs.writeFileSync(path.join(dir, 'db', 'index.txt'), '')
  fs.writeFileSync(path.join(dir, 'db', 'serial'), `${firstSerial}\n`)
  fs.writeFileSync(path.join(dir, 'ca.cnf'), [
    '[ ca ]', 'default_ca = CA_default',
    '[ CA_default ]', 'dir = .', 'database = db/index.txt', 'new_certs_dir = db', 'serial = db/serial',
    'default_md = sha256', 'policy = policy_any', 'unique_subject = no', 'copy_extensions = none',
    '[ policy_any ]', 'commonName = supplied', ''
  ].join('\n'))
}

function load (dir, name) {
  const cert = path.join(dir, `${name}.crt`)
  const key = path.join(dir, `${name}.key`)
  return { certPath: cert, keyPath: key, cert: fs.readFileSync(cert), key: fs.readFileSync(key) }
}

// mosquitto started as root drops privileges: keep everything readable
function makeReadable (dir) {
  fs.chmodSync(dir, 0o755)
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f)
    if (fs.statSync(p).isFile()) fs.chmodSync(p, 0o644)
  }
}

function generateCerts () {
  if (cached) return cached
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-certs-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))

  makeCa(dir, 'ca', 'mqtt-napi test CA')
  makeCa(dir, 'otherca', 'mqtt-napi unrelated CA')
  makeLeaf(dir, 'server', { cn: 'localhost', san: 'IP:127.0.0.1,DNS:localhost', eku: 'serverAuth' })
  makeLeaf(dir, 'wrongname', { cn: 'wrong.example.com', san: 'DNS:wrong.example.com,IP:10.9.9.9', eku: 'serverAuth' })
  makeLeaf(dir, 'client', { cn: 'mqtt-napi-client', eku: 'clientAuth' })

  writeCaConfig(dir, '1000')
  makeLeaf(dir, 'expired', {
    cn: 'localhost',
    san: 'IP:127.0.0.1,DNS:localhost',
    eku: 'serverAuth',
    startdate: '20200101000000Z',
    enddate: '20200201000000Z'
  })

  makeReadable(dir)

  const ca = load(dir, 'ca')
  cached = {
    dir,
    ca,
    otherCa: load(dir, 'otherca'),
    server: load(dir, 'server'),
    wrongName: load(dir, 'wrongname'),
    expired: load(dir, 'expired'),
    client: load(dir, 'client')
  }
  return cached
}

module.exports = { generateCerts, openssl, KEY_ARGS, load, makeReadable, writeCaConfig }
