lint --no-color --format json --inventory inventory.yaml policies.yaml
