import t from 'tap'
import { api, startTestNode } from '../fixtures/test-node.ts'

// The bodies are written by hand: a lone surrogate is sent as the six characters \ud800, as a
// client that cut an emoji in half would send it (JSON.stringify escapes it so).
const json = { 'content-type': 'application/json' }

t.test(
  'text that is not valid Unicode is refused wherever it enters, and the ledger stays whole',
  async (t) => {
    const node = await startTestNode(t)
    const item = await api(
      node,
      'POST',
      '/items',
      '{"sku":"TAPE","name":"Tape \\ud83d","unit":"roll"}',
      json
    )
    t.match(item, {
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        details: [{ path: 'name', message: 'is not valid Unicode text (a lone surrogate)' }],
      },
    })
    t.equal((await api(node, 'GET', '/items/TAPE')).status, 404, 'no item was made')

    await api(node, 'POST', '/items', { sku: 'TAPE', name: 'Tape 😀', unit: 'roll' })
    const receipt = await api(
      node,
      'POST',
      '/movements',
      '{"type":"receipt","sku":"TAPE","quantity":5,"note":"\\ud800","reference":"ok"}',
      json
    )
    t.match(receipt, {
      status: 400,
      body: {
        error: 'Invalid request body: note is not valid Unicode text (a lone surrogate)',
        details: [{ path: 'note' }],
      },
    })
    const patch = await api(node, 'PATCH', '/items/TAPE', '{"description":"x\\udc00"}', json)
    t.match(patch.body, { code: 'VALIDATION_FAILED', details: [{ path: 'description' }] })

    // Control characters other than tabs and line breaks are refused too (a NUL, a bell).
    const controls = { type: 'receipt', sku: 'TAPE', quantity: 5, note: 'caja\u0000\u0007' }
    t.match(await api(node, 'POST', '/movements', controls), {
      status: 400,
      body: { details: [{ path: 'note', message: /^must not contain control characters/ }] },
    })
    // So are the invisible characters that change how a text shows: a right-to-left override
    // (a note that shows its end first), an isolate, a zero-width space in a name.
    const overridden = { type: 'receipt', sku: 'TAPE', quantity: 5, note: 'ok \u202eexe.TXT' }
    t.match(await api(node, 'POST', '/movements', overridden), {
      status: 400,
      body: { details: [{ path: 'note', message: /direction overrides or zero-width spaces$/ }] },
    })
    const isolate = { type: 'receipt', sku: 'TAPE', quantity: 5, reference: 'PO\u2066-1' }
    t.match((await api(node, 'POST', '/movements', isolate)).body, {
      details: [{ path: 'reference' }],
    })
    const lookalike = { sku: 'TAPE2', name: 'Tape\u200b', unit: 'roll' }
    t.match((await api(node, 'POST', '/items', lookalike)).body, { details: [{ path: 'name' }] })
    t.equal((await api(node, 'GET', '/items/TAPE2')).status, 404, 'no item was made')
    // What is valid is kept exactly as it was hashed: emoji (joined ones too), accents, Hebrew
    // with its direction mark, tabs and line breaks.
    const note = 'caja 😀 añadida 👩\u200d🔧 שלום\u200f\ttab\nline'
    t.equal(
      (await api(node, 'POST', '/movements', { type: 'receipt', sku: 'TAPE', quantity: 5, note }))
        .status,
      201
    )
    const { movements } = (await api(node, 'GET', '/movements?sku=TAPE')).body
    t.match(movements, [{ seq: 1, note }], 'only the valid receipt was written, as sent')
    t.equal(movements.length, 1)
    t.match((await api(node, 'GET', '/items/TAPE')).body, { name: 'Tape 😀', description: '' })
    t.match((await api(node, 'POST', '/ledger/verify')).body, { ok: true, differences: [] })
  }
)
