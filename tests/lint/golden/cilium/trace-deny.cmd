trace shop/web shop/db tcp/5432 ../shop/inventory.yaml ../shop/new deny.yaml
