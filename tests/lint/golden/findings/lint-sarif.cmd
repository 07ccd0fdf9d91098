lint --no-color --format sarif --inventory inventory.yaml policies.yaml
