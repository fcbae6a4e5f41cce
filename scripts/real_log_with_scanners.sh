#!/bin/sh
# Assembles a real access log with real scanner sessions merged in, and ranks its clients:
# the public Apache log of elastic/examples (semicomplete.com, 10,000 lines of May 2015), plus
# nmap's http-enum script and sqlmap run against an nginx on loopback that logs in the combined
# format. The scanners' lines get addresses of their own and times inside the real log's span
# (scripts/real_log_merge.py). Needs nginx, nmap, sqlmap (Debian: apt-get install nginx-light
# nmap sqlmap), curl, python3, and a built trafficlens (cargo build). Nothing is committed: the
# merged log is about 2.9 MB.
#
# usage: scripts/real_log_with_scanners.sh [WORKDIR]   (default /tmp/trafficlens-real-log)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/trafficlens-real-log}
mkdir -p "$work/www" "$work/tmp"
cd "$work"
[ -s apache_logs ] || curl -fsSL -o apache_logs \
    "https://raw.githubusercontent.com/elastic/examples/master/Common%20Data%20Formats/apache_logs/apache_logs"
echo '<html><body><a href="/item.html?id=1">item</a></body></html>' > www/index.html
echo '<html>item</html>' > www/item.html
: > access.log
cat > nginx.conf <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 64; }
http {
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  log_format combined2 '\$remote_addr - \$remote_user [\$time_local] "\$request" \$status \$body_bytes_sent "\$http_referer" "\$http_user_agent"';
  access_log $work/access.log combined2;
  server { listen 127.0.0.1:8080; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
trap 'kill "$(cat "$work/nginx.pid")"' EXIT
sleep 1
nmap -Pn -n --script http-enum -p 8080 127.0.0.1 > nmap.txt
timeout 180 sqlmap -u "http://127.0.0.1:8080/item.html?id=1" --batch --level 2 --risk 1 \
    --threads 2 --tmp-dir "$work/tmp" --output-dir "$work/sqlmap" > sqlmap.txt || true
python3 "$repo/scripts/real_log_merge.py" apache_logs access.log real_merged.log
"$repo/target/debug/trafficlens" detect real_merged.log --flagged-out flagged.csv \
    --scores-out scores.csv --force
python3 - <<'PY'
import csv
scores = sorted(csv.DictReader(open("scores.csv")), key=lambda r: -float(r["anomaly_score"]))
rank = {r["client"]: i + 1 for i, r in enumerate(scores)}
print("nmap http-enum (198.51.100.23) ranks", rank.get("198.51.100.23"),
      "; sqlmap (203.0.113.77) ranks", rank.get("203.0.113.77"), "of", len(scores), "clients")
for r in sorted(csv.DictReader(open("flagged.csv")), key=lambda r: rank[r["client"]]):
    print(rank[r["client"]], r["client"], r["explanation"])
PY
