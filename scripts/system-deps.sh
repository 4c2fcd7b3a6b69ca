#!/usr/bin/env bash
# Installs the Debian packages the tests drive (chromium, mosquitto, openssl, redis-server, python3-paho-mqtt, libnss3-tools) when they are missing.
# Only root can install; anyone else gets told what is missing and the tests that need it fail loudly.
set -euo pipefail
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v mosquitto_passwd >/dev/null 2>&1 || missing+=(mosquitto-clients)
command -v openssl >/dev/null 2>&1 || missing+=(openssl) # certificates for the TLS listener of e2e/examples.test.ts
[ -x "${REDIS_SERVER_PATH:-/usr/bin/redis-server}" ] || missing+=(redis-server) # the shared token store of e2e/fleet.test.ts (apt does not start it here: tests do)
# An MQTT client nobody here wrote, for e2e/independent-clients.test.ts (Debian's python3 with paho-mqtt).
/usr/bin/python3 -c 'import paho.mqtt.client' >/dev/null 2>&1 || missing+=(python3-paho-mqtt)
# certutil: e2e/local-ca-chromium.test.ts trusts the local CA in a throwaway NSS database, as a developer would.
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system-deps: chromium, mosquitto, openssl, redis-server, python3-paho-mqtt and certutil are installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
start=$(date +%s)
echo "system-deps: installing ${missing[*]} with apt-get (Debian's packages: chromium alone downloads about 80 MB, about 300 MB installed; 1 to 2 minutes)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
echo "system-deps: package lists updated ($(( $(date +%s) - start )) s); installing"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system-deps: installed ${missing[*]} in $(( $(date +%s) - start )) s"
