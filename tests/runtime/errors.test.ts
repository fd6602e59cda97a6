import t from 'tap'
import { ERROR_STATUS, type ErrorCode } from '../../api/errors.ts'
import { HttpError, errorFromCode } from '../../runtime/errors.ts'

t.test(
  'a refusal is thrown with a code, and answers with the status the catalogue gives it',
  async (t) => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      t.equal(new HttpError(code as ErrorCode, 'a sentence').status, status, code)
    }
    const refusal = new HttpError('NODE_STOPPING', 'Stopping', {
      details: [{ path: 'x', message: 'y' }],
      headers: { 'retry-after': '2' },
    })
    t.match(refusal, {
      status: 503,
      code: 'NODE_STOPPING',
      message: 'Stopping',
      details: [{ path: 'x', message: 'y' }],
      headers: { 'retry-after': '2' },
    })
  }
)

t.test('a worker refusal answers with its code’s status; a code unknown here, 500', async (t) => {
  t.match(errorFromCode('INSUFFICIENT_STOCK', 'short by 3', { shortfall: 3 }), {
    status: 409,
    code: 'INSUFFICIENT_STOCK',
    details: { shortfall: 3 },
  })
  t.equal(errorFromCode('EXPIRED', 'too late').status, 504)
  t.equal(errorFromCode('A_NEWER_WORKERS_CODE', 'what').status, 500)
  t.equal(errorFromCode('toString', 'not a code').status, 500, 'only the catalogue’s own keys')
})
