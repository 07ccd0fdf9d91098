lint --no-color --format json broken.yaml good.yaml
