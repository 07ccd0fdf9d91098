lint --no-color --format text broken.yaml good.yaml
