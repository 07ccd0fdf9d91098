trace shop/nosuch shop/api tcp/80 inventory.yaml old
