import { defineConfig } from "vitest/config";

// Tests run on source: workspace packages resolve through the "@wdecay/source" export condition.
export default defineConfig({
  resolve: { conditions: ["@wdecay/source"] },
  ssr: { resolve: { conditions: ["@wdecay/source"] } },
});
