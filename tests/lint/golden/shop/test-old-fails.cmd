test --ir-only assertions.txt inventory.yaml old
