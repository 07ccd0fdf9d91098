lint --no-color --format json policies.yaml
