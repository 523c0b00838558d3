#!/bin/sh
# openapi-check.sh checks the OpenAPI document the REST API serves
# (GET /v1/openapi.json) with two outside tools:
#
#  1. Redocly's linter with its recommended rules
#     (redocly lint --extends=recommended): it must report no error;
#  2. a typed TypeScript client: openapi-typescript generates the types,
#     and tsc --strict compiles a client (openapi-fetch) that lists events
#     by status and dead letters with is_dlq, publishes, ingests, and sends
#     the seed pages' request bodies as they are, without casts (and fails
#     to compile a bad status or a filter rule with a wrong value type).
#
# It installs, with npm, into $HOOKSTREAM_TOOLS (default
# ~/.cache/hookstream-openapi-tools), outside the repository:
# @redocly/cli, openapi-typescript, openapi-fetch and typescript@5
# (openapi-typescript needs TypeScript's JavaScript API, which 7 lacks).
# It needs Go, Node.js 20 or later with npm, and the npm registry.
#
# Run it from anywhere: scripts/openapi-check.sh
# It writes only to $HOOKSTREAM_TOOLS and a temporary directory. CI does
# not run it.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
tools=${HOOKSTREAM_TOOLS:-$HOME/.cache/hookstream-openapi-tools}
bin=$tools/node_modules/.bin

if [ ! -x "$bin/redocly" ] || [ ! -x "$bin/openapi-typescript" ] || [ ! -x "$bin/tsc" ] || [ ! -d "$tools/node_modules/openapi-fetch" ]; then
	mkdir -p "$tools"
	echo "installing the tools into $tools"
	(cd "$tools" && { [ -f package.json ] || npm init -y >/dev/null; } &&
		npm install --no-audit --no-fund @redocly/cli openapi-typescript openapi-fetch typescript@5 >/dev/null)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== the served document"
(cd "$repo" && HOOKSTREAM_OPENAPI_OUT="$work/openapi.json" go test -count=1 -run '^TestHandler_OpenAPIDump$' . >/dev/null)

echo "== redocly lint --extends=recommended"
"$bin/redocly" lint --extends=recommended "$work/openapi.json"

echo "== typed client: openapi-typescript + openapi-fetch + tsc --strict"
"$bin/openapi-typescript" "$work/openapi.json" -o "$work/api.d.ts" >/dev/null
ln -s "$tools/node_modules" "$work/node_modules"
cat >"$work/client.ts" <<'EOF'
import createClient from "openapi-fetch";
import type { components, paths } from "./api";

type EventStatus = components["schemas"]["EventSummary"]["status"];

const client = createClient<paths>({ baseUrl: "http://127.0.0.1:8080", headers: { "X-API-Key": "hs_live_…" } });

export async function check(): Promise<EventStatus[]> {
  const events = await client.GET("/v1/events", { params: { query: { status: "failed", limit: 10, after: "2026-01-01T00:00:00Z" } } });
  const dlq = await client.GET("/v1/delivery-attempts", { params: { query: { is_dlq: 1, status: "failed" } } });
  const published = await client.POST("/v1/topics/{id}/publish", { params: { path: { id: "orders" } }, body: { id: "ord_1", total: 250 } });
  const ingested = await client.POST("/v1/ingest/{source_id}", {
    params: { path: { source_id: "src_0f8e4f1f6c2b4a7d9e3c5b1a2d4f6e8a" } },
    body: { type: "order.paid" },
  });
  // Seeds 000 and 003, as the pages send them.
  const conn = await client.POST("/v1/connections", {
    body: {
      org_id: "string", env_id: "string", source_id: "string", destination_id: "string", name: "string",
      description: "string", filter_rules: [{}], enabled: true, transform_enabled: true, transform_expression: "string",
    },
  });
  const sub = await client.POST("/v1/topics/{id}/subscriptions", {
    params: { path: { id: "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6" } },
    body: { destination_id: "string", filter_rules: [{}], transform_expression: "string" },
  });
  await client.POST("/v1/connections", {
    body: { source_id: "src_…", destination_id: "dst_…", name: "n", filter_rules: [{ field: "payload.total", operator: "gte", value: 100 }] },
  });
  await client.PATCH("/v1/destinations/{id}", { params: { path: { id: "dst_…" } }, body: { method: "PUT", retry_intervals: "[10, 60]", timeout: 10 } });
  // @ts-expect-error: not an event status
  await client.GET("/v1/events", { params: { query: { status: "gone" } } });
  // @ts-expect-error: gt compares numbers
  await client.POST("/v1/connections", { body: { source_id: "s", destination_id: "d", name: "n", filter_rules: [{ field: "payload.a", op: "gt", value: "1" }] } });
  const id: string | undefined = published.data?.event_id ?? ingested.data?.event_id ?? conn.data?.connection.id ?? sub.data?.subscription.id;
  const dead: (0 | 1)[] = (dlq.data?.delivery_attempts ?? []).map((a) => a.is_dlq);
  void id;
  void dead;
  return (events.data?.events ?? []).map((e) => e.status);
}
EOF
"$bin/tsc" --noEmit --strict --target es2022 --module esnext --moduleResolution bundler "$work/client.ts"
echo "typed client: ok"
