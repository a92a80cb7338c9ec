/** Time and ids come through these so tests can make them deterministic (DESIGN: injected functions). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
