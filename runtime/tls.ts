// TLS for the node: its certificate and key, read once at start, checked as a pair; the company
// CA its peers' certificates are checked against; and the rule that keeps a node reachable from
// other machines off plain HTTP unless it is told otherwise.
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { createSecureContext } from 'node:tls'
import { X509Certificate } from 'node:crypto'
import { isLoopback } from '../lib/loopback.ts'

/** What TLS is configured with: the files' contents (PEM), and their names for the log. */
export interface TlsSettings {
  /** This node's certificate and its key: with them, it serves HTTPS only. */
  cert?: string
  key?: string
  /** The CA that signs the nodes' certificates: peers' certificates are checked against it. */
  ca?: string
  files: { cert?: string; key?: string; ca?: string }
}

export class TlsError extends Error {}

function readPem(flag: string, file: string): string {
  let text
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'there is no such file'
        : (err as Error).message
    throw new TlsError(`--${flag} ${file} cannot be read: ${reason}`)
  }
  if (!text.includes('-----BEGIN ')) {
    throw new TlsError(`--${flag} ${file} is not a PEM file (it has no "-----BEGIN" line)`)
  }
  return text
}

/**
 * Reads the files named, and checks what can be checked before the node listens: cert and key
 * come together, parse, and belong to each other; the CA parses. Throws TlsError, a sentence.
 */
export function readTls(files: TlsSettings['files']): TlsSettings | undefined {
  if (!files.cert && !files.key && !files.ca) return undefined
  if (!files.cert !== !files.key) {
    throw new TlsError(
      files.cert
        ? '--tls-cert needs --tls-key: the private key of that certificate'
        : '--tls-key needs --tls-cert: the certificate that key belongs to'
    )
  }
  const tls: TlsSettings = { files }
  if (files.cert && files.key) {
    tls.cert = readPem('tls-cert', files.cert)
    tls.key = readPem('tls-key', files.key)
    let x509
    try {
      x509 = new X509Certificate(tls.cert)
    } catch (err) {
      throw new TlsError(
        `--tls-cert ${files.cert} holds no certificate Node can read: ${(err as Error).message}`
      )
    }
    const unusable = unusableFor(x509, !!files.ca)
    if (unusable) throw new TlsError(`--tls-cert ${files.cert} ${unusable}`)
    try {
      createSecureContext({ cert: tls.cert, key: tls.key })
    } catch (err) {
      const message = (err as Error).message
      throw new TlsError(
        /mismatch/i.test(message)
          ? `--tls-key ${files.key} is not the key of the certificate in --tls-cert ${files.cert}`
          : `--tls-cert ${files.cert} and --tls-key ${files.key} cannot be used: ${message}`
      )
    }
  }
  if (files.ca) {
    tls.ca = readPem('tls-ca', files.ca)
    try {
      createSecureContext({ ca: tls.ca })
      new X509Certificate(tls.ca)
    } catch (err) {
      throw new TlsError(
        `--tls-ca ${files.ca} holds no CA certificate Node can read: ${(err as Error).message}`
      )
    }
  }
  return tls
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'

/**
 * Why a node cannot use this certificate, or undefined: out of its dates, or limited to uses that
 * leave out serving (serverAuth) or, when peers check it against the CA, calling them (clientAuth).
 */
function unusableFor(x509: X509Certificate, calledByPeers: boolean): string | undefined {
  const now = Date.now()
  if (Date.parse(x509.validTo) < now) return `expired on ${x509.validTo}: make a new one`
  if (Date.parse(x509.validFrom) > now) return `is not valid before ${x509.validFrom}`
  const uses = x509.keyUsage as string[] | undefined // the extended key usages, if it limits them
  if (!uses || uses.length === 0) return undefined
  if (!uses.includes(SERVER_AUTH))
    return 'is not made for a server (no serverAuth in its extendedKeyUsage)'
  if (calledByPeers && !uses.includes(CLIENT_AUTH)) {
    return 'lacks clientAuth in its extendedKeyUsage: peers, which check it against --tls-ca when this node calls them, would refuse it'
  }
  return undefined
}

/**
 * Why a node must not start serving plain HTTP at `host`, or undefined when it may: bound where
 * other machines reach it, with no certificate, and not told that this is intended.
 */
export function plainHttpRefusal(host: string, serving: boolean, insecureHttp: boolean) {
  if (serving || insecureHttp || isLoopback(host)) return undefined
  return (
    `--host ${host} lets other machines reach this node, and without TLS every API token and ` +
    'every stock figure would cross the network readable by anyone on it: give --tls-cert and ' +
    '--tls-key (see TLS in the README), or --insecure-http (ALMACEN_INSECURE_HTTP=1) if a ' +
    'trusted network or a TLS proxy in front of the node makes plain HTTP what you want'
  )
}

/**
 * Why peers would refuse this node's certificate at `advertise`, or undefined when it names
 * that host (they check the name as well as the CA).
 */
export function certificateMismatch(cert: string, advertise: string): string | undefined {
  const host = new URL(advertise).hostname.replace(/^\[(.*)\]$/, '$1')
  const x509 = new X509Certificate(cert)
  const named = isIP(host) ? x509.checkIP(host) : x509.checkHost(host)
  if (named) return undefined
  return (
    `the certificate (--tls-cert) does not name ${host}, the host this node is reached at ` +
    `(${advertise}): peers would refuse it; its names are ${x509.subjectAltName ?? x509.subject}. ` +
    'Make one whose subjectAltName holds that name or address, or set --advertise to one it names'
  )
}

/**
 * Why peers that check this node's certificate against the company CA would refuse it, if they
 * would: not issued and signed by that CA (nor by any certificate of a CA bundle). Checked against
 * the certificates the CA file holds directly: a certificate signed by an intermediate that the CA
 * file does not hold is reported, and the node starts all the same (said as a warning).
 */
export function certificateNotFromCa(cert: string, ca: string): string | undefined {
  const own = new X509Certificate(cert)
  const authorities = (
    ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  ).map((pem) => new X509Certificate(pem))
  if (
    authorities.some((authority) => own.checkIssued(authority) && own.verify(authority.publicKey))
  ) {
    return undefined
  }
  return (
    `the certificate (--tls-cert) was not signed by the CA (--tls-ca) that this node and its ` +
    `peers check certificates against: every peer would refuse it. Its issuer is ${own.issuer.replace(/\n/g, ', ')}`
  )
}
