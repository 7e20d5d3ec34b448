// A process of unpack.test.ts: unpacks (or finds) the browser and uses it at once, as a test
// process would, while other processes may still be unpacking; prints what it saw as JSON.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { unpackBrowser } from "../src/unpack.js";

const found = await unpackBrowser();
const version = execFileSync(found.chromium, ["--version"], { encoding: "utf8" }).trim();
const icd = JSON.parse(readFileSync(found.swiftShaderIcd, "utf8"));
process.stdout.write(JSON.stringify({ ...found, version, icd }));
