#!/usr/bin/env bash
# The benchmark matrix of docs/performance.md: Herald (standalone runner), its Node peers (ws, express-sse,
# Socket.IO) and its Java peers (Spring Boot, Vert.x) side by side on the same load, on this machine's loopback.
#
#   bench/run.sh                      # the full matrix (about 40 minutes on 2 cores); updates docs/performance.md
#   bench/run.sh --quick              # N=100,1000 only, short phases, no docs update
#   bench/run.sh --sizes 1000 --servers herald/ws,ws/ws   # any Matrix option (see dev.herald.bench.Matrix)
#   bench/run.sh --quick --servers herald/ws,spring/ws,vertx/ws   # the Java peers: spring/ws|sse, vertx/ws|sse
#   bench/run.sh --redis              # the Redis engine next to the memory engine, one and two nodes (about 8 minutes);
#                                     # updates the Redis section of docs/performance.md; needs redis-server;
#                                     # any RedisBench option after it (see dev.herald.bench.RedisBench)
#
# BENCH_SERVER_CPUS=0 pins every server to CPU 0 and the load generator to the other CPUs (taskset).
# Writes bench/results/<date>.{csv,md,svg}; server logs go to target/bench-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tens of thousands of sockets: raise the soft open-files limit to the hard one (children inherit it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

redis=false
if [ "${1:-}" = "--redis" ]; then
  redis=true
  command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] \
    || { echo "bench/run.sh: redis-server is required for --redis (Debian: apt-get install redis-server)" >&2; exit 1; }
else
  command -v node >/dev/null || { echo "bench/run.sh: node (>= 18) is required for the peers" >&2; exit 1; }
fi
if [ "$redis" = false ] && [ ! -d bench/peers/node_modules ]; then
  echo "bench/run.sh: installing the peers (npm ci in bench/peers)"
  (cd bench/peers && npm ci --no-audit --no-fund --loglevel=error)
fi

mvn -q -B -ntp package -DskipTests

# The Java peers (bench/peers-java/NAME: standalone Maven projects, not modules of Herald's build), built when their
# jar is missing or older than their pom or sources.
if [ "$redis" = false ]; then
  for dir in bench/peers-java/*/; do
    name=$(basename "$dir")
    jar="$dir/target/$name-peer.jar"
    if [ ! -f "$jar" ] || [ -n "$(find "$dir/pom.xml" "$dir/src" -newer "$jar" -print -quit)" ]; then
      echo "bench/run.sh: building the $name peer (mvn package in $dir)"
      (cd "$dir" && mvn -q -B -ntp package)
    fi
  done
fi
mvn -q -B -ntp dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
CP="target/test-classes:target/classes:$(cat target/bench.cp)"

args=("$@")
docs=(--docs docs/performance.md)
if [ "${1:-}" = "--quick" ]; then
  args=(--sizes 100,1000 --warmup 3 --closed 4 --open 4 --repeat 1 --idle 1000 "${@:2}")
  docs=()
fi

pin=()
if [ "$redis" = true ]; then
  # the nodes and redis-server run with the default CPU set: pinning two nodes and Redis to one CPU says little
  exec java -Xmx2g -XX:+UseParallelGC -cp "$CP" dev.herald.bench.RedisBench \
    --command "bench/run.sh $*" --docs docs/performance.md "${@:2}"
fi

if [ -n "${BENCH_SERVER_CPUS:-}" ]; then
  others=$(python3 -c "import os; s=set(range(os.cpu_count()))-{int(c) for c in '${BENCH_SERVER_CPUS}'.split(',')}; print(','.join(map(str,sorted(s))) or '0')")
  pin=(taskset -c "$others")
  args+=(--server-cpus "$BENCH_SERVER_CPUS")
fi

"${pin[@]}" java -Xmx3g -XX:+UseParallelGC -cp "$CP" dev.herald.bench.Matrix \
  --command "bench/run.sh${*:+ $*}" "${docs[@]}" "${args[@]}"

# A PNG beside the SVG for viewers that show no SVG (Debian: librsvg2-bin), when the converter is there.
if command -v rsvg-convert >/dev/null && [ ${#docs[@]} -gt 0 ]; then
  rsvg-convert -b white -o docs/performance.png docs/performance.svg
fi
