// The standalone server serves static assets from beside itself: copy them there.
import { cpSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
cpSync(join(root, ".next/static"), join(root, ".next/standalone/.next/static"), { recursive: true });
if (existsSync(join(root, "public"))) cpSync(join(root, "public"), join(root, ".next/standalone/public"), { recursive: true });
