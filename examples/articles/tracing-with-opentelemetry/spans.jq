# Reads Jaeger's /api/traces answer and prints each trace as a tree: one span per line,
# "service KIND name", each child indented under its parent, children in start order.
def kind: ([.tags[] | select(.key == "span.kind") | .value | ascii_upcase][0] // "?");
def parent: ([.references[]? | select(.refType == "CHILD_OF") | .spanID][0] // "");
.data | sort_by(.traceID)[] as $t
| ($t.spans | map(.spanID)) as $ids
| def tree($depth):
    . as $span
    | ("  " * $depth) + "\($t.processes[.processID].serviceName) \(kind) \(.operationName)",
      ($t.spans | sort_by(.startTime)[] | select(parent == $span.spanID) | tree($depth + 1));
  "trace \($t.traceID)",
  ($t.spans | sort_by(.startTime)[] | select(parent as $p | $ids | index($p) | not) | tree(1))
