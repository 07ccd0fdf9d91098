lint --no-color --format text --inventory inventory.yaml policies.yaml
