lint --no-color --format sarif broken.yaml good.yaml
