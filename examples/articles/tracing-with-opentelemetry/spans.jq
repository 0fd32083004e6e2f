# Reads the collector's file (jq -s): one line per span, "trace service KIND name <- parent",
# the parent named by its service and kind (span ids are random, names are not).
[ .[].resourceSpans[]
  | (.resource.attributes[] | select(.key == "service.name") | .value.stringValue) as $service
  | .scopeSpans[].spans[]
  | {trace: .traceId, id: .spanId, parent: (.parentSpanId // ""), service: $service,
     kind: ({"1": "INTERNAL", "2": "SERVER", "3": "CLIENT"}[.kind | tostring] // (.kind | tostring)),
     name: .name} ]
| (map({key: .id, value: "\(.service) \(.kind)"}) | from_entries) as $names
| .[]
| "\(.trace) \(.service) \(.kind) \(.name) <- \(if .parent == "" then "(remote or root)" else ($names[.parent] // "(remote)") end)"
