// Command kstatus prints kstatus's own verdict (sigs.k8s.io/cli-utils/pkg/kstatus/status,
// what Flux's health checks and `kubectl wait`-style pollers compute) for each YAML file
// given, as one JSON object: {"<file>": {"status": "...", "message": "..."}}.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

type verdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func compute(path string) (verdict, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return verdict{}, err
	}
	// Through JSON into Unstructured, so integers stay int64 as the API server sends them.
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return verdict{}, fmt.Errorf("%s: %w", path, err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(js); err != nil {
		return verdict{}, fmt.Errorf("%s: %w", path, err)
	}
	res, err := status.Compute(obj)
	if err != nil {
		return verdict{}, fmt.Errorf("%s: %w", path, err)
	}
	return verdict{Status: res.Status.String(), Message: res.Message}, nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kstatus FILE.yaml...")
		os.Exit(2)
	}
	out := map[string]verdict{}
	for _, path := range os.Args[1:] {
		v, err := compute(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		out[path] = v
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
