trace shop/web shop/api tcp/http inventory.yaml old
