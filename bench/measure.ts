// One load against one server, watched: its memory, its CPU, and the CPU of everything else on the
// machine. A run that other processes disturbed is repeated (within a budget); the quietest is kept.
import { runLoad, type CaseName, type LoadResult } from './load.ts'
import type { BenchOptions } from './options.ts'
import { RunMonitor } from './proc.ts'
import type { RunningServer } from './server-process.ts'

export interface RunRecord extends LoadResult {
  peakRssMb: number
  peakAnonMb: number
  otherCpu: number
  serverCpu: number
  attempts: number
}

type Say = (line: string) => void

export class Measurer {
  /** Peak RSS seen under load, per server. */
  readonly peakRssMb = new Map<string, number>()
  readonly peakAnonMb = new Map<string, number>()
  /** Writes acknowledged, and connections used, per server since the last reset. */
  readonly acknowledged = new Map<string, number>()
  readonly connectionsUsed = new Map<string, number>()
  private retryBudget: number
  private readonly stamp = Date.now().toString(36)

  constructor(
    private readonly options: BenchOptions,
    private readonly say: Say
  ) {
    this.retryBudget = options.retryBudget
  }

  resetTally(): void {
    this.acknowledged.clear()
    this.connectionsUsed.clear()
  }

  private async load(
    server: RunningServer,
    kase: CaseName,
    connections: number,
    seconds: number,
    runId: string
  ) {
    const name = server.spec.name
    const monitor = new RunMonitor(server.pid)
    const result = await runLoad({
      url: server.url,
      kase,
      connections,
      duration: seconds,
      items: this.options.items,
      runId: `${this.stamp}-${runId}`,
    })
    const seen = monitor.stop()
    this.peakRssMb.set(name, Math.max(this.peakRssMb.get(name) ?? 0, seen.peakRssMb))
    this.peakAnonMb.set(name, Math.max(this.peakAnonMb.get(name) ?? 0, seen.peakAnonMb))
    this.acknowledged.set(name, (this.acknowledged.get(name) ?? 0) + result.acknowledged)
    this.connectionsUsed.set(name, (this.connectionsUsed.get(name) ?? 0) + connections)
    return { ...result, ...seen }
  }

  /** Unmeasured load, so every server starts a case warm. */
  async warmUp(server: RunningServer, kase: CaseName, connections: number): Promise<void> {
    await this.load(server, kase, connections, this.options.warmup, `w-${kase}-${connections}`)
  }

  async measure(server: RunningServer, kase: CaseName, connections: number, run: number) {
    const { options } = this
    let kept: RunRecord | null = null
    for (let attempt = 1; attempt <= 3; attempt++) {
      const runId = `${kase}-${connections}-${run}-${attempt}`
      const r = await this.load(server, kase, connections, options.duration, runId)
      if (!kept || r.otherCpu < kept.otherCpu) kept = { ...r, attempts: attempt }
      kept.attempts = attempt
      this.say(
        `${kase} c=${connections} ${server.spec.name} run ${run + 1}/${options.runs}: ${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, rss ${r.peakRssMb} MB, server ${r.serverCpu} / others ${r.otherCpu} cores`
      )
      if (r.otherCpu <= options.noiseLimit || this.retryBudget < options.duration) break
      if (attempt === 3) break
      this.retryBudget -= options.duration
      this.say(`  other processes used ${r.otherCpu} cores: repeating this run`)
    }
    return kept as RunRecord
  }
}
