// `npm ci && npm run build`: src/ and the tasks-vision files this page needs -> build/.
// No bundler: the page imports tasks-vision's own ES module; the SIMD WebAssembly build only
// (a browser without WebAssembly SIMD gets the streamlit-webrtc fallback, see the README).
// build/BUILD.json records the tasks-vision version and each file's sha256 (tests compare them
// with src/ and package-lock.json without the network). The model bundle is not copied: the
// Python wrapper links models/pose_landmarker_full.task into build/ when the app starts.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const pkg = "node_modules/@mediapipe/tasks-vision";
const out = "build";
// a fresh build/, but the model linked in by the app (build/*.task, not part of the build) stays
mkdirSync(out, { recursive: true });
for (const name of readdirSync(out)) {
  if (!name.endsWith(".task")) rmSync(join(out, name), { recursive: true, force: true });
}
const files = {};
function copy(from, name) {
  copyFileSync(from, join(out, name));
  files[name] = createHash("sha256").update(readFileSync(from)).digest("hex");
}
for (const name of readdirSync("src")) copy(join("src", name), name);
copy(join(pkg, "vision_bundle.mjs"), "vision_bundle.mjs");
for (const name of ["vision_wasm_internal.js", "vision_wasm_internal.wasm"]) {
  copy(join(pkg, "wasm", name), name);
}
const version = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version;
writeFileSync(join(out, "BUILD.json"), JSON.stringify({
  "@mediapipe/tasks-vision": version, license: "Apache-2.0", files }, null, 2) + "\n");
console.log(`build/: ${Object.keys(files).length} files, tasks-vision ${version}`);
