/**
 * `pnpm swiftshader`: prints the path of SwiftShader's Vulkan ICD file, unpacked from npm
 * (once), for running the WebGPU backend without a GPU from the repository:
 *
 *   VK_ICD_FILENAMES=$(pnpm swiftshader) WDECAY_WEBGPU_SOFTWARE=1 pnpm wdecay demo --backend webgpu
 */
import { swiftShaderIcd } from "./index.js";

try {
  process.stdout.write(`${await swiftShaderIcd()}\n`);
} catch (error) {
  process.stderr.write(`swiftshader: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
