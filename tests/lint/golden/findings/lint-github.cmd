lint --no-color --format github --inventory inventory.yaml policies.yaml
