// The real git smart-HTTP server (`git http-backend` on 127.0.0.1) lives in src/devtools: `relbot demo` serves
// its repositories with it too.
export { type GitServer, type GitServerOptions, startGitServer } from "../../src/devtools/git-http-server.ts";
