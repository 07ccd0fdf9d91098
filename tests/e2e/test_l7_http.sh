#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Cilium HTTP rules enforced by polc's datapath on real traffic: curl
# (Debian's) and a raw client (http_raw.py) against an HTTP/1.1 server
# (tests/tools/httpd, which logs every request it receives), IPv4 and
# IPv6. For each rule kind a request allowed and one refused; a refused
# request must get its 403 (or a reset) at once and must never reach the
# server. Then keep-alive, pipelining, a request smuggled behind an
# allowed one or inside a body, a head split over two segments, HTTP/2,
# a large body, and an egress rule judged on the client's side.
#
#   x/api     httpd on 80 and 8080
#   x/client  ingress of api on 80: the HTTP rules below
#   x/other   ingress of api on 80 without HTTP rules: every request
#   x/egr     egress to api on 8080: GET /egress/... only (api's ingress
#             lets 8080 through at L4)
set -euo pipefail
# shellcheck source=tests/e2e/cilium_lib.sh
source "$(dirname "$0")/cilium_lib.sh"

command -v curl >/dev/null || nt_skip "no curl"
[[ -x /usr/bin/python3 ]] || nt_skip "no python3"
HTTPD="$(nt_tools_dir)/httpd"
[[ -x "$HTTPD" ]] || nt_die "no $HTTPD (run make)"
RAW="$(dirname "$0")/http_raw.py"

nt_setup l7-http
nt_add_pod x/api --labels app=api
nt_add_pod x/client --labels role=client
nt_add_pod x/other --labels role=other
nt_add_pod x/egr --labels role=egr

LOG="$NT_TMP/httpd.log"
ready="$NT_TMP/httpd.ready"
nt_in "$(nt_netns x/api)" "$HTTPD" -p 80,8080 -L "$LOG" -r "$ready" -l 600 </dev/null >>"$NT_TMP/httpd.out" 2>&1 &
NT_PIDS+=("$!")
for ((i = 0; i < 100; i++)); do [[ -s "$ready" ]] && break; sleep 0.05; done
[[ -s "$ready" ]] || nt_die "httpd did not start: $(cat "$NT_TMP/httpd.out")"

nt_inventory >"$NT_TMP/inventory.yaml"
cat >"$NT_TMP/policies.yaml" <<'EOF'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: api}}
  ingress:
  - fromEndpoints: [{matchLabels: {role: client}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules:
        http:
        - {method: GET, path: "/public(/.*)?"}
        - {method: POST, path: /upload, headers: ["X-Token: s3cret"]}
        - {method: GET, path: /hosted, host: '^api\.x(:80)?$'}
        - {method: GET, path: /tenant, headerMatches: [{name: X-Tenant, value: acme}]}
        - {method: PUT, path: /traced, headers: [X-Trace]}
  - fromEndpoints: [{matchLabels: {role: other}}]
    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
  - fromEndpoints: [{matchLabels: {role: egr}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: egr, namespace: x}
spec:
  endpointSelector: {matchLabels: {role: egr}}
  egress:
  - toEndpoints: [{matchLabels: {app: api}}]
    toPorts:
    - ports: [{port: "8080", protocol: TCP}]
      rules:
        http: [{method: GET, path: "/egress/.*"}]
EOF
cil_load l7 "$NT_TMP/inventory.yaml" "$NT_TMP/policies.yaml"

FAILS=0
CHECKS=0
ok() { CHECKS=$((CHECKS + 1)); nt_log "  ok   $*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); nt_log "  FAIL $*"; }

url() {   # POD FAMILY PORT PATH
	if [[ $2 == 6 ]]; then printf 'http://[%s]:%s%s' "$(nt_ip "$1" 6)" "$3" "$4"
	else printf 'http://%s:%s%s' "$(nt_ip "$1" 4)" "$3" "$4"; fi
}

# curl FROM CURL-ARGS...: "CODE SECONDS CONNECTS" of the last transfer (000 when none).
req() {
	local from=$1
	shift
	nt_exec "$from" curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total} %{num_connects}\n' "$@" \
		2>/dev/null | tail -n 1 || true
}

# The server received exactly this many requests for TARGET so far.
received() { grep -c -F " $1 body=" "$LOG" 2>/dev/null || true; }

expect() {   # WHAT FROM WANT-CODE CURL-ARGS...
	local what=$1 from=$2 want=$3 got code secs
	shift 3
	got=$(req "$from" "$@")
	code=${got%% *}
	secs=$(cut -d' ' -f2 <<<"$got")
	if [[ $code != "$want" ]]; then
		bad "$what: HTTP $code, want $want"
	elif [[ $want == 403 ]] && ! awk -v s="$secs" 'BEGIN { exit !(s < 1.0) }'; then
		bad "$what: the 403 took ${secs}s"
	else
		ok "$what: $code in ${secs}s"
	fi
}

# A request that must be refused and must never reach the server.
refused() {   # WHAT FROM TARGET-IN-LOG CURL-ARGS...
	local what=$1 from=$2 target=$3 before
	shift 3
	before=$(received "$target")
	expect "$what" "$from" 403 "$@"
	[[ $(received "$target") == "$before" ]] || bad "$what: the server received it"
}

for f in 4 6; do
	nt_log "IPv$f: rule kinds"
	expect "GET /public" x/client 200 "$(url x/api $f 80 /public)"
	expect "GET /public/a/b?q=1 (path regex)" x/client 200 "$(url x/api $f 80 '/public/a/b?q=1')"
	refused "POST /public (method)" x/client /public/post -X POST "$(url x/api $f 80 /public/post)"
	refused "GET /private (path regex)" x/client /private "$(url x/api $f 80 /private)"
	expect "POST /upload with X-Token (header value)" x/client 200 -X POST -H 'X-Token: s3cret' -d 'x=1' \
		"$(url x/api $f 80 /upload)"
	refused "POST /upload, wrong X-Token" x/client /upload -X POST -H 'X-Token: guess' -d 'x=2' \
		"$(url x/api $f 80 /upload)"
	expect "GET /hosted, Host api.x (host)" x/client 200 -H 'Host: api.x' "$(url x/api $f 80 /hosted)"
	refused "GET /hosted, another Host" x/client /hosted -H 'Host: evil.x' "$(url x/api $f 80 /hosted)"
	expect "GET /tenant, X-Tenant acme (headerMatches)" x/client 200 -H 'X-Tenant: acme' \
		"$(url x/api $f 80 /tenant)"
	refused "GET /tenant, X-Tenant other" x/client /tenant -H 'X-Tenant: other' "$(url x/api $f 80 /tenant)"
	expect "PUT /traced with X-Trace (header presence)" x/client 200 -X PUT -H 'X-Trace: 1' \
		"$(url x/api $f 80 /traced)"
	refused "PUT /traced without X-Trace" x/client /traced -X PUT "$(url x/api $f 80 /traced)"
	expect "a peer without HTTP rules: anything" x/other 200 -X DELETE "$(url x/api $f 80 /private)"

	nt_log "IPv$f: an egress rule, judged on the client's side"
	expect "egress GET /egress/x" x/egr 200 "$(url x/api $f 8080 /egress/x)"
	refused "egress GET /admin" x/egr /admin "$(url x/api $f 8080 /admin)"
done

nt_log "keep-alive: several requests on one connection, each judged"
got=$(nt_exec x/client curl -s --max-time 5 -w '%{http_code} %{num_connects}\n' \
	-o /dev/null "$(url x/api 4 80 /public/k1)" -o /dev/null "$(url x/api 4 80 /public/k2)" \
	-o /dev/null "$(url x/api 4 80 /public/k3)" 2>/dev/null || true)
if [[ $(tr '\n' ' ' <<<"$got") == "200 1 200 0 200 0 " ]]; then ok "three requests, one connection"
else bad "keep-alive: got '$(tr '\n' ' ' <<<"$got")'"; fi
before=$(received /private/k)
got=$(nt_exec x/client curl -s --max-time 5 -w '%{http_code} %{num_connects}\n' \
	-o /dev/null "$(url x/api 4 80 /public/k4)" -o /dev/null "$(url x/api 4 80 /private/k)" 2>/dev/null || true)
if [[ $(tr '\n' ' ' <<<"$got") == "200 1 403 0 " ]]; then ok "allowed then refused on one connection: 200, 403"
else bad "keep-alive refusal: got '$(tr '\n' ' ' <<<"$got")'"; fi
[[ $(received /private/k) == "$before" ]] || bad "keep-alive: /private/k reached the server"

raw() { nt_exec x/client /usr/bin/python3 "$RAW" "$@"; }
A4=$(nt_ip x/api 4)

nt_log "pipelining: two allowed requests in one segment, both answered"
out=$(raw "$A4" 80 --send 'GET /public/p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /public/p2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
if [[ $out == status=200,200\ * ]]; then ok "pipelined: $out"; else bad "pipelined: $out"; fi

nt_log "smuggling: a refused request behind an allowed one, in one segment"
out=$(raw "$A4" 80 --send 'GET /public/s1 HTTP/1.1\r\nHost: a\r\n\r\nGET /admin/smuggled HTTP/1.1\r\nHost: a\r\n\r\n')
if [[ $out == *reset=yes* || $out == status=403* ]] && awk -v l="$out" 'BEGIN { split(l, f, "first="); exit !(f[2] + 0 < 1.0) }'; then
	ok "refused at once: $out"
else
	bad "smuggled pair: $out"
fi
[[ $(received /admin/smuggled) == 0 ]] || bad "the smuggled request reached the server"

nt_log "smuggling: a request inside a body is a body"
out=$(raw "$A4" 80 --send 'POST /upload HTTP/1.1\r\nHost: a\r\nX-Token: s3cret\r\nContent-Length: 41\r\n\r\nGET /admin/inbody HTTP/1.1\r\nHost: a\r\n\r\n\r\n' \
	--send 'GET /public/after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' --gap 100)
if [[ $out == status=200,200\ * ]]; then ok "body passed as a body: $out"; else bad "request in a body: $out"; fi
[[ $(received /admin/inbody) == 0 ]] || bad "the server read the body as a request"

nt_log "smuggling: Content-Length with Transfer-Encoding, or chunk sizes hiding a request"
out=$(raw "$A4" 80 --send 'POST /upload HTTP/1.1\r\nHost: a\r\nX-Token: s3cret\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin/clte HTTP/1.1\r\nHost: a\r\n\r\n')
if [[ $out == *reset=yes* ]]; then ok "CL + TE reset: $out"; else bad "CL + TE: $out"; fi
[[ $(received /admin/clte) == 0 ]] || bad "CL.TE smuggling reached the server"
out=$(raw "$A4" 80 --send 'POST /upload HTTP/1.1\r\nHost: a\r\nX-Token: s3cret\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' \
	--send 'GET /admin/chunked HTTP/1.1\r\nHost: a\r\n\r\n' --gap 100)
if [[ $out == status=200,403* ]]; then ok "chunked body, then a refused request: $out"; else bad "chunked: $out"; fi
[[ $(received /admin/chunked) == 0 ]] || bad "the request after the chunked body reached the server"

nt_log "a head split over two TCP segments: refused, not reassembled"
out=$(raw "$A4" 80 --send 'GET /public/split HTTP/1.1\r\nHo' --send 'st: a\r\n\r\n' --gap 200)
if [[ $out == *reset=yes* ]]; then ok "split head reset: $out"; else bad "split head: $out"; fi
[[ $(received /public/split) == 0 ]] || bad "the split head reached the server"

nt_log "HTTP/2 (prior knowledge): not HTTP/1.x, reset"
got=$(req x/client --http2-prior-knowledge "$(url x/api 4 80 /public)")
if [[ ${got%% *} == 000 ]] && awk -v s="$(cut -d' ' -f2 <<<"$got")" 'BEGIN { exit !(s < 1.0) }'; then
	ok "h2c refused at once ($got)"
else
	bad "h2c: $got"
fi

nt_log "a large body (2 MiB, many segments and GSO): counted through, the next request judged"
head -c 2097152 /dev/zero >"$NT_TMP/big"
expect "POST /upload, 2 MiB" x/client 200 -X POST -H 'X-Token: s3cret' -H 'Expect:' --data-binary "@$NT_TMP/big" \
	"$(url x/api 4 80 /upload)"
got=$(grep -c -F "POST /upload body=2097152" "$LOG" || true)
[[ $got -ge 1 ]] && ok "the server got the whole body" || bad "the 2 MiB body did not arrive whole"

nt_log "L3/L4 flows unaffected: a peer without HTTP rules keeps its connection across requests"
got=$(nt_exec x/other curl -s --max-time 5 -w '%{http_code} %{num_connects}\n' -X DELETE \
	-o /dev/null "$(url x/api 4 80 /a)" -o /dev/null "$(url x/api 4 80 /b)" 2>/dev/null | tr '\n' ' ' || true)
[[ $got == "200 1 200 0 " ]] && ok "other: $got" || bad "other: $got"

nt_log "no half-open connection left on the server: every refusal reset its side"
sleep 0.3
left=$(nt_exec x/api ss -Htn state established '( sport = :80 or sport = :8080 )' 2>/dev/null | wc -l)
[[ $left == 0 ]] && ok "server: no established connection left" || {
	bad "server: $left connections still established"
	nt_exec x/api ss -tn >&2 || true
}

if [[ $FAILS -gt 0 ]]; then
	nt_log "$FAILS of $CHECKS checks failed; server log:"
	cat "$LOG" >&2
	exit 1
fi
nt_log "all $CHECKS checks passed"
