test --ir-only assertions.txt ../shop/inventory.yaml ../shop/new deny.yaml
