#!/usr/bin/env node
// The `wdecay` executable: the compiled command (dist/bin.js). A file of its own, committed, so
// that package managers can link the command before the package is built in a workspace.
import "../dist/bin.js";
