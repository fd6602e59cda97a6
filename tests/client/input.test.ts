import t from 'tap'
import { joinInput } from '../../api/index.ts'
import * as input from '../../client/input.ts'

const rejects = (parse: input.Parse<unknown>, text: string) => {
  try {
    parse(text)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

t.test('a quantity is a whole number greater than zero', async (t) => {
  t.equal(input.quantity(' 12 '), 12)
  t.equal(input.quantity('+3'), 3)
  for (const bad of ['0', '1.5', '-4', '', 'ten', '1e3', '0x10', '1000000001']) {
    t.ok(rejects(input.quantity, bad), `refuses "${bad}"`)
  }
  t.equal(rejects(input.quantity, '1.5'), 'must be a whole number greater than zero, such as 12')
})

t.test('a count may be zero but not negative or fractional', async (t) => {
  t.equal(input.count('0'), 0)
  t.equal(input.count('158'), 158)
  t.ok(rejects(input.count, '-1'))
  t.ok(rejects(input.count, '2.5'))
})

t.test('a delta is signed and never zero', async (t) => {
  t.equal(input.delta('-2'), -2)
  t.equal(input.delta('+5'), 5)
  t.equal(
    rejects(input.delta, '7'),
    'must be + or - and a whole number other than zero, such as -2 or +5',
    'the sign is required'
  )
  t.ok(rejects(input.delta, '+0'))
  t.ok(rejects(input.delta, '-0.5'))
})

t.test('a SKU follows the node rules and is upper-cased', async (t) => {
  t.equal(input.sku(' bolt-m8 '), 'BOLT-M8')
  t.equal(input.sku('a.b_c-1'), 'A.B_C-1')
  for (const bad of ['', '-BOLT', 'BOLT M8', 'x'.repeat(65), 'straße']) {
    t.ok(rejects(input.sku, bad), `refuses "${bad}"`)
  }
})

t.test('a limit is 1 to 500, and text has a maximum length', async (t) => {
  t.equal(input.limit('500'), 500)
  t.ok(rejects(input.limit, '501'))
  t.ok(rejects(input.limit, '0'))
  t.equal(input.text(5)('  abc  '), 'abc')
  t.equal(rejects(input.text(5), 'abcdef'), 'must be at most 5 characters')
  t.equal(rejects(input.text(5, true), '   '), 'must not be empty')
})

t.test('an idempotency key is visible ASCII without spaces', async (t) => {
  t.equal(input.idempotencyKey('PO-17-line-1'), 'PO-17-line-1')
  t.ok(rejects(input.idempotencyKey, 'PO 17'))
  t.ok(rejects(input.idempotencyKey, 'x'.repeat(201)))
})

t.test('a node address is an http(s) URL, and several may share one line', async (t) => {
  t.equal(input.nodeUrl(' http://10.0.0.2:8080 '), 'http://10.0.0.2:8080')
  t.equal(input.nodeUrl('https://sevilla.example'), 'https://sevilla.example')
  for (const bad of ['', '10.0.0.2:8080', 'localhost:8080', 'ftp://10.0.0.2', 'http://']) {
    t.equal(
      rejects(input.nodeUrl, bad),
      'must be an http(s) URL such as http://10.0.0.2:8080',
      `refuses "${bad}"`
    )
  }
  t.same(input.nodeUrls('http://a:1, http://b:2   https://c'), [
    'http://a:1',
    'http://b:2',
    'https://c',
  ])
  t.equal(
    rejects(input.nodeUrls, 'http://a:1 10.0.0.2:8080'),
    'must each be an http(s) URL such as http://10.0.0.2:8080; "10.0.0.2:8080" is not'
  )
  t.equal(
    rejects(input.nodeUrls, ' , '),
    'must name at least one node, such as http://10.0.0.2:8080'
  )
  t.ok(rejects(input.nodeUrls, Array(51).fill('http://a:1').join(' ')), 'at most 50, as the node')
})

t.test(
  'as a prompts validator, a parser answers true or a sentence that names the field',
  async (t) => {
    const validate = input.validator(input.quantity, 'The quantity')
    t.equal(validate('3'), true)
    t.equal(validate('0'), 'The quantity must be a whole number greater than zero, such as 12')
  }
)

t.test('a node address is refused at the prompt whenever the node would refuse it', async (t) => {
  for (const bad of [
    'http://clerk@10.0.0.2:8080',
    'http://10.0.0.2:8080/api',
    'http://10.0.0.2:8080?x=1',
    'http://0.0.0.0:8080',
    'http://300.1.1.1:8080',
    'http://10.0.0.2:99999',
  ]) {
    t.equal(rejects(input.nodeUrl, bad), 'must be an http(s) URL such as http://10.0.0.2:8080', bad)
    t.ok(joinInput.safeParse({ addresses: [bad] }).error, `the node refuses ${bad} too`)
  }
  t.equal(input.nodeUrl('http://10.0.0.2:8080/'), 'http://10.0.0.2:8080', 'as the node keeps it')
})

t.test('a number only too big is refused with the node’s own sentence', async (t) => {
  t.equal(rejects(input.quantity, '1000000001'), 'must be at most 1,000,000,000')
  t.equal(rejects(input.count, '1000000001'), 'must be at most 1,000,000,000')
  t.equal(rejects(input.limit, '501'), 'must be at most 500')
})
