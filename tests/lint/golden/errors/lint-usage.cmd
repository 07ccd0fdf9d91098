lint --format yaml good.yaml
