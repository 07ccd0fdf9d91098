trace 'pod app in (web' shop/api tpc/80 inventory.yaml old
