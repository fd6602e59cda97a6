// The image's HEALTHCHECK: GET /health on this node, with node itself (the image has no curl).
// Healthy on 200 (status "ok" or "degraded": reads still served); 503 or no answer is unhealthy.
// Over HTTPS when the node has a certificate (ALMACEN_TLS_CERT); the check asks 127.0.0.1, a name
// no certificate need carry, so it does not check the certificate: it asks whether the node answers.
import { request } from 'node:https'
import { request as plainRequest } from 'node:http'

const send = process.env.ALMACEN_TLS_CERT ? request : plainRequest
const port = Number(process.env.ALMACEN_PORT || 8080)
send({ host: '127.0.0.1', port, path: '/health', rejectUnauthorized: false, timeout: 4000 })
  .on('response', (response) => process.exit(response.statusCode === 200 ? 0 : 1))
  .on('timeout', () => process.exit(1))
  .on('error', () => process.exit(1))
  .end()
