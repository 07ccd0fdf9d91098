trace shop/web 203.0.113.200 tcp/443 inventory.yaml new
