test --ir-only wrong.txt inventory.yaml new
