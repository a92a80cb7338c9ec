// Loaded before every test file (bunfig.toml [test] preload): global clean-up after the last test.
import { afterAll } from "bun:test";
import { removeTempDirs } from "./temp-dir.ts";

afterAll(removeTempDirs);
