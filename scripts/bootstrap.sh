#!/usr/bin/env bash
# Installs every build and test dependency of Weft from Debian packages.
# Idempotent: when everything is present it prints nothing and exits 0.
set -euo pipefail

packages=(
  # toolchain
  build-essential g++ clang clang-14 libclang-rt-14-dev lld cmake ninja-build pkg-config
  clang-format clang-tidy python3
  # libraries
  libgtest-dev libgmock-dev libbenchmark-dev
  liblwip-dev libsodium-dev libssl-dev libsqlite3-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev libcpp-httplib-dev
  # test tools
  tshark iproute2 procps
  # iperf3 between a kernel TAP member and a user-space member (kernel_tap_test)
  iperf3
  # unmodified programs the intercept is tested with (tests/integration/intercept_test.cpp)
  curl netcat-openbsd redis-server redis-tools
  # API reference (cmake --build <dir> --target doxygen; test docs.public_api_documented)
  doxygen
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the default answer is fine.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
