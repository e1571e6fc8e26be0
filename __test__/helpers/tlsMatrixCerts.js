'use strict'
// Extra TLS material for the reliability TLS matrix, on top of ./certs.js (whose CA it
// reuses), generated with the openssl CLI into a temp dir removed at exit:
//   selfSigned     a self-signed server certificate (no CA), right names
//   cnOnly         signed by the test CA, CN=localhost and no subjectAltName at all
//   notYetValid    signed by the test CA, valid from 2099
//   chain          leaf signed by an intermediate CA signed by the test CA;
//                  chainPath = leaf + intermediate (what the server sends)
//   otherClient    a client certificate signed by the unrelated CA (mTLS must refuse it)
//   classicV1      the classic recipe (mosquitto's TLS manual page): `openssl x509 -req -CA`
//                  without extensions, so X.509 version 1, CN=localhost and no subjectAltName
//   classicV1Client  the same recipe for a client certificate (mTLS)
//   classicV1Rsa   the same recipe with an RSA key, as the recipe's `openssl genrsa` makes
//   selfSignedCa   a self-signed server certificate with CA:TRUE and the right names: the broker's
//                  own certificate is also the `ca` users pass
//   selfSignedBare a self-signed server certificate without any extension (v1), CN=localhost
//   wildcard       signed by the test CA, SAN DNS:*.mqtt.test only
//   dnsOnly        signed by the test CA, SAN DNS:localhost only (no IP SAN)
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { generateCerts, openssl, KEY_ARGS, load, makeReadable, writeCaConfig } = require('./certs')

let cached = null
const SERVER_SAN = 'IP:127.0.0.1,DNS:localhost'

function extFile (dir, name, lines) {
  fs.writeFileSync(path.join(dir, `${name}.ext`), lines.join('\n') + '\n')
  return `${name}.ext`
}

function leafExt (dir, name, { san, eku = 'serverAuth' }) {
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${eku}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid'
  ]
  if (san) lines.push(`subjectAltName=${san}`)
  return extFile(dir, name, lines)
}

function sign (dir, name, { caCert, caKey, cn, san, eku, days = 825 }) {
  openssl(['req', '-new', ...KEY_ARGS, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir)
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial',
    '-out', `${name}.crt`, '-days', String(days), '-sha256', '-extfile', leafExt(dir, name, { san, eku })], dir)
}

function generateMatrixCerts () {
  if (cached) return cached
  const base = generateCerts()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtt-napi-tlsmatrix-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))

  // self-signed leaf: no CA at all
  openssl(['req', '-x509', ...KEY_ARGS, '-keyout', 'selfsigned.key', '-out', 'selfsigned.crt', '-days', '825',
    '-subj', '/CN=localhost', '-addext', `subjectAltName=${SERVER_SAN}`,
    '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth'], dir)

  // CN only, no subjectAltName
  sign(dir, 'cnonly', { caCert: base.ca.certPath, caKey: base.ca.keyPath, cn: 'localhost' })

  // intermediate CA, and a leaf it signs
  openssl(['req', '-new', ...KEY_ARGS, '-keyout', 'inter.key', '-out', 'inter.csr', '-subj', '/CN=mqtt-napi test intermediate'], dir)
  openssl(['x509', '-req', '-in', 'inter.csr', '-CA', base.ca.certPath, '-CAkey', base.ca.keyPath, '-CAcreateserial',
    '-out', 'inter.crt', '-days', '825', '-sha256', '-extfile', extFile(dir, 'inter', [
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid'
    ])], dir)
  sign(dir, 'chainleaf', { caCert: 'inter.crt', caKey: 'inter.key', cn: 'localhost', san: SERVER_SAN })
  fs.writeFileSync(path.join(dir, 'chain.crt'), Buffer.concat([
    fs.readFileSync(path.join(dir, 'chainleaf.crt')), fs.readFileSync(path.join(dir, 'inter.crt'))
  ]))

  // a client certificate from the unrelated CA
  sign(dir, 'otherclient', { caCert: base.otherCa.certPath, caKey: base.otherCa.keyPath, cn: 'intruder', eku: 'clientAuth' })

  // not yet valid: `openssl ca` can set the start date
  writeCaConfig(dir, '2000')
  openssl(['req', '-new', ...KEY_ARGS, '-keyout', 'future.key', '-out', 'future.csr', '-subj', '/CN=localhost'], dir)
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', base.ca.certPath, '-keyfile', base.ca.keyPath,
    '-in', 'future.csr', '-out', 'future.crt', '-startdate', '20990101000000Z', '-enddate', '21000101000000Z',
    '-extfile', leafExt(dir, 'future', { san: SERVER_SAN }), '-notext'], dir)

  // the classic recipe: no -extfile, so OpenSSL writes a version 1 certificate
  const RSA_KEY_ARGS = ['-newkey', 'rsa:2048', '-nodes']
  for (const [name, cn, keyArgs] of [
    ['classicv1', 'localhost', KEY_ARGS],
    ['classicv1client', 'mqtt-napi-v1-client', KEY_ARGS],
    ['classicv1rsa', 'localhost', RSA_KEY_ARGS]
  ]) {
    openssl(['req', '-new', ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir)
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', base.ca.certPath, '-CAkey', base.ca.keyPath, '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '825', '-sha256'], dir)
  }

  // self-signed with CA:TRUE, served by the broker and given to the client as `ca`
  openssl(['req', '-x509', ...KEY_ARGS, '-keyout', 'selfsignedca.key', '-out', 'selfsignedca.crt', '-days', '825',
    '-subj', '/CN=localhost', '-addext', `subjectAltName=${SERVER_SAN}`,
    '-addext', 'basicConstraints=critical,CA:TRUE'], dir)

  // self-signed without any extension: `openssl x509 -req -signkey` (version 1)
  openssl(['req', '-new', ...KEY_ARGS, '-keyout', 'selfsignedbare.key', '-out', 'selfsignedbare.csr', '-subj', '/CN=localhost'], dir)
  openssl(['x509', '-req', '-in', 'selfsignedbare.csr', '-signkey', 'selfsignedbare.key', '-out', 'selfsignedbare.crt',
    '-days', '825', '-sha256'], dir)

  sign(dir, 'wildcard', { caCert: base.ca.certPath, caKey: base.ca.keyPath, cn: 'wildcard', san: 'DNS:*.mqtt.test' })
  sign(dir, 'dnsonly', { caCert: base.ca.certPath, caKey: base.ca.keyPath, cn: 'localhost', san: 'DNS:localhost' })

  makeReadable(dir)

  const chainLeaf = load(dir, 'chainleaf')
  cached = {
    dir,
    base,
    selfSigned: load(dir, 'selfsigned'),
    cnOnly: load(dir, 'cnonly'),
    notYetValid: load(dir, 'future'),
    chain: { ...chainLeaf, certPath: path.join(dir, 'chain.crt'), cert: fs.readFileSync(path.join(dir, 'chain.crt')) },
    intermediate: load(dir, 'inter'),
    otherClient: load(dir, 'otherclient'),
    classicV1: load(dir, 'classicv1'),
    classicV1Client: load(dir, 'classicv1client'),
    classicV1Rsa: load(dir, 'classicv1rsa'),
    selfSignedCa: load(dir, 'selfsignedca'),
    selfSignedBare: load(dir, 'selfsignedbare'),
    wildcard: load(dir, 'wildcard'),
    dnsOnly: load(dir, 'dnsonly')
  }
  return cached
}

module.exports = { generateMatrixCerts }
