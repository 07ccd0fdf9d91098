trace shop/web shop/db tcp/5432 inventory.yaml old
