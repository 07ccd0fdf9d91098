lint --no-color --format github broken.yaml good.yaml
