// The loop the job worker and the deployment watch share: rounds, a pause that wake() cuts short, one stop.
import { expect, test } from "bun:test";
import { PollingLoop } from "../src/polling-loop.ts";
import { eventually, gate } from "./support/eventually.ts";

const hour = 3_600_000;

test("a wake cuts the pause short; a wake during a round is told to that round", async () => {
  const seen: boolean[] = [];
  let inRound = gate();
  let release = gate();
  const loop = new PollingLoop(async (woken) => {
    inRound.open();
    await release.opened;
    seen.push(woken());
    return hour;
  });
  loop.start();
  await inRound.opened;
  release.open();
  await eventually("the first round to end", () => seen.length === 1);
  expect(seen).toEqual([false]);

  // Paused for an hour: a wake starts the next round now.
  inRound = gate();
  release = gate();
  loop.wake();
  await inRound.opened;
  loop.wake(); // arrives while the round runs
  release.open();
  await eventually("the second round to end", () => seen.length === 2);
  expect(seen).toEqual([false, true]);
  await loop.stop();
});

test("null starts the next round at once; stop ends the pause, lets the round finish, and nothing starts again", async () => {
  let rounds = 0;
  const loop = new PollingLoop(async () => {
    rounds++;
    return rounds < 3 ? null : hour;
  });
  loop.start();
  await eventually("three rounds", () => rounds === 3);
  await loop.stop(); // resolves although the pause had an hour to go
  expect(loop.stopping).toBe(true);
  loop.start();
  loop.wake();
  expect(rounds).toBe(3);

  let finished = false;
  const inRound = gate();
  const release = gate();
  const busy = new PollingLoop(async () => {
    inRound.open();
    await release.opened;
    finished = true;
    return hour;
  });
  busy.start();
  await inRound.opened;
  const stopped = busy.stop();
  release.open();
  await stopped;
  expect(finished).toBe(true);
});
