// Federation across a real partition: warehouses on hosts of their own (network namespaces, each
// with its address on a private bridge), a cable pulled and put back, and a sender killed between
// the receiver's commit and its own record of it, so that the message really goes twice. The
// ERP at Sevilla must get every movement acknowledged at Madrid and Bilbao once, in the order
// each origin made them, and nothing else. The scenario is tests/netlab/federation-driver.ts;
// it runs inside the lab's ctl host, since only the lab's hosts reach the lab's addresses.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { labUnavailable, openLab, sweepStaleLabs } from '../netlab/lab.ts'

const unavailable = labUnavailable()

t.test(
  'an ERP at Sevilla gets the movements of Madrid and Bilbao once each, in order, across a cut cable and a kill',
  // The driver stops itself at 100 s, within tap's 120 s for a file.
  { skip: unavailable ?? false },
  async (t) => {
    sweepStaleLabs('alm')
    const prefix = `alm${process.pid}`
    const lab = openLab(prefix, ['a', 'b', 'c'])
    t.teardown(() => lab.close())
    // The driver as this test runs: compiled under dist/, or TypeScript under tsx.
    const driver = fileURLToPath(new URL('../netlab/federation-driver', import.meta.url))
    const script = import.meta.url.endsWith('.ts')
      ? ['--import', 'tsx', `${driver}.ts`]
      : [`${driver}.js`]
    const child = spawn('ip', ['netns', 'exec', lab.ns('ctl'), process.execPath, ...script], {
      env: { ...process.env, LAB_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    t.teardown(() => child.kill('SIGKILL'))
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk))
    await once(child, 'close')
    const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}')
    t.comment(report.steps?.join('\n') ?? out)
    t.ok(report.ok, report.error ?? 'the scenario ran to its end')
    if (!report.ok) t.comment(`the nodes' logs: ${report.logs}`)
    t.equal(report.signal, 'SIGKILL', 'Madrid was killed after Sevilla applied, before it recorded')
    t.ok(
      report.duplicates >= 1,
      `Sevilla answered ${report.duplicates} message(s) sent again: duplicate, applied once`
    )

    const { acknowledged, received } = report as {
      acknowledged: Record<string, number[]>
      received: { origin: string; seq: number; id: string }[]
    }
    t.ok(acknowledged.Madrid.length >= 26 && acknowledged.Bilbao.length >= 25)
    for (const origin of ['Madrid', 'Bilbao']) {
      t.same(
        received.filter((r) => r.origin === origin).map((r) => r.seq),
        acknowledged[origin],
        `${origin}: every acknowledged movement once, in the order it was made`
      )
    }
    t.equal(new Set(received.map((r) => r.id)).size, received.length, 'no message id twice')
    t.same(
      received.filter((r) => !['Madrid', 'Bilbao'].includes(r.origin)),
      [],
      'nothing else'
    )
  }
)
