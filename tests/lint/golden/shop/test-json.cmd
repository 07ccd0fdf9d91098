test --ir-only --format json wrong.txt inventory.yaml new
