#!/usr/bin/env bash
# The GPU check of issue 13 for a lent GPU machine (docs/gpu.md): tfjs's webgpu backend on Dawn
# (the `webgpu` npm package) checks the DPO step's log-probs against wasm to 1e-4 and times the
# step (bench/_gpu-check.ts). The machine may have no Node and no network, and takes at most
# 64 MiB with the working tree, so the check travels as one folder, .gpu/ (git-ignored):
#
#   bench/gpu-check.sh prepare   here, in the checkout the device receives: builds .gpu/ (~45 MB):
#                                Node (xz), the check bundled into one file with tfjs and prefopt,
#                                tfjs's wasm binaries, the webgpu package (linux-x64 only) and the
#                                Vulkan loader packages
#   bench/gpu-check.sh run       on the device, with .gpu carried: unpacks them and runs the check;
#                                the report goes to $OUT/gpu-check.json (or ./gpu-check.json)
#
# With the device tool: run(command="bash bench/gpu-check.sh run", carry=[".gpu"], timeout_s=300).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gpu="$root/.gpu"

prepare() {
  cd "$root"
  local exclude
  exclude="$(git rev-parse --git-common-dir)/info/exclude"
  grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >>"$exclude"
  rm -rf "$gpu" && mkdir -p "$gpu/build" "$gpu/node_modules" "$gpu/debs"

  # The optional packages, from the npm registry (neither is a prefopt dependency).
  (cd "$gpu/build" && npm pack --silent webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 'debug@^4.4.0' 'ms@^2.1.3' >/dev/null)
  mkdir -p "$gpu/node_modules/webgpu" "$gpu/build/node_modules/@tensorflow/tfjs-backend-webgpu"
  tar xzf "$gpu"/build/webgpu-0.6.2.tgz -C "$gpu/node_modules/webgpu" --strip-components=1
  find "$gpu/node_modules/webgpu/dist" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
  rm -rf "$gpu/node_modules/webgpu/build"
  tar xzf "$gpu"/build/tensorflow-tfjs-backend-webgpu-4.22.0.tgz -C "$gpu/build/node_modules/@tensorflow/tfjs-backend-webgpu" --strip-components=1

  # One ESM file: the check, prefopt, tfjs and its webgpu backend (one tfjs engine); `webgpu`
  # stays outside (a native addon, loaded from .gpu/node_modules).
  cat >"$gpu/build/entry.ts" <<EOF
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
setWasmPaths(new URL('./', import.meta.url).pathname);
await import('$root/bench/_gpu-check.ts');
EOF
  NODE_PATH="$gpu/build/node_modules:$root/node_modules" "$root/node_modules/.bin/esbuild" "$gpu/build/entry.ts" \
    --bundle --platform=node --format=esm --target=node20 --minify --external:webgpu --log-level=warning \
    --banner:js="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" \
    --outfile="$gpu/gpu-check.mjs"
  cp "$root"/node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$gpu/"
  # webgpu's JS needs `debug` (which needs `ms`).
  for pkg in debug ms; do mkdir -p "$gpu/node_modules/$pkg" && tar xzf "$gpu"/build/"$pkg"-*.tgz -C "$gpu/node_modules/$pkg" --strip-components=1; done

  # Node itself (the device may have none) and the Vulkan loader (device README).
  xz -T0 -6 -c "$(command -v node)" >"$gpu/node.xz"
  local apt='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial
  # shellcheck disable=SC2086
  apt-get $apt update -qq && (cd "$gpu/debs" && apt-get $apt download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  rm -rf "$gpu/build"
  du -sh "$gpu"
}

run() {
  cd "$root"
  [ -f "$gpu/gpu-check.mjs" ] || { echo "gpu-check: .gpu/ is missing: run 'bench/gpu-check.sh prepare' here and carry .gpu" >&2; exit 2; }
  for f in "$gpu"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig || true
  if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  fi
  local node=/tmp/prefopt-node
  python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" "$gpu/node.xz" "$node"
  chmod +x "$node"
  nvidia-smi -L || true
  "$node" --version
  "$node" "$gpu/gpu-check.mjs" "${OUT:-.}/gpu-check.json"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: bench/gpu-check.sh prepare|run" >&2; exit 2 ;;
esac
