#!/usr/bin/env bash
# Installs what the metrics, dashboard and partition tests need beyond a JDK, idempotently (a no-op
# when all is there): Debian's chromium, prometheus (for promtool) and nftables (for real
# packet-level partitions, PacketFilter.java), and playwright-core, kubernetes-models and yaml
# (KubernetesManifestsIT) from npm into
# .starfish/test-tools (git-ignored). The tests run this script themselves (TestTools.java), so
# `./mvnw verify` on a fresh machine needs nothing else. Uses sudo when not run as root.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
playwright_version="1.64.1"
# KubernetesManifestsIT: the Kubernetes API schemas (kubernetes-models) and a YAML parser.
kubernetes_models_version="5.1.0"
yaml_version="2.9.1"

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || packages+=(nftables)
need_promtool=no
command -v promtool >/dev/null 2>&1 || need_promtool=yes
if ((${#packages[@]})) || [ "$need_promtool" = yes ]; then
  sudo=""
  # -n: fail at once instead of waiting for a password nobody will type
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
  echo "[test-tools] installing Debian packages: ${packages[*]} $( [ "$need_promtool" = yes ] && echo prometheus) (apt-get, about a minute)"
  $sudo apt-get update -qq
  if ((${#packages[@]})); then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  fi
  if [ "$need_promtool" = yes ]; then
    # without its recommends (node exporter, ...): only promtool is used
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  fi
fi

tools="$root/.starfish/test-tools"
installed="$tools/node_modules/playwright-core/package.json"
if [ ! -f "$installed" ] || ! grep -q "\"version\": \"$playwright_version\"" "$installed"; then
  echo "[test-tools] installing playwright-core $playwright_version with npm into $tools"
  mkdir -p "$tools"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$tools" --no-audit --no-fund --silent \
    "playwright-core@$playwright_version"
fi
installed="$tools/node_modules/kubernetes-models/package.json"
if [ ! -f "$installed" ] || ! grep -q "\"version\": \"$kubernetes_models_version\"" "$installed" \
  || [ ! -f "$tools/node_modules/yaml/package.json" ]; then
  echo "[test-tools] installing kubernetes-models $kubernetes_models_version and yaml $yaml_version with npm into $tools"
  mkdir -p "$tools"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$tools" --no-audit --no-fund --silent \
    "playwright-core@$playwright_version" "kubernetes-models@$kubernetes_models_version" "yaml@$yaml_version"
fi
echo "[test-tools] ready: $(command -v chromium) $(command -v promtool) $(command -v nft || echo /usr/sbin/nft) playwright-core $playwright_version kubernetes-models $kubernetes_models_version"
