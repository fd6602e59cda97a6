import t from 'tap'
import handler from '../../handlers/docs.get.ts'
import { fakeCtx, request } from '../fixtures/handler-kit.ts'

const document = {
  openapi: '3.1.0',
  info: { title: 'almacen node', version: '9.9.9', description: 'Stock <b>here</b>' },
  paths: {
    '/items/{sku}': {
      patch: {
        operationId: 'patchItemsSku',
        summary: 'Changes an item <script>alert(1)</script>',
        tags: ['items'],
        security: [{ bearerToken: ['admin'] }],
        parameters: [{ name: 'sku', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  name: { type: 'string', minLength: 1, maxLength: 200 },
                  reorderPoint: {
                    anyOf: [{ type: 'integer', minimum: 0, maximum: 1000 }, { type: 'null' }],
                  },
                },
                required: ['name'],
                additionalProperties: false,
              },
              example: { name: 'Bolt "M8" <zinc>' },
            },
          },
        },
      },
    },
  },
  components: { schemas: { Error: { type: 'object', properties: { code: { type: 'string' } } } } },
}

t.test('is one HTML page of the document, its text escaped, with nothing to load', async (t) => {
  const response = (await handler(request('GET', '/docs'), {
    ...fakeCtx(),
    openapi: () => document,
  })) as Response
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/html; charset=utf-8/)
  t.match(response.headers.get('content-security-policy'), /default-src 'none'/)
  const html = await response.text()
  t.match(html, '<span class="method patch">PATCH</span> <code>/items/{sku}</code>')
  t.match(html, 'a token of role <b>admin</b> or stronger')
  t.match(html, 'Changes an item &lt;script&gt;alert(1)&lt;/script&gt;')
  t.notMatch(html, /<script/)
  t.match(html, 'Stock &lt;b&gt;here&lt;/b&gt;')
  t.match(html, '<td><code>name</code></td><td>required</td><td>text 1–200 characters</td>')
  t.match(html, 'integer 0–1,000 <i>or</i> null')
  t.match(html, '&quot;name&quot;: &quot;Bolt \\&quot;M8\\&quot; &lt;zinc&gt;&quot;')
  t.match(html, '<a href="/openapi.json">/openapi.json</a>')
})
