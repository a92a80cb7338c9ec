/** Time and ids are injected through these (never read from globals) so tests can make them deterministic. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
