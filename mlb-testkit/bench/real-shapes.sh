#!/bin/sh
# The table of issue 16's targets on every shape, in one run beside iptables-legacy-restore --test.
#
#   mvn -B -o -pl mlb-testkit -am -DskipTests package     # makes mlb-testkit/target/mlb, mlb.jar, mlb.jsa
#   mlb-testkit/bench/real-shapes.sh                      # as root: legacy --test runs in scratch netns
#   RULES=1000000 SHAPES=kube-proxy mlb-testkit/bench/real-shapes.sh
#
# For each shape, mlb bench (through the target/mlb launcher, so that its "mlb fmt" rows time the
# command users run) prints its measurements and then "targets (issue 16)": each target with mlb's
# figure, legacy --test's beside it and whether it is met. CPU times (user+sys, thread CPU), not
# wall times: on a shared machine the wall clock measures the run queue. The load average is printed
# before and after each shape.
#
# The bench process itself runs with a fixed, pre-touched heap (BENCH_JAVA_OPTS, default -Xms4g
# -Xmx4g -XX:+AlwaysPreTouch, as README's Performance section explains: on a VM that reclaims idle
# memory the first touch of each page is a page fault, and the in-process rows would time those).
# The "mlb fmt FILE" rows do not inherit it: they run the launcher as users do (MLB_FMT_JAVA_OPTS,
# empty by default).
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
mlb="$here/../target/mlb"
if [ ! -x "$mlb" ]; then
  echo "real-shapes.sh: $mlb is missing; expected a packaged mlb-testkit (mvn -o -pl mlb-testkit -am -DskipTests package)" >&2
  exit 2
fi
rules=${RULES:-100000}
shapes=${SHAPES:-own kube-proxy docker fail2ban log-limit mixed}
for shape in $shapes; do
  echo "=== $shape, $rules rules; load $(cut -d' ' -f1-3 /proc/loadavg)"
  MLB_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xms4g -Xmx4g -XX:+AlwaysPreTouch}" "$mlb" bench --shape "$shape" --rules "$rules" --warmup "${WARMUP:-10}" --repeat "${REPEAT:-5}" \
    --native-repeat "${NATIVE_REPEAT:-5}" --lab-flows 1 --sim-flows 1000
  echo "=== $shape done; load $(cut -d' ' -f1-3 /proc/loadavg)"
done
