lint --no-color --inventory ../shop/inventory.yaml ../shop/new deny.yaml
