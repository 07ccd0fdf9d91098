lint --no-color --fail-level warning --inventory inventory.yaml policies.yaml
