// The shape the background loops share (the job worker, the deployment watch): rounds of work with a pause
// between them that wake() cuts short, started once and stopped once.

/**
 * What a round says about the next one: the milliseconds to pause, or null to start it at once. `woken()` tells
 * whether wake() was called since the round began, i.e. whether something arrived that the round may have missed.
 */
export type LoopRound = (woken: () => boolean) => Promise<number | null>;

export class PollingLoop {
  #running: Promise<void> | undefined;
  #stopping = false;
  #woken = false;
  #endPause: (() => void) | undefined;

  constructor(private readonly round: LoopRound) {}

  /** True from halt()/stop() on: a round should stop early and not start work it cannot finish. */
  get stopping(): boolean {
    return this.#stopping;
  }

  start(): void {
    if (this.#running || this.#stopping) return;
    this.#running = this.#run();
  }

  /** Start the next round now rather than after the pause (a webhook, a job enqueued). */
  wake(): void {
    this.#woken = true;
    this.#endPause?.();
  }

  /** No new round starts and a pause ends now; the round under way runs on (see stop()). */
  halt(): void {
    this.#stopping = true;
    this.#endPause?.();
  }

  /** halt(), then resolves when the round under way has returned. */
  async stop(): Promise<void> {
    this.halt();
    await this.#running;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      this.#woken = false;
      const pauseMs = await this.round(() => this.#woken);
      if (this.#stopping) break;
      if (pauseMs !== null) await this.#pause(pauseMs);
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#endPause = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#endPause = done;
    });
  }
}
