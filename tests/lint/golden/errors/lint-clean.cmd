lint --no-color good.yaml
