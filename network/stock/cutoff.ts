// When a company-wide answer stops waiting for the peers still asked: its deadline less what
// composing and sending it takes (answerReserveMs), which grows with the figures it will hold.
// The fan-out (fan-out.ts) races each peer's answer against it.
import { answerReserveMs } from './answer.ts'

/** When the peers still asking are cut off: the deadline less what composing the answer takes. */
export class Cutoff {
  private figures = 0
  private timer: NodeJS.Timeout | undefined
  private done = false
  private cut!: () => void
  readonly reached = new Promise<void>((resolve) => (this.cut = resolve))

  constructor(
    private readonly started: number,
    private readonly deadlineMs: number,
    private readonly lateMs: number
  ) {}

  /** `figures` more are expected in the answer: the cut-off comes sooner by their cost. */
  expect(figures: number): void {
    if (this.done) return
    this.figures += figures
    const reserve = answerReserveMs(this.deadlineMs, this.lateMs, this.figures)
    const inMs = this.deadlineMs - reserve - (performance.now() - this.started)
    clearTimeout(this.timer)
    if (inMs <= 0) this.cut()
    else this.timer = setTimeout(this.cut, inMs)
  }

  cancel(): void {
    this.done = true
    clearTimeout(this.timer)
  }
}
